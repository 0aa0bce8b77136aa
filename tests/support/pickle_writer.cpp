// Writing pickles and bzip2 streams (test support).
#include "pickle_writer.h"

#include <bzlib.h>

#include <cstring>
#include <stdexcept>

namespace nas::test {
namespace {

// The opcodes used (CPython Lib/pickletools.py names them).
constexpr char kProto = '\x80';
constexpr char kStop = '.';
constexpr char kMark = '(';
constexpr char kNone = 'N';
constexpr char kNewTrue = '\x88';
constexpr char kNewFalse = '\x89';
constexpr char kBinInt1 = 'K';
constexpr char kBinInt2 = 'M';
constexpr char kBinInt = 'J';
constexpr char kLong1 = '\x8a';
constexpr char kBinFloat = 'G';
constexpr char kShortBinUnicode = '\x8c';
constexpr char kBinUnicode = 'X';
constexpr char kMemoize = '\x94';
constexpr char kBinGet = 'h';
constexpr char kLongBinGet = 'j';
constexpr char kEmptyList = ']';
constexpr char kAppends = 'e';
constexpr char kEmptyDict = '}';
constexpr char kSetItems = 'u';
constexpr char kTuple = 't';
constexpr char kEmptySet = '\x8f';

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

}  // namespace

PickleWriter::PickleWriter() {
  out_ += kProto;
  out_ += '\x04';
}

void PickleWriter::value_written() {
  if (open_.empty()) {
    if (++top_level_values_ > 1) throw std::logic_error("PickleWriter: a pickle holds one top-level value");
  } else {
    ++open_.back().items;
  }
}

PickleWriter& PickleWriter::none() {
  out_ += kNone;
  value_written();
  return *this;
}

PickleWriter& PickleWriter::boolean(bool value) {
  out_ += value ? kNewTrue : kNewFalse;
  value_written();
  return *this;
}

PickleWriter& PickleWriter::integer(std::int64_t value) {
  if (value >= 0 && value < 0x100) {
    out_ += kBinInt1;
    put_le(out_, static_cast<std::uint64_t>(value), 1);
  } else if (value >= 0 && value < 0x10000) {
    out_ += kBinInt2;
    put_le(out_, static_cast<std::uint64_t>(value), 2);
  } else if (value >= INT32_MIN && value <= INT32_MAX) {
    out_ += kBinInt;
    put_le(out_, static_cast<std::uint32_t>(static_cast<std::int32_t>(value)), 4);
  } else {
    out_ += kLong1;  // 8-byte two's complement, little-endian
    out_ += '\x08';
    put_le(out_, static_cast<std::uint64_t>(value), 8);
  }
  value_written();
  return *this;
}

PickleWriter& PickleWriter::floating(double value) {
  out_ += kBinFloat;
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  for (int i = 7; i >= 0; --i) out_ += static_cast<char>((bits >> (8 * i)) & 0xff);  // big-endian
  value_written();
  return *this;
}

PickleWriter& PickleWriter::string(std::string_view utf8) {
  const auto it = memo_.find(std::string(utf8));
  if (it != memo_.end()) {
    if (it->second < 0x100) {
      out_ += kBinGet;
      put_le(out_, it->second, 1);
    } else {
      out_ += kLongBinGet;
      put_le(out_, it->second, 4);
    }
  } else {
    if (utf8.size() < 0x100) {
      out_ += kShortBinUnicode;
      put_le(out_, utf8.size(), 1);
    } else {
      out_ += kBinUnicode;
      put_le(out_, utf8.size(), 4);
    }
    out_.append(utf8.data(), utf8.size());
    out_ += kMemoize;  // memo index = number of entries so far
    memo_.emplace(std::string(utf8), static_cast<std::uint32_t>(memo_.size()));
  }
  value_written();
  return *this;
}

PickleWriter& PickleWriter::empty_set() {
  out_ += kEmptySet;
  value_written();
  return *this;
}

void PickleWriter::begin(Kind kind) {
  if (kind == Kind::kList) out_ += kEmptyList;
  if (kind == Kind::kDict) out_ += kEmptyDict;
  out_ += kMark;
  open_.push_back({kind, 0});
}

void PickleWriter::end(Kind kind) {
  if (open_.empty() || open_.back().kind != kind) throw std::logic_error("PickleWriter: unbalanced container");
  if (kind == Kind::kDict && open_.back().items % 2 != 0) throw std::logic_error("PickleWriter: a dict key lacks its value");
  out_ += kind == Kind::kList ? kAppends : kind == Kind::kDict ? kSetItems : kTuple;
  open_.pop_back();
  value_written();
}

PickleWriter& PickleWriter::begin_list() {
  begin(Kind::kList);
  return *this;
}
PickleWriter& PickleWriter::end_list() {
  end(Kind::kList);
  return *this;
}
PickleWriter& PickleWriter::begin_tuple() {
  begin(Kind::kTuple);
  return *this;
}
PickleWriter& PickleWriter::end_tuple() {
  end(Kind::kTuple);
  return *this;
}
PickleWriter& PickleWriter::begin_dict() {
  begin(Kind::kDict);
  return *this;
}
PickleWriter& PickleWriter::end_dict() {
  end(Kind::kDict);
  return *this;
}

std::string PickleWriter::finish() {
  if (!open_.empty()) throw std::logic_error("PickleWriter: a container is still open");
  if (top_level_values_ != 1) throw std::logic_error("PickleWriter: a pickle holds exactly one top-level value");
  out_ += kStop;
  return std::move(out_);
}

std::string bzip2_compress(std::string_view data, int block_size_100k) {
  // libbz2's documented bound: 1% larger than the input plus 600 bytes.
  unsigned int size = static_cast<unsigned int>(data.size() + data.size() / 100 + 600);
  std::string out(size, '\0');
  const int rc = BZ2_bzBuffToBuffCompress(out.data(), &size, const_cast<char*>(data.data()),
                                          static_cast<unsigned int>(data.size()), block_size_100k, 0, 0);
  if (rc != BZ_OK) throw std::runtime_error("bzip2 compression failed (code " + std::to_string(rc) + ")");
  out.resize(size);
  return out;
}

}  // namespace nas::test

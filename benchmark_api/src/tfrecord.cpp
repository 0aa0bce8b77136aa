// Reading TFRecord files (see tfrecord.h).
#include "nas/benchmark_api/tfrecord.h"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "nas/benchmark_api/error.h"

namespace nas::bench {
namespace {

constexpr std::uint32_t kCastagnoliReflected = 0x82F63B78u;
constexpr std::uint32_t kTfRecordMaskDelta = 0xA282EAD8u;
constexpr std::size_t kBufferBytes = 1u << 20;

/// Slicing-by-8 tables: table[k][b] is the CRC of byte b followed by k zero bytes, so eight bytes
/// are folded in with eight lookups (~1.5 GB/s; the 1.95 GB file costs about a second).
using CrcTables = std::array<std::array<std::uint32_t, 256>, 8>;

CrcTables make_crc_tables() {
  CrcTables tables{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) != 0 ? kCastagnoliReflected : 0u);
    tables[0][b] = crc;
  }
  for (std::size_t k = 1; k < tables.size(); ++k) {
    for (std::uint32_t b = 0; b < 256; ++b) tables[k][b] = (tables[k - 1][b] >> 8) ^ tables[0][tables[k - 1][b] & 0xFFu];
  }
  return tables;
}

const CrcTables& crc_tables() {
  static const CrcTables tables = make_crc_tables();
  return tables;
}

std::uint64_t load_le64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

std::uint32_t load_le32(const unsigned char* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}

std::string hex32(std::uint32_t value) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08" PRIX32, value);
  return text;
}

}  // namespace

std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc) {
  const CrcTables& t = crc_tables();
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (; size >= 8; size -= 8, p += 8) {
    const std::uint32_t low = crc ^ load_le32(p);
    const std::uint32_t high = load_le32(p + 4);
    crc = t[7][low & 0xFFu] ^ t[6][low >> 8 & 0xFFu] ^ t[5][low >> 16 & 0xFFu] ^ t[4][low >> 24] ^ t[3][high & 0xFFu] ^
          t[2][high >> 8 & 0xFFu] ^ t[1][high >> 16 & 0xFFu] ^ t[0][high >> 24];
  }
  for (; size > 0; --size, ++p) crc = (crc >> 8) ^ t[0][(crc ^ *p) & 0xFFu];
  return ~crc;
}

std::uint32_t tfrecord_masked_crc(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kTfRecordMaskDelta; }

struct TfRecordReader::Checksum {
  Checksum() : state(XXH3_createState()) {
    if (state == nullptr) throw std::bad_alloc();
    XXH3_64bits_reset(state);
  }
  ~Checksum() { XXH3_freeState(state); }
  Checksum(const Checksum&) = delete;
  Checksum& operator=(const Checksum&) = delete;
  XXH3_state_t* state;
};

TfRecordReader::TfRecordReader(const std::string& path, std::string_view what, std::size_t max_record_bytes)
    : file_(RegularFile::open(path, what)),
      max_record_bytes_(max_record_bytes),
      buffer_(kBufferBytes),
      checksum_(std::make_unique<Checksum>()) {}

TfRecordReader::~TfRecordReader() = default;

std::uint64_t TfRecordReader::checksum_so_far() const { return XXH3_64bits_digest(checksum_->state); }

std::string TfRecordReader::where(std::uint64_t record, std::uint64_t offset) const {
  return file_.path() + ": record " + std::to_string(record) + " (0-based, at byte " + std::to_string(offset) + ")";
}

std::string TfRecordReader::last_record_where() const { return where(records_ - 1, last_offset_); }

void TfRecordReader::take(void* out, std::size_t bytes) {
  auto* cursor = static_cast<char*>(out);
  while (bytes > 0) {
    if (buffer_begin_ == buffer_end_) {
      const std::uint64_t left = file_.size() - file_offset_;
      if (left == 0) throw Error(where(records_, offset_) + ": truncated");  // next() checked the sizes first: not reached
      const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer_.size()));
      file_.read_at(file_offset_, buffer_.data(), chunk);  // throws if the file shrank meanwhile
      XXH3_64bits_update(checksum_->state, buffer_.data(), chunk);
      file_offset_ += chunk;
      buffer_begin_ = 0;
      buffer_end_ = chunk;
    }
    const std::size_t n = std::min(bytes, buffer_end_ - buffer_begin_);
    std::memcpy(cursor, buffer_.data() + buffer_begin_, n);
    buffer_begin_ += n;
    cursor += n;
    bytes -= n;
  }
}

bool TfRecordReader::next(std::string& record) {
  const std::uint64_t left = file_.size() - offset_;
  if (left == 0) return false;
  if (left < kTfRecordHeaderBytes) {
    throw Error(where(records_, offset_) + ": truncated: the file ends " + std::to_string(left) + " bytes into the record's " +
                std::to_string(kTfRecordHeaderBytes) + "-byte header");
  }
  std::array<unsigned char, kTfRecordHeaderBytes> header{};
  take(header.data(), header.size());
  const std::uint32_t length_crc = tfrecord_masked_crc(crc32c(header.data(), 8));
  if (length_crc != load_le32(header.data() + 8)) {
    throw Error(where(records_, offset_) + ": bad length CRC (stored " + hex32(load_le32(header.data() + 8)) + ", computed " + hex32(length_crc) +
                "): the length field is damaged");
  }
  const std::uint64_t length = load_le64(header.data());
  if (length > max_record_bytes_) {
    throw Error(where(records_, offset_) + ": a length of " + std::to_string(length) + " bytes, more than the " + std::to_string(max_record_bytes_) +
                " a record of this file may have");
  }
  const std::uint64_t needed = kTfRecordHeaderBytes + length + kTfRecordFooterBytes;
  if (left < needed) {
    throw Error(where(records_, offset_) + ": truncated: the record needs " + std::to_string(needed) + " bytes, the file has " +
                std::to_string(left) + " left");
  }
  record.resize(static_cast<std::size_t>(length));
  std::array<unsigned char, kTfRecordFooterBytes> footer{};
  take(record.data(), record.size());
  take(footer.data(), footer.size());
  const std::uint32_t data_crc = tfrecord_masked_crc(crc32c(record.data(), record.size()));
  if (data_crc != load_le32(footer.data())) {
    throw Error(where(records_, offset_) + ": bad data CRC (stored " + hex32(load_le32(footer.data())) + ", computed " + hex32(data_crc) +
                "): the record's data is damaged");
  }
  last_offset_ = offset_;
  offset_ += needed;
  ++records_;
  return true;
}

}  // namespace nas::bench

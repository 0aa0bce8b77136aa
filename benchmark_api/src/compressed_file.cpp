// Whole-file reads and libbz2 streaming decompression with a hard output cap.
#include "nas/benchmark_api/compressed_file.h"

#include <bzlib.h>

#include <algorithm>
#include <climits>
#include <limits>
#include <memory>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"

namespace nas::bench {
namespace {

// Owns one libbz2 decompression state, so every exit path frees it.
class Bz2Decoder {
 public:
  Bz2Decoder() {
    const int rc = BZ2_bzDecompressInit(&stream_, /*verbosity=*/0, /*small=*/0);
    if (rc != BZ_OK) throw Error("bzip2: cannot initialise the decompressor (code " + std::to_string(rc) + ")");
  }
  ~Bz2Decoder() { BZ2_bzDecompressEnd(&stream_); }
  Bz2Decoder(const Bz2Decoder&) = delete;
  Bz2Decoder& operator=(const Bz2Decoder&) = delete;

  bz_stream& stream() { return stream_; }

 private:
  bz_stream stream_{};
};

std::string bz2_error_text(int rc) {
  switch (rc) {
    case BZ_DATA_ERROR:
      return "bzip2: corrupt data (checksum or format error)";
    case BZ_DATA_ERROR_MAGIC:
      return "bzip2: not a bzip2 stream (bad magic)";
    case BZ_MEM_ERROR:
      return "bzip2: out of memory";
    default:
      return "bzip2: decompression failed (code " + std::to_string(rc) + ")";
  }
}

bool has_bzip2_magic(std::string_view data) {
  return data.size() >= 4 && data.substr(0, 3) == "BZh" && data[3] >= '1' && data[3] <= '9';
}

// libbz2 counts in unsigned int; larger buffers are handed over in slices of this size.
constexpr std::size_t kMaxSlice = std::size_t{1} << 30;

// Output buffer that grows geometrically but never past `cap` bytes.
class OutputBuffer {
 public:
  explicit OutputBuffer(std::size_t max_output_bytes)
      : limit_(max_output_bytes),
        cap_(max_output_bytes == std::numeric_limits<std::size_t>::max() ? max_output_bytes : max_output_bytes + 1) {}

  // Room for libbz2 after the `used_` bytes already produced; throws when the cap is reached.
  char* room(unsigned int& size) {
    if (used_ == data_.size()) grow();
    size = static_cast<unsigned int>(std::min(data_.size() - used_, kMaxSlice));
    return data_.data() + used_;
  }

  void commit(std::size_t produced) {
    used_ += produced;
    if (used_ > limit_) {
      throw Error("bzip2: decompressed data exceeds the limit of " + std::to_string(limit_) + " bytes");
    }
  }

  std::string take() {
    data_.resize(used_);
    return std::move(data_);
  }

 private:
  void grow() {
    const std::size_t wanted = std::max<std::size_t>(data_.size() * 2, std::size_t{1} << 16);
    data_.resize(std::min(wanted, cap_));
  }

  std::size_t limit_;
  std::size_t cap_;
  std::size_t used_ = 0;
  std::string data_;
};

// Decompresses the stream at the start of `input` into `out`; returns how many input bytes it used.
std::size_t decompress_stream(std::string_view input, OutputBuffer& out) {
  Bz2Decoder decoder;
  bz_stream& stream = decoder.stream();
  std::size_t fed = 0;
  while (true) {
    if (stream.avail_in == 0 && fed < input.size()) {
      const std::size_t slice = std::min(input.size() - fed, kMaxSlice);
      // libbz2 never writes through next_in; the API just predates const.
      stream.next_in = const_cast<char*>(input.data() + fed);
      stream.avail_in = static_cast<unsigned int>(slice);
      fed += slice;
    }
    unsigned int room = 0;
    char* const out_begin = out.room(room);
    stream.next_out = out_begin;
    stream.avail_out = room;
    const unsigned int in_before = stream.avail_in;
    const int rc = BZ2_bzDecompress(&stream);
    const std::size_t produced = static_cast<std::size_t>(stream.next_out - out_begin);
    out.commit(produced);
    if (rc == BZ_STREAM_END) return fed - stream.avail_in;
    if (rc != BZ_OK) throw Error(bz2_error_text(rc));
    const bool input_exhausted = stream.avail_in == 0 && fed == input.size();
    if (input_exhausted && stream.avail_out > 0) throw Error("bzip2: truncated stream (input ended early)");
    if (produced == 0 && stream.avail_in == in_before && stream.avail_out > 0) {
      throw Error("bzip2: the decompressor made no progress");
    }
  }
}

}  // namespace

std::string read_file(const std::string& path, std::uint64_t max_bytes) {
  // A regular file of bounded size: a FIFO, a device (/dev/zero) or a huge file is an error.
  return read_regular_file(path, "", max_bytes);
}

std::string bzip2_decompress(std::string_view data, std::size_t max_output_bytes) {
  if (!has_bzip2_magic(data)) throw Error(bz2_error_text(BZ_DATA_ERROR_MAGIC));
  OutputBuffer out(max_output_bytes);
  std::size_t consumed = 0;
  while (consumed < data.size()) {
    // Like Python's bz2 module: concatenated streams are one file; other trailing bytes are corrupt.
    if (consumed > 0 && !has_bzip2_magic(data.substr(consumed))) {
      throw Error("bzip2: " + std::to_string(data.size() - consumed) + " trailing bytes after the stream");
    }
    consumed += decompress_stream(data.substr(consumed), out);
  }
  return out.take();
}

pickle::Value load_pickle_bz2(const std::string& path) {
  const std::string compressed = read_file(path);  // its errors already name the file
  try {
    return pickle::parse(bzip2_decompress(compressed));
  } catch (const Error& error) {
    throw Error(path + ": " + error.what());
  }
}

}  // namespace nas::bench

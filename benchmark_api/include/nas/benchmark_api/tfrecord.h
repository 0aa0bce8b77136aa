// TFRecord files (TensorFlow's record framing, which NAS-Bench-101's data files use), read one
// record at a time with every checksum checked.
//
// A file is a sequence of records, each (little-endian):
//   uint64 length | uint32 masked CRC32C of the 8 length bytes | length bytes of data | uint32 masked CRC32C of the data
// CRC32C is the Castagnoli CRC (reflected polynomial 0x82F63B78, initial value and final xor
// 0xFFFFFFFF); the stored form is masked, ((crc >> 15) | (crc << 17)) + 0xA282EAD8 mod 2^32, so
// that a CRC of data that itself holds CRCs is not a fixed point.
//
// Why a reader of its own rather than "skip the checks" as TensorFlow allows: the files are 0.5 and
// 1.95 GB downloads, and a damaged or truncated copy should be an error naming the record, not a
// benchmark with silently wrong values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nas/benchmark_api/file_io.h"

namespace nas::bench {

/// CRC32C (Castagnoli) of `size` bytes, continuing from `crc` (0 to start): crc32c("123456789") is
/// 0xE3069283.
std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0);
/// The masked form of a CRC that TFRecord files store (mask(crc32c("")) = 0xA282EAD8).
std::uint32_t tfrecord_masked_crc(std::uint32_t crc);

/// Bytes of a record's framing: the 12-byte header (length + its CRC) and the 4-byte data CRC.
inline constexpr std::size_t kTfRecordHeaderBytes = 12;
inline constexpr std::size_t kTfRecordFooterBytes = 4;

/// Reads the records of a TFRecord file in order, through a fixed-size buffer (memory does not grow
/// with the file). Every problem is a nas::Error that names the file, the record (numbered from 0)
/// and its byte offset: a length whose CRC does not match ("bad length CRC"), data whose CRC does
/// not match ("bad data CRC"), a record cut short by the end of the file ("truncated"), or a
/// length above `max_record_bytes` (a bound on memory: a damaged length field that happens to pass
/// its CRC cannot make the reader allocate gigabytes).
class TfRecordReader {
 public:
  /// Opens `path` (a regular file; see RegularFile); `what` names it in errors ("NAS-Bench-101 data file").
  TfRecordReader(const std::string& path, std::string_view what, std::size_t max_record_bytes = 16u << 20);

  /// Reads the next record's data into `record` (reusing its capacity) and returns true, or returns
  /// false at the end of the file. Throws nas::Error (see the class comment).
  bool next(std::string& record);

  const std::string& path() const { return file_.path(); }
  /// The file's size when opened.
  std::uint64_t file_size() const { return file_.size(); }
  /// Bytes consumed so far (the offset of the next record).
  std::uint64_t offset() const { return offset_; }
  /// How many records next() has returned; while reading, the number of the next one.
  std::uint64_t records_read() const { return records_; }
  /// "FILE: record N (0-based, at byte B)" of the record next() returned last, for the messages of
  /// whoever checks its content.
  std::string last_record_where() const;
  /// XXH3-64 of the bytes read from the file so far: of the whole file once next() has returned
  /// false. It identifies the source file in a store's provenance.
  std::uint64_t checksum_so_far() const;

  ~TfRecordReader();
  TfRecordReader(const TfRecordReader&) = delete;
  TfRecordReader& operator=(const TfRecordReader&) = delete;

 private:
  /// Copies the next `bytes` bytes of the file into `out`, refilling the buffer as needed (the
  /// caller has checked that the file holds them).
  void take(void* out, std::size_t bytes);
  /// "FILE: record N (0-based, at byte B)".
  std::string where(std::uint64_t record, std::uint64_t offset) const;

  RegularFile file_;
  std::size_t max_record_bytes_;
  std::vector<char> buffer_;
  std::size_t buffer_begin_ = 0, buffer_end_ = 0;  // unread bytes of buffer_
  std::uint64_t file_offset_ = 0;                   // where the next refill reads
  std::uint64_t offset_ = 0;                        // start of the next record
  std::uint64_t last_offset_ = 0;                   // start of the record returned last
  std::uint64_t records_ = 0;
  struct Checksum;  // the streaming XXH3 state (tfrecord.cpp)
  std::unique_ptr<Checksum> checksum_;
};

}  // namespace nas::bench

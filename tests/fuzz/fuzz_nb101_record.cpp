// libFuzzer target for NAS-Bench-101's data files: the TFRecord framing and one record's content.
//
// Every input is decoded as one record's data (JSON row, base64, the ModelMetrics protobuf:
// Nb101RecordDecoder) and read as a whole TFRecord file (framing and CRC32C: TfRecordReader, from
// an in-memory file), each record of which is decoded too. Both must either succeed or throw
// nas::Error; anything else (a crash, a sanitizer report, another exception type, a leak) is a bug.
// The seeds are records of the synthetic nb101 file (tests/support/synthetic_nb101.h). Neither path
// needs the cell list: what needs it (the cell of a graph) is the importer's, fuzzed through the
// arch parsers (fuzz_arch_string).
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/tfrecord.h"
#include "spaces/nb101/nb101_tfrecord_record.h"

namespace {

/// The input as a regular file the reader can open (a memfd, so no disk is touched).
class MemoryFile {
 public:
  explicit MemoryFile(std::string_view bytes) : fd_(memfd_create("fuzz_nb101_record", 0)) {
    if (fd_ >= 0 && write(fd_, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~MemoryFile() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static nas::bench::Nb101RecordDecoder decoder;  // reuses its buffers, as the importer does
  nas::bench::Nb101TfRecord record;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    decoder.decode(bytes, record);
  } catch (const nas::Error&) {
  }
  const MemoryFile file(bytes);
  if (!file.ok()) return 0;
  try {
    nas::bench::TfRecordReader reader(file.path(), "fuzzed TFRecord file", /*max_record_bytes=*/1u << 16);
    std::string framed;
    while (reader.next(framed)) {
      try {
        decoder.decode(framed, record);
      } catch (const nas::Error&) {
      }
    }
  } catch (const nas::Error&) {
  }
  return 0;
}

// libFuzzer target for the pickle reader and the bzip2 decoder.
//
// Every input is fed to pickle::parse as is, and to bzip2_decompress with a small output cap (a
// successful decompression is parsed too, so seeds made with bz2 reach the pickle reader). Both
// must either succeed or throw nas::Error; anything else (a crash, a sanitizer report, another
// exception type, a leak) is a bug. Run: fuzz_pickle tests/fuzz/corpus/pickle (on a copy).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nas/benchmark_api/compressed_file.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/pickle.h"

namespace {

// Touches the parsed tree through the public API, so the accessors are fuzzed as well.
void exercise(const nas::bench::pickle::Value& value) {
  (void)value.to_debug_string(256);
  if (value.is_dict()) {
    (void)value.find("meta_archs");
    for (const auto& item : value.items()) (void)value.find(item.first);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    exercise(nas::bench::pickle::parse(bytes));
  } catch (const nas::Error&) {
  }
  try {
    const std::string decompressed = nas::bench::bzip2_decompress(bytes, /*max_output_bytes=*/std::size_t{1} << 16);
    exercise(nas::bench::pickle::parse(decompressed));
  } catch (const nas::Error&) {
  }
  return 0;
}

// Fuzz target: opening a benchmark store. Arbitrary bytes written to a file must either open (and
// then answer lookups without reading outside the mapping) or be rejected with nas::Error.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/nas_fuzz_store_" + std::to_string(::getpid()) + ".nasbench";
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return 0;
  std::fwrite(data, 1, size, file);
  std::fclose(file);
  try {
    const nas::bench::Store store = nas::bench::Store::open(path);
    for (const auto& column : store.columns()) {
      for (std::uint32_t arch : {0u, 1u, store.num_archs() - 1}) (void)column.value(arch, -1);
    }
  } catch (const nas::Error&) {
  }
  return 0;
}

// Fuzz target: the arch-string parsers of both spaces. Any input must either parse to an arch that
// formats back to the same string and round-trips through its index, or throw nas::Error.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/size_space.h"
#include "nas/benchmark_api/topology_space.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  using namespace nas::bench;
  try {
    const TssArch arch = parse_tss_arch(text);
    if (format_tss_arch(arch) != text) std::abort();
    if (tss_arch_at(tss_index_of(arch)) != arch) std::abort();
    (void)tss_unique_str(arch);
  } catch (const nas::Error&) {
  }
  try {
    const SssArch arch = parse_sss_arch(text);
    if (format_sss_arch(arch) != text) std::abort();
    if (sss_arch_at(sss_index_of(arch)) != arch) std::abort();
  } catch (const nas::Error&) {
  }
  return 0;
}

// Fuzz target: the arch-string parser of every space (through its SpaceDefinition, so a new space
// is fuzzed without a change here). Any input must either parse to an arch that formats back to
// the same string, whose canonical form and details can be computed, or throw nas::Error.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/search_space.h"
#include "nas/benchmark_api/space.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  using namespace nas::bench;
  for (const SpaceDefinition* space : all_spaces()) {
    try {
      const ArchId arch = space->parse_arch(text);
      if (arch >= space->num_archs()) std::abort();
      if (space->format_arch(arch) != text) std::abort();
      (void)space->arch_details(arch);
      const auto search_space = space->make_search_space();
      if (search_space->parse(text) != arch) std::abort();
      if (search_space->from_decisions(search_space->decisions(arch)) != arch) std::abort();
      (void)search_space->canonical_form(arch);
    } catch (const nas::Error&) {
    }
  }
  return 0;
}

// Fuzz target: the arch-string parser of every space (through its SpaceDefinition, so a new space
// is fuzzed without a change here). Any input must either parse to an arch whose string parses back
// to it and is a fixed point of format(parse(.)), whose canonical form and details can be computed,
// or throw nas::Error. (A space may accept several strings for one arch: nb101 takes unpruned,
// renumbered and JSON forms of a cell and prints the stored one, so the input itself need not come
// back. nb101 needs the build's cell list, nb101-cells.bin: point NAS_BENCH_DIR at a folder holding
// it, or the fuzzer sees nb101 refuse every input.)
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
      const std::string formatted = space->format_arch(arch);
      if (space->parse_arch(formatted) != arch || space->format_arch(space->parse_arch(formatted)) != formatted) std::abort();
      (void)space->arch_details(arch);
      const auto search_space = space->make_search_space();
      if (search_space->parse(text) != arch || search_space->format(arch) != formatted) std::abort();
      if (search_space->from_decisions(search_space->decisions(arch)) != arch) std::abort();
      (void)search_space->canonical_form(arch);
    } catch (const nas::Error&) {
    }
  }
  return 0;
}

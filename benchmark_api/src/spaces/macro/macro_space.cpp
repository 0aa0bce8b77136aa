// NAS-Bench-Macro codes, index order, equivalence classes and exact cost (see macro_space.h).
#include "nas/benchmark_api/macro/macro_space.h"

#include <algorithm>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/text.h"

namespace nas::bench {

std::string_view macro_block_name(int block) {
  static constexpr std::array<std::string_view, kMacroNumChoices> kNames{"identity", "mb3_k3", "mb6_k5"};
  return kNames.at(static_cast<std::size_t>(block));
}

int macro_block_expansion(int block) { return block == 1 ? 3 : block == 2 ? 6 : 0; }
int macro_block_kernel(int block) { return block == 1 ? 3 : block == 2 ? 5 : 0; }

MacroArch parse_macro_arch(std::string_view code) {
  auto fail = [&](const std::string& why) -> void {
    throw Error("malformed macro arch " + nas::quoted(code) + ": " + why +
                " (expected 8 digits, one per layer: 0 identity, 1 mb3_k3, 2 mb6_k5, e.g. 02012100)");
  };
  if (code.size() != kMacroNumLayers) fail("it has " + std::to_string(code.size()) + " characters");
  MacroArch arch;
  for (int layer = 0; layer < kMacroNumLayers; ++layer) {
    const char c = code[static_cast<std::size_t>(layer)];
    if (c < '0' || c > '2') fail("layer " + std::to_string(layer) + " is " + nas::quoted(std::string_view(&c, 1)));
    arch.blocks[static_cast<std::size_t>(layer)] = static_cast<std::uint8_t>(c - '0');
  }
  return arch;
}

std::string format_macro_arch(const MacroArch& arch) {
  std::string code(kMacroNumLayers, '0');
  for (int layer = 0; layer < kMacroNumLayers; ++layer) code[static_cast<std::size_t>(layer)] = static_cast<char>('0' + arch.blocks[static_cast<std::size_t>(layer)]);
  return code;
}

std::uint32_t macro_index_of(const MacroArch& arch) {
  std::uint32_t index = 0;
  for (std::uint8_t block : arch.blocks) index = index * kMacroNumChoices + block;
  return index;
}

MacroArch macro_arch_at(std::uint32_t index) {
  if (index >= kMacroNumArchs) throw Error("macro arch index " + std::to_string(index) + " out of range [0, 6560]");
  MacroArch arch;
  for (int layer = kMacroNumLayers - 1; layer >= 0; --layer) {
    arch.blocks[static_cast<std::size_t>(layer)] = static_cast<std::uint8_t>(index % kMacroNumChoices);
    index /= kMacroNumChoices;
  }
  return arch;
}

MacroArch macro_canonical(const MacroArch& arch) {
  MacroArch canonical = arch;
  for (std::size_t stage = 0; stage < kMacroStageStarts.size(); ++stage) {
    const std::size_t first = static_cast<std::size_t>(kMacroStageStarts[stage]);
    const std::size_t end = stage + 1 < kMacroStageStarts.size() ? static_cast<std::size_t>(kMacroStageStarts[stage + 1])
                                                                   : static_cast<std::size_t>(kMacroNumLayers);
    // The first (strided) layer stays; the others' no-op identities move to the end of the stage.
    std::stable_partition(canonical.blocks.begin() + static_cast<std::ptrdiff_t>(first + 1),
                          canonical.blocks.begin() + static_cast<std::ptrdiff_t>(end),
                          [](std::uint8_t block) { return block != 0; });
  }
  return canonical;
}

bool macro_is_canonical(const MacroArch& arch) { return macro_canonical(arch) == arch; }

MacroCost macro_network_cost(const MacroArch& arch) {
  using U = std::uint64_t;
  MacroCost cost;
  const U stem = kMacroStemChannels;
  cost.params += 3 * stem * 9 + 2 * stem;            // Conv3x3(3->32) + BN
  cost.flops += 3 * stem * 9 * kMacroImageSize * kMacroImageSize;
  U h = kMacroImageSize;
  for (int layer = 0; layer < kMacroNumLayers; ++layer) {
    const MacroLayerShape& shape = kMacroLayers[static_cast<std::size_t>(layer)];
    const U c = static_cast<U>(shape.in_channels), c_out = static_cast<U>(shape.out_channels);
    const U s = static_cast<U>(shape.stride);
    const U h_out = h / s;
    const int block = arch.blocks[static_cast<std::size_t>(layer)];
    if (block == 0) {
      if (s != 1 || c != c_out) {  // a projection: Conv1x1(c -> c_out, stride s) + BN, no ReLU
        cost.params += c * c_out + 2 * c_out;
        cost.flops += c * c_out * h_out * h_out;
      }
    } else {
      const U hidden = c * static_cast<U>(macro_block_expansion(block));
      const U k = static_cast<U>(macro_block_kernel(block));
      // Pw Conv1x1(c -> hidden) + BN, depthwise Conv kxk (stride s) + BN, pw-linear Conv1x1 + BN.
      cost.params += c * hidden + hidden * k * k + hidden * c_out + 4 * hidden + 2 * c_out;
      cost.flops += c * hidden * h * h + hidden * k * k * h_out * h_out + hidden * c_out * h_out * h_out;
    }
    h = h_out;
  }
  const U head = kMacroHeadChannels, last = static_cast<U>(kMacroLayers.back().out_channels);
  cost.params += last * head + 2 * head + head * kMacroNumClassesOut + kMacroNumClassesOut;
  cost.flops += last * head * h * h + head * kMacroNumClassesOut;
  return cost;
}

}  // namespace nas::bench

// Size space: "C0:C1:C2:C3:C4" strings and the odometer index order.
#include "nas/benchmark_api/size_space.h"

#include "nas/benchmark_api/error.h"

namespace nas::bench {
namespace {

[[noreturn]] void throw_parse_error(std::string_view text, const std::string& what) {
  throw Error("malformed size arch string '" + std::string(text.substr(0, 200)) + "': " + what +
              " (expected five widths from 8,16,...,64 joined by ':', e.g. 8:16:24:32:64)");
}

}  // namespace

SssArch parse_sss_arch(std::string_view text) {
  SssArch arch;
  std::size_t pos = 0;
  for (int layer = 0; layer < kSssNumLayers; ++layer) {
    if (layer > 0) {
      if (pos >= text.size() || text[pos] != ':') throw_parse_error(text, "expected ':' before layer " + std::to_string(layer));
      ++pos;
    }
    int width = 0;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 3) {
      width = width * 10 + (text[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits == 0) throw_parse_error(text, "layer " + std::to_string(layer) + " has no width");
    if (digits > 1 && text[pos - digits] == '0') throw_parse_error(text, "widths are written without leading zeros");
    if (width % 8 != 0 || width < 8 || width > 64) {
      throw_parse_error(text, "width " + std::to_string(width) + " of layer " + std::to_string(layer) +
                                  " is not a candidate");
    }
    arch.choice[layer] = static_cast<std::uint8_t>(width / 8 - 1);
  }
  if (pos != text.size()) throw_parse_error(text, "unexpected text after the fifth width");
  return arch;
}

std::string format_sss_arch(const SssArch& arch) {
  std::string out;
  for (int layer = 0; layer < kSssNumLayers; ++layer) {
    if (layer > 0) out += ':';
    out += std::to_string(arch.channels(layer));
  }
  return out;
}

std::uint32_t sss_index_of(const SssArch& arch) {
  std::uint32_t index = 0;
  for (int layer = 0; layer < kSssNumLayers; ++layer) {
    if (arch.choice[layer] >= kSssNumCandidates) throw Error("size arch candidate out of range");
    index = index * kSssNumCandidates + arch.choice[layer];
  }
  return index;
}

SssArch sss_arch_at(std::uint32_t index) {
  if (index >= kSssNumArchs) {
    throw Error("size arch index " + std::to_string(index) + " out of range [0, " + std::to_string(kSssNumArchs - 1) +
                "]");
  }
  SssArch arch;
  for (int layer = kSssNumLayers - 1; layer >= 0; --layer) {
    arch.choice[layer] = static_cast<std::uint8_t>(index % kSssNumCandidates);
    index /= kSssNumCandidates;
  }
  return arch;
}

}  // namespace nas::bench

// The NATS-Bench size search space ("sss"): 32,768 channel configurations.
//
// A configuration gives the width of 5 layers, each one of 8, 16, ..., 64. Following the model code
// (not the README): C0 = stem and first cell, C1 = first residual block, C2 = second cell,
// C3 = second residual block, C4 = third cell and classifier input. The string form is
// "C0:C1:C2:C3:C4"; the index is the odometer over the candidates with C0 most significant.
// The cell topology is fixed to tss index 9930.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace nas::bench {

inline constexpr int kSssNumLayers = 5;
inline constexpr int kSssNumCandidates = 8;
inline constexpr std::array<int, kSssNumCandidates> kSssCandidates{8, 16, 24, 32, 40, 48, 56, 64};
inline constexpr std::uint32_t kSssNumArchs = 32768;
/// The fixed cell of every size-space network (tss index 9930).
inline constexpr std::string_view kSssCellArch =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";

/// One configuration: the candidate index (0..7, i.e. width 8*(k+1)) of each layer.
struct SssArch {
  std::array<std::uint8_t, kSssNumLayers> choice{};
  int channels(int layer) const { return kSssCandidates[choice[layer]]; }
  friend bool operator==(const SssArch& a, const SssArch& b) { return a.choice == b.choice; }
  friend bool operator!=(const SssArch& a, const SssArch& b) { return !(a == b); }
};

/// Parses "C0:C1:C2:C3:C4" (plain decimal widths from the candidate list); throws nas::Error otherwise.
SssArch parse_sss_arch(std::string_view text);
std::string format_sss_arch(const SssArch& arch);

std::uint32_t sss_index_of(const SssArch& arch);
/// Throws nas::Error if the index is out of range.
SssArch sss_arch_at(std::uint32_t index);

}  // namespace nas::bench

// NAS-Bench-Macro (Su et al., CVPR 2021): 8 searchable layers of a MobileNetV2-like network on
// CIFAR-10, each one of three blocks, 3^8 = 6,561 codes.
//
// A code is 8 digits, layer 0 first: 0 = Identity, 1 = MB3_K3 (inverted residual, expansion 3,
// kernel 3), 2 = MB6_K5 (expansion 6, kernel 5), e.g. "02012100". The index order is the code read
// as a base-3 number: "00000000" = 0, "00000001" = 1, ..., "22222222" = 6,560 (the official file
// lists its codes in another order, canonical codes first; the importer maps them by code).
//
// The network (the official train/model.py): stem Conv3x3(3->32)+BN+ReLU at 32x32, stages of 2, 3
// and 3 layers whose first layer has stride 2 and doubles the channels (32->64->128->256), head
// Conv1x1(256->1280)+BN+ReLU, global pooling, Linear(1280->10). An Identity in a stage's first layer
// is a strided Conv1x1+BN projection, elsewhere a no-op; so within a stage the position of the
// no-op identities does not matter, and codes that differ only there are the same network: the
// equivalence classes (3,969 of them) of macro_canonical_code.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "nas/benchmark_api/space.h"

namespace nas::bench {

inline constexpr int kMacroNumLayers = 8;
inline constexpr int kMacroNumChoices = 3;
inline constexpr std::uint32_t kMacroNumArchs = 6561;  // 3^8
inline constexpr std::uint32_t kMacroNumClasses = 3969;

/// The block of a layer: 0 Identity, 1 MB3_K3, 2 MB6_K5.
enum class MacroBlock : std::uint8_t { Identity = 0, Mb3K3 = 1, Mb6K5 = 2 };
/// "identity", "mb3_k3", "mb6_k5".
std::string_view macro_block_name(int block);
/// Expansion ratio and kernel size of an inverted-residual block (1, 2); Identity has none.
int macro_block_expansion(int block);
int macro_block_kernel(int block);

/// The fixed skeleton: per searchable layer, its stride and its input/output channels.
struct MacroLayerShape {
  int stride, in_channels, out_channels;
};
inline constexpr std::array<MacroLayerShape, kMacroNumLayers> kMacroLayers{{
    {2, 32, 64}, {1, 64, 64}, {2, 64, 128}, {1, 128, 128}, {1, 128, 128}, {2, 128, 256}, {1, 256, 256}, {1, 256, 256}}};
inline constexpr int kMacroStemChannels = 32;
inline constexpr int kMacroHeadChannels = 1280;
inline constexpr int kMacroImageSize = 32;
inline constexpr int kMacroNumClassesOut = 10;  // CIFAR-10
/// Epochs of each of the benchmark's training runs (MAC:train/train.py); a record is the best
/// test accuracy over them.
inline constexpr int kMacroTrainingEpochs = 50;
/// The first layer of each stage ([0, 1], [2, 3, 4], [5, 6, 7]).
inline constexpr std::array<int, 3> kMacroStageStarts{0, 2, 5};

struct MacroArch {
  std::array<std::uint8_t, kMacroNumLayers> blocks{};
  friend bool operator==(const MacroArch& a, const MacroArch& b) { return a.blocks == b.blocks; }
};

/// Parses "02012100"; throws nas::Error naming the problem (length, a digit other than 0-2).
MacroArch parse_macro_arch(std::string_view code);
std::string format_macro_arch(const MacroArch& arch);
/// The index order: the code as a base-3 number.
std::uint32_t macro_index_of(const MacroArch& arch);
MacroArch macro_arch_at(std::uint32_t index);

/// The canonical code of an arch's equivalence class: per stage, the first layer's block, then the
/// stage's other non-identity blocks in their order, then its identities (22212202 -> 22212220).
MacroArch macro_canonical(const MacroArch& arch);
bool macro_is_canonical(const MacroArch& arch);

/// Exact cost of the network (official train/utils.py definitions): params = every parameter
/// (conv weights, BN affine, linear weight and bias); FLOPs = conv + linear multiply-accumulates
/// per image (BN, ReLU, pooling, the residual add and the linear bias count 0).
struct MacroCost {
  std::uint64_t params = 0;
  std::uint64_t flops = 0;
};
MacroCost macro_network_cost(const MacroArch& arch);

}  // namespace nas::bench

// Exact parameter and FLOP counts of TinyNetwork (topology space) and DynamicShapeTinyNet (size space).
//
// Accounting rules (the ones the official records were produced with, see nats-reference.md §3.4):
//   params = trainable tensors only: conv / linear weights (+ bias where present) and the BN affine
//            pair (gamma, beta) = 2*C. BN running statistics are buffers, not parameters.
//   MACs   = Conv2d: k*k*C_in*C_out*H_out*W_out (no conv here has a bias or groups), and
//            Linear: in*out + out (bias). BN, ReLU, pooling and tensor additions count nothing, and
//            neither do `none`, identity `skip_connect` and `avg_pool_3x3` without a preprocess.
// Everything is summed in int64 and divided by 1e6 once at the end, so a result is the correctly
// rounded double of count/1e6, i.e. bit-identical to the stored Python value.
//
// Layer-by-layer, for a network on H x H inputs (H = 32 for CIFAR, 16 for ImageNet16-120):
//   stem        Conv3x3(3->C0, pad 1) at H, BN(C0)
//   cells       per edge, at the cell's resolution (all cell ops keep the resolution):
//                 none                      nothing
//                 skip_connect, Cin == Cout identity, nothing
//                 skip_connect, Cin != Cout FactorizedReduce stride 1: Conv1x1(Cin->Cout) + BN(Cout)
//                 nor_conv_kxk              ReLU, Convkxk(Cin->Cout), BN(Cout)
//                 avg_pool_3x3, Cin == Cout nothing (the pool itself is free)
//                 avg_pool_3x3, Cin != Cout ReLU, Conv1x1(Cin->Cout), BN(Cout), then the free pool
//               edges leaving node 0 map Cin->Cout, all other edges Cout->Cout.
//   ResBlock    (stride 2, output at H/2 of its input): conv_a Conv3x3(Cin->Cout, s2) + BN(Cout),
//               conv_b Conv3x3(Cout->Cout) + BN(Cout), shortcut AvgPool2x2 (free) -> Conv1x1(Cin->Cout)
//               with no BN; all three convs produce the H/2 map.
//   head        BN(C) (2*C params), ReLU, global pool (free), Linear(C->classes) with bias.
// TinyNetwork: C0 = 16, stages of 5 identical cells at 16/32/64 channels and H, H/2, H/4.
// DynamicShapeTinyNet: stem C0; cell C0->C0 at H; ResBlock C0->C1; cell C1->C2 at H/2;
// ResBlock C2->C3; cell C3->C4 at H/4; head on C4.
#include "nas/benchmark_api/cost_model.h"

#include <cstdint>
#include <string>

#include "nas/benchmark_api/error.h"

namespace nas::bench {
namespace {

/// Raw integer counts; converted to millions only once, at the very end.
struct Count {
  std::int64_t params = 0;
  std::int64_t macs = 0;
  Count& operator+=(const Count& other) {
    params += other.params;
    macs += other.macs;
    return *this;
  }
};

Count operator*(std::int64_t times, const Count& count) { return {times * count.params, times * count.macs}; }

// The largest input side accepted: keeps every count far below int64 overflow (64x64 3x3 convs at
// 65536^2 pixels are ~1.6e14 MACs each).
constexpr int kMaxImageSize = 1 << 16;
// TinyNetwork's fixed hyper-parameters in the benchmark (C=16, N=5).
constexpr int kTssStemChannels = 16;
constexpr int kTssCellsPerStage = 5;
constexpr int kTssNumStages = 3;

/// Conv2d without bias or groups producing a `out_side` x `out_side` map.
Count conv(std::int64_t kernel, std::int64_t c_in, std::int64_t c_out, std::int64_t out_side) {
  const std::int64_t weights = kernel * kernel * c_in * c_out;
  return {weights, weights * out_side * out_side};
}

/// Affine BatchNorm: gamma and beta; the benchmark does not count BN arithmetic as FLOPs.
Count batch_norm(std::int64_t channels) { return {2 * channels, 0}; }

/// ReLU -> Conv (no bias: the benchmark builds ops with affine=True, and bias = not affine) -> BN.
/// Also the shape of FactorizedReduce at stride 1 (no ReLU there, which costs nothing anyway).
Count conv_bn(std::int64_t kernel, std::int64_t c_in, std::int64_t c_out, std::int64_t side) {
  Count count = conv(kernel, c_in, c_out, side);
  count += batch_norm(c_out);
  return count;
}

/// One cell edge carrying `op`, mapping c_in -> c_out channels at stride 1.
Count edge_cost(int op, std::int64_t c_in, std::int64_t c_out, std::int64_t side) {
  const bool reshapes = c_in != c_out;
  switch (op) {
    case kOpNone:
      return {};
    case kOpSkip:  // identity, or FactorizedReduce(stride 1) = Conv1x1 + BN when the width changes
      return reshapes ? conv_bn(1, c_in, c_out, side) : Count{};
    case kOpConv1x1:
      return conv_bn(1, c_in, c_out, side);
    case kOpConv3x3:
      return conv_bn(3, c_in, c_out, side);
    case kOpAvgPool:  // the pool is free; a width change adds a ReLUConvBN 1x1 preprocess
      return reshapes ? conv_bn(1, c_in, c_out, side) : Count{};
    default:
      throw Error("cost model: invalid topology op code " + std::to_string(op) + " (expected 0.." +
                  std::to_string(kTssNumOps - 1) + ")");
  }
}

/// InferCell: edges leaving the input node 0 map c_in -> c_out, every other edge c_out -> c_out.
Count cell_cost(const TssArch& cell, std::int64_t c_in, std::int64_t c_out, std::int64_t side) {
  Count count;
  for (int e = 0; e < kTssNumEdges; ++e) {
    const std::int64_t edge_in = kTssEdgeFrom[e] == 0 ? c_in : c_out;
    count += edge_cost(cell.ops[e], edge_in, c_out, side);
  }
  return count;
}

/// ResNetBasicblock with stride 2; `out_side` is the (halved) side of its output.
Count reduction_block_cost(std::int64_t c_in, std::int64_t c_out, std::int64_t out_side) {
  Count count = conv_bn(3, c_in, c_out, out_side);  // conv_a, stride 2
  count += conv_bn(3, c_out, c_out, out_side);      // conv_b
  count += conv(1, c_in, c_out, out_side);          // shortcut: after the free 2x2 pool, no BN
  return count;
}

/// Conv3x3(3 -> channels) + BN on the full-resolution input.
Count stem_cost(std::int64_t channels, std::int64_t side) { return conv_bn(3, 3, channels, side); }

/// BN -> ReLU -> global average pool -> Linear with bias.
Count head_cost(std::int64_t channels, std::int64_t num_classes) {
  const std::int64_t linear = channels * num_classes + num_classes;
  Count count = batch_norm(channels);
  count += Count{linear, linear};
  return count;
}

/// Both networks halve the resolution twice, and the stride-2 conv (ceil) must agree with the 2x2
/// pool of the shortcut (floor), so the side must be a positive multiple of 4.
void check_inputs(int num_classes, int image_size) {
  if (num_classes < 1) {
    throw Error("cost model: num_classes must be positive, got " + std::to_string(num_classes));
  }
  if (image_size < 4 || image_size > kMaxImageSize || image_size % 4 != 0) {
    throw Error("cost model: image_size must be a multiple of 4 in [4, " + std::to_string(kMaxImageSize) +
                "], got " + std::to_string(image_size));
  }
}

NetworkCost to_millions(const Count& count) {
  return {static_cast<double>(count.params) / 1e6, static_cast<double>(count.macs) / 1e6};
}

}  // namespace

NetworkCost tss_network_cost(const TssArch& cell, int num_classes, int image_size) {
  check_inputs(num_classes, image_size);
  std::int64_t channels = kTssStemChannels;
  std::int64_t side = image_size;
  Count count = stem_cost(channels, side);
  for (int stage = 0; stage < kTssNumStages; ++stage) {
    if (stage > 0) {
      count += reduction_block_cost(channels, 2 * channels, side / 2);
      channels *= 2;
      side /= 2;
    }
    // The N cells of a stage are identical (C -> C, stride 1).
    count += kTssCellsPerStage * cell_cost(cell, channels, channels, side);
  }
  count += head_cost(channels, num_classes);
  return to_millions(count);
}

NetworkCost sss_network_cost(const SssArch& config, int num_classes, int image_size) {
  check_inputs(num_classes, image_size);
  for (int layer = 0; layer < kSssNumLayers; ++layer) {
    if (config.choice[layer] >= kSssNumCandidates) {
      throw Error("cost model: invalid size-space choice " + std::to_string(config.choice[layer]) +
                  " at layer " + std::to_string(layer) + " (expected 0.." +
                  std::to_string(kSssNumCandidates - 1) + ")");
    }
  }
  // tss index 9930, spelled out as op codes so this file needs no arch-string parser.
  static constexpr TssArch kCell{{kOpConv3x3, kOpConv3x3, kOpConv3x3, kOpSkip, kOpConv3x3, kOpConv3x3}};
  const std::int64_t c0 = config.channels(0);
  const std::int64_t c1 = config.channels(1);
  const std::int64_t c2 = config.channels(2);
  const std::int64_t c3 = config.channels(3);
  const std::int64_t c4 = config.channels(4);
  const std::int64_t side = image_size;

  Count count = stem_cost(c0, side);
  count += cell_cost(kCell, c0, c0, side);
  count += reduction_block_cost(c0, c1, side / 2);
  count += cell_cost(kCell, c1, c2, side / 2);
  count += reduction_block_cost(c2, c3, side / 4);
  count += cell_cost(kCell, c3, c4, side / 4);
  count += head_cost(c4, num_classes);
  return to_millions(count);
}

}  // namespace nas::bench

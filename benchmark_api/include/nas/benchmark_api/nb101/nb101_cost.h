// The exact size and cost of the network NAS-Bench-101 trains for a cell (nasbench's
// model_builder.py and base_ops.py; the figures of its data files).
//
// The network: a stem conv_bn_relu 3x3 (3 -> 128) on 32x32 CIFAR-10 images, then 3 stacks of 3
// modules (the cell), with a 2x2 stride-2 max pool before stacks 1 and 2, each of which doubles the
// channels (128, 256, 512 at 32x32, 16x16, 8x8), then global average pooling and a dense layer
// (512 -> 10, with bias). A conv_bn_relu is a bias-free 'same' convolution, a batch norm with
// trainable scale and offset, and a ReLU.
//
// Inside a module, the output's channels are split over the vertices that feed it
// (nb101_vertex_channels); the input reaches an inner vertex t through a 1x1 conv_bn_relu projection
// to t's channels, and reaches the output (if there is an edge) through a projection to the
// output's channels, added to the concatenation of the other vertices. Max pools keep the channels;
// several inputs of a vertex are summed (truncated to its channels).
#pragma once

#include <cstdint>
#include <vector>

#include "nas/benchmark_api/nb101/nb101_spec.h"

namespace nas::bench {

inline constexpr int kNb101StemChannels = 128;
inline constexpr int kNb101NumStacks = 3;
inline constexpr int kNb101ModulesPerStack = 3;
inline constexpr int kNb101ImageSize = 32;
inline constexpr int kNb101NumClasses = 10;

/// nasbench's compute_vertex_channels: the channels of each vertex of a module from `in_channels`
/// to `out_channels`. The output's channels are split evenly over the inner vertices that feed it,
/// the earliest of them taking one more while there is a remainder; a vertex that does not feed
/// the output takes the most channels of its inner successors. Vertex 0 has in_channels.
std::vector<int> nb101_vertex_channels(const Nb101Spec& spec, int in_channels, int out_channels);

struct Nb101Cost {
  /// Trainable parameters: conv weights, batch-norm scale and offset, dense weights and bias. This
  /// is the `trainable_parameters` of the official data (and NASLib's `params` x 1e6).
  std::uint64_t params = 0;
  /// Multiply-accumulates of one 32x32 image's forward pass: those of the convolutions (k*k*C_in
  /// per output element) and of the dense layer (512 x 10). Batch norm, ReLU, pooling, additions,
  /// concatenation and the dense bias count 0. NASLib's `flops` is another definition (tensorwatch's
  /// counter, which also counts batch norm, ReLU and pooling), so its figures differ from these.
  std::uint64_t macs = 0;
};

Nb101Cost nb101_network_cost(const Nb101Spec& spec);

}  // namespace nas::bench

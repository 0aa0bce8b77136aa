// Vertex channels, parameters and multiply-accumulates of a NAS-Bench-101 network (see nb101_cost.h).
#include "nas/benchmark_api/nb101/nb101_cost.h"

#include <algorithm>

#include "nas/benchmark_api/error.h"

namespace nas::bench {
namespace {

using U = std::uint64_t;

// A conv_bn_relu k x k from a to b channels at `pixels` output positions.
void add_conv_bn_relu(Nb101Cost& cost, U k, U a, U b, U pixels) {
  cost.params += k * k * a * b + 2 * b;  // bias-free weights, then batch-norm scale and offset
  cost.macs += k * k * a * b * pixels;
}

void add_module(Nb101Cost& cost, const Nb101Spec& spec, int in_channels, int out_channels, U pixels) {
  const std::vector<int> channels = nb101_vertex_channels(spec, in_channels, out_channels);
  const int n = spec.num_vertices();
  const int output = n - 1;
  for (int t = 1; t < output; ++t) {
    const auto c = static_cast<U>(channels[static_cast<std::size_t>(t)]);
    if (spec.has_edge(0, t)) add_conv_bn_relu(cost, 1, static_cast<U>(in_channels), c, pixels);  // input projection
    if (spec.op(t) == Nb101Op::Conv3x3) add_conv_bn_relu(cost, 3, c, c, pixels);
    if (spec.op(t) == Nb101Op::Conv1x1) add_conv_bn_relu(cost, 1, c, c, pixels);
  }
  // The projection of the input to the output: an edge 0 -> output, or the whole module when no
  // inner vertex is left (the 2-vertex cell).
  if (spec.has_edge(0, output) || n == 2) add_conv_bn_relu(cost, 1, static_cast<U>(in_channels), static_cast<U>(out_channels), pixels);
}

}  // namespace

std::vector<int> nb101_vertex_channels(const Nb101Spec& spec, int in_channels, int out_channels) {
  const int n = spec.num_vertices();
  const int output = n - 1;
  std::vector<int> channels(static_cast<std::size_t>(n), 0);
  channels.front() = in_channels;
  channels.back() = out_channels;
  if (n == 2) return channels;
  int feeders = 0;  // inner vertices with an edge to the output
  for (int v = 1; v < output; ++v) feeders += spec.has_edge(v, output) ? 1 : 0;
  const int share = out_channels / feeders;
  int remainder = out_channels % feeders;
  for (int v = 1; v < output; ++v) {
    if (!spec.has_edge(v, output)) continue;
    channels[static_cast<std::size_t>(v)] = share + (remainder > 0 ? 1 : 0);
    if (remainder > 0) --remainder;
  }
  // Backwards, so a vertex's successors are set before it; vertex n-2 always feeds the output.
  for (int v = n - 3; v >= 1; --v) {
    if (spec.has_edge(v, output)) continue;
    for (int d = v + 1; d < output; ++d) {
      if (spec.has_edge(v, d)) channels[static_cast<std::size_t>(v)] = std::max(channels[static_cast<std::size_t>(v)], channels[static_cast<std::size_t>(d)]);
    }
  }
  // nasbench asserts these; a cell where they fail would have a vertex without channels, so
  // saying which is better than a zero-sized layer.
  for (int v = 1; v < output; ++v) {
    if (channels[static_cast<std::size_t>(v)] <= 0) {
      throw Error("NAS-Bench-101 vertex " + std::to_string(v) + " gets no channels with " + std::to_string(out_channels) +
                  " output channels");
    }
  }
  return channels;
}

Nb101Cost nb101_network_cost(const Nb101Spec& spec) {
  Nb101Cost cost;
  U size = kNb101ImageSize;
  add_conv_bn_relu(cost, 3, 3, kNb101StemChannels, size * size);
  int channels = kNb101StemChannels;
  for (int stack = 0; stack < kNb101NumStacks; ++stack) {
    int out_channels = channels;
    if (stack > 0) {
      size /= 2;  // the 2x2 stride-2 max pool: no parameters, no multiply-accumulates
      out_channels *= 2;
    }
    for (int module = 0; module < kNb101ModulesPerStack; ++module) {
      add_module(cost, spec, channels, out_channels, size * size);
      channels = out_channels;
    }
  }
  const auto features = static_cast<U>(channels);
  cost.params += features * kNb101NumClasses + kNb101NumClasses;
  cost.macs += features * kNb101NumClasses;
  return cost;
}

}  // namespace nas::bench

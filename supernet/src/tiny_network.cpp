// NAS-Bench-201's final network for one topology cell (reference §3.2).
#include "nas/supernet/tiny_network.h"

#include <algorithm>
#include <string>

#include "nas/benchmark_api/error.h"

namespace nas::supernet {

InferCellImpl::InferCellImpl(const bench::TssArch& arch, int c_in, int c_out, int stride, bool affine,
                             bool track_running_stats)
    : arch_(arch) {
  for (int edge = 0; edge < bench::kTssNumEdges; ++edge) {
    const bool from_input = bench::kTssEdgeFrom[edge] == 0;
    OperationPtr op = make_operation(arch.ops[edge], from_input ? c_in : c_out, c_out, from_input ? stride : 1, affine,
                                     track_running_stats);
    edges_.push_back(register_module("edge" + std::to_string(edge), op));
  }
}

torch::Tensor InferCellImpl::forward(const torch::Tensor& x) {
  // Outputs of every edge, computed per source node: the ReLU->conv->BN ops leaving a node share
  // one ReLU and, when their BNs use batch statistics (search cells), run as one convolution.
  std::array<torch::Tensor, bench::kTssNumEdges> outputs;
  std::array<torch::Tensor, bench::kTssNumNodes> nodes;
  nodes[0] = x;
  // A `none` edge adds exact zeros (x.mul(0) in the reference): it is left out of the sums, unless
  // every edge into a node is `none`, which keeps the node's zeros (and shape). Adding +0.0 never
  // changes a finite float, so this is the reference's arithmetic without the zero tensors, their
  // additions and their backward.
  constexpr std::uint8_t kNone = 0;
  auto into_node_is_all_none = [this](int node) {
    for (int edge = 0; edge < bench::kTssNumEdges; ++edge) {
      if (bench::kTssEdgeTo[edge] == node && arch_.ops[edge] != kNone) return false;
    }
    return true;
  };
  for (int node = 0; node < bench::kTssNumNodes; ++node) {
    if (node > 0) {
      const bool all_none = into_node_is_all_none(node);
      torch::Tensor sum;
      for (int edge = 0; edge < bench::kTssNumEdges; ++edge) {
        if (bench::kTssEdgeTo[edge] != node || (arch_.ops[edge] == kNone && !all_none)) continue;
        sum = sum.defined() ? sum + outputs[edge] : outputs[edge];
      }
      nodes[node] = sum;
    }
    std::vector<int> conv_edges;
    std::vector<ReLUConvBNImpl*> convs;
    for (int edge = 0; edge < bench::kTssNumEdges; ++edge) {
      if (bench::kTssEdgeFrom[edge] != node) continue;
      if (arch_.ops[edge] == kNone && !into_node_is_all_none(bench::kTssEdgeTo[edge])) continue;
      if (auto* conv = dynamic_cast<ReLUConvBNImpl*>(edges_[edge].get())) {
        conv_edges.push_back(edge);
        convs.push_back(conv);
      } else {
        outputs[edge] = edges_[edge]->forward(nodes[node]);
      }
    }
    if (convs.empty()) continue;
    const torch::Tensor activated = torch::relu(nodes[node]);
    if (convs.size() > 1 && can_fuse_relu_conv_bn(convs)) {
      const torch::Tensor fused = fused_relu_conv_bn(convs, activated);
      std::int64_t offset = 0;
      for (std::size_t i = 0; i < convs.size(); ++i) {
        const std::int64_t width = convs[i]->bn()->options.num_features();
        outputs[conv_edges[i]] = fused.narrow(1, offset, width);
        offset += width;
      }
    } else {
      for (std::size_t i = 0; i < convs.size(); ++i) outputs[conv_edges[i]] = convs[i]->forward_activated(activated);
    }
  }
  return nodes.back();
}

CellNetworkImpl::CellNetworkImpl(const char* name, const bench::TssArch& cell, int stem_channels,
                                 const std::vector<SkeletonLayer>& layers, int num_classes, int in_channels)
    : cell_(cell), num_classes_(num_classes) {
  const bool widths_positive =
      std::all_of(layers.begin(), layers.end(), [](const SkeletonLayer& layer) { return layer.channels > 0; });
  if (stem_channels <= 0 || !widths_positive || num_classes <= 0 || in_channels <= 0) {
    throw Error(std::string(name) + ": channels, classes and input channels must be positive");
  }
  stem_conv_ = register_module(
      "stem_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, stem_channels, 3).padding(1).bias(false)));
  stem_bn_ = register_module("stem_bn", torch::nn::BatchNorm2d(stem_channels));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  int previous = stem_channels;
  for (const SkeletonLayer& layer : layers) {
    if (layer.reduction) {
      ResNetBasicBlock block(previous, layer.channels, 2, true, true);
      blocks_->push_back(block);
      block_list_.emplace_back(block);
    } else {
      InferCell block(cell, previous, layer.channels, 1, true, true);
      blocks_->push_back(block);
      block_list_.emplace_back(block);
    }
    previous = layer.channels;
  }
  lastact_bn_ = register_module("lastact_bn", torch::nn::BatchNorm2d(previous));
  classifier_ = register_module("classifier", torch::nn::Linear(previous, num_classes));
}

std::pair<torch::Tensor, torch::Tensor> CellNetworkImpl::forward_with_features(const torch::Tensor& images) {
  torch::Tensor x = stem_bn_(stem_conv_(images));
  for (auto& block : block_list_) x = block.forward(x);
  x = torch::relu(lastact_bn_(x));
  torch::Tensor features = x.mean({2, 3});
  torch::Tensor logits = classifier_(features);
  return {features, logits};
}

torch::Tensor CellNetworkImpl::forward(const torch::Tensor& images) { return forward_with_features(images).second; }

namespace {

// NAS-Bench-201's layers, checked before they are computed from the stem width.
std::vector<SkeletonLayer> tiny_network_layers(int channels, int cells_per_stage) {
  if (channels <= 0 || cells_per_stage < 0) throw Error("TinyNetwork: channels, classes and input channels must be positive");
  return nas201_skeleton(channels, cells_per_stage);
}

}  // namespace

TinyNetworkImpl::TinyNetworkImpl(const bench::TssArch& cell, int num_classes, int channels, int cells_per_stage,
                                 int in_channels)
    : CellNetworkImpl("TinyNetwork", cell, channels, tiny_network_layers(channels, cells_per_stage), num_classes,
                      in_channels) {}

}  // namespace nas::supernet

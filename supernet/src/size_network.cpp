// NATS-Bench's final network for one channel configuration (reference §3.3).
#include "nas/supernet/size_network.h"

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/topology_space.h"

namespace nas::supernet {

const bench::TssArch& size_space_cell() {
  static const bench::TssArch cell = bench::parse_tss_arch(bench::kSssCellArch);
  return cell;
}

SizeNetworkImpl::SizeNetworkImpl(const bench::SssArch& config, int num_classes, int in_channels) : config_(config) {
  if (num_classes <= 0 || in_channels <= 0) throw Error("SizeNetwork: classes and input channels must be positive");
  const int c0 = config.channels(0);
  stem_conv_ = register_module(
      "stem_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, c0, 3).padding(1).bias(false)));
  stem_bn_ = register_module("stem_bn", torch::nn::BatchNorm2d(c0));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  // Layers 0, 2, 4 are cells, 1 and 3 residual reductions (one cell per stage).
  int previous = c0;
  for (int layer = 0; layer < bench::kSssNumLayers; ++layer) {
    const int width = config.channels(layer);
    if (layer % 2 == 1) {
      ResNetBasicBlock block(previous, width, 2, true, true);
      blocks_->push_back(block);
      block_list_.emplace_back(block);
    } else {
      InferCell block(size_space_cell(), previous, width, 1, true, true);
      blocks_->push_back(block);
      block_list_.emplace_back(block);
    }
    previous = width;
  }
  lastact_bn_ = register_module("lastact_bn", torch::nn::BatchNorm2d(previous));
  classifier_ = register_module("classifier", torch::nn::Linear(previous, num_classes));
}

std::pair<torch::Tensor, torch::Tensor> SizeNetworkImpl::forward_with_features(const torch::Tensor& images) {
  torch::Tensor x = stem_bn_(stem_conv_(images));
  for (auto& block : block_list_) x = block.forward(x);
  x = torch::relu(lastact_bn_(x));
  torch::Tensor features = x.mean({2, 3});
  return {features, classifier_(features)};
}

torch::Tensor SizeNetworkImpl::forward(const torch::Tensor& images) { return forward_with_features(images).second; }

}  // namespace nas::supernet

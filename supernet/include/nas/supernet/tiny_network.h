// The final network of the topology space: NAS-Bench-201's TinyNetwork (reference §3.2), the model
// every benchmark record was trained with.
//
//   TinyNetwork net(bench::parse_tss_arch("|nor_conv_3x3~0|+|...|"), /*num_classes=*/10);
//   torch::Generator gen = make_cpu_generator(0);
//   reinitialize_parameters(*net, gen);                 // optional: deterministic weights
//   torch::Tensor logits = net->forward(images);        // images [B, 3, 32, 32]
//   auto [features, logits2] = net->forward_with_features(images);
//
// Layout: stem Conv3x3(in -> C, no bias) -> BN; N cells at C, ResNetBasicBlock(C -> 2C, stride 2),
// N cells at 2C, ResNetBasicBlock(2C -> 4C, stride 2), N cells at 4C; BN -> ReLU -> global average
// pool -> Linear(4C -> classes). Every BN is affine and tracks running statistics, so
// count_parameters(*net) equals bench::tss_network_cost(cell, classes, size).params_m * 1e6.
#pragma once

#include <torch/torch.h>

#include <array>
#include <utility>
#include <vector>

#include "nas/benchmark_api/topology_space.h"
#include "nas/supernet/operations.h"

namespace nas::supernet {

/// One fixed cell: node i = sum over j < i of op_{i<-j}(node j); output = node 3. Edges leaving the
/// input node map c_in -> c_out with `stride`, the others c_out -> c_out.
class InferCellImpl : public torch::nn::Module {
 public:
  InferCellImpl(const bench::TssArch& arch, int c_in, int c_out, int stride, bool affine = true,
                bool track_running_stats = true);
  torch::Tensor forward(const torch::Tensor& x);
  const bench::TssArch& arch() const { return arch_; }

 private:
  bench::TssArch arch_;
  std::vector<OperationPtr> edges_;  ///< one op per edge, canonical edge order
};
TORCH_MODULE(InferCell);

/// The skeleton both spaces' final networks share: stem Conv3x3(in -> stem width, no bias) -> BN;
/// then per layer either a cell of `cell` or a stride-2 ResNetBasicBlock, from the previous layer's
/// width to its own; BN -> ReLU -> global average pool -> Linear(last width -> classes). Every BN is
/// affine and tracks running statistics.
class CellNetworkImpl : public torch::nn::Module {
 public:
  /// Logits [B, num_classes].
  torch::Tensor forward(const torch::Tensor& images);
  /// (pooled features [B, last width], logits), the pair the reference's forward returns.
  std::pair<torch::Tensor, torch::Tensor> forward_with_features(const torch::Tensor& images);

  const bench::TssArch& cell() const { return cell_; }
  int num_classes() const { return num_classes_; }

 protected:
  /// `name` prefixes the error (nas::Error) for a non-positive width, class count or input channels.
  CellNetworkImpl(const char* name, const bench::TssArch& cell, int stem_channels, const std::vector<SkeletonLayer>& layers,
                  int num_classes, int in_channels);

 private:
  bench::TssArch cell_;
  int num_classes_;
  torch::nn::Conv2d stem_conv_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  torch::nn::ModuleList blocks_{nullptr};
  std::vector<torch::nn::AnyModule> block_list_;
  torch::nn::BatchNorm2d lastact_bn_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};

class TinyNetworkImpl : public CellNetworkImpl {
 public:
  TinyNetworkImpl(const bench::TssArch& cell, int num_classes, int channels = 16, int cells_per_stage = 5,
                  int in_channels = 3);
};
TORCH_MODULE(TinyNetwork);

}  // namespace nas::supernet

// The final network of the size space: NATS-Bench's DynamicShapeTinyNet (reference §3.3), the model
// every size-space record was trained with.
//
//   SizeNetwork net(bench::parse_sss_arch("8:16:24:32:64"), /*num_classes=*/10);
//   torch::Tensor logits = net->forward(images);          // images [B, 3, 32, 32]
//
// Layout (one cell per stage, the cell fixed to tss #9930, bench::kSssCellArch):
//   stem Conv3x3(in -> C0, no bias) -> BN(C0);
//   cell(C0 -> C0), ResNetBasicBlock(C0 -> C1, stride 2), cell(C1 -> C2),
//   ResNetBasicBlock(C2 -> C3, stride 2), cell(C3 -> C4);
//   BN(C4) -> ReLU -> global average pool -> Linear(C4 -> classes).
// A cell whose input and output widths differ reshapes its input-node edges (skip_connect becomes a
// FactorizedReduce, avg_pool gets a 1x1 preprocess, none makes zeros of the output width). Every BN
// is affine and tracks running statistics, so count_parameters(*net) equals
// bench::sss_network_cost(config, classes, size).params_m * 1e6.
#pragma once

#include <torch/torch.h>

#include "nas/benchmark_api/size_space.h"
#include "nas/supernet/tiny_network.h"

namespace nas::supernet {

/// The fixed cell of the size space (tss #9930) as a TssArch.
const bench::TssArch& size_space_cell();

class SizeNetworkImpl : public CellNetworkImpl {
 public:
  SizeNetworkImpl(const bench::SssArch& config, int num_classes, int in_channels = 3);

  const bench::SssArch& config() const { return config_; }

 private:
  bench::SssArch config_;
};
TORCH_MODULE(SizeNetwork);

}  // namespace nas::supernet

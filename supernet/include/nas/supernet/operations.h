// The candidate operations of the NAS-Bench-201 topology space and the blocks of its skeleton
// (reference §3.1), as LibTorch modules.
//
//   auto op = make_operation(bench::kOpConv3x3, /*c_in=*/16, /*c_out=*/16, /*stride=*/1,
//                            /*affine=*/true, /*track_running_stats=*/true);
//   torch::Tensor y = op->forward(x);                 // every op derives from `Operation`
//   ResNetBasicBlock block(16, 32, /*stride=*/2);       // the skeleton's reduction block
//   torch::Generator gen = make_cpu_generator(7);
//   reinitialize_parameters(*block, gen);               // deterministic init, no global RNG
//
// Every module registers its submodules, so parameters(), named_parameters(), to(device),
// train()/eval() and torch::save/load see all of it. Conventions that matter for exactness:
//   - a conv followed by a BN has bias = !affine (the benchmark's rule; counts toward params);
//   - BN hyper-parameters are PyTorch's defaults (eps 1e-5, momentum 0.1);
//   - with track_running_stats = false a BN always normalizes with the batch statistics.
// Nothing here is CPU-specific: new tensors take the input's device, dtype and memory format, so
// the ops run on CUDA and on channels-last inputs unchanged.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace nas::supernet {

/// Common base of the candidate operations, so cells can hold them uniformly.
class Operation : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  /// True only for the `none` op (its output is zero whatever the input).
  virtual bool is_zero() const { return false; }
};
using OperationPtr = std::shared_ptr<Operation>;

/// ReLU -> Conv(k, stride, padding, dilation, bias = !affine) -> BN(affine, track_running_stats).
/// `nor_conv_1x1` (k=1, pad 0) and `nor_conv_3x3` (k=3, pad 1).
class ReLUConvBNImpl : public Operation {
 public:
  ReLUConvBNImpl(int c_in, int c_out, int kernel, int stride, int padding, int dilation, bool affine,
                 bool track_running_stats);
  torch::Tensor forward(const torch::Tensor& x) override;
  /// The same op on an input that has already been through ReLU: cells that feed one node into
  /// several convolutions compute the ReLU once.
  torch::Tensor forward_activated(const torch::Tensor& relu_x);

  torch::nn::Conv2d& conv() { return conv_; }
  torch::nn::BatchNorm2d& bn() { return bn_; }

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(ReLUConvBN);

/// Several ReLUConvBN ops applied to the same (already ReLU'd) input as one convolution and one BN
/// over the concatenated output channels, in the order given. Mathematically identical to running
/// them one by one (convolution output channels and batch-statistics BN channels are independent),
/// and much cheaper for the cell's narrow convolutions. With `scales` (one 0-dim tensor per op), op
/// i's output is multiplied by scales[i] inside the BN's affine transform: the weighting of a
/// supernet edge then costs no extra pass over the data, and the BN backward yields the scales'
/// gradients. The ops must share kernel, stride, padding, dilation and input width, and their BNs
/// must not track running statistics (the running buffers of the individual ops would not be
/// updated); `can_fuse_relu_conv_bn` checks this (a single op qualifies too).
torch::Tensor fused_relu_conv_bn(const std::vector<ReLUConvBNImpl*>& ops, const torch::Tensor& relu_x,
                                 const std::vector<torch::Tensor>& scales = {});
bool can_fuse_relu_conv_bn(const std::vector<ReLUConvBNImpl*>& ops);

/// AvgPool 3x3, `stride`, pad 1, count_include_pad = false (border outputs average the in-image
/// pixels only), computed as a depthwise ones-convolution divided by the window counts, which is
/// several times faster than LibTorch's CPU avg_pool2d forward and backward.
torch::Tensor average_pool_3x3(const torch::Tensor& x, int stride);

/// `avg_pool_3x3`: [ReLUConvBN 1x1 when c_in != c_out] -> average_pool_3x3(stride).
class PoolingImpl : public Operation {
 public:
  PoolingImpl(int c_in, int c_out, int stride, bool affine, bool track_running_stats);
  torch::Tensor forward(const torch::Tensor& x) override;
  /// True when there is no 1x1 preprocess: the op is then a pure function of its input, shared by
  /// every edge leaving the same node.
  bool is_pure_pool() const { return preprocess_.is_empty(); }

 private:
  int stride_;
  ReLUConvBN preprocess_{nullptr};
};
TORCH_MODULE(Pooling);

/// `none`: zeros of shape [N, c_out, ceil(H/stride), ceil(W/stride)] in the input's device, dtype
/// and memory format. Not connected to the autograd graph (its gradient would be zero anyway).
class ZeroImpl : public Operation {
 public:
  ZeroImpl(int c_in, int c_out, int stride);
  torch::Tensor forward(const torch::Tensor& x) override;
  bool is_zero() const override { return true; }

 private:
  int c_in_, c_out_, stride_;
};
TORCH_MODULE(Zero);

/// `skip_connect` with stride 1 and c_in == c_out.
class IdentityImpl : public Operation {
 public:
  torch::Tensor forward(const torch::Tensor& x) override { return x; }
};
TORCH_MODULE(Identity);

/// `skip_connect` when the shape changes.
///   stride 1: Conv1x1(c_in -> c_out, bias = !affine) -> BN (no ReLU).
///   stride 2: ReLU -> [Conv1x1 s2 (c_in -> c_out/2) on x, Conv1x1 s2 (c_in -> c_out - c_out/2) on x
///             shifted up-left by one pixel (zero pad right/bottom, drop first row/col)] -> concat -> BN.
class FactorizedReduceImpl : public Operation {
 public:
  FactorizedReduceImpl(int c_in, int c_out, int stride, bool affine, bool track_running_stats);
  torch::Tensor forward(const torch::Tensor& x) override;

 private:
  int stride_;
  std::vector<torch::nn::Conv2d> convs_;
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(FactorizedReduce);

/// The skeleton's residual block: conv_a = ReLUConvBN 3x3 stride s, conv_b = ReLUConvBN 3x3;
/// shortcut = AvgPool 2x2 s2 -> Conv1x1 (bias false, no BN) for stride 2, ReLUConvBN 1x1 when only
/// the width changes, identity otherwise; output = shortcut + conv_b(conv_a(x)), no final ReLU.
/// The skeletons always build it with affine = track_running_stats = true.
class ResNetBasicBlockImpl : public torch::nn::Module {
 public:
  ResNetBasicBlockImpl(int c_in, int c_out, int stride, bool affine = true, bool track_running_stats = true);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  ReLUConvBN conv_a_{nullptr}, conv_b_{nullptr};
  torch::nn::AvgPool2d shortcut_pool_{nullptr};
  torch::nn::Conv2d shortcut_conv_{nullptr};
  ReLUConvBN shortcut_rcb_{nullptr};
};
TORCH_MODULE(ResNetBasicBlock);

/// Candidate `op` (bench::TssOp code 0..4) of an edge from c_in to c_out channels.
/// Throws nas::Error for an unknown op code or a stride other than 1 or 2.
OperationPtr make_operation(int op, int c_in, int c_out, int stride, bool affine, bool track_running_stats);

/// The 3N+2 blocks after the stem: N cells at C, a reduction to 2C, N cells at 2C, a reduction to
/// 4C, N cells at 4C.
struct SkeletonLayer {
  int channels;
  bool reduction;
};
std::vector<SkeletonLayer> nas201_skeleton(int channels, int cells_per_stage);

/// A CPU generator for the sampling and initialization functions of this library.
torch::Generator make_cpu_generator(std::uint64_t seed);

/// Redraws every Conv2d and Linear weight and bias of `module` (recursively) from PyTorch's default
/// distribution, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming-uniform with a = sqrt(5)), using
/// `generator` instead of the global RNG; BatchNorm gets gamma = 1, beta = 0 and fresh running
/// statistics. Construction order plus this call make a model a pure function of the seed.
void reinitialize_parameters(torch::nn::Module& module, torch::Generator& generator);

/// Stores every 4-D parameter and buffer of `module` in channels-last order (feed channels-last
/// inputs too: `x.contiguous(torch::MemoryFormat::ChannelsLast)`).
void to_channels_last(torch::nn::Module& module);

/// Trainable parameter count (BN running statistics excluded), as the benchmark counts them.
std::int64_t count_parameters(const torch::nn::Module& module);

}  // namespace nas::supernet

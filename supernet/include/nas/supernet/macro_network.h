// The final network of the macro space: NAS-Bench-Macro's Network (reference §2.2, the official
// train/model.py), the model every macro-space record was trained with, for training from scratch.
//
//   MacroNetwork net(bench::parse_macro_arch("02012100"));                 // PyTorch default init
//   MacroNetwork seeded(arch, /*num_classes=*/10, make_cpu_generator(0));  // weights from the seed
//   torch::Tensor logits = net->forward(images);         // images [N, 3, 32, 32] -> [N, classes]
//
// Layout (stem at 32x32; stages of 2, 3 and 3 searchable layers, bench::kMacroLayers):
//   stem        Conv3x3(3 -> 32, pad 1) -> BN -> ReLU
//   layers.i    one of, by the code's digit i:
//                 0 Identity  in a stage's first layer (0, 2, 5; stride 2, channels double): the
//                             projection Conv1x1(c -> 2c, stride 2) -> BN, no ReLU; elsewhere a
//                             no-op without parameters or buffers
//                 1 MB3_K3 / 2 MB6_K5  inverted residual with expansion t and kernel k (below)
//   head        Conv1x1(256 -> 1280) -> BN -> ReLU
//   global average pool -> classifier Linear(1280 -> classes, with bias)
// Inverted residual, h = t * c_in: expand Conv1x1(c_in -> h) -> BN -> ReLU; depthwise Conv kxk
// (groups h, stride s, pad k/2) -> BN -> ReLU; project Conv1x1(h -> c_out) -> BN (linear); plus the
// input iff stride 1 and c_in == c_out (never in layers 0, 2, 5). Plain ReLU, not ReLU6; no SE.
//
// Exactness: every conv is bias-free (a BN follows each one, so a bias would be redundant, and the
// reference has none), every BN is PyTorch's default (affine, eps 1e-5, momentum 0.1, tracking
// running statistics). So count_parameters(*net) == bench::macro_network_cost(arch).params and the
// conv + linear multiply-accumulates of a forward == .flops; tests/supernet/macro_network_test.cpp
// checks both on the built module (parameters of 330 codes spread over the space, FLOPs observed
// in the forwards of 34), and the reference's four published pairs.
//
// Names (what a trainer, an optimizer's parameter groups and a checkpoint see): stem.{conv,bn},
// layers.<i>.{conv,bn} for a projection, layers.<i>.{expand,depthwise,project}.{conv,bn} for an
// inverted residual, nothing under layers.<i> for a no-op, head.{conv,bn}, classifier.{weight,bias}.
// Equivalent codes (bench::macro_canonical) thus build the same function with their parameters
// under different layer indices. The reference's own names (stem.0, features.<i>.conv.<j>,
// features.<i>.downsample.<j>, out.0, ...) are not kept: they are positions in nn.Sequential, not
// roles, and no checkpoint of the reference is loaded here.
//
// Determinism: the two-argument constructor draws LibTorch's default initialization (kaiming-
// uniform(a = sqrt(5)) conv/linear weights, U(+-1/sqrt(fan_in)) linear bias, BN gamma 1, beta 0)
// from the global RNG, as the reference does. With a generator, every weight is then redrawn from
// the same distributions by reinitialize_parameters (in registration order: stem, layers.0..7,
// head, classifier), so the model is a pure function of the seed (the global RNG advances but
// nothing drawn from it remains). The generator is a shared handle: the caller's one advances.
//
// Devices and layouts: the module creates no tensors of its own in forward (the residual add and
// the pooling follow their inputs), so net->to(device) runs it on CUDA. LibTorch's CPU kernels for
// this network are ~1.6-2x faster on channels-last tensors (one SGD step at batch 64, one thread,
// LibTorch 1.13: 22222222 2.7 s -> 1.3 s, 02012100 0.77 s -> 0.46 s, 11111111 0.72 s -> 0.46 s), and
// a channels-last input alone gets all of it (convolutions follow their input's layout; BN, ReLU
// and the residual add keep it), so forward converts CPU inputs to channels-last, as the supernets
// do; the logits are 2-D either way. set_channels_last_on_cpu(false) turns that off; CUDA inputs
// are left as they come. to_channels_last(*net) may be applied too (same results up to rounding).
#pragma once

#include <torch/torch.h>

#include <utility>

#include "nas/benchmark_api/macro/macro_space.h"
#include "nas/supernet/operations.h"

namespace nas::supernet {

/// Conv(k x k, stride, pad k/2, groups, no bias) -> BN (PyTorch defaults) [-> ReLU]: the one
/// building block of the network. Submodules `conv` and `bn`.
class MacroConvBNImpl : public torch::nn::Module {
 public:
  MacroConvBNImpl(int c_in, int c_out, int kernel, int stride, int groups, bool relu);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d& conv() { return conv_; }
  torch::nn::BatchNorm2d& bn() { return bn_; }
  bool relu() const { return relu_; }

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
  bool relu_;
};
TORCH_MODULE(MacroConvBN);

/// MobileNetV2's inverted residual without SE and with plain ReLU (the layout above). Submodules
/// `expand`, `depthwise` and `project`, each a MacroConvBN.
class MacroInvertedResidualImpl : public torch::nn::Module {
 public:
  /// Throws nas::Error for a non-positive width or expansion, an even or non-positive kernel (pad
  /// k/2 keeps the size only for odd k) or a stride other than 1 and 2.
  MacroInvertedResidualImpl(int c_in, int c_out, int stride, int expansion, int kernel);
  torch::Tensor forward(const torch::Tensor& x);

  /// True when the input is added to the output (stride 1 and c_in == c_out).
  bool has_residual() const { return residual_; }
  MacroConvBN& expand() { return expand_; }
  MacroConvBN& depthwise() { return depthwise_; }
  MacroConvBN& project() { return project_; }

 private:
  MacroConvBN expand_{nullptr}, depthwise_{nullptr}, project_{nullptr};
  bool residual_;
};
TORCH_MODULE(MacroInvertedResidual);

class MacroNetworkImpl : public torch::nn::Module {
 public:
  /// PyTorch's default initialization from the global RNG. Throws nas::Error for num_classes <= 0
  /// or a layer whose block is not 0, 1 or 2.
  explicit MacroNetworkImpl(const bench::MacroArch& arch, int num_classes = bench::kMacroNumClassesOut);
  /// The same network, then every weight redrawn from `generator` (see Determinism above).
  MacroNetworkImpl(const bench::MacroArch& arch, int num_classes, torch::Generator generator);

  /// Logits [N, num_classes] of images [N, 3, H, W] (32 x 32 in the benchmark; any size works, as
  /// the pooling is global).
  torch::Tensor forward(const torch::Tensor& images);
  /// (pooled features [N, 1280], logits), for callers that also want the embedding.
  std::pair<torch::Tensor, torch::Tensor> forward_with_features(const torch::Tensor& images);

  /// Convert CPU inputs to channels-last in forward (default true; see Devices and layouts).
  void set_channels_last_on_cpu(bool on) { channels_last_on_cpu_ = on; }
  bool channels_last_on_cpu() const { return channels_last_on_cpu_; }

  const bench::MacroArch& arch() const { return arch_; }
  int num_classes() const { return num_classes_; }
  MacroConvBN& stem() { return stem_; }
  /// The 8 searchable layers, in order: MacroConvBN (projection), MacroInvertedResidual or
  /// torch::nn::Identity (no-op); layers()[i]->as<MacroInvertedResidualImpl>() etc.
  torch::nn::Sequential& layers() { return layers_; }
  MacroConvBN& head() { return head_; }
  torch::nn::Linear& classifier() { return classifier_; }

 private:
  bench::MacroArch arch_;
  int num_classes_;
  bool channels_last_on_cpu_ = true;
  MacroConvBN stem_{nullptr};
  torch::nn::Sequential layers_{nullptr};
  MacroConvBN head_{nullptr};
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(MacroNetwork);

}  // namespace nas::supernet

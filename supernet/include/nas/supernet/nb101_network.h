// The network NAS-Bench-101 trains for a cell (google-research/nasbench, nasbench/lib/model_builder.py
// build_model_fn and build_module, nasbench/lib/base_ops.py), as a LibTorch module, for training a
// cell of the space from scratch.
//
//   Nb101Network net(bench::parse_nb101_spec("in,c3,mp,out:0-1,1-2,2-3"));      // TF init, global RNG
//   Nb101Network seeded(spec, /*num_classes=*/10, make_cpu_generator(0));       // TF init from the seed
//   torch::Tensor logits = net->forward(images);       // images [N, 3, 32, 32] -> [N, classes]
//
// Layout (bench::nb101_cost.h has the constants):
//   stem         conv_bn_relu 3x3, 3 -> 128, at 32x32
//   stacks.0     3 modules 128 -> 128 at 32x32
//   (downsample) MaxPool 2x2 stride 2, TF 'same' padding (nb101_downsample); channels double
//   stacks.1     modules 128 -> 256, 256 -> 256, 256 -> 256 at 16x16
//   (downsample)
//   stacks.2     modules 256 -> 512, 512 -> 512, 512 -> 512 at 8x8
//   global average pool -> classifier Linear(512 -> classes, with bias); no dropout, no BN before it
// conv_bn_relu k x k: a bias-free k x k convolution, stride 1, 'same' padding (k / 2 on each side,
// the same as TF's for odd k and stride 1), BatchNorm with trainable scale and offset, then ReLU.
//
// One module, from the pruned cell (bench::Nb101Spec is pruned by construction) of V vertices, with
// vc = bench::nb101_vertex_channels(spec, C_in, C_out) (nasbench's compute_vertex_channels):
//   for each interior vertex t = 1 .. V-2 in order, its input is the sum of
//     - truncate(output of s, vc[t]) for every interior s < t with an edge s -> t, in ascending s:
//       the first vc[t] channels (nasbench's truncate; vc[s] - vc[t] is 0 or 1, checked when built),
//     - then, with an edge 0 -> t, projection(module input, vc[t]): conv_bn_relu 1x1 C_in -> vc[t];
//   a single term is used as is. Then its op: conv3x3-bn-relu / conv1x1-bn-relu = conv_bn_relu
//   vc[t] -> vc[t]; maxpool3x3 = MaxPool 3x3 stride 1, padding 1 (TF 'same': a max pool's padding
//   never wins, so padding with -inf on each side is TF's), no parameters, channels unchanged.
//   The output: the concatenation along channels of the vertices with an edge to the output, in
//   ascending vertex order (their vc add up to C_out), plus projection(module input, C_out) added
//   element-wise if there is an edge input -> output. The 2-vertex cell (input -> output, the only
//   cell without an interior vertex after pruning) is that projection alone.
//
// Exactness: every conv is bias-free (nasbench's use_bias=False: the BN after it would cancel a
// bias), every BN is affine with eps 1e-5 (nasbench BN_EPSILON) and momentum 0.003: TF's moving
// averages keep decay = 0.997 of the old value (nasbench BN_MOMENTUM), PyTorch's momentum is the
// weight of the new batch, 1 - 0.997. In training mode BN normalizes with the batch statistics, in
// eval mode with the running ones, as TF's training=True/False. So count_parameters(*net) ==
// bench::nb101_network_cost(spec).params (the official `trainable_parameters`) and the conv + linear
// multiply-accumulates of one image's forward == .macs; tests/supernet/nb101_network_test.cpp checks
// the first on the built module against the official figures (the 300 smallest and the largest of
// nasbench-vis's 1k cells, and the reference's test vectors), the second on the forwards of 8 cells.
//
// Downsampling: nasbench pools with padding='same'. For an even size TF's 'same' pads nothing (the
// output is H/2 and 2x2 windows at stride 2 tile the input exactly), so at the benchmark's 32 and 16
// this is a plain MaxPool2d(2, 2). For an odd size TF pads one row/column at the bottom/right, which
// for a max is ceil_mode: nb101_downsample uses ceil_mode = true, so other image sizes match TF too.
//
// Initialization (Determinism): both constructors draw TF's initialization, not LibTorch's, since
// the benchmark's networks started from it: conv weights from tf.variance_scaling_initializer()
// (scale 1, mode fan_in = k * k * C_in, a normal truncated at two standard deviations, its stddev
// sqrt(1 / fan_in) / 0.87962566103423978 so that the truncated draw has variance 1 / fan_in: TF
// 1.x's default distribution "truncated_normal"), drawn as TF draws it (normal values, those beyond
// two standard deviations redrawn); the classifier weight from tf.layers.dense's default glorot_uniform,
// U(+-sqrt(6 / (512 + classes))), its bias 0; BN scale 1, offset 0, running mean 0, variance 1.
// Without a generator the draws come from LibTorch's global RNG (torch::manual_seed); with one,
// from it alone, in registration order (stem, stacks.0.0, ..., stacks.2.2, classifier), so the
// model is a pure function of the seed (LibTorch's own default initialization, which the Conv2d
// and Linear constructors run first, advances the global RNG, but nothing drawn from it remains).
// The generator is a shared handle: the caller's one advances. TF's exact random streams are not
// reproduced (nor could they be from a LibTorch generator): the same distributions, not the same
// numbers.
//
// Names (parameters, buffers; what a trainer and a checkpoint see): stem.{conv,bn},
// stacks.<s>.<m> for module m of stack s (TF's stack<s>/module<m>), inside a module
// vertex_<t>.projection.{conv,bn} and vertex_<t>.op.{conv,bn} (conv vertices; a max-pool vertex
// owns only its projection, if any) and output_projection.{conv,bn}; classifier.{weight,bias}.
//
// Devices and layouts: forward creates no tensors of its own (truncation is a view, sums, concat and
// pools follow their inputs), so net->to(device) and net->to(dtype) work. As the macro network and
// the supernets do, forward converts CPU inputs to channels-last: LibTorch's CPU convolutions are
// faster on it (one SGD step at batch 32, one thread, LibTorch 1.13: the 1k file's first cell
// 3.8 s -> 2.8 s, the README's Inception-like cell 1.56 s -> 1.16 s), and it then reaches every
// convolution (BN, ReLU, the pools, the sums of truncated views and the concatenation keep it).
// set_channels_last_on_cpu(false) turns that off; CUDA inputs are left as they come; the logits
// are 2-D either way.
#pragma once

#include <torch/torch.h>

#include <utility>
#include <vector>

#include "nas/benchmark_api/nb101/nb101_cost.h"
#include "nas/benchmark_api/nb101/nb101_spec.h"
#include "nas/supernet/operations.h"

namespace nas::supernet {

/// nasbench's BN_MOMENTUM 0.997 is TF's decay (weight of the old running value); PyTorch's momentum
/// is the weight of the new batch statistic.
inline constexpr double kNb101BatchNormMomentum = 1.0 - 0.997;
inline constexpr double kNb101BatchNormEps = 1e-5;  ///< nasbench's BN_EPSILON

/// The downsampling between stacks: MaxPool 2x2, stride 2, TF 'same' padding (no padding for even
/// sizes; one -inf row/column at the end for odd ones, i.e. ceil_mode). [N, C, H, W] ->
/// [N, C, ceil(H/2), ceil(W/2)].
torch::Tensor nb101_downsample(const torch::Tensor& x);

/// The max-pool vertex op: MaxPool 3x3, stride 1, TF 'same' padding (1 on each side); keeps the size.
torch::Tensor nb101_vertex_max_pool(const torch::Tensor& x);

/// nasbench's conv_bn_relu: Conv k x k (stride 1, padding k/2, no bias) -> BN (affine, eps 1e-5,
/// momentum 0.003) -> ReLU. Submodules `conv` and `bn`.
class Nb101ConvBNReLUImpl : public torch::nn::Module {
 public:
  /// Throws nas::Error for a non-positive width or an even or non-positive kernel (k/2 is TF's
  /// 'same' padding only for odd k).
  Nb101ConvBNReLUImpl(int c_in, int c_out, int kernel);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d& conv() { return conv_; }
  torch::nn::BatchNorm2d& bn() { return bn_; }

 private:
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr};
};
TORCH_MODULE(Nb101ConvBNReLU);

/// One interior vertex of a module: the sum of its (already truncated) inputs from interior
/// vertices and, if it has an edge from the module input, that input's 1x1 projection; then its op.
/// Submodules `projection` (if fed by the input) and `op` (conv vertices).
class Nb101VertexImpl : public torch::nn::Module {
 public:
  /// A vertex of `channels` channels running `op` (an interior op: conv3x3, conv1x1, maxpool3x3);
  /// `input_channels` > 0 adds the projection of a module input of that width, 0 means no edge
  /// from the input. Throws nas::Error for a non-interior op or a non-positive width.
  Nb101VertexImpl(bench::Nb101Op op, int channels, int input_channels);

  /// `interior_inputs`: the outputs of its interior predecessors, in ascending vertex order, each
  /// truncated to channels(); `module_input`: the module's input (used only with a projection).
  torch::Tensor forward(const std::vector<torch::Tensor>& interior_inputs, const torch::Tensor& module_input);

  bench::Nb101Op op() const { return op_; }
  int channels() const { return channels_; }
  bool has_projection() const { return !projection_.is_empty(); }
  /// Empty (is_empty()) without an edge from the input.
  Nb101ConvBNReLU& projection() { return projection_; }
  /// Empty for a max-pool vertex.
  Nb101ConvBNReLU& conv() { return conv_; }

 private:
  bench::Nb101Op op_;
  int channels_;
  Nb101ConvBNReLU projection_{nullptr};
  Nb101ConvBNReLU conv_{nullptr};
};
TORCH_MODULE(Nb101Vertex);

/// One module (the cell) from `in_channels` to `out_channels` channels at any spatial size.
/// Submodules vertex_<t> for t = 1 .. V-2 and output_projection (edge input -> output, or V == 2).
class Nb101ModuleImpl : public torch::nn::Module {
 public:
  /// Throws nas::Error for non-positive widths and for widths that leave a vertex without channels
  /// (nb101_vertex_channels) or need a truncation by more than one channel (nasbench asserts both;
  /// neither happens in the benchmark's network).
  Nb101ModuleImpl(const bench::Nb101Spec& spec, int in_channels, int out_channels);
  torch::Tensor forward(const torch::Tensor& x);

  const bench::Nb101Spec& spec() const { return spec_; }
  /// nb101_vertex_channels(spec, in, out): [in, interior vertices..., out].
  const std::vector<int>& vertex_channels() const { return channels_; }
  /// Interior vertex t, 1 <= t <= V-2.
  Nb101Vertex& vertex(int t);
  bool has_output_projection() const { return !output_projection_.is_empty(); }
  /// Empty (is_empty()) without an edge input -> output in a cell of more than 2 vertices.
  Nb101ConvBNReLU& output_projection() { return output_projection_; }

 private:
  bench::Nb101Spec spec_;
  std::vector<int> channels_;
  std::vector<Nb101Vertex> vertices_;  // vertices_[t - 1] is vertex t
  Nb101ConvBNReLU output_projection_{nullptr};
};
TORCH_MODULE(Nb101Module);

class Nb101NetworkImpl : public torch::nn::Module {
 public:
  /// TF's initialization drawn from LibTorch's global RNG. Throws nas::Error for num_classes <= 0.
  explicit Nb101NetworkImpl(const bench::Nb101Spec& spec, int num_classes = bench::kNb101NumClasses);
  /// TF's initialization drawn from `generator` only (see Initialization above).
  Nb101NetworkImpl(const bench::Nb101Spec& spec, int num_classes, torch::Generator generator);

  /// Logits [N, num_classes] of images [N, 3, H, W] (32 x 32 in the benchmark; any size works, the
  /// pooling is global).
  torch::Tensor forward(const torch::Tensor& images);
  /// (pooled features [N, 512], logits), for callers that also want the embedding.
  std::pair<torch::Tensor, torch::Tensor> forward_with_features(const torch::Tensor& images);

  /// Convert CPU inputs to channels-last in forward (default true; see Devices and layouts).
  void set_channels_last_on_cpu(bool on) { channels_last_on_cpu_ = on; }
  bool channels_last_on_cpu() const { return channels_last_on_cpu_; }

  const bench::Nb101Spec& spec() const { return spec_; }
  int num_classes() const { return num_classes_; }
  Nb101ConvBNReLU& stem() { return stem_; }
  /// Module `index` (0..2) of stack `stack` (0..2): stacks.<stack>.<index>.
  Nb101Module& module_at(int stack, int index);
  torch::nn::Linear& classifier() { return classifier_; }

 private:
  Nb101NetworkImpl(const bench::Nb101Spec& spec, int num_classes, c10::optional<torch::Generator> generator);

  bench::Nb101Spec spec_;
  int num_classes_;
  bool channels_last_on_cpu_ = true;
  Nb101ConvBNReLU stem_{nullptr};
  torch::nn::ModuleList stacks_{nullptr};  // of torch::nn::Sequential, 3 Nb101Module each
  std::vector<Nb101Module> modules_;       // the same 9 modules, stack-major, for module_at
  torch::nn::Linear classifier_{nullptr};
};
TORCH_MODULE(Nb101Network);

}  // namespace nas::supernet

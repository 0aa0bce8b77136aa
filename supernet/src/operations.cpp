// Candidate operations and skeleton blocks of the NAS-Bench-201 topology space (reference §3.1).
#include "nas/supernet/operations.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <string>
#include <variant>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/topology_space.h"

namespace nas::supernet {
namespace {

torch::nn::Conv2d make_conv(int c_in, int c_out, int kernel, int stride, int padding, int dilation, bool bias) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(c_in, c_out, kernel)
                               .stride(stride)
                               .padding(padding)
                               .dilation(dilation)
                               .bias(bias));
}

torch::nn::BatchNorm2d make_bn(int channels, bool affine, bool track_running_stats) {
  return torch::nn::BatchNorm2d(
      torch::nn::BatchNorm2dOptions(channels).affine(affine).track_running_stats(track_running_stats));
}

// Conv padding options are a c10::variant (MPark's backport) up to LibTorch 2.1 and a std::variant
// from 2.2 on, when c10/util/variant.h was deleted; c10::get_if does not exist there.
template <typename T, typename... Ts>
const T* variant_get_if(const std::variant<Ts...>& value) {
  return std::get_if<T>(&value);
}
#if __has_include(<c10/util/variant.h>)
template <typename T, typename... Ts>
const T* variant_get_if(const c10::variant<Ts...>& value) {
  return c10::get_if<T>(&value);
}
#endif

void check_stride(int stride) {
  if (stride != 1 && stride != 2) throw Error("operation stride must be 1 or 2, got " + std::to_string(stride));
}

}  // namespace

// --- ReLUConvBN ---------------------------------------------------------------------------------

ReLUConvBNImpl::ReLUConvBNImpl(int c_in, int c_out, int kernel, int stride, int padding, int dilation, bool affine,
                               bool track_running_stats) {
  conv_ = register_module("conv", make_conv(c_in, c_out, kernel, stride, padding, dilation, !affine));
  bn_ = register_module("bn", make_bn(c_out, affine, track_running_stats));
}

torch::Tensor ReLUConvBNImpl::forward(const torch::Tensor& x) { return forward_activated(torch::relu(x)); }

torch::Tensor ReLUConvBNImpl::forward_activated(const torch::Tensor& relu_x) { return bn_(conv_(relu_x)); }

bool can_fuse_relu_conv_bn(const std::vector<ReLUConvBNImpl*>& ops) {
  if (ops.empty()) return false;
  const auto& first = ops.front()->conv()->options;
  for (ReLUConvBNImpl* op : ops) {
    const auto& options = op->conv()->options;
    const auto& bn = *op->bn();
    if (options.in_channels() != first.in_channels() || *options.kernel_size() != *first.kernel_size() ||
        *options.stride() != *first.stride() || *options.dilation() != *first.dilation() ||
        options.groups() != first.groups() || options.bias() != first.bias() ||
        bn.options.affine() != ops.front()->bn()->options.affine() || bn.options.eps() != ops.front()->bn()->options.eps())
      return false;
    const auto* padding = variant_get_if<torch::ExpandingArray<2>>(options.padding());
    const auto* first_padding = variant_get_if<torch::ExpandingArray<2>>(first.padding());
    if (padding == nullptr || first_padding == nullptr || **padding != **first_padding) return false;
    // Tracked statistics would have to be updated (training) or read (eval) per op.
    if (bn.options.track_running_stats()) return false;
  }
  return true;
}

torch::Tensor fused_relu_conv_bn(const std::vector<ReLUConvBNImpl*>& ops, const torch::Tensor& relu_x,
                                 const std::vector<torch::Tensor>& scales) {
  TORCH_CHECK(can_fuse_relu_conv_bn(ops), "fused_relu_conv_bn: these ops cannot be fused");
  TORCH_CHECK(scales.empty() || scales.size() == ops.size(), "fused_relu_conv_bn: one scale per op");
  const bool affine = ops.front()->bn()->options.affine();
  std::vector<torch::Tensor> weights, biases, gammas, betas;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    ReLUConvBNImpl& op = *ops[i];
    weights.push_back(op.conv()->weight);
    if (op.conv()->options.bias()) biases.push_back(op.conv()->bias);
    // scale * (gamma * xhat + beta) = (scale * gamma) * xhat + scale * beta.
    torch::Tensor gamma = affine ? op.bn()->weight : torch::Tensor();
    torch::Tensor beta = affine ? op.bn()->bias : torch::Tensor();
    if (!scales.empty()) {
      gamma = affine ? gamma * scales[i] : scales[i].expand({op.bn()->options.num_features()}).contiguous();
      if (affine) beta = beta * scales[i];
    }
    if (gamma.defined()) gammas.push_back(gamma);
    if (beta.defined()) betas.push_back(beta);
  }
  const auto concat = [](const std::vector<torch::Tensor>& parts) {
    if (parts.empty()) return torch::Tensor();
    return parts.size() == 1 ? parts.front() : torch::cat(parts);
  };
  const auto& options = ops.front()->conv()->options;
  const torch::ExpandingArray<2>& padding = *variant_get_if<torch::ExpandingArray<2>>(options.padding());
  const torch::Tensor conv = torch::conv2d(relu_x, concat(weights), concat(biases), *options.stride(), *padding,
                                           *options.dilation(), options.groups());
  return torch::batch_norm(conv, concat(gammas), concat(betas), /*running_mean=*/{}, /*running_var=*/{},
                           /*training=*/true, /*momentum=*/0.0, ops.front()->bn()->options.eps(),
                           at::globalContext().userEnabledCuDNN());
}

// --- Pooling ------------------------------------------------------------------------------------

PoolingImpl::PoolingImpl(int c_in, int c_out, int stride, bool affine, bool track_running_stats) : stride_(stride) {
  check_stride(stride);
  if (c_in != c_out) {
    preprocess_ = register_module("preprocess", ReLUConvBN(c_in, c_out, 1, 1, 0, 1, affine, track_running_stats));
  }
}

torch::Tensor PoolingImpl::forward(const torch::Tensor& x) {
  return average_pool_3x3(preprocess_.is_empty() ? x : preprocess_(x), stride_);
}

torch::Tensor average_pool_3x3(const torch::Tensor& x, int stride) {
  TORCH_CHECK(x.dim() == 4, "average_pool_3x3: expected a 4-D input, got ", x.sizes());
  // Window sums as a depthwise convolution with a ones kernel, divided by the number of in-image
  // pixels of each window. Equal to AvgPool2d(3, stride, 1, count_include_pad=false) up to the
  // summation order, and 3-4x faster on the CPU (forward and backward), in either memory format.
  const std::int64_t channels = x.size(1);
  const torch::Tensor ones_kernel = torch::ones({channels, 1, 3, 3}, x.options());
  const torch::Tensor sums = torch::conv2d(x, ones_kernel, {}, stride, 1, 1, channels);
  const torch::Tensor counts = torch::conv2d(torch::ones({1, 1, x.size(2), x.size(3)}, x.options()),
                                             torch::ones({1, 1, 3, 3}, x.options()), {}, stride, 1);
  return sums / counts;
}

// --- Zero ---------------------------------------------------------------------------------------

ZeroImpl::ZeroImpl(int c_in, int c_out, int stride) : c_in_(c_in), c_out_(c_out), stride_(stride) { check_stride(stride); }

torch::Tensor ZeroImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 4 && x.size(1) == c_in_, "Zero: expected [N, ", c_in_, ", H, W] input, got ", x.sizes());
  // The shape of the strided slice x[:, :, ::s, ::s] the reference multiplies by zero.
  const auto out_size = [this](std::int64_t size) { return (size + stride_ - 1) / stride_; };
  return torch::zeros({x.size(0), c_out_, out_size(x.size(2)), out_size(x.size(3))},
                      x.options().memory_format(x.suggest_memory_format()));
}

// --- FactorizedReduce ---------------------------------------------------------------------------

FactorizedReduceImpl::FactorizedReduceImpl(int c_in, int c_out, int stride, bool affine, bool track_running_stats)
    : stride_(stride) {
  check_stride(stride);
  if (stride == 1) {
    convs_.push_back(register_module("conv", make_conv(c_in, c_out, 1, 1, 0, 1, !affine)));
  } else {
    const int half = c_out / 2;
    convs_.push_back(register_module("conv_0", make_conv(c_in, half, 1, 2, 0, 1, !affine)));
    convs_.push_back(register_module("conv_1", make_conv(c_in, c_out - half, 1, 2, 0, 1, !affine)));
  }
  bn_ = register_module("bn", make_bn(c_out, affine, track_running_stats));
}

torch::Tensor FactorizedReduceImpl::forward(const torch::Tensor& x) {
  if (stride_ == 1) return bn_(convs_[0](x));
  const torch::Tensor activated = torch::relu(x);
  // Shift by one pixel so the two halves sample complementary positions of the 2x2 grid.
  const torch::Tensor shifted = torch::constant_pad_nd(activated, {0, 1, 0, 1}, 0.0)
                                    .slice(2, 1)
                                    .slice(3, 1);
  return bn_(torch::cat({convs_[0](activated), convs_[1](shifted)}, 1));
}

// --- ResNetBasicBlock ---------------------------------------------------------------------------

ResNetBasicBlockImpl::ResNetBasicBlockImpl(int c_in, int c_out, int stride, bool affine, bool track_running_stats) {
  check_stride(stride);
  conv_a_ = register_module("conv_a", ReLUConvBN(c_in, c_out, 3, stride, 1, 1, affine, track_running_stats));
  conv_b_ = register_module("conv_b", ReLUConvBN(c_out, c_out, 3, 1, 1, 1, affine, track_running_stats));
  if (stride == 2) {
    shortcut_pool_ = register_module("shortcut_pool",
                                     torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(2).stride(2).padding(0)));
    shortcut_conv_ = register_module("shortcut_conv", make_conv(c_in, c_out, 1, 1, 0, 1, /*bias=*/false));
  } else if (c_in != c_out) {
    shortcut_rcb_ = register_module("shortcut", ReLUConvBN(c_in, c_out, 1, 1, 0, 1, affine, track_running_stats));
  }
}

torch::Tensor ResNetBasicBlockImpl::forward(const torch::Tensor& x) {
  const torch::Tensor residual = conv_b_(conv_a_(x));
  if (!shortcut_conv_.is_empty()) return shortcut_conv_(shortcut_pool_(x)) + residual;
  if (!shortcut_rcb_.is_empty()) return shortcut_rcb_(x) + residual;
  return x + residual;
}

// --- Factory and helpers ------------------------------------------------------------------------

OperationPtr make_operation(int op, int c_in, int c_out, int stride, bool affine, bool track_running_stats) {
  check_stride(stride);
  switch (op) {
    case bench::kOpNone:
      return Zero(c_in, c_out, stride).ptr();
    case bench::kOpSkip:
      if (stride == 1 && c_in == c_out) return Identity().ptr();
      return FactorizedReduce(c_in, c_out, stride, affine, track_running_stats).ptr();
    case bench::kOpConv1x1:
      return ReLUConvBN(c_in, c_out, 1, stride, 0, 1, affine, track_running_stats).ptr();
    case bench::kOpConv3x3:
      return ReLUConvBN(c_in, c_out, 3, stride, 1, 1, affine, track_running_stats).ptr();
    case bench::kOpAvgPool:
      return Pooling(c_in, c_out, stride, affine, track_running_stats).ptr();
    default:
      throw Error("unknown topology-space op code " + std::to_string(op) + " (expected 0..4)");
  }
}

std::vector<SkeletonLayer> nas201_skeleton(int channels, int cells_per_stage) {
  std::vector<SkeletonLayer> layers;
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) layers.push_back({channels << stage, true});
    for (int cell = 0; cell < cells_per_stage; ++cell) layers.push_back({channels << stage, false});
  }
  return layers;
}

torch::Generator make_cpu_generator(std::uint64_t seed) { return at::detail::createCPUGenerator(seed); }

void reinitialize_parameters(torch::nn::Module& module, torch::Generator& generator) {
  torch::NoGradGuard no_grad;
  const auto redraw = [&generator](torch::Tensor& weight, torch::Tensor& bias) {
    const double fan_in = static_cast<double>(weight.numel() / weight.size(0));
    const double bound = 1.0 / std::sqrt(fan_in);
    weight.uniform_(-bound, bound, generator);
    if (bias.defined()) bias.uniform_(-bound, bound, generator);
  };
  const auto reinitialize = [&redraw](torch::nn::Module& child) {
    if (auto* conv = child.as<torch::nn::Conv2d>()) {
      redraw(conv->weight, conv->bias);
    } else if (auto* linear = child.as<torch::nn::Linear>()) {
      redraw(linear->weight, linear->bias);
    } else if (auto* bn = child.as<torch::nn::BatchNorm2d>()) {
      bn->reset_parameters();
    }
  };
  // Not modules(include_self = true): that needs `module` to be owned by a shared_ptr already, which
  // it is not while a constructor runs.
  reinitialize(module);
  for (const auto& child : module.modules(/*include_self=*/false)) reinitialize(*child);
}

void to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& parameter : module.parameters()) {
    if (parameter.dim() == 4) parameter.set_data(parameter.contiguous(torch::MemoryFormat::ChannelsLast));
  }
  for (auto& buffer : module.buffers()) {
    if (buffer.dim() == 4) buffer.set_data(buffer.contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

std::int64_t count_parameters(const torch::nn::Module& module) {
  std::int64_t total = 0;
  for (const auto& parameter : module.parameters()) {
    if (parameter.requires_grad()) total += parameter.numel();
  }
  return total;
}

}  // namespace nas::supernet

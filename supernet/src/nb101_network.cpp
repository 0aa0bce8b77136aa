// NAS-Bench-101's network for one cell (nasbench/lib/model_builder.py, base_ops.py; see the header).
#include "nas/supernet/nb101_network.h"

#include <cmath>
#include <string>

#include "nas/benchmark_api/error.h"

namespace nas::supernet {

namespace {

bool is_interior(bench::Nb101Op op) {
  return op == bench::Nb101Op::Conv3x3 || op == bench::Nb101Op::Conv1x1 || op == bench::Nb101Op::MaxPool3x3;
}

// nasbench's truncate: the first `channels` channels. A view, so the sum it feeds reads it in place.
torch::Tensor truncate_channels(const torch::Tensor& x, int channels) {
  return x.size(1) == channels ? x : x.narrow(1, 0, channels);
}

// --- TF's initialization ----------------------------------------------------------------------------

// The standard deviation of a standard normal truncated to [-2, 2] (TF's init_ops.py constant).
constexpr double kTruncatedNormalStddev = 0.87962566103423978;

// tf.variance_scaling_initializer() (scale 1, fan_in, truncated normal) the way TF draws a truncated
// normal: standard normal values, those outside [-2, 2] drawn again until none is, then scaled. The
// redraws only visit the rejected positions (4.6% of them at first), so this costs little more than
// one normal draw; an inverse-CDF draw (erfinv of a uniform) would cost ~8x more on CPU, which
// matters here: the networks have up to 49M weights.
void variance_scaling_fan_in(torch::Tensor& weight, const c10::optional<torch::Generator>& generator) {
  const double fan_in = static_cast<double>(weight.numel() / weight.size(0));  // k * k * C_in
  const double stddev = std::sqrt(1.0 / fan_in) / kTruncatedNormalStddev;
  torch::Tensor flat = weight.view({-1});  // a fresh parameter: contiguous
  flat.normal_(0.0, 1.0, generator);
  torch::Tensor pending = (flat.abs() > 2.0).nonzero().squeeze(1);
  while (pending.numel() > 0) {
    const torch::Tensor redrawn = torch::empty({pending.numel()}, flat.options()).normal_(0.0, 1.0, generator);
    const torch::Tensor inside = redrawn.abs() <= 2.0;
    flat.index_put_({pending.masked_select(inside)}, redrawn.masked_select(inside));
    pending = pending.masked_select(inside.logical_not());
  }
  flat.mul_(stddev);
}

// tf.layers.dense's defaults: glorot_uniform kernel, zero bias.
void glorot_uniform(torch::nn::LinearImpl& linear, const c10::optional<torch::Generator>& generator) {
  const double limit = std::sqrt(6.0 / static_cast<double>(linear.weight.size(0) + linear.weight.size(1)));
  linear.weight.uniform_(-limit, limit, generator);
  linear.bias.zero_();
}

void initialize_like_tensorflow(torch::nn::Module& network, const c10::optional<torch::Generator>& generator) {
  torch::NoGradGuard no_grad;
  // Not modules(include_self = true): that needs `network` to be owned by a shared_ptr already,
  // which it is not while its constructor runs. modules() lists in registration order.
  for (const auto& child : network.modules(/*include_self=*/false)) {
    if (auto* conv = child->as<torch::nn::Conv2d>()) {
      variance_scaling_fan_in(conv->weight, generator);
    } else if (auto* linear = child->as<torch::nn::Linear>()) {
      glorot_uniform(*linear, generator);
    } else if (auto* bn = child->as<torch::nn::BatchNorm2d>()) {
      bn->reset_parameters();  // scale 1, offset 0, fresh running statistics (TF's defaults)
    }
  }
}

}  // namespace

torch::Tensor nb101_downsample(const torch::Tensor& x) {
  return torch::max_pool2d(x, /*kernel_size=*/{2, 2}, /*stride=*/{2, 2}, /*padding=*/{0, 0}, /*dilation=*/{1, 1},
                           /*ceil_mode=*/true);
}

torch::Tensor nb101_vertex_max_pool(const torch::Tensor& x) {
  return torch::max_pool2d(x, /*kernel_size=*/{3, 3}, /*stride=*/{1, 1}, /*padding=*/{1, 1});
}

// --- Nb101ConvBNReLU ---------------------------------------------------------------------------------

Nb101ConvBNReLUImpl::Nb101ConvBNReLUImpl(int c_in, int c_out, int kernel) {
  if (c_in <= 0 || c_out <= 0 || kernel <= 0 || kernel % 2 == 0) {
    throw Error("Nb101ConvBNReLU: widths must be positive and the kernel odd (got " + std::to_string(c_in) + " -> " +
                std::to_string(c_out) + ", k " + std::to_string(kernel) + ")");
  }
  // No bias: nasbench's use_bias=False, and the BN right after would cancel it.
  conv_ = register_module(
      "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(c_in, c_out, kernel).padding(kernel / 2).bias(false)));
  bn_ = register_module("bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(c_out)
                                                         .eps(kNb101BatchNormEps)
                                                         .momentum(kNb101BatchNormMomentum)
                                                         .affine(true)
                                                         .track_running_stats(true)));
}

torch::Tensor Nb101ConvBNReLUImpl::forward(const torch::Tensor& x) {
  // In place: the BN output is a fresh tensor nobody else holds, and ReLU's backward reads only its
  // own output, so this saves an activation-sized allocation.
  torch::Tensor y = bn_(conv_(x));
  return torch::relu_(y);
}

// --- Nb101Vertex ------------------------------------------------------------------------------------

Nb101VertexImpl::Nb101VertexImpl(bench::Nb101Op op, int channels, int input_channels)
    : op_(op), channels_(channels) {
  if (!is_interior(op) || channels <= 0 || input_channels < 0) {
    throw Error("Nb101Vertex: expected an interior op and positive channels (got op " +
                std::string(bench::nb101_op_name(op)) + ", " + std::to_string(channels) + " channels, input " +
                std::to_string(input_channels) + ")");
  }
  if (input_channels > 0) projection_ = register_module("projection", Nb101ConvBNReLU(input_channels, channels, 1));
  if (op == bench::Nb101Op::Conv3x3) conv_ = register_module("op", Nb101ConvBNReLU(channels, channels, 3));
  if (op == bench::Nb101Op::Conv1x1) conv_ = register_module("op", Nb101ConvBNReLU(channels, channels, 1));
}

torch::Tensor Nb101VertexImpl::forward(const std::vector<torch::Tensor>& interior_inputs,
                                       const torch::Tensor& module_input) {
  // nasbench's add_n over [truncated interior inputs..., projection], in that order.
  torch::Tensor sum;
  const auto add = [&sum](const torch::Tensor& term) { sum = sum.defined() ? sum + term : term; };
  for (const torch::Tensor& input : interior_inputs) add(input);
  if (has_projection()) add(projection_(module_input));
  TORCH_CHECK(sum.defined(), "Nb101Vertex: a vertex without inputs");
  return op_ == bench::Nb101Op::MaxPool3x3 ? nb101_vertex_max_pool(sum) : conv_(sum);
}

// --- Nb101Module ------------------------------------------------------------------------------------

Nb101ModuleImpl::Nb101ModuleImpl(const bench::Nb101Spec& spec, int in_channels, int out_channels)
    : spec_(spec) {
  if (in_channels <= 0 || out_channels <= 0) {
    throw Error("Nb101Module: widths must be positive (got " + std::to_string(in_channels) + " -> " +
                std::to_string(out_channels) + ")");
  }
  channels_ = bench::nb101_vertex_channels(spec, in_channels, out_channels);
  const int output = spec.num_vertices() - 1;
  for (int t = 1; t < output; ++t) {
    const int channels = channels_[static_cast<std::size_t>(t)];
    for (int s = 1; s < t; ++s) {
      const int surplus = channels_[static_cast<std::size_t>(s)] - channels;
      // nasbench's truncate asserts this: a vertex never has fewer channels than a successor, and at
      // most one more (the remainder of the even split).
      if (spec.has_edge(s, t) && (surplus < 0 || surplus > 1)) {
        throw Error("Nb101Module: vertex " + std::to_string(s) + " (" +
                    std::to_string(channels_[static_cast<std::size_t>(s)]) + " channels) feeds vertex " +
                    std::to_string(t) + " (" + std::to_string(channels) + "), which truncation cannot bridge");
      }
    }
    const int projected_from = spec.has_edge(0, t) ? in_channels : 0;
    vertices_.push_back(
        register_module("vertex_" + std::to_string(t), Nb101Vertex(spec.op(t), channels, projected_from)));
  }
  // After pruning, the only cell without an interior vertex is input -> output, which has the edge.
  if (spec.has_edge(0, output)) {
    output_projection_ = register_module("output_projection", Nb101ConvBNReLU(in_channels, out_channels, 1));
  }
}

Nb101Vertex& Nb101ModuleImpl::vertex(int t) {
  TORCH_CHECK(t >= 1 && t <= static_cast<int>(vertices_.size()), "Nb101Module: no interior vertex ", t);
  return vertices_[static_cast<std::size_t>(t - 1)];
}

torch::Tensor Nb101ModuleImpl::forward(const torch::Tensor& x) {
  const int output = spec_.num_vertices() - 1;
  std::vector<torch::Tensor> outputs{x};  // outputs[t]: vertex t's value; 0 is the module input
  for (int t = 1; t < output; ++t) {
    const int channels = channels_[static_cast<std::size_t>(t)];
    std::vector<torch::Tensor> inputs;
    for (int s = 1; s < t; ++s) {
      if (spec_.has_edge(s, t)) inputs.push_back(truncate_channels(outputs[static_cast<std::size_t>(s)], channels));
    }
    outputs.push_back(vertices_[static_cast<std::size_t>(t - 1)]->forward(inputs, x));
  }
  std::vector<torch::Tensor> feeding;  // ascending vertex order: the channel order of the concat
  for (int t = 1; t < output; ++t) {
    if (spec_.has_edge(t, output)) feeding.push_back(outputs[static_cast<std::size_t>(t)]);
  }
  if (feeding.empty()) return output_projection_(x);  // the 2-vertex cell
  torch::Tensor y = feeding.size() == 1 ? feeding.front() : torch::cat(feeding, 1);
  return has_output_projection() ? y + output_projection_(x) : y;
}

// --- Nb101Network -----------------------------------------------------------------------------------

Nb101NetworkImpl::Nb101NetworkImpl(const bench::Nb101Spec& spec, int num_classes)
    : Nb101NetworkImpl(spec, num_classes, c10::optional<torch::Generator>{}) {}

Nb101NetworkImpl::Nb101NetworkImpl(const bench::Nb101Spec& spec, int num_classes, torch::Generator generator)
    : Nb101NetworkImpl(spec, num_classes, c10::optional<torch::Generator>{std::move(generator)}) {}

Nb101NetworkImpl::Nb101NetworkImpl(const bench::Nb101Spec& spec, int num_classes,
                                   c10::optional<torch::Generator> generator)
    : spec_(spec), num_classes_(num_classes) {
  if (num_classes <= 0) {
    throw Error("Nb101Network: the number of classes must be positive, got " + std::to_string(num_classes));
  }
  stem_ = register_module("stem", Nb101ConvBNReLU(3, bench::kNb101StemChannels, 3));
  stacks_ = register_module("stacks", torch::nn::ModuleList());
  int channels = bench::kNb101StemChannels;
  for (int stack = 0; stack < bench::kNb101NumStacks; ++stack) {
    // Each stack after the first follows a downsampling and doubles the channels in its first module.
    const int out_channels = stack == 0 ? channels : 2 * channels;
    torch::nn::Sequential modules;
    for (int index = 0; index < bench::kNb101ModulesPerStack; ++index) {
      modules_.push_back(Nb101Module(spec, channels, out_channels));
      modules->push_back(modules_.back());
      channels = out_channels;
    }
    stacks_->push_back(modules);
  }
  classifier_ = register_module("classifier", torch::nn::Linear(channels, num_classes));
  initialize_like_tensorflow(*this, generator);
}

Nb101Module& Nb101NetworkImpl::module_at(int stack, int index) {
  TORCH_CHECK(stack >= 0 && stack < bench::kNb101NumStacks && index >= 0 && index < bench::kNb101ModulesPerStack,
              "Nb101Network: no module ", index, " in stack ", stack);
  return modules_[static_cast<std::size_t>(stack * bench::kNb101ModulesPerStack + index)];
}

std::pair<torch::Tensor, torch::Tensor> Nb101NetworkImpl::forward_with_features(const torch::Tensor& images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3, "Nb101Network: expected images [N, 3, H, W], got ",
              images.sizes());
  const bool to_channels_last = channels_last_on_cpu_ && images.is_cpu();
  torch::Tensor x = stem_(to_channels_last ? images.contiguous(torch::MemoryFormat::ChannelsLast) : images);
  for (int stack = 0; stack < bench::kNb101NumStacks; ++stack) {
    if (stack > 0) x = nb101_downsample(x);
    x = stacks_->ptr<torch::nn::SequentialImpl>(static_cast<std::size_t>(stack))->forward(x);
  }
  // nasbench's reduce_mean over H, W: the same values in either memory format.
  torch::Tensor features = x.mean({2, 3});
  torch::Tensor logits = classifier_(features);
  return {features, logits};
}

torch::Tensor Nb101NetworkImpl::forward(const torch::Tensor& images) { return forward_with_features(images).second; }

}  // namespace nas::supernet

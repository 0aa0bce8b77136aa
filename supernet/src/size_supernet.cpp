// The size-space supernet and its width-choice modes (reference §5.1).
#include "nas/supernet/size_supernet.h"

#include <algorithm>
#include <cmath>

#include "nas/benchmark_api/error.h"
#include "nas/supernet/size_network.h"

namespace nas::supernet {
namespace {

constexpr int kFullWidth = bench::kSssNumCandidates - 1;  // candidate index of width 64

}  // namespace

std::string channel_search_mode_name(ChannelSearchMode mode) {
  switch (mode) {
    case ChannelSearchMode::MaskGumbel: return "mask_gumbel";
    case ChannelSearchMode::MaskRl: return "mask_rl";
    case ChannelSearchMode::Tas: return "tas";
    case ChannelSearchMode::Warmup: return "warmup";
    case ChannelSearchMode::Fixed: return "fixed";
  }
  return "?";
}

ChannelSearchMode parse_channel_search_mode(const std::string& text) {
  for (ChannelSearchMode mode : {ChannelSearchMode::MaskGumbel, ChannelSearchMode::MaskRl, ChannelSearchMode::Tas,
                                 ChannelSearchMode::Warmup, ChannelSearchMode::Fixed}) {
    if (channel_search_mode_name(mode) == text) return mode;
  }
  throw Error("unknown channel search mode '" + text + "' (expected mask_gumbel, mask_rl, tas, warmup or fixed)");
}

torch::Tensor channel_masks() {
  torch::Tensor masks = torch::zeros({bench::kSssNumCandidates, kMaxChannels}, torch::kFloat);
  for (int k = 0; k < bench::kSssNumCandidates; ++k) masks[k].slice(0, 0, bench::kSssCandidates[k]).fill_(1);
  return masks;
}

torch::Tensor channel_interpolate(const torch::Tensor& x, int channels) {
  if (x.dim() != 4) throw Error("channel_interpolate expects a 4-D tensor");
  if (channels <= 0) throw Error("channel_interpolate: the channel count must be positive");
  const std::int64_t in = x.size(1);
  if (in == channels) return x;
  if (in > channels) {
    // Shrinking (never needed by TAS, which always widens to the larger width). A 4-D input to
    // adaptive 3-D pooling is read as (C, D, H, W): the feature channels are the pooled depth.
    return torch::adaptive_avg_pool3d(x, {channels, x.size(2), x.size(3)});
  }
  // Widening: every pooling window [floor(i in / channels), ceil((i + 1) in / channels)) holds one
  // or two input channels, so the mean is (x[first] + x[last]) / 2, the same arithmetic as the
  // pooling's sum / count (and x itself when first == last), through two gathers instead of
  // LibTorch's slow generic 3-D pooling kernel.
  std::vector<std::int64_t> first(static_cast<std::size_t>(channels)), last(static_cast<std::size_t>(channels));
  for (std::int64_t i = 0; i < channels; ++i) {
    first[static_cast<std::size_t>(i)] = (i * in) / channels;
    last[static_cast<std::size_t>(i)] = ((i + 1) * in + channels - 1) / channels - 1;
  }
  const auto index = [&x](const std::vector<std::int64_t>& values) {
    return torch::tensor(values, torch::kLong).to(x.device());
  };
  return (x.index_select(1, index(first)) + x.index_select(1, index(last))) * 0.5;
}

torch::Tensor gumbel_noise(at::IntArrayRef shape, torch::Generator& generator) {
  return -torch::empty(shape, torch::kFloat).exponential_(1, generator).log();
}

TasSelection tas_select(const torch::Tensor& alpha_row, double tau, torch::Generator& generator) {
  if (!(tau > 0)) throw Error("TAS temperature must be positive");
  torch::Tensor logits, probs;
  while (true) {  // the reference's guard against the rare infinite Gumbel draw
    const torch::Tensor g = gumbel_noise(alpha_row.sizes(), generator);
    if (torch::isinf(g).any().item<bool>()) continue;
    logits = (torch::log_softmax(alpha_row, -1) + g.to(alpha_row.device())) / tau;
    probs = torch::softmax(logits, -1);
    const torch::Tensor p = probs.detach();
    if (!torch::isinf(p).any().item<bool>() && !torch::isnan(p).any().item<bool>()) break;
  }
  // Two distinct candidates, drawn in proportion to the perturbed probabilities (the epsilon keeps
  // multinomial defined when tau is small and all but one probability underflow).
  const torch::Tensor picked =
      torch::multinomial(probs.detach().to(torch::kCPU) + 1e-7, 2, /*replacement=*/false, generator);
  TasSelection selection;
  selection.candidates = {static_cast<int>(picked[0][0].item<std::int64_t>()),
                          static_cast<int>(picked[0][1].item<std::int64_t>())};
  selection.weights = torch::softmax(logits.gather(1, picked.to(alpha_row.device())), 1)[0];
  return selection;
}

torch::Tensor mix_two_widths(const torch::Tensor& x, const TasSelection& selection) {
  const int c1 = bench::kSssCandidates.at(static_cast<std::size_t>(selection.candidates[0]));
  const int c2 = bench::kSssCandidates.at(static_cast<std::size_t>(selection.candidates[1]));
  const int width = std::max(c1, c2);
  if (width > x.size(1)) throw Error("mix_two_widths: the input has fewer channels than the selected widths");
  const torch::Tensor mixed = channel_interpolate(x.slice(1, 0, c1), width) * selection.weights[0] +
                              channel_interpolate(x.slice(1, 0, c2), width) * selection.weights[1];
  if (width == x.size(1)) return mixed;
  const torch::Tensor padding = torch::zeros({x.size(0), x.size(1) - width, x.size(2), x.size(3)}, mixed.options());
  return torch::cat({mixed, padding}, 1);
}

SizeSupernetImpl::SizeSupernetImpl(const SizeSupernetOptions& options, torch::Generator generator)
    : options_(options), generator_(std::move(generator)) {
  if (options.num_classes() <= 0 || options.in_channels() <= 0) {
    throw Error("SizeSupernet: classes and input channels must be positive");
  }
  const auto search_bn = [&options] {
    return torch::nn::BatchNorm2dOptions(kMaxChannels).affine(options.affine()).track_running_stats(options.track_running_stats());
  };
  stem_conv_ = register_module("stem_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in_channels(), kMaxChannels, 3)
                                                                  .padding(1)
                                                                  .bias(!options.affine())));
  stem_bn_ = register_module("stem_bn", torch::nn::BatchNorm2d(search_bn()));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  for (int layer = 0; layer < bench::kSssNumLayers; ++layer) {
    if (layer % 2 == 1) {
      ResNetBasicBlock block(kMaxChannels, kMaxChannels, 2, true, true);
      blocks_->push_back(block);
      block_list_.emplace_back(block);
    } else {
      InferCell block(size_space_cell(), kMaxChannels, kMaxChannels, 1, options.affine(), options.track_running_stats());
      blocks_->push_back(block);
      block_list_.emplace_back(block);
    }
  }
  lastact_bn_ = register_module("lastact_bn", torch::nn::BatchNorm2d(search_bn()));
  classifier_ = register_module("classifier", torch::nn::Linear(kMaxChannels, options.num_classes()));

  reinitialize_parameters(*this, generator_);
  alpha_ = register_parameter(
      "arch_parameters", 1e-3 * torch::randn({bench::kSssNumLayers, bench::kSssNumCandidates}, generator_, torch::kFloat));
  masks_ = register_buffer("masks", channel_masks());
}

void SizeSupernetImpl::set_tau(double tau) {
  if (!(tau > 0)) throw Error("Gumbel temperature must be positive, got " + std::to_string(tau));
  tau_ = tau;
}

void SizeSupernetImpl::set_warmup_probability(double p) {
  if (!(p >= 0 && p <= 1)) throw Error("warm-up probability must be in [0, 1], got " + std::to_string(p));
  warmup_probability_ = p;
}

std::vector<torch::Tensor> SizeSupernetImpl::weight_parameters() const {
  std::vector<torch::Tensor> weights;
  for (const auto& parameter : parameters()) {
    if (parameter.unsafeGetTensorImpl() != alpha_.unsafeGetTensorImpl()) weights.push_back(parameter);
  }
  return weights;
}

bench::SssArch SizeSupernetImpl::derive_arch() const {
  const torch::Tensor best = alpha_.detach().to(torch::kCPU).argmax(1);
  bench::SssArch config;
  for (int row = 0; row < bench::kSssNumLayers; ++row) config.choice[row] = static_cast<std::uint8_t>(best[row].item<std::int64_t>());
  return config;
}

std::vector<double> SizeSupernetImpl::row_probabilities(int row) const {
  const torch::Tensor p = torch::softmax(alpha_.detach()[row].to(torch::kCPU).to(torch::kDouble), 0);
  return std::vector<double>(p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
}

torch::Tensor SizeSupernetImpl::choose_width(int layer, const torch::Tensor& x, torch::Tensor& log_prob_sum) {
  const int row = alpha_row_of_layer(layer);
  const torch::Tensor alpha_row = alpha_.slice(0, row, row + 1);  // [1, 8]
  LayerSample& sample = last_samples_[layer];
  sample = LayerSample{};
  const auto masked = [&](int candidate) {
    sample.candidate = candidate;
    if (candidate == kFullWidth) return x;  // the all-ones mask
    return x * masks_[candidate].view({1, -1, 1, 1});
  };
  switch (mode_) {
    case ChannelSearchMode::MaskGumbel: {
      const torch::Tensor g = gumbel_noise(alpha_row.sizes(), generator_).to(alpha_.device());
      const torch::Tensor weights = torch::softmax((alpha_row + g) / tau_, -1);
      return x * weights.matmul(masks_).view({1, -1, 1, 1});
    }
    case ChannelSearchMode::MaskRl: {
      const torch::Tensor probs = torch::softmax(alpha_row.detach(), -1).to(torch::kCPU);
      const int k = static_cast<int>(torch::multinomial(probs, 1, /*replacement=*/true, generator_)[0][0].item<std::int64_t>());
      const torch::Tensor log_prob = torch::log_softmax(alpha_row, -1)[0][k];
      log_prob_sum = log_prob_sum.defined() ? log_prob_sum + log_prob : log_prob;
      return masked(k);
    }
    case ChannelSearchMode::Tas: {
      const TasSelection selection = tas_select(alpha_row, tau_, generator_);
      sample.candidate = selection.candidates[0];
      sample.second = selection.candidates[1];
      return mix_two_widths(x, selection);
    }
    case ChannelSearchMode::Warmup: {
      const bool full = torch::rand({1}, generator_, torch::kDouble).item<double>() < warmup_probability_;
      const int k = full ? kFullWidth
                         : static_cast<int>(torch::randint(bench::kSssNumCandidates, {1}, generator_, torch::kLong).item<std::int64_t>());
      return masked(k);
    }
    case ChannelSearchMode::Fixed: return masked(fixed_.choice[row]);
  }
  return x;
}

std::pair<torch::Tensor, torch::Tensor> SizeSupernetImpl::forward_with_features(const torch::Tensor& images) {
  const bool to_channels_last = options_.channels_last_on_cpu() && images.is_cpu() && images.dim() == 4;
  torch::Tensor log_prob_sum;
  torch::Tensor x = stem_bn_(stem_conv_(to_channels_last ? images.contiguous(torch::MemoryFormat::ChannelsLast) : images));
  x = choose_width(0, x, log_prob_sum);
  for (std::size_t i = 0; i < block_list_.size(); ++i) {
    x = block_list_[i].forward(x);
    x = choose_width(static_cast<int>(i) + 1, x, log_prob_sum);
  }
  last_log_prob_ = log_prob_sum;
  x = torch::relu(lastact_bn_(x));
  torch::Tensor features = x.mean({2, 3});
  return {features, classifier_(features)};
}

torch::Tensor SizeSupernetImpl::forward(const torch::Tensor& images) { return forward_with_features(images).second; }

}  // namespace nas::supernet

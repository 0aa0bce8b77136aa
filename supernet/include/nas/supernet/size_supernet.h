// The weight-sharing supernet of the size space: NATS-Bench's GenericNAS301Model (reference §5.1).
//
//   torch::Generator gen = make_cpu_generator(seed);           // owned by the searcher
//   SizeSupernet net(SizeSupernetOptions{}.num_classes(10), gen);   // weights + alpha from gen
//   torch::optim::SGD w_opt(net->weight_parameters(), ...);
//   torch::optim::Adam a_opt(net->arch_parameters(), ...);
//   net->set_mode(ChannelSearchMode::MaskGumbel);  net->set_tau(10.0);
//   torch::Tensor logits = net->forward(images);
//   bench::SssArch best = net->derive_arch();                 // per-row argmax of alpha
//
// Every layer is built at the largest width, 64: stem Conv3x3(in -> 64, bias) -> BN, then
// cell, ResNetBasicBlock (stride 2), cell, ResNetBasicBlock (stride 2), cell (the fixed cell tss
// #9930), then BN -> ReLU -> global average pool -> Linear(64 -> classes). The stem BN, the cells and
// the final BN use the search BN settings (default affine = track_running_stats = false, so the
// stem conv has a bias); the residual blocks are affine and tracking, as in the reference.
// The architecture parameters alpha in R^{5x8} (1e-3 * N(0, 1)) score the 8 widths of the 5
// configuration layers; the six network layers (stem, cell, block, cell, block, cell) use alpha row
// max(0, layer - 1), so the stem and the first cell share row 0 (both are C0) but draw their own
// samples. masks() [8, 64]: row k keeps the first 8(k+1) channels.
//
// What each mode does to a layer's output x [B, 64, H, W] (set_mode):
//   MaskGumbel  (FBNet-V2) w = softmax((alpha_row + g) / tau), g Gumbel noise; x *= w . masks
//               (a soft mask: channel j is weighted by the probability mass of widths > j).
//   MaskRl      (TuNAS) k ~ Categorical(softmax(alpha_row)); x *= masks[k]; the log-probabilities
//               of the samples are summed into last_log_prob() for the REINFORCE update.
//   Tas         two distinct widths c1, c2 drawn from softmax((log_softmax(alpha_row) + g) / tau)
//               (multinomial without replacement); each of x[:, :c1] and x[:, :c2] is resized to
//               max(c1, c2) channels by channel_interpolate, mixed with the softmax of their two
//               perturbed logits, and zero-padded back to 64 channels.
//   Warmup      the reference's warm-up: with probability p (set_warmup_probability) the full width,
//               else a uniformly random width; alpha takes no part.
//   Fixed       the widths of set_fixed_config (evaluation of one configuration).
// Note (a reference property, kept): masking happens only at layer outputs, so a layer's inner
// convolutions always run at width 64 and a sampled sub-network is not the DynamicShapeTinyNet of
// its configuration.
//
// Determinism: construction redraws every weight from the generator and then alpha; all sampling
// in forward draws on the CPU from the same generator (a shared handle the searcher reseeds), and
// only small results move to the model's device, so a seed gives the same samples on CPU and CUDA.
#pragma once

#include <torch/torch.h>

#include <array>
#include <string>
#include <vector>

#include "nas/benchmark_api/size_space.h"
#include "nas/supernet/operations.h"
#include "nas/supernet/tiny_network.h"

namespace nas::supernet {

enum class ChannelSearchMode { MaskGumbel, MaskRl, Tas, Warmup, Fixed };
/// "mask_gumbel", "mask_rl", "tas", "warmup", "fixed"; the parse throws nas::Error for anything else.
std::string channel_search_mode_name(ChannelSearchMode mode);
ChannelSearchMode parse_channel_search_mode(const std::string& text);

/// The largest width, the width every supernet layer is built with.
inline constexpr int kMaxChannels = bench::kSssCandidates.back();
/// Layers of the supernet that are followed by a width choice: stem, cell, block, cell, block, cell.
inline constexpr int kSizeSupernetLayers = bench::kSssNumLayers + 1;
/// The alpha row (configuration layer) a supernet layer uses.
constexpr int alpha_row_of_layer(int layer) { return layer > 0 ? layer - 1 : 0; }

/// [8, 64] float: row k is 1 on the first kSssCandidates[k] channels, 0 after.
torch::Tensor channel_masks();

/// TAS's channel-wise interpolation: resizes x [B, C, H, W] to `channels` channels by adaptive
/// average pooling over the channel axis (output channel i averages input channels
/// [floor(i C / channels), ceil((i + 1) C / channels))). x itself when C == channels.
torch::Tensor channel_interpolate(const torch::Tensor& x, int channels);

/// Gumbel noise -log(Exp(1)) of `shape`, drawn on the CPU from `generator`.
torch::Tensor gumbel_noise(at::IntArrayRef shape, torch::Generator& generator);

/// One TAS draw for an alpha row: the two candidate indices and their mixing weights [2]
/// (differentiable with respect to alpha).
struct TasSelection {
  std::array<int, 2> candidates{};
  torch::Tensor weights;
};
TasSelection tas_select(const torch::Tensor& alpha_row, double tau, torch::Generator& generator);
/// TAS's output for a layer output x [B, C, H, W]: x[:, :c1] and x[:, :c2] resized to
/// max(c1, c2) channels (channel_interpolate), weighted by selection.weights, zero-padded to C.
torch::Tensor mix_two_widths(const torch::Tensor& x, const TasSelection& selection);

/// What a layer used in the last forward: the candidate index (MaskRl, Warmup, Fixed; for Tas the
/// first of the pair and `second` the other; MaskGumbel: -1, all widths mix).
struct LayerSample {
  int candidate = -1;
  int second = -1;
};

struct SizeSupernetOptions {
  TORCH_ARG(int, num_classes) = 10;
  TORCH_ARG(int, in_channels) = 3;
  /// BN settings of the stem, the cells and the final BN (the residual blocks are always affine and
  /// tracking, as in the reference). Stem conv bias = !affine.
  TORCH_ARG(bool, affine) = false;
  TORCH_ARG(bool, track_running_stats) = false;
  /// Convert CPU inputs to channels-last in forward (LibTorch's CPU kernels are faster that way).
  TORCH_ARG(bool, channels_last_on_cpu) = true;
};

class SizeSupernetImpl : public torch::nn::Module {
 public:
  /// Builds the network, redraws all weights from `generator`, then draws alpha; keeps the
  /// generator (a shared handle) for sampling in forward.
  SizeSupernetImpl(const SizeSupernetOptions& options, torch::Generator generator);

  /// Logits [B, num_classes] in the current mode.
  torch::Tensor forward(const torch::Tensor& images);
  /// (pooled features [B, 64], logits).
  std::pair<torch::Tensor, torch::Tensor> forward_with_features(const torch::Tensor& images);

  void set_mode(ChannelSearchMode mode) { mode_ = mode; }
  ChannelSearchMode mode() const { return mode_; }
  /// Gumbel temperature of MaskGumbel and Tas (the searchers anneal it 10 -> 0.1). Must be positive.
  void set_tau(double tau);
  double tau() const { return tau_; }
  /// Warmup mode's probability of the full width, in [0, 1].
  void set_warmup_probability(double p);
  /// The configuration Fixed mode runs.
  void set_fixed_config(const bench::SssArch& config) { fixed_ = config; }
  void set_generator(torch::Generator generator) { generator_ = std::move(generator); }

  /// Alpha [5, 8] (registered as the parameter "arch_parameters").
  const torch::Tensor& alpha() const { return alpha_; }
  std::vector<torch::Tensor> arch_parameters() const { return {alpha_}; }
  /// Every parameter except alpha, for the weight optimizer.
  std::vector<torch::Tensor> weight_parameters() const;
  const torch::Tensor& masks() const { return masks_; }

  /// Per-row argmax of alpha (the first index wins ties), the reference's `genotype`.
  bench::SssArch derive_arch() const;
  /// softmax(alpha[row]) (8 values, candidate order).
  std::vector<double> row_probabilities(int row) const;

  /// MaskRl: the sum of log softmax(alpha_row)[k] over the last forward's samples (differentiable
  /// with respect to alpha); undefined after a forward in another mode.
  const torch::Tensor& last_log_prob() const { return last_log_prob_; }
  /// The width choice of each of the six layers in the last forward.
  const std::array<LayerSample, kSizeSupernetLayers>& last_samples() const { return last_samples_; }

 private:
  torch::Tensor choose_width(int layer, const torch::Tensor& x, torch::Tensor& log_prob_sum);

  SizeSupernetOptions options_;
  torch::Generator generator_;
  ChannelSearchMode mode_ = ChannelSearchMode::MaskGumbel;
  double tau_ = 10.0;
  double warmup_probability_ = 1.0;
  bench::SssArch fixed_{};
  torch::Tensor last_log_prob_;
  std::array<LayerSample, kSizeSupernetLayers> last_samples_{};

  torch::nn::Conv2d stem_conv_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  torch::nn::ModuleList blocks_{nullptr};
  std::vector<torch::nn::AnyModule> block_list_;
  torch::nn::BatchNorm2d lastact_bn_{nullptr};
  torch::nn::Linear classifier_{nullptr};
  torch::Tensor alpha_;
  torch::Tensor masks_;
};
TORCH_MODULE(SizeSupernet);

}  // namespace nas::supernet

// The three NATS-Bench weight-sharing searchers of the size space (reference §5.1):
//
//   tas       TAS (Dong & Yang 2019): per layer two widths sampled with Gumbel-perturbed
//             probabilities, aligned by channel-wise interpolation and mixed; architecture step =
//             cross-entropy on the arch batch; tau 10 -> 0.1 over the epochs
//   fbnet-v2  FBNet-V2 (Wan et al. 2020): per layer a Gumbel-softmax mixture of the 8 channel masks;
//             architecture step = cross-entropy; tau 10 -> 0.1
//   tunas     TuNAS (Bender et al. 2020): per layer one width sampled from softmax(alpha) and its
//             mask; architecture step = REINFORCE, loss = -(top1 - EMA) * sum of log-probabilities,
//             EMA of the arch-batch top-1 (momentum 0.95, bias-corrected, updated before the
//             advantage is formed)
//
// All three train GenericNAS301Model (supernet/size_supernet.h) with the NATS-Bench weight-sharing
// schedule (weight SGD with cosine learning rate, architecture Adam; no gradient clipping in the
// reference's search-size.py) and end with the per-layer argmax of alpha, "C0:C1:C2:C3:C4".
// Optional warm-up (warmup_ratio r > 0): during the epochs with epoch / epochs < r the architecture
// step is off and every layer takes the full width with probability 1 - epoch / epochs / r, else a
// uniformly random width. The validation accuracy each epoch reports is the derived configuration's
// (its masks applied in the supernet), on the valid split with the test transform.
#pragma once

#include <memory>
#include <vector>

#include "nas/algorithms/weight_sharing.h"
#include "nas/supernet/size_supernet.h"

namespace nas::algorithms {

/// Settings of the size-space searchers.
struct ChannelSearchSettings : WeightSharingSettings {
  /// 0: no warm-up; r in (0, 1]: the first fraction r of the epochs warms up (see above).
  double warmup_ratio = 0;
  ChannelSearchSettings() { w_grad_clip = 0; }  // search-size.py does not clip the weight gradients
};

template <typename Config>
void describe_channel_search(ConfigBinder<Config>& b) {
  describe_weight_sharing(b);
  b.field("warmup_ratio", &Config::warmup_ratio, "Fraction of the epochs with random widths and no architecture step (0: none)",
          range::between(0, 1));
}

/// Size supernet + weight SGD + architecture Adam, and the epoch schedule the three methods share.
class ChannelSearcher : public WeightSharingSearcher {
 public:
  ChannelSearcher(const ChannelSearchSettings& settings, supernet::ChannelSearchMode mode);

  supernet::SizeSupernet& network() { return net_; }

 protected:
  bench::Space searched_space() const override { return bench::Space::Size; }
  void build(const Context& ctx) override;
  void begin_epoch(int epoch, int epochs, torch::Generator& generator) override;
  StepStats train_step(const supernet::SearchBatch& batch, torch::Generator& generator) override;
  ArchId derive(const supernet::EvalBatchStream& valid, int max_batches, bool final, torch::Generator& generator,
                double* valid_accuracy) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
  std::vector<std::vector<double>> arch_probabilities() const override;
  double tau() const override { return uses_tau() ? net_->tau() : 0.0; }

  /// The method's architecture loss after a forward of the arch batch in the search mode. `top1`
  /// is that batch's accuracy in percent. Called in warm-up epochs too (then without gradient:
  /// the reference computes the loss there and skips only the update).
  virtual torch::Tensor arch_loss(const torch::Tensor& logits, const torch::Tensor& labels, double top1) = 0;
  /// Whether the method anneals a Gumbel temperature (set per epoch from gumbel_).
  virtual bool uses_tau() const { return false; }

  /// Top-1 (percent) of one configuration (its masks in the supernet) on valid batches [0, count).
  double evaluate_config(const bench::SssArch& config, const supernet::EvalBatchStream& valid, std::int64_t count);

  GumbelSettings gumbel_;
  supernet::SizeSupernet net_{nullptr};
  std::unique_ptr<torch::optim::SGD> w_optimizer_;
  std::unique_ptr<torch::optim::Adam> a_optimizer_;
  torch::Device device_ = torch::kCPU;

 private:
  ChannelSearchSettings channel_settings_;
  supernet::ChannelSearchMode search_mode_;
  bool controller_enabled_ = true;  ///< false in warm-up epochs
};

class Tas final : public ChannelSearcher {
 public:
  struct Config : ChannelSearchSettings, GumbelSettings {};
  static void describe(ConfigBinder<Config>& b);
  explicit Tas(const Config& config);

 protected:
  torch::Tensor arch_loss(const torch::Tensor& logits, const torch::Tensor& labels, double top1) override;
  bool uses_tau() const override { return true; }
};

class FbnetV2 final : public ChannelSearcher {
 public:
  struct Config : ChannelSearchSettings, GumbelSettings {};
  static void describe(ConfigBinder<Config>& b);
  explicit FbnetV2(const Config& config);

 protected:
  torch::Tensor arch_loss(const torch::Tensor& logits, const torch::Tensor& labels, double top1) override;
  bool uses_tau() const override { return true; }
};

/// The bias-corrected exponential moving average TuNAS's reward baseline uses.
class ExponentialMovingAverage {
 public:
  explicit ExponentialMovingAverage(double momentum) : momentum_(momentum) {}
  void update(double value) {
    numerator_ = momentum_ * numerator_ + (1 - momentum_) * value;
    denominator_ = momentum_ * denominator_ + (1 - momentum_);
  }
  /// The average so far; 0 before the first update.
  double value() const { return denominator_ > 0 ? numerator_ / denominator_ : 0.0; }
  double numerator() const { return numerator_; }
  double denominator() const { return denominator_; }
  void restore(double numerator, double denominator) {
    numerator_ = numerator;
    denominator_ = denominator;
  }

 private:
  double momentum_;
  double numerator_ = 0, denominator_ = 0;
};

class Tunas final : public ChannelSearcher {
 public:
  struct Config : ChannelSearchSettings {
    double baseline_momentum = 0.95;
    Config() { a_weight_decay = 0; }  // the reference's TuNAS commands set the arch weight decay to 0
  };
  static void describe(ConfigBinder<Config>& b);
  explicit Tunas(const Config& config);

  const ExponentialMovingAverage& baseline() const { return baseline_; }

 protected:
  torch::Tensor arch_loss(const torch::Tensor& logits, const torch::Tensor& labels, double top1) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

 private:
  ExponentialMovingAverage baseline_;
};

}  // namespace nas::algorithms

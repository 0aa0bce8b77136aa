// The six NATS-Bench weight-sharing searchers of the topology space (reference §5.0):
//
//   darts-v1   joint (softmax-weighted) supernet; weight step, then a first-order architecture step
//   darts-v2   as darts-v1, with the unrolled second-order architecture gradient (finite-difference
//              Hessian-vector product)
//   gdas       hard Gumbel-softmax sampling (one op per edge runs), tau 10 -> 0.1 over the epochs
//   setn       weight step on a uniformly random cell; architecture step in joint mode; final cell:
//              best on one valid batch each among the 100 most probable cells
//   random-ws  RSPS: every cell samples its own ops per step; final cell: best of 100 random cells
//   enas       weight step on cells sampled from an LSTM controller, which is trained with
//              REINFORCE after each epoch (50 updates of 20 samples); final cell: best of 100
//              controller samples
//
// max_valid_batches N > 0 (quick runs) bounds the candidate scoring of the last three to N
// candidates and ENAS's controller training to N samples per epoch, one valid batch each.
//
// All derive an arch of the benchmark, so the result is looked up like a query-based search's.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "nas/algorithms/enas_controller.h"
#include "nas/algorithms/weight_sharing.h"
#include "nas/supernet/topology_supernet.h"

namespace nas::algorithms {

/// DARTS-V2's unrolled architecture gradient (reference `backward_step_unrolled`), written into
/// alpha's .grad: dalpha = grad_alpha L_arch(w', alpha) - lr * H with
///   w' = w - lr * (momentum * m + grad_w L_train(w) + wd * w)   (lr, momentum, wd, m: the SGD's)
///   H  = (grad_alpha L_train(w + R v) - grad_alpha L_train(w - R v)) / (2 R),
///   v  = grad_w' L_arch(w'),  R = hessian_step / |v|  (the reference: 0.01).
/// The network runs in joint mode; its weights are left as they were. Returns L_arch(w').
torch::Tensor darts_unrolled_arch_gradient(supernet::TopologySupernet& net, torch::optim::SGD& w_optimizer,
                                           const torch::Tensor& train_images, const torch::Tensor& train_labels,
                                           const torch::Tensor& arch_images, const torch::Tensor& arch_labels,
                                           double hessian_step = 0.01);

/// The largest topology supernet a search builds (NATS-Bench's is C=16, N=5).
inline constexpr int kMaxChannels = 64;
inline constexpr int kMaxCellsPerStage = 10;

/// Settings of the topology-space searchers: the common ones plus the supernet's size.
struct TopologySearchSettings : WeightSharingSettings {
  int channels = 16;
  int cells_per_stage = 5;
};

/// A training step's activations grow about linearly in the batch, in C and in N, so the limit on
/// their product keeps a wider or deeper supernet's step as small as kMaxBatchSize images at
/// NATS-Bench's size: batch_size * channels * cells_per_stage <= 512 * 16 * 5.
inline constexpr std::int64_t kMaxTopologyBatchWork =
    std::int64_t{kMaxBatchSize} * TopologySearchSettings{}.channels * TopologySearchSettings{}.cells_per_stage;

template <typename Config>
void describe_topology_search(ConfigBinder<Config>& b) {
  describe_weight_sharing(b);
  const std::string work_limit = " (batch_size * C * N at most " + std::to_string(kMaxTopologyBatchWork) + ")";
  b.field("channels", &Config::channels, "Supernet stem channels C" + work_limit, range::between(1, kMaxChannels));
  b.field("cells_per_stage", &Config::cells_per_stage, "Supernet cells per stage N" + work_limit,
          range::between(1, kMaxCellsPerStage));
  b.rule([](const Config& c) -> std::string {
    const std::int64_t work = std::int64_t{c.batch_size} * c.channels * c.cells_per_stage;
    if (work <= kMaxTopologyBatchWork) return "";
    return "batch_size * channels * cells_per_stage (" + std::to_string(c.batch_size) + " * " + std::to_string(c.channels) +
           " * " + std::to_string(c.cells_per_stage) + " = " + std::to_string(work) + ") must be at most " +
           std::to_string(kMaxTopologyBatchWork) + " (" + std::to_string(kMaxBatchSize) +
           " images at C=16, N=5), or one step may not fit in memory";
  });
}

/// Supernet + weight SGD + architecture Adam, and the steps every method composes.
class SupernetSearcher : public WeightSharingSearcher {
 public:
  explicit SupernetSearcher(const TopologySearchSettings& settings) : WeightSharingSearcher(settings), topology_(settings) {}

  supernet::TopologySupernet& network() { return net_; }

 protected:
  bench::Space searched_space() const override { return bench::Space::Topology; }
  void build(const Context& ctx) override;
  void begin_epoch(int epoch, int epochs, torch::Generator& generator) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
  std::vector<std::vector<double>> arch_probabilities() const override;
  /// The default: the argmax cell of alpha (DARTS, GDAS) and its valid accuracy.
  ArchId derive(const supernet::EvalBatchStream& valid, int max_batches, bool final, torch::Generator& generator,
                double* valid_accuracy) override;

  /// SGD step on the weights in the current mode (alpha receives no gradient).
  void weight_step(const torch::Tensor& images, const torch::Tensor& labels, StepStats& stats);
  /// Adam step on alpha from the cross-entropy on the batch in the current mode.
  void arch_step(const torch::Tensor& images, const torch::Tensor& labels, StepStats& stats);
  /// Top-1 (percent) of a fixed cell on valid batches [first, first + count) (count 0: all).
  double evaluate_arch(const bench::TssArch& arch, const supernet::EvalBatchStream& valid, std::int64_t first,
                       std::int64_t count);
  /// How many candidates derive() scores: `candidates`, at most `max_valid_batches` when that is set.
  static int scored_candidates(int candidates, int max_valid_batches);
  /// The best of `candidates` by accuracy on one valid batch each (batch i for candidate i, cycling).
  bench::TssArch best_on_one_batch_each(const std::vector<bench::TssArch>& candidates,
                                        const supernet::EvalBatchStream& valid);
  /// Derived arch's index and its accuracy on the valid set (max_batches: 0 = all).
  ArchId report(const bench::TssArch& arch, const supernet::EvalBatchStream& valid, int max_batches,
                double* valid_accuracy);

  TopologySearchSettings topology_;
  supernet::TopologySupernet net_{nullptr};
  std::unique_ptr<torch::optim::SGD> w_optimizer_;
  std::unique_ptr<torch::optim::Adam> a_optimizer_;
  torch::Device device_ = torch::kCPU;
};

class DartsV1 final : public SupernetSearcher {
 public:
  struct Config : TopologySearchSettings {};
  static void describe(ConfigBinder<Config>& b) { describe_topology_search(b); }
  explicit DartsV1(const Config& config) : SupernetSearcher(config) {}

 protected:
  StepStats train_step(const supernet::SearchBatch& batch, torch::Generator& generator) override;
};

class DartsV2 final : public SupernetSearcher {
 public:
  struct Config : TopologySearchSettings {};
  static void describe(ConfigBinder<Config>& b) { describe_topology_search(b); }
  explicit DartsV2(const Config& config) : SupernetSearcher(config) {}

 protected:
  StepStats train_step(const supernet::SearchBatch& batch, torch::Generator& generator) override;
};

class Gdas final : public SupernetSearcher {
 public:
  struct Config : TopologySearchSettings, GumbelSettings {};
  static void describe(ConfigBinder<Config>& b);
  explicit Gdas(const Config& config) : SupernetSearcher(config), tau_max_(config.tau_max), tau_min_(config.tau_min) {}

 protected:
  void begin_epoch(int epoch, int epochs, torch::Generator& generator) override;
  StepStats train_step(const supernet::SearchBatch& batch, torch::Generator& generator) override;
  double tau() const override { return net_->tau(); }

 private:
  double tau_max_, tau_min_;
};

class Setn final : public SupernetSearcher {
 public:
  struct Config : TopologySearchSettings {
    int candidates = 100;
  };
  static void describe(ConfigBinder<Config>& b);
  explicit Setn(const Config& config) : SupernetSearcher(config), candidates_(config.candidates) {}

  /// The `k` cells with the highest sum over edges of log softmax(alpha) (ties: canonical order).
  std::vector<bench::TssArch> most_probable(int k) const;

 protected:
  StepStats train_step(const supernet::SearchBatch& batch, torch::Generator& generator) override;
  ArchId derive(const supernet::EvalBatchStream& valid, int max_batches, bool final, torch::Generator& generator,
                double* valid_accuracy) override;

 private:
  int candidates_;
};

class RandomWeightSharing final : public SupernetSearcher {
 public:
  struct Config : TopologySearchSettings {
    int candidates = 100;
  };
  static void describe(ConfigBinder<Config>& b);
  explicit RandomWeightSharing(const Config& config) : SupernetSearcher(config), candidates_(config.candidates) {}

 protected:
  StepStats train_step(const supernet::SearchBatch& batch, torch::Generator& generator) override;
  ArchId derive(const supernet::EvalBatchStream& valid, int max_batches, bool final, torch::Generator& generator,
                double* valid_accuracy) override;
  std::vector<std::vector<double>> arch_probabilities() const override { return {}; }

 private:
  int candidates_;
};

class Enas final : public SupernetSearcher {
 public:
  struct Config : TopologySearchSettings {
    int candidates = 100;
    double controller_lr = 1e-3;
    double controller_eps = 1e-3;
    int controller_steps = 50;
    int controller_samples_per_step = 20;
    double entropy_weight = 1e-4;
    double baseline_decay = 0.99;
    double controller_grad_clip = 5.0;
  };
  static void describe(ConfigBinder<Config>& b);
  explicit Enas(const Config& config) : SupernetSearcher(config), config_(config) {}

 protected:
  void build(const Context& ctx) override;
  StepStats train_step(const supernet::SearchBatch& batch, torch::Generator& generator) override;
  ArchId derive(const supernet::EvalBatchStream& valid, int max_batches, bool final, torch::Generator& generator,
                double* valid_accuracy) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
  std::vector<std::vector<double>> arch_probabilities() const override { return {}; }

 private:
  /// REINFORCE on the controller (reference train_controller): controller_steps updates of
  /// controller_samples_per_step samples, at most `max_samples` samples in all (0: no limit; a
  /// last partial group is still an update). Sets the baseline for the next epoch.
  void train_controller(const supernet::EvalBatchStream& valid, int max_samples, torch::Generator& generator);

  Config config_;
  EnasController controller_{nullptr};
  std::unique_ptr<torch::optim::Adam> c_optimizer_;
  double baseline_ = 0;
  bool has_baseline_ = false;
};

}  // namespace nas::algorithms

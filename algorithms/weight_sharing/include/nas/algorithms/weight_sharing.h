// Weight-sharing searchers: the shared machinery (LibTorch).
//
// A weight-sharing searcher trains a supernet on real images and derives an architecture from it.
// WeightSharingSearcher implements Searcher::search() as the epoch loop every NATS-Bench method
// shares (reference §5.0): choose the device and threads, load the search data, build the supernet
// and optimizers (subclass), then per epoch: set the schedule (learning rate, tau), run one training
// step per batch (subclass: weight step, then architecture step), derive the current architecture
// and its validation accuracy (subclass), checkpoint, and report an EpochRecord to the callbacks.
// Checkpoints hold everything a search's future depends on (model, optimizers, the subclass's
// state, the epoch), and every random stream is re-seeded from (run seed, epoch), so a search
// resumed from a checkpoint ends exactly as an uninterrupted one (same device and thread count).
//
// These searchers live in libnas_weight_sharing, which `nas` loads on demand (like a plugin), so
// benchmark queries and query-based searches never load LibTorch.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nas/algorithms/config.h"
#include "nas/algorithms/registry.h"
#include "nas/algorithms/searcher.h"
#include "nas/supernet/data.h"
#include "nas/supernet/training.h"

namespace nas::algorithms {

/// The largest batches a search accepts, so that no setting can exhaust a 24 GB machine. Peak
/// memory of one training step grows by about 21 MB per image of batch_size for the heaviest
/// supernet step, DARTS-V2's at NATS-Bench's C=16, N=5 (DARTS-V1: 14 MB, TAS: 5.5 MB), and one
/// evaluation batch by at most 2.3 MB per image (TAS; DARTS: 0.3 MB), over about 0.5 GB for the
/// data and LibTorch: 512 training images take about 11 GB, 2048 evaluation images about 5 GB
/// (README "Weight-sharing searches" has the measurements). The topology supernet's size adds
/// kMaxTopologyBatchWork.
inline constexpr int kMaxBatchSize = 512;
inline constexpr int kMaxValidBatchSize = 2048;

/// Settings every weight-sharing searcher has; defaults are NATS-Bench's (reference §5.0). Their
/// ranges are declared in describe_weight_sharing and checked when a config is parsed.
struct WeightSharingSettings {
  int epochs = 100;
  int batch_size = 64;
  int valid_batch_size = 512;
  int max_batches_per_epoch = 0;  ///< 0: whole epochs; N: stop each epoch after N batches (quick runs)
  /// 0: no limit. N: every pass over the valid split reads at most N batches: the epoch-end
  /// evaluation, candidate scoring (SETN, RSPS, ENAS score at most N candidates, one batch each)
  /// and ENAS's controller training (at most N samples per epoch). Quick runs.
  int max_valid_batches = 0;
  double w_lr = 0.025;
  double w_lr_min = 0.001;
  double w_momentum = 0.9;
  double w_weight_decay = 5e-4;
  bool w_nesterov = true;
  double w_grad_clip = 5.0;
  double a_lr = 3e-4;
  double a_beta1 = 0.5;
  double a_beta2 = 0.999;
  double a_weight_decay = 1e-3;
  double a_eps = 1e-8;
  bool track_running_stats = false;
};

/// Declares the common keys on a searcher's Config (which derives from WeightSharingSettings), with
/// the values each accepts.
template <typename Config>
void describe_weight_sharing(ConfigBinder<Config>& b) {
  b.field("epochs", &Config::epochs, "Search epochs", range::at_least(1));
  b.field("batch_size", &Config::batch_size,
          "Batch size of the weight and architecture steps, at most the training split's size",
          range::between(1, kMaxBatchSize));
  b.field("valid_batch_size", &Config::valid_batch_size, "Batch size of the validation passes, at most the valid split's size",
          range::between(1, kMaxValidBatchSize));
  b.field("max_batches_per_epoch", &Config::max_batches_per_epoch, "0: whole epochs; N: N batches per epoch",
          range::at_least(0));
  b.field("max_valid_batches", &Config::max_valid_batches, "0: whole valid set at each epoch end; N: N batches",
          range::at_least(0));
  b.field("w_lr", &Config::w_lr, "Weight SGD learning rate (cosine per epoch to w_lr_min)", range::positive());
  b.field("w_lr_min", &Config::w_lr_min, "Final weight learning rate, at most w_lr", range::non_negative());
  b.field("w_momentum", &Config::w_momentum, "Weight SGD momentum", range::below_one());
  b.field("w_weight_decay", &Config::w_weight_decay, "Weight decay of the weights", range::non_negative());
  b.field("w_nesterov", &Config::w_nesterov, "Nesterov momentum for the weights");
  b.field("w_grad_clip", &Config::w_grad_clip, "Gradient-norm clip of the weights (0: none)", range::non_negative());
  b.field("a_lr", &Config::a_lr, "Architecture Adam learning rate", range::positive());
  b.field("a_beta1", &Config::a_beta1, "Architecture Adam beta1", range::below_one());
  b.field("a_beta2", &Config::a_beta2, "Architecture Adam beta2", range::below_one());
  b.field("a_weight_decay", &Config::a_weight_decay, "Architecture Adam weight decay", range::non_negative());
  b.field("a_eps", &Config::a_eps, "Architecture Adam epsilon", range::positive());
  b.field("track_running_stats", &Config::track_running_stats, "BN running statistics in the search cells");
  b.rule([](const Config& c) -> std::string {
    if (c.w_lr_min <= c.w_lr) return "";
    return "w_lr_min (" + detail::readable_number(c.w_lr_min) + ") must be at most w_lr (" +
           detail::readable_number(c.w_lr) + ")";
  });
}

/// The Gumbel temperature schedule of GDAS, TAS and FBNet-V2: tau_max at the first epoch, linearly
/// down to tau_min at the last.
struct GumbelSettings {
  double tau_max = 10;
  double tau_min = 0.1;
};

template <typename Config>
void describe_gumbel(ConfigBinder<Config>& b) {
  b.field("tau_max", &Config::tau_max, "Gumbel-softmax temperature at the first epoch, at least tau_min", range::positive());
  b.field("tau_min", &Config::tau_min, "Gumbel-softmax temperature at the last epoch", range::positive());
  b.rule([](const Config& c) -> std::string {
    if (c.tau_min <= c.tau_max) return "";
    return "tau_min (" + detail::readable_number(c.tau_min) + ") must be at most tau_max (" +
           detail::readable_number(c.tau_max) + ")";
  });
}

/// Statistics of one training step (means over the batch).
struct StepStats {
  double train_loss = 0, train_accuracy = 0;
  double arch_loss = 0, arch_accuracy = 0;
};

// The steps, schedules, evaluation and state saving are supernet/'s training layer (training.h).
using supernet::cosine_learning_rate;
using supernet::load_supernet_state;
using supernet::save_supernet_state;
using supernet::set_learning_rate;
using supernet::supernet_arch_step;
using supernet::supernet_arch_update;
using supernet::supernet_weight_step;
using supernet::top1_accuracy;

/// NATS-Bench's optimizers of a supernet search: SGD on the weights (momentum, Nesterov, weight
/// decay) and Adam on the architecture parameters.
std::unique_ptr<torch::optim::SGD> make_weight_optimizer(const std::vector<torch::Tensor>& weights,
                                                         const WeightSharingSettings& settings);
std::unique_ptr<torch::optim::Adam> make_arch_optimizer(const std::vector<torch::Tensor>& arch_parameters,
                                                        const WeightSharingSettings& settings);

/// Top-1 (percent) of `forward` on valid batches [first, first + count) (count 0: every batch), without
/// gradient; the caller sets the network's mode and eval/train state.
double valid_top1(const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                  const supernet::EvalBatchStream& valid, std::int64_t first, std::int64_t count);

/// The base of the nine searchers. search() is the epoch loop above; it also
///   - checks, before it loads any data, that a checkpoint can be written where asked (folder
///     exists and is writable, the path is no directory, FIFO or device), and, when one exists
///     there, that it is a regular file written by the same run: the checkpoint carries the task's
///     Checkpointing::identity, and resuming from one of another identity (or one without
///     identity, written by an older nas) is a nas::Error naming the file and the first difference;
///   - checks that batch_size fits the training split and valid_batch_size the valid split;
///   - writes checkpoints atomically (no temporary file is left behind when writing fails);
///   - turns a LibTorch error (c10::Error) that escapes the method into one nas::Error line: the
///     error's first line, prefixed with what the search was doing (see Activity).
class WeightSharingSearcher : public TrainingSearcher {
 public:
  explicit WeightSharingSearcher(const WeightSharingSettings& settings) : settings_(settings) {}
  SearchResult search(const TrainingTask& task, Rng& rng, SearchCallbacks& callbacks) final;

 protected:
  /// The space the supernet is built for; search() refuses a task of another space.
  virtual bench::Space searched_space() const = 0;
  struct Context {
    const TrainingTask* task = nullptr;
    torch::Device device = torch::kCPU;
    const supernet::SearchData* data = nullptr;
    int num_classes = 0;
    int in_channels = 3;
    std::uint64_t seed = 0;
  };
  /// Creates the supernet and optimizers (deterministic in ctx.seed).
  virtual void build(const Context& ctx) = 0;
  /// Called before each epoch's steps (schedules); `generator` is this epoch's seeded stream.
  virtual void begin_epoch(int epoch, int epochs, torch::Generator& generator) = 0;
  /// One step: weight update on batch.train_*, architecture update on batch.arch_*.
  virtual StepStats train_step(const supernet::SearchBatch& batch, torch::Generator& generator) = 0;
  /// After each epoch (or once more at the end with final = true): the architecture the method
  /// derives now and its validation accuracy (percent) on `valid` (test transform). Every pass
  /// it makes over `valid` reads at most `max_batches` batches (0: no limit).
  virtual ArchId derive(const supernet::EvalBatchStream& valid, int max_batches, bool final, torch::Generator& generator,
                        double* valid_accuracy) = 0;
  /// The method's state beyond the epoch counter, for checkpoints.
  virtual void save(torch::serialize::OutputArchive& archive) const = 0;
  virtual void load(torch::serialize::InputArchive& archive) = 0;
  /// Per decision, the method's current probabilities over choices (empty if it has none).
  virtual std::vector<std::vector<double>> arch_probabilities() const { return {}; }
  virtual double tau() const { return 0; }

  const WeightSharingSettings& settings() const { return settings_; }

  /// Names what the search is doing while the object lives ("the weight step"); the innermost one
  /// names a LibTorch error escaping search(): "LibTorch error during the weight step (epoch 3): ...".
  /// It keeps its name when an exception leaves its scope, so the error names where it was thrown.
  class Activity {
   public:
    Activity(const WeightSharingSearcher& searcher, std::string what) : scope_(searcher.activity_, std::move(what)) {}

   private:
    supernet::ActivityLog::Scope scope_;
  };

 private:
  SearchResult run_search(const TrainingTask& task, Rng& rng, SearchCallbacks& callbacks);

  WeightSharingSettings settings_;
  mutable supernet::ActivityLog activity_;
};

/// Registers darts-v1, darts-v2, gdas, setn, enas, random-ws (RSPS) on the topology space and tas,
/// fbnet-v2, tunas on the size space.
void register_weight_sharing_searchers(SearcherRegistry& registry);

}  // namespace nas::algorithms

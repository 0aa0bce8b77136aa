// Training one architecture from scratch with its benchmark's protocol, as `nas` sees it: an
// interface without LibTorch. The implementation (supernet/trainer.h) lives in the LibTorch library
// libnas_weight_sharing, whose plugin registration installs it in the registry, so `nas train`
// loads LibTorch only when it trains.
//
//   const SearcherRegistry registry = make_registry({}, /*with_weight_sharing=*/true);
//   const ArchitectureTrainer& trainer = registry.architecture_trainer();
//   trainer.check(job);                        // every refusal before any data is read
//   bench::TrialRecord record = trainer.train(job, callbacks);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nas/algorithms/searcher.h"
#include "nas/benchmark_api/trial_record.h"

namespace nas::algorithms {

/// One training run: what, with which schedule and seed, where.
struct TrainingJob {
  bench::Space space = bench::Space::Topology;
  bench::ArchId arch = 0;
  bench::Dataset dataset = bench::Dataset::Cifar10Valid;
  int hp = 0;               ///< the benchmark schedule whose protocol is used (0: the space's default)
  std::int32_t seed = -1;   ///< -1: the benchmark's first trial seed
  /// Protocol fields to override, in order (`--set key=value`).
  std::vector<std::pair<std::string, std::string>> overrides;
  TrainingEnvironment environment;
  std::string checkpoint_path;  ///< "" = none
};

/// One finished epoch of a training run.
struct TrainingEpoch {
  int epoch = 0, epochs = 0;
  double lr = 0, train_loss = 0, train_accuracy = 0, seconds = 0;
  std::vector<std::pair<std::string, double>> eval_accuracy;  ///< (set name, top-1) of the evaluated sets
};

class TrainingCallbacks {
 public:
  virtual ~TrainingCallbacks() = default;
  virtual void on_batch(const BatchProgress& /*progress*/) {}
  virtual void on_epoch(const TrainingEpoch& /*epoch*/) {}
};

class ArchitectureTrainer {
 public:
  virtual ~ArchitectureTrainer() = default;
  /// The job with its defaults filled in (hp, seed) and the resolved protocol as (field, value)
  /// pairs; nas::Error for anything training would refuse (arch, dataset, hp, protocol, device,
  /// a checkpoint of another run). Reads no image data.
  virtual std::vector<std::pair<std::string, std::string>> check(TrainingJob& job) const = 0;
  /// Trains and returns the trial record (trial_record.h).
  virtual bench::TrialRecord train(const TrainingJob& job, TrainingCallbacks& callbacks) const = 0;
};

}  // namespace nas::algorithms

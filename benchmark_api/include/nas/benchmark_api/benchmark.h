// nas::bench::Benchmark: the query API over a benchmark store (parity with the NATS-Bench API).
//
//   auto bench = Benchmark::open_default(Space::Topology);          // the data shipped with nas
//   auto info  = bench.query(6111, Dataset::Cifar10);                // hp 200, mean over seeds
//   info.test_accuracy;                                              // 94.3733 (percent)
//   bench.cost(6111, Dataset::Cifar10).params_m;                     // exact, from the network
//   SimulatedClock clock; Rng rng(7);
//   auto r = bench.simulate_train_eval(6111, Dataset::Cifar10, 12, rng, clock);   // search-time view
//
// Differences from the Python API, on purpose (README "Fixed pain points"):
//   - defaults are the final fidelity (hp 200 tss / 90 sss) and the mean over seeds; a random trial is
//     only ever drawn from an Rng the caller passes in (no global RNG);
//   - "valid" and "test" resolve through one documented rule (datasets.h: resolve_split);
//   - a metric the data does not hold is std::nullopt, never an exception or a silent fallback;
//   - params/FLOPs are computed exactly from the architecture (cost_model.h), identical for every
//     seed and hp; times the data lacks come from a cost model and are flagged `estimated`.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nas/benchmark_api/datasets.h"
#include "nas/benchmark_api/rng.h"
#include "nas/benchmark_api/search_space.h"
#include "nas/benchmark_api/space.h"
#include "nas/benchmark_api/store.h"

namespace nas::bench {

/// Which training trials a metric summarises.
struct Trial {
  std::int32_t seed = kMeanSeed;  ///< kMeanSeed: mean over the available seeds; else one seed
  static Trial mean() { return {kMeanSeed}; }
  static Trial of_seed(std::int32_t seed) { return {seed}; }
  bool is_mean() const { return seed == kMeanSeed; }
};

/// Metrics of one arch trained on one dataset key with one schedule, at one epoch.
struct ArchMetrics {
  std::uint32_t index = 0;
  Dataset dataset = Dataset::Cifar10;
  int hp = 0;
  int epoch = 0;  ///< 0-based epoch the values are taken at
  Trial trial;
  std::optional<double> train_loss, train_accuracy;
  std::optional<double> valid_loss, valid_accuracy;  ///< resolve_split(dataset, Valid)
  std::optional<double> test_loss, test_accuracy;    ///< resolve_split(dataset, Test)
};

/// Compute cost of an arch on a dataset key.
struct CostInfo {
  double params_m = 0;  ///< exact
  double flops_m = 0;   ///< exact
  std::optional<double> latency_s;               ///< per batch of 256, when the data has it
  std::optional<double> train_time_per_epoch_s;  ///< seconds per training epoch
  bool time_estimated = false;                   ///< true when times come from the cost model
};

/// A per-run simulated clock: parallel searches each own one, so they never share state.
struct SimulatedClock {
  double used_seconds = 0;
};

struct SimulatedResult {
  double valid_accuracy = 0;        ///< percent, at the requested epoch
  std::optional<double> latency_s;  ///< of the given dataset key
  double time_cost_s = 0;           ///< training up to the epoch + one validation pass
  double total_time_s = 0;          ///< the clock after adding time_cost_s
  std::int32_t seed = kMeanSeed;    ///< the trial used (kMeanSeed when the data has only means)
  bool time_estimated = false;
};

class Benchmark {
 public:
  /// Opens a store file (see store.h). Throws nas::Error if missing or corrupt, or, with
  /// `expected`, if it is a store of another space.
  static Benchmark open(const std::string& path, std::optional<Space> expected = std::nullopt);
  /// Opens the store shipped with nas for a space: $NAS_BENCH_DIR if set, else the installed or
  /// source data folder. Throws nas::Error naming where it looked.
  static Benchmark open_default(Space space);
  /// Path of the shipped store for a space (what open_default opens).
  static std::string default_path(Space space);

  Space space() const { return store_.space(); }
  /// The space's facts (fidelities, splits, cost, words).
  const SpaceDefinition& definition() const { return *definition_; }
  /// The searchers' view of the space; arch strings and indices go through it.
  const SearchSpace& search_space() const { return *search_space_; }
  std::uint32_t size() const { return store_.num_archs(); }
  const Store& store() const { return store_; }
  /// The final fidelity of the space (tss 200, sss 90), as a store hp.
  int full_hp() const { return definition_->final_hp(); }
  /// The schedules this store has data for on a dataset key (e.g. {12, 200}).
  std::vector<int> hps(Dataset dataset) const { return store_.hps(dataset); }

  /// Arch string of an index; throws nas::Error if out of range.
  std::string arch_string(std::uint32_t index) const;
  /// Index of an arch string; throws nas::Error (with the reason) if malformed.
  std::uint32_t index_of(std::string_view arch) const;
  /// Checks an index; throws nas::Error if out of range.
  void check_index(std::uint32_t index) const;

  /// Seeds with a recorded trial for this arch, dataset key and schedule (kUnrecordedSeed = a trial
  /// whose seed the source did not record).
  std::vector<std::int32_t> seeds(std::uint32_t index, Dataset dataset, int hp) const;
  /// A uniformly random trial among seeds(); the mean when no single trial is recorded.
  Trial random_trial(std::uint32_t index, Dataset dataset, int hp, Rng& rng) const;

  /// One quantity of one (key, set) pair; nullopt when not in the data. epoch -1 = last.
  std::optional<double> metric(std::uint32_t index, Dataset dataset, EvalSet set, Quantity quantity, int hp,
                               Trial trial = Trial::mean(), int epoch = -1) const;

  /// Train / valid / test metrics as the user means them (resolve_split). hp 0 = full_hp().
  /// Throws nas::Error for an unknown hp or a seed with no trial for this arch.
  ArchMetrics query(std::uint32_t index, Dataset dataset, int hp = 0, Trial trial = Trial::mean(),
                    int epoch = -1) const;

  /// Exact params/FLOPs and, where known or modelled, latency and per-epoch training time.
  CostInfo cost(std::uint32_t index, Dataset dataset, int hp = 0) const;

  /// What a search sees (NATS simulate_train_eval): validation accuracy of one random trial at
  /// `epoch` of schedule `hp` (cifar10 is answered from cifar10-valid), and its simulated cost,
  /// added to `clock`. Throws nas::Error if the data has no validation accuracy at that epoch.
  SimulatedResult simulate_train_eval(std::uint32_t index, Dataset dataset, int hp, Rng& rng,
                                      SimulatedClock& clock, int epoch = -1) const;

  /// How many archs a search can evaluate on `dataset` at the last epoch of schedule `hp`: those with
  /// a validation accuracy there, in the sets simulate_train_eval reads (x-valid, else ori-test; of
  /// cifar10-valid for cifar10). Searches call it before every run, so it scans the store once per
  /// (dataset, hp) and remembers the count (thread-safe).
  std::uint32_t searchable_archs(Dataset dataset, int hp) const;

  struct Best {
    std::uint32_t index = 0;
    double value = 0;
  };
  /// The arch with the highest seed-mean metric at the last epoch (ties: lowest index), optionally
  /// among archs within FLOP / parameter limits. Throws nas::Error if no arch has the metric, or
  /// none within the limits (saying which).
  Best find_best(Dataset dataset, Split split, int hp = 0, std::optional<double> max_flops_m = std::nullopt,
                 std::optional<double> max_params_m = std::nullopt) const;

 private:
  struct SearchableCounts;  // the remembered searchable_archs counts (benchmark.cpp)

  explicit Benchmark(Store store);
  /// Where `split` of `dataset` is read; throws nas::Error if the space has no such split.
  MetricSource source_of(Dataset dataset, Split split) const;
  int resolve_hp(int hp) const;
  /// The smallest parameter count (params) or FLOP count of any arch on a dataset (error messages).
  double smallest_cost(Dataset dataset, int hp, bool params) const;
  std::optional<double> epoch_time(std::uint32_t index, Dataset dataset, EvalSet set, int hp, bool* estimated) const;
  /// True if the store's times for (dataset, set, hp) are cumulative (kColumnCumulativeTime).
  bool cumulative_times(Dataset dataset, EvalSet set, int hp) const;
  /// Seconds of training from the start of schedule `hp` to the end of `epoch` (0-based) for a trial.
  std::optional<double> training_time(std::uint32_t index, Dataset dataset, int hp, Trial trial, int epoch,
                                      bool* estimated) const;

  Store store_;
  const SpaceDefinition* definition_ = nullptr;
  std::shared_ptr<const SearchSpace> search_space_;
  std::shared_ptr<SearchableCounts> searchable_counts_;
};

/// The nas version string (e.g. "0.1.0").
std::string_view nas_version();

}  // namespace nas::bench

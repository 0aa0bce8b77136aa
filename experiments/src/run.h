// One search run, end to end: build the searcher, spend the budget, look the result up at the
// reporting fidelity. Shared by `nas search` and the experiment runner, so both report the same.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "nas/algorithms/registry.h"
#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/search_space.h"

namespace nas::experiments {

struct RunSpec {
  algorithms::ResolvedSearcher searcher;  ///< resolved once where the user named it
  bench::Dataset dataset = bench::Dataset::Cifar10;
  std::uint64_t seed = 0;
  algorithms::Budget budget;                    ///< query-based searches
  algorithms::TrainingEnvironment environment;  ///< weight-sharing searches
  std::string checkpoint_path;                  ///< weight-sharing searches: "" = no checkpoints
};

/// What a finished run reports (NATS-Bench protocol, reference §5.2).
struct RunOutcome {
  algorithms::SearcherFamily family = algorithms::SearcherFamily::QueryBased;
  std::uint64_t seed = 0;
  bench::ArchId index = 0;
  std::string arch;
  double search_valid_accuracy = 0;            ///< as the search saw it (hp 12, one trial)
  std::optional<double> valid_accuracy;        ///< seed mean at the reporting fidelity, or at hp 12 if absent
  int valid_hp = 0;                            ///< the schedule valid_accuracy is taken from
  std::optional<double> test_accuracy;         ///< seed mean at the final fidelity (hp 200 / 90)
  int test_hp = 0;
  double params_m = 0, flops_m = 0;            ///< exact cost of the final arch on the dataset
  std::int64_t queries = 0;
  double simulated_seconds = 0;
  double wall_seconds = 0;
  std::vector<algorithms::TrajectoryPoint> trajectory;
  std::vector<std::string> notes;
  std::vector<algorithms::EpochRecord> epochs;  ///< weight-sharing searches
  double search_wall_seconds = 0;               ///< weight-sharing searches: supernet training time
  std::string device;                           ///< weight-sharing searches
  int torch_threads = 0;                        ///< weight-sharing searches: LibTorch CPU threads (0 otherwise)
};

/// Mean and population standard deviation (numpy's default, as NATS-Bench's tables use).
struct Statistic {
  double mean = 0, std = 0;
  std::size_t count = 0;  ///< values summarised; mean/std are meaningless when 0
};
Statistic statistic_of(const std::vector<double>& values);

/// The space's default budget of a search on a dataset (SpaceDefinition::default_budget: NATS-Bench's
/// simulated seconds on tss and sss, a number of queries on macro).
algorithms::Budget default_budget(bench::Space space, bench::Dataset dataset);

/// The folder of configs/ (NAS_CONFIG_DIR, else the source tree's).
std::string config_dir();
/// The searcher config of configs/algorithms/<name>.yaml (a null node if there is none), with
/// `--set key=value` overrides applied on top.
YAML::Node algorithm_config(const std::string& name, const std::vector<std::string>& overrides);

/// The identity of a run (algorithm, space, dataset, seed, resolved config, device, torch threads,
/// nas version) that its checkpoints carry (Checkpointing::identity).
std::vector<std::pair<std::string, std::string>> run_identity(const RunSpec& spec, bench::Space space);

/// Runs one search. Throws nas::Error for an unknown algorithm, bad config or unusable budget.
RunOutcome execute_run(const RunSpec& spec, const bench::Benchmark& benchmark, const bench::SearchSpace& space,
                       algorithms::SearchCallbacks* callbacks = nullptr);

/// Seed-mean accuracy of an arch at the reporting fidelity (valid: falls back to hp 12).
void fill_reported_accuracies(RunOutcome& outcome, bench::Dataset dataset, const bench::Benchmark& benchmark);

}  // namespace nas::experiments

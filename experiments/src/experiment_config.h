// The experiment file of `nas run`: a grid of algorithms x datasets x seeds, as a typed struct.
//
//   name: nats-tss-query-based
//   space: tss                       # tss | sss
//   benchmark: shipped               # shipped | path/to/store.nasbench
//   datasets: [cifar10, cifar100, ImageNet16-120]
//   runs: 500                        # seeds first_seed .. first_seed + runs - 1
//   first_seed: 0
//   budget: nats                     # nats (NATS-Bench's per-dataset seconds) | {seconds: S} | {queries: Q}
//   plugins: []                      # shared libraries with more searchers
//   data: /path/to/cifar10           # weight-sharing searchers: image data (default: $NAS_DATA)
//   device: cpu                      # weight-sharing searchers: cpu | cuda | cuda:N
//   torch_threads: 2                 # weight-sharing searchers: LibTorch CPU threads (0: all cores)
//   algorithms:
//     - name: rea                    # a registered searcher
//       label: rea                   # optional: distinguishes two configs of one searcher
//       config: {population: 10}     # optional overrides of configs/algorithms/<name>.yaml
//
// Unknown keys and wrong types are errors naming the key. The resolved form (every default made
// explicit, every searcher config complete) is what is stored with the results and hashed; data,
// device and torch_threads describe the machine, not the experiment, and are not hashed.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "nas/algorithms/registry.h"
#include "nas/benchmark_api/datasets.h"
#include "nas/benchmark_api/store.h"

namespace nas::experiments {

struct AlgorithmSpec {
  std::string name;
  std::string label;
  YAML::Node config;  ///< resolved: every key of the searcher's config
};

struct ExperimentConfig {
  std::string name;
  bench::Space space = bench::Space::Topology;
  std::string benchmark = "shipped";
  std::vector<bench::Dataset> datasets;
  int runs = 1;
  std::uint64_t first_seed = 0;
  std::string budget_kind = "nats";  ///< nats | seconds | queries
  double budget_seconds = 0;         ///< for budget_kind seconds
  std::int64_t budget_queries = 0;   ///< for budget_kind queries
  std::vector<std::string> plugins;
  std::vector<AlgorithmSpec> algorithms;
  std::string data;              ///< not hashed
  std::string device = "cpu";    ///< not hashed
  int torch_threads = 0;         ///< not hashed

  /// The budget of one run on a dataset.
  algorithms::Budget budget_for(bench::Dataset dataset) const;
};

/// Parses and resolves an experiment file against a registry (plugins must already be loaded:
/// use read_plugin_list first). Throws nas::Error naming the file and the key on any problem.
ExperimentConfig load_experiment(const std::string& path, const algorithms::SearcherRegistry& registry);
/// The `plugins` list of an experiment file (so they can be loaded before load_experiment).
std::vector<std::string> read_plugin_list(const std::string& path);

/// The resolved config as YAML, and its hash (hex), which identifies the experiment's results.
YAML::Node to_yaml(const ExperimentConfig& config);
std::string config_hash(const ExperimentConfig& config);

}  // namespace nas::experiments

// The experiment file of `nas run`: a grid of algorithms x search spaces x datasets x seeds, as a
// typed struct.
//
//   name: nats-13-cifar10
//   spaces: [tss, sss]               # the search spaces of the grid, in the report's column order
//   benchmarks:                      # optional, per space: shipped (default) | path/to/store.nasbench
//     tss: shipped
//     sss: data/nats-sss.nasbench
//   datasets: [cifar10]              # cifar10 | cifar10-valid | cifar100 | ImageNet16-120
//   runs: 500                        # the default seeds: first_seed .. first_seed + runs - 1,
//   first_seed: 0                    #   or an explicit list `seeds: [777, 888, 999]`
//   budget: nats                     # nats: each space's default (NATS-Bench's seconds per space and dataset;
//                                    #   macro, without times: 100 queries) | {seconds: S} | {queries: Q}
//   plugins: []                      # shared libraries with more searchers
//   data: /path/to/cifar10           # weight-sharing searchers: image data (default: $NAS_DATA)
//   device: cpu                      # weight-sharing searchers: cpu | cuda | cuda:N
//   torch_threads: 2                 # weight-sharing searchers: LibTorch CPU threads (0: all cores)
//   algorithms:
//     - name: rea                    # a registered searcher
//       label: rea                   # optional: distinguishes two configs of one searcher
//       config: {population: 10}     # optional overrides of configs/algorithms/<name>.yaml
//       spaces: [sss]                # optional: a subset of the grid's spaces (default: every grid
//                                    #   space the searcher searches, per its registry entry)
//       runs: 3                      # optional: this algorithm's own seeds (runs / first_seed, each
//       first_seed: 777              #   defaulting to the top-level value, or seeds: [...])
//
// Each algorithm runs on each of its spaces, each dataset and each of its seeds; one job is keyed by
// (label, space, dataset, seed). Unknown keys and wrong types are errors naming the key, and so are a
// space a searcher does not search, a benchmark for a space the grid does not list, an algorithm
// without seeds, a seed range past 2^64 - 1 and more than 1,000,000 seeds over all algorithms. The
// resolved form (every default made explicit: each algorithm's spaces, seeds and complete searcher
// config, each space's benchmark) is what is stored with the results and hashed; data, device and
// torch_threads describe the machine, not the experiment, and are not hashed.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

#include "nas/algorithms/registry.h"
#include "nas/benchmark_api/datasets.h"
#include "nas/benchmark_api/store.h"

namespace nas::experiments {

/// The seeds of one algorithm: a range (first_seed, first_seed + 1, ...) or a list, as written.
struct SeedSet {
  bool listed = false;                ///< given as `seeds: [...]` (sorted, distinct)
  std::vector<std::uint64_t> seeds;   ///< every seed, ascending
};

struct AlgorithmSpec {
  algorithms::ResolvedSearcher searcher;  ///< the registry entry and every key of its config
  std::string label;
  std::vector<bench::Space> spaces;  ///< resolved: in the grid's order
  SeedSet seeds;
};

struct ExperimentConfig {
  std::string name;
  std::vector<bench::Space> spaces;
  /// Per space of `spaces`: "shipped" or the path of a store, as written in the file.
  std::map<bench::Space, std::string> benchmarks;
  std::vector<bench::Dataset> datasets;
  std::string budget_kind = "nats";  ///< nats | seconds | queries
  double budget_seconds = 0;         ///< for budget_kind seconds
  std::int64_t budget_queries = 0;   ///< for budget_kind queries
  std::vector<std::string> plugins;
  std::vector<AlgorithmSpec> algorithms;
  std::string data;              ///< not hashed
  std::string device = "cpu";    ///< not hashed
  int torch_threads = 0;         ///< not hashed

  /// The budget of one run on a space and dataset.
  algorithms::Budget budget_for(bench::Space space, bench::Dataset dataset) const;
};

/// An experiment file, read and parsed once (load_yaml_file: a regular UTF-8 file, no repeated keys).
struct ExperimentFile {
  std::string path;
  YAML::Node root;
};
ExperimentFile read_experiment_file(const std::string& path);
/// The `plugins` list of an experiment file (so they can be loaded before load_experiment).
std::vector<std::string> read_plugin_list(const ExperimentFile& file);
/// Resolves an experiment file against a registry (its plugins already loaded), every searcher
/// resolved once. The registry must outlive the config. Throws nas::Error naming the file and the
/// key on any problem.
ExperimentConfig load_experiment(const ExperimentFile& file, const algorithms::SearcherRegistry& registry);

/// The resolved config as YAML, and its hash (hex), which identifies the experiment's results.
YAML::Node to_yaml(const ExperimentConfig& config);
std::string config_hash(const ExperimentConfig& config);

}  // namespace nas::experiments

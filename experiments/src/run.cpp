// One search run, end to end.
#include "run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "nas/algorithms/yaml_file.h"
#include "nas/benchmark_api/error.h"

namespace nas::experiments {

Statistic statistic_of(const std::vector<double>& values) {
  Statistic s;
  s.count = values.size();
  if (values.empty()) return s;
  for (double v : values) s.mean += v;
  s.mean /= static_cast<double>(values.size());
  double squares = 0;
  for (double v : values) squares += (v - s.mean) * (v - s.mean);
  s.std = std::sqrt(squares / static_cast<double>(values.size()));
  return s;
}

algorithms::Budget default_budget(bench::Space space, bench::Dataset dataset) {
  const bench::DefaultBudget fact = bench::space_definition(space).default_budget(dataset);
  algorithms::Budget budget;
  budget.seconds = fact.seconds;
  budget.queries = fact.queries;
  return budget;
}

std::string config_dir() {
  if (const char* dir = std::getenv("NAS_CONFIG_DIR"); dir != nullptr && *dir != '\0') return dir;
  return NAS_SOURCE_CONFIG_DIR;
}

YAML::Node algorithm_config(const std::string& name, const std::vector<std::string>& overrides) {
  YAML::Node base;
  const std::string path = config_dir() + "/algorithms/" + name + ".yaml";
  if (std::filesystem::exists(path)) base = algorithms::load_yaml_file(path, "searcher config");
  return algorithms::apply_overrides(base, overrides);
}

void fill_reported_accuracies(RunOutcome& outcome, bench::Dataset dataset, const bench::Benchmark& benchmark) {
  const int full = benchmark.full_hp();
  const bench::ArchMetrics final_metrics = benchmark.query(outcome.index, dataset, full);
  outcome.test_accuracy = final_metrics.test_accuracy;
  outcome.test_hp = full;
  outcome.valid_accuracy = final_metrics.valid_accuracy;
  outcome.valid_hp = full;
  // Where the final schedule has no validation accuracy (the shipped tss data), NATS-Bench reports
  // the search schedule's; a space without a validation split has none at all.
  const bench::SpaceDefinition& space = benchmark.definition();
  const auto valid = space.resolve_split(dataset, bench::Split::Valid);
  if (!outcome.valid_accuracy && valid && space.search_hp() != full) {
    const auto& hps = benchmark.hps(valid->dataset);
    if (std::find(hps.begin(), hps.end(), space.search_hp()) != hps.end()) {
      // Name the search hp only when it has the value: an arch without any record keeps the final hp.
      outcome.valid_accuracy = benchmark.query(outcome.index, dataset, space.search_hp()).valid_accuracy;
      if (outcome.valid_accuracy) outcome.valid_hp = space.search_hp();
    }
  }
}

std::vector<std::pair<std::string, std::string>> run_identity(const RunSpec& spec, bench::Space space) {
  YAML::Emitter config;
  config << spec.searcher.config;
  return {{"algorithm", spec.searcher.name()},
          {"space", std::string(bench::space_name(space))},
          {"dataset", std::string(bench::dataset_name(spec.dataset))},
          {"seed", std::to_string(spec.seed)},
          {"config", config.c_str()},
          {"device", spec.environment.device},
          {"torch_threads", std::to_string(spec.environment.threads)},
          {"nas_version", std::string(bench::nas_version())}};
}

RunOutcome execute_run(const RunSpec& spec, const bench::Benchmark& benchmark, const bench::SearchSpace& space,
                       algorithms::SearchCallbacks* callbacks) {
  const auto started = std::chrono::steady_clock::now();
  Rng rng(spec.seed);
  algorithms::SearchCallbacks no_callbacks;
  algorithms::SearchCallbacks& hooks = callbacks != nullptr ? *callbacks : no_callbacks;
  // Each family gets what it needs: a benchmark and a budget, or data, a device and checkpoints.
  algorithms::SearchResult result;
  if (spec.searcher.family() == algorithms::SearcherFamily::QueryBased) {
    algorithms::QueryTask task;
    task.space = &space;
    task.benchmark = &benchmark;
    task.dataset = spec.dataset;
    task.budget = spec.budget;
    result = spec.searcher.create_query()->search(task, rng, hooks);
  } else {
    algorithms::TrainingTask task;
    task.space = &space;
    task.dataset = spec.dataset;
    task.environment = spec.environment;
    task.checkpoint.path = spec.checkpoint_path;
    task.checkpoint.identity = run_identity(spec, space.space());
    result = spec.searcher.create_training()->search(task, rng, hooks);
  }

  RunOutcome outcome;
  outcome.family = spec.searcher.family();
  outcome.seed = spec.seed;
  outcome.index = result.arch;
  outcome.arch = space.format(result.arch);
  outcome.search_valid_accuracy = result.valid_accuracy;
  outcome.queries = result.queries;
  outcome.simulated_seconds = result.simulated_seconds;
  outcome.trajectory = std::move(result.trajectory);
  outcome.notes = std::move(result.notes);
  outcome.epochs = std::move(result.epochs);
  outcome.search_wall_seconds = result.search_wall_seconds;
  outcome.device = result.device;
  if (spec.searcher.family() == algorithms::SearcherFamily::WeightSharing) outcome.torch_threads = spec.environment.threads;
  fill_reported_accuracies(outcome, spec.dataset, benchmark);
  const bench::CostInfo cost = benchmark.cost(outcome.index, spec.dataset);
  outcome.params_m = cost.params_m;
  outcome.flops_m = cost.flops_m;
  if (!outcome.test_accuracy) {
    // Said plainly: with the shipped size-space data (3 configs) a weight-sharing search usually
    // ends on a config the benchmark cannot score; the space says where the full data comes from.
    outcome.notes.push_back("accuracy unavailable: the benchmark has no hp-" + std::to_string(outcome.test_hp) +
                            " test accuracy of " + outcome.arch + " (its exact cost: " + std::to_string(cost.params_m) +
                            " M params, " + std::to_string(cost.flops_m) +
                            " MFLOPs); to score it, " + benchmark.definition().how_to_import());
  }
  outcome.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return outcome;
}

}  // namespace nas::experiments

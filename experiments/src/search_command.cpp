// nas search: one or many independent runs of one searcher on one dataset.
#include <chrono>
#include <cstdlib>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "cli_options.h"
#include "commands.h"
#include "json_util.h"
#include "nas/benchmark_api/error.h"
#include "parallel.h"
#include "progress.h"
#include "run.h"
#include "session.h"

namespace nas::cli {
namespace {

using Json = nlohmann::ordered_json;


}  // namespace

void add_search_command(CLI::App& app) {
  struct Options {
    std::string algo, space = "tss", dataset, bench_file;
    std::uint64_t seed = 0;
    std::optional<double> budget_seconds;
    std::optional<std::int64_t> budget_queries;
    std::vector<std::string> sets, plugins;
    int runs = 1;
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    bool json = false, quiet = false;
    std::string data, device = "cpu", checkpoint;
    int torch_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("search", "Run a searcher on a benchmark (one run, or --runs N seeded runs)");
  add_text_option(*cmd, "--algo", o->algo, "Searcher name (nas list shows them)")->required();
  add_text_option(*cmd, "--space", o->space, "Search space: " + bench::space_names())->capture_default_str();
  add_text_option(*cmd, "--dataset", o->dataset,
                  "A dataset key of the space (nas list shows them; default: the space's only one)");
  add_integer_option(*cmd, "--seed", o->seed, "Seed of the run (runs use seed, seed+1, ...)", 0, INT64_MAX)->capture_default_str();
  auto* seconds = add_number_option(*cmd, "--budget-seconds", o->budget_seconds,
                                    "Budget in simulated seconds (default: NATS-Bench's; at most " +
                                        std::to_string(static_cast<long long>(algorithms::kMaxBudgetSeconds)) + ")",
                                    0, algorithms::kMaxBudgetSeconds);
  auto* queries = add_integer_option(*cmd, "--budget-queries", o->budget_queries,
                                     "Budget in number of evaluations (at most " +
                                         std::to_string(algorithms::kMaxBudgetQueries) + ")",
                                     1, algorithms::kMaxBudgetQueries);
  seconds->excludes(queries);
  add_text_option(*cmd, "--set", o->sets, "Override a searcher setting, key=value (repeatable)");
  add_text_option(*cmd, "--plugin", o->plugins, "Load searchers from a plugin shared library (repeatable)");
  add_text_option(*cmd, "--bench", o->bench_file, "Benchmark store (default: the shipped one)");
  add_integer_option(*cmd, "--runs", o->runs, "Independent runs", 1, 1000000)->capture_default_str();
  add_integer_option(*cmd, "--threads", o->threads, "Threads across runs", 1, 1024)->capture_default_str();
  cmd->add_flag("--json", o->json, "Print JSON");
  cmd->add_flag("--quiet", o->quiet, "No progress on stderr (weight-sharing searches show it live by default)");
  add_text_option(*cmd, "--data", o->data, "Weight-sharing searches: image data folder (default: $NAS_DATA)");
  add_text_option(*cmd, "--device", o->device, "Weight-sharing searches: cpu, cuda or cuda:N")->capture_default_str();
  add_integer_option(*cmd, "--torch-threads", o->torch_threads, "Weight-sharing searches: LibTorch CPU threads", 1, 1024)
      ->capture_default_str();
  add_text_option(*cmd, "--checkpoint", o->checkpoint, "Weight-sharing searches: checkpoint file (resumes if present)");
  cmd->callback([o] {
    const auto started = std::chrono::steady_clock::now();
    const bench::Space space_id = bench::parse_space(o->space);
    const bench::Dataset dataset = bench::space_definition(space_id).choose_dataset(o->dataset);
    const algorithms::SearcherRegistry registry = experiments::make_registry_for(o->algo, o->plugins);
    const algorithms::SearcherEntry& entry = registry.get(o->algo);  // fails early on an unknown name
    const bool weight_sharing = entry.family == algorithms::SearcherFamily::WeightSharing;
    if (!registry.searches(o->algo, space_id)) {
      std::string searched;
      for (bench::Space s : entry.spaces) searched += (searched.empty() ? "" : ", ") + std::string(bench::space_name(s));
      throw Error("algorithm " + o->algo + " does not search " + std::string(bench::space_name(space_id)) + " (it searches " +
                  searched + ")");
    }
    const bench::Benchmark benchmark =
        o->bench_file.empty() ? bench::Benchmark::open_default(space_id) : bench::Benchmark::open(o->bench_file, space_id);
    benchmark.definition().require_dataset(dataset);
    const bench::SearchSpace& space = benchmark.search_space();

    experiments::RunSpec base;
    // Resolved once here: configs/algorithms/<name>.yaml, then --set, checked before any run.
    base.searcher = registry.resolve(o->algo, experiments::algorithm_config(o->algo, o->sets));
    base.dataset = dataset;
    base.environment.data_root = experiments::data_root_or_env(o->data);
    base.environment.device = o->device;
    base.environment.threads = o->torch_threads;
    base.checkpoint_path = o->checkpoint;
    if (weight_sharing && o->runs > 1 && !o->checkpoint.empty()) throw Error("--checkpoint is for a single run");
    if (o->budget_queries) {
      base.budget.queries = *o->budget_queries;
    } else if (o->budget_seconds) {
      base.budget.seconds = *o->budget_seconds;
    } else {
      base.budget = experiments::default_budget(space_id, dataset);
    }
    algorithms::check_budget(base.budget, "--budget-seconds / --budget-queries");
    if (!weight_sharing) algorithms::check_budget_for_space(base.budget, bench::space_definition(space_id), "--budget-seconds");

    std::vector<experiments::RunOutcome> outcomes(static_cast<std::size_t>(o->runs));
    // Weight-sharing runs already use every LibTorch thread: run them one after another.
    experiments::parallel_for(outcomes.size(), weight_sharing ? 1 : o->threads, [&](std::size_t i) {
      experiments::RunSpec spec = base;
      spec.seed = o->seed + i;
      if (!weight_sharing) {
        outcomes[i] = experiments::execute_run(spec, benchmark, space);
        return;
      }
      TrainingProgressCallbacks progress(o->algo + " seed " + std::to_string(spec.seed), o->quiet);
      outcomes[i] = experiments::execute_run(spec, benchmark, space, &progress);
    });
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    // Test regret against the space's best (seed-mean test accuracy at the final fidelity, as the
    // NAS-Bench-101 paper plots it); absent where the data holds no test accuracy for every arch.
    std::optional<double> best_test;
    try {
      best_test = benchmark.find_best(dataset, bench::Split::Test).value;
    } catch (const Error&) {
    }
    auto regret = [&](const std::optional<double>& test) -> Json {
      if (!best_test || !test) return nullptr;
      return *best_test - *test;
    };
    Json out;
    out["algo"] = o->algo;
    out["best_test_accuracy"] = experiments::json_or_null(best_test);
    out["space"] = std::string(bench::space_name(space_id));
    out["dataset"] = std::string(bench::dataset_name(dataset));
    if (o->runs == 1) {
      const auto& r = outcomes[0];
      out["seed"] = r.seed;
      out["arch"] = r.arch;
      out["index"] = r.index;
      out["valid_accuracy"] = experiments::json_or_null(r.valid_accuracy);
      out["valid_hp"] = r.valid_hp;
      out["test_accuracy"] = experiments::json_or_null(r.test_accuracy);
      out["test_regret"] = regret(r.test_accuracy);
      out["test_hp"] = r.test_hp;
      out["params_m"] = r.params_m;
      out["flops_m"] = r.flops_m;
      out["search_valid_accuracy"] = r.search_valid_accuracy;
      out["queries"] = r.queries;
      out["simulated_seconds"] = r.simulated_seconds;
      out["wall_seconds"] = wall;
      out["notes"] = r.notes;
      if (weight_sharing) {
        out["device"] = r.device;
        out["search_wall_seconds"] = r.search_wall_seconds;
        out["epochs"] = r.epochs.size();
      }
    } else {
      std::vector<double> tests, valids;
      Json runs = Json::array();
      for (const auto& r : outcomes) {
        if (r.test_accuracy) tests.push_back(*r.test_accuracy);
        if (r.valid_accuracy) valids.push_back(*r.valid_accuracy);
        runs.push_back({{"seed", r.seed}, {"index", r.index}, {"test_accuracy", experiments::json_or_null(r.test_accuracy)}});
      }
      const experiments::Statistic test = experiments::statistic_of(tests), valid = experiments::statistic_of(valids);
      out["runs"] = o->runs;
      out["mean_test_accuracy"] = tests.empty() ? Json(nullptr) : Json(test.mean);
      out["std_test_accuracy"] = tests.empty() ? Json(nullptr) : Json(test.std);
      out["mean_test_regret"] = tests.empty() ? Json(nullptr) : regret(test.mean);
      out["mean_valid_accuracy"] = valids.empty() ? Json(nullptr) : Json(valid.mean);
      out["std_valid_accuracy"] = valids.empty() ? Json(nullptr) : Json(valid.std);
      out["valid_hp"] = outcomes[0].valid_hp;
      out["test_hp"] = outcomes[0].test_hp;
      out["wall_seconds"] = wall;
      out["notes"] = outcomes[0].notes;
      out["per_run"] = runs;
    }
    if (o->json) {
      std::cout << out.dump() << "\n";
    } else {
      std::cout << out.dump(2) << "\n";
    }
  });
}

}  // namespace nas::cli

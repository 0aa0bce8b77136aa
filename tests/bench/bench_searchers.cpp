// Cost of one search run of each built-in query-based searcher on the shipped topology benchmark at
// NATS-Bench's budgets, and on NAS-Bench-Macro at its default budget (figures quoted in README "Performance"). `nas search --runs 500` and
// `nas run` print the wall time of whole batches.
#include <benchmark/benchmark.h>

#include "nas/algorithms/registry.h"
#include "nas/benchmark_api/benchmark.h"

namespace {

using namespace nas;

/// One search run on a space's shipped benchmark with the given budget (seconds, or queries where
/// the space has no times).
void BM_SearchRun(benchmark::State& state, const char* algorithm, bench::Space space_id, bench::Dataset dataset,
                  algorithms::Budget budget) {
  const bench::Benchmark shipped = bench::Benchmark::open_default(space_id);
  algorithms::SearcherRegistry registry;
  algorithms::register_builtin_searchers(registry);
  algorithms::QueryTask task;
  task.space = &shipped.search_space();
  task.benchmark = &shipped;
  task.dataset = dataset;
  task.budget = budget;
  algorithms::SearchCallbacks callbacks;
  std::uint64_t seed = 0;
  std::int64_t queries = 0;
  for (auto _ : state) {
    auto searcher = registry.create_query(algorithm, YAML::Node());
    Rng rng(seed++);
    const auto result = searcher->search(task, rng, callbacks);
    queries += result.queries;
    benchmark::DoNotOptimize(result.arch);
  }
  state.counters["queries_per_run"] = benchmark::Counter(static_cast<double>(queries) / static_cast<double>(state.iterations()));
}

constexpr bench::Space kTss = bench::Space::Topology;
constexpr bench::Space kMacro = bench::Space::Macro;
BENCHMARK_CAPTURE(BM_SearchRun, random_cifar10, "random", kTss, bench::Dataset::Cifar10, {20000, 0})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SearchRun, rea_cifar10, "rea", kTss, bench::Dataset::Cifar10, {20000, 0})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SearchRun, reinforce_cifar10, "reinforce", kTss, bench::Dataset::Cifar10, {20000, 0})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SearchRun, bohb_cifar10, "bohb", kTss, bench::Dataset::Cifar10, {20000, 0})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SearchRun, rea_imagenet16, "rea", kTss, bench::Dataset::ImageNet16_120, {120000, 0})->Unit(benchmark::kMicrosecond);
// NAS-Bench-Macro: no times, so the space's default budget of 100 queries.
BENCHMARK_CAPTURE(BM_SearchRun, macro_random, "random", kMacro, bench::Dataset::Cifar10, {0, 100})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SearchRun, macro_rea, "rea", kMacro, bench::Dataset::Cifar10, {0, 100})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SearchRun, macro_reinforce, "reinforce", kMacro, bench::Dataset::Cifar10, {0, 100})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SearchRun, macro_bohb, "bohb", kMacro, bench::Dataset::Cifar10, {0, 100})->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

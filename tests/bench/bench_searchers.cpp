// Cost of one search run of each built-in query-based searcher on the shipped topology benchmark at
// NATS-Bench's budgets (figures quoted in README "Performance"). `nas search --runs 500` and
// `nas run` print the wall time of whole batches.
#include <benchmark/benchmark.h>

#include "nas/algorithms/registry.h"
#include "nas/benchmark_api/benchmark.h"

namespace {

using namespace nas;

void BM_SearchRun(benchmark::State& state, const char* algorithm, bench::Dataset dataset, double budget) {
  static const bench::Benchmark shipped = bench::Benchmark::open_default(bench::Space::Topology);
  algorithms::SearcherRegistry registry;
  algorithms::register_builtin_searchers(registry);
  const auto space = bench::make_search_space(bench::Space::Topology);
  algorithms::SearchTask task{space.get(), &shipped, dataset, {budget, 0}, 12, {}};
  algorithms::SearchCallbacks callbacks;
  std::uint64_t seed = 0;
  std::int64_t queries = 0;
  for (auto _ : state) {
    auto searcher = registry.create(algorithm, YAML::Node());
    Rng rng(seed++);
    const auto result = searcher->search(task, rng, callbacks);
    queries += result.queries;
    benchmark::DoNotOptimize(result.arch);
  }
  state.counters["queries_per_run"] = benchmark::Counter(static_cast<double>(queries) / static_cast<double>(state.iterations()));
}

BENCHMARK_CAPTURE(BM_SearchRun, random_cifar10, "random", bench::Dataset::Cifar10, 20000)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SearchRun, rea_cifar10, "rea", bench::Dataset::Cifar10, 20000)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SearchRun, reinforce_cifar10, "reinforce", bench::Dataset::Cifar10, 20000)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SearchRun, bohb_cifar10, "bohb", bench::Dataset::Cifar10, 20000)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SearchRun, rea_imagenet16, "rea", bench::Dataset::ImageNet16_120, 120000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

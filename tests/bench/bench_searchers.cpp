// Cost of one search run of each built-in query-based searcher on the shipped topology benchmark at
// NATS-Bench's budgets, on NAS-Bench-Macro at its default budget, and on a full nb101 store at
// NAS-Bench-101's 5e6 s (figures quoted in README "Performance"). `nas search --runs 500` and
// `nas run` print the wall time of whole batches.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "nas/algorithms/registry.h"
#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/nb101/nb101_cells.h"
#include "nas/benchmark_api/nb101/nb101_cost.h"
#include "nas/benchmark_api/nb101/nb101_space.h"

namespace {

using namespace nas;

/// A full nb101 store with synthetic values (no full official data ships): 3 repeats of the
/// 108-epoch runs, training time 300 s + 190 s per million parameters (527-5294 s, mean ~1900 s,
/// like the official 1k subset), so a run at the default budget makes as many evaluations as on
/// the real data.
const bench::Benchmark& synthetic_nb101() {
  static const bench::Benchmark benchmark = [] {
    const std::string path = (std::filesystem::temp_directory_path() / ("nas_bench_nb101_" + std::to_string(::getpid()) + ".nasbench")).string();
    bench::StoreWriter writer(bench::Space::Nb101, "synthetic nb101 benchmark-program store (not NAS-Bench-101 data)");
    const bench::Nb101Cells& cells = bench::Nb101Cells::get();
    for (std::int32_t repeat = 1; repeat <= bench::kNb101NumRepeats; ++repeat) {
      const auto accuracy = bench::nb101_accuracy_column(bench::EvalSet::XValid, bench::kNb101FinalHp, repeat);
      const auto time = bench::nb101_time_column(bench::kNb101FinalHp, repeat);
      writer.add_dense_column(accuracy, 2, bench::kNb101AccuracyFlags);
      writer.add_dense_column(time, 2, bench::kNb101TimeFlags);
      for (std::uint32_t index = 0; index < bench::kNb101NumCells; ++index) {
        const double params_m = static_cast<double>(bench::nb101_network_cost(cells.spec(index)).params) / 1e6;
        writer.set(accuracy, index, bench::kNb101FinalSlot, 80.0 + cells.hash(index).bytes[repeat] / 25.6);
        writer.set(time, index, bench::kNb101FinalSlot, 300.0 + 190.0 * params_m);
      }
    }
    writer.write(path);
    bench::Benchmark opened = bench::Benchmark::open(path, bench::Space::Nb101);
    std::filesystem::remove(path);  // the store keeps its file open
    return opened;
  }();
  return benchmark;
}

const bench::Benchmark& benchmark_of(bench::Space space) {
  if (space == bench::Space::Nb101) return synthetic_nb101();
  static std::map<bench::Space, bench::Benchmark> shipped;
  auto it = shipped.find(space);
  if (it == shipped.end()) it = shipped.emplace(space, bench::Benchmark::open_default(space)).first;
  return it->second;
}

/// One search run on a space's shipped benchmark with the given budget (seconds, or queries where
/// the space has no times).
void BM_SearchRun(benchmark::State& state, const char* algorithm, bench::Space space_id, bench::Dataset dataset,
                  algorithms::Budget budget) {
  const bench::Benchmark& shipped = benchmark_of(space_id);
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
constexpr bench::Space kNb101 = bench::Space::Nb101;
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
// NAS-Bench-101 at the colab's 5e6 simulated seconds (synthetic full store, above).
BENCHMARK_CAPTURE(BM_SearchRun, nb101_random, "random", kNb101, bench::Dataset::Cifar10, {5e6, 0})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SearchRun, nb101_rea, "rea", kNb101, bench::Dataset::Cifar10, {5e6, 0})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SearchRun, nb101_reinforce, "reinforce", kNb101, bench::Dataset::Cifar10, {5e6, 0})->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SearchRun, nb101_bohb, "bohb", kNb101, bench::Dataset::Cifar10, {5e6, 0})->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

// Speed of the benchmark API on the shipped topology store (figures quoted in README "Performance").
//   build/bin/bench_benchmark_api --benchmark_format=json
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/cost_model.h"
#include "nas/benchmark_api/topology_space.h"

namespace {

using namespace nas::bench;

const Benchmark& shipped() {
  static const Benchmark benchmark = Benchmark::open_default(Space::Topology);
  return benchmark;
}

// Opening the store (mmap + directory) and answering the first query, cold in-process.
void BM_OpenAndFirstQuery(benchmark::State& state) {
  for (auto _ : state) {
    const Benchmark benchmark = Benchmark::open_default(Space::Topology);
    benchmark::DoNotOptimize(benchmark.query(6111, Dataset::Cifar10).test_accuracy);
  }
}
BENCHMARK(BM_OpenAndFirstQuery)->Unit(benchmark::kMillisecond);

// One full query (train/valid/test accuracy and loss) by index, cycling through all archs.
void BM_QueryByIndex(benchmark::State& state) {
  const Benchmark& benchmark = shipped();
  std::uint32_t index = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(benchmark.query(index, Dataset::Cifar100));
    index = (index + 7919) % kTssNumArchs;
  }
}
BENCHMARK(BM_QueryByIndex);

// The same on NAS-Bench-Macro (test accuracy only, no validation split).
void BM_MacroQueryByIndex(benchmark::State& state) {
  static const Benchmark macro = Benchmark::open_default(Space::Macro);
  std::uint32_t index = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(macro.query(index, Dataset::Cifar10));
    index = (index + 7919) % macro.size();
  }
}
BENCHMARK(BM_MacroQueryByIndex);

// Every macro row as `nas bench export` computes it: query, exact cost.
void BM_MacroAllRows(benchmark::State& state) {
  static const Benchmark macro = Benchmark::open_default(Space::Macro);
  for (auto _ : state) {
    for (std::uint32_t index = 0; index < macro.size(); ++index) {
      benchmark::DoNotOptimize(macro.query(index, Dataset::Cifar10));
      benchmark::DoNotOptimize(macro.cost(index, Dataset::Cifar10));
    }
  }
}
BENCHMARK(BM_MacroAllRows)->Unit(benchmark::kMillisecond);

// Parse an arch string, find its index, answer the query.
void BM_QueryByArchString(benchmark::State& state) {
  const Benchmark& benchmark = shipped();
  std::vector<std::string> archs;
  for (std::uint32_t i = 0; i < kTssNumArchs; i += 97) archs.push_back(format_tss_arch(tss_arch_at(i)));
  std::size_t k = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(benchmark.query(benchmark.index_of(archs[k]), Dataset::Cifar100));
    k = (k + 1) % archs.size();
  }
}
BENCHMARK(BM_QueryByArchString);

// Exact params/FLOPs of one cell.
void BM_CostModel(benchmark::State& state) {
  std::uint32_t index = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tss_network_cost(tss_arch_at(index), 100, 32));
    index = (index + 7919) % kTssNumArchs;
  }
}
BENCHMARK(BM_CostModel);

// What a query-based searcher calls: one simulated 12-epoch training and validation.
void BM_SimulateTrainEval(benchmark::State& state) {
  const Benchmark& benchmark = shipped();
  nas::Rng rng(1);
  SimulatedClock clock;
  std::uint32_t index = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(benchmark.simulate_train_eval(index, Dataset::Cifar10, 12, rng, clock));
    index = (index + 7919) % kTssNumArchs;
  }
}
BENCHMARK(BM_SimulateTrainEval);

// Metrics and cost of all 15,625 archs (the library part of `nas bench export`).
void BM_AllRows(benchmark::State& state) {
  const Benchmark& benchmark = shipped();
  for (auto _ : state) {
    double sum = 0;
    for (std::uint32_t index = 0; index < kTssNumArchs; ++index) {
      sum += benchmark.query(index, Dataset::Cifar10).test_accuracy.value_or(0);
      sum += benchmark.cost(index, Dataset::Cifar10).params_m;
    }
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_AllRows)->Unit(benchmark::kMillisecond);

// find_best over the whole space.
void BM_FindBest(benchmark::State& state) {
  const Benchmark& benchmark = shipped();
  for (auto _ : state) benchmark::DoNotOptimize(benchmark.find_best(Dataset::Cifar100, Split::Test));
}
BENCHMARK(BM_FindBest)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

// Speed of the NAS-Bench-101 cell library: the module hash of one cell, and the enumeration of the
// whole space (423,624 cells from ~1.3 million candidate graphs) on 1 and 2 threads.
//   build/bin/bench_nb101 --benchmark_format=json
#include <benchmark/benchmark.h>

#include "nas/benchmark_api/nb101/nb101_enumeration.h"
#include "nas/benchmark_api/nb101/nb101_format.h"
#include "nas/benchmark_api/nb101/nb101_hash.h"

namespace {

using namespace nas::bench;

// A 7-vertex, 9-edge cell: the most expensive size to hash.
void BM_Nb101HashOfALargeCell(benchmark::State& state) {
  const Nb101Spec spec = parse_nb101_spec("in,c3,mp,c3,c3,c1,out:0-1,0-4,0-5,1-2,2-3,2-6,3-5,4-5,5-6");
  for (auto _ : state) benchmark::DoNotOptimize(nb101_hash(spec));
}
BENCHMARK(BM_Nb101HashOfALargeCell);

void BM_Nb101EnumerateSpace(benchmark::State& state) {
  for (auto _ : state) {
    const std::vector<Nb101Entry> cells = enumerate_nb101_space(static_cast<unsigned>(state.range(0)));
    if (cells.size() != kNb101NumCells) state.SkipWithError("wrong number of cells");
  }
}
BENCHMARK(BM_Nb101EnumerateSpace)->Arg(1)->Arg(2)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

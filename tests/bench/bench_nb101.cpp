// Speed of the NAS-Bench-101 cell library: the module hash of one cell, the enumeration of the
// whole space (423,624 cells from ~1.3 million candidate graphs) on 1 and 2 threads, reading the cell
// list the build generated (what the first nb101 query of a process pays), and the lookups a query
// makes: hash -> index, cell text -> index (parse, prune, hash, lookup), and a metric of the shipped
// partial store by hash.
//   build/bin/bench_nb101 --benchmark_format=json
#include <benchmark/benchmark.h>

#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/nb101/nb101_cells.h"
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

// What the first nb101 query of a process pays: read, verify and index the cell list.
void BM_Nb101LoadCellList(benchmark::State& state) {
  const std::string path = nb101_cells_path();
  for (auto _ : state) {
    const Nb101Cells cells = Nb101Cells::load(path);
    if (cells.size() != kNb101NumCells) state.SkipWithError("wrong number of cells");
  }
}
BENCHMARK(BM_Nb101LoadCellList)->Unit(benchmark::kMillisecond)->UseRealTime();

// Hashes of cells spread over the space, so lookups do not hit one cache line.
std::vector<Nb101Hash> spread_hashes(const Nb101Cells& cells) {
  std::vector<Nb101Hash> hashes;
  for (std::uint32_t index = 0; index < cells.size(); index += 4099) hashes.push_back(cells.hash(index));
  return hashes;
}

void BM_Nb101IndexOfHash(benchmark::State& state) {
  const Nb101Cells& cells = Nb101Cells::get();
  const std::vector<Nb101Hash> hashes = spread_hashes(cells);
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(cells.find(hashes[i++ % hashes.size()]));
}
BENCHMARK(BM_Nb101IndexOfHash);

// The canonical form of a 7-vertex cell (what index_of looks a spec up by).
void BM_Nb101CanonicalForm(benchmark::State& state) {
  const Nb101Spec spec = parse_nb101_spec("in,c3,mp,c3,c3,c1,out:0-1,0-4,0-5,1-2,2-3,2-6,3-5,4-5,5-6");
  for (auto _ : state) benchmark::DoNotOptimize(nb101_canonical_form(spec));
}
BENCHMARK(BM_Nb101CanonicalForm);

// A query by spec of cells spread over the space: canonical form and look-up (the hash only for a
// form the list lacks, never here).
void BM_Nb101IndexOfSpec(benchmark::State& state) {
  const Nb101Cells& cells = Nb101Cells::get();
  std::vector<Nb101Spec> specs;
  for (std::uint32_t index = 0; index < cells.size(); index += 4099) specs.push_back(cells.spec(index));
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(cells.index_of(specs[i++ % specs.size()]));
}
BENCHMARK(BM_Nb101IndexOfSpec);

// A query by spec: parse the command-line form, prune, canonical form, look up.
void BM_Nb101IndexOfCellText(benchmark::State& state) {
  const Nb101Cells& cells = Nb101Cells::get();
  const std::string text = "in,c3,mp,c3,c3,c1,out:0-1,0-4,0-5,1-2,2-3,2-6,3-5,4-5,5-6";
  for (auto _ : state) benchmark::DoNotOptimize(cells.index_of(parse_nb101_spec(text)));
}
BENCHMARK(BM_Nb101IndexOfCellText);

// The whole query by hash on the shipped partial store: parse the hex, look up, read the 108-epoch
// validation accuracy.
void BM_Nb101QueryByHash(benchmark::State& state) {
  const Benchmark bench = Benchmark::open_default(Space::Nb101);
  const Nb101Cells& cells = Nb101Cells::get();
  const std::string hex = "00005c142e6f48ac74fdcf73e3439874";
  for (auto _ : state) {
    const std::uint32_t index = *cells.find(Nb101Hash::from_hex(hex));
    benchmark::DoNotOptimize(bench.metric(index, Dataset::Cifar10, EvalSet::XValid, Quantity::Accuracy, 108));
  }
}
BENCHMARK(BM_Nb101QueryByHash);

}  // namespace

BENCHMARK_MAIN();

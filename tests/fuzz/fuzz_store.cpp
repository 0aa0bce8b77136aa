// libFuzzer target for the benchmark store reader and the query code behind it.
//
// The input is a store file image. The harness recomputes its checksums first
// (tests/support/store_image.h: reseal_store_image), so mutated images get past the checksums and
// reach the checks behind them (column descriptions, sparse index order and range, trial seeds)
// and then the queries: every column's value() and stores_epoch() at a few archs and epochs, the
// Store's lookups, and, when the image opens as a Benchmark, arch_string / index_of / query (mean,
// epoch 0, recorded and unrecorded seeds) / metric / cost / seeds / simulate_train_eval /
// searchable_archs / find_best. Each of these must succeed or throw nas::Error; anything else (a
// crash, a sanitizer report, another exception type, a hang, a broken invariant checked below) is a
// bug. Seeds: tests/fuzz/corpus/store (small valid stores written by make_store_corpus.cpp).
// Run: fuzz_store SCRATCH_DIR tests/fuzz/corpus/store (see tests/fuzz/CMakeLists.txt).
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/rng.h"
#include "nas/benchmark_api/store.h"
#include "store_image.h"

namespace {

// The file each input is written to (one per process), removed when the fuzzer exits normally.
struct TempFile {
  explicit TempFile(std::string p) : path(std::move(p)) {}
  ~TempFile() { std::remove(path.c_str()); }
  std::string path;
};

using namespace nas::bench;

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

void check(bool ok) {
  if (!ok) std::abort();
}

std::vector<std::uint32_t> probe_archs(std::uint32_t num_archs) {
  return {0u, 1u, num_archs / 2, num_archs - 1, num_archs, std::numeric_limits<std::uint32_t>::max()};
}

std::vector<int> probe_epochs(int hp) {
  return {std::numeric_limits<int>::min(), -2, -1, 0, 1, hp - 2, hp - 1, hp, hp + 1, std::numeric_limits<int>::max()};
}

void exercise_column(const Store& store, const Column& column) {
  const int hp = column.key().hp;
  (void)column.key().describe();
  check(store.find(column.key()) == &column);
  for (int epoch : probe_epochs(hp)) (void)column.stores_epoch(epoch);
  try {
    column.load();
  } catch (const nas::Error&) {
    return;  // a damaged column: every value() throws the same way
  }
  for (std::uint32_t arch : probe_archs(store.num_archs())) {
    const double last = column.value(arch, -1);
    check(same_bits(last, column.value(arch, hp - 1)));
    if (arch >= store.num_archs()) check(std::isnan(last));
    for (int epoch : probe_epochs(hp)) {
      const double v = column.value(arch, epoch);
      if (!column.stores_epoch(epoch)) check(std::isnan(v));
    }
  }
}

void exercise_store(const Store& store) {
  (void)store.description();
  (void)store.checksum();
  for (const Column& column : store.columns()) exercise_column(store, column);
  for (Dataset dataset : kAllDatasets) {
    for (int hp : store.hps(dataset)) (void)store.seeds(dataset, hp);
  }
  try {
    store.verify();
  } catch (const nas::Error&) {
  }
}

// Each query on its own: one that throws nas::Error must not hide the others.
template <typename F>
void attempt(F&& query) {
  try {
    query();
  } catch (const nas::Error&) {
  }
}

bool has_test_accuracy(const Benchmark& bench, Dataset dataset, int hp) {
  const auto test = bench.definition().resolve_split(dataset, Split::Test);
  if (!test) return false;
  for (const Column& column : bench.store().columns()) {
    const ColumnKey& key = column.key();
    if (key.dataset == test->dataset && key.set == test->set && key.quantity == Quantity::Accuracy && key.hp == hp) return true;
  }
  return false;
}

// find_best and searchable_archs read every arch (milliseconds under the sanitizers): `full_scans`
// says whether this input runs them, once, on the first (dataset, hp) that has test accuracies.
void exercise_benchmark(const Benchmark& bench, bool full_scans) {
  const std::vector<std::uint32_t> archs = {0u, 1u, bench.size() - 1, bench.size()};
  for (Dataset dataset : kAllDatasets) {
    std::vector<int> hps = bench.hps(dataset);
    hps.push_back(0);  // the full fidelity
    hps.push_back(7);  // most likely absent
    for (int hp : hps) {
      for (std::uint32_t arch : archs) {
        attempt([&] { check(bench.index_of(bench.arch_string(arch)) == arch); });
        attempt([&] { (void)bench.query(arch, dataset, hp); });
        attempt([&] { (void)bench.query(arch, dataset, hp, Trial::mean(), 0); });
        attempt([&] { (void)bench.query(arch, dataset, hp, Trial::of_seed(4242)); });  // most likely unrecorded
        attempt([&] { (void)bench.cost(arch, dataset, hp); });
        attempt([&] {
          for (std::int32_t seed : bench.seeds(arch, dataset, hp)) {
            attempt([&] { (void)bench.query(arch, dataset, hp, Trial::of_seed(seed)); });
            attempt([&] { (void)bench.metric(arch, dataset, EvalSet::OriTest, Quantity::Time, hp, Trial::of_seed(seed)); });
          }
        });
        attempt([&] { (void)bench.metric(arch, dataset, EvalSet::XValid, Quantity::Accuracy, hp, Trial::mean(), 0); });
        attempt([&] { (void)bench.metric(arch, dataset, EvalSet::Train, Quantity::Latency, hp); });
        attempt([&] {
          nas::Rng rng(arch);
          SimulatedClock clock;
          (void)bench.simulate_train_eval(arch, dataset, hp, rng, clock);
          (void)bench.simulate_train_eval(arch, dataset, hp, rng, clock, 0);
        });
      }
      if (full_scans && has_test_accuracy(bench, dataset, hp == 0 ? bench.full_hp() : hp)) {
        full_scans = false;
        attempt([&] { (void)bench.searchable_archs(dataset, hp); });
        attempt([&] { (void)bench.find_best(dataset, Split::Test, hp); });
        attempt([&] { (void)bench.find_best(dataset, Split::Valid, hp, 100.0, 0.5); });
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const TempFile temp("/tmp/nas_fuzz_store_" + std::to_string(::getpid()) + ".nasbench");
  const std::string& path = temp.path;
  std::string image(reinterpret_cast<const char*>(data), size);
  nas::test::reseal_store_image(image);
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return 0;
  const bool written = std::fwrite(image.data(), 1, image.size(), file) == image.size();
  if (std::fclose(file) != 0 || !written) return 0;
  try {
    exercise_store(Store::open(path));
  } catch (const nas::Error&) {
    return 0;  // rejected when opened: Benchmark::open would reject it the same way
  }
  try {
    // One input in eight (chosen by its bytes, so a rerun does the same) runs the full scans.
    exercise_benchmark(Benchmark::open(path), (nas::bench::fnv1a64(image.data(), image.size()) & 7) == 0);
  } catch (const nas::Error&) {
  }
  return 0;
}

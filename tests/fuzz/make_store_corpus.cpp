// Writes the seed corpus of fuzz_store: a handful of small, valid stores (StoreWriter) that between
// them hold each kind of column the format has: sparse and dense, last-epoch and curve, estimated
// and constant-per-epoch, seed means, recorded seeds and an unrecorded seed, on both spaces and all
// four dataset keys. Usage: make_store_corpus DIR (the committed copy is tests/fuzz/corpus/store;
// rerun it there when the store format changes).
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/store.h"

namespace {

using namespace nas::bench;

// A deterministic value in [lo, hi) for (arch, epoch, salt).
double fake(std::uint32_t arch, int epoch, int salt, double lo, double hi) {
  std::uint64_t x = (static_cast<std::uint64_t>(arch) << 20) ^ (static_cast<std::uint64_t>(epoch) << 8) ^ salt;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return lo + (hi - lo) * static_cast<double>(x % 10000) / 10000.0;
}

void column(StoreWriter& w, const ColumnKey& key, std::uint16_t epochs, std::uint8_t flags,
            const std::vector<std::uint32_t>& archs, double lo, double hi, int salt) {
  w.add_column(key, epochs, flags);
  for (std::uint32_t arch : archs) {
    for (int e = 0; e < epochs; ++e) w.set(key, arch, e, fake(arch, e, salt, lo, hi));
  }
}

// The size space, sparse columns only: cifar10 / cifar10-valid at hp 90 (seed means) and hp 12
// (curves, two recorded seeds and their means), constant-per-epoch estimated times, params.
void sss_sparse(const std::string& dir) {
  StoreWriter w(Space::Size, "fuzz corpus: sss, sparse columns");
  const std::vector<std::uint32_t> archs = {0, 1, 5, 777, 16384, 32767};
  for (Dataset d : {Dataset::Cifar10, Dataset::Cifar10Valid}) {
    const EvalSet valid = d == Dataset::Cifar10 ? EvalSet::OriTest : EvalSet::XValid;
    column(w, {d, EvalSet::OriTest, Quantity::Accuracy, 90, kMeanSeed}, 1, 0, archs, 60, 95, 1);
    column(w, {d, valid, Quantity::Accuracy, 90, kMeanSeed}, 1, 0, archs, 60, 95, 2);
    column(w, {d, EvalSet::Train, Quantity::Loss, 90, kMeanSeed}, 1, 0, archs, 0, 2, 3);
    for (std::int32_t seed : {777, 888}) {
      column(w, {d, valid, Quantity::Accuracy, 12, seed}, 12, 0, archs, 30, 90, 4 + seed);
      column(w, {d, EvalSet::OriTest, Quantity::Accuracy, 12, seed}, 12, 0, archs, 30, 90, 5 + seed);
    }
    column(w, {d, EvalSet::Train, Quantity::Time, 12, kMeanSeed}, 1, kColumnEstimated | kColumnConstantPerEpoch, archs,
           5, 20, 6);
    column(w, {d, valid, Quantity::Time, 12, kMeanSeed}, 1, kColumnEstimated | kColumnConstantPerEpoch, archs, 1, 3, 7);
    column(w, {d, EvalSet::Train, Quantity::Params, 90, kMeanSeed}, 1, 0, archs, 0.1, 1.5, 8);
  }
  w.write(dir + "/sss-sparse.nasbench");
}

// The topology space, sparse: cifar100 and ImageNet16-120 with x-valid / x-test at hp 200 (no means,
// only seeds, one of them unrecorded), a 12-epoch curve with a mean, latency.
void tss_sparse(const std::string& dir) {
  StoreWriter w(Space::Topology, "fuzz corpus: tss, sparse columns, seeds without means");
  const std::vector<std::uint32_t> archs = {0, 2, 6111, 15624};
  for (Dataset d : {Dataset::Cifar100, Dataset::ImageNet16_120}) {
    for (std::int32_t seed : {kUnrecordedSeed, 777, 999}) {
      for (EvalSet set : {EvalSet::XValid, EvalSet::XTest, EvalSet::Train}) {
        column(w, {d, set, Quantity::Accuracy, 200, seed}, 1, 0, archs, 10, 75, 10 + seed + static_cast<int>(set));
        column(w, {d, set, Quantity::Loss, 200, seed}, 1, 0, archs, 0.5, 4, 20 + seed + static_cast<int>(set));
      }
    }
    column(w, {d, EvalSet::XValid, Quantity::Accuracy, 12, kMeanSeed}, 12, 0, archs, 5, 50, 30);
    column(w, {d, EvalSet::XTest, Quantity::Accuracy, 12, kMeanSeed}, 12, 0, archs, 5, 50, 31);
    column(w, {d, EvalSet::Train, Quantity::Time, 200, kMeanSeed}, 1, kColumnConstantPerEpoch, archs, 5, 40, 32);
    column(w, {d, EvalSet::XValid, Quantity::Time, 200, kMeanSeed}, 1, kColumnConstantPerEpoch, archs, 0.5, 3, 33);
    column(w, {d, EvalSet::Train, Quantity::Latency, 200, 777}, 1, 0, archs, 0.001, 0.03, 34);
  }
  w.write(dir + "/tss-sparse-seeds.nasbench");
}

// The topology space with one dense column (every arch: 125 kB) beside a sparse one.
void tss_dense(const std::string& dir) {
  StoreWriter w(Space::Topology, "fuzz corpus: tss, one dense column");
  std::vector<std::uint32_t> all;
  for (std::uint32_t a = 0; a < 15625; a += 2) all.push_back(a);  // half of them: dense, with NaN holes
  all.push_back(15624);
  column(w, {Dataset::Cifar10, EvalSet::OriTest, Quantity::Accuracy, 200, kMeanSeed}, 1, 0, all, 10, 95, 40);
  column(w, {Dataset::Cifar10Valid, EvalSet::XValid, Quantity::Accuracy, 200, kMeanSeed}, 1, 0, {0, 1, 15624}, 10, 95,
         41);
  w.write(dir + "/tss-dense.nasbench");
}

// Tiny stores: no columns; one sparse column with one row (curve of hp 3 set at the last epoch
// only, which the writer turns into a last-epoch column, and one set at every epoch).
void tiny(const std::string& dir) {
  StoreWriter(Space::Size, "").write(dir + "/sss-empty.nasbench");
  StoreWriter w(Space::Topology, "tiny");
  const ColumnKey last_only{Dataset::Cifar10, EvalSet::OriTest, Quantity::Accuracy, 3, kMeanSeed};
  w.add_column(last_only, 3);
  w.set(last_only, 42, 2, 91.5);
  const ColumnKey curve{Dataset::Cifar10Valid, EvalSet::XValid, Quantity::Accuracy, 3, kMeanSeed};
  w.add_column(curve, 3);
  for (int e = 0; e < 3; ++e) w.set(curve, 42, e, 80.0 + e);
  w.write(dir + "/tss-tiny.nasbench");
}

// NAS-Bench-Macro: one record per trial under hp 1, no validation split, no times (seeds 0-2 and
// their mean on a few codes).
void macro_sparse(const std::string& dir) {
  StoreWriter w(Space::Macro, "fuzz corpus: macro, sparse columns");
  const std::vector<std::uint32_t> archs = {0, 1, 2000, 6560};
  for (std::int32_t seed : {0, 1, 2, kMeanSeed}) {
    column(w, {Dataset::Cifar10, EvalSet::OriTest, Quantity::Accuracy, 1, seed}, 1, 0, archs, 40, 94, 50 + seed);
  }
  column(w, {Dataset::Cifar10, EvalSet::Train, Quantity::Params, 1, kMeanSeed}, 1, 0, archs, 0.3, 3, 60);
  w.write(dir + "/macro-sparse.nasbench");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  try {
    const std::string dir = argv[1];
    sss_sparse(dir);
    tss_sparse(dir);
    tss_dense(dir);
    tiny(dir);
    macro_sparse(dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}

// Importers: turn published benchmark files into a nas benchmark store (store.h).
//
//   nas bench import nats --src NATS-tss-v1_0-3ffb9-simple --out tss.nasbench
//   nas bench import nb201-csv --src nb201_tss_merged.csv --time-fixtures NATS-tss-v1_0-3ffb9-simple --out F
//
// `nats` reads the official NATS-Bench "simple" directories (meta.pickle.pbz2 plus one
// NNNNNN.pickle.pbz2 per arch; a subset of the arch files is fine) and keeps every seed, epoch,
// set and metric, exactly. `nb201-csv` builds the store shipped with nas from the merged per-arch
// table in ../shared/data/nasbench201 (see benchmark_api/data/SOURCE.md); it lacks times, so it
// adds per-epoch times from a cost model fitted to official records, flagged as estimated.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nas/benchmark_api/datasets.h"
#include "nas/benchmark_api/store.h"

namespace nas::bench {

/// One training trial of one arch as recorded in an official NATS-Bench file, flattened.
/// Per-epoch vectors have `hp` entries; epochs the record lacks are NaN.
struct NatsTrial {
  std::uint32_t index = 0;
  Dataset dataset = Dataset::Cifar10;
  int hp = 0;
  std::int32_t seed = 0;
  double params_m = 0, flops_m = 0;
  std::optional<double> latency_s;  ///< mean of the recorded latency list
  struct Series {
    std::vector<double> loss, accuracy, accuracy5, time;
  };
  std::map<EvalSet, Series> sets;  ///< Train plus every evaluated set
};

/// The arch strings of a meta.pickle.pbz2 file, in index order, and the space they belong to.
struct NatsMeta {
  Space space = Space::Topology;
  std::vector<std::string> archs;
};
NatsMeta read_nats_meta(const std::string& path);

/// Every trial of one per-arch file. Checks that the file's index and arch string agree with the
/// official order of `space`; throws nas::Error (prefixed with the path) on any inconsistency.
std::vector<NatsTrial> read_nats_arch_file(const std::string& path, Space space, std::uint32_t expected_index);

/// Adds one trial to a store (declaring its columns: full curves, one per (key, set, quantity, hp, seed)).
void add_trial(const NatsTrial& trial, StoreWriter& writer);

struct ImportReport {
  Space space = Space::Topology;
  std::uint32_t archs = 0;   ///< arch files read
  std::uint32_t trials = 0;  ///< (arch, dataset key, hp, seed) records imported
};

using ImportProgress = std::function<void(std::uint32_t done, std::uint32_t total)>;

/// Imports an official "simple" directory into `out` using `threads` worker threads.
ImportReport import_nats_directory(const std::string& dir, const std::string& out, int threads,
                                   const ImportProgress& progress = {});

/// Builds the shipped topology store from the merged NB201/NATS table (CSV) plus an estimated-time
/// model fitted to the official records in `time_fixture_dir`.
ImportReport import_nb201_csv(const std::string& csv_path, const std::string& time_fixture_dir,
                              const std::string& out);

}  // namespace nas::bench

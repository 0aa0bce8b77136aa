// The benchmark store: a compact, memory-mapped, columnar file of benchmark metrics (".nasbench").
//
// Why this format (and not SQLite): a query must cost well under a microsecond and opening must not
// read what the query does not need. The file is mapped read-only; a query is a directory lookup and
// one indexed load, and only the pages touched are ever read from disk. (See README, "Benchmark store".)
//
// Layout (little-endian, all sections 8-byte aligned):
//   header    64 bytes: magic "NASBENCH", format version, space, number of archs, number of
//             columns, directory offset/size, FNV-1a-64 checksums of payload and directory, file size
//   payload   the columns' values (float64; NaN = not measured)
//   directory description text (provenance), then one 40-byte entry per column
//
// A column holds one quantity for every arch: key = (dataset key, evaluation set, quantity, hp, seed).
// seed > 0 is one training trial, kMeanSeed the mean over seeds, kUnrecordedSeed one trial whose
// seed the source did not record. A column stores either every epoch of the hp schedule (curve) or
// only the last one, and is dense (every arch) or sparse (sorted arch list + values).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "nas/benchmark_api/datasets.h"

namespace nas::bench {

enum class Space : std::uint8_t { Topology = 0, Size = 1 };
/// "tss" / "sss".
std::string_view space_name(Space space);
/// Accepts "tss", "topology", "sss", "size"; throws nas::Error otherwise.
Space parse_space(std::string_view name);
std::uint32_t space_num_archs(Space space);

enum class Quantity : std::uint8_t {
  Loss = 0,       ///< mean cross-entropy
  Accuracy = 1,   ///< top-1, percent
  Accuracy5 = 2,  ///< top-5, percent
  Time = 3,       ///< seconds spent in one epoch (training, or one pass over the eval set)
  Params = 4,     ///< millions (per trial, as recorded; set = Train)
  Flops = 5,      ///< millions (per trial, as recorded; set = Train)
  Latency = 6,    ///< seconds per batch of 256 (per trial; set = Train)
};
inline constexpr int kNumQuantities = 7;
std::string_view quantity_name(Quantity quantity);

inline constexpr std::int32_t kMeanSeed = -1;
inline constexpr std::int32_t kUnrecordedSeed = 0;

struct ColumnKey {
  Dataset dataset = Dataset::Cifar10;
  EvalSet set = EvalSet::Train;
  Quantity quantity = Quantity::Accuracy;
  std::uint16_t hp = 0;  ///< length of the training schedule in epochs (12, 200, 90, 1)
  std::int32_t seed = kMeanSeed;

  std::uint64_t packed() const;
  std::string describe() const;
  friend bool operator<(const ColumnKey& a, const ColumnKey& b) { return a.packed() < b.packed(); }
};

enum ColumnFlags : std::uint8_t {
  kColumnEstimated = 1,         ///< values come from a cost model, not from measurements
  kColumnConstantPerEpoch = 2,  ///< one value that holds for every epoch (per-epoch times)
};

/// A read-only view of one column inside a mapped store.
class Column {
 public:
  const ColumnKey& key() const { return key_; }
  std::uint8_t flags() const { return flags_; }
  bool estimated() const { return (flags_ & kColumnEstimated) != 0; }
  /// True if values exist for every epoch, not only the last.
  bool has_curve() const { return num_epochs_ == key_.hp || (flags_ & kColumnConstantPerEpoch) != 0; }
  std::uint16_t num_epochs() const { return num_epochs_; }
  bool sparse() const { return sparse_indices_ != nullptr; }
  /// Number of archs with a stored row (all of them for a dense column).
  std::uint32_t num_rows() const { return num_rows_; }

  /// Value for `arch` at `epoch` (0-based; -1 = last epoch of the schedule). NaN when the arch or
  /// that epoch has no value. Epochs outside the schedule are NaN too.
  double value(std::uint32_t arch, int epoch = -1) const;
  /// True if `epoch` is stored at all (ignoring NaN holes).
  bool stores_epoch(int epoch) const;

 private:
  friend class Store;
  ColumnKey key_;
  std::uint8_t flags_ = 0;
  std::uint16_t num_epochs_ = 1;
  std::uint32_t num_rows_ = 0;
  const std::uint32_t* sparse_indices_ = nullptr;  // sorted, num_rows_ entries; null when dense
  const double* values_ = nullptr;                 // num_rows_ x num_epochs_
};

/// An opened store file. Move-only; columns stay valid while the Store lives.
class Store {
 public:
  /// Maps `path` and validates header, size and directory checksum. Throws nas::Error naming the
  /// file and the problem (missing, not a store, wrong version, truncated, corrupt directory).
  static Store open(const std::string& path);

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  Space space() const { return space_; }
  std::uint32_t num_archs() const { return num_archs_; }
  const std::string& path() const { return path_; }
  const std::string& description() const { return description_; }
  /// FNV-1a-64 checksum of the payload, as recorded in the header (identifies the data).
  std::uint64_t checksum() const { return payload_checksum_; }

  const Column* find(const ColumnKey& key) const;
  const std::vector<Column>& columns() const { return columns_; }
  /// Trial seeds (> 0 or kUnrecordedSeed) that have any column for (dataset, hp), ascending.
  const std::vector<std::int32_t>& seeds(Dataset dataset, int hp) const;
  /// The schedules (hp values) present for a dataset key, ascending.
  const std::vector<int>& hps(Dataset dataset) const { return hps_[static_cast<int>(dataset)]; }

  /// Recomputes the payload checksum (reads the whole file); throws nas::Error on mismatch.
  void verify() const;

 private:
  Store() = default;
  void unmap() noexcept;

  std::string path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  Space space_ = Space::Topology;
  std::uint32_t num_archs_ = 0;
  std::uint64_t payload_checksum_ = 0;
  std::uint64_t payload_end_ = 0;
  std::string description_;
  std::vector<Column> columns_;
  std::unordered_map<std::uint64_t, std::size_t> column_by_key_;
  std::array<std::vector<int>, kNumDatasets> hps_;
  std::map<std::pair<int, int>, std::vector<std::int32_t>> seeds_;  // (dataset, hp) -> seeds
};

/// Builds a store in memory and writes it. Values not set stay NaN (not measured). A curve column
/// none of whose archs has a value before the last epoch (the official records' "evaluated only
/// after the last epoch" sets) is written, and held while building, as a last-epoch column: the
/// same values, without hp - 1 NaNs per arch.
class StoreWriter {
 public:
  StoreWriter(Space space, std::string description);

  /// Declares a column (idempotent; a second call must agree on num_epochs and flags).
  void add_column(const ColumnKey& key, std::uint16_t num_epochs, std::uint8_t flags = 0);
  /// Sets the value of a declared column for `arch` at `epoch` (0..num_epochs-1 of that column).
  void set(const ColumnKey& key, std::uint32_t arch, int epoch, double value);
  bool has_column(const ColumnKey& key) const { return columns_.count(key.packed()) != 0; }
  /// Replaces the provenance text written into the file.
  void set_description(std::string description) { description_ = std::move(description); }

  /// Writes the file atomically (temporary file + rename), choosing a dense or sparse layout per
  /// column. Throws nas::Error on I/O failure.
  void write(const std::string& path) const;

 private:
  struct PendingColumn {
    ColumnKey key;
    std::uint16_t num_epochs = 1;
    std::uint8_t flags = 0;
    std::map<std::uint32_t, std::vector<double>> rows;  // arch -> values per epoch
    /// Curve columns: (arch, last-epoch value) of archs with no other epoch set, in the order set.
    std::vector<std::pair<std::uint32_t, double>> last_only;
  };
  /// Visits every row of a column in arch order, the last-epoch-only ones merged in (the latest set
  /// wins): `curve` rows have every epoch (NaN where unset), others only the last.
  static void for_each_row(const PendingColumn& column, bool curve,
                           const std::function<void(std::uint32_t, const std::vector<double>&)>& visit);
  Space space_;
  std::uint32_t num_archs_;
  std::string description_;
  std::map<std::uint64_t, PendingColumn> columns_;
};

/// FNV-1a 64-bit hash (used for the store's checksums).
std::uint64_t fnv1a64(const void* data, std::size_t size, std::uint64_t seed = 0xcbf29ce484222325ULL);

}  // namespace nas::bench

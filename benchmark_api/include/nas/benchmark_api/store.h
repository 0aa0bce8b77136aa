// The benchmark store: a compact, columnar file of benchmark metrics (".nasbench").
//
// Why this format (and not SQLite): a query must cost well under a microsecond and opening must not
// read what the query does not need. Opening reads the header and the directory only; a column is
// read when a query first touches it, and a query is a directory lookup and one indexed load.
// (See README, "Benchmark store".)
//
// Nothing is served unchecked. The directory holds a checksum of every column, and the header a
// checksum of the directory; opening verifies the directory, and a column's bytes are verified the
// first time the column is used, before any of its values is returned. The data checksum that
// identifies a store (recorded with every result) is computed from the verified directory, so it
// always describes the data actually served. Columns are read with pread into memory owned by the
// Store, never mapped: a file truncated or rewritten under a running process gives an error (a
// checksum mismatch or a short read), never a SIGBUS.
//
// Layout (format 2, little-endian, all sections 8-byte aligned):
//   header    64 bytes: magic "NASBENCH", format version, reserved, number of archs, number of
//             columns, directory offset/size, the space's name (8 bytes, NUL-padded: "tss",
//             "macro"; an unknown name is refused), XXH3-64 checksum of the directory, file size
//   payload   the columns' bytes: per column, for a sparse one its sorted arch indices (u32,
//             padded to 8 bytes), then the values (float64; NaN = not measured)
//   directory description text (provenance), then one 48-byte entry per column, the last 8 bytes of
//             which are the XXH3-64 checksum of that column's bytes
//
// A column holds one quantity for every arch: key = (dataset key, evaluation set, quantity, hp, seed).
// seed >= 0 is one training trial (its seed; in the shipped tss data, kUnrecordedSeed marks one
// trial whose seed the source did not record), kMeanSeed the mean over seeds. A column stores every
// epoch of the hp schedule (curve), only the last one, or the halfway and the last epoch
// (kColumnHalfwayAndLast: NAS-Bench-101's two evaluations of a run), and is dense (every arch) or
// sparse (sorted arch list + values).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "nas/benchmark_api/datasets.h"
#include "nas/benchmark_api/file_io.h"
#include "nas/benchmark_api/space.h"

namespace nas::bench {

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
  /// Two values per arch: after half the schedule (0-based epoch hp/2 - 1; hp even) and after its
  /// last epoch (num_epochs 2; slot 0 = halfway, 1 = last). NAS-Bench-101 evaluates each run there.
  kColumnHalfwayAndLast = 4,
  /// A time column whose value at an epoch is the training time from the start of the schedule to
  /// the end of that epoch (NAS-Bench-101's training_time), not the time of one epoch.
  kColumnCumulativeTime = 8,
};

/// One column of an opened store. Its values are read from the file and verified against the
/// column's checksum the first time any of them is asked for (thread-safe); a damaged column throws
/// nas::Error naming the store and the column from every accessor that reads values.
class Column {
 public:
  Column() = default;
  Column(const Column&) = delete;
  Column& operator=(const Column&) = delete;

  const ColumnKey& key() const { return key_; }
  std::uint8_t flags() const { return flags_; }
  bool estimated() const { return (flags_ & kColumnEstimated) != 0; }
  /// True if values exist for every epoch, not only the last (or the halfway and the last).
  bool has_curve() const {
    return (num_epochs_ == key_.hp && (flags_ & kColumnHalfwayAndLast) == 0) || (flags_ & kColumnConstantPerEpoch) != 0;
  }
  bool halfway_and_last() const { return (flags_ & kColumnHalfwayAndLast) != 0; }
  bool cumulative_time() const { return (flags_ & kColumnCumulativeTime) != 0; }
  std::uint16_t num_epochs() const { return num_epochs_; }
  bool sparse() const { return sparse_; }
  /// Number of archs with a stored row (all of them for a dense column).
  std::uint32_t num_rows() const { return num_rows_; }
  /// store_checksum of the column's bytes, as the (verified) directory records it.
  std::uint64_t checksum() const { return checksum_; }

  /// Value for `arch` at `epoch` (0-based; -1 = last epoch of the schedule). NaN when the arch or
  /// that epoch has no value. Epochs outside the schedule are NaN too.
  double value(std::uint32_t arch, int epoch = -1) const;
  /// True if `epoch` is stored at all (ignoring NaN holes).
  bool stores_epoch(int epoch) const;
  /// Reads and verifies the column now (value() does it on first use); throws nas::Error if damaged.
  void load() const;

 private:
  friend class Store;
  struct Data {
    std::vector<std::uint32_t> indices;  // sparse columns: sorted, distinct, < num_archs
    std::vector<double> values;          // num_rows x num_epochs
  };
  const Data& data() const {
    const Data* loaded = data_.load(std::memory_order_acquire);
    return loaded != nullptr ? *loaded : load_data();
  }
  const Data& load_data() const;
  /// Reads the column's bytes from the file and checks them (checksum, sparse index order and range).
  std::unique_ptr<Data> read_and_check() const;

  ColumnKey key_;
  std::uint8_t flags_ = 0;
  std::uint16_t num_epochs_ = 1;
  std::uint32_t num_rows_ = 0;
  bool sparse_ = false;
  std::uint64_t offset_ = 0;  // first byte of the column (indices of a sparse one, else values)
  std::uint64_t bytes_ = 0;   // its length in the file
  std::uint64_t checksum_ = 0;
  const struct StoreSource* source_ = nullptr;
  mutable std::atomic<const Data*> data_{nullptr};
  mutable std::unique_ptr<Data> owned_;  // guarded by the source's mutex; data_ points into it
};

/// The opened file a Store's columns read from (internal; a stable address shared by the columns).
struct StoreSource {
  RegularFile file;
  std::uint32_t num_archs = 0;
  std::mutex mutex;
};

/// An opened store file. Move-only; columns stay valid while the Store lives.
class Store {
 public:
  /// Opens `path` and validates header, size and directory checksum. Throws nas::Error naming the
  /// file and the problem (missing, not a regular file, not a store, wrong version, truncated,
  /// corrupt directory, invalid column descriptions or trial seeds).
  static Store open(const std::string& path);

  Store(Store&&) noexcept = default;
  Store& operator=(Store&&) noexcept = default;
  ~Store() = default;

  Space space() const { return space_; }
  std::uint32_t num_archs() const { return num_archs_; }
  const std::string& path() const { return path_; }
  const std::string& description() const { return description_; }
  /// The data checksum (store_checksum over the directory's column entries, each of which holds its
  /// column's checksum): identifies the data; every value served was verified against it.
  std::uint64_t checksum() const { return data_checksum_; }

  const Column* find(const ColumnKey& key) const;
  const std::deque<Column>& columns() const { return contents_->columns; }
  /// Trial seeds (> 0 or kUnrecordedSeed) that have any column for (dataset, hp), ascending.
  const std::vector<std::int32_t>& seeds(Dataset dataset, int hp) const;
  /// The schedules (hp values) present for a dataset key, ascending.
  const std::vector<int>& hps(Dataset dataset) const { return hps_[static_cast<int>(dataset)]; }

  /// Reads every column and checks its checksum (without keeping the values in memory); throws
  /// nas::Error naming the first damaged column.
  void verify() const;

 private:
  Store() = default;
  struct Contents {
    StoreSource source;
    std::deque<Column> columns;  // never moved: columns point at `source`
  };

  std::string path_;
  Space space_ = Space::Topology;
  std::uint32_t num_archs_ = 0;
  std::uint64_t data_checksum_ = 0;
  std::string description_;
  std::unique_ptr<Contents> contents_;
  std::unordered_map<std::uint64_t, const Column*> column_by_key_;
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

  /// Declares a column (idempotent; a second call must agree on num_epochs, flags and layout):
  /// num_epochs is 1 (the last epoch), hp (a curve) or 2 with kColumnHalfwayAndLast.
  void add_column(const ColumnKey& key, std::uint16_t num_epochs, std::uint8_t flags = 0);
  /// Declares a column that will hold a value for (nearly) every arch, held while building as one
  /// array of num_archs x num_epochs values (8 bytes each) instead of one node per row: what the
  /// large imports (NAS-Bench-101's 423,624 cells) use to build in bounded memory.
  void add_dense_column(const ColumnKey& key, std::uint16_t num_epochs, std::uint8_t flags = 0);
  /// Sets the value of a declared column for `arch` in `slot` (0..num_epochs-1 of that column: the
  /// epoch of a curve, 0 of a last-epoch column, 0 halfway / 1 last of a halfway-and-last one).
  void set(const ColumnKey& key, std::uint32_t arch, int slot, double value);
  bool has_column(const ColumnKey& key) const { return columns_.count(key.packed()) != 0; }
  /// Replaces the provenance text written into the file.
  void set_description(std::string description) { description_ = std::move(description); }

  /// Writes the file atomically (AtomicFile: nothing is left behind on failure), choosing a dense
  /// or sparse layout per column. Throws nas::Error with the cause on I/O failure.
  void write(const std::string& path) const;

 private:
  struct PendingColumn {
    ColumnKey key;
    std::uint16_t num_epochs = 1;
    std::uint8_t flags = 0;
    bool dense = false;
    std::vector<double> dense_values;                   // dense: num_archs x num_epochs, NaN = unset
    std::map<std::uint32_t, std::vector<double>> rows;  // arch -> values per epoch
    /// Curve columns: (arch, last-epoch value) of archs with no other epoch set, in the order set.
    std::vector<std::pair<std::uint32_t, double>> last_only;
  };
  /// Visits every row of a column in arch order, the last-epoch-only ones merged in (the latest set
  /// wins): `curve` rows have every epoch (NaN where unset), others only the last.
  /// Dense columns visit the archs with any value set.
  void for_each_row(const PendingColumn& column, bool curve,
                    const std::function<void(std::uint32_t, const std::vector<double>&)>& visit) const;
  /// True if the column has a value at any slot but the last (it is written with all its slots).
  bool has_earlier_slots(const PendingColumn& column) const;
  void declare(const ColumnKey& key, std::uint16_t num_epochs, std::uint8_t flags, bool dense);
  Space space_;
  std::uint32_t num_archs_;
  std::string description_;
  std::map<std::uint64_t, PendingColumn> columns_;
};

/// The checksum of the store format (XXH3-64, libxxhash): of every column's bytes, of the directory,
/// and of the directory's entries (the data checksum). Fast enough (tens of GB/s) that verifying a
/// column when it is first read costs little next to reading it.
std::uint64_t store_checksum(const void* data, std::size_t size);

/// FNV-1a 64-bit hash (config hashes and source fingerprints; small inputs).
std::uint64_t fnv1a64(const void* data, std::size_t size, std::uint64_t seed = 0xcbf29ce484222325ULL);

}  // namespace nas::bench

// The enumerated NAS-Bench-101 space as a running program uses it: the 423,624 cells in index order
// (nb101_enumeration.h) and a lookup from module hash to index.
//
// Enumerating takes ~8 s on 2 cores, too long for every start of `nas`. So the build enumerates once
// (the target nb101_cells runs benchmark_api/tools/make_nb101_cells.cpp) and writes the cell cache
// into the build's data folder; a process reads that file the first time it needs a cell, once, and
// shares it read-only. Generated at build time rather than on first use so that no command ever
// writes outside the paths it was given, and a user's first query is as fast as every later one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nas/benchmark_api/nb101/nb101_enumeration.h"

namespace nas::bench {

/// The cell cache file's name (in the build's data folder, or in $NAS_BENCH_DIR).
inline constexpr const char* kNb101CellsFile = "nb101-cells.bin";

class Nb101Cells {
 public:
  /// The cells of this build, read on the first call from nb101_cells_path() and kept for the life
  /// of the process (thread-safe: concurrent first calls read the file once). Throws nas::Error if
  /// the file is missing (saying how to build it) or damaged; a later call tries again.
  static const Nb101Cells& get();
  /// Reads a cell cache (read_nb101_cache) and indexes it by hash. Throws nas::Error if it is not the
  /// whole space (kNb101NumCells distinct hashes).
  static Nb101Cells load(const std::string& path);

  std::uint32_t size() const { return static_cast<std::uint32_t>(cells_.size()); }
  /// The cell and hash at an index (< size(); not checked: callers check indices once, at the edge).
  const Nb101Spec& spec(std::uint32_t index) const { return cells_[index].spec; }
  const Nb101Hash& hash(std::uint32_t index) const { return cells_[index].hash; }
  /// The index of a hash, or std::nullopt if no cell of the space has it. A binary search over the
  /// sorted hashes (19 comparisons of two 64-bit words).
  std::optional<std::uint32_t> find(const Nb101Hash& hash) const;
  /// The index of a cell: by its canonical form (nb101_canonical_form, ~0.3 us), so any isomorphic
  /// renumbering finds it too; by its module hash (~20 us) only for a form the list does not hold
  /// (a class whose hash another class has: the cell of that hash).
  std::uint32_t index_of(const Nb101Spec& spec) const;

 private:
  /// A hash as two big-endian words, so that comparing keys is comparing digests in hex order
  /// (two integer comparisons, not a 16-byte memcmp: it makes sorting the list 5x faster).
  struct Key {
    std::uint64_t high = 0, low = 0;
    std::uint32_t index = 0;  // of the cell with this hash
    static Key of(const Nb101Hash& hash, std::uint32_t index = 0);
    friend bool operator<(const Key& a, const Key& b) { return a.high != b.high ? a.high < b.high : a.low < b.low; }
  };

  std::vector<Nb101Entry> cells_;  // index order
  std::vector<Key> by_hash_;       // ascending
  std::vector<std::uint64_t> by_form_;  // canonical form << 32 | index, ascending
};

/// Where Nb101Cells::get() reads: $NAS_BENCH_DIR/nb101-cells.bin when NAS_BENCH_DIR is set and holds
/// one, else the build's data folder.
std::string nb101_cells_path();

}  // namespace nas::bench

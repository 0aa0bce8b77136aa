// The enumerated NAS-Bench-101 space, read once per process (see nb101_cells.h).
#include "nas/benchmark_api/nb101/nb101_cells.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <numeric>

#include "nas/benchmark_api/error.h"

namespace nas::bench {

std::string nb101_cells_path() {
  if (const char* dir = std::getenv("NAS_BENCH_DIR"); dir != nullptr && *dir != '\0') {
    const std::string path = std::string(dir) + "/" + kNb101CellsFile;
    if (std::filesystem::exists(path)) return path;
  }
  return std::string(NAS_BUILD_DATA_DIR) + "/" + kNb101CellsFile;
}

Nb101Cells Nb101Cells::load(const std::string& path) {
  Nb101Cells cells;
  cells.cells_ = read_nb101_cache(path);
  if (cells.cells_.size() != kNb101NumCells) {
    throw Error("NAS-Bench-101 cell cache " + path + " holds " + std::to_string(cells.cells_.size()) + " cells, not the " +
                std::to_string(kNb101NumCells) + " of the space; delete it and rebuild the target nb101_cells");
  }
  std::vector<std::uint32_t> order(cells.cells_.size());
  std::iota(order.begin(), order.end(), 0U);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return cells.cells_[a].hash < cells.cells_[b].hash; });
  cells.sorted_hashes_.reserve(order.size());
  for (std::uint32_t index : order) cells.sorted_hashes_.push_back(cells.cells_[index].hash);
  if (std::adjacent_find(cells.sorted_hashes_.begin(), cells.sorted_hashes_.end()) != cells.sorted_hashes_.end()) {
    throw Error("NAS-Bench-101 cell cache " + path + " holds a hash twice; delete it and rebuild the target nb101_cells");
  }
  cells.sorted_index_ = std::move(order);
  return cells;
}

const Nb101Cells& Nb101Cells::get() {
  const std::string path = nb101_cells_path();
  // A function-local static: initialised once, thread-safe; if the read throws, the next call
  // tries again (the file may have been built meanwhile).
  static const Nb101Cells cells = [&] {
    if (!std::filesystem::exists(path)) {
      throw Error("the NAS-Bench-101 cell list is missing at " + path +
                  " (the build writes it: `cmake --build BUILD --target nb101_cells`; or set NAS_BENCH_DIR to a folder "
                  "holding " + kNb101CellsFile + ")");
    }
    return load(path);
  }();
  return cells;
}

std::optional<std::uint32_t> Nb101Cells::find(const Nb101Hash& hash) const {
  const auto it = std::lower_bound(sorted_hashes_.begin(), sorted_hashes_.end(), hash);
  if (it == sorted_hashes_.end() || *it != hash) return std::nullopt;
  return sorted_index_[static_cast<std::size_t>(it - sorted_hashes_.begin())];
}

std::uint32_t Nb101Cells::index_of(const Nb101Spec& spec) const {
  const Nb101Hash hash = nb101_hash(spec);
  if (const auto index = find(hash)) return *index;
  // Cannot happen with a complete cache: every valid cell has one of the enumerated hashes.
  throw Error("NAS-Bench-101 cell with hash " + hash.hex() + " is not in the enumerated space (damaged cell cache?)");
}

}  // namespace nas::bench

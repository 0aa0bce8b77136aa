// The enumerated NAS-Bench-101 space, read once per process (see nb101_cells.h).
#include "nas/benchmark_api/nb101/nb101_cells.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

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
  std::vector<std::uint32_t> forms;
  cells.cells_ = read_nb101_cache(path, &forms);
  if (cells.cells_.size() != kNb101NumCells) {
    throw Error("NAS-Bench-101 cell cache " + path + " holds " + std::to_string(cells.cells_.size()) + " cells, not the " +
                std::to_string(kNb101NumCells) + " of the space; delete it and rebuild the target nb101_cells");
  }
  cells.by_hash_.reserve(cells.cells_.size());
  for (std::uint32_t index = 0; index < cells.size(); ++index) cells.by_hash_.push_back(Key::of(cells.cells_[index].hash, index));
  std::sort(cells.by_hash_.begin(), cells.by_hash_.end());
  const auto same = [](const Key& a, const Key& b) { return a.high == b.high && a.low == b.low; };
  if (std::adjacent_find(cells.by_hash_.begin(), cells.by_hash_.end(), same) != cells.by_hash_.end()) {
    throw Error("NAS-Bench-101 cell cache " + path + " holds a hash twice; delete it and rebuild the target nb101_cells");
  }
  cells.by_form_.reserve(forms.size());
  for (std::uint32_t index = 0; index < forms.size(); ++index) cells.by_form_.push_back(std::uint64_t{forms[index]} << 32 | index);
  std::sort(cells.by_form_.begin(), cells.by_form_.end());
  const auto same_form = [](std::uint64_t a, std::uint64_t b) { return (a >> 32) == (b >> 32); };
  if (std::adjacent_find(cells.by_form_.begin(), cells.by_form_.end(), same_form) != cells.by_form_.end()) {
    throw Error("NAS-Bench-101 cell cache " + path + " holds a canonical form twice; delete it and rebuild the target nb101_cells");
  }
  return cells;
}

const Nb101Cells& Nb101Cells::get() {
  // A function-local static: initialised once, thread-safe; if the read throws, the next call
  // tries again (the file may have been built meanwhile). The path is looked up inside, so that
  // later calls (one per format, parse or mutation) cost no system call.
  static const Nb101Cells cells = [] {
    const std::string path = nb101_cells_path();
    if (!std::filesystem::exists(path)) {
      throw Error("the NAS-Bench-101 cell list is missing at " + path +
                  " (the build writes it: `cmake --build BUILD --target nb101_cells`; or set NAS_BENCH_DIR to a folder "
                  "holding " + kNb101CellsFile + ")");
    }
    return load(path);
  }();
  return cells;
}

Nb101Cells::Key Nb101Cells::Key::of(const Nb101Hash& hash, std::uint32_t index) {
  Key key;
  for (std::size_t i = 0; i < 8; ++i) {
    key.high = key.high << 8 | hash.bytes[i];
    key.low = key.low << 8 | hash.bytes[8 + i];
  }
  key.index = index;
  return key;
}

std::optional<std::uint32_t> Nb101Cells::find(const Nb101Hash& hash) const {
  const Key key = Key::of(hash);
  const auto it = std::lower_bound(by_hash_.begin(), by_hash_.end(), key);
  if (it == by_hash_.end() || it->high != key.high || it->low != key.low) return std::nullopt;
  return it->index;
}

std::uint32_t Nb101Cells::index_of(const Nb101Spec& spec) const {
  const std::uint64_t form = std::uint64_t{nb101_canonical_form(spec)} << 32;
  if (const auto it = std::lower_bound(by_form_.begin(), by_form_.end(), form); it != by_form_.end() && (*it >> 32) == (form >> 32)) {
    return static_cast<std::uint32_t>(*it);
  }
  const Nb101Hash hash = nb101_hash(spec);
  if (const auto index = find(hash)) return *index;
  // Cannot happen with a complete cache: every valid cell has one of the enumerated hashes.
  throw Error("NAS-Bench-101 cell with hash " + hash.hex() + " is not in the enumerated space (damaged cell cache?)");
}

}  // namespace nas::bench

// The memory-mapped columnar benchmark store: reader (Store, Column) and writer (StoreWriter).
#include "nas/benchmark_api/store.h"

#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <new>
#include <set>
#include <utility>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/text.h"

namespace nas::bench {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the store format is little-endian");

constexpr char kMagic[8] = {'N', 'A', 'S', 'B', 'E', 'N', 'C', 'H'};
constexpr std::uint32_t kFormatVersion = 2;
constexpr std::size_t kHeaderBytes = 64;
constexpr std::size_t kDirectoryEntryBytes = 48;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

constexpr std::size_t kSpaceNameBytes = 8;

struct Header {
  std::uint32_t version = kFormatVersion;
  std::uint32_t reserved = 0;
  std::uint32_t num_archs = 0;
  std::uint32_t num_columns = 0;
  std::uint64_t directory_offset = 0;
  std::uint64_t directory_bytes = 0;
  std::string space;  // the space's name, at most kSpaceNameBytes
  std::uint64_t directory_checksum = 0;
  std::uint64_t file_size = 0;
};

struct DirectoryEntry {
  std::uint8_t dataset, set, quantity, flags;
  std::uint16_t hp, num_epochs;
  std::int32_t seed;
  std::uint32_t num_rows;
  std::uint32_t sparse;
  std::uint64_t indices_offset;
  std::uint64_t values_offset;
  std::uint64_t checksum;  // FNV-1a-64 of the column's bytes (indices + padding + values)
};

template <typename T>
void put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
T get(const std::uint8_t* data) {
  T value;
  std::memcpy(&value, data, sizeof(T));
  return value;
}

std::string encode_header(const Header& h) {
  std::string out(kMagic, sizeof(kMagic));
  put(out, h.version);
  put(out, h.reserved);
  put(out, h.num_archs);
  put(out, h.num_columns);
  put(out, h.directory_offset);
  put(out, h.directory_bytes);
  std::string name = h.space;
  name.resize(kSpaceNameBytes, '\0');
  out += name;
  put(out, h.directory_checksum);
  put(out, h.file_size);
  out.resize(kHeaderBytes, '\0');
  return out;
}

Header decode_header(const std::uint8_t* p) {
  Header h;
  h.version = get<std::uint32_t>(p + 8);
  h.reserved = get<std::uint32_t>(p + 12);
  h.num_archs = get<std::uint32_t>(p + 16);
  h.num_columns = get<std::uint32_t>(p + 20);
  h.directory_offset = get<std::uint64_t>(p + 24);
  h.directory_bytes = get<std::uint64_t>(p + 32);
  const auto* name = reinterpret_cast<const char*>(p + 40);
  h.space.assign(name, std::find(name, name + kSpaceNameBytes, '\0'));
  h.directory_checksum = get<std::uint64_t>(p + 48);
  h.file_size = get<std::uint64_t>(p + 56);
  return h;
}

void encode_entry(std::string& out, const DirectoryEntry& e) {
  put(out, e.dataset);
  put(out, e.set);
  put(out, e.quantity);
  put(out, e.flags);
  put(out, e.hp);
  put(out, e.num_epochs);
  put(out, e.seed);
  put(out, e.num_rows);
  put(out, e.sparse);
  put(out, std::uint32_t{0});  // reserved
  put(out, e.indices_offset);
  put(out, e.values_offset);
  put(out, e.checksum);
}

DirectoryEntry decode_entry(const std::uint8_t* p) {
  DirectoryEntry e;
  e.dataset = p[0];
  e.set = p[1];
  e.quantity = p[2];
  e.flags = p[3];
  e.hp = get<std::uint16_t>(p + 4);
  e.num_epochs = get<std::uint16_t>(p + 6);
  e.seed = get<std::int32_t>(p + 8);
  e.num_rows = get<std::uint32_t>(p + 12);
  e.sparse = get<std::uint32_t>(p + 16);
  e.indices_offset = get<std::uint64_t>(p + 24);
  e.values_offset = get<std::uint64_t>(p + 32);
  e.checksum = get<std::uint64_t>(p + 40);
  return e;
}

[[noreturn]] void corrupt(const std::string& path, const std::string& what) {
  throw Error("benchmark store " + path + " is corrupt: " + what);
}

std::size_t padded8(std::size_t n) { return (n + 7) & ~static_cast<std::size_t>(7); }

constexpr std::uint8_t kKnownFlags = kColumnEstimated | kColumnConstantPerEpoch | kColumnHalfwayAndLast | kColumnCumulativeTime;

/// A column stores the last epoch (1), every epoch (hp), or the halfway and last epochs of an even
/// schedule (2, kColumnHalfwayAndLast); a cumulative time is never also one constant per epoch.
bool valid_shape(std::uint16_t hp, std::uint16_t num_epochs, std::uint8_t flags) {
  if (hp == 0 || (flags & ~kKnownFlags) != 0) return false;
  if ((flags & kColumnCumulativeTime) != 0 && (flags & kColumnConstantPerEpoch) != 0) return false;
  if ((flags & kColumnHalfwayAndLast) != 0) return hp % 2 == 0 && (num_epochs == 1 || num_epochs == 2);
  return num_epochs == 1 || num_epochs == hp;
}

}  // namespace

// ---- names ------------------------------------------------------------------------------------------

std::string_view quantity_name(Quantity quantity) {
  static constexpr std::array<std::string_view, kNumQuantities> kNames{"loss",  "accuracy", "accuracy5", "time",
                                                                       "params", "flops",   "latency"};
  return kNames[static_cast<int>(quantity)];
}

std::uint64_t ColumnKey::packed() const {
  return (static_cast<std::uint64_t>(dataset) << 56) | (static_cast<std::uint64_t>(set) << 48) |
         (static_cast<std::uint64_t>(quantity) << 40) | (static_cast<std::uint64_t>(hp) << 32) |
         static_cast<std::uint32_t>(seed);
}

std::string ColumnKey::describe() const {
  std::string seed_text = seed == kMeanSeed ? "mean" : seed == kUnrecordedSeed ? "unrecorded-seed" : "seed " + std::to_string(seed);
  return std::string(dataset_name(dataset)) + "/" + std::string(eval_set_name(set)) + "/" +
         std::string(quantity_name(quantity)) + " hp " + std::to_string(hp) + " " + seed_text;
}

std::uint64_t store_checksum(const void* data, std::size_t size) { return XXH3_64bits(data, size); }

std::uint64_t fnv1a64(const void* data, std::size_t size, std::uint64_t seed) {
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  std::uint64_t hash = seed;
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// ---- Column -----------------------------------------------------------------------------------------

bool Column::stores_epoch(int epoch) const {
  if (epoch == -1 || epoch == key_.hp - 1) return true;
  if (halfway_and_last() && num_epochs_ == 2) return epoch == key_.hp / 2 - 1;
  return epoch >= 0 && epoch < key_.hp && has_curve();
}

double Column::value(std::uint32_t arch, int epoch) const {
  const Data& data = this->data();
  std::size_t row = arch;
  if (sparse_) {
    const auto it = std::lower_bound(data.indices.begin(), data.indices.end(), arch);
    if (it == data.indices.end() || *it != arch) return kNaN;
    row = static_cast<std::size_t>(it - data.indices.begin());
  } else if (arch >= num_rows_) {
    return kNaN;
  }
  int slot = 0;
  if (halfway_and_last()) {
    if (epoch == -1 || epoch == key_.hp - 1) {
      slot = num_epochs_ - 1;
    } else if (epoch == key_.hp / 2 - 1 && num_epochs_ == 2) {
      slot = 0;
    } else {
      return kNaN;
    }
  } else if (num_epochs_ > 1) {
    if (epoch == -1) epoch = key_.hp - 1;
    if (epoch < 0 || epoch >= num_epochs_) return kNaN;
    slot = epoch;
  } else if (epoch != -1 && epoch != key_.hp - 1 && (flags_ & kColumnConstantPerEpoch) == 0) {
    return kNaN;  // only the last epoch is stored
  } else if (epoch < -1 || epoch >= key_.hp) {
    return kNaN;
  }
  return data.values[row * num_epochs_ + static_cast<std::size_t>(slot)];
}

void Column::load() const { (void)data(); }

std::unique_ptr<Column::Data> Column::read_and_check() const {
  const std::string& path = source_->file.path();
  auto damaged = [&](const std::string& what) {
    corrupt(path, "column " + key_.describe() + " " + what + " (the file was modified or damaged; re-import it)");
  };
  // Read straight into the vectors the queries use, hashing as we go (no second copy).
  auto data = std::make_unique<Data>();
  XXH3_state_t* state = XXH3_createState();
  if (state == nullptr) throw std::bad_alloc();
  const std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> owner(state, XXH3_freeState);
  XXH3_64bits_reset(state);
  std::uint64_t offset = offset_;
  auto read_into = [&](void* out, std::size_t bytes) {
    source_->file.read_at(offset, out, bytes);
    XXH3_64bits_update(state, out, bytes);
    offset += bytes;
  };
  if (sparse_) {
    data->indices.resize(num_rows_);
    read_into(data->indices.data(), data->indices.size() * sizeof(std::uint32_t));
    char padding[8];
    read_into(padding, padded8(num_rows_ * sizeof(std::uint32_t)) - num_rows_ * sizeof(std::uint32_t));
  }
  data->values.resize(static_cast<std::size_t>(num_rows_) * num_epochs_);
  read_into(data->values.data(), data->values.size() * sizeof(double));
  if (offset != offset_ + bytes_ || XXH3_64bits_digest(state) != checksum_) damaged("fails its checksum");
  for (std::size_t i = 0; i < data->indices.size(); ++i) {
    if (data->indices[i] >= source_->num_archs) damaged("has an arch index out of range");
    if (i > 0 && data->indices[i] <= data->indices[i - 1]) damaged("has unsorted arch indices");
  }
  return data;
}

const Column::Data& Column::load_data() const {
  const std::lock_guard<std::mutex> lock(const_cast<StoreSource*>(source_)->mutex);
  if (const Data* loaded = data_.load(std::memory_order_acquire)) return *loaded;
  owned_ = read_and_check();
  data_.store(owned_.get(), std::memory_order_release);
  return *owned_;
}

// ---- Store ------------------------------------------------------------------------------------------

Store Store::open(const std::string& path) {
  Store store;
  store.path_ = path;
  store.contents_ = std::make_unique<Contents>();
  StoreSource& source = store.contents_->source;
  source.file = RegularFile::open(path, "benchmark store");
  const std::uint64_t size = source.file.size();
  if (size < kHeaderBytes) {
    throw Error("benchmark store " + path + " is truncated or not a store (" + std::to_string(size) + " bytes)");
  }
  std::uint8_t header[kHeaderBytes];
  source.file.read_at(0, header, kHeaderBytes);
  if (std::memcmp(header, kMagic, sizeof(kMagic)) != 0) {
    throw Error("file " + path + " is not a nas benchmark store (bad magic; import official files with `nas bench import`)");
  }
  const Header h = decode_header(header);
  if (h.version != kFormatVersion) {
    throw Error("benchmark store " + path + " has format version " + std::to_string(h.version) + ", this nas reads version " +
                std::to_string(kFormatVersion) +
                (h.version < kFormatVersion ? " (it checksums every column): rebuild it with `nas bench import`" : ""));
  }
  if (h.file_size != size) {
    corrupt(path, "size is " + std::to_string(size) + " bytes, header says " + std::to_string(h.file_size) +
                      " (truncated download or copy?)");
  }
  const SpaceDefinition* definition = nullptr;
  for (const SpaceDefinition* known : all_spaces()) {
    if (known->name() == h.space) definition = known;
  }
  if (definition == nullptr) {
    throw Error("benchmark store " + path + " is of a search space this nas does not know (" + nas::quoted(h.space) +
                "; it knows " + space_names() + ")");
  }
  store.space_ = definition->id();
  if (h.num_archs != space_num_archs(store.space_)) corrupt(path, "wrong number of archs " + std::to_string(h.num_archs));
  store.num_archs_ = h.num_archs;
  source.num_archs = h.num_archs;
  if (h.directory_offset < kHeaderBytes || h.directory_offset > size || h.directory_bytes > size - h.directory_offset ||
      h.directory_offset % 8 != 0) {
    corrupt(path, "directory lies outside the file");
  }
  std::string directory(static_cast<std::size_t>(h.directory_bytes), '\0');
  source.file.read_at(h.directory_offset, directory.data(), directory.size());
  const auto* dir = reinterpret_cast<const std::uint8_t*>(directory.data());
  if (store_checksum(dir, h.directory_bytes) != h.directory_checksum) corrupt(path, "directory checksum mismatch");

  // Directory: u32 description length, description, padding to 8, then the entries.
  if (h.directory_bytes < 4) corrupt(path, "directory too short");
  const auto description_len = get<std::uint32_t>(dir);
  if (description_len > h.directory_bytes - 4) corrupt(path, "description length out of range");
  store.description_.assign(reinterpret_cast<const char*>(dir + 4), description_len);
  const std::size_t entries_start = padded8(4 + static_cast<std::size_t>(description_len));
  if (entries_start > h.directory_bytes ||
      (h.directory_bytes - entries_start) != static_cast<std::uint64_t>(h.num_columns) * kDirectoryEntryBytes) {
    corrupt(path, "directory size does not match its column count");
  }
  store.data_checksum_ = store_checksum(dir + entries_start, h.directory_bytes - entries_start);
  const std::uint64_t payload_end = h.directory_offset;
  for (std::uint32_t i = 0; i < h.num_columns; ++i) {
    const DirectoryEntry e = decode_entry(dir + entries_start + static_cast<std::size_t>(i) * kDirectoryEntryBytes);
    const std::string which = "column " + std::to_string(i);
    if (e.dataset >= kNumDatasets || e.set >= kNumEvalSets || e.quantity >= kNumQuantities || !valid_shape(e.hp, e.num_epochs, e.flags) ||
        e.num_rows > h.num_archs || (e.sparse == 0 && e.num_rows != h.num_archs) || e.sparse > 1 ||
        ((e.flags & kColumnCumulativeTime) != 0 && e.quantity != static_cast<std::uint8_t>(Quantity::Time))) {
      corrupt(path, which + " has an invalid description");
    }
    if (e.seed < kMeanSeed) corrupt(path, which + " has trial seed " + std::to_string(e.seed) + " (neither a seed nor the mean)");
    const std::uint64_t values_bytes = static_cast<std::uint64_t>(e.num_rows) * e.num_epochs * sizeof(double);
    if (e.values_offset % 8 != 0 || e.values_offset < kHeaderBytes || e.values_offset > payload_end ||
        values_bytes > payload_end - e.values_offset) {
      corrupt(path, which + " values lie outside the payload");
    }
    std::uint64_t offset = e.values_offset;
    if (e.sparse != 0) {
      const std::uint64_t index_bytes = padded8(static_cast<std::size_t>(e.num_rows) * sizeof(std::uint32_t));
      if (e.indices_offset % 8 != 0 || e.indices_offset < kHeaderBytes || e.indices_offset + index_bytes != e.values_offset) {
        corrupt(path, which + " index does not precede its values");
      }
      offset = e.indices_offset;
    }
    store.contents_->columns.emplace_back();
    Column& column = store.contents_->columns.back();
    column.key_ = ColumnKey{static_cast<Dataset>(e.dataset), static_cast<EvalSet>(e.set),
                            static_cast<Quantity>(e.quantity), e.hp, e.seed};
    column.flags_ = e.flags;
    column.num_epochs_ = e.num_epochs;
    column.num_rows_ = e.num_rows;
    column.sparse_ = e.sparse != 0;
    column.offset_ = offset;
    column.bytes_ = e.values_offset + values_bytes - offset;
    column.checksum_ = e.checksum;
    column.source_ = &source;
    if (!store.column_by_key_.emplace(column.key_.packed(), &column).second) {
      corrupt(path, "duplicate column " + column.key_.describe());
    }
  }
  // Index the schedules and trial seeds once, so queries never scan the directory.
  std::map<std::pair<int, int>, std::set<std::int32_t>> seeds;
  std::array<std::set<int>, kNumDatasets> hps;
  for (const Column& c : store.contents_->columns) {
    hps[static_cast<int>(c.key().dataset)].insert(c.key().hp);
    if (c.key().seed != kMeanSeed) seeds[{static_cast<int>(c.key().dataset), c.key().hp}].insert(c.key().seed);
  }
  for (int d = 0; d < kNumDatasets; ++d) store.hps_[d].assign(hps[d].begin(), hps[d].end());
  for (const auto& [key, values] : seeds) store.seeds_[key].assign(values.begin(), values.end());
  return store;
}

const Column* Store::find(const ColumnKey& key) const {
  const auto it = column_by_key_.find(key.packed());
  return it == column_by_key_.end() ? nullptr : it->second;
}

const std::vector<std::int32_t>& Store::seeds(Dataset dataset, int hp) const {
  static const std::vector<std::int32_t> kNone;
  const auto it = seeds_.find({static_cast<int>(dataset), hp});
  return it == seeds_.end() ? kNone : it->second;
}

void Store::verify() const {
  // Re-reads even the columns already in memory: verify() checks the file as it is now.
  for (const Column& column : contents_->columns) (void)column.read_and_check();
}

// ---- StoreWriter ------------------------------------------------------------------------------------

StoreWriter::StoreWriter(Space space, std::string description)
    : space_(space), num_archs_(space_num_archs(space)), description_(std::move(description)) {}

void StoreWriter::add_column(const ColumnKey& key, std::uint16_t num_epochs, std::uint8_t flags) {
  declare(key, num_epochs, flags, false);
}

void StoreWriter::add_dense_column(const ColumnKey& key, std::uint16_t num_epochs, std::uint8_t flags) {
  declare(key, num_epochs, flags, true);
}

void StoreWriter::declare(const ColumnKey& key, std::uint16_t num_epochs, std::uint8_t flags, bool dense) {
  if (!valid_shape(key.hp, num_epochs, flags) || ((flags & kColumnHalfwayAndLast) != 0 && num_epochs != 2)) {
    throw Error("column " + key.describe() + ": stores 1 or hp epochs (or 2, halfway and last, of an even hp), not " +
                std::to_string(num_epochs));
  }
  if ((flags & kColumnCumulativeTime) != 0 && key.quantity != Quantity::Time) {
    throw Error("column " + key.describe() + ": only a time can be cumulative");
  }
  auto [it, inserted] = columns_.try_emplace(key.packed());
  PendingColumn& column = it->second;
  if (inserted) {
    column.key = key;
    column.num_epochs = num_epochs;
    column.flags = flags;
    column.dense = dense;
    if (dense) column.dense_values.assign(static_cast<std::size_t>(num_archs_) * num_epochs, kNaN);
  } else if (column.num_epochs != num_epochs || column.flags != flags || column.dense != dense) {
    throw Error("column " + key.describe() + " declared twice with different shapes");
  }
}

void StoreWriter::set(const ColumnKey& key, std::uint32_t arch, int slot, double value) {
  const auto it = columns_.find(key.packed());
  if (it == columns_.end()) throw Error("column " + key.describe() + " was not declared");
  PendingColumn& column = it->second;
  if (arch >= num_archs_) throw Error("arch index " + std::to_string(arch) + " out of range for " + key.describe());
  if (slot < 0 || slot >= column.num_epochs) {
    throw Error("epoch " + std::to_string(slot) + " out of range for " + key.describe());
  }
  if (column.dense) {
    column.dense_values[static_cast<std::size_t>(arch) * column.num_epochs + static_cast<std::size_t>(slot)] = value;
    return;
  }
  const bool last = slot == column.num_epochs - 1;
  if (column.num_epochs > 1 && last && column.rows.count(arch) == 0) {
    column.last_only.emplace_back(arch, value);  // a full row only once another epoch shows up
    return;
  }
  auto [row, inserted] = column.rows.try_emplace(arch);
  if (inserted) row->second.assign(column.num_epochs, kNaN);
  row->second[static_cast<std::size_t>(slot)] = value;
}

bool StoreWriter::has_earlier_slots(const PendingColumn& column) const {
  if (column.num_epochs == 1) return false;
  if (!column.dense) return !column.rows.empty();
  for (std::size_t i = 0; i < column.dense_values.size(); ++i) {
    if (i % column.num_epochs != column.num_epochs - 1u && !std::isnan(column.dense_values[i])) return true;
  }
  return false;
}

void StoreWriter::for_each_row(const PendingColumn& column, bool curve,
                               const std::function<void(std::uint32_t, const std::vector<double>&)>& visit) const {
  std::vector<double> values;
  if (column.dense) {
    const std::size_t width = column.num_epochs;
    for (std::uint32_t arch = 0; arch < num_archs_; ++arch) {
      const double* row = column.dense_values.data() + static_cast<std::size_t>(arch) * width;
      if (std::all_of(row, row + width, [](double v) { return std::isnan(v); })) continue;
      if (curve) {
        values.assign(row, row + width);
      } else {
        values.assign(1, row[width - 1]);
      }
      visit(arch, values);
    }
    return;
  }
  // The latest last-epoch value of each arch that was set while it had no full row.
  std::map<std::uint32_t, double> last;
  for (const auto& [arch, value] : column.last_only) last[arch] = value;
  auto full = column.rows.begin();
  auto only = last.begin();
  while (full != column.rows.end() || only != last.end()) {
    const bool take_full = only == last.end() || (full != column.rows.end() && full->first <= only->first);
    const std::uint32_t arch = take_full ? full->first : only->first;
    if (take_full) {
      values = full->second;
      // A last-epoch set after the row existed went into it and is the latest; otherwise the earlier one fills in.
      if (only != last.end() && only->first == arch) {
        if (std::isnan(values.back())) values.back() = only->second;
        ++only;
      }
      ++full;
    } else {
      values.assign(curve ? column.num_epochs : 1, kNaN);
      values.back() = only->second;
      ++only;
    }
    visit(arch, values);
  }
}

void StoreWriter::write(const std::string& path) const {
  AtomicFile out(path, "benchmark store");
  std::uint64_t offset = 0;
  auto emit = [&](const std::string& bytes) {
    out.write(bytes.data(), bytes.size());
    offset += bytes.size();
  };
  emit(std::string(kHeaderBytes, '\0'));

  std::string directory;
  put(directory, static_cast<std::uint32_t>(description_.size()));
  directory += description_;
  directory.resize(padded8(directory.size()), '\0');

  for (const auto& [packed, column] : columns_) {
    // A curve (or halfway) column whose archs only have last-epoch values is written as a
    // last-epoch column.
    const bool curve = has_earlier_slots(column);
    const std::uint16_t num_epochs = curve ? column.num_epochs : 1;
    std::size_t num_rows = 0;
    for_each_row(column, curve, [&](std::uint32_t, const std::vector<double>&) { ++num_rows; });
    // A sparse column costs 4 bytes of index per stored row; dense costs a full row per missing arch.
    const bool sparse = num_rows * 2 < num_archs_;
    DirectoryEntry e{};
    e.dataset = static_cast<std::uint8_t>(column.key.dataset);
    e.set = static_cast<std::uint8_t>(column.key.set);
    e.quantity = static_cast<std::uint8_t>(column.key.quantity);
    e.flags = curve ? column.flags : static_cast<std::uint8_t>(column.flags & ~kColumnHalfwayAndLast);
    e.hp = column.key.hp;
    e.num_epochs = num_epochs;
    e.seed = column.key.seed;
    e.sparse = sparse ? 1 : 0;
    e.num_rows = sparse ? static_cast<std::uint32_t>(num_rows) : num_archs_;
    std::string bytes;
    if (sparse) {
      e.indices_offset = offset;
      for_each_row(column, curve, [&](std::uint32_t arch, const std::vector<double>&) { put(bytes, arch); });
      bytes.resize(padded8(bytes.size()), '\0');
      e.values_offset = offset + bytes.size();
      for_each_row(column, curve, [&](std::uint32_t, const std::vector<double>& values) {
        for (double v : values) put(bytes, v);
      });
    } else {
      e.values_offset = offset;
      const std::vector<double> missing(num_epochs, kNaN);
      bytes.reserve(static_cast<std::size_t>(num_archs_) * num_epochs * sizeof(double));
      std::uint32_t next = 0;  // the first arch not written yet
      for_each_row(column, curve, [&](std::uint32_t arch, const std::vector<double>& values) {
        for (; next < arch; ++next) {
          for (double v : missing) put(bytes, v);
        }
        for (double v : values) put(bytes, v);
        next = arch + 1;
      });
      for (; next < num_archs_; ++next) {
        for (double v : missing) put(bytes, v);
      }
    }
    e.checksum = store_checksum(bytes.data(), bytes.size());
    emit(bytes);
    encode_entry(directory, e);
  }

  Header h;
  h.space = std::string(space_name(space_));
  h.num_archs = num_archs_;
  h.num_columns = static_cast<std::uint32_t>(columns_.size());
  h.directory_offset = offset;
  h.directory_bytes = directory.size();
  h.directory_checksum = store_checksum(directory.data(), directory.size());
  emit(directory);
  h.file_size = offset;
  const std::string header = encode_header(h);
  out.write_at(0, header.data(), header.size());
  out.commit();
}

}  // namespace nas::bench

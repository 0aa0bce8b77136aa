// NNI's benchmark database into a store (see nni_database.h).
#include <xxhash.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <unordered_map>
#include <vector>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"
#include "nas/benchmark_api/nb101/nb101_cells.h"
#include "nas/benchmark_api/nb101/nb101_cost.h"
#include "nas/benchmark_api/nb101/nb101_hash.h"
#include "nas/benchmark_api/nb101/nb101_space.h"
#include "nas/benchmark_api/nni_database.h"
#include "nas/benchmark_api/store.h"
#include "nni/nni_tables.h"
#include "nni/sqlite_db.h"

namespace nas::bench {
namespace {

using nni::SqliteDatabase;
using nni::SqliteStatement;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kNb101StatsTimeFactor = 60;  // nb101trialstats.training_time = 60 x seconds (nni_database.h)
constexpr std::size_t kProgressEvery = 65536;

/// The value whose product with `factor` is `product`, when one exists (else the quotient): the
/// inverse of the exporter's multiplication, so that store -> database -> store keeps every bit.
double divide_exactly(double product, double factor) {
  const double quotient = product / factor;
  for (double candidate : {quotient, std::nextafter(quotient, -INFINITY), std::nextafter(quotient, INFINITY)}) {
    if (candidate * factor == product) return candidate;
  }
  return quotient;
}

bool same_value(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

std::string format_number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

/// One row of a table as it is read: typed access that names the file, table, row and column of
/// anything that is not what NNI's schema says.
class Row {
 public:
  Row(const SqliteStatement& statement, std::string file, std::string table) : s_(statement), file_(std::move(file)), table_(std::move(table)) {}

  std::string where() const { return file_ + ": " + table_ + " row id " + std::to_string(s_.integer(0)); }
  [[noreturn]] void fail(const std::string& problem) const { throw Error(where() + ": " + problem); }

  std::int64_t id() const { return s_.integer(0); }
  std::int64_t integer(int column, const char* name) const {
    if (s_.is_null(column)) fail(std::string(name) + " is NULL (NNI's schema: NOT NULL)");
    if (s_.type(column) != SQLITE_INTEGER) fail(std::string(name) + " is not an integer");
    return s_.integer(column);
  }
  std::string text(int column, const char* name) const {
    if (s_.is_null(column)) fail(std::string(name) + " is NULL (NNI's schema: NOT NULL)");
    if (s_.type(column) != SQLITE_TEXT) fail(std::string(name) + " is not text");
    return s_.text(column);
  }
  /// A REAL column: NaN for NULL when `nullable`, else an error; checked to be finite and in
  /// [low, high].
  double real(int column, const char* name, bool nullable, double low, double high) const {
    if (s_.is_null(column)) {
      if (nullable) return kNaN;
      fail(std::string(name) + " is NULL (NNI's schema: NOT NULL)");
    }
    if (s_.type(column) != SQLITE_FLOAT && s_.type(column) != SQLITE_INTEGER) fail(std::string(name) + " is not a number");
    const double v = s_.real(column);
    if (!std::isfinite(v) || v < low || v > high) {
      fail(std::string(name) + " = " + format_number(v) + " is out of range [" + format_number(low) + ", " + format_number(high) + "]");
    }
    return v;
  }
  double accuracy(int column, const char* name, bool nullable) const { return real(column, name, nullable, 0, 100); }
  double nonnegative(int column, const char* name, bool nullable) const {
    return real(column, name, nullable, 0, std::numeric_limits<double>::max());
  }

 private:
  const SqliteStatement& s_;
  std::string file_, table_;
};

/// The source file, checked before SQLite sees it: a regular file that starts like an SQLite
/// database (SQLite itself would only fail at the first query, with "file is not a database").
void check_sqlite_file(const std::string& path) {
  const RegularFile file = RegularFile::open(path, "NNI benchmark database");
  static const char kMagic[16] = "SQLite format 3";  // 15 characters and a NUL
  char header[16] = {};
  if (file.size() < sizeof header) throw Error(path + ": not an SQLite database (" + std::to_string(file.size()) + " bytes)");
  file.read_at(0, header, sizeof header);
  if (std::memcmp(header, kMagic, sizeof header) != 0) throw Error(path + ": not an SQLite database (no SQLite header)");
}

/// XXH3-64 of the whole file, for the store's provenance.
std::string file_checksum(const std::string& path, std::uint64_t& bytes) {
  const RegularFile file = RegularFile::open(path, "NNI benchmark database");
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  std::vector<char> buffer(std::size_t{1} << 20);
  for (std::uint64_t offset = 0; offset < file.size();) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), file.size() - offset));
    file.read_at(offset, buffer.data(), n);
    XXH3_64bits_update(state, buffer.data(), n);
    offset += n;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016" PRIx64, static_cast<std::uint64_t>(XXH3_64bits_digest(state)));
  XXH3_freeState(state);
  bytes = file.size();
  return hex;
}

/// Which benchmark the tables are, with every table and column NNI's schema has.
NniBenchmark detect_benchmark(const SqliteDatabase& db) {
  const std::vector<std::string> tables = nni::sqlite_tables(db);
  auto has = [&](const std::string& name) { return std::find(tables.begin(), tables.end(), name) != tables.end(); };
  const bool nb101 = has("nb101trialconfig"), nb201 = has("nb201trialconfig");
  if (nb101 == nb201) {
    throw Error(db.path() + (nb101 ? ": holds both NNI's nb101 and nb201 tables; expected one benchmark"
                                   : ": has no NNI benchmark tables (nb101trialconfig or nb201trialconfig); not an NNI "
                                     "NAS-Bench-101/201 database"));
  }
  const NniBenchmark benchmark = nb101 ? NniBenchmark::Nb101 : NniBenchmark::Nb201;
  for (const std::string& table : nni::table_names(benchmark)) {
    if (!has(table)) throw Error(db.path() + ": has no table " + table + " (NNI's schema has nb*trialconfig, nb*trialstats, nb*intermediatestats)");
    const std::vector<std::string> columns = nni::sqlite_columns(db, table);
    for (const std::string& column : nni::required_columns(benchmark, table)) {
      if (std::find(columns.begin(), columns.end(), column) == columns.end()) {
        throw Error(db.path() + ": table " + table + " has no column " + column + " (not NNI's schema)");
      }
    }
  }
  return benchmark;
}

std::uint64_t count_rows(const SqliteDatabase& db, const std::string& table) {
  SqliteStatement count(db, "SELECT COUNT(*) FROM \"" + table + "\"");
  count.step();
  return static_cast<std::uint64_t>(count.integer(0));
}

/// Counts rows read and reports them every kProgressEvery rows.
struct RowProgress {
  const NniProgress& progress;
  std::uint64_t total = 0, done = 0;
  void tick() {
    if (++done % kProgressEvery == 0 && progress) progress(done, total);
  }
  void finish() const {
    if (progress) progress(done, total);
  }
};

/// A config row's place, looked up by id (rows are read in id order, so a binary search finds it).
template <typename Configs>
auto* find_config(Configs& configs, std::int64_t id) {
  const auto it = std::lower_bound(configs.begin(), configs.end(), id, [](const auto& c, std::int64_t v) { return c.id < v; });
  return it != configs.end() && it->id == id ? &*it : nullptr;
}

// ---- NB201 ---------------------------------------------------------------------------------------

struct Nb201Config {
  std::int64_t id = 0;
  std::uint32_t arch = 0;
  Dataset dataset = Dataset::Cifar10;
  int hp = 0;
};

/// Accuracies and losses of one row: train, valid, test, ori_test.
struct Nb201Metrics {
  std::array<double, 4> accuracy{}, loss{};
};

/// Reads the accuracy and loss columns starting at `first` (4 accuracies, then 4 losses).
Nb201Metrics read_metrics(const Row& row, int first, bool accuracies_nullable) {
  static const char* const kAcc[] = {"train_acc", "valid_acc", "test_acc", "ori_test_acc"};
  static const char* const kLoss[] = {"train_loss", "valid_loss", "test_loss", "ori_test_loss"};
  Nb201Metrics m;
  for (int i = 0; i < 4; ++i) {
    m.accuracy[static_cast<std::size_t>(i)] = row.accuracy(first + i, kAcc[i], accuracies_nullable);
    m.loss[static_cast<std::size_t>(i)] = row.nonnegative(first + 4 + i, kLoss[i], true);
  }
  return m;
}

/// NNI writes one store set into two or three of valid/test/ori_test (cifar10, cifar10-valid):
/// those copies must agree. `values` are valid, test, ori_test.
void check_copies(const Row& row, Dataset dataset, const std::array<double, 3>& values, const char* quantity) {
  static const char* const kRoles[] = {"valid", "test", "ori_test"};
  const NniNb201Sets sets = nni_nb201_sets(dataset);
  const std::array<EvalSet, 3> set_of{sets.valid, sets.test, sets.ori_test};
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = i + 1; j < 3; ++j) {
      if (set_of[i] == set_of[j] && !same_value(values[i], values[j])) {
        row.fail(std::string(kRoles[i]) + "_" + quantity + " and " + kRoles[j] + "_" + quantity + " differ, but NNI writes both from " +
                 std::string(dataset_name(dataset)) + "'s " + std::string(eval_set_name(set_of[i])) + " set");
      }
    }
  }
}

/// Sets the values of one row at `epoch` (0-based) in the store's curve columns (importers.h).
void set_metrics(StoreWriter& writer, const Nb201Config& config, std::int32_t seed, int epoch, const Nb201Metrics& m) {
  const NniNb201Sets sets = nni_nb201_sets(config.dataset);
  const std::array<EvalSet, 4> set_of{EvalSet::Train, sets.valid, sets.test, sets.ori_test};
  const auto hp = static_cast<std::uint16_t>(config.hp);
  for (std::size_t i = 0; i < 4; ++i) {
    for (const auto& [quantity, value] : {std::pair{Quantity::Accuracy, m.accuracy[i]}, std::pair{Quantity::Loss, m.loss[i]}}) {
      if (std::isnan(value)) continue;
      const ColumnKey key{config.dataset, set_of[i], quantity, hp, seed};
      writer.add_column(key, hp);
      writer.set(key, config.arch, epoch, value);
    }
  }
}

void set_scalar(StoreWriter& writer, const Nb201Config& config, std::int32_t seed, Quantity quantity, double value) {
  const ColumnKey key{config.dataset, EvalSet::Train, quantity, static_cast<std::uint16_t>(config.hp), seed};
  writer.add_column(key, 1);
  writer.set(key, config.arch, 0, value);
}

void set_last_epoch_time(StoreWriter& writer, const Nb201Config& config, std::int32_t seed, EvalSet set, double seconds) {
  const auto hp = static_cast<std::uint16_t>(config.hp);
  const ColumnKey key{config.dataset, set, Quantity::Time, hp, seed};
  writer.add_column(key, hp);
  writer.set(key, config.arch, config.hp - 1, seconds);
}

std::vector<Nb201Config> read_nb201_configs(const SqliteDatabase& db, RowProgress& progress) {
  SqliteStatement query(db, "SELECT id, arch, num_epochs, num_channels, num_cells, dataset FROM nb201trialconfig ORDER BY id");
  const Row row(query, db.path(), "nb201trialconfig");
  const std::vector<int> fidelities = space_definition(Space::Topology).fidelities();
  std::vector<Nb201Config> configs;
  std::unordered_map<std::uint64_t, std::int64_t> id_of;  // (arch, dataset, hp) -> config id
  std::unordered_map<std::string, std::uint32_t> arch_of_text;
  while (query.step()) {
    Nb201Config c;
    c.id = row.id();
    const std::string text = row.text(1, "arch");
    auto known = arch_of_text.find(text);
    if (known == arch_of_text.end()) {
      try {
        known = arch_of_text.emplace(text, tss_index_of(tss_arch_of_nni(text))).first;
      } catch (const Error& e) {
        row.fail(std::string(e.what()) + " (not a cell of the NAS-Bench-201 space)");
      }
    }
    c.arch = known->second;
    const std::int64_t epochs = row.integer(2, "num_epochs");
    if (std::find(fidelities.begin(), fidelities.end(), epochs) == fidelities.end()) {
      row.fail("num_epochs = " + std::to_string(epochs) + ", not 12 or 200");
    }
    c.hp = static_cast<int>(epochs);
    if (row.integer(3, "num_channels") != 16 || row.integer(4, "num_cells") != 5) {
      row.fail("num_channels/num_cells are not 16/5, NAS-Bench-201's only network");
    }
    try {
      c.dataset = dataset_of_nni(row.text(5, "dataset"));
    } catch (const Error& e) {
      row.fail(e.what());
    }
    const std::uint64_t key = std::uint64_t{c.arch} << 16 | static_cast<std::uint64_t>(c.hp) << 4 | static_cast<std::uint64_t>(c.dataset);
    const auto [it, added] = id_of.emplace(key, c.id);
    if (!added) row.fail("the same (arch, num_epochs, dataset) as config id " + std::to_string(it->second));
    configs.push_back(c);
    progress.tick();
  }
  return configs;
}

void import_nb201(const SqliteDatabase& db, StoreWriter& writer, RowProgress& progress, NniReport& report) {
  const std::vector<Nb201Config> configs = read_nb201_configs(db, progress);
  report.configs = configs.size();

  SqliteStatement stats(db,
                        "SELECT id, config_id, seed, train_acc, valid_acc, test_acc, ori_test_acc, train_loss, valid_loss, "
                        "test_loss, ori_test_loss, parameters, latency, flops, training_time, valid_evaluation_time, "
                        "test_evaluation_time, ori_test_evaluation_time FROM nb201trialstats ORDER BY id");
  // ORDER BY trial_id, id walks the trial_id index; the two queries advance together (a merge
  // join), so no table is held in memory.
  SqliteStatement intermediates(db,
                                "SELECT id, trial_id, current_epoch, train_acc, valid_acc, test_acc, ori_test_acc, train_loss, "
                                "valid_loss, test_loss, ori_test_loss FROM nb201intermediatestats ORDER BY trial_id, id");
  const Row stats_row(stats, db.path(), "nb201trialstats");
  const Row inter_row(intermediates, db.path(), "nb201intermediatestats");
  std::unordered_map<std::int64_t, std::vector<std::int32_t>> seeds_of_config;
  bool have_intermediate = intermediates.step();
  auto orphan = [&] {
    inter_row.fail("trial_id " + std::to_string(intermediates.integer(1)) + " is not a row of nb201trialstats");
  };
  while (stats.step()) {
    const std::int64_t trial_id = stats_row.id();
    const Nb201Config* config = find_config(configs, stats_row.integer(1, "config_id"));
    if (config == nullptr) stats_row.fail("config_id " + std::to_string(stats.integer(1)) + " is not a row of nb201trialconfig");
    const std::int64_t seed64 = stats_row.integer(2, "seed");
    if (seed64 < 0 || seed64 > std::numeric_limits<std::int32_t>::max()) stats_row.fail("seed " + std::to_string(seed64) + " is out of range");
    const auto seed = static_cast<std::int32_t>(seed64);
    std::vector<std::int32_t>& seeds = seeds_of_config[config->id];
    if (std::find(seeds.begin(), seeds.end(), seed) != seeds.end()) stats_row.fail("a second trial of config " + std::to_string(config->id) + " with seed " + std::to_string(seed));
    seeds.push_back(seed);

    const Nb201Metrics last = read_metrics(stats_row, 3, false);
    const double params = stats_row.nonnegative(11, "parameters", false);
    const double latency = stats_row.nonnegative(12, "latency", false);
    const double flops = stats_row.nonnegative(13, "flops", false);
    const double training_time = stats_row.nonnegative(14, "training_time", false);
    const std::array<double, 3> eval_time{stats_row.nonnegative(15, "valid_evaluation_time", false),
                                          stats_row.nonnegative(16, "test_evaluation_time", false),
                                          stats_row.nonnegative(17, "ori_test_evaluation_time", false)};
    check_copies(stats_row, config->dataset, {last.accuracy[1], last.accuracy[2], last.accuracy[3]}, "acc");
    check_copies(stats_row, config->dataset, {last.loss[1], last.loss[2], last.loss[3]}, "loss");
    check_copies(stats_row, config->dataset, eval_time, "evaluation_time");
    set_metrics(writer, *config, seed, config->hp - 1, last);
    set_scalar(writer, *config, seed, Quantity::Params, params);
    set_scalar(writer, *config, seed, Quantity::Flops, flops);
    set_scalar(writer, *config, seed, Quantity::Latency, latency);
    set_last_epoch_time(writer, *config, seed, EvalSet::Train, divide_exactly(training_time, config->hp));
    const NniNb201Sets sets = nni_nb201_sets(config->dataset);
    const std::array<EvalSet, 3> set_of{sets.valid, sets.test, sets.ori_test};
    for (std::size_t i = 0; i < 3; ++i) set_last_epoch_time(writer, *config, seed, set_of[i], eval_time[i]);
    ++report.trials;
    progress.tick();

    while (have_intermediate && intermediates.integer(1) < trial_id) orphan();
    std::vector<bool> seen(static_cast<std::size_t>(config->hp) + 1, false);
    for (; have_intermediate && intermediates.integer(1) == trial_id; have_intermediate = intermediates.step()) {
      const std::int64_t epoch = inter_row.integer(2, "current_epoch");
      if (epoch < 1 || epoch > config->hp) {
        inter_row.fail("current_epoch " + std::to_string(epoch) + " is outside the " + std::to_string(config->hp) + "-epoch schedule (1-based)");
      }
      if (seen[static_cast<std::size_t>(epoch)]) inter_row.fail("a second row of trial " + std::to_string(trial_id) + " at epoch " + std::to_string(epoch));
      seen[static_cast<std::size_t>(epoch)] = true;
      const Nb201Metrics m = read_metrics(inter_row, 3, true);
      check_copies(inter_row, config->dataset, {m.accuracy[1], m.accuracy[2], m.accuracy[3]}, "acc");
      check_copies(inter_row, config->dataset, {m.loss[1], m.loss[2], m.loss[3]}, "loss");
      if (epoch == config->hp) {
        for (std::size_t i = 0; i < 4; ++i) {
          if ((!std::isnan(m.accuracy[i]) && m.accuracy[i] != last.accuracy[i]) || (!std::isnan(m.loss[i]) && !same_value(m.loss[i], last.loss[i]))) {
            inter_row.fail("its last-epoch values differ from those of trial " + std::to_string(trial_id) + " in nb201trialstats");
          }
        }
      } else {
        set_metrics(writer, *config, seed, static_cast<int>(epoch) - 1, m);
      }
      ++report.intermediates;
      progress.tick();
    }
  }
  if (have_intermediate) orphan();
}

// ---- NB101 ---------------------------------------------------------------------------------------

struct Nb101Config {
  std::int64_t id = 0;
  std::uint32_t cell = 0;
  std::uint8_t fidelity = 0;  // position in kNb101Fidelities
  std::uint8_t trials = 0;    // read so far (the next one's repeat id - 1)
};

std::vector<Nb101Config> read_nb101_configs(const SqliteDatabase& db, const Nb101Cells& cells, RowProgress& progress) {
  SqliteStatement query(db, "SELECT id, arch, num_vertices, hash, num_epochs FROM nb101trialconfig ORDER BY id");
  const Row row(query, db.path(), "nb101trialconfig");
  std::vector<Nb101Config> configs;
  std::vector<std::uint8_t> schedules_seen(cells.size(), 0);  // per cell, one bit per schedule
  while (query.step()) {
    Nb101Config c;
    c.id = row.id();
    Nb101Graph graph;
    try {
      graph = nb101_graph_of_nni(row.text(1, "arch"));
    } catch (const Error& e) {
      row.fail(e.what());
    }
    std::string why;
    const std::optional<Nb101Spec> spec = Nb101Spec::try_from_graph(graph, &why);
    if (!spec) row.fail("arch is not a cell of NAS-Bench-101: " + why);
    const std::int64_t vertices = row.integer(2, "num_vertices");
    if (vertices != static_cast<std::int64_t>(graph.ops.size()) || spec->num_vertices() != vertices) {
      row.fail("num_vertices = " + std::to_string(vertices) + ", but its arch has " + std::to_string(graph.ops.size()) +
               " vertices, " + std::to_string(spec->num_vertices()) + " after pruning (db_gen writes pruned cells)");
    }
    const Nb101Hash hash = nb101_hash(*spec);
    const std::string hash_text = row.text(3, "hash");
    if (hash_text != hash.hex()) row.fail("hash " + hash_text + " is not the module hash of its arch, " + hash.hex());
    c.cell = cells.index_of(*spec);
    const std::int64_t epochs = row.integer(4, "num_epochs");
    const auto f = std::find(kNb101Fidelities.begin(), kNb101Fidelities.end(), epochs);
    if (f == kNb101Fidelities.end()) row.fail("num_epochs = " + std::to_string(epochs) + ", not 4, 12, 36 or 108");
    c.fidelity = static_cast<std::uint8_t>(f - kNb101Fidelities.begin());
    const auto bit = static_cast<std::uint8_t>(1U << c.fidelity);
    if ((schedules_seen[c.cell] & bit) != 0) row.fail("a second config of cell " + hash.hex() + " at " + std::to_string(epochs) + " epochs");
    schedules_seen[c.cell] |= bit;
    configs.push_back(c);
    progress.tick();
  }
  return configs;
}

void import_nb101(const SqliteDatabase& db, StoreWriter& writer, RowProgress& progress, NniReport& report) {
  const Nb101Cells& cells = Nb101Cells::get();
  std::vector<Nb101Config> configs = read_nb101_configs(db, cells, progress);
  report.configs = configs.size();
  // A large import holds each column as one array (bounded memory, nb101_space.h); a small one
  // (a few cells) would allocate 6.8 MB per column for nothing, so it keeps rows.
  const bool dense = configs.size() / kNb101Fidelities.size() >= kNb101NumCells / 16;
  auto declare = [&](const ColumnKey& key, std::uint16_t epochs, std::uint8_t flags) {
    if (writer.has_column(key)) return;
    if (dense) {
      writer.add_dense_column(key, epochs, flags);
    } else {
      writer.add_column(key, epochs, flags);
    }
  };
  declare(nb101_params_column(), 1, 0);
  std::vector<double> params_of_cell(cells.size(), kNaN);

  SqliteStatement stats(db, "SELECT id, config_id, train_acc, valid_acc, test_acc, parameters, training_time FROM nb101trialstats ORDER BY id");
  SqliteStatement intermediates(db,
                                "SELECT id, trial_id, current_epoch, train_acc, valid_acc, test_acc, training_time FROM "
                                "nb101intermediatestats ORDER BY trial_id, id");
  const Row stats_row(stats, db.path(), "nb101trialstats");
  const Row inter_row(intermediates, db.path(), "nb101intermediatestats");
  bool have_intermediate = intermediates.step();
  auto orphan = [&] {
    inter_row.fail("trial_id " + std::to_string(intermediates.integer(1)) + " is not a row of nb101trialstats");
  };
  while (stats.step()) {
    const std::int64_t trial_id = stats_row.id();
    const std::int64_t config_id = stats_row.integer(1, "config_id");
    Nb101Config* config = find_config(configs, config_id);
    if (config == nullptr) stats_row.fail("config_id " + std::to_string(config_id) + " is not a row of nb101trialconfig");
    if (config->trials == kNb101NumRepeats) stats_row.fail("a fourth trial of config " + std::to_string(config_id) + " (NAS-Bench-101 has 3 repeats)");
    const int repeat = ++config->trials;  // trial id order = file order = repeats 1, 2, 3
    const int hp = kNb101Fidelities[config->fidelity];
    const std::array<double, 3> final_acc{stats_row.accuracy(2, "train_acc", false), stats_row.accuracy(3, "valid_acc", false),
                                          stats_row.accuracy(4, "test_acc", false)};
    const double params = stats_row.nonnegative(5, "parameters", false);
    const double stats_time = stats_row.nonnegative(6, "training_time", false);
    double& known_params = params_of_cell[config->cell];
    if (std::isnan(known_params)) {
      const std::uint64_t exact = nb101_network_cost(cells.spec(config->cell)).params;
      if (std::llround(params * 1e6) != static_cast<long long>(exact)) {
        stats_row.fail("parameters = " + format_number(params) + " M, but its cell has " + std::to_string(exact) + " trainable parameters");
      }
      known_params = params;
      writer.set(nb101_params_column(), config->cell, 0, params);
    } else if (params != known_params) {
      stats_row.fail("parameters = " + format_number(params) + ", another trial of its cell has " + format_number(known_params));
    }
    const std::array<ColumnKey, 4> keys{nb101_accuracy_column(EvalSet::Train, hp, repeat), nb101_accuracy_column(EvalSet::XValid, hp, repeat),
                                        nb101_accuracy_column(EvalSet::OriTest, hp, repeat), nb101_time_column(hp, repeat)};
    for (std::size_t k = 0; k < 4; ++k) declare(keys[k], 2, k < 3 ? kNb101AccuracyFlags : kNb101TimeFlags);
    for (std::size_t k = 0; k < 3; ++k) writer.set(keys[k], config->cell, kNb101FinalSlot, final_acc[k]);
    double final_time = divide_exactly(stats_time, kNb101StatsTimeFactor);
    ++report.trials;
    progress.tick();

    while (have_intermediate && intermediates.integer(1) < trial_id) orphan();
    bool seen[2] = {false, false};
    for (; have_intermediate && intermediates.integer(1) == trial_id; have_intermediate = intermediates.step()) {
      const std::int64_t epoch = inter_row.integer(2, "current_epoch");
      if (epoch != hp / 2 && epoch != hp) {
        inter_row.fail("current_epoch " + std::to_string(epoch) + " is neither the halfway (" + std::to_string(hp / 2) + ") nor the last epoch of its " + std::to_string(hp) + "-epoch run");
      }
      const int slot = epoch == hp ? kNb101FinalSlot : kNb101HalfwaySlot;
      if (seen[slot]) inter_row.fail("a second row of trial " + std::to_string(trial_id) + " at epoch " + std::to_string(epoch));
      seen[slot] = true;
      const std::array<double, 3> acc{inter_row.accuracy(3, "train_acc", false), inter_row.accuracy(4, "valid_acc", false),
                                      inter_row.accuracy(5, "test_acc", false)};
      const double seconds = inter_row.nonnegative(6, "training_time", false);
      if (slot == kNb101FinalSlot) {
        if (acc != final_acc) inter_row.fail("its final accuracies differ from those of trial " + std::to_string(trial_id) + " in nb101trialstats");
        if (seconds * kNb101StatsTimeFactor != stats_time) {
          inter_row.fail("training_time " + format_number(seconds) + " s x 60 is not the " + format_number(stats_time) +
                         " of trial " + std::to_string(trial_id) + " in nb101trialstats");
        }
        final_time = seconds;
      } else {
        for (std::size_t k = 0; k < 3; ++k) writer.set(keys[k], config->cell, kNb101HalfwaySlot, acc[k]);
        writer.set(keys[3], config->cell, kNb101HalfwaySlot, seconds);
      }
      ++report.intermediates;
      progress.tick();
    }
    writer.set(keys[3], config->cell, kNb101FinalSlot, final_time);
  }
  if (have_intermediate) orphan();
}

}  // namespace

NniReport import_nni(const std::string& src_db, const std::string& out_store, const NniProgress& progress) {
  require_writable_location(out_store, "output store");  // before the work, not after it
  check_sqlite_file(src_db);
  const SqliteDatabase db(src_db, SqliteDatabase::Mode::ReadOnly);
  NniReport report;
  report.benchmark = detect_benchmark(db);
  RowProgress rows{progress};
  for (const std::string& table : nni::table_names(report.benchmark)) rows.total += count_rows(db, table);

  const bool nb101 = report.benchmark == NniBenchmark::Nb101;
  StoreWriter writer(nb101 ? Space::Nb101 : Space::Topology, "");
  if (nb101) {
    import_nb101(db, writer, rows, report);
  } else {
    import_nb201(db, writer, rows, report);
  }
  rows.finish();

  std::uint64_t bytes = 0;
  const std::string checksum = file_checksum(src_db, bytes);
  const std::string source = "NNI's benchmark database " + std::filesystem::path(src_db).filename().string() + " (" + std::to_string(bytes) +
                             " bytes, XXH3-64 " + checksum + "; microsoft/nni nni/nas/benchmark schema): " + std::to_string(report.configs) +
                             " configs, " + std::to_string(report.trials) + " trials, " + std::to_string(report.intermediates) +
                             " intermediate rows. ";
  writer.set_description(
      nb101 ? "NAS-Bench-101 (CIFAR-10) imported from " + source +
                  "Per cell, schedule and repeat (trial ids 1-3 in NNI's trial id order = the official file order): train, "
                  "validation and test accuracy (percent) and training time (cumulative seconds; NNI's trial-stats time / 60) "
                  "halfway and final, and params (millions)."
            : "NATS-Bench tss (NAS-Bench-201) imported from " + source +
                  "Per trial (dataset key, schedule, seed): accuracies and losses of every epoch NNI keeps (its valid/test/ori_test "
                  "mapped back to x-valid/x-test/ori-test per dataset key), params, FLOPs, latency, and times at the last epoch "
                  "only (training time per epoch = training_time / epochs; NNI keeps no per-epoch times).");
  writer.write(out_store);
  return report;
}

}  // namespace nas::bench

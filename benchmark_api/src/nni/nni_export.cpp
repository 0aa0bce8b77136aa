// A store as NNI's benchmark database (see nni_database.h).

#include <algorithm>
#include <array>
#include <cmath>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"
#include "nas/benchmark_api/nb101/nb101_cells.h"
#include "nas/benchmark_api/nb101/nb101_space.h"
#include "nas/benchmark_api/nni_database.h"
#include "nni/sqlite_db.h"

namespace nas::bench {
namespace {

using nni::SqliteDatabase;
using nni::SqliteStatement;

constexpr std::array<int, 2> kNb201Epochs{12, 200};
/// NNI's NB201 networks: C = 16 channels, N = 5 cells per stage (the topology space's only ones).
constexpr int kNb201Channels = 16;
constexpr int kNb201Cells = 5;
/// nb101trialstats.training_time = final_training_time x 60 (db_gen's bug, kept; reference §3.3).
constexpr double kNb101StatsTimeFactor = 60;

/// A new database with `benchmark`'s tables, in one open transaction.
void begin_database(SqliteDatabase& db, NniBenchmark benchmark) {
  // No journal file beside the output (an aborted export deletes the whole file anyway) and no
  // syncs per page: AtomicFile::commit flushes once at the end.
  db.execute("PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF; BEGIN");
  for (const std::string& statement : nni_schema_statements(benchmark)) db.execute(statement);
}

std::string store_name(const Benchmark& benchmark) { return benchmark.store().path(); }

// ---- NB201 (tss) ---------------------------------------------------------------------------------

/// The columns of one (dataset key, hp, seed) trial, as nats_importer.cpp writes them; null where
/// the store has none (or only an estimated one: NNI records measurements).
struct Nb201TrialColumns {
  const Column* train_accuracy = nullptr;
  const Column* train_loss = nullptr;
  const Column* train_time = nullptr;
  const Column* params = nullptr;
  const Column* flops = nullptr;
  const Column* latency = nullptr;
  // valid, test, ori_test (nni_nb201_sets)
  std::array<const Column*, 3> accuracy{}, loss{}, eval_time{};
  std::array<EvalSet, 3> sets{};

  std::vector<const Column*> all() const {
    std::vector<const Column*> columns{train_accuracy, train_loss, train_time, params, flops, latency};
    for (int i = 0; i < 3; ++i) columns.insert(columns.end(), {accuracy[i], loss[i], eval_time[i]});
    columns.erase(std::remove(columns.begin(), columns.end(), nullptr), columns.end());
    return columns;
  }
};

Nb201TrialColumns trial_columns(const Store& store, Dataset dataset, int hp, std::int32_t seed) {
  const auto h = static_cast<std::uint16_t>(hp);
  auto find = [&](EvalSet set, Quantity quantity) -> const Column* {
    const Column* column = store.find({dataset, set, quantity, h, seed});
    return column != nullptr && !column->estimated() ? column : nullptr;
  };
  Nb201TrialColumns c;
  c.train_accuracy = find(EvalSet::Train, Quantity::Accuracy);
  c.train_loss = find(EvalSet::Train, Quantity::Loss);
  c.train_time = find(EvalSet::Train, Quantity::Time);
  c.params = find(EvalSet::Train, Quantity::Params);
  c.flops = find(EvalSet::Train, Quantity::Flops);
  c.latency = find(EvalSet::Train, Quantity::Latency);
  const NniNb201Sets sets = nni_nb201_sets(dataset);
  c.sets = {sets.valid, sets.test, sets.ori_test};
  for (int i = 0; i < 3; ++i) {
    c.accuracy[i] = find(c.sets[i], Quantity::Accuracy);
    c.loss[i] = find(c.sets[i], Quantity::Loss);
    c.eval_time[i] = find(c.sets[i], Quantity::Time);
  }
  return c;
}

double value_or_nan(const Column* column, std::uint32_t arch, int epoch = -1) {
  return column != nullptr ? column->value(arch, epoch) : std::nan("");
}

/// True if the arch has any value in any of the trial's columns (at any stored epoch).
bool trial_exists(const Nb201TrialColumns& columns, std::uint32_t arch, int hp) {
  const std::vector<const Column*> all = columns.all();
  for (const Column* column : all) {
    if (!std::isnan(column->value(arch))) return true;
  }
  for (const Column* column : all) {
    if (!column->has_curve()) continue;
    for (int epoch = 0; epoch < hp; ++epoch) {
      if (!std::isnan(column->value(arch, epoch))) return true;
    }
  }
  return false;
}

/// What NNI's NOT NULL stats columns need that the trial lacks ("" if nothing).
std::string missing_nb201_values(const Nb201TrialColumns& c, std::uint32_t arch) {
  static const char* const kRoles[] = {"valid", "test", "ori_test"};
  std::vector<std::string> missing;
  auto need = [&](const Column* column, const std::string& what) {
    if (std::isnan(value_or_nan(column, arch))) missing.push_back(what);
  };
  need(c.train_accuracy, "train accuracy (train_acc)");
  for (int i = 0; i < 3; ++i) {
    const std::string set(eval_set_name(c.sets[static_cast<std::size_t>(i)]));
    need(c.accuracy[static_cast<std::size_t>(i)], set + " accuracy (" + kRoles[i] + "_acc)");
  }
  need(c.params, "params (parameters)");
  need(c.latency, "latency");
  need(c.flops, "FLOPs (flops)");
  need(c.train_time, "recorded training time (training_time)");
  for (int i = 0; i < 3; ++i) {
    const std::string set(eval_set_name(c.sets[static_cast<std::size_t>(i)]));
    need(c.eval_time[static_cast<std::size_t>(i)], set + " evaluation time (" + kRoles[i] + "_evaluation_time)");
  }
  std::string text;
  for (std::size_t i = 0; i < missing.size(); ++i) text += (i == 0 ? "" : ", ") + missing[i];
  return text;
}

struct Nb201Writer {
  SqliteStatement config, stats, intermediate;
  explicit Nb201Writer(const SqliteDatabase& db)
      : config(db, "INSERT INTO nb201trialconfig (id, arch, num_epochs, num_channels, num_cells, dataset) VALUES (?, ?, ?, ?, ?, ?)"),
        stats(db,
              "INSERT INTO nb201trialstats (id, config_id, seed, train_acc, valid_acc, test_acc, ori_test_acc, train_loss, "
              "valid_loss, test_loss, ori_test_loss, parameters, latency, flops, training_time, valid_evaluation_time, "
              "test_evaluation_time, ori_test_evaluation_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        intermediate(db,
                     "INSERT INTO nb201intermediatestats (id, trial_id, current_epoch, train_acc, valid_acc, test_acc, "
                     "ori_test_acc, train_loss, valid_loss, test_loss, ori_test_loss) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)") {}
};

std::int64_t nb201_config_id(std::uint32_t arch, int epochs_position, int dataset_position) {
  return 1 + 8 * static_cast<std::int64_t>(arch) + 4 * epochs_position + dataset_position;
}

void write_nb201_trial(Nb201Writer& w, const Nb201TrialColumns& c, std::uint32_t arch, int hp, std::int32_t seed,
                       std::int64_t config_id, NniReport& report) {
  const std::int64_t trial_id = static_cast<std::int64_t>(++report.trials);
  w.stats.bind(1, trial_id);
  w.stats.bind(2, config_id);
  w.stats.bind(3, static_cast<std::int64_t>(seed));
  w.stats.bind(4, value_or_nan(c.train_accuracy, arch));
  for (int i = 0; i < 3; ++i) w.stats.bind(5 + i, value_or_nan(c.accuracy[static_cast<std::size_t>(i)], arch));
  w.stats.bind(8, value_or_nan(c.train_loss, arch));
  for (int i = 0; i < 3; ++i) w.stats.bind(9 + i, value_or_nan(c.loss[static_cast<std::size_t>(i)], arch));
  w.stats.bind(12, value_or_nan(c.params, arch));
  w.stats.bind(13, value_or_nan(c.latency, arch));
  w.stats.bind(14, value_or_nan(c.flops, arch));
  w.stats.bind(15, value_or_nan(c.train_time, arch) * hp);  // NNI: train_times[last epoch] x epochs
  for (int i = 0; i < 3; ++i) w.stats.bind(16 + i, value_or_nan(c.eval_time[static_cast<std::size_t>(i)], arch));
  w.stats.execute();

  for (int epoch = 0; epoch < hp; ++epoch) {
    std::array<double, 8> values{value_or_nan(c.train_accuracy, arch, epoch), 0, 0, 0, value_or_nan(c.train_loss, arch, epoch)};
    for (std::size_t i = 0; i < 3; ++i) {
      values[1 + i] = value_or_nan(c.accuracy[i], arch, epoch);
      values[5 + i] = value_or_nan(c.loss[i], arch, epoch);
    }
    if (std::all_of(values.begin(), values.end(), [](double v) { return std::isnan(v); })) continue;  // NNI skips it too
    w.intermediate.bind(1, static_cast<std::int64_t>(++report.intermediates));
    w.intermediate.bind(2, trial_id);
    w.intermediate.bind(3, static_cast<std::int64_t>(epoch + 1));
    for (int i = 0; i < 8; ++i) w.intermediate.bind(4 + i, values[static_cast<std::size_t>(i)]);
    w.intermediate.execute();
  }
}

void export_nb201(const Benchmark& benchmark, SqliteDatabase& db, const NniProgress& progress, NniReport& report) {
  const Store& store = benchmark.store();
  Nb201Writer w(db);
  std::vector<std::string> dataset_names;
  for (Dataset dataset : kAllDatasets) dataset_names.push_back(nni_nb201_dataset_name(dataset));
  for (std::uint32_t arch = 0; arch < kTssNumArchs; ++arch) {
    const std::string arch_text = nni_nb201_arch_text(tss_arch_at(arch));
    for (int e = 0; e < 2; ++e) {
      for (int d = 0; d < kNumDatasets; ++d) {
        w.config.bind(1, nb201_config_id(arch, e, d));
        w.config.bind(2, arch_text);
        w.config.bind(3, std::int64_t{kNb201Epochs[static_cast<std::size_t>(e)]});
        w.config.bind(4, std::int64_t{kNb201Channels});
        w.config.bind(5, std::int64_t{kNb201Cells});
        w.config.bind(6, dataset_names[static_cast<std::size_t>(d)]);
        w.config.execute();
        ++report.configs;
      }
    }
  }

  // The trials of every (epochs, dataset key, seed) the store has, with their columns found once.
  struct Group {
    int epochs_position, dataset_position, hp;
    Dataset dataset;
    std::int32_t seed;
    Nb201TrialColumns columns;
  };
  std::vector<Group> groups;
  for (int e = 0; e < 2; ++e) {
    for (int d = 0; d < kNumDatasets; ++d) {
      const Dataset dataset = kAllDatasets[static_cast<std::size_t>(d)];
      const int hp = kNb201Epochs[static_cast<std::size_t>(e)];
      for (std::int32_t seed : store.seeds(dataset, hp)) groups.push_back({e, d, hp, dataset, seed, trial_columns(store, dataset, hp, seed)});
    }
  }
  for (std::uint32_t arch = 0; arch < kTssNumArchs; ++arch) {
    for (const Group& g : groups) {  // config order, seeds ascending within a config
      if (!trial_exists(g.columns, arch, g.hp)) continue;
      const std::string missing = missing_nb201_values(g.columns, arch);
      if (!missing.empty()) {
        throw Error(store_name(benchmark) + ": the trial of arch " + std::to_string(arch) + " on " +
                    std::string(dataset_name(g.dataset)) + " at " + std::to_string(g.hp) + " epochs, " +
                    (g.seed == kUnrecordedSeed ? std::string("seed unrecorded") : "seed " + std::to_string(g.seed)) +
                    ", has no " + missing +
                    ", which NNI's nb201trialstats requires (NOT NULL); export a store imported from the official "
                    "NATS-Bench files (nas bench import nats), which records them");
      }
      write_nb201_trial(w, g.columns, arch, g.hp, g.seed, nb201_config_id(arch, g.epochs_position, g.dataset_position), report);
    }
    if (progress) progress(arch + 1, kTssNumArchs);
  }
}

// ---- NB101 ---------------------------------------------------------------------------------------

/// The nb101_space.h columns of one (schedule, repeat): train, valid, test accuracy and time.
struct Nb101RunColumns {
  const Column* train = nullptr;
  const Column* valid = nullptr;
  const Column* test = nullptr;
  const Column* time = nullptr;
};

/// What a store of the nb101 layout must hold for NNI's tables, said once for every refusal.
const char* const kNb101Needs =
    "NNI's nb101 tables need, for every cell, the train, validation and test accuracy and the training time of "
    "repeats 1, 2 and 3 (trial ids) at 4, 12, 36 and 108 epochs, halfway and final, and params, with no NULLs; "
    "import the official nasbench_full.tfrecord for that";

std::string describe_nb101_value(const ColumnKey& key, bool halfway) {
  const std::string what = key.quantity == Quantity::Time                 ? "training time"
                           : key.set == EvalSet::Train                    ? "train accuracy"
                           : key.set == EvalSet::XValid                   ? "validation accuracy"
                                                                          : "test accuracy";
  return std::string(halfway ? "halfway " : "final ") + what + " of repeat " + std::to_string(key.seed) + " at " +
         std::to_string(key.hp) + " epochs";
}

void export_nb101(const Benchmark& benchmark, SqliteDatabase& db, const NniProgress& progress, NniReport& report) {
  const Store& store = benchmark.store();
  const std::string name = store_name(benchmark);
  // The layout's columns, and nothing else: a repeat of unknown position (the shipped partial
  // store's trial id 0) has no place in NNI's tables.
  for (const Column& column : store.columns()) {
    if (column.key().seed == kNb101UnknownRepeat) {
      throw Error(name + ": the store holds one repeat of unknown position (trial id 0; " +
                  std::string(column.key().describe()) + ") and lacks the others: this is the partial nasbench-vis store. " +
                  kNb101Needs);
    }
  }
  const Column* params = store.find(nb101_params_column());
  std::array<std::array<Nb101RunColumns, kNb101NumRepeats>, kNb101Fidelities.size()> runs{};
  std::vector<const Column*> all{params};
  for (std::size_t f = 0; f < kNb101Fidelities.size(); ++f) {
    for (int r = 0; r < kNb101NumRepeats; ++r) {
      Nb101RunColumns& run = runs[f][static_cast<std::size_t>(r)];
      run.train = store.find(nb101_accuracy_column(EvalSet::Train, kNb101Fidelities[f], r + 1));
      run.valid = store.find(nb101_accuracy_column(EvalSet::XValid, kNb101Fidelities[f], r + 1));
      run.test = store.find(nb101_accuracy_column(EvalSet::OriTest, kNb101Fidelities[f], r + 1));
      run.time = store.find(nb101_time_column(kNb101Fidelities[f], r + 1));
      all.insert(all.end(), {run.train, run.valid, run.test, run.time});
    }
  }
  all.erase(std::remove(all.begin(), all.end(), nullptr), all.end());

  // The cells with any data, in ascending hash order (the official file's, which db_gen iterates).
  const Nb101Cells& cells = Nb101Cells::get();
  std::vector<bool> has_data(benchmark.size(), false);
  for (const Column* column : all) {
    for (std::uint32_t cell = 0; cell < benchmark.size(); ++cell) {
      if (!has_data[cell] && (!std::isnan(column->value(cell)) ||
                              (column->halfway_and_last() && !std::isnan(column->value(cell, column->key().hp / 2 - 1))))) {
        has_data[cell] = true;
      }
    }
  }
  std::vector<std::uint32_t> order;
  for (std::uint32_t cell = 0; cell < benchmark.size(); ++cell) {
    if (has_data[cell]) order.push_back(cell);
  }
  if (order.empty()) throw Error(name + ": the store holds no cell's values. " + kNb101Needs);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return cells.hash(a) < cells.hash(b); });

  SqliteStatement config(db, "INSERT INTO nb101trialconfig (id, arch, num_vertices, hash, num_epochs) VALUES (?, ?, ?, ?, ?)");
  SqliteStatement stats(db,
                        "INSERT INTO nb101trialstats (id, config_id, train_acc, valid_acc, test_acc, parameters, training_time) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)");
  SqliteStatement intermediate(db,
                               "INSERT INTO nb101intermediatestats (id, trial_id, current_epoch, train_acc, valid_acc, test_acc, "
                               "training_time) VALUES (?, ?, ?, ?, ?, ?, ?)");
  for (std::size_t position = 0; position < order.size(); ++position) {
    const std::uint32_t cell = order[position];
    const std::string where = name + ": cell " + cells.hash(cell).hex() + " (index " + std::to_string(cell) + ")";
    const double params_m = params != nullptr ? params->value(cell) : std::nan("");
    if (std::isnan(params_m)) throw Error(where + " has no params. " + kNb101Needs);
    const std::string arch = nni_nb101_arch_text(cells.spec(cell));
    for (std::size_t f = 0; f < kNb101Fidelities.size(); ++f) {
      const int hp = kNb101Fidelities[f];
      const auto config_id = static_cast<std::int64_t>(1 + 4 * position + f);
      config.bind(1, config_id);
      config.bind(2, arch);
      config.bind(3, std::int64_t{cells.spec(cell).num_vertices()});
      config.bind(4, cells.hash(cell).hex());
      config.bind(5, std::int64_t{hp});
      config.execute();
      ++report.configs;
      for (int r = 0; r < kNb101NumRepeats; ++r) {
        const Nb101RunColumns& run = runs[f][static_cast<std::size_t>(r)];
        const ColumnKey keys[] = {nb101_accuracy_column(EvalSet::Train, hp, r + 1), nb101_accuracy_column(EvalSet::XValid, hp, r + 1),
                                  nb101_accuracy_column(EvalSet::OriTest, hp, r + 1), nb101_time_column(hp, r + 1)};
        const Column* columns[] = {run.train, run.valid, run.test, run.time};
        std::array<std::array<double, 4>, 2> values{};  // [halfway, final][train, valid, test, time]
        for (int slot = 0; slot < 2; ++slot) {
          for (int k = 0; k < 4; ++k) {
            const double v = columns[k] != nullptr ? columns[k]->value(cell, slot == 0 ? hp / 2 - 1 : -1) : std::nan("");
            if (std::isnan(v)) throw Error(where + " has no " + describe_nb101_value(keys[k], slot == 0) + ". " + kNb101Needs);
            values[static_cast<std::size_t>(slot)][static_cast<std::size_t>(k)] = v;
          }
        }
        const std::int64_t trial_id = 3 * (config_id - 1) + r + 1;
        stats.bind(1, trial_id);
        stats.bind(2, config_id);
        for (int k = 0; k < 3; ++k) stats.bind(3 + k, values[1][static_cast<std::size_t>(k)]);
        stats.bind(6, params_m);
        stats.bind(7, values[1][3] * kNb101StatsTimeFactor);
        stats.execute();
        ++report.trials;
        for (int slot = 0; slot < 2; ++slot) {
          intermediate.bind(1, 2 * (trial_id - 1) + slot + 1);
          intermediate.bind(2, trial_id);
          intermediate.bind(3, std::int64_t{slot == 0 ? hp / 2 : hp});
          for (int k = 0; k < 4; ++k) intermediate.bind(4 + k, values[static_cast<std::size_t>(slot)][static_cast<std::size_t>(k)]);
          intermediate.execute();
          ++report.intermediates;
        }
      }
    }
    if (progress && ((position + 1) % 1024 == 0 || position + 1 == order.size())) progress(position + 1, order.size());
  }
}

}  // namespace

NniReport export_nni(const Benchmark& benchmark, const std::string& out_db, const NniProgress& progress) {
  NniReport report;
  if (benchmark.space() == Space::Topology) {
    report.benchmark = NniBenchmark::Nb201;
  } else if (benchmark.space() == Space::Nb101) {
    report.benchmark = NniBenchmark::Nb101;
  } else {
    throw Error("NNI has benchmark databases of NAS-Bench-101 (space nb101) and NAS-Bench-201 (space tss), not of space " +
                std::string(space_name(benchmark.space())));
  }
  // The database is built in a temporary beside out_db and renamed onto it when complete, so a
  // failure leaves nothing and an existing file stays as it was until then.
  AtomicFile file(out_db, "output database");
  {
    SqliteDatabase db(file.temporary_path(), SqliteDatabase::Mode::Create);
    begin_database(db, report.benchmark);
    if (report.benchmark == NniBenchmark::Nb201) {
      export_nb201(benchmark, db, progress, report);
    } else {
      export_nb101(benchmark, db, progress, report);
    }
    db.execute("COMMIT");
    db.close();
  }
  file.commit();
  return report;
}

}  // namespace nas::bench

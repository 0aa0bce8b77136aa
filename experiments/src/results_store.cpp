// The SQLite results store of an experiment.
#include "results_store.h"

#include <cstring>
#include <filesystem>
#include <set>
#include <utility>
#include <nlohmann/json.hpp>

#include "nas/benchmark_api/error.h"

namespace nas::experiments {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS experiment (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY,
  algorithm TEXT NOT NULL, family TEXT NOT NULL, space TEXT NOT NULL, dataset TEXT NOT NULL, seed INTEGER NOT NULL,
  arch_index INTEGER NOT NULL, arch TEXT NOT NULL,
  search_valid_accuracy REAL, valid_accuracy REAL, valid_hp INTEGER,
  test_accuracy REAL, test_hp INTEGER,
  queries INTEGER NOT NULL, simulated_seconds REAL NOT NULL,
  budget_seconds REAL NOT NULL, budget_queries INTEGER NOT NULL,
  wall_seconds REAL NOT NULL, notes TEXT NOT NULL,
  device TEXT NOT NULL DEFAULT '', search_wall_seconds REAL NOT NULL DEFAULT 0,
  torch_threads INTEGER NOT NULL DEFAULT 0,
  UNIQUE(algorithm, space, dataset, seed));
CREATE TABLE IF NOT EXISTS epochs (
  algorithm TEXT NOT NULL, space TEXT NOT NULL, dataset TEXT NOT NULL, seed INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  train_loss REAL, train_accuracy REAL, arch_loss REAL, arch_accuracy REAL, valid_accuracy REAL,
  derived_arch INTEGER NOT NULL, tau REAL, seconds REAL, arch_probabilities TEXT NOT NULL,
  PRIMARY KEY (algorithm, space, dataset, seed, epoch));
CREATE TABLE IF NOT EXISTS trajectory (
  run_id INTEGER NOT NULL, step INTEGER NOT NULL, simulated_seconds REAL NOT NULL,
  incumbent INTEGER NOT NULL, incumbent_valid_accuracy REAL NOT NULL,
  PRIMARY KEY (run_id, step)) WITHOUT ROWID;
)sql";

/// The family of a run in a schema-2 store, which did not record it: what each family writes
/// (weight-sharing runs log epochs, query-based ones never do).
constexpr const char* kDerivedFamily =
    "(CASE WHEN EXISTS (SELECT 1 FROM epochs e WHERE e.algorithm = runs.algorithm AND e.space = runs.space"
    " AND e.dataset = runs.dataset AND e.seed = runs.seed) THEN 'weight-sharing' ELSE 'query-based' END)";

/// SQLite's message, with the operating system's cause where there is one ("disk I/O error" alone
/// does not say that the disk is full).
std::string sqlite_error(sqlite3* db) {
  std::string why = sqlite3_errmsg(db);
  const int extended = sqlite3_extended_errcode(db);
  const int code = extended & 0xff;
  const int system = sqlite3_system_errno(db);
  if ((code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN) && system != 0) {
    why += std::string(" (") + std::strerror(system) + ")";
  } else if (code == SQLITE_FULL || extended == SQLITE_IOERR_WRITE) {
    why += " (a write failed: the disk is full or a file-size limit was reached)";
  }
  return why;
}

/// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
      throw Error(std::string("results store: ") + sqlite_error(db));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, std::int64_t v) { return check(sqlite3_bind_int64(stmt_, i, v)); }
  Statement& bind(int i, double v) { return check(sqlite3_bind_double(stmt_, i, v)); }
  Statement& bind(int i, const std::string& v) {
    return check(sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  Statement& bind(int i, const std::optional<double>& v) {
    return v ? bind(i, *v) : check(sqlite3_bind_null(stmt_, i));
  }
  /// Steps once; true while a row is available.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Error(std::string("results store: ") + sqlite_error(db_));
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  double real(int column) const { return sqlite3_column_double(stmt_, column); }
  std::optional<double> optional_real(int column) const {
    if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
    return real(column);
  }
  std::string text(int column) const {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
  }

 private:
  Statement& check(int rc) {
    if (rc != SQLITE_OK) throw Error(std::string("results store: ") + sqlite_error(db_));
    return *this;
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

sqlite3* open_database(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    const std::string why = db != nullptr ? sqlite_error(db) : "out of memory";
    sqlite3_close(db);
    throw Error("cannot open results store " + path + ": " + why);
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

}  // namespace

ResultsStore ResultsStore::open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error("cannot create results directory " + dir + ": " + ec.message());
  const std::string path = dir + "/results.sqlite";
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
    throw Error(path + " is not a regular file, so it cannot be a results store");
  }
  ResultsStore store(open_database(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE), path);
  // Both checks only read: a foreign or older file is refused before anything is written into it.
  store.refuse_foreign_database();
  store.refuse_old_schema();
  // WAL: a committed run survives the process being killed; readers never block the writer.
  store.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  store.exec(kSchema);
  store.migrate_schema_2();
  return store;
}

bool ResultsStore::has_column(const std::string& table, const std::string& column) const {
  Statement columns(db_, "PRAGMA table_info(" + table + ")");
  while (columns.step()) {
    if (columns.text(1) == column) return true;
  }
  return false;
}

void ResultsStore::migrate_schema_2() {
  if (has_column("runs", "family") && has_column("runs", "torch_threads")) return;
  in_transaction([&] {
    if (!has_column("runs", "torch_threads")) exec("ALTER TABLE runs ADD COLUMN torch_threads INTEGER NOT NULL DEFAULT 0");
    if (!has_column("runs", "family")) {
      exec("ALTER TABLE runs ADD COLUMN family TEXT NOT NULL DEFAULT ''");
      exec(std::string("UPDATE runs SET family = ") + kDerivedFamily);
    }
    exec("UPDATE experiment SET value = '3' WHERE key = 'schema_version'");
  });
}

void ResultsStore::refuse_foreign_database() const {
  // Reading the schema is where SQLite notices a file that is not a database at all.
  std::set<std::string> tables;
  try {
    Statement select(db_, "SELECT name FROM sqlite_master WHERE type = 'table'");
    while (select.step()) tables.insert(select.text(0));
  } catch (const Error& e) {
    throw Error(path_ + " is not a nas results store (" + std::string(e.what()).substr(std::string("results store: ").size()) +
                "); choose another --out directory");
  }
  static const std::set<std::string> ours{"experiment", "runs", "epochs", "trajectory"};
  std::string others;
  for (const std::string& table : tables) {
    if (ours.count(table) == 0) others += (others.empty() ? "" : ", ") + table;
  }
  bool foreign = !others.empty();
  if (!foreign && tables.count("experiment") != 0) {
    Statement count(db_, "SELECT count(*), count(CASE WHEN key = 'schema_version' THEN 1 END) FROM experiment");
    count.step();
    foreign = count.integer(0) > 0 && count.integer(1) == 0;  // metadata, but not ours
  }
  if (foreign) {
    throw Error(path_ + " is a SQLite database of something else" + (others.empty() ? "" : " (tables: " + others + ")") +
                ", not nas results; it is left untouched: choose another --out directory");
  }
}

void ResultsStore::rollback_quietly() noexcept {
  if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

ResultsStore ResultsStore::open_existing(const std::string& dir) {
  const std::string path = dir + "/results.sqlite";
  if (!std::filesystem::exists(path)) throw Error(dir + " holds no experiment results (no results.sqlite)");
  ResultsStore store(open_database(path, SQLITE_OPEN_READONLY), path);
  try {
    Statement check(store.db_, "SELECT count(*) FROM runs");
    check.step();
  } catch (const Error&) {
    throw Error(path + " is not a nas results store");
  }
  store.refuse_old_schema();
  return store;
}

void ResultsStore::refuse_old_schema() const {
  bool has_runs = false, has_space = false;
  Statement columns(db_, "PRAGMA table_info(runs)");
  while (columns.step()) {
    has_runs = true;
    has_space = has_space || columns.text(1) == "space";
  }
  if (has_runs && !has_space) {
    throw Error(path_ + " holds results of an older nas (results schema 1, runs without a search space); "
                "report it with that version, or rerun the experiment into a new --out directory");
  }
}

ResultsStore::ResultsStore(ResultsStore&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

ResultsStore::~ResultsStore() {
  if (db_ != nullptr) sqlite3_close(db_);
}

void ResultsStore::exec(const std::string& sql) const {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    sqlite3_free(message);
    const std::string why = sqlite_error(db_);
    throw Error("results store " + path_ + ": " + why);
  }
}

std::map<std::string, std::string> ResultsStore::metadata() const {
  std::map<std::string, std::string> values;
  Statement select(db_, "SELECT key, value FROM experiment");
  while (select.step()) values[select.text(0)] = select.text(1);
  return values;
}

void ResultsStore::set_metadata(const std::map<std::string, std::string>& values) {
  in_transaction([&] {
    Statement insert(db_, "INSERT OR REPLACE INTO experiment(key, value) VALUES (?, ?)");
    for (const auto& [key, value] : values) {
      insert.bind(1, key).bind(2, value);
      insert.step();
      insert.reset();
    }
  });
}

std::map<std::string, std::string> ResultsStore::claim(
    const std::map<std::string, std::string>& fresh,
    const std::function<void(const std::map<std::string, std::string>&)>& check) {
  std::map<std::string, std::string> in_effect;
  in_transaction([&] {
    in_effect = metadata();
    if (!in_effect.empty()) check(in_effect);
    Statement insert(db_, "INSERT OR IGNORE INTO experiment(key, value) VALUES (?, ?)");
    for (const auto& [key, value] : fresh) {
      if (in_effect.count(key) != 0) continue;
      insert.bind(1, key).bind(2, value);
      insert.step();
      insert.reset();
      in_effect[key] = value;
    }
  });
  return in_effect;
}

std::set<RunKey> ResultsStore::finished_runs() const {
  std::set<RunKey> done;
  Statement select(db_, "SELECT algorithm, space, dataset, seed FROM runs");
  while (select.step()) {
    done.insert({select.text(0), select.text(1), select.text(2), static_cast<std::uint64_t>(select.integer(3))});
  }
  return done;
}

void ResultsStore::add_run(const std::string& algorithm, const std::string& space, const std::string& dataset,
                           const RunOutcome& outcome, const algorithms::Budget& budget) {
  in_transaction([&] {
    Statement insert(db_,
                     "INSERT INTO runs(algorithm, family, space, dataset, seed, arch_index, arch, search_valid_accuracy,"
                     " valid_accuracy, valid_hp, test_accuracy, test_hp, queries, simulated_seconds, budget_seconds,"
                     " budget_queries, wall_seconds, notes, device, search_wall_seconds, torch_threads)"
                     " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    insert.bind(1, algorithm).bind(2, std::string(algorithms::family_name(outcome.family)));
    insert.bind(3, space).bind(4, dataset).bind(5, static_cast<std::int64_t>(outcome.seed));
    insert.bind(6, static_cast<std::int64_t>(outcome.index)).bind(7, outcome.arch);
    insert.bind(8, outcome.search_valid_accuracy).bind(9, outcome.valid_accuracy);
    insert.bind(10, static_cast<std::int64_t>(outcome.valid_hp)).bind(11, outcome.test_accuracy);
    insert.bind(12, static_cast<std::int64_t>(outcome.test_hp)).bind(13, outcome.queries);
    insert.bind(14, outcome.simulated_seconds).bind(15, budget.seconds).bind(16, budget.queries);
    insert.bind(17, outcome.wall_seconds).bind(18, nlohmann::json(outcome.notes).dump());
    insert.bind(19, outcome.device).bind(20, outcome.search_wall_seconds);
    insert.bind(21, static_cast<std::int64_t>(outcome.torch_threads));
    insert.step();
    const std::int64_t run_id = sqlite3_last_insert_rowid(db_);
    Statement point(db_, "INSERT INTO trajectory VALUES (?,?,?,?,?)");
    for (const auto& p : outcome.trajectory) {
      point.bind(1, run_id).bind(2, p.queries).bind(3, p.simulated_seconds);
      point.bind(4, static_cast<std::int64_t>(p.incumbent)).bind(5, p.incumbent_valid_accuracy);
      point.step();
      point.reset();
    }
  });
}

void ResultsStore::add_epoch(const RunKey& run, const algorithms::EpochRecord& r) {
  Statement insert(db_,
                   "INSERT OR REPLACE INTO epochs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  insert.bind(1, run.algorithm).bind(2, run.space).bind(3, run.dataset).bind(4, static_cast<std::int64_t>(run.seed));
  insert.bind(5, static_cast<std::int64_t>(r.epoch));
  insert.bind(6, r.train_loss).bind(7, r.train_accuracy).bind(8, r.arch_loss).bind(9, r.arch_accuracy);
  insert.bind(10, r.valid_accuracy).bind(11, static_cast<std::int64_t>(r.derived_arch)).bind(12, r.tau).bind(13, r.seconds);
  insert.bind(14, nlohmann::json(r.arch_probabilities).dump());
  insert.step();
}

std::vector<algorithms::EpochRecord> ResultsStore::epochs(const RunKey& run) const {
  Statement select(db_,
                   "SELECT epoch, train_loss, train_accuracy, arch_loss, arch_accuracy, valid_accuracy, derived_arch, tau,"
                   " seconds, arch_probabilities FROM epochs WHERE algorithm = ? AND space = ? AND dataset = ? AND seed = ?"
                   " ORDER BY epoch");
  select.bind(1, run.algorithm).bind(2, run.space).bind(3, run.dataset).bind(4, static_cast<std::int64_t>(run.seed));
  std::vector<algorithms::EpochRecord> out;
  while (select.step()) {
    algorithms::EpochRecord r;
    r.epoch = static_cast<int>(select.integer(0));
    r.train_loss = select.real(1);
    r.train_accuracy = select.real(2);
    r.arch_loss = select.real(3);
    r.arch_accuracy = select.real(4);
    r.valid_accuracy = select.real(5);
    r.derived_arch = static_cast<bench::ArchId>(select.integer(6));
    r.tau = select.real(7);
    r.seconds = select.real(8);
    r.arch_probabilities = nlohmann::json::parse(select.text(9)).get<std::vector<std::vector<double>>>();
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<ResultsStore::StoredRun> ResultsStore::runs(bool with_trajectories) const {
  std::vector<StoredRun> out;
  std::map<std::int64_t, std::size_t> position;
  // A schema-2 store opened read-only has neither column: derive them as migrate_schema_2 does.
  const std::string family = has_column("runs", "family") ? "family" : kDerivedFamily;
  const std::string threads = has_column("runs", "torch_threads") ? "torch_threads" : "0";
  Statement select(db_,
                   "SELECT id, algorithm, space, dataset, seed, arch_index, arch, search_valid_accuracy, valid_accuracy,"
                   " valid_hp, test_accuracy, test_hp, queries, simulated_seconds, budget_seconds, budget_queries,"
                   " wall_seconds, notes, device, search_wall_seconds, " + threads + ", " + family +
                   " FROM runs ORDER BY algorithm, space, dataset, seed");
  while (select.step()) {
    StoredRun run;
    run.id = select.integer(0);
    run.algorithm = select.text(1);
    run.space = select.text(2);
    run.dataset = select.text(3);
    RunOutcome& o = run.outcome;
    o.seed = static_cast<std::uint64_t>(select.integer(4));
    o.index = static_cast<bench::ArchId>(select.integer(5));
    o.arch = select.text(6);
    o.search_valid_accuracy = select.real(7);
    o.valid_accuracy = select.optional_real(8);
    o.valid_hp = static_cast<int>(select.integer(9));
    o.test_accuracy = select.optional_real(10);
    o.test_hp = static_cast<int>(select.integer(11));
    o.queries = select.integer(12);
    o.simulated_seconds = select.real(13);
    run.budget_seconds = select.real(14);
    run.budget_queries = select.integer(15);
    o.wall_seconds = select.real(16);
    o.notes = nlohmann::json::parse(select.text(17)).get<std::vector<std::string>>();
    o.device = select.text(18);
    o.search_wall_seconds = select.real(19);
    o.torch_threads = static_cast<int>(select.integer(20));
    o.family = algorithms::parse_family(select.text(21));
    position[run.id] = out.size();
    out.push_back(std::move(run));
  }
  if (with_trajectories) {
    Statement points(db_, "SELECT run_id, step, simulated_seconds, incumbent, incumbent_valid_accuracy FROM trajectory"
                          " ORDER BY run_id, step");
    while (points.step()) {
      const auto it = position.find(points.integer(0));
      if (it == position.end()) continue;
      algorithms::TrajectoryPoint p;
      p.queries = points.integer(1);
      p.simulated_seconds = points.real(2);
      p.incumbent = static_cast<bench::ArchId>(points.integer(3));
      p.incumbent_valid_accuracy = points.real(4);
      out[it->second].outcome.trajectory.push_back(p);
    }
  }
  return out;
}

}  // namespace nas::experiments

// The results store of an experiment: one SQLite file, DIR/results.sqlite, readable with any SQLite
// tool. Every finished run is written in one transaction, so a run is either fully there or absent:
// killing the runner at any moment (even kill -9) loses at most the runs in flight, and a resumed
// run computes exactly those again.
//
// Schema (version 3):
//   experiment(key TEXT PRIMARY KEY, value TEXT)
//       schema_version, config_hash, config (the resolved experiment YAML), nas_version,
//       spaces (comma-separated, the grid's order), and per space S: benchmark_path.S (absolute, or
//       "shipped"), benchmark_checksum.S (hex); created_at
//   runs(id INTEGER PRIMARY KEY, algorithm TEXT, family TEXT ("query-based" | "weight-sharing", from the
//        searcher's registry entry), space TEXT, dataset TEXT, seed INTEGER, arch_index INTEGER,
//        arch TEXT, search_valid_accuracy REAL, valid_accuracy REAL, valid_hp INTEGER,
//        test_accuracy REAL, test_hp INTEGER, queries INTEGER, simulated_seconds REAL,
//        budget_seconds REAL, budget_queries INTEGER, wall_seconds REAL, notes TEXT (JSON array),
//        device TEXT, search_wall_seconds REAL, torch_threads INTEGER (weight-sharing runs; 0 otherwise),
//        UNIQUE(algorithm, space, dataset, seed))
//   epochs(algorithm TEXT, space TEXT, dataset TEXT, seed INTEGER, epoch INTEGER, train_loss REAL,
//          train_accuracy REAL, arch_loss REAL, arch_accuracy REAL, valid_accuracy REAL,
//          derived_arch INTEGER, tau REAL, seconds REAL, arch_probabilities TEXT (JSON),
//          PRIMARY KEY(algorithm, space, dataset, seed, epoch))
//       weight-sharing searches: written at every epoch end, with the checkpoint
//   trajectory(run_id INTEGER, step INTEGER, simulated_seconds REAL, incumbent INTEGER,
//              incumbent_valid_accuracy REAL, PRIMARY KEY(run_id, step)) WITHOUT ROWID
//       one row per evaluation: the incumbent after it (step = number of evaluations so far)
// A store of schema 2 is migrated when opened for writing (tested): runs get torch_threads (0) and
// family, which is "weight-sharing" for the runs that logged epochs and "query-based" for the
// others (exactly what the two families write), and schema_version becomes 3. Opened read-only
// (nas report), a schema-2 store's family is derived the same way.
// A SQLite file that holds other tables, or an experiment table without schema_version, is not a
// nas results store and is refused before anything is written to it.
// `algorithm` is the experiment's label of the searcher (its name unless the config sets a label);
// `space` is "tss" or "sss". A store of schema 1 (runs without a space, written before grids could
// span both spaces) is refused with an error that says so: its rows cannot be keyed the new way.
#pragma once

#include <sqlite3.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "run.h"

namespace nas::experiments {

/// What identifies one run of an experiment.
struct RunKey {
  std::string algorithm, space, dataset;
  std::uint64_t seed = 0;
  friend bool operator<(const RunKey& a, const RunKey& b) {
    return std::tie(a.algorithm, a.space, a.dataset, a.seed) < std::tie(b.algorithm, b.space, b.dataset, b.seed);
  }
};

class ResultsStore {
 public:
  /// Opens (creating if needed) DIR/results.sqlite. Throws nas::Error on failure.
  static ResultsStore open(const std::string& dir);
  /// Opens an existing store read-only; throws nas::Error if DIR holds none.
  static ResultsStore open_existing(const std::string& dir);

  ResultsStore(ResultsStore&& other) noexcept;
  ResultsStore& operator=(ResultsStore&&) = delete;
  ~ResultsStore();

  /// The experiment metadata (empty for a new store).
  std::map<std::string, std::string> metadata() const;
  void set_metadata(const std::map<std::string, std::string>& values);
  /// Binds the store to an experiment in one write transaction: a new store gets `fresh` as its
  /// metadata; a store that has metadata is passed to `check` (which throws nas::Error to refuse
  /// it) and gets the keys of `fresh` it lacks. So two processes can never both bind one store
  /// to different configs. Returns the metadata in effect.
  std::map<std::string, std::string> claim(const std::map<std::string, std::string>& fresh,
                                           const std::function<void(const std::map<std::string, std::string>&)>& check);

  /// The key of every stored run.
  std::set<RunKey> finished_runs() const;

  /// Writes one finished run (its seed is outcome.seed) and its trajectory in a single transaction.
  void add_run(const std::string& algorithm, const std::string& space, const std::string& dataset,
               const RunOutcome& outcome, const algorithms::Budget& budget);

  /// Writes (or rewrites, after a resume) one epoch record of a weight-sharing search.
  void add_epoch(const RunKey& run, const algorithms::EpochRecord& record);
  /// The epoch records of one run, in epoch order.
  std::vector<algorithms::EpochRecord> epochs(const RunKey& run) const;

  struct StoredRun {
    std::int64_t id = 0;
    std::string algorithm, space, dataset;
    RunOutcome outcome;
    double budget_seconds = 0;
    std::int64_t budget_queries = 0;
  };
  /// Every run (trajectories included when `with_trajectories`), ordered by algorithm, space, dataset, seed.
  std::vector<StoredRun> runs(bool with_trajectories) const;

 private:
  explicit ResultsStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  void exec(const std::string& sql) const;
  /// Throws nas::Error if the file holds a runs table of an older schema (no space column).
  void refuse_old_schema() const;
  /// Throws nas::Error if the file is a SQLite database of something else than nas results.
  void refuse_foreign_database() const;
  bool has_column(const std::string& table, const std::string& column) const;
  /// Adds what schema 3 has and schema 2 lacks (see the top of this file); a no-op on schema 3.
  void migrate_schema_2();
  /// Runs `body` inside one write transaction: committed if it returns, rolled back if it throws.
  /// The error that ended it is the one reported (SQLite may already have rolled back, e.g. on a
  /// full disk, and a second ROLLBACK would only say "no transaction is active").
  template <typename Body>
  void in_transaction(Body&& body) {
    exec("BEGIN IMMEDIATE");
    try {
      body();
      exec("COMMIT");
    } catch (...) {
      rollback_quietly();
      throw;
    }
  }
  void rollback_quietly() noexcept;

  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace nas::experiments

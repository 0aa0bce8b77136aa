// The results store's schema: the family of every run, and the tested migration of a store that
// an earlier nas wrote (schema 2: runs without family and torch_threads).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "results_store.h"

namespace nas::experiments {
namespace {

namespace fs = std::filesystem;

class ResultsStoreSchema : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("nas_results_schema_" + std::to_string(::getpid()))).string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// A store as nas wrote it before schema 3: a weight-sharing run (it logged an epoch) and a
  /// query-based one.
  void write_schema_2_store() const {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/results.sqlite").c_str(), &db), SQLITE_OK);
    const char* sql = R"sql(
      CREATE TABLE experiment (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO experiment VALUES ('schema_version', '2'), ('spaces', 'tss');
      CREATE TABLE runs (id INTEGER PRIMARY KEY, algorithm TEXT NOT NULL, space TEXT NOT NULL, dataset TEXT NOT NULL,
        seed INTEGER NOT NULL, arch_index INTEGER NOT NULL, arch TEXT NOT NULL, search_valid_accuracy REAL,
        valid_accuracy REAL, valid_hp INTEGER, test_accuracy REAL, test_hp INTEGER, queries INTEGER NOT NULL,
        simulated_seconds REAL NOT NULL, budget_seconds REAL NOT NULL, budget_queries INTEGER NOT NULL,
        wall_seconds REAL NOT NULL, notes TEXT NOT NULL, device TEXT NOT NULL DEFAULT '',
        search_wall_seconds REAL NOT NULL DEFAULT 0, UNIQUE(algorithm, space, dataset, seed));
      CREATE TABLE epochs (algorithm TEXT NOT NULL, space TEXT NOT NULL, dataset TEXT NOT NULL, seed INTEGER NOT NULL,
        epoch INTEGER NOT NULL, train_loss REAL, train_accuracy REAL, arch_loss REAL, arch_accuracy REAL,
        valid_accuracy REAL, derived_arch INTEGER NOT NULL, tau REAL, seconds REAL, arch_probabilities TEXT NOT NULL,
        PRIMARY KEY (algorithm, space, dataset, seed, epoch));
      CREATE TABLE trajectory (run_id INTEGER NOT NULL, step INTEGER NOT NULL, simulated_seconds REAL NOT NULL,
        incumbent INTEGER NOT NULL, incumbent_valid_accuracy REAL NOT NULL, PRIMARY KEY (run_id, step)) WITHOUT ROWID;
      INSERT INTO runs VALUES (1, 'gdas', 'tss', 'cifar10', 777, 5, 'a', 50, 60, 12, 70, 200, 0, 0, 0, 0, 1, '[]', 'cpu', 9);
      INSERT INTO runs VALUES (2, 'rea', 'tss', 'cifar10', 0, 6, 'b', 51, 61, 12, 71, 200, 10, 100, 20000, 0, 1, '[]', '', 0);
      INSERT INTO epochs VALUES ('gdas', 'tss', 'cifar10', 777, 0, 1, 2, 3, 4, 5, 5, 10, 1, '[]');
    )sql";
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  std::string dir_;
};

TEST_F(ResultsStoreSchema, EveryRunKeepsItsFamily) {
  {
    ResultsStore store = ResultsStore::open(dir_);
    RunOutcome query, trained;
    query.seed = 1;
    trained.seed = 2;
    trained.family = algorithms::SearcherFamily::WeightSharing;  // no epochs logged: only the column can tell
    store.add_run("x", "tss", "cifar10", query, {});
    store.add_run("y", "tss", "cifar10", trained, {});
  }
  const auto runs = ResultsStore::open_existing(dir_).runs(false);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].outcome.family, algorithms::SearcherFamily::QueryBased);
  EXPECT_EQ(runs[1].outcome.family, algorithms::SearcherFamily::WeightSharing);
}

TEST_F(ResultsStoreSchema, ASchema2StoreIsReadAndMigrated) {
  write_schema_2_store();
  // Read-only (nas report): the families are derived from what each run wrote.
  {
    const auto runs = ResultsStore::open_existing(dir_).runs(false);
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[0].algorithm, "gdas");
    EXPECT_EQ(runs[0].outcome.family, algorithms::SearcherFamily::WeightSharing);
    EXPECT_EQ(runs[1].outcome.family, algorithms::SearcherFamily::QueryBased);
    EXPECT_EQ(runs[1].outcome.torch_threads, 0);
  }
  // Opened for writing (nas run resuming): migrated in place, then written like a new store.
  {
    ResultsStore store = ResultsStore::open(dir_);
    EXPECT_EQ(store.metadata().at("schema_version"), "3");
    RunOutcome more;
    more.seed = 1;
    store.add_run("rea", "tss", "cifar10", more, {});
  }
  const auto runs = ResultsStore::open_existing(dir_).runs(false);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].outcome.family, algorithms::SearcherFamily::WeightSharing);
  EXPECT_EQ(runs[1].outcome.family, algorithms::SearcherFamily::QueryBased);
  EXPECT_EQ(runs[2].outcome.family, algorithms::SearcherFamily::QueryBased);
  EXPECT_EQ(runs[0].outcome.search_wall_seconds, 9);
}

}  // namespace
}  // namespace nas::experiments

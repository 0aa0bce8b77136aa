// Reading a `nas run` results store from tests: how many runs it holds, and all of it as one
// comparable text (wall-clock times left out), to check that resumed experiments are exact.
#pragma once

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

namespace nas::test {

inline void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

/// Number of stored runs; -1 if there is no readable store.
inline long count_runs(const std::string& dir) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2((dir + "/results.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return -1;
  }
  sqlite3_busy_timeout(db, 1000);
  sqlite3_stmt* stmt = nullptr;
  long count = -1;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM runs", -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
    count = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return count;
}

/// Starts `nas run CONFIG --out OUT --threads 1` (NAS_EXECUTABLE), kills it with SIGKILL as soon as
/// its store holds a run, and says whether it was killed (false: it finished before).
inline bool run_killed_after_first_stored_run(const std::string& config, const std::string& out) {
  const pid_t child = ::fork();
  if (child == 0) {
    ::execl(NAS_EXECUTABLE, NAS_EXECUTABLE, "run", config.c_str(), "--out", out.c_str(), "--threads", "1",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  long stored = 0;
  for (int i = 0; i < 4000 && stored <= 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    stored = count_runs(out);
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFSIGNALED(status);
}

/// The rows of a query, '|'-separated, one line each.
inline std::string query_text(const std::string& dir, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2((dir + "/results.sqlite").c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  std::string out;
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
      const auto* text = sqlite3_column_text(stmt, c);
      out += text != nullptr ? reinterpret_cast<const char*>(text) : "NULL";
      out += '|';
    }
    out += '\n';
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

/// Every stored run and trajectory point, minus wall-clock times.
inline std::string dump_results(const std::string& dir) {
  return query_text(dir,
                    "SELECT algorithm, space, dataset, seed, arch_index, arch, search_valid_accuracy, valid_accuracy,"
                    " valid_hp, test_accuracy, test_hp, queries, simulated_seconds, budget_seconds, budget_queries, notes"
                    " FROM runs ORDER BY algorithm, space, dataset, seed") +
         query_text(dir,
                    "SELECT r.algorithm, r.space, r.dataset, r.seed, t.step, t.simulated_seconds, t.incumbent,"
                    " t.incumbent_valid_accuracy FROM trajectory t JOIN runs r ON r.id = t.run_id"
                    " ORDER BY r.algorithm, r.space, r.dataset, r.seed, t.step");
}

}  // namespace nas::test

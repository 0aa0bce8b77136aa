// The experiment runner behind `nas run`: executes every (algorithm, space, dataset, seed) of a grid
// that the results store does not hold yet, on worker threads, writing each run as it finishes.
// Resumable by construction: runs are deterministic functions of (algorithm config, space, dataset,
// seed), and a run is stored in one transaction, so an interrupted experiment, run again, ends with
// exactly the results of an uninterrupted one.
//
// Before any run (and before the results directory is touched) it opens each space's benchmark and
// checks that it can serve every query-based algorithm on every dataset of the grid
// (algorithms::require_search_coverage), so a grid on a benchmark that lacks the search data fails
// with one clear line instead of halfway.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "experiment_config.h"

namespace nas::experiments {

struct RunnerReport {
  std::size_t total_runs = 0;
  std::size_t already_done = 0;
  std::size_t executed = 0;
  double wall_seconds = 0;
};

/// Progress callback: (finished so far, total), called from the writing thread.
using RunnerProgress = std::function<void(std::size_t done, std::size_t total)>;
/// Callbacks for the live progress of one weight-sharing run (algorithm label, space, dataset,
/// seed); they receive its batch and epoch events. Null: none.
using TrainingProgressFactory = std::function<std::unique_ptr<algorithms::SearchCallbacks>(
    const std::string& algorithm, const std::string& space, const std::string& dataset, std::uint64_t seed)>;

/// Runs the experiment file at `config_path` into `out_dir`. Throws nas::Error for a bad config, a
/// benchmark that is missing, of the wrong space or too incomplete for a query-based search, or an
/// `out_dir` that holds results of a different config or benchmark (which are then left untouched).
///
/// shard (K, N) with N > 1 runs only the grid's runs i with i % N == K - 1 (in the grid's order:
/// algorithm, space, dataset, seed) into a results store of its own, shard_dir(out_dir, K, N), so the
/// tasks of a Slurm job array never share a SQLite file; merge_shards combines them.
RunnerReport run_experiment(const std::string& config_path, const std::string& out_dir, int threads,
                            const RunnerProgress& progress = {}, const TrainingProgressFactory& training_progress = {},
                            std::pair<int, int> shard = {1, 1});

/// OUT/shards/K-of-N.
std::string shard_dir(const std::string& out_dir, int k, int n);

struct MergeReport {
  std::size_t shards = 0, runs_added = 0, runs_already_there = 0;
  std::vector<std::string> missing_shards;  ///< "K-of-N" without a results store yet
};
/// Copies every run (and its epochs and trajectory) of the shard stores under OUT/shards into OUT's
/// results store, skipping runs it already holds; every shard must hold results of the same
/// experiment (config hash, benchmark checksums, torch threads) as each other and as OUT, or
/// nothing is written (nas::Error naming the first that differs). Rerunning it adds nothing twice.
MergeReport merge_shards(const std::string& out_dir);

}  // namespace nas::experiments

// The report of an experiment (`nas report DIR`): what an experiment's results store
// (DIR/results.sqlite, results_store.h) says, in the form of NATS-Bench's paper plus what a single
// table hides.
//
//   1. accuracy at the budget: per algorithm and dataset, mean ± population std over runs of the
//      valid and test accuracy of the incumbent, interpolated at the time budget exactly as
//      NATS-Bench's draw-table.py does (reference §5.2 "Reporting");
//   2. anytime curves: test accuracy of the incumbent against simulated seconds, mean ± 1 std over
//      runs, one plot per dataset (rendered by gnuplot);
//   3. cross-seed comparison: how often the runs agree on the architecture they find, per arch,
//      per decision and per isomorphism class;
//   4. weight-sharing searches (DARTS, GDAS, SETN, random-ws, ENAS): they train a supernet instead of
//      querying the benchmark, so they have no simulated-time trajectory. In the table they report
//      their final architecture (as NATS-Bench's weight-sharing rows do), marked, with their search
//      wall time and device; the anytime curves leave them out; their own section shows the search
//      epoch by epoch (losses, accuracies, derived architecture, architecture probabilities).
//
// build_report() computes everything (no output); write_report() renders it to DIR/report.md,
// DIR/summary.json (the same numbers for scripts), DIR/anytime-<dataset>.{dat,gp,png} and per
// plotted weight-sharing run DIR/ws-<algorithm>-<dataset>-seed<N>-{curves,probabilities}.{dat,gp,png}.
// Both refuse (nas::Error) a benchmark whose checksum differs from the one the experiment ran on:
// every accuracy in the report is looked up again, so it would silently describe other data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "run.h"
#include <vector>

#include "nas/algorithms/searcher.h"
#include "nas/benchmark_api/search_space.h"

namespace nas::experiments {

/// Mean and population std (numpy's default, as NATS-Bench's tables) over the runs that have a value.
/// Accuracy of the incumbent at the budget (percent, seed mean).
struct AtBudget {
  Statistic valid, test;
  std::set<int> valid_hps;  ///< the schedules valid accuracies came from (final one, or 12 when it has none)
};

/// One architecture and how many runs of an (algorithm, dataset) ended on it.
struct ArchFrequency {
  bench::ArchId index = 0;
  std::string arch;
  std::size_t count = 0;
  std::optional<double> test_accuracy;  ///< final fidelity, seed mean
};

/// Fraction of runs choosing each choice of one decision (tss: an edge's op; sss: a layer's width).
struct DecisionFrequencies {
  std::string decision;                ///< "1<-0" ... / "layer-0" ...
  std::vector<std::string> choices;    ///< every choice, in the space's order
  std::vector<double> fractions;       ///< same order; sums to 1
};

/// How much the runs of an (algorithm, dataset) agree on the architecture they found.
struct CrossSeed {
  std::size_t distinct_archs = 0;
  std::vector<ArchFrequency> top_archs;  ///< at most 5, most frequent first (ties: lowest index)
  std::vector<DecisionFrequencies> decisions;
  std::optional<double> mean_edit_distance;  ///< over all pairs of runs; none with fewer than 2 runs
  std::size_t distinct_classes = 0;          ///< distinct canonical forms (tss: isomorphism classes)
  std::string top_class;                     ///< canonical form of the most frequent class
  std::size_t top_class_count = 0;
  ArchFrequency top_class_member;            ///< its most frequent member
};

/// Everything the report says about one algorithm on one dataset.
struct CellReport {
  std::string algorithm, dataset;
  std::size_t runs = 0;
  double budget_seconds = 0;       ///< largest over the runs (0: query budgets)
  std::int64_t budget_queries = 0;
  /// A weight-sharing search: at_budget is then its final architecture's accuracy (it has no
  /// trajectory to interpolate in), and budget_seconds is 0 (the runner's time budget does not apply).
  bool weight_sharing = false;
  Statistic search_wall_seconds;     ///< weight-sharing: supernet training time over runs
  std::vector<std::string> devices;  ///< weight-sharing: where the runs trained (distinct, sorted)
  AtBudget at_budget;
  CrossSeed cross_seed;
};

/// Mean ± std of one algorithm's anytime curve on a time grid.
struct AnytimeCurve {
  std::string algorithm;
  std::vector<std::optional<double>> mean;  ///< none where no run has evaluated anything yet
  std::vector<double> std;
  std::vector<std::size_t> runs;  ///< runs averaged at each grid point
};

/// The anytime curves of every algorithm on one dataset, on a shared grid.
struct AnytimeData {
  std::string dataset;
  std::vector<double> seconds;  ///< kAnytimeGridPoints points from 0 to the budget
  std::vector<AnytimeCurve> curves;
};

/// One weight-sharing run's search, epoch by epoch.
struct WeightSharingRun {
  std::uint64_t seed = 0;
  bench::ArchId arch = 0;  ///< the architecture the search settled on
  std::optional<double> test_accuracy;  ///< its test accuracy (seed mean, final fidelity)
  std::string device;
  double search_wall_seconds = 0;
  std::vector<algorithms::EpochRecord> epochs;  ///< as stored, in epoch order
  /// Per epoch, the benchmark's test accuracy (seed mean, final fidelity) of that epoch's derived arch.
  std::vector<std::optional<double>> derived_test_accuracy;
  bool plotted = false;  ///< one of the first kPlottedWeightSharingRuns seeds: gets plots and a table
};

/// The weight-sharing runs of one (algorithm, dataset), by seed.
struct WeightSharingData {
  std::string algorithm, dataset;
  std::vector<WeightSharingRun> runs;
  /// The names arch_probabilities are indexed by: per decision (tss: edge "1<-0" ...), its choices.
  std::vector<std::string> decisions;
  std::vector<std::vector<std::string>> choices;
};

inline constexpr std::size_t kAnytimeGridPoints = 200;
inline constexpr std::size_t kTopArchs = 5;
/// Plots per (algorithm, dataset) of weight-sharing runs: enough to see whether seeds behave alike
/// without burying the report (summary.json has every run).
inline constexpr std::size_t kPlottedWeightSharingRuns = 3;

struct ReportSummary {
  std::map<std::string, std::string> metadata;  ///< the store's experiment table
  std::string name;                  ///< the experiment's name (from its config; may be empty)
  std::size_t num_runs = 0;
  int test_hp = 0;                   ///< the final fidelity test accuracies come from
  /// In the order the experiment's config lists them; others after (algorithms by name, datasets
  /// as cifar10, cifar10-valid, cifar100, ImageNet16-120).
  std::vector<std::string> algorithms, datasets;
  std::vector<CellReport> cells;        ///< algorithm-major, only pairs that have runs
  /// One per dataset that has query-based runs, same order as `datasets`; weight-sharing runs are
  /// left out (they have no simulated-time trajectory).
  std::vector<AnytimeData> anytime;
  std::vector<WeightSharingData> weight_sharing;  ///< same order as `cells`, weight-sharing ones only
  nlohmann::ordered_json json;          ///< all of the above, as written to summary.json

  /// The cell of an (algorithm, dataset), or nullptr if it has no runs.
  const CellReport* cell(const std::string& algorithm, const std::string& dataset) const;
};

/// Computes the report of the experiment in DIR. Throws nas::Error if DIR holds no results store, or
/// the benchmark cannot be opened or is not the one the experiment ran on.
ReportSummary build_report(const std::string& dir);

/// Writes DIR/report.md, DIR/summary.json, per dataset DIR/anytime-<dataset>.dat (the plotted
/// numbers), .gp (the gnuplot script) and .png, and per plotted weight-sharing run
/// DIR/ws-<algorithm>-<dataset>-seed<N>-curves.{dat,gp,png} and, for methods with architecture
/// parameters, -probabilities.{dat,gp,png} (algorithm names reduced to [A-Za-z0-9._-]). Without gnuplot the plots are left out and report.md
/// says so. Throws nas::Error as build_report does, or if a file cannot be written.
void write_report(const std::string& dir);

}  // namespace nas::experiments

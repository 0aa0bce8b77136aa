// The report of an experiment (`nas report DIR`): what an experiment's results store
// (DIR/results.sqlite, results_store.h) says, in the form of NATS-Bench's paper plus what a single
// table hides. An experiment may span several search spaces; everything below is per (space,
// dataset), and the table puts the columns of each space side by side, one row per algorithm, as the
// paper does. Whatever differs between spaces the report asks the space (bench::SpaceDefinition):
// its fidelities, its validation split, what a search reads, whether its data records times, the
// words for a decision and a choice, and how its full data is imported.
//
//   1. accuracy at the budget: per algorithm, space and dataset, mean ± population std over runs of
//      the valid and test accuracy of the incumbent (test at the space's final fidelity: hp 200 tss,
//      hp 90 sss; "final" for a space without fidelities, macro), interpolated at the time budget
//      exactly as NATS-Bench's draw-table.py does (reference §5.2 "Reporting"); "—" where an
//      algorithm has no runs on a space and dataset, and in the valid columns of a space without a
//      validation split (macro; null in summary.json). A space whose searches read test accuracy
//      (macro: SearchSignal::is_test_accuracy) has its columns and rows marked §, with a footnote
//      saying its results are not held-out estimates;
//   2. anytime curves: test accuracy of the incumbent against simulated seconds, mean ± 1 std over
//      runs, one plot per space and dataset (rendered by gnuplot); on a space whose data records no
//      times (macro: its searches spend queries) against the number of queries instead;
//   3. cross-seed comparison: how often the runs agree on the architecture they find, per arch,
//      per decision and per isomorphism class;
//   4. weight-sharing searches (DARTS, GDAS, SETN, random-ws, ENAS): they train a supernet instead of
//      querying the benchmark, so they have no simulated-time trajectory. In the table they report
//      their final architecture (as NATS-Bench's weight-sharing rows do), marked, with their search
//      wall time and device; the anytime curves leave them out; their own section shows the search
//      epoch by epoch (losses, accuracies, derived architecture, architecture probabilities);
//   5. architectures without benchmark accuracy: a run can end on an arch the benchmark has no
//      final-fidelity record of (the shipped sss store holds 3 of 32,768 configs). The report lists
//      it with its exact params and FLOPs and says that its accuracy is unavailable; no number, no
//      NaN is made up for it, and the statistics cover the runs that have one ("k of n runs").
//
// build_report() computes everything (no output); write_report() renders it to DIR/report.md,
// DIR/summary.json (the same numbers for scripts), DIR/anytime-<space>-<dataset>.{dat,gp,png} and per
// plotted weight-sharing run DIR/ws-<algorithm>-<space>-<dataset>-seed<N>-{curves,probabilities}.{dat,gp,png}.
// Both refuse (nas::Error) a benchmark whose checksum differs from the one the experiment ran on:
// every accuracy in the report is looked up again, so it would silently describe other data.
//
// Where each job lives (what the files share is in report_internal.h):
//   report_model.cpp     build_report(): the benchmarks, the grouping and order of the runs, and the
//                        statistics of items 1 to 5
//   report_json.cpp      summary.json
//   report_markdown.cpp  report.md
//   report_plots.cpp     the .dat/.gp/.png files and running gnuplot
//   report.cpp           write_report(): the order in which they are written
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

/// Fraction of runs choosing each choice of one decision (tss: an edge's op; sss: a layer's width;
/// macro: a layer's block).
struct DecisionFrequencies {
  std::string decision;                ///< "1<-0" ... / "layer-0" ...
  std::vector<std::string> choices;    ///< every choice, in the space's order
  std::vector<double> fractions;       ///< same order; sums to 1
};

/// An architecture some runs ended on whose final-fidelity accuracy the benchmark does not hold.
struct UnavailableArch {
  bench::ArchId index = 0;
  std::string arch;
  double params_m = 0, flops_m = 0;  ///< exact (computed from the network)
  std::size_t runs = 0;              ///< how many runs ended on it
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

/// Everything the report says about one algorithm on one space and dataset.
struct CellReport {
  std::string algorithm, space, dataset;
  std::size_t runs = 0;
  double budget_seconds = 0;       ///< largest over the runs (0: query budgets)
  std::int64_t budget_queries = 0;
  /// A weight-sharing search: at_budget is then its final architecture's accuracy (it has no
  /// trajectory to interpolate in), and budget_seconds is 0 (the runner's time budget does not apply).
  bool weight_sharing = false;
  Statistic search_wall_seconds;     ///< weight-sharing: supernet training time over runs
  std::vector<std::string> devices;  ///< weight-sharing: where the runs trained (distinct, sorted)
  /// A query-based search on a space without a validation split (SearchSignal::is_test_accuracy):
  /// it chose by the test accuracy it is reported at, so its result is not a held-out estimate.
  bool searched_on_test_accuracy = false;
  AtBudget at_budget;
  CrossSeed cross_seed;
  std::vector<UnavailableArch> unavailable;  ///< final archs without a test accuracy, by index
};

/// Mean ± std of one algorithm's anytime curve on a time grid.
struct AnytimeCurve {
  std::string algorithm;
  std::vector<std::optional<double>> mean;  ///< none where no run has evaluated anything yet
  std::vector<double> std;
  std::vector<std::size_t> runs;  ///< runs averaged at each grid point
};

/// The anytime curves of every algorithm on one space and dataset, on a shared grid: of simulated
/// seconds, or, on a space whose data records no times (SpaceDefinition::records_times(): its
/// searches spend queries, and an evaluation costs no simulated time), of queries.
struct AnytimeData {
  std::string space, dataset;
  bool by_queries = false;      ///< the grid counts queries (`queries`), not seconds (`seconds`)
  /// kAnytimeGridPoints points from 0 to the budget (or, log_seconds, log-spaced from the earliest
  /// first evaluation to the budget); empty when by_queries.
  std::vector<double> seconds;
  bool log_seconds = false;  ///< seconds are plotted on a log axis (SpaceDefinition::log_time_axis)
  /// by_queries: whole numbers of queries from 0 to the budget, every one up to kAnytimeGridPoints of
  /// them (evenly spread, rounded, beyond); empty otherwise.
  std::vector<double> queries;
  std::vector<AnytimeCurve> curves;

  /// The grid the curves are on: `queries` or `seconds`.
  const std::vector<double>& grid() const { return by_queries ? queries : seconds; }
};

/// One weight-sharing run's search, epoch by epoch.
struct WeightSharingRun {
  std::uint64_t seed = 0;
  bench::ArchId arch = 0;  ///< the architecture the search settled on
  std::string arch_string;
  std::optional<double> test_accuracy;  ///< its test accuracy (seed mean, final fidelity)
  std::string device;
  double search_wall_seconds = 0;
  std::vector<algorithms::EpochRecord> epochs;  ///< as stored, in epoch order
  /// Per epoch, the benchmark's test accuracy (seed mean, final fidelity) of that epoch's derived arch.
  std::vector<std::optional<double>> derived_test_accuracy;
  bool plotted = false;  ///< one of the first kPlottedWeightSharingRuns seeds: gets plots and a table
};

/// The weight-sharing runs of one (algorithm, space, dataset), by seed.
struct WeightSharingData {
  std::string algorithm, space, dataset;
  std::vector<WeightSharingRun> runs;
  /// The names arch_probabilities are indexed by: per decision (tss: edge "1<-0" ...; sss: "layer-0"
  /// ...), its choices.
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
  /// The experiment's spaces, in its order ("tss", "sss", "macro"), and the final fidelity test
  /// accuracies of each come from (200 / 90); none for a space without fidelities (macro: its data
  /// holds one record per trial, and the hp it is stored under is internal). The report calls it
  /// "hp 200", or "final" where there is none; summary.json has null.
  std::vector<std::string> spaces;
  std::map<std::string, std::optional<int>> test_hp;
  /// In the order the experiment's config lists them; others after (algorithms by name, datasets
  /// as cifar10, cifar10-valid, cifar100, ImageNet16-120).
  std::vector<std::string> algorithms, datasets;
  std::vector<CellReport> cells;        ///< algorithm-major, then space, then dataset; only those with runs
  /// One per (space, dataset) that has query-based runs, in space then dataset order; weight-sharing
  /// runs are left out (they have no simulated-time trajectory).
  std::vector<AnytimeData> anytime;
  std::vector<WeightSharingData> weight_sharing;  ///< same order as `cells`, weight-sharing ones only
  nlohmann::ordered_json json;          ///< all of the above, as written to summary.json

  /// The cell of an (algorithm, space, dataset), or nullptr if it has no runs.
  const CellReport* cell(const std::string& algorithm, const std::string& space, const std::string& dataset) const;
};

/// Computes the report of the experiment in DIR. Throws nas::Error if DIR holds no results store, or
/// the benchmark cannot be opened or is not the one the experiment ran on.
ReportSummary build_report(const std::string& dir);

/// Writes DIR/report.md, DIR/summary.json, per space and dataset DIR/anytime-<space>-<dataset>.dat (the
/// plotted numbers), .gp (the gnuplot script) and .png, and per plotted weight-sharing run
/// DIR/ws-<algorithm>-<space>-<dataset>-seed<N>-curves.{dat,gp,png} and, for methods with architecture
/// parameters, -probabilities.{dat,gp,png} (algorithm names reduced to [A-Za-z0-9._-]). Without gnuplot the plots are left out and report.md
/// says so. Throws nas::Error as build_report does, or if a file cannot be written.
void write_report(const std::string& dir);

}  // namespace nas::experiments

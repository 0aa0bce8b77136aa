// What the pieces of the report (report.h) share. Not a public header: only report*.cpp include it.
//
// The report is one job per file:
//   report_model.cpp     build_report(): the report model and its statistics (accuracy at the budget,
//                        cross-seed comparison, anytime curves, weight-sharing epochs, ordering)
//   report_json.cpp      summary_json(): the model as summary.json
//   report_plots.cpp     find_gnuplot(), plot_anytime(), plot_weight_sharing(): the .dat, .gp and .png
//                        files, and running gnuplot on them
//   report_markdown.cpp  render_markdown(): report.md, which links the plots
//   report.cpp           write_report(): what is written, in which order
// The model knows nothing of files; the renderers know nothing of the results store.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nas/benchmark_api/datasets.h"
#include "nas/benchmark_api/file_io.h"
#include "nas/benchmark_api/space.h"
#include "report.h"
#include "results_store.h"

namespace nas::experiments::report_detail {

// ---------------------------------------------------------------------------------------------
// Shared by every piece

/// A value of the experiment's metadata table; empty where it has none.
inline std::string metadata_value(const std::map<std::string, std::string>& metadata, const std::string& key) {
  const auto it = metadata.find(key);
  return it == metadata.end() ? std::string() : it->second;
}

/// How the report names the schedule a space's test accuracies come from (ReportSummary::test_hp):
/// "hp 200" where the space has fidelities, "final" where it has none (NAS-Bench-Macro holds one
/// record per trial; there is no schedule to choose, and the hp it is stored under is internal).
inline std::string fidelity_label(const std::optional<int>& hp) {
  return hp ? "hp " + std::to_string(*hp) : std::string("final");
}

/// Whether a space has a validation split on a dataset (NAS-Bench-Macro has none): where it has not,
/// the report shows "—" and summary.json null for validation values, never a number.
inline bool has_validation_split(const std::string& space, const std::string& dataset) {
  return bench::find_space(space).resolve_split(bench::parse_dataset(dataset), bench::Split::Valid).has_value();
}

/// Writes through a temporary file and a rename (AtomicFile), so a reader never sees half a report
/// and a failed write (a full disk) leaves no temporary behind.
inline void write_file(const std::string& path, const std::string& content) {
  write_file_atomically(path, content, "report file");
}

// ---------------------------------------------------------------------------------------------
// report_json.cpp

/// The whole report as summary.json holds it (ReportSummary::json).
nlohmann::ordered_json summary_json(const ReportSummary& s);

// ---------------------------------------------------------------------------------------------
// report_plots.cpp (what report.md says about each plot)

/// What happened to one dataset's plot, for report.md.
struct PlotResult {
  std::string space, dataset;
  std::string base;  ///< file names without suffix: anytime-<space>-<dataset>
  bool rendered = false;
  std::string note;  ///< why there is no image
};

/// What happened to one weight-sharing run's plots, for report.md.
struct WeightSharingPlot {
  std::string base;  ///< file names without suffix: ws-<algorithm>-<space>-<dataset>-seed<N>
  bool curves = false, probabilities = false;  ///< which PNGs exist
  std::string note;                            ///< why one is missing
};

/// Plots of the weight-sharing runs, keyed by (algorithm, space, dataset, seed); only plotted runs have one.
using WeightSharingPlots = std::map<RunKey, WeightSharingPlot>;

/// gnuplot's path on $PATH, if installed.
std::optional<std::string> find_gnuplot();

/// Writes DIR/anytime-<space>-<dataset>.dat and .gp and, with gnuplot, renders the .png (an older
/// .png is removed first). `test_fidelity` names the test accuracies' schedule (fidelity_label).
PlotResult plot_anytime(const std::string& dir, const AnytimeData& data, const std::string& test_fidelity,
                        const std::optional<std::string>& gnuplot);

/// The same for every plotted weight-sharing run: -curves.{dat,gp,png} and, for methods with
/// architecture parameters, -probabilities.{dat,gp,png}.
WeightSharingPlots plot_weight_sharing(const std::string& dir, const ReportSummary& summary,
                                       const std::optional<std::string>& gnuplot);

// ---------------------------------------------------------------------------------------------
// report_markdown.cpp

/// report.md: the model, with the plots as written (DIR names the report when the experiment has no name).
std::string render_markdown(const std::string& dir, const ReportSummary& s, const std::vector<PlotResult>& plots,
                            const WeightSharingPlots& ws_plots);

}  // namespace nas::experiments::report_detail

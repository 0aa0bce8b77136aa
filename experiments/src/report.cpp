// The report of an experiment (report.h): write_report() puts the pieces together. The model is
// computed once (report_model.cpp); the plots are drawn first, since report.md says what became of
// each; summary.json (report_json.cpp) and report.md (report_markdown.cpp) are written last.
#include "report.h"

#include <optional>
#include <string>
#include <vector>

#include "report_internal.h"

namespace nas::experiments {

void write_report(const std::string& dir) {
  using namespace report_detail;
  const ReportSummary summary = build_report(dir);
  const std::optional<std::string> gnuplot = find_gnuplot();
  std::vector<PlotResult> plots;
  for (const auto& data : summary.anytime) {
    plots.push_back(plot_anytime(dir, data, fidelity_label(summary.test_hp.at(data.space)), gnuplot));
  }
  const WeightSharingPlots ws_plots = plot_weight_sharing(dir, summary, gnuplot);
  // Results written by an older nas may hold labels that are not UTF-8; show them replaced (U+FFFD)
  // rather than fail on every report.
  write_file(dir + "/summary.json", summary.json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
  write_file(dir + "/report.md", render_markdown(dir, summary, plots, ws_plots));
}

}  // namespace nas::experiments

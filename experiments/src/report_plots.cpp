// The report's plots: per space and dataset the anytime curves, per plotted weight-sharing run its
// search curves and architecture probabilities. Each is a .dat file (the plotted numbers), a .gp
// script that draws it (rerunnable in DIR) and, where gnuplot is installed, the .png it draws.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "report.h"
#include "report_internal.h"

namespace nas::experiments::report_detail {

// ---------------------------------------------------------------------------------------------
// gnuplot

namespace {

/// A gnuplot single-quoted string ('' is a literal quote).
std::string gnuplot_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// Runs a gnuplot script in DIR; returns gnuplot's output when it fails, nothing on success.
std::optional<std::string> run_gnuplot(const std::string& gnuplot, const std::string& dir, const std::string& script) {
  const std::string command = "cd " + shell_quote(dir) + " && " + shell_quote(gnuplot) + " " + shell_quote(script) + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return std::string("could not start gnuplot");
  std::string output;
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return output.empty() ? std::string("gnuplot failed") : output;
  }
  return std::nullopt;
}

}  // namespace

/// gnuplot's path on $PATH, if installed.
std::optional<std::string> find_gnuplot() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/gnuplot";
    if (access(candidate.c_str(), X_OK) == 0 && std::filesystem::is_regular_file(candidate)) return candidate;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Anytime plots

namespace {

/// File names of one space and dataset's anytime plot, without suffix.
std::string anytime_base(const AnytimeData& data) { return "anytime-" + data.space + "-" + data.dataset; }

/// What the x axis counts, in words and as a .dat column name.
std::string x_axis_words(const AnytimeData& data) {
  return data.by_queries ? "queries" : data.log_seconds ? "simulated seconds (log scale)" : "simulated seconds";
}
std::string x_axis_column(const AnytimeData& data) { return data.by_queries ? "queries" : "simulated_seconds"; }

/// The plotted numbers of one space and dataset: one block per algorithm that has data (gnuplot
/// `index` i), rows before any run has evaluated are left out. Fills `plotted` with each block's algorithm.
std::string anytime_dat(const AnytimeData& data, const std::string& test_fidelity, std::vector<std::string>& plotted) {
  std::ostringstream dat;
  dat.precision(10);
  dat << "# nas report: test accuracy (" << test_fidelity << ", seed mean) of the incumbent on " << data.space << " "
      << data.dataset << " against " << x_axis_words(data) << "\n"
      << "# one block per algorithm (gnuplot index 0, 1, ...); grid points before any run has evaluated are left out\n"
      << "# columns: " << x_axis_column(data) << " mean_test_accuracy std_test_accuracy runs\n";
  const std::vector<double>& grid = data.grid();
  for (const auto& curve : data.curves) {
    std::ostringstream rows;
    rows.precision(10);
    for (std::size_t i = 0; i < grid.size(); ++i) {
      if (curve.mean[i]) rows << grid[i] << " " << *curve.mean[i] << " " << curve.std[i] << " " << curve.runs[i] << "\n";
    }
    if (rows.str().empty()) continue;  // an empty block would shift gnuplot's block numbers
    if (!plotted.empty()) dat << "\n\n";
    dat << "# algorithm: " << curve.algorithm << "\n" << rows.str();
    plotted.push_back(curve.algorithm);
  }
  return dat.str();
}

/// The y range of a plot: the bands from a tenth of the time axis on. The first evaluations score far
/// below what any search ends with, and letting them set the scale would flatten the differences
/// between algorithms that the plot is for (the .dat file keeps every point).
std::optional<std::pair<double, double>> y_range(const AnytimeData& data) {
  const std::vector<double>& grid = data.grid();
  // A tenth of the axis as drawn: of its decades on a log axis.
  const double from = grid.empty() ? 0 : data.log_seconds ? grid[grid.size() / 10] : grid.back() / 10;
  double low = INFINITY, high = -INFINITY;
  for (const auto& curve : data.curves) {
    for (std::size_t i = 0; i < grid.size(); ++i) {
      if (!curve.mean[i] || grid[i] < from) continue;
      low = std::min(low, *curve.mean[i] - curve.std[i]);
      high = std::max(high, *curve.mean[i] + curve.std[i]);
    }
  }
  if (!(low < high)) return std::nullopt;  // no points, or one flat line: let gnuplot choose
  const double margin = (high - low) * 0.05;
  return std::make_pair(low - margin, high + margin);
}

/// The script that draws one space and dataset's curves; it names files relative to DIR, so it can be
/// rerun there.
std::string anytime_script(const AnytimeData& data, const std::string& test_fidelity,
                           const std::vector<std::string>& plotted) {
  const std::string base = anytime_base(data);
  const std::string dat = gnuplot_quote(base + ".dat");
  std::ostringstream gp;
  gp << "# nas report: anytime curves on " << data.space << " " << data.dataset << " (run with: gnuplot " << base
     << ".gp)\n"
     << "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
     << "  set terminal pngcairo size 1000,620 noenhanced\n"
     << "} else {\n"
     << "  set terminal png size 1000,620 noenhanced\n"
     << "}\n"
     << "set output " << gnuplot_quote(base + ".png") << "\n"
     << "set title " << gnuplot_quote(data.space + " " + data.dataset + ": test accuracy of the incumbent (mean +/- 1 std over runs)")
     << "\n"
     << "set xlabel " << gnuplot_quote(x_axis_words(data)) << "\n"
     << "set ylabel " << gnuplot_quote("test accuracy (%), " + test_fidelity) << "\n"
     << "set key bottom right opaque\nset grid\n";
  const std::vector<double>& grid = data.grid();
  if (data.log_seconds) {
    gp << "set logscale x 10\nset format x '1e%L'\nset xrange [" << grid.front() << ":" << grid.back() << "]\n";
  } else if (!grid.empty() && grid.back() > 0) {
    gp << "set xrange [0:" << grid.back() << "]\n";
  }
  if (const auto range = y_range(data)) gp << "set yrange [" << range->first << ":" << range->second << "]\n";
  gp << "plot \\\n";
  for (std::size_t i = 0; i < plotted.size(); ++i) {
    const std::string color = std::to_string(i + 1);
    gp << "  " << dat << " index " << i << " using 1:($2-$3):($2+$3) with filledcurves fillstyle transparent solid 0.2 "
       << "noborder linecolor " << color << " notitle, \\\n"
       << "  " << dat << " index " << i << " using 1:2 with lines linewidth 2 linecolor " << color
       << " title " << gnuplot_quote(plotted[i]) << (i + 1 < plotted.size() ? ", \\\n" : "\n");
  }
  return gp.str();
}

}  // namespace

PlotResult plot_anytime(const std::string& dir, const AnytimeData& data, const std::string& test_fidelity,
                        const std::optional<std::string>& gnuplot) {
  PlotResult result;
  result.space = data.space;
  result.dataset = data.dataset;
  result.base = anytime_base(data);
  const std::string base = dir + "/" + result.base;
  std::vector<std::string> plotted;
  write_file(base + ".dat", anytime_dat(data, test_fidelity, plotted));
  std::error_code ignored;
  std::filesystem::remove(base + ".png", ignored);  // never leave a plot of older results beside new numbers
  if (plotted.empty()) {
    result.note = "No run has a test accuracy to plot on " + data.space + " " + data.dataset + ".";
    return result;
  }
  write_file(base + ".gp", anytime_script(data, test_fidelity, plotted));
  if (!gnuplot) {
    result.note = "gnuplot is not installed, so there is no plot; the plotted numbers are in the .dat file "
                  "(draw them with `gnuplot " + result.base + ".gp` in this folder).";
    return result;
  }
  if (const auto failure = run_gnuplot(*gnuplot, dir, result.base + ".gp")) {
    result.note = "gnuplot failed, so there is no plot:\n\n```\n" + *failure + "\n```";
    return result;
  }
  std::error_code ec;
  result.rendered = std::filesystem::file_size(base + ".png", ec) > 0 && !ec;
  if (!result.rendered) result.note = "gnuplot produced no image.";
  return result;
}

// ---------------------------------------------------------------------------------------------
// Weight-sharing plots

namespace {

/// An algorithm label as part of a file name: labels come from the user's config.
std::string file_safe(const std::string& text) {
  std::string out;
  for (char c : text) out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : '_';
  return out;
}

std::string weight_sharing_base(const WeightSharingData& data, const WeightSharingRun& run) {
  return "ws-" + file_safe(data.algorithm) + "-" + data.space + "-" + data.dataset + "-seed" + std::to_string(run.seed);
}

/// A number for a .dat file; gnuplot skips NaN points.
std::string dat_value(const std::optional<double>& v) {
  std::ostringstream out;
  out.precision(10);
  if (v) out << *v; else out << "NaN";
  return out.str();
}

std::string curves_dat(const WeightSharingData& data, const WeightSharingRun& run, const std::string& test_fidelity) {
  std::ostringstream dat;
  dat.precision(10);
  dat << "# nas report: " << data.algorithm << " on " << data.space << " " << data.dataset << ", seed " << run.seed
      << ", per search epoch\n"
      << "# accuracies in %; derived_test_accuracy: the benchmark's (" << test_fidelity << ", seed mean) of derived_arch\n"
      << "# columns: epoch train_loss train_accuracy arch_loss arch_accuracy valid_accuracy derived_arch "
         "derived_test_accuracy tau seconds\n";
  for (std::size_t i = 0; i < run.epochs.size(); ++i) {
    const auto& e = run.epochs[i];
    dat << e.epoch << " " << e.train_loss << " " << e.train_accuracy << " " << e.arch_loss << " " << e.arch_accuracy << " "
        << e.valid_accuracy << " " << e.derived_arch << " " << dat_value(run.derived_test_accuracy[i]) << " " << e.tau
        << " " << e.seconds << "\n";
  }
  return dat.str();
}

/// Whether the method has an architecture step (random-ws has none: its arch columns stay 0).
bool has_arch_step(const WeightSharingRun& run) {
  return std::any_of(run.epochs.begin(), run.epochs.end(),
                     [](const algorithms::EpochRecord& e) { return e.arch_accuracy != 0 || e.arch_loss != 0; });
}

std::string png_terminal(int width, int height) {
  const std::string size = " size " + std::to_string(width) + "," + std::to_string(height) + " noenhanced\n";
  return "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n  set terminal pngcairo" + size +
         "} else {\n  set terminal png" + size + "}\n";
}

/// Accuracies on the left axis, the training loss on the right one (its scale is unrelated).
std::string curves_script(const WeightSharingData& data, const WeightSharingRun& run, const std::string& base,
                          const std::string& test_fidelity) {
  const std::string dat = gnuplot_quote(base + "-curves.dat");
  std::ostringstream gp;
  gp << "# nas report: search curves (run with: gnuplot " << base << "-curves.gp)\n"
     << png_terminal(1000, 560) << "set output " << gnuplot_quote(base + "-curves.png") << "\n"
     << "set title "
     << gnuplot_quote(data.algorithm + " on " + data.space + " " + data.dataset + ", seed " + std::to_string(run.seed))
     << "\n"
     << "set xlabel 'epoch'\nset ylabel 'accuracy (%)'\nset y2label 'loss'\nset ytics nomirror\nset y2tics\n"
     << "set key below horizontal\nset grid\n"
     << (run.epochs.size() <= 20 ? "set xtics 1\n" : "")  // epochs are whole: no 0.5 ticks on short runs
     << "plot " << dat << " using 1:3 with linespoints pointsize 0.5 linecolor 1 title 'train accuracy', \\\n";
  if (has_arch_step(run)) {
    gp << "  " << dat << " using 1:5 with linespoints pointsize 0.5 linecolor 2 title 'arch accuracy', \\\n";
  }
  gp << "  " << dat << " using 1:6 with linespoints pointsize 0.5 linecolor 3 title 'valid accuracy (derived)', \\\n"
     << "  " << dat << " using 1:8 with linespoints pointsize 0.5 linecolor 4 title "
     << gnuplot_quote("test accuracy of derived arch (benchmark, " + test_fidelity + ")") << ", \\\n"
     << "  " << dat << " using 1:2 axes x1y2 with lines dashtype 2 linecolor 7 title 'train loss (right axis)'\n";
  return gp.str();
}

/// A decision's name, or its number where the stored probabilities have more decisions than the space.
std::string name_of(const std::vector<std::string>& names, std::size_t i) {
  return i < names.size() ? names[i] : std::to_string(i);
}

std::string choice_of(const WeightSharingData& data, std::size_t decision, std::size_t choice) {
  return decision < data.choices.size() ? name_of(data.choices[decision], choice) : std::to_string(choice);
}

/// What a decision and its choices are called in a space, in the space's own words: tss edges pick
/// ops, sss layers pick widths, macro layers pick blocks.
std::pair<std::string, std::string> decision_words(const WeightSharingData& data) {
  const bench::SpaceDefinition& space = bench::find_space(data.space);
  return {std::string(space.decision_word()), std::string(space.choice_word())};
}

/// One block per decision (gnuplot index d): epoch, then the probability of each choice.
std::string probabilities_dat(const WeightSharingData& data, const WeightSharingRun& run) {
  std::ostringstream dat;
  dat.precision(10);
  dat << "# nas report: " << data.algorithm << " on " << data.space << " " << data.dataset << ", seed " << run.seed
      << ": softmax of the architecture parameters after each epoch\n"
      << "# one block per " << decision_words(data).first << " (gnuplot index 0, 1, ...); columns: epoch, then one "
      << "probability per " << decision_words(data).second << "\n";
  const std::size_t decisions = run.epochs.front().arch_probabilities.size();
  for (std::size_t d = 0; d < decisions; ++d) {
    if (d > 0) dat << "\n\n";
    dat << "# " << decision_words(data).first << ": " << name_of(data.decisions, d) << "; " << decision_words(data).second
        << "s:";
    for (std::size_t c = 0; c < run.epochs.front().arch_probabilities[d].size(); ++c) dat << " " << choice_of(data, d, c);
    dat << "\n";
    for (const auto& e : run.epochs) {
      dat << e.epoch;
      for (double p : e.arch_probabilities.at(d)) dat << " " << p;
      dat << "\n";
    }
  }
  return dat.str();
}

/// One small panel per decision (2 rows of 3 for tss's edges and sss's layers), the same colour per
/// choice in every panel.
std::string probabilities_script(const WeightSharingData& data, const WeightSharingRun& run, const std::string& base) {
  const std::string dat = gnuplot_quote(base + "-probabilities.dat");
  const auto& first = run.epochs.front().arch_probabilities;
  const std::size_t columns = 3, rows = (first.size() + columns - 1) / columns;
  std::ostringstream gp;
  gp << "# nas report: architecture probabilities (run with: gnuplot " << base << "-probabilities.gp)\n"
     << png_terminal(1200, 300 * static_cast<int>(rows) + 60)
     << "set output " << gnuplot_quote(base + "-probabilities.png") << "\n"
     << "set multiplot layout " << rows << "," << columns << " title "
     << gnuplot_quote(data.algorithm + " on " + data.space + " " + data.dataset + ", seed " + std::to_string(run.seed) +
                      ": " + decision_words(data).second + " probabilities per " + decision_words(data).first +
                      " vs epoch")
     << "\nset yrange [0:1]\nset grid\nset xlabel 'epoch'\nset key top left font ',8' opaque\n"
     << (run.epochs.size() <= 20 ? "set xtics 1\n" : "");
  for (std::size_t d = 0; d < first.size(); ++d) {
    gp << "set title " << gnuplot_quote(decision_words(data).first + " " + name_of(data.decisions, d)) << "\nplot ";
    for (std::size_t c = 0; c < first[d].size(); ++c) {
      gp << (c > 0 ? ", \\\n  " : "") << dat << " index " << d << " using 1:" << c + 2 << " with lines linewidth 2 linecolor "
         << c + 1 << " title " << gnuplot_quote(choice_of(data, d, c));
    }
    gp << "\n";
    if (d == 0) gp << "unset key\n";  // same colour per op everywhere: one key is enough
  }
  gp << "unset multiplot\n";
  return gp.str();
}

/// Renders DIR/<name>.gp into DIR/<name>.png; returns why there is no image, nothing when there is one.
std::optional<std::string> render_png(const std::string& dir, const std::string& name,
                                      const std::optional<std::string>& gnuplot) {
  if (!gnuplot) return "gnuplot is not installed, so there is no plot (draw it with `gnuplot " + name + ".gp` in this folder).";
  if (const auto failure = run_gnuplot(*gnuplot, dir, name + ".gp")) {
    return "gnuplot failed, so there is no plot:\n\n```\n" + *failure + "\n```";
  }
  std::error_code ec;
  if (std::filesystem::file_size(dir + "/" + name + ".png", ec) == 0 || ec) return std::string("gnuplot produced no image.");
  return std::nullopt;
}

WeightSharingPlot plot_weight_sharing_run(const std::string& dir, const WeightSharingData& data,
                                          const WeightSharingRun& run, const std::string& test_fidelity,
                                          const std::optional<std::string>& gnuplot) {
  WeightSharingPlot plot;
  plot.base = weight_sharing_base(data, run);
  const std::string curves = plot.base + "-curves", probabilities = plot.base + "-probabilities";
  std::error_code ignored;
  for (const auto& name : {curves, probabilities}) std::filesystem::remove(dir + "/" + name + ".png", ignored);
  write_file(dir + "/" + curves + ".dat", curves_dat(data, run, test_fidelity));
  write_file(dir + "/" + curves + ".gp", curves_script(data, run, plot.base, test_fidelity));
  const auto curves_failure = render_png(dir, curves, gnuplot);
  plot.curves = !curves_failure;
  if (curves_failure) plot.note = *curves_failure;
  if (run.epochs.front().arch_probabilities.empty()) return plot;  // random-ws, enas: no arch parameters
  write_file(dir + "/" + probabilities + ".dat", probabilities_dat(data, run));
  write_file(dir + "/" + probabilities + ".gp", probabilities_script(data, run, plot.base));
  const auto probabilities_failure = render_png(dir, probabilities, gnuplot);
  plot.probabilities = !probabilities_failure;
  if (probabilities_failure && !curves_failure) plot.note = *probabilities_failure;
  return plot;
}

}  // namespace

WeightSharingPlots plot_weight_sharing(const std::string& dir, const ReportSummary& summary,
                                       const std::optional<std::string>& gnuplot) {
  WeightSharingPlots plots;
  for (const auto& data : summary.weight_sharing) {
    for (const auto& run : data.runs) {
      if (!run.plotted || run.epochs.empty()) continue;
      plots[{data.algorithm, data.space, data.dataset, run.seed}] =
          plot_weight_sharing_run(dir, data, run, fidelity_label(summary.test_hp.at(data.space)), gnuplot);
    }
  }
  return plots;
}

}  // namespace nas::experiments::report_detail

// report.md: the report model (build_report) as Markdown, in the form of NATS-Bench's tables, with
// the plots that report_plots.cpp wrote.
#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "report.h"
#include "report_internal.h"

namespace nas::experiments::report_detail {
namespace {

std::string fixed(double value, int decimals) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(decimals);
  out << value;
  return out.str();
}

/// Text for a Markdown table cell: a literal `|` would end the cell (tss arch strings are full of them).
std::string md_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string md_code(const std::string& text) { return "`" + md_cell(text) + "`"; }

/// A test accuracy the benchmark may lack: said in words, never a made-up number.
std::string md_test_accuracy(const std::optional<double>& v) { return v ? fixed(*v, 2) : "unavailable"; }

std::string hp_list(const std::set<int>& hps) {
  std::string out;
  for (int hp : hps) out += (out.empty() ? "" : "/") + std::to_string(hp);
  return out.empty() ? "?" : out;
}

std::string md_statistic(const Statistic& s, std::size_t runs) {
  if (s.count == 0) return "—";
  std::string out = fixed(s.mean, 2) + " ± " + fixed(s.std, 2);
  if (s.count != runs) out += " (" + std::to_string(s.count) + " of " + std::to_string(runs) + " runs)";
  return out;
}

/// "tss cifar10": how headings and columns name a space and dataset.
std::string space_dataset(const std::string& space, const std::string& dataset) { return space + " " + dataset; }

/// "hp 200 tss, hp 90 sss, final macro": the schedule test accuracies come from, per space of the experiment.
std::string test_fidelities(const ReportSummary& s) {
  std::string out;
  for (const auto& space : s.spaces) out += (out.empty() ? "" : ", ") + fidelity_label(s.test_hp.at(space)) + " " + space;
  return out;
}

/// "macro" or "tss and macro": names in a sentence.
std::string words_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

/// The mark of results searched on test accuracy (CellReport::searched_on_test_accuracy), beside †
/// (weight-sharing rows) and ‡ (accuracies the benchmark lacks): their numbers are not held-out
/// estimates, and a reader comparing them with the other spaces' must know.
std::string test_search_mark(const CellReport& c) { return c.searched_on_test_accuracy ? " §" : ""; }

/// The same mark for a space and dataset's columns and headings: some cell there was searched on test accuracy.
std::string test_search_mark(const ReportSummary& s, const std::string& space, const std::string& dataset) {
  const bool marked = std::any_of(s.cells.begin(), s.cells.end(), [&](const CellReport& c) {
    return c.space == space && c.dataset == dataset && c.searched_on_test_accuracy;
  });
  return marked ? " §" : "";
}

std::string render_metadata(const ReportSummary& s) {
  std::ostringstream md;
  const auto value = [&](const std::string& key) {
    const std::string v = metadata_value(s.metadata, key);
    return v.empty() ? std::string("—") : md_cell(v);
  };
  md << "| | |\n|---|---|\n";
  md << "| config hash | " << value("config_hash") << " |\n";
  md << "| nas version | " << value("nas_version") << " |\n";
  md << "| search spaces | ";
  for (std::size_t i = 0; i < s.spaces.size(); ++i) md << (i ? ", " : "") << s.spaces[i];
  md << " |\n";
  for (const auto& space : s.spaces) {
    md << "| " << space << " benchmark | " << value("benchmark_path." + space) << " |\n";
    md << "| " << space << " benchmark checksum | " << value("benchmark_checksum." + space) << " (verified) |\n";
  }
  md << "| created | " << value("created_at") << " |\n";
  md << "| runs | " << s.num_runs << " |\n";
  md << "| algorithms | " << s.algorithms.size() << " |\n\n";
  return md.str();
}

/// Whether any of an algorithm's cells is a weight-sharing search (the table marks its row).
bool is_weight_sharing(const ReportSummary& s, const std::string& algorithm) {
  return std::any_of(s.cells.begin(), s.cells.end(),
                     [&](const CellReport& c) { return c.algorithm == algorithm && c.weight_sharing; });
}

bool any_unavailable(const ReportSummary& s) {
  return std::any_of(s.cells.begin(), s.cells.end(), [](const CellReport& c) { return !c.unavailable.empty(); });
}

/// The footnote of the table's weight-sharing rows: what their numbers are, and what they cost (their
/// search time is real training, not comparable to the simulated seconds of the others).
std::string render_search_costs(const ReportSummary& s) {
  if (s.weight_sharing.empty()) return "";
  std::ostringstream md;
  md << "† Weight-sharing search: it trains a supernet instead of querying the benchmark, so it has no "
        "trajectory to interpolate in; its values are those of the architecture it settled on, as in "
        "NATS-Bench's weight-sharing rows. Search cost (wall time of the supernet training, mean ± "
        "population std over runs):\n\n"
     << "| algorithm | space | dataset | runs | search wall time (s) | device |\n|---|---|---|---|---|---|\n";
  for (const auto& c : s.cells) {
    if (!c.weight_sharing) continue;
    std::string devices;
    for (const auto& d : c.devices) devices += (devices.empty() ? "" : ", ") + md_cell(d);
    md << "| " << md_cell(c.algorithm) << " | " << c.space << " | " << c.dataset << " | " << c.runs << " | "
       << md_statistic(c.search_wall_seconds, c.runs) << " | " << (devices.empty() ? "—" : devices) << " |\n";
  }
  md << "\n";
  return md.str();
}

/// One accuracy of the table: the statistic, or, when no run of the cell has the value, the plain
/// statement that the benchmark lacks it (listed in the section below the table).
std::string md_table_value(const Statistic& s, std::size_t runs) {
  return s.count == 0 ? std::string("unavailable ‡") : md_statistic(s, runs);
}

/// The (space, dataset) column groups of the table: the space-major order of the experiment, only
/// pairs that have runs.
std::vector<std::pair<std::string, std::string>> table_columns(const ReportSummary& s) {
  std::vector<std::pair<std::string, std::string>> columns;
  for (const auto& space : s.spaces) {
    for (const auto& dataset : s.datasets) {
      const bool used = std::any_of(s.cells.begin(), s.cells.end(),
                                    [&](const CellReport& c) { return c.space == space && c.dataset == dataset; });
      if (used) columns.emplace_back(space, dataset);
    }
  }
  return columns;
}

/// What the valid columns hold, asked of the experiment's spaces: the final fidelity, the schedule a
/// space falls back to where the final one has no validation accuracy (NATS-Bench: the search's hp
/// 12), and the datasets whose validation accuracy is another dataset key's (cifar10: cifar10-valid).
std::string valid_sentence(const ReportSummary& s) {
  std::set<int> fallbacks;
  std::vector<std::string> elsewhere;
  bool any_split = false;
  for (const auto& space : s.spaces) {
    const bench::SpaceDefinition& definition = bench::find_space(space);
    for (const auto& dataset : s.datasets) {
      const auto source = definition.resolve_split(bench::parse_dataset(dataset), bench::Split::Valid);
      if (!source) continue;
      any_split = true;
      if (!definition.fidelities().empty() && definition.search_hp() != definition.final_hp()) {
        fallbacks.insert(definition.search_hp());
      }
      if (bench::dataset_name(source->dataset) == dataset) continue;
      const std::string clause = dataset + " validation is " + std::string(bench::dataset_name(source->dataset)) + "'s " +
                                 std::string(bench::eval_set_name(source->set)) + " set";
      if (std::find(elsewhere.begin(), elsewhere.end(), clause) == elsewhere.end()) elsewhere.push_back(clause);
    }
  }
  if (!any_split) return "Valid: none of these spaces has a validation split.";
  std::string out = "Valid: seed mean at the final fidelity";
  if (!fallbacks.empty()) {
    out += ", or at hp " + hp_list(fallbacks) + " where the benchmark has no final-fidelity validation accuracy";
  }
  out += " (the hp is in each column header";
  for (const auto& clause : elsewhere) out += "; " + clause;
  return out + ").";
}

/// The spaces of the table's columns that have no validation split on the column's dataset.
std::vector<std::string> spaces_without_validation(const std::vector<std::pair<std::string, std::string>>& columns) {
  std::vector<std::string> out;
  for (const auto& [space, dataset] : columns) {
    if (!has_validation_split(space, dataset) && std::find(out.begin(), out.end(), space) == out.end()) out.push_back(space);
  }
  return out;
}

/// The footnote of the § columns: the runs there chose by the test accuracy the table reports (the
/// space has no validation split), so their numbers are not held-out estimates.
std::string render_test_search_note(const ReportSummary& s) {
  std::ostringstream md;
  for (const auto& space : s.spaces) {
    const bool marked = std::any_of(s.cells.begin(), s.cells.end(),
                                    [&](const CellReport& c) { return c.space == space && c.searched_on_test_accuracy; });
    if (!marked) continue;
    // The words of the note every such run carries (query_searcher.cpp).
    md << "§ Searched on test accuracy: the " << space << " benchmark has no validation split, so the result is not "
       << "a held-out estimate (the search chose by accuracy on the same test set these columns report).\n\n";
  }
  return md.str();
}

std::string render_table(const ReportSummary& s) {
  std::ostringstream md;
  const auto columns = table_columns(s);
  const std::vector<std::string> without_validation = spaces_without_validation(columns);
  md << "## Accuracy at the budget\n\n"
     << "Mean ± population std over runs of the accuracy of the incumbent at the time budget, one row per "
        "algorithm, the columns of each search space side by side. As in NATS-Bench (draw-table.py), each "
        "run's value is interpolated linearly in time between its two trajectory points nearest the budget; "
        "runs with a query budget, or a single point, use their final incumbent. Test: seed mean at the "
        "space's final fidelity ("
     << test_fidelities(s) << "). " << valid_sentence(s)
     << " —: the algorithm has no runs there (it does not search that space, or the grid did not ask for it)";
  if (!without_validation.empty()) {
    md << ", or, in the valid columns of " << words_list(without_validation)
       << ", the space has no validation split to take a value from";
  }
  md << ".\n\n";
  md << "| algorithm |";
  for (const auto& [space, dataset] : columns) {
    const std::string mark = test_search_mark(s, space, dataset);
    const std::optional<int> test_hp = s.test_hp.at(space);
    if (!has_validation_split(space, dataset)) {
      md << " " << space_dataset(space, dataset) << " valid" << mark << " |";
    } else {
      std::set<int> hps;
      for (const auto& c : s.cells) {
        if (c.space == space && c.dataset == dataset) hps.insert(c.at_budget.valid_hps.begin(), c.at_budget.valid_hps.end());
      }
      // No run with a validation accuracy: name the schedule it was looked up at, the final one.
      if (hps.empty() && test_hp) hps.insert(*test_hp);
      md << " " << space_dataset(space, dataset) << " valid (" << (test_hp ? "hp " + hp_list(hps) : fidelity_label(test_hp))
         << ")" << mark << " |";
    }
    md << " " << space_dataset(space, dataset) << " test (" << fidelity_label(test_hp) << ")" << mark << " |";
  }
  md << "\n|---|";
  for (std::size_t i = 0; i < columns.size(); ++i) md << "---|---|";
  md << "\n";
  for (const auto& algorithm : s.algorithms) {
    md << "| " << md_cell(algorithm) << (is_weight_sharing(s, algorithm) ? " †" : "") << " |";
    for (const auto& [space, dataset] : columns) {
      const CellReport* c = s.cell(algorithm, space, dataset);
      if (c == nullptr) {
        md << " — | — |";
      } else {
        // Without a validation split there is nothing the benchmark lacks: there is no such value.
        const std::string valid =
            has_validation_split(space, dataset) ? md_table_value(c->at_budget.valid, c->runs) : std::string("—");
        md << " " << valid << " | " << md_table_value(c->at_budget.test, c->runs) << " |";
      }
    }
    md << "\n";
  }
  md << "\n" << render_search_costs(s) << render_test_search_note(s);
  if (any_unavailable(s)) {
    md << "‡ The benchmark holds no final-fidelity record of the architectures these runs found, so their "
          "accuracy is unavailable; where only some runs have one, the statistic covers those (\"k of n runs\"). "
          "See \"Architectures without benchmark accuracy\".\n\n";
  }
  return md.str();
}

/// The runs that ended on an architecture the benchmark has no final-fidelity record of: what is
/// known about it (the config and its exact cost) instead of an accuracy.
std::string render_unavailable(const ReportSummary& s) {
  if (!any_unavailable(s)) return "";
  std::ostringstream md;
  md << "## Architectures without benchmark accuracy\n\n"
     << "These runs ended on architectures of which the benchmark holds no final-fidelity record, so their "
        "accuracy is unavailable: it is not estimated, and they count in no mean above. Params and FLOPs are "
        "exact (computed from the network, as the benchmark defines them).";
  for (const auto& space : s.spaces) {
    const bool in_space = std::any_of(s.cells.begin(), s.cells.end(),
                                      [&](const CellReport& c) { return c.space == space && !c.unavailable.empty(); });
    if (!in_space) continue;
    md << " The " << space << " benchmark is " << md_cell(metadata_value(s.metadata, "benchmark_path." + space))
       << "; to score every architecture, " << bench::find_space(space).how_to_import() << ".";
  }
  md << "\n\n| algorithm | space | dataset | arch | index | params (M) | FLOPs (M) | runs | test accuracy |\n"
     << "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& c : s.cells) {
    for (const auto& u : c.unavailable) {
      md << "| " << md_cell(c.algorithm) << " | " << c.space << test_search_mark(c) << " | " << c.dataset << " | "
         << md_code(u.arch) << " | " << u.index << " | " << fixed(u.params_m, 6) << " | " << fixed(u.flops_m, 5) << " | "
         << u.runs << " of " << c.runs << " | unavailable (no " << fidelity_label(s.test_hp.at(c.space)) << " record) |\n";
    }
  }
  md << "\n";
  return md.str();
}

std::string render_anytime(const ReportSummary& s, const std::vector<PlotResult>& plots) {
  if (s.anytime.empty()) return "";  // only weight-sharing searches: no simulated time to plot against
  std::ostringstream md;
  // Spaces whose data records no times are plotted against queries (AnytimeData::by_queries).
  std::vector<std::string> by_queries;
  for (const auto& data : s.anytime) {
    if (data.by_queries && std::find(by_queries.begin(), by_queries.end(), data.space) == by_queries.end()) {
      by_queries.push_back(data.space);
    }
  }
  md << "## Anytime performance\n\n"
     << "Test accuracy (" << test_fidelities(s) << ") of the incumbent against simulated seconds";
  if (!by_queries.empty()) {
    md << ", or, on " << words_list(by_queries) << ", whose data records no times, against the number of queries";
  }
  std::vector<std::string> log_axis;
  for (const auto& data : s.anytime) {
    if (data.log_seconds && std::find(log_axis.begin(), log_axis.end(), data.space) == log_axis.end()) log_axis.push_back(data.space);
  }
  md << ": mean ± 1 std "
     << "over runs on " << kAnytimeGridPoints << " points from 0 to the budget";
  if (!log_axis.empty()) {
    md << " (on " << words_list(log_axis) << " log-spaced from the first evaluation, on a log-scale time axis)";
  }
  if (!by_queries.empty()) md << " (whole numbers of queries on a query axis)";
  md << "; a run counts from its "
     << "first evaluation on, and only while its incumbent has a test accuracy in the benchmark.";
  if (!s.weight_sharing.empty()) md << " Weight-sharing searches are left out: they have no simulated-time trajectory.";
  md << "\n\n";
  for (const auto& plot : plots) {
    md << "### " << space_dataset(plot.space, plot.dataset) << test_search_mark(s, plot.space, plot.dataset) << "\n\n";
    if (plot.rendered) md << "![anytime " << space_dataset(plot.space, plot.dataset) << "](" << plot.base << ".png)\n\n";
    if (!plot.note.empty()) md << plot.note << "\n\n";
    md << "Data: [" << plot.base << ".dat](" << plot.base << ".dat)\n\n";
  }
  return md.str();
}

std::string render_overview(const ReportSummary& s) {
  std::ostringstream md;
  md << "## Cross-seed comparison\n\n"
     << "What the runs of each algorithm found (their final architecture). Classes: isomorphism classes "
        "(architectures computing the same function merged; in sss every config is its own class). Edit "
        "distance: number of decisions on which two runs' architectures differ, averaged over all pairs of "
        "runs.\n\n";
  md << "| algorithm | space | dataset | runs | distinct archs | distinct classes | mean edit distance | most frequent arch | "
        "index | count | test |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& c : s.cells) {
    const CrossSeed& x = c.cross_seed;
    md << "| " << md_cell(c.algorithm) << " | " << c.space << test_search_mark(c) << " | " << c.dataset << " | " << c.runs
       << " | " << x.distinct_archs << " | " << x.distinct_classes << " | "
       << (x.mean_edit_distance ? fixed(*x.mean_edit_distance, 2) : "—") << " | ";
    if (x.top_archs.empty()) {
      md << "— | — | — | — |\n";
    } else {
      const ArchFrequency& top = x.top_archs.front();
      md << md_code(top.arch) << " | " << top.index << " | " << top.count << " | " << md_test_accuracy(top.test_accuracy)
         << " |\n";
    }
  }
  md << "\n";
  return md.str();
}

std::string render_cell_details(const CellReport& c, const std::string& test_fidelity) {
  std::ostringstream md;
  const CrossSeed& x = c.cross_seed;
  md << "### " << md_cell(c.algorithm) << " on " << space_dataset(c.space, c.dataset) << test_search_mark(c) << "\n\n";
  md << "Top architectures (" << x.distinct_archs << " distinct in " << c.runs << " runs):\n\n"
     << "| # | arch | index | runs | test (" << test_fidelity << ") |\n|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < x.top_archs.size(); ++i) {
    const ArchFrequency& f = x.top_archs[i];
    md << "| " << i + 1 << " | " << md_code(f.arch) << " | " << f.index << " | " << f.count << " | "
       << md_test_accuracy(f.test_accuracy) << " |\n";
  }
  if (x.top_class_count > 0) {
    md << "\nMost frequent class (" << x.distinct_classes << " distinct): " << x.top_class_count << " runs, "
       << md_code(x.top_class);
    // In sss a class is one arch; naming it twice would say nothing.
    if (x.top_class != x.top_class_member.arch) {
      md << ", e.g. " << md_code(x.top_class_member.arch) << " (index " << x.top_class_member.index << ")";
    }
    md << ".\n";
  }
  if (!x.decisions.empty()) {
    md << "\nFraction of runs choosing each option:\n\n| decision |";
    for (const auto& choice : x.decisions.front().choices) md << " " << md_cell(choice) << " |";
    md << "\n|---|";
    for (std::size_t i = 0; i < x.decisions.front().choices.size(); ++i) md << "---|";
    md << "\n";
    for (const auto& d : x.decisions) {
      md << "| " << md_cell(d.decision) << " |";
      for (double f : d.fractions) md << " " << fixed(f, 2) << " |";
      md << "\n";
    }
  }
  md << "\n";
  return md.str();
}

/// The epochs a run's derived-arch table lists: where the derived architecture changed, and the last
/// one (every epoch is in the .dat file and summary.json; 50 near-identical rows would say less).
std::vector<std::size_t> epochs_to_list(const WeightSharingRun& run) {
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i < run.epochs.size(); ++i) {
    const bool changed = i == 0 || run.epochs[i].derived_arch != run.epochs[i - 1].derived_arch;
    if (changed || i + 1 == run.epochs.size()) rows.push_back(i);
  }
  return rows;
}

std::string render_derived_archs(const WeightSharingRun& run, const std::string& test_fidelity) {
  std::ostringstream md;
  md << "| epoch | derived arch | test (" << test_fidelity << ") | valid (search) | tau | epoch seconds |\n"
     << "|---|---|---|---|---|---|\n";
  for (const std::size_t i : epochs_to_list(run)) {
    const auto& e = run.epochs[i];
    md << "| " << e.epoch << " | " << e.derived_arch << " | " << md_test_accuracy(run.derived_test_accuracy[i]) << " | "
       << fixed(e.valid_accuracy, 2) << " | " << (e.tau > 0 ? fixed(e.tau, 3) : "—") << " | " << fixed(e.seconds, 1)
       << " |\n";
  }
  return md.str();
}

std::string render_weight_sharing_run(const WeightSharingData& data, const WeightSharingRun& run,
                                      const std::string& test_fidelity, const WeightSharingPlots& plots) {
  std::ostringstream md;
  md << "#### seed " << run.seed << "\n\n";
  if (run.epochs.empty()) return md.str() + "No epoch records were stored for this run.\n\n";
  const auto it = plots.find({data.algorithm, data.space, data.dataset, run.seed});
  if (it != plots.end()) {
    const WeightSharingPlot& p = it->second;
    if (p.curves) md << "![search curves](" << p.base << "-curves.png)\n";
    if (p.probabilities) md << "![architecture probabilities](" << p.base << "-probabilities.png)\n";
    if (!p.note.empty()) md << "\n" << p.note << "\n";
    md << "\nData: [" << p.base << "-curves.dat](" << p.base << "-curves.dat)";
    if (!run.epochs.front().arch_probabilities.empty()) {
      md << ", [" << p.base << "-probabilities.dat](" << p.base << "-probabilities.dat)";
    }
    md << "\n\n";
  }
  md << "Derived architecture (epochs where it changed, and the last):\n\n" << render_derived_archs(run, test_fidelity) << "\n";
  return md.str();
}

std::string render_weight_sharing(const ReportSummary& s, const WeightSharingPlots& plots) {
  if (s.weight_sharing.empty()) return "";
  std::ostringstream md;
  md << "## Weight-sharing searches\n\n"
     << "Each search epoch by epoch: the supernet's training loss and accuracy, the architecture step's "
        "accuracy (where the method has one), the validation accuracy of the architecture derived at that "
        "epoch, and its test accuracy in the benchmark ("
     << test_fidelities(s)
     << "); for methods with architecture parameters, each decision's choice probabilities. Plots and tables for "
        "the first "
     << kPlottedWeightSharingRuns << " seeds of each algorithm, space and dataset; summary.json has every run.\n\n";
  for (const auto& data : s.weight_sharing) {
    const std::string test_fidelity = fidelity_label(s.test_hp.at(data.space));
    md << "### " << md_cell(data.algorithm) << " on " << space_dataset(data.space, data.dataset) << "\n\n"
       << "| seed | final arch | index | test (" << test_fidelity << ") | epochs | search wall time (s) | device |\n"
       << "|---|---|---|---|---|---|---|\n";
    for (const auto& run : data.runs) {
      md << "| " << run.seed << " | " << md_code(run.arch_string) << " | " << run.arch << " | "
         << md_test_accuracy(run.test_accuracy) << " | " << run.epochs.size() << " | " << fixed(run.search_wall_seconds, 1)
         << " | " << (run.device.empty() ? "—" : md_cell(run.device)) << " |\n";
    }
    md << "\n";
    for (const auto& run : data.runs) {
      if (run.plotted) md << render_weight_sharing_run(data, run, test_fidelity, plots);
    }
  }
  return md.str();
}

}  // namespace

std::string render_markdown(const std::string& dir, const ReportSummary& s, const std::vector<PlotResult>& plots,
                            const WeightSharingPlots& ws_plots) {
  std::ostringstream md;
  std::string folder = dir;
  while (folder.size() > 1 && folder.back() == '/') folder.pop_back();  // "out/" names "out" too
  const std::string title = s.name.empty() ? std::filesystem::path(folder).filename().string() : s.name;
  md << "# Experiment report: " << title << "\n\n";
  md << render_metadata(s);
  if (s.num_runs == 0) {
    md << "The results store holds no finished runs yet.\n";
    return md.str();
  }
  md << render_table(s) << render_unavailable(s) << render_anytime(s, plots) << render_overview(s);
  for (const auto& c : s.cells) md << render_cell_details(c, fidelity_label(s.test_hp.at(c.space)));
  md << render_weight_sharing(s, ws_plots);
  md << "Machine-readable: [summary.json](summary.json).\n";
  return md.str();
}

}  // namespace nas::experiments::report_detail

// The report model: build_report() reads DIR/results.sqlite, opens and verifies the benchmarks the
// experiment ran on, groups the runs by (algorithm, space, dataset) and computes every statistic of
// the report (report.h, items 1 to 5). It writes nothing; report_json.cpp, report_markdown.cpp and
// report_plots.cpp render what it computes.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <unordered_map>
#include <yaml-cpp/yaml.h>

#include "nas/benchmark_api/error.h"
#include "report.h"
#include "report_internal.h"
#include "results_store.h"
#include "run.h"

namespace nas::experiments {
namespace {

using report_detail::metadata_value;
using StoredRun = ResultsStore::StoredRun;
using RunGroup = std::vector<const StoredRun*>;

// ---------------------------------------------------------------------------------------------
// The benchmark the experiment ran on

std::string hex_checksum(std::uint64_t checksum) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(checksum));
  return text;
}

std::uint64_t parse_checksum(const std::string& text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value, 16);
  if (text.empty() || text.size() > 16 || ec != std::errc() || stop != end) {
    throw Error("the experiment's benchmark_checksum '" + text + "' is not a 16-digit hex checksum");
  }
  return value;
}

/// The experiment's spaces, in its order (metadata "spaces": "tss,sss").
std::vector<std::string> recorded_spaces(const std::map<std::string, std::string>& metadata) {
  std::vector<std::string> spaces;
  std::stringstream list(metadata_value(metadata, "spaces"));
  for (std::string name; std::getline(list, name, ',');) {
    spaces.emplace_back(bench::space_name(bench::parse_space(name)));  // checks the name
  }
  if (spaces.empty()) throw Error("the experiment records no search spaces, so its benchmarks cannot be opened");
  return spaces;
}

/// Opens the benchmark of one space named in the metadata and checks it is the very data the runs
/// were scored on.
bench::Benchmark open_verified_benchmark(const std::map<std::string, std::string>& metadata,
                                         const std::string& space_name) {
  const bench::Space space = bench::parse_space(space_name);
  const std::string path = metadata_value(metadata, "benchmark_path." + space_name);
  if (path.empty()) throw Error("the experiment records no " + space_name + " benchmark");
  const bool shipped = path == "shipped";
  bench::Benchmark benchmark = shipped ? bench::Benchmark::open_default(space) : bench::Benchmark::open(path);
  if (benchmark.space() != space) {
    throw Error("benchmark " + path + " is a " + std::string(bench::space_name(benchmark.space())) +
                " benchmark, but the experiment searched " + space_name + " with it");
  }
  const std::string recorded = metadata_value(metadata, "benchmark_checksum." + space_name);
  if (recorded.empty()) {
    throw Error("the experiment records no " + space_name + " benchmark checksum, so its benchmark cannot be checked");
  }
  if (benchmark.store().checksum() != parse_checksum(recorded)) {
    const std::string where = shipped ? bench::Benchmark::default_path(benchmark.space()) : path;
    throw Error("benchmark " + where + " has checksum " + hex_checksum(benchmark.store().checksum()) +
                ", but the experiment ran on " + recorded + ": a report from it would describe other data");
  }
  return benchmark;
}

// ---------------------------------------------------------------------------------------------
// Accuracies of architectures, looked up once each

struct Reported {
  std::optional<double> valid, test;
  int valid_hp = 0;
};

/// Reported accuracies per (arch, dataset) of one space's benchmark: thousands of runs share a few
/// hundred incumbents, and the anytime curves look every trajectory point up.
class AccuracyCache {
 public:
  explicit AccuracyCache(const bench::Benchmark& benchmark) : benchmark_(benchmark) {}
  const bench::Benchmark& benchmark() const { return benchmark_; }

  const Reported& of(bench::ArchId arch, bench::Dataset dataset) {
    const std::uint64_t key = (static_cast<std::uint64_t>(dataset) << 32) | arch;
    if (const auto it = cache_.find(key); it != cache_.end()) return it->second;
    // The same lookup a run reports its result with, so the table and a run's own numbers agree.
    RunOutcome probe;
    probe.index = arch;
    fill_reported_accuracies(probe, dataset, benchmark_);
    return cache_.emplace(key, Reported{probe.valid_accuracy, probe.test_accuracy, probe.valid_hp}).first->second;
  }

 private:
  const bench::Benchmark& benchmark_;
  std::unordered_map<std::uint64_t, Reported> cache_;
};

// ---------------------------------------------------------------------------------------------
// 1. Accuracy at the budget (draw-table.py)

struct RunAccuracy {
  std::optional<double> valid, test;
  std::set<int> valid_hps;  ///< both points' when interpolated
};

RunAccuracy accuracy_of(const Reported& r) {
  RunAccuracy out{r.valid, r.test, {}};
  if (r.valid) out.valid_hps.insert(r.valid_hp);
  return out;
}

/// Indices of the two points whose time is nearest the budget, in the order a stable sort by
/// |time - budget| puts them (draw-table.py): on ties the earlier point comes first.
std::pair<std::size_t, std::size_t> nearest_two(const std::vector<algorithms::TrajectoryPoint>& points,
                                                double budget) {
  std::size_t first = 0, second = 1;
  if (std::abs(points[1].simulated_seconds - budget) < std::abs(points[0].simulated_seconds - budget)) {
    std::swap(first, second);
  }
  for (std::size_t i = 2; i < points.size(); ++i) {
    const double d = std::abs(points[i].simulated_seconds - budget);
    if (d < std::abs(points[first].simulated_seconds - budget)) {
      second = first;
      first = i;
    } else if (d < std::abs(points[second].simulated_seconds - budget)) {
      second = i;
    }
  }
  return {first, second};
}

/// The line through (ta, ya) and (tb, yb) at t (draw-table.py's interpolation).
std::optional<double> interpolate(double ta, const std::optional<double>& ya, double tb,
                                  const std::optional<double>& yb, double t) {
  if (!ya || !yb) return std::nullopt;
  return (tb - t) / (tb - ta) * *ya + (t - ta) / (tb - ta) * *yb;
}

RunAccuracy accuracy_at_budget(const StoredRun& run, bench::Dataset dataset, AccuracyCache& cache) {
  const auto& points = run.outcome.trajectory;
  // Query budgets, and runs with a single point, have no time to interpolate in: the final incumbent.
  if (points.size() < 2 || run.budget_seconds <= 0) {
    return accuracy_of(cache.of(points.empty() ? run.outcome.index : points.back().incumbent, dataset));
  }
  // Outside the trajectory's time span draw-table.py would extrapolate a step function along the line
  // through its two end points (its runs always overshoot the budget, so it never did); the incumbent
  // at the nearest end is what the run actually had.
  if (run.budget_seconds >= points.back().simulated_seconds) return accuracy_of(cache.of(points.back().incumbent, dataset));
  if (run.budget_seconds <= points.front().simulated_seconds) return accuracy_of(cache.of(points.front().incumbent, dataset));
  const auto [a, b] = nearest_two(points, run.budget_seconds);
  const double ta = points[a].simulated_seconds, tb = points[b].simulated_seconds;
  // Two evaluations at the same instant (draw-table.py would divide by zero): the state after both.
  if (ta == tb) return accuracy_of(cache.of(points[std::max(a, b)].incumbent, dataset));
  const Reported& ra = cache.of(points[a].incumbent, dataset);
  const Reported& rb = cache.of(points[b].incumbent, dataset);
  RunAccuracy out;
  out.test = interpolate(ta, ra.test, tb, rb.test, run.budget_seconds);
  out.valid = interpolate(ta, ra.valid, tb, rb.valid, run.budget_seconds);
  if (out.valid) out.valid_hps = {ra.valid_hp, rb.valid_hp};
  return out;
}

AtBudget at_budget_of(const RunGroup& runs, bench::Dataset dataset, AccuracyCache& cache) {
  std::vector<double> valids, tests;
  AtBudget out;
  for (const StoredRun* run : runs) {
    const RunAccuracy r = accuracy_at_budget(*run, dataset, cache);
    if (r.test) tests.push_back(*r.test);
    if (r.valid) valids.push_back(*r.valid);
    out.valid_hps.insert(r.valid_hps.begin(), r.valid_hps.end());
  }
  out.valid = statistic_of(valids);
  out.test = statistic_of(tests);
  return out;
}

// ---------------------------------------------------------------------------------------------
// 3. Cross-seed comparison

ArchFrequency arch_frequency(bench::ArchId arch, std::size_t count, bench::Dataset dataset,
                             const bench::SearchSpace& space, AccuracyCache& cache) {
  return {arch, space.format(arch), count, cache.of(arch, dataset).test};
}

/// Archs by how many runs found them, most frequent first (ties: lowest index).
std::vector<std::pair<bench::ArchId, std::size_t>> ranked(const std::map<bench::ArchId, std::size_t>& counts) {
  std::vector<std::pair<bench::ArchId, std::size_t>> order(counts.begin(), counts.end());
  std::stable_sort(order.begin(), order.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  return order;
}

/// Per decision, how many runs picked each choice.
std::vector<std::vector<std::size_t>> choice_counts(const RunGroup& runs, const bench::SearchSpace& space) {
  std::vector<std::vector<std::size_t>> counts(static_cast<std::size_t>(space.num_decisions()));
  for (std::size_t d = 0; d < counts.size(); ++d) counts[d].assign(static_cast<std::size_t>(space.num_choices(static_cast<int>(d))), 0);
  for (const StoredRun* run : runs) {
    const std::vector<int> choices = space.decisions(run->outcome.index);
    for (std::size_t d = 0; d < counts.size(); ++d) ++counts[d][static_cast<std::size_t>(choices[d])];
  }
  return counts;
}

std::vector<DecisionFrequencies> decision_frequencies(const std::vector<std::vector<std::size_t>>& counts,
                                                      std::size_t runs, const bench::SearchSpace& space) {
  std::vector<DecisionFrequencies> out;
  for (std::size_t d = 0; d < counts.size(); ++d) {
    DecisionFrequencies f;
    f.decision = space.decision_name(static_cast<int>(d));
    for (std::size_t c = 0; c < counts[d].size(); ++c) {
      f.choices.push_back(space.choice_name(static_cast<int>(d), static_cast<int>(c)));
      f.fractions.push_back(runs == 0 ? 0.0 : static_cast<double>(counts[d][c]) / static_cast<double>(runs));
    }
    out.push_back(std::move(f));
  }
  return out;
}

/// Mean edit distance over all pairs of runs, from the choice counts: on decision d, the pairs that
/// differ are all pairs minus those agreeing, (n² − Σ_c count_c²) / 2. Exact, and linear in the
/// number of runs where comparing every pair would be quadratic.
std::optional<double> mean_edit_distance(const std::vector<std::vector<std::size_t>>& counts, std::size_t runs) {
  if (runs < 2) return std::nullopt;
  const double n = static_cast<double>(runs);
  double differing = 0;
  for (const auto& decision : counts) {
    double agreeing = 0;
    for (std::size_t c : decision) agreeing += static_cast<double>(c) * static_cast<double>(c);
    differing += (n * n - agreeing) / 2;
  }
  return differing / (n * (n - 1) / 2);
}

CrossSeed cross_seed_of(const RunGroup& runs, bench::Dataset dataset, const bench::SearchSpace& space,
                        AccuracyCache& cache) {
  CrossSeed out;
  std::map<bench::ArchId, std::size_t> found;
  for (const StoredRun* run : runs) ++found[run->outcome.index];
  out.distinct_archs = found.size();
  const auto order = ranked(found);
  for (std::size_t i = 0; i < order.size() && i < kTopArchs; ++i) {
    out.top_archs.push_back(arch_frequency(order[i].first, order[i].second, dataset, space, cache));
  }

  const auto counts = choice_counts(runs, space);
  out.decisions = decision_frequencies(counts, runs.size(), space);
  out.mean_edit_distance = mean_edit_distance(counts, runs.size());

  // Isomorphic cells compute the same function: merging them shows whether runs that "disagree" on
  // the arch string actually found the same network.
  std::map<bench::ArchId, std::string> form_of;
  std::map<std::string, std::size_t> classes;
  for (const auto& [arch, count] : order) {
    form_of[arch] = space.canonical_form(arch);
    classes[form_of[arch]] += count;
  }
  out.distinct_classes = classes.size();
  // Walking the archs in rank order, the first arch seen of the winning class is its most frequent
  // member, and ties between classes go to the one whose member ranks first.
  for (const auto& [arch, count] : order) {
    const std::size_t class_count = classes[form_of[arch]];
    if (class_count <= out.top_class_count) continue;
    out.top_class = form_of[arch];
    out.top_class_count = class_count;
    out.top_class_member = arch_frequency(arch, count, dataset, space, cache);
  }
  return out;
}

/// The final archs of runs whose final-fidelity test accuracy the benchmark does not hold, with their
/// exact cost: what the report can say about them without inventing an accuracy.
std::vector<UnavailableArch> unavailable_archs(const RunGroup& runs, bench::Dataset dataset,
                                               const bench::SearchSpace& space, AccuracyCache& cache) {
  std::map<bench::ArchId, std::size_t> counts;
  for (const StoredRun* run : runs) {
    if (!cache.of(run->outcome.index, dataset).test) ++counts[run->outcome.index];
  }
  std::vector<UnavailableArch> out;
  for (const auto& [arch, count] : counts) {
    const bench::CostInfo cost = cache.benchmark().cost(arch, dataset);
    out.push_back({arch, space.format(arch), cost.params_m, cost.flops_m, count});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 2. Anytime curves

/// Right end of a dataset's time grid: the budget (largest over its runs), or with query budgets the
/// time of the latest evaluation.
double anytime_horizon(const RunGroup& runs) {
  double budget = 0, last = 0;
  for (const StoredRun* run : runs) {
    budget = std::max(budget, run->budget_seconds);
    if (!run->outcome.trajectory.empty()) last = std::max(last, run->outcome.trajectory.back().simulated_seconds);
  }
  return budget > 0 ? budget : last;
}

/// The earliest time any run made its first evaluation (the left end of a log-scale time grid).
double first_evaluation_time(const RunGroup& runs) {
  double first = INFINITY;
  for (const StoredRun* run : runs) {
    for (const auto& point : run->outcome.trajectory) {
      if (point.simulated_seconds > 0) {
        first = std::min(first, point.simulated_seconds);
        break;
      }
    }
  }
  return first;
}

/// kAnytimeGridPoints log-spaced points from `first` to `horizon` (both > 0).
std::vector<double> log_time_grid(double first, double horizon) {
  std::vector<double> grid(kAnytimeGridPoints);
  const double ratio = std::log(horizon / first);
  for (std::size_t i = 0; i < grid.size(); ++i) {
    grid[i] = first * std::exp(ratio * static_cast<double>(i) / static_cast<double>(grid.size() - 1));
  }
  grid.back() = horizon;
  return grid;
}

std::vector<double> time_grid(double horizon) {
  std::vector<double> grid(kAnytimeGridPoints);
  for (std::size_t i = 0; i < grid.size(); ++i) {
    grid[i] = horizon * static_cast<double>(i) / static_cast<double>(grid.size() - 1);
  }
  return grid;
}

/// Right end of a query grid (a space whose data records no times): the query budget (largest over
/// its runs), or without one the queries of the latest evaluation.
std::int64_t query_horizon(const RunGroup& runs) {
  std::int64_t budget = 0, last = 0;
  for (const StoredRun* run : runs) {
    budget = std::max(budget, run->budget_queries);
    if (!run->outcome.trajectory.empty()) last = std::max(last, run->outcome.trajectory.back().queries);
  }
  return budget > 0 ? budget : last;
}

/// Whole numbers of queries from 0 to the horizon: every one while they fit in kAnytimeGridPoints
/// points, else that many spread evenly and rounded (still distinct: they lie over a query apart).
std::vector<double> query_grid(std::int64_t horizon) {
  const auto points = std::min(static_cast<std::size_t>(horizon) + 1, kAnytimeGridPoints);
  std::vector<double> grid(points, 0.0);
  for (std::size_t i = 1; i < grid.size(); ++i) {
    grid[i] = std::round(static_cast<double>(horizon) * static_cast<double>(i) / static_cast<double>(grid.size() - 1));
  }
  return grid;
}

/// Where a trajectory point lies on an anytime grid: its simulated time, or on a grid of queries the
/// number of queries made when it was recorded.
double grid_position(const algorithms::TrajectoryPoint& point, bool by_queries) {
  return by_queries ? static_cast<double>(point.queries) : point.simulated_seconds;
}

/// A run's curve as a step function: at t, the test accuracy of the incumbent of its last point at or
/// before t; none before its first evaluation.
std::vector<std::optional<double>> step_values(const StoredRun& run, const std::vector<double>& grid, bool by_queries,
                                               bench::Dataset dataset, AccuracyCache& cache) {
  const auto& points = run.outcome.trajectory;
  std::vector<std::optional<double>> values(grid.size());
  std::size_t next = 0;  // first point after the current grid time (points are in time order)
  for (std::size_t i = 0; i < grid.size(); ++i) {
    while (next < points.size() && grid_position(points[next], by_queries) <= grid[i]) ++next;
    if (next > 0) values[i] = cache.of(points[next - 1].incumbent, dataset).test;
  }
  return values;
}

AnytimeCurve anytime_curve(const std::string& algorithm, const RunGroup& runs, const std::vector<double>& grid,
                           bool by_queries, bench::Dataset dataset, AccuracyCache& cache) {
  std::vector<std::vector<double>> at(grid.size());
  for (const StoredRun* run : runs) {
    const auto values = step_values(*run, grid, by_queries, dataset, cache);
    for (std::size_t i = 0; i < grid.size(); ++i) {
      if (values[i]) at[i].push_back(*values[i]);
    }
  }
  AnytimeCurve curve;
  curve.algorithm = algorithm;
  for (const auto& values : at) {
    const Statistic s = statistic_of(values);
    curve.mean.push_back(s.count > 0 ? std::optional<double>(s.mean) : std::nullopt);
    curve.std.push_back(s.std);
    curve.runs.push_back(s.count);
  }
  return curve;
}

// ---------------------------------------------------------------------------------------------
// Grouping the runs

/// What the experiment's config (stored with the results) says about presentation: its name and the
/// order it lists algorithms (by label) and datasets in. Empty where the config does not say.
struct ConfigOrder {
  std::string name;
  std::vector<std::string> algorithms, datasets;
};

ConfigOrder config_order(const std::map<std::string, std::string>& metadata) {
  ConfigOrder order;
  try {
    const YAML::Node config = YAML::Load(metadata_value(metadata, "config"));
    if (!config.IsMap()) return order;
    if (config["name"] && config["name"].IsScalar()) order.name = config["name"].as<std::string>();
    if (config["datasets"] && config["datasets"].IsSequence()) {
      for (const auto& d : config["datasets"]) order.datasets.push_back(d.as<std::string>());
    }
    if (config["algorithms"] && config["algorithms"].IsSequence()) {
      for (const auto& a : config["algorithms"]) {
        const YAML::Node label = a["label"] ? a["label"] : a["name"];
        if (label && label.IsScalar()) order.algorithms.push_back(label.as<std::string>());
      }
    }
  } catch (const YAML::Exception&) {
    return {};  // only the order of rows and columns depends on it: fall back to the default order
  }
  return order;
}

/// `names` (in their default order) with those the config lists moved first, in the config's order.
std::vector<std::string> config_first(std::vector<std::string> names, const std::vector<std::string>& listed) {
  std::stable_sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    const auto rank = [&](const std::string& n) { return std::find(listed.begin(), listed.end(), n) - listed.begin(); };
    return rank(a) < rank(b);
  });
  return names;
}

/// The datasets in the order NATS-Bench's tables use.
int dataset_rank(bench::Dataset dataset) {
  switch (dataset) {
    case bench::Dataset::Cifar10: return 0;
    case bench::Dataset::Cifar10Valid: return 1;
    case bench::Dataset::Cifar100: return 2;
    case bench::Dataset::ImageNet16_120: return 3;
  }
  return 4;
}

std::vector<std::string> ordered_datasets(const std::vector<StoredRun>& runs) {
  std::set<std::string> names;
  for (const auto& run : runs) names.insert(run.dataset);
  std::vector<std::string> out(names.begin(), names.end());
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return dataset_rank(bench::parse_dataset(a)) < dataset_rank(bench::parse_dataset(b));
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// 4. Weight-sharing searches

using EpochsByRun = std::map<const StoredRun*, std::vector<algorithms::EpochRecord>>;

/// The epoch records of every weight-sharing run (runs() leaves them in their own table).
EpochsByRun weight_sharing_epochs(const ResultsStore& store, const std::vector<StoredRun>& runs) {
  EpochsByRun out;
  for (const auto& run : runs) {
    // The family is stored with every run (results schema 3), never guessed.
    if (run.outcome.family != algorithms::SearcherFamily::WeightSharing) continue;
    out.emplace(&run, store.epochs({run.algorithm, run.space, run.dataset, run.outcome.seed}));
  }
  return out;
}

/// Mean search wall time and the devices of a weight-sharing cell.
void add_search_costs(CellReport& cell, const RunGroup& runs) {
  std::vector<double> seconds;
  std::set<std::string> devices;
  for (const StoredRun* run : runs) {
    seconds.push_back(run->outcome.search_wall_seconds);
    if (!run->outcome.device.empty()) devices.insert(run->outcome.device);
  }
  cell.search_wall_seconds = statistic_of(seconds);
  cell.devices.assign(devices.begin(), devices.end());
}

WeightSharingData weight_sharing_data(const std::string& algorithm, const std::string& dataset_name,
                                      const RunGroup& runs, const EpochsByRun& epochs,
                                      const bench::SearchSpace& space, AccuracyCache& cache) {
  WeightSharingData data{algorithm, std::string(space.name()), dataset_name, {}, {}, {}};
  for (int d = 0; d < space.num_decisions(); ++d) {
    data.decisions.push_back(space.decision_name(d));
    data.choices.emplace_back();
    for (int c = 0; c < space.num_choices(d); ++c) data.choices.back().push_back(space.choice_name(d, c));
  }
  const bench::Dataset dataset = bench::parse_dataset(dataset_name);
  for (const StoredRun* run : runs) {  // in seed order (runs() sorts them)
    WeightSharingRun r;
    r.seed = run->outcome.seed;
    r.arch = run->outcome.index;
    r.arch_string = space.format(r.arch);
    r.test_accuracy = cache.of(r.arch, dataset).test;
    r.device = run->outcome.device;
    r.search_wall_seconds = run->outcome.search_wall_seconds;
    if (const auto it = epochs.find(run); it != epochs.end()) r.epochs = it->second;
    for (const auto& e : r.epochs) r.derived_test_accuracy.push_back(cache.of(e.derived_arch, dataset).test);
    r.plotted = data.runs.size() < kPlottedWeightSharingRuns;
    data.runs.push_back(std::move(r));
  }
  return data;
}

}  // namespace

const CellReport* ReportSummary::cell(const std::string& algorithm, const std::string& space,
                                      const std::string& dataset) const {
  for (const auto& c : cells) {
    if (c.algorithm == algorithm && c.space == space && c.dataset == dataset) return &c;
  }
  return nullptr;
}

ReportSummary build_report(const std::string& dir) {
  const ResultsStore store = ResultsStore::open_existing(dir);
  ReportSummary summary;
  summary.metadata = store.metadata();
  summary.spaces = recorded_spaces(summary.metadata);
  // One benchmark, search space and accuracy cache per space (map nodes stay put: the caches keep
  // references to their benchmarks).
  std::map<std::string, bench::Benchmark> benchmarks;
  std::map<std::string, std::unique_ptr<bench::SearchSpace>> spaces;
  std::map<std::string, AccuracyCache> caches;
  for (const std::string& space : summary.spaces) {
    const bench::Benchmark& benchmark =
        benchmarks.emplace(space, open_verified_benchmark(summary.metadata, space)).first->second;
    spaces.emplace(space, bench::make_search_space(benchmark.space()));
    caches.emplace(space, AccuracyCache(benchmark));
    // A space without fidelities stores its one record per trial under an internal hp: there is no
    // schedule to name.
    summary.test_hp[space] =
        benchmark.definition().fidelities().empty() ? std::nullopt : std::optional<int>(benchmark.full_hp());
  }

  const std::vector<StoredRun> runs = store.runs(true);
  summary.num_runs = runs.size();
  const ConfigOrder order = config_order(summary.metadata);
  summary.name = order.name;
  summary.datasets = config_first(ordered_datasets(runs), order.datasets);
  std::map<std::string, std::map<std::string, std::map<std::string, RunGroup>>> groups;  // algorithm -> space -> dataset
  for (const auto& run : runs) {
    if (spaces.count(run.space) == 0) {
      throw Error("the results store holds runs on space '" + run.space + "', which the experiment does not list");
    }
    groups[run.algorithm][run.space][run.dataset].push_back(&run);
  }
  for (const auto& entry : groups) summary.algorithms.push_back(entry.first);
  summary.algorithms = config_first(summary.algorithms, order.algorithms);
  const EpochsByRun epochs = weight_sharing_epochs(store, runs);

  for (const std::string& algorithm : summary.algorithms) {
    for (const std::string& space_name : summary.spaces) {
      const auto& by_dataset = groups[algorithm][space_name];
      const bench::SearchSpace& space = *spaces.at(space_name);
      const bench::SpaceDefinition& definition = benchmarks.at(space_name).definition();
      AccuracyCache& cache = caches.at(space_name);
      for (const std::string& dataset_name : summary.datasets) {
        const auto it = by_dataset.find(dataset_name);
        if (it == by_dataset.end()) continue;
        const bench::Dataset dataset = bench::parse_dataset(dataset_name);
        CellReport cell;
        cell.algorithm = algorithm;
        cell.space = space_name;
        cell.dataset = dataset_name;
        cell.runs = it->second.size();
        cell.weight_sharing = std::any_of(it->second.begin(), it->second.end(),
                                          [&](const StoredRun* run) { return epochs.count(run) > 0; });
        for (const StoredRun* run : it->second) {
          // A weight-sharing run's stored time budget bounds nothing it did: reporting it would
          // suggest its number is an accuracy at that budget.
          if (!cell.weight_sharing) cell.budget_seconds = std::max(cell.budget_seconds, run->budget_seconds);
          cell.budget_queries = std::max(cell.budget_queries, run->budget_queries);
        }
        // What a query-based search read (a weight-sharing one trains on its own data split).
        cell.searched_on_test_accuracy = !cell.weight_sharing && definition.search_signal(dataset).is_test_accuracy;
        cell.at_budget = at_budget_of(it->second, dataset, cache);
        cell.cross_seed = cross_seed_of(it->second, dataset, space, cache);
        cell.unavailable = unavailable_archs(it->second, dataset, space, cache);
        if (cell.weight_sharing) {
          add_search_costs(cell, it->second);
          summary.weight_sharing.push_back(weight_sharing_data(algorithm, dataset_name, it->second, epochs, space, cache));
        }
        summary.cells.push_back(std::move(cell));
      }
    }
  }

  for (const std::string& space_name : summary.spaces) {
    for (const std::string& dataset_name : summary.datasets) {
      RunGroup all;
      std::vector<std::pair<std::string, const RunGroup*>> query_based;
      for (const std::string& algorithm : summary.algorithms) {
        const RunGroup& group = groups[algorithm][space_name][dataset_name];
        const CellReport* cell = summary.cell(algorithm, space_name, dataset_name);
        if (group.empty() || cell == nullptr || cell->weight_sharing) continue;  // no simulated-time trajectory
        all.insert(all.end(), group.begin(), group.end());
        query_based.emplace_back(algorithm, &group);
      }
      if (query_based.empty()) continue;
      AnytimeData data;
      data.space = space_name;
      data.dataset = dataset_name;
      // A space whose data records no times spends queries: its evaluations all sit at 0 s.
      data.by_queries = !benchmarks.at(space_name).definition().records_times();
      const double horizon = data.by_queries ? 0 : anytime_horizon(all);
      const double first = data.by_queries ? 0 : first_evaluation_time(all);
      data.log_seconds = !data.by_queries && benchmarks.at(space_name).definition().log_time_axis() && first > 0 &&
                         std::isfinite(first) && horizon > first;
      if (data.by_queries) {
        data.queries = query_grid(query_horizon(all));
      } else if (data.log_seconds) {
        data.seconds = log_time_grid(first, horizon);
      } else {
        data.seconds = time_grid(horizon);
      }
      for (const auto& [algorithm, group] : query_based) {
        data.curves.push_back(anytime_curve(algorithm, *group, data.grid(), data.by_queries,
                                            bench::parse_dataset(dataset_name), caches.at(space_name)));
      }
      summary.anytime.push_back(std::move(data));
    }
  }
  summary.json = report_detail::summary_json(summary);
  return summary;
}

}  // namespace nas::experiments

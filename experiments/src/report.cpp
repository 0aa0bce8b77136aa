// The report of an experiment: computed from DIR/results.sqlite, rendered to Markdown, JSON and plots.
#include "report.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <yaml-cpp/yaml.h>

#include "json_util.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"
#include "results_store.h"
#include "run.h"

namespace nas::experiments {
namespace {

using Json = nlohmann::ordered_json;
using StoredRun = ResultsStore::StoredRun;
using RunGroup = std::vector<const StoredRun*>;


// ---------------------------------------------------------------------------------------------
// The benchmark the experiment ran on

std::string metadata_value(const std::map<std::string, std::string>& metadata, const std::string& key) {
  const auto it = metadata.find(key);
  return it == metadata.end() ? std::string() : it->second;
}

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

std::vector<double> time_grid(double horizon) {
  std::vector<double> grid(kAnytimeGridPoints);
  for (std::size_t i = 0; i < grid.size(); ++i) {
    grid[i] = horizon * static_cast<double>(i) / static_cast<double>(grid.size() - 1);
  }
  return grid;
}

/// A run's curve as a step function: at t, the test accuracy of the incumbent of its last point at or
/// before t; none before its first evaluation.
std::vector<std::optional<double>> step_values(const StoredRun& run, const std::vector<double>& grid,
                                               bench::Dataset dataset, AccuracyCache& cache) {
  const auto& points = run.outcome.trajectory;
  std::vector<std::optional<double>> values(grid.size());
  std::size_t next = 0;  // first point after the current grid time (points are in time order)
  for (std::size_t i = 0; i < grid.size(); ++i) {
    while (next < points.size() && points[next].simulated_seconds <= grid[i]) ++next;
    if (next > 0) values[i] = cache.of(points[next - 1].incumbent, dataset).test;
  }
  return values;
}

AnytimeCurve anytime_curve(const std::string& algorithm, const RunGroup& runs, const std::vector<double>& grid,
                           bench::Dataset dataset, AccuracyCache& cache) {
  std::vector<std::vector<double>> at(grid.size());
  for (const StoredRun* run : runs) {
    const auto values = step_values(*run, grid, dataset, cache);
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
// summary.json


Json json_of(const Statistic& s) {
  return {{"mean", s.count > 0 ? Json(s.mean) : Json(nullptr)},
          {"std", s.count > 0 ? Json(s.std) : Json(nullptr)},
          {"runs", s.count}};
}

Json json_of(const ArchFrequency& f) {
  return {{"arch", f.arch}, {"index", f.index}, {"count", f.count}, {"test_accuracy", json_or_null(f.test_accuracy)}};
}

Json json_of(const CrossSeed& c) {
  Json out;
  out["distinct_archs"] = c.distinct_archs;
  out["most_frequent"] = c.top_archs.empty() ? Json(nullptr) : json_of(c.top_archs.front());
  out["top_archs"] = Json::array();
  for (const auto& f : c.top_archs) out["top_archs"].push_back(json_of(f));
  out["choice_frequencies"] = Json::object();
  for (const auto& d : c.decisions) {
    Json choices = Json::object();
    for (std::size_t i = 0; i < d.choices.size(); ++i) choices[d.choices[i]] = d.fractions[i];
    out["choice_frequencies"][d.decision] = choices;
  }
  out["mean_pairwise_edit_distance"] = json_or_null(c.mean_edit_distance);
  out["isomorphism_classes"] = {
      {"distinct", c.distinct_classes},
      {"most_frequent", c.top_class_count == 0 ? Json(nullptr)
                                               : Json{{"canonical_form", c.top_class},
                                                      {"count", c.top_class_count},
                                                      {"most_frequent_member", json_of(c.top_class_member)}}}};
  return out;
}

Json json_of(const UnavailableArch& u) {
  return {{"arch", u.arch}, {"index", u.index}, {"params_m", u.params_m}, {"flops_m", u.flops_m}, {"runs", u.runs}};
}

Json json_of(const CellReport& cell, int test_hp) {
  Json out;
  out["algorithm"] = cell.algorithm;
  out["space"] = cell.space;
  out["dataset"] = cell.dataset;
  out["runs"] = cell.runs;
  out["family"] = cell.weight_sharing ? "weight-sharing" : "query";
  out["budget_seconds"] = cell.budget_seconds;
  out["budget_queries"] = cell.budget_queries;
  if (cell.weight_sharing) {
    out["search_wall_seconds"] = json_of(cell.search_wall_seconds);
    out["devices"] = cell.devices;
  }
  Json valid = json_of(cell.at_budget.valid);
  valid["hp"] = cell.at_budget.valid_hps;
  Json test = json_of(cell.at_budget.test);
  test["hp"] = test_hp;
  out["at_budget"] = {{"valid", valid}, {"test", test}};
  out["cross_seed"] = json_of(cell.cross_seed);
  // Runs that ended on an arch the benchmark has no final-fidelity record of: no accuracy, said so.
  out["accuracy_unavailable"] = Json::array();
  for (const auto& u : cell.unavailable) out["accuracy_unavailable"].push_back(json_of(u));
  return out;
}

Json json_of(const AnytimeData& data) {
  Json curves = Json::array();
  for (const auto& c : data.curves) {
    Json mean = Json::array();
    for (const auto& m : c.mean) mean.push_back(json_or_null(m));
    curves.push_back({{"algorithm", c.algorithm}, {"mean", mean}, {"std", c.std}, {"runs", c.runs}});
  }
  return {{"space", data.space}, {"dataset", data.dataset}, {"seconds", data.seconds}, {"curves", curves}};
}

Json json_of(const algorithms::EpochRecord& e, const std::optional<double>& derived_test) {
  return {{"epoch", e.epoch},
          {"train_loss", e.train_loss},
          {"train_accuracy", e.train_accuracy},
          {"arch_loss", e.arch_loss},
          {"arch_accuracy", e.arch_accuracy},
          {"valid_accuracy", e.valid_accuracy},
          {"derived_arch", e.derived_arch},
          {"derived_test_accuracy", json_or_null(derived_test)},
          {"tau", e.tau},
          {"seconds", e.seconds},
          {"arch_probabilities", e.arch_probabilities}};
}

Json json_of(const WeightSharingData& data) {
  Json runs = Json::array();
  for (const auto& r : data.runs) {
    Json epochs = Json::array();
    for (std::size_t i = 0; i < r.epochs.size(); ++i) epochs.push_back(json_of(r.epochs[i], r.derived_test_accuracy[i]));
    runs.push_back({{"seed", r.seed},
                    {"arch_index", r.arch},
                    {"test_accuracy", json_or_null(r.test_accuracy)},
                    {"device", r.device},
                    {"search_wall_seconds", r.search_wall_seconds},
                    {"plotted", r.plotted},
                    {"epochs", epochs}});
  }
  return {{"algorithm", data.algorithm},
          {"space", data.space},
          {"dataset", data.dataset},
          {"decisions", data.decisions},
          {"choices", data.choices},
          {"runs", runs}};
}

Json summary_json(const ReportSummary& s) {
  Json out;
  out["schema_version"] = 2;
  out["name"] = s.name;
  out["metadata"] = Json(s.metadata);
  out["runs"] = s.num_runs;
  out["spaces"] = s.spaces;
  out["test_hp"] = Json::object();
  for (const auto& space : s.spaces) out["test_hp"][space] = s.test_hp.at(space);
  out["algorithms"] = s.algorithms;
  out["datasets"] = s.datasets;
  out["results"] = Json::array();
  for (const auto& cell : s.cells) out["results"].push_back(json_of(cell, s.test_hp.at(cell.space)));
  out["anytime"] = Json::array();
  for (const auto& data : s.anytime) out["anytime"].push_back(json_of(data));
  out["weight_sharing"] = Json::array();
  for (const auto& data : s.weight_sharing) out["weight_sharing"].push_back(json_of(data));
  return out;
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

/// A weight-sharing search trains a supernet: it queries nothing, records no trajectory, and leaves
/// epoch records or the device it trained on. A query-based run that stopped before its first
/// evaluation has neither.
bool looks_weight_sharing(const StoredRun& run) {
  return run.outcome.queries == 0 && run.outcome.trajectory.empty();
}

/// The epoch records of every weight-sharing run (runs() leaves them in their own table).
EpochsByRun weight_sharing_epochs(const ResultsStore& store, const std::vector<StoredRun>& runs) {
  EpochsByRun out;
  for (const auto& run : runs) {
    if (!looks_weight_sharing(run)) continue;
    auto epochs = store.epochs({run.algorithm, run.space, run.dataset, run.outcome.seed});
    if (!epochs.empty() || !run.outcome.device.empty()) out.emplace(&run, std::move(epochs));
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
    summary.test_hp[space] = benchmark.full_hp();
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
      data.seconds = time_grid(anytime_horizon(all));
      for (const auto& [algorithm, group] : query_based) {
        data.curves.push_back(
            anytime_curve(algorithm, *group, data.seconds, bench::parse_dataset(dataset_name), caches.at(space_name)));
      }
      summary.anytime.push_back(std::move(data));
    }
  }
  summary.json = summary_json(summary);
  return summary;
}

// =============================================================================================
// Rendering

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

/// "tss cifar10": how headings and columns name a space and dataset.
std::string space_dataset(const std::string& space, const std::string& dataset) { return space + " " + dataset; }

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

std::string render_table(const ReportSummary& s) {
  std::ostringstream md;
  md << "## Accuracy at the budget\n\n"
     << "Mean ± population std over runs of the accuracy of the incumbent at the time budget, one row per "
        "algorithm, the columns of each search space side by side. As in NATS-Bench (draw-table.py), each "
        "run's value is interpolated linearly in time between its two trajectory points nearest the budget; "
        "runs with a query budget, or a single point, use their final incumbent. Test: seed mean at the "
        "space's final fidelity (hp 200 tss, hp 90 sss). Valid: seed mean at the final fidelity, or at hp 12 "
        "where the benchmark has no final-fidelity validation accuracy (the hp is in each column header; "
        "cifar10 validation is cifar10-valid's x-valid set). —: the algorithm has no runs there (it does not "
        "search that space, or the grid did not ask for it).\n\n";
  const auto columns = table_columns(s);
  md << "| algorithm |";
  for (const auto& [space, dataset] : columns) {
    std::set<int> hps;
    for (const auto& c : s.cells) {
      if (c.space == space && c.dataset == dataset) hps.insert(c.at_budget.valid_hps.begin(), c.at_budget.valid_hps.end());
    }
    // No run with a validation accuracy: name the schedule it was looked up at, the final one.
    if (hps.empty()) hps.insert(s.test_hp.at(space));
    md << " " << space_dataset(space, dataset) << " valid (hp " << hp_list(hps) << ") | " << space_dataset(space, dataset)
       << " test (hp " << s.test_hp.at(space) << ") |";
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
        md << " " << md_table_value(c->at_budget.valid, c->runs) << " | " << md_table_value(c->at_budget.test, c->runs)
           << " |";
      }
    }
    md << "\n";
  }
  md << "\n" << render_search_costs(s);
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
       << "; every architecture has a record in the official "
       << (space == "tss" ? "NATS-tss-v1_0-3ffb9-simple" : "NATS-sss-v1_0-50262-simple")
       << " files, imported with `nas bench import nats`.";
  }
  md << "\n\n| algorithm | space | dataset | arch | index | params (M) | FLOPs (M) | runs | test accuracy |\n"
     << "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& c : s.cells) {
    for (const auto& u : c.unavailable) {
      md << "| " << md_cell(c.algorithm) << " | " << c.space << " | " << c.dataset << " | " << md_code(u.arch) << " | "
         << u.index << " | " << fixed(u.params_m, 6) << " | " << fixed(u.flops_m, 5) << " | " << u.runs << " of "
         << c.runs << " | unavailable (no hp " << s.test_hp.at(c.space) << " record) |\n";
    }
  }
  md << "\n";
  return md.str();
}

std::string render_anytime(const ReportSummary& s, const std::vector<PlotResult>& plots) {
  if (s.anytime.empty()) return "";  // only weight-sharing searches: no simulated time to plot against
  std::ostringstream md;
  md << "## Anytime performance\n\n"
     << "Test accuracy (hp 200 tss, hp 90 sss) of the incumbent against simulated seconds: mean ± 1 std "
     << "over runs on " << kAnytimeGridPoints << " points from 0 to the budget; a run counts from its "
     << "first evaluation on, and only while its incumbent has a test accuracy in the benchmark.";
  if (!s.weight_sharing.empty()) md << " Weight-sharing searches are left out: they have no simulated-time trajectory.";
  md << "\n\n";
  for (const auto& plot : plots) {
    md << "### " << space_dataset(plot.space, plot.dataset) << "\n\n";
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
    md << "| " << md_cell(c.algorithm) << " | " << c.space << " | " << c.dataset << " | " << c.runs << " | "
       << x.distinct_archs << " | " << x.distinct_classes << " | "
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

std::string render_cell_details(const CellReport& c, int test_hp) {
  std::ostringstream md;
  const CrossSeed& x = c.cross_seed;
  md << "### " << md_cell(c.algorithm) << " on " << space_dataset(c.space, c.dataset) << "\n\n";
  md << "Top architectures (" << x.distinct_archs << " distinct in " << c.runs << " runs):\n\n"
     << "| # | arch | index | runs | test (hp " << test_hp << ") |\n|---|---|---|---|---|\n";
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

std::string render_derived_archs(const WeightSharingRun& run, int test_hp) {
  std::ostringstream md;
  md << "| epoch | derived arch | test (hp " << test_hp << ") | valid (search) | tau | epoch seconds |\n"
     << "|---|---|---|---|---|---|\n";
  for (const std::size_t i : epochs_to_list(run)) {
    const auto& e = run.epochs[i];
    md << "| " << e.epoch << " | " << e.derived_arch << " | " << md_test_accuracy(run.derived_test_accuracy[i]) << " | "
       << fixed(e.valid_accuracy, 2) << " | " << (e.tau > 0 ? fixed(e.tau, 3) : "—") << " | " << fixed(e.seconds, 1)
       << " |\n";
  }
  return md.str();
}

std::string render_weight_sharing_run(const WeightSharingData& data, const WeightSharingRun& run, int test_hp,
                                      const WeightSharingPlots& plots) {
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
  md << "Derived architecture (epochs where it changed, and the last):\n\n" << render_derived_archs(run, test_hp) << "\n";
  return md.str();
}

std::string render_weight_sharing(const ReportSummary& s, const WeightSharingPlots& plots) {
  if (s.weight_sharing.empty()) return "";
  std::ostringstream md;
  md << "## Weight-sharing searches\n\n"
     << "Each search epoch by epoch: the supernet's training loss and accuracy, the architecture step's "
        "accuracy (where the method has one), the validation accuracy of the architecture derived at that "
        "epoch, and its test accuracy in the benchmark (hp 200 tss, hp 90 sss); for methods with "
        "architecture parameters, each decision's choice probabilities. Plots and tables for the first "
     << kPlottedWeightSharingRuns << " seeds of each algorithm, space and dataset; summary.json has every run.\n\n";
  for (const auto& data : s.weight_sharing) {
    const int test_hp = s.test_hp.at(data.space);
    md << "### " << md_cell(data.algorithm) << " on " << space_dataset(data.space, data.dataset) << "\n\n"
       << "| seed | final arch | index | test (hp " << test_hp << ") | epochs | search wall time (s) | device |\n"
       << "|---|---|---|---|---|---|---|\n";
    for (const auto& run : data.runs) {
      md << "| " << run.seed << " | " << md_code(run.arch_string) << " | " << run.arch << " | "
         << md_test_accuracy(run.test_accuracy) << " | " << run.epochs.size() << " | " << fixed(run.search_wall_seconds, 1)
         << " | " << (run.device.empty() ? "—" : md_cell(run.device)) << " |\n";
    }
    md << "\n";
    for (const auto& run : data.runs) {
      if (run.plotted) md << render_weight_sharing_run(data, run, test_hp, plots);
    }
  }
  return md.str();
}

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
  for (const auto& c : s.cells) md << render_cell_details(c, s.test_hp.at(c.space));
  md << render_weight_sharing(s, ws_plots);
  md << "Machine-readable: [summary.json](summary.json).\n";
  return md.str();
}

// ---------------------------------------------------------------------------------------------
// Files and gnuplot

/// Writes through a temporary file and a rename (AtomicFile), so a reader never sees half a report
/// and a failed write (a full disk) leaves no temporary behind.
void write_file(const std::string& path, const std::string& content) { write_file_atomically(path, content, "report file"); }

/// File names of one space and dataset's anytime plot, without suffix.
std::string anytime_base(const AnytimeData& data) { return "anytime-" + data.space + "-" + data.dataset; }

/// The plotted numbers of one space and dataset: one block per algorithm that has data (gnuplot
/// `index` i), rows before any run has evaluated are left out. Fills `plotted` with each block's algorithm.
std::string anytime_dat(const AnytimeData& data, int test_hp, std::vector<std::string>& plotted) {
  std::ostringstream dat;
  dat.precision(10);
  dat << "# nas report: test accuracy (hp " << test_hp << ", seed mean) of the incumbent on " << data.space << " "
      << data.dataset << " against simulated seconds\n"
      << "# one block per algorithm (gnuplot index 0, 1, ...); grid points before any run has evaluated are left out\n"
      << "# columns: simulated_seconds mean_test_accuracy std_test_accuracy runs\n";
  for (const auto& curve : data.curves) {
    std::ostringstream rows;
    rows.precision(10);
    for (std::size_t i = 0; i < data.seconds.size(); ++i) {
      if (curve.mean[i]) rows << data.seconds[i] << " " << *curve.mean[i] << " " << curve.std[i] << " " << curve.runs[i] << "\n";
    }
    if (rows.str().empty()) continue;  // an empty block would shift gnuplot's block numbers
    if (!plotted.empty()) dat << "\n\n";
    dat << "# algorithm: " << curve.algorithm << "\n" << rows.str();
    plotted.push_back(curve.algorithm);
  }
  return dat.str();
}

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

/// The y range of a plot: the bands from a tenth of the time axis on. The first evaluations score far
/// below what any search ends with, and letting them set the scale would flatten the differences
/// between algorithms that the plot is for (the .dat file keeps every point).
std::optional<std::pair<double, double>> y_range(const AnytimeData& data) {
  const double from = data.seconds.empty() ? 0 : data.seconds.back() / 10;
  double low = INFINITY, high = -INFINITY;
  for (const auto& curve : data.curves) {
    for (std::size_t i = 0; i < data.seconds.size(); ++i) {
      if (!curve.mean[i] || data.seconds[i] < from) continue;
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
std::string anytime_script(const AnytimeData& data, int test_hp, const std::vector<std::string>& plotted) {
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
     << "set xlabel 'simulated seconds'\n"
     << "set ylabel " << gnuplot_quote("test accuracy (%), hp " + std::to_string(test_hp)) << "\n"
     << "set key bottom right opaque\nset grid\n";
  if (!data.seconds.empty() && data.seconds.back() > 0) gp << "set xrange [0:" << data.seconds.back() << "]\n";
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

PlotResult plot_anytime(const std::string& dir, const AnytimeData& data, int test_hp,
                        const std::optional<std::string>& gnuplot) {
  PlotResult result;
  result.space = data.space;
  result.dataset = data.dataset;
  result.base = anytime_base(data);
  const std::string base = dir + "/" + result.base;
  std::vector<std::string> plotted;
  write_file(base + ".dat", anytime_dat(data, test_hp, plotted));
  std::error_code ignored;
  std::filesystem::remove(base + ".png", ignored);  // never leave a plot of older results beside new numbers
  if (plotted.empty()) {
    result.note = "No run has a test accuracy to plot on " + data.space + " " + data.dataset + ".";
    return result;
  }
  write_file(base + ".gp", anytime_script(data, test_hp, plotted));
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

std::string curves_dat(const WeightSharingData& data, const WeightSharingRun& run, int test_hp) {
  std::ostringstream dat;
  dat.precision(10);
  dat << "# nas report: " << data.algorithm << " on " << data.space << " " << data.dataset << ", seed " << run.seed
      << ", per search epoch\n"
      << "# accuracies in %; derived_test_accuracy: the benchmark's (hp " << test_hp << ", seed mean) of derived_arch\n"
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
                          int test_hp) {
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
     << gnuplot_quote("test accuracy of derived arch (benchmark, hp " + std::to_string(test_hp) + ")") << ", \\\n"
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

/// What a decision and its choices are called in a space: tss edges pick ops, sss layers pick widths.
std::pair<std::string, std::string> decision_words(const WeightSharingData& data) {
  return data.space == "sss" ? std::make_pair(std::string("layer"), std::string("width"))
                             : std::make_pair(std::string("edge"), std::string("op"));
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
                                          const WeightSharingRun& run, int test_hp,
                                          const std::optional<std::string>& gnuplot) {
  WeightSharingPlot plot;
  plot.base = weight_sharing_base(data, run);
  const std::string curves = plot.base + "-curves", probabilities = plot.base + "-probabilities";
  std::error_code ignored;
  for (const auto& name : {curves, probabilities}) std::filesystem::remove(dir + "/" + name + ".png", ignored);
  write_file(dir + "/" + curves + ".dat", curves_dat(data, run, test_hp));
  write_file(dir + "/" + curves + ".gp", curves_script(data, run, plot.base, test_hp));
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

WeightSharingPlots plot_weight_sharing(const std::string& dir, const ReportSummary& summary,
                                       const std::optional<std::string>& gnuplot) {
  WeightSharingPlots plots;
  for (const auto& data : summary.weight_sharing) {
    for (const auto& run : data.runs) {
      if (!run.plotted || run.epochs.empty()) continue;
      plots[{data.algorithm, data.space, data.dataset, run.seed}] =
          plot_weight_sharing_run(dir, data, run, summary.test_hp.at(data.space), gnuplot);
    }
  }
  return plots;
}

}  // namespace

void write_report(const std::string& dir) {
  const ReportSummary summary = build_report(dir);
  const std::optional<std::string> gnuplot = find_gnuplot();
  std::vector<PlotResult> plots;
  for (const auto& data : summary.anytime) {
    plots.push_back(plot_anytime(dir, data, summary.test_hp.at(data.space), gnuplot));
  }
  const WeightSharingPlots ws_plots = plot_weight_sharing(dir, summary, gnuplot);
  // Results written by an older nas may hold labels that are not UTF-8; show them replaced (U+FFFD)
  // rather than fail on every report.
  write_file(dir + "/summary.json", summary.json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n");
  write_file(dir + "/report.md", render_markdown(dir, summary, plots, ws_plots));
}

}  // namespace nas::experiments

// BOHB: Hyperband brackets of successive halving, with proposals from TPE-style kernel densities
// (see bohb.h for the algorithm and how it relates to hpbandster as NATS-Bench runs it).
#include "nas/algorithms/bohb.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

#include "nas/benchmark_api/error.h"

namespace nas::algorithms {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Tolerance for floor() of values that should be integers but carry rounding error (log ratios of
// exact powers, budgets such as 12 * 3^-1).
constexpr double kIntegerSlack = 1e-9;
// Largest bracket we agree to count: n0 = floor(K/(s+1)) * eta^s must fit comfortably in an int.
constexpr std::int64_t kMaxBracketPower = std::int64_t{1} << 30;

std::int64_t int_power(std::int64_t base, std::int64_t exponent) {
  std::int64_t result = 1;
  for (std::int64_t k = 0; k < exponent; ++k) result *= base;
  return result;
}

// Python's max(a, b) is "b if b > a else a": with a NaN argument the result depends on the order.
// hpbandster's score max(1e-32, g(x)) / max(l(x), 1e-32) relies on exactly that, so keep it.
double python_max(double a, double b) { return b > a ? b : a; }

std::string format_budget(double budget) {
  std::ostringstream out;
  out.precision(3);
  out << budget;
  return out.str();
}

template <typename T, typename Format>
std::string join(const std::vector<T>& values, Format format) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + format(values[i]);
  return out;
}

std::string owner_error(const std::string& message) { return "searcher bohb: " + message; }

}  // namespace

// ---- Hyperband schedule -------------------------------------------------------------------------------

std::vector<double> hyperband_budgets(double min_budget, double max_budget, int eta) {
  // hpbandster: max_SH_iter = -int(log(min/max) / log(eta)) + 1; the slack keeps exact powers
  // (e.g. 1 / 9 / eta 3) from losing a budget to rounding.
  const double ratio = std::log(max_budget / min_budget) / std::log(static_cast<double>(eta));
  const auto count = static_cast<std::int64_t>(std::floor(ratio + kIntegerSlack)) + 1;
  // The largest bracket has eta^(count-1) configs at its first stage.
  std::int64_t power = 1;
  for (std::int64_t k = 1; k < count; ++k) {
    power *= eta;
    if (power > kMaxBracketPower) {
      throw Error(owner_error("max_budget / min_budget = " + format_budget(max_budget / min_budget) +
                              " with eta " + std::to_string(eta) + " gives brackets too large to run"));
    }
  }
  std::vector<double> budgets;
  for (std::int64_t k = count - 1; k >= 0; --k) {
    budgets.push_back(max_budget * std::pow(static_cast<double>(eta), -static_cast<double>(k)));
  }
  return budgets;
}

std::vector<HyperbandStage> hyperband_bracket(std::int64_t iteration, const std::vector<double>& budgets, int eta) {
  const auto count = static_cast<std::int64_t>(budgets.size());
  const std::int64_t halvings = count - 1 - iteration % count;  // s
  // n0 = floor(K / (s+1)) * eta^s; stage j keeps max(floor(n0 * eta^-j), 1). Integer arithmetic
  // gives what hpbandster's float expression gives whenever that one rounds exactly.
  const std::int64_t first = (count / (halvings + 1)) * int_power(eta, halvings);
  std::vector<HyperbandStage> stages;
  for (std::int64_t j = 0; j <= halvings; ++j) {
    HyperbandStage stage;
    stage.num_configs = static_cast<int>(std::max<std::int64_t>(first / int_power(eta, j), 1));
    stage.budget_index = static_cast<int>(count - 1 - halvings + j);
    stage.budget = budgets[static_cast<std::size_t>(stage.budget_index)];
    stages.push_back(stage);
  }
  return stages;
}

int budget_epoch(double budget) { return budget_schedule(budget) - 1; }

int budget_schedule(double budget) { return static_cast<int>(std::floor(budget + kIntegerSlack)); }

// ---- Kernel density ---------------------------------------------------------------------------------

KdePoints kde_points(const std::vector<std::vector<int>>& rows) {
  const std::size_t dims = rows.empty() ? 0 : rows.front().size();
  KdePoints points(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(dims));
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != dims) throw Error("every data point of a kernel density needs one value per dimension");
    for (std::size_t d = 0; d < dims; ++d) points(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(d)) = rows[r][d];
  }
  return points;
}

std::vector<double> normal_reference_bandwidths(const KdePoints& points) {
  if (points.rows() == 0) return {};
  const auto rows = static_cast<double>(points.rows());
  const auto dims = static_cast<double>(points.cols());
  // statsmodels: 1.06 * np.std(data, axis=0) * nobs ** (-1 / (4 + k_vars)); np.std has ddof 0.
  const double scale = 1.06 * std::pow(rows, -1.0 / (4.0 + dims));
  std::vector<double> bandwidths(static_cast<std::size_t>(points.cols()));
  for (Eigen::Index d = 0; d < points.cols(); ++d) {
    const Eigen::ArrayXd column = points.col(d).cast<double>().array();
    const double mean = column.sum() / rows;
    bandwidths[static_cast<std::size_t>(d)] = scale * std::sqrt((column - mean).square().sum() / rows);
  }
  return bandwidths;
}

CategoricalKde::CategoricalKde(KdePoints points, std::vector<double> bandwidths, const std::vector<int>& num_choices,
                               bool levels_from_data)
    : points_(std::move(points)), bandwidths_(std::move(bandwidths)) {
  if (points_.rows() == 0) throw Error("a kernel density needs at least one data point");
  const std::size_t dims = bandwidths_.size();
  if (num_choices.size() != dims || static_cast<std::size_t>(points_.cols()) != dims) {
    throw Error("a kernel density needs one bandwidth and choice count per dimension");
  }
  levels_.resize(dims);
  match_.resize(dims);
  mismatch_.resize(dims);
  for (std::size_t d = 0; d < dims; ++d) {
    const auto column = points_.col(static_cast<Eigen::Index>(d));
    if (levels_from_data) {
      // statsmodels' aitchison_aitken(h, Xi, x) without num_levels counts np.unique(Xi).
      const int low = column.minCoeff(), high = column.maxCoeff();
      std::vector<char> present(static_cast<std::size_t>(high - low) + 1, 0);
      for (Eigen::Index r = 0; r < column.size(); ++r) present[static_cast<std::size_t>(column(r) - low)] = 1;
      levels_[d] = static_cast<int>(std::count(present.begin(), present.end(), 1));
    } else {
      levels_[d] = num_choices[d];
    }
    // h / (c - 1) with numpy's division: c = 1 makes every mismatch infinitely likely (h > 0).
    const double others = static_cast<double>(levels_[d] - 1);
    const double h = bandwidths_[d];
    match_[d] = 1.0 - h;
    mismatch_[d] = others > 0 ? h / others : (h > 0 ? kInf : (h < 0 ? -kInf : std::numeric_limits<double>::quiet_NaN()));
  }
}

CategoricalKde CategoricalKde::fit(KdePoints points, const std::vector<int>& num_choices, double min_bandwidth,
                                   bool levels_from_data) {
  std::vector<double> bandwidths = normal_reference_bandwidths(points);
  for (double& bw : bandwidths) bw = std::max(bw, min_bandwidth);  // np.clip(bw, min_bandwidth, None)
  return CategoricalKde(std::move(points), std::move(bandwidths), num_choices, levels_from_data);
}

std::vector<int> CategoricalKde::point(std::size_t i) const {
  std::vector<int> x(static_cast<std::size_t>(points_.cols()));
  for (std::size_t d = 0; d < x.size(); ++d) x[d] = points_(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(d));
  return x;
}

double CategoricalKde::pdf(const std::vector<int>& x) const {
  if (x.size() != bandwidths_.size()) throw Error("a kernel density was asked about a point of the wrong dimension");
  // Every point's kernel product, one decision at a time (the same products, in the same order of
  // decisions, as a loop over points would form).
  const Eigen::Index rows = points_.rows();
  Eigen::ArrayXd product = Eigen::ArrayXd::Ones(rows);
  for (std::size_t d = 0; d < x.size(); ++d) {
    product *= (points_.col(static_cast<Eigen::Index>(d)).array() == x[d])
                   .select(Eigen::ArrayXd::Constant(rows, match_[d]), Eigen::ArrayXd::Constant(rows, mismatch_[d]));
  }
  return product.sum() / static_cast<double>(points_.rows());
}

// ---- Configuration ----------------------------------------------------------------------------------

void Bohb::describe(ConfigBinder<BohbConfig>& b) {
  b.field("eta", &BohbConfig::eta, "Hyperband's halving rate: each stage keeps the best 1/eta at eta times the budget");
  b.field("min_budget", &BohbConfig::min_budget,
          "Smallest budget in epochs: of the search schedule (tss/sss, read at epoch int(budget)), or a separate run of "
          "int(budget) epochs (nb101); 0 = the space's default (1 on tss/sss, 4 on nb101)");
  b.field("max_budget", &BohbConfig::max_budget,
          "Largest budget in epochs, as min_budget; 0 = the space's default (12 on tss/sss, 108 on nb101)");
  b.field("num_samples", &BohbConfig::num_samples, "Candidates drawn from the good density per model-based proposal");
  b.field("random_fraction", &BohbConfig::random_fraction, "Probability of a uniform random proposal once a model exists");
  b.field("bandwidth_factor", &BohbConfig::bandwidth_factor,
          "Widens sampling bandwidths of continuous parameters (hpbandster); no effect on categorical decisions");
  b.field("min_bandwidth", &BohbConfig::min_bandwidth, "Lower bound of every kernel bandwidth (keeps proposals diverse)");
  b.field("top_n_percent", &BohbConfig::top_n_percent, "Percentage of a budget's points that form the good density");
  b.field("min_points_in_model", &BohbConfig::min_points_in_model,
          "Points a budget needs before a model is fitted; 0 (and anything smaller) = number of decisions + 1");
  b.field("kde_levels_from_data", &BohbConfig::kde_levels_from_data,
          "Kernel levels c = distinct values in the density's data, as statsmodels; false = number of choices");
}

Bohb::Bohb(Config config) : config_(config) {
  // Negated comparisons so that NaN is rejected too.
  if (config_.eta < 2) throw Error(owner_error("eta must be at least 2, got " + std::to_string(config_.eta)));
  for (const auto& [key, value] : {std::pair{"min_budget", config_.min_budget}, std::pair{"max_budget", config_.max_budget}}) {
    if (!(value == 0 || value >= 1) || !std::isfinite(value)) {
      throw Error(owner_error(std::string(key) + " must be 0 (the space's default) or at least 1 (budgets are epochs, read at epoch "
                              "int(budget)), got " + format_budget(value)));
    }
  }
  if (config_.min_budget != 0 && config_.max_budget != 0 && config_.max_budget < config_.min_budget) {
    throw Error(owner_error("max_budget must be at least min_budget (" + format_budget(config_.min_budget) + "), got " +
                            format_budget(config_.max_budget)));
  }
  if (config_.num_samples < 1) throw Error(owner_error("num_samples must be at least 1"));
  if (!(config_.random_fraction >= 0 && config_.random_fraction <= 1)) {
    throw Error(owner_error("random_fraction must be in [0, 1]"));
  }
  if (!(config_.bandwidth_factor > 0) || !std::isfinite(config_.bandwidth_factor)) {
    throw Error(owner_error("bandwidth_factor must be positive"));
  }
  if (!(config_.min_bandwidth > 0 && config_.min_bandwidth <= 1)) {
    throw Error(owner_error("min_bandwidth must be in (0, 1] (a categorical value is kept with probability 1 - bandwidth)"));
  }
  if (config_.top_n_percent < 1 || config_.top_n_percent > 99) {
    throw Error(owner_error("top_n_percent must be in [1, 99]"));
  }
  if (config_.min_points_in_model < 0) throw Error(owner_error("min_points_in_model must be non-negative"));
  if (config_.min_budget != 0 && config_.max_budget != 0) {
    hyperband_budgets(config_.min_budget, config_.max_budget, config_.eta);  // rejects schedules too large to run
  }
}

// ---- Search -----------------------------------------------------------------------------------------

void Bohb::start(const QueryTask& task, Rng&, std::vector<std::string>& notes) {
  space_ = task.space;
  const int dims = space_->num_decisions();
  num_choices_.clear();
  for (int d = 0; d < dims; ++d) num_choices_.push_back(space_->num_choices(d));

  // hpbandster raises min_points_in_model to d + 1 (with a warning) when it is smaller.
  min_points_ = std::max(config_.min_points_in_model, dims + 1);
  if (config_.min_points_in_model != 0 && config_.min_points_in_model < dims + 1) {
    notes.push_back("bohb: min_points_in_model " + std::to_string(config_.min_points_in_model) +
                    " is below the number of decisions + 1; using " + std::to_string(dims + 1) + " as hpbandster does");
  }

  choose_budgets(task, notes);
  observations_.assign(budgets_.size(), {});
  models_.assign(budgets_.size(), std::nullopt);
  iteration_ = 0;
  pending_ = false;
  begin_iteration();
}

void Bohb::choose_budgets(const QueryTask& task, std::vector<std::string>& notes) {
  const bench::SpaceDefinition& space = task.benchmark->definition();
  const auto [default_min, default_max] = space.default_budget_range();
  const double min_budget = config_.min_budget != 0 ? config_.min_budget : default_min;
  const double max_budget = config_.max_budget != 0 ? config_.max_budget : default_max;
  if (max_budget < min_budget) {
    throw Error(owner_error("max_budget " + format_budget(max_budget) + " is below min_budget " + format_budget(min_budget) +
                            " on the " + std::string(space.name()) + " space"));
  }
  const std::vector<double> all = hyperband_budgets(min_budget, max_budget, config_.eta);
  single_record_ = space.fidelities().empty();
  separate_runs_ = !single_record_ && space.budgets_are_separate_runs();
  if (single_record_) {
    // No fidelities: one budget, every evaluation reads the arch's one record (Hyperband's
    // brackets collapse to BOHB's model-based sampling at full fidelity).
    budgets_ = {all.back()};
    notes.push_back("bohb: the " + std::string(space.name()) +
                    " benchmark has no fidelities, so BOHB runs at one budget (its model-based sampling without Hyperband's "
                    "low-fidelity stages)");
    return;
  }
  const int search_hp = space.search_hp();
  const bench::SearchSignal signal = space.search_signal(task.dataset);
  const bench::Dataset key = signal.dataset;
  const bench::Store& store = task.benchmark->store();

  // The columns simulate_train_eval can read the search signal of schedule hp from: its set in
  // every trial and in the seed mean (the fallback set, ori-test on NATS, only where the key has
  // none of the first).
  auto signal_columns = [&](int hp) {
    std::vector<std::int32_t> trials = store.seeds(key, hp);
    trials.push_back(bench::kMeanSeed);
    auto columns_of = [&](bench::EvalSet set) {
      std::vector<const bench::Column*> found;
      for (std::int32_t seed : trials) {
        if (const bench::Column* column = store.find({key, set, bench::Quantity::Accuracy, static_cast<std::uint16_t>(hp), seed})) {
          found.push_back(column);
        }
      }
      return found;
    };
    std::vector<const bench::Column*> columns = columns_of(signal.set);
    if (columns.empty() && signal.fallback) columns = columns_of(*signal.fallback);
    return columns;
  };
  if (separate_runs_) {
    choose_schedules(all, space, signal_columns, notes);
    return;
  }
  const int hp = search_hp;
  const std::vector<const bench::Column*> columns = signal_columns(hp);
  // Every trial must hold the epoch: simulate_train_eval draws the trial at random.
  auto available = [&](int epoch) {
    if (epoch < 0 || epoch >= hp || columns.empty()) return false;
    return std::all_of(columns.begin(), columns.end(), [&](const bench::Column* c) { return c->stores_epoch(epoch); });
  };

  const double largest = all.back();
  if (budget_epoch(largest) >= hp) {
    throw Error(owner_error("max_budget " + format_budget(largest) + " is beyond the " + std::to_string(hp) +
                            "-epoch search schedule"));
  }
  if (!available(budget_epoch(largest))) {
    throw Error(owner_error("the benchmark holds no " + std::string(bench::dataset_name(key)) +
                            " validation accuracy after epoch " + std::to_string(budget_epoch(largest) + 1) + " of the " +
                            std::to_string(hp) + "-epoch search schedule (max_budget " + format_budget(largest) + ")"));
  }
  budgets_.clear();
  std::vector<double> missing;
  for (double budget : all) (available(budget_epoch(budget)) ? budgets_ : missing).push_back(budget);
  if (!missing.empty()) {
    notes.push_back("bohb: the benchmark holds no " + std::string(bench::dataset_name(key)) +
                    " validation accuracy after epoch(s) " +
                    join(missing, [](double b) { return std::to_string(budget_epoch(b) + 1); }) + " of the " +
                    std::to_string(hp) + "-epoch search schedule, so budget(s) " + join(missing, format_budget) +
                    " are unavailable; running Hyperband at budgets {" + join(budgets_, format_budget) + "} only");
  }
}

void Bohb::choose_schedules(const std::vector<double>& all, const bench::SpaceDefinition& space,
                            const std::function<std::vector<const bench::Column*>(int)>& signal_columns,
                            std::vector<std::string>& notes) {
  // Each budget is a run of int(budget) epochs, one of the space's schedules, read at its end.
  const std::vector<int> schedules = space.fidelities();
  auto is_schedule = [&](double budget) {
    return std::find(schedules.begin(), schedules.end(), budget_schedule(budget)) != schedules.end() &&
           std::abs(budget - budget_schedule(budget)) <= kIntegerSlack;
  };
  std::vector<double> not_schedules;
  for (double budget : all) {
    if (!is_schedule(budget)) not_schedules.push_back(budget);
  }
  if (!not_schedules.empty()) {
    throw Error(owner_error("on the " + std::string(space.name()) + " space a budget is a separate training run, one of its " +
                            join(schedules, [](int hp) { return std::to_string(hp); }) + "-epoch schedules; the budgets " +
                            join(all, format_budget) + " (min_budget, max_budget, eta) include " +
                            join(not_schedules, format_budget)));
  }
  budgets_.clear();
  std::vector<double> missing;
  for (double budget : all) (signal_columns(budget_schedule(budget)).empty() ? missing : budgets_).push_back(budget);
  if (budgets_.empty() || budgets_.back() != all.back()) {
    throw Error(owner_error("the benchmark holds no validation accuracy of the " + format_budget(all.back()) +
                            "-epoch runs (max_budget)"));
  }
  if (!missing.empty()) {
    notes.push_back("bohb: the benchmark holds no " + join(missing, format_budget) +
                    "-epoch runs, so Hyperband runs at budgets {" + join(budgets_, format_budget) + "} only");
  }
  notes.push_back("bohb: budgets are separate runs of {" + join(budgets_, format_budget) + "} epochs");
}

void Bohb::begin_iteration() {
  bracket_ = hyperband_bracket(iteration_, budgets_, config_.eta);
  stage_ = 0;
  slots_.clear();
  next_ = 0;
}

QuerySearcher::Proposal Bohb::ask(Rng& rng) {
  if (pending_) throw Error(owner_error("ask() called again before tell()"));
  // Only the first stage of a bracket samples new configs; later stages rerun the survivors.
  if (stage_ == 0 && next_ == slots_.size()) slots_.push_back({propose(rng), kInf});
  pending_ = true;
  const double budget = bracket_[stage_].budget;
  if (single_record_) return {slots_[next_].arch, -1, 0};
  if (separate_runs_) return {slots_[next_].arch, -1, budget_schedule(budget)};
  return {slots_[next_].arch, budget_epoch(budget), 0};
}

void Bohb::tell(const Proposal& proposal, const Evaluation& evaluation) {
  if (!pending_ || proposal.arch != slots_[next_].arch) throw Error(owner_error("tell() without a matching ask()"));
  pending_ = false;
  // hpbandster counts a non-finite loss as the worst possible (+inf).
  const double loss = std::isfinite(evaluation.valid_accuracy) ? 100.0 - evaluation.valid_accuracy : kInf;
  slots_[next_].loss = loss;
  const auto budget_index = static_cast<std::size_t>(bracket_[stage_].budget_index);
  observations_[budget_index].push_back({space_->decisions(proposal.arch), loss});
  refit(budget_index);
  ++next_;
  if (next_ == static_cast<std::size_t>(bracket_[stage_].num_configs)) finish_stage();
}

void Bohb::finish_stage() {
  if (stage_ + 1 == bracket_.size()) {
    ++iteration_;
    begin_iteration();
    return;
  }
  // Successive halving: the n_{j+1} lowest losses advance (stable: the earlier config wins a tie),
  // and are rerun in the order they were first sampled, as hpbandster's iteration does.
  const auto keep = static_cast<std::size_t>(bracket_[stage_ + 1].num_configs);
  std::vector<std::size_t> order(slots_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return slots_[a].loss < slots_[b].loss; });
  order.resize(std::min(keep, order.size()));
  std::sort(order.begin(), order.end());
  std::vector<Slot> survivors;
  for (std::size_t i : order) survivors.push_back({slots_[i].arch, kInf});
  slots_ = std::move(survivors);
  ++stage_;
  next_ = 0;
}

void Bohb::refit(std::size_t budget_index) {
  // Proposals only ever use the largest budget with a model, so once a larger one exists a smaller
  // budget's model is never read again (hpbandster stops recording those points altogether).
  if (const auto largest = largest_model(); largest && *largest > budget_index) return;
  const std::vector<Observation>& points = observations_[budget_index];
  const std::size_t count = points.size();
  const auto min_points = static_cast<std::size_t>(min_points_);
  if (count < min_points) return;

  const auto top = static_cast<std::size_t>(config_.top_n_percent);
  const std::size_t n_good = std::max(min_points, top * count / 100);
  const std::size_t n_bad = std::max(min_points, (100 - top) * count / 100);
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return points[a].loss < points[b].loss; });

  // A density needs more points than dimensions; otherwise any earlier model of this budget stays.
  const std::size_t dims = num_choices_.size();
  const std::size_t good_rows = std::min(n_good, count);
  const std::size_t bad_rows = std::min(n_bad, count - good_rows);
  if (good_rows <= dims || bad_rows <= dims) return;
  auto rows_of = [&](std::size_t first, std::size_t rows) {
    KdePoints out(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(dims));
    for (std::size_t r = 0; r < rows; ++r) {
      const std::vector<int>& x = points[order[first + r]].x;
      for (std::size_t d = 0; d < dims; ++d) out(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(d)) = x[d];
    }
    return out;
  };
  models_[budget_index] = Model{
      CategoricalKde::fit(rows_of(0, good_rows), num_choices_, config_.min_bandwidth, config_.kde_levels_from_data),
      CategoricalKde::fit(rows_of(good_rows, bad_rows), num_choices_, config_.min_bandwidth, config_.kde_levels_from_data)};
}

std::optional<std::size_t> Bohb::largest_model() const {
  for (std::size_t i = models_.size(); i-- > 0;) {
    if (models_[i]) return i;
  }
  return std::nullopt;
}

std::optional<std::vector<int>> maximize_density_ratio(const CategoricalKde& good, const CategoricalKde& bad,
                                                       const std::vector<int>& num_choices, int num_samples,
                                                       double min_bandwidth, Rng& rng,
                                                       const std::function<bool(const std::vector<int>&)>& admissible) {
  double best_score = kInf;
  std::optional<std::vector<int>> best;
  for (int i = 0; i < num_samples; ++i) {
    // Perturb a random good point: keep each decision with probability 1 - bw (never when bw >= 1),
    // else redraw it uniformly (possibly the same value).
    const std::vector<int> datum = good.point(rng.uniform_int(good.size()));
    std::vector<int> candidate(datum.size());
    for (std::size_t d = 0; d < datum.size(); ++d) {
      const double bw = std::max(good.bandwidths()[d], min_bandwidth);
      candidate[d] = rng.uniform01() < 1.0 - bw ? datum[d]
                                                : static_cast<int>(rng.uniform_int(static_cast<std::uint64_t>(num_choices[d])));
    }
    if (admissible && !admissible(candidate)) continue;  // the worst score: never taken
    // TPE's surrogate: minimise bad / good density, both guarded away from 0.
    const double good_pdf = good.pdf(candidate);
    const double score = python_max(1e-32, bad.pdf(candidate)) / python_max(good_pdf, 1e-32);
    if (!std::isfinite(score) && std::isfinite(good_pdf)) {
      // hpbandster: "a KDE does not contain all values for a categorical parameter"; it evaluates
      // such a candidate right away when the good density is finite there.
      return candidate;
    }
    if (score < best_score) {  // the first wins ties; NaN never wins
      best_score = score;
      best = std::move(candidate);
    }
  }
  return best;
}

ArchId Bohb::propose(Rng& rng) const {
  if (space_ == nullptr) throw Error(owner_error("propose() before the search started"));
  const auto largest = largest_model();
  // hpbandster draws the random-fraction coin only once a model exists.
  if (!largest || rng.uniform01() < config_.random_fraction) return space_->sample(rng);
  const Model& model = *models_[*largest];
  // The arch of each admissible candidate, so the winner is not looked up (nb101: pruned and
  // canonicalised) a second time.
  std::vector<std::pair<std::vector<int>, ArchId>> archs;
  const auto is_arch = [&](const std::vector<int>& choices) {
    const std::optional<ArchId> arch = space_->try_from_decisions(choices);
    if (arch) archs.emplace_back(choices, *arch);
    return arch.has_value();
  };
  const auto best =
      maximize_density_ratio(model.good, model.bad, num_choices_, config_.num_samples, config_.min_bandwidth, rng, is_arch);
  if (!best) return space_->sample(rng);  // no usable score among the candidates: random, as hpbandster
  for (const auto& [choices, arch] : archs) {
    if (choices == *best) return arch;
  }
  return space_->from_decisions(*best);
}

}  // namespace nas::algorithms

// The benchmark query API over a Store.
#include "nas/benchmark_api/benchmark.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

#include "nas/benchmark_api/cost_model.h"
#include "nas/benchmark_api/error.h"

namespace nas::bench {
namespace {

std::optional<double> present(double value) {
  if (std::isnan(value)) return std::nullopt;
  return value;
}

std::string join_ints(const std::vector<int>& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(values[i]);
  return out.empty() ? "none" : out;
}

std::string format_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::string describe_seeds(const SpaceDefinition& definition, const std::vector<std::int32_t>& seeds) {
  std::string out;
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    out += (i ? ", " : "") + definition.describe_trial(seeds[i]);
  }
  return out.empty() ? "none (only seed means)" : out;
}

}  // namespace

std::string_view nas_version() { return NAS_VERSION_STRING; }

struct Benchmark::SearchableCounts {
  std::mutex mutex;
  std::map<std::pair<Dataset, int>, std::uint32_t> counts;  // (dataset key, hp) -> archs
};

Benchmark::Benchmark(Store store)
    : store_(std::move(store)),
      definition_(&space_definition(store_.space())),
      search_space_(definition_->make_search_space()),
      searchable_counts_(std::make_shared<SearchableCounts>()) {}

Benchmark Benchmark::open(const std::string& path, std::optional<Space> expected) {
  Benchmark benchmark(Store::open(path));
  if (expected && benchmark.space() != *expected) {
    throw Error(path + " is a " + std::string(space_name(benchmark.space())) + " benchmark, not a " +
                std::string(space_name(*expected)) + " one");
  }
  return benchmark;
}

std::string Benchmark::default_path(Space space) {
  const std::string file(space_definition(space).shipped_store());
  if (const char* dir = std::getenv("NAS_BENCH_DIR"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/" + file;
  }
  return std::string(NAS_SOURCE_DATA_DIR) + "/" + file;
}

Benchmark Benchmark::open_default(Space space) {
  const std::string path = default_path(space);
  if (!std::filesystem::exists(path)) {
    throw Error("the shipped " + std::string(space_name(space)) + " benchmark is missing at " + path +
                " (set NAS_BENCH_DIR to the folder holding " + std::string(space_definition(space).shipped_store()) +
                ", or pass --bench FILE)");
  }
  return open(path, space);
}

std::string Benchmark::arch_string(std::uint32_t index) const {
  check_index(index);
  return search_space_->format(index);
}

std::uint32_t Benchmark::index_of(std::string_view arch) const { return search_space_->parse(arch); }

void Benchmark::check_index(std::uint32_t index) const { definition_->require_index(index); }

MetricSource Benchmark::source_of(Dataset dataset, Split split) const {
  definition_->require_dataset(dataset);
  const auto source = definition_->resolve_split(dataset, split);
  if (!source) {
    throw Error("the " + std::string(definition_->name()) + " benchmark has no " +
                (split == Split::Valid ? "validation" : "test") + " accuracy on " + std::string(dataset_name(dataset)));
  }
  return *source;
}

int Benchmark::resolve_hp(int hp) const { return hp == 0 ? full_hp() : hp; }

std::vector<std::int32_t> Benchmark::seeds(std::uint32_t index, Dataset dataset, int hp) const {
  hp = resolve_hp(hp);
  std::vector<std::int32_t> seeds;
  for (std::int32_t seed : store_.seeds(dataset, hp)) {
    // A trial exists for this arch when any of its accuracy columns holds a last-epoch value.
    for (EvalSet set : {EvalSet::XValid, EvalSet::OriTest, EvalSet::XTest, EvalSet::Train}) {
      const Column* column = store_.find({dataset, set, Quantity::Accuracy, static_cast<std::uint16_t>(hp), seed});
      if (column != nullptr && !std::isnan(column->value(index))) {
        seeds.push_back(seed);
        break;
      }
    }
  }
  return seeds;
}

Trial Benchmark::random_trial(std::uint32_t index, Dataset dataset, int hp, Rng& rng) const {
  const std::vector<std::int32_t> available = seeds(index, dataset, hp);
  if (available.empty()) return Trial::mean();
  return Trial::of_seed(available[rng.uniform_int(available.size())]);
}

std::optional<double> Benchmark::metric(std::uint32_t index, Dataset dataset, EvalSet set, Quantity quantity, int hp,
                                        Trial trial, int epoch) const {
  check_index(index);
  hp = resolve_hp(hp);
  const auto hp16 = static_cast<std::uint16_t>(hp);
  if (const Column* column = store_.find({dataset, set, quantity, hp16, trial.seed}); column != nullptr) {
    return present(column->value(index, epoch));
  }
  if (!trial.is_mean()) return std::nullopt;
  // No stored mean: average the trials that have a value (NATS get_metrics(is_random=False)).
  double sum = 0;
  int count = 0;
  for (std::int32_t seed : store_.seeds(dataset, hp)) {
    if (const Column* column = store_.find({dataset, set, quantity, hp16, seed}); column != nullptr) {
      const double v = column->value(index, epoch);
      if (!std::isnan(v)) {
        sum += v;
        ++count;
      }
    }
  }
  if (count == 0) return std::nullopt;
  return sum / count;
}

ArchMetrics Benchmark::query(std::uint32_t index, Dataset dataset, int hp, Trial trial, int epoch) const {
  check_index(index);
  hp = resolve_hp(hp);
  definition_->require_dataset(dataset);
  const std::optional<MetricSource> valid = definition_->resolve_split(dataset, Split::Valid);
  const MetricSource test = source_of(dataset, Split::Test);
  const std::vector<int>& available = store_.hps(test.dataset);
  if (std::find(available.begin(), available.end(), hp) == available.end()) {
    throw Error("hp " + std::to_string(hp) + " is not in this benchmark for " + std::string(dataset_name(dataset)) +
                " (available: " + join_ints(available) + ")");
  }
  if (epoch < -1 || epoch >= hp) {
    throw Error("epoch " + std::to_string(epoch) + " is outside the " + std::to_string(hp) + "-epoch schedule");
  }
  if (!trial.is_mean()) {
    const auto recorded = seeds(index, test.dataset, hp);
    if (std::find(recorded.begin(), recorded.end(), trial.seed) == recorded.end()) {
      throw Error("no trial with seed " + std::to_string(trial.seed) + " for arch " + std::to_string(index) + " on " +
                  std::string(dataset_name(test.dataset)) + " at hp " + std::to_string(hp) +
                  " (recorded seeds: " + describe_seeds(*definition_, recorded) + ")");
    }
  }
  ArchMetrics m;
  m.index = index;
  m.dataset = dataset;
  m.hp = hp;
  m.epoch = epoch == -1 ? hp - 1 : epoch;
  m.trial = trial;
  m.train_loss = metric(index, test.dataset, EvalSet::Train, Quantity::Loss, hp, trial, epoch);
  m.train_accuracy = metric(index, test.dataset, EvalSet::Train, Quantity::Accuracy, hp, trial, epoch);
  if (valid) {  // a space without a validation split has none to report
    m.valid_loss = metric(index, valid->dataset, valid->set, Quantity::Loss, hp, trial, epoch);
    m.valid_accuracy = metric(index, valid->dataset, valid->set, Quantity::Accuracy, hp, trial, epoch);
  }
  m.test_loss = metric(index, test.dataset, test.set, Quantity::Loss, hp, trial, epoch);
  m.test_accuracy = metric(index, test.dataset, test.set, Quantity::Accuracy, hp, trial, epoch);
  return m;
}

std::optional<double> Benchmark::epoch_time(std::uint32_t index, Dataset dataset, EvalSet set, int hp,
                                            bool* estimated) const {
  // Per-epoch times in NATS-Bench are one constant per (arch, key, set), written identically for
  // every schedule; when the requested schedule has none, another schedule's value is the same.
  // NAS-Bench-101's cumulative times give the mean epoch of the whole run.
  auto time_at = [&](int h) -> std::optional<double> {
    const auto value = metric(index, dataset, set, Quantity::Time, h, Trial::mean(), -1);
    const Column* mean = store_.find({dataset, set, Quantity::Time, static_cast<std::uint16_t>(h), kMeanSeed});
    if (value && mean != nullptr && mean->estimated()) *estimated = true;
    if (value && cumulative_times(dataset, set, h)) return *value / h;
    return value;
  };
  if (auto value = time_at(hp)) return value;
  for (int other : store_.hps(dataset)) {
    if (other == hp) continue;
    if (auto value = time_at(other)) return value;
  }
  return std::nullopt;
}

bool Benchmark::cumulative_times(Dataset dataset, EvalSet set, int hp) const {
  const auto hp16 = static_cast<std::uint16_t>(hp);
  const Column* column = store_.find({dataset, set, Quantity::Time, hp16, kMeanSeed});
  for (std::int32_t seed : store_.seeds(dataset, hp)) {
    if (column != nullptr) break;
    column = store_.find({dataset, set, Quantity::Time, hp16, seed});
  }
  return column != nullptr && column->cumulative_time();
}

std::optional<double> Benchmark::training_time(std::uint32_t index, Dataset dataset, int hp, Trial trial, int epoch,
                                               bool* estimated) const {
  if (cumulative_times(dataset, EvalSet::Train, hp)) {
    // The time the data records for this trial up to the end of the epoch (NAS-Bench-101 charges
    // the returned run's training_time, halfway or final).
    return metric(index, dataset, EvalSet::Train, Quantity::Time, hp, trial, epoch);
  }
  const auto per_epoch = epoch_time(index, dataset, EvalSet::Train, hp, estimated);
  if (!per_epoch) return std::nullopt;
  return *per_epoch * (epoch + 1);
}

CostInfo Benchmark::cost(std::uint32_t index, Dataset dataset, int hp) const {
  check_index(index);
  hp = resolve_hp(hp);
  definition_->require_dataset(dataset);
  const NetworkCost exact = definition_->cost(index, dataset);
  CostInfo info;
  info.params_m = exact.params_m;
  info.flops_m = exact.flops_m;
  info.latency_s = metric(index, dataset, EvalSet::Train, Quantity::Latency, hp);
  info.train_time_per_epoch_s = epoch_time(index, dataset, EvalSet::Train, hp, &info.time_estimated);
  return info;
}

SimulatedResult Benchmark::simulate_train_eval(std::uint32_t index, Dataset dataset, int hp, Rng& rng,
                                               SimulatedClock& clock, int epoch) const {
  check_index(index);
  hp = resolve_hp(hp);
  definition_->require_dataset(dataset);
  const SearchSignal signal = definition_->search_signal(dataset);
  const Dataset key = signal.dataset;
  const int last = hp - 1;
  const int at = epoch == -1 ? last : epoch;
  if (at < 0 || at > last) {
    throw Error("epoch " + std::to_string(epoch) + " is outside the " + std::to_string(hp) + "-epoch schedule");
  }
  SimulatedResult result;
  const Trial trial = random_trial(index, key, hp, rng);
  result.seed = trial.seed;

  // The signal at the epoch; like NATS, fall back to another set (ori-test) when a record has no
  // value in the first. Evaluation time is the per-epoch time of the set used (NATS-Bench's
  // per-epoch times are one constant per arch, key and set; epoch_time reads the last).
  EvalSet eval_set = signal.set;
  auto valid = metric(index, key, signal.set, Quantity::Accuracy, hp, trial, at);
  if (!valid && signal.fallback) {
    valid = metric(index, key, *signal.fallback, Quantity::Accuracy, hp, trial, at);
    eval_set = *signal.fallback;
  }
  if (!valid) {
    throw Error("the benchmark has no " + std::string(signal.is_test_accuracy ? "test" : "validation") + " accuracy for arch " +
                std::to_string(index) + " on " + std::string(dataset_name(key)) + " at epoch " + std::to_string(at) +
                " of hp " + std::to_string(hp) +
                (at != last ? " (this data holds final-epoch values only; import the official files for curves)" : ""));
  }
  result.valid_accuracy = *valid;

  if (!definition_->records_times()) {
    // Its searches are budgeted in queries; an evaluation costs no simulated time.
    result.latency_s = std::nullopt;
    result.total_time_s = clock.used_seconds;
    return result;
  }
  bool estimated = false;
  const auto train_time = training_time(index, key, hp, trial, at, &estimated);
  const bool with_evaluation = definition_->charges_evaluation_time();
  const auto eval_epoch_time = with_evaluation ? epoch_time(index, key, eval_set, hp, &estimated) : std::optional<double>(0.0);
  if (!train_time || !eval_epoch_time) {
    throw Error("the benchmark has no training" + std::string(with_evaluation ? "/evaluation" : "") + " times for arch " +
                std::to_string(index) + " on " + std::string(dataset_name(key)) + " at epoch " + std::to_string(at) +
                " of hp " + std::to_string(hp));
  }
  result.time_cost_s = *train_time + *eval_epoch_time;
  result.time_estimated = estimated;
  result.latency_s = metric(index, dataset, EvalSet::Train, Quantity::Latency, hp);
  clock.used_seconds += result.time_cost_s;
  result.total_time_s = clock.used_seconds;
  return result;
}

std::uint32_t Benchmark::searchable_archs(Dataset dataset, int hp) const {
  hp = resolve_hp(hp);
  definition_->require_dataset(dataset);
  const SearchSignal signal = definition_->search_signal(dataset);
  const Dataset key = signal.dataset;
  const std::lock_guard<std::mutex> lock(searchable_counts_->mutex);
  if (const auto it = searchable_counts_->counts.find({key, hp}); it != searchable_counts_->counts.end()) return it->second;
  // An arch is searchable when any trial (or the stored mean) has a last-epoch accuracy in a set
  // simulate_train_eval reads; scanning those few columns once is a few milliseconds.
  std::vector<bool> found(size(), false);
  for (const Column& column : store_.columns()) {
    const ColumnKey& c = column.key();
    if (c.dataset != key || c.hp != hp || c.quantity != Quantity::Accuracy) continue;
    if (c.set != signal.set && (!signal.fallback || c.set != *signal.fallback)) continue;
    for (std::uint32_t arch = 0; arch < size(); ++arch) {
      if (!found[arch] && !std::isnan(column.value(arch))) found[arch] = true;
    }
  }
  // Remembered only once counted: a damaged column throws above and is not cached as "0 archs".
  const auto count = static_cast<std::uint32_t>(std::count(found.begin(), found.end(), true));
  searchable_counts_->counts.emplace(std::make_pair(key, hp), count);
  return count;
}

double Benchmark::smallest_cost(Dataset dataset, int hp, bool params) const {
  double smallest = INFINITY;
  for (std::uint32_t index = 0; index < size(); ++index) {
    const CostInfo c = cost(index, dataset, hp);
    smallest = std::min(smallest, params ? c.params_m : c.flops_m);
  }
  return smallest;
}

Benchmark::Best Benchmark::find_best(Dataset dataset, Split split, int hp, std::optional<double> max_flops_m,
                                     std::optional<double> max_params_m) const {
  hp = resolve_hp(hp);
  const MetricSource source = source_of(dataset, split);
  bool found = false, any_value = false;
  Best best;
  for (std::uint32_t index = 0; index < size(); ++index) {
    const auto value = metric(index, source.dataset, source.set, Quantity::Accuracy, hp);
    any_value = any_value || value.has_value();
    if (!value || (found && *value <= best.value)) continue;  // strict '>': the lowest index wins ties
    if (max_flops_m || max_params_m) {
      const CostInfo c = cost(index, dataset, hp);
      if ((max_flops_m && c.flops_m > *max_flops_m) || (max_params_m && c.params_m > *max_params_m)) continue;
    }
    best = {index, *value};
    found = true;
  }
  if (!found && any_value) {
    std::string limits;
    if (max_params_m) limits += "at most " + format_number(*max_params_m) + " M parameters";
    if (max_flops_m) limits += (limits.empty() ? "at most " : " and ") + format_number(*max_flops_m) + " MFLOPs";
    throw Error("no arch of this benchmark has " + limits + " on " + std::string(dataset_name(dataset)) +
                " (the smallest has " + format_number(smallest_cost(dataset, hp, max_params_m.has_value())) +
                (max_params_m ? " M parameters)" : " MFLOPs)"));
  }
  if (!found) {
    throw Error("no arch has " + std::string(split == Split::Valid ? "validation" : "test") + " accuracy for " +
                std::string(dataset_name(dataset)) + " at hp " + std::to_string(hp) + " in this benchmark");
  }
  return best;
}

}  // namespace nas::bench

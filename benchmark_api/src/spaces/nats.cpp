// The facts the two NATS-Bench spaces share (see nats.h).
#include "spaces/nats.h"

#include "nas/benchmark_api/importers.h"
#include "nas/benchmark_api/trial_record.h"

namespace nas::bench {

std::optional<MetricSource> NatsSpaceDefinition::resolve_split(Dataset dataset, Split split) const {
  switch (dataset) {
    case Dataset::Cifar10:
      return split == Split::Valid ? MetricSource{Dataset::Cifar10Valid, EvalSet::XValid}
                                   : MetricSource{Dataset::Cifar10, EvalSet::OriTest};
    case Dataset::Cifar10Valid:
      return MetricSource{Dataset::Cifar10Valid, split == Split::Valid ? EvalSet::XValid : EvalSet::OriTest};
    case Dataset::Cifar100:
    case Dataset::ImageNet16_120:
      return MetricSource{dataset, split == Split::Valid ? EvalSet::XValid : EvalSet::XTest};
  }
  return std::nullopt;
}

SearchSignal NatsSpaceDefinition::search_signal(Dataset dataset) const {
  SearchSignal signal;
  signal.dataset = dataset == Dataset::Cifar10 ? Dataset::Cifar10Valid : dataset;
  signal.set = EvalSet::XValid;
  signal.fallback = EvalSet::OriTest;
  return signal;
}

std::string NatsSpaceDefinition::describe_trial(std::int32_t seed) const {
  // The shipped tss data holds one trial of each arch whose seed its source did not record.
  return seed == 0 ? "0 (seed not recorded)" : std::to_string(seed);
}

std::string NatsSpaceDefinition::how_to_import() const {
  return "import the official " + std::string(official_directory()) + " directory with `nas bench import nats`";
}

double NatsSpaceDefinition::nats_budget_seconds(Dataset dataset, double imagenet_seconds) const {
  switch (dataset) {
    case Dataset::Cifar10:
    case Dataset::Cifar10Valid: return 20000;
    case Dataset::Cifar100: return 40000;
    case Dataset::ImageNet16_120: return imagenet_seconds;
  }
  return 20000;
}

void NatsSpaceDefinition::add_trial(const TrialRecord& record, StoreWriter& writer) const {
  require_trial_of(*this, record);
  NatsTrial trial;
  trial.index = record.index;
  trial.dataset = record.dataset;
  trial.hp = record.hp;
  trial.seed = record.seed;
  trial.params_m = record.params_m;
  trial.flops_m = record.flops_m;
  trial.latency_s = record.latency_s;
  for (const auto& [set, series] : record.sets) {
    NatsTrial::Series& out = trial.sets[set];
    out.loss = series.loss;
    out.accuracy = series.accuracy;
    out.time = series.time;
  }
  bench::add_trial(trial, writer);
}

}  // namespace nas::bench

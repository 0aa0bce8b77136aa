// What the two NATS-Bench spaces (topology tss, size sss) share: the four dataset keys, how "valid"
// and "test" resolve on them, what a search reads, the seed conventions and the importer.
#pragma once

#include "nas/benchmark_api/space.h"

namespace nas::bench {

class NatsSpaceDefinition : public SpaceDefinition {
 public:
  std::vector<Dataset> datasets() const override {
    return {Dataset::Cifar10Valid, Dataset::Cifar10, Dataset::Cifar100, Dataset::ImageNet16_120};
  }
  /// NATS-Bench's rule (its find_best and draw-table.py): cifar10 valid -> (cifar10-valid,
  /// x-valid), cifar10 test -> (cifar10, ori-test), cifar10-valid valid/test -> x-valid/ori-test,
  /// cifar100 and ImageNet16-120 valid/test -> x-valid/x-test of the key itself.
  std::optional<MetricSource> resolve_split(Dataset dataset, Split split) const override;
  /// NATS-Bench's simulate_train_eval: the x-valid accuracy of the 12-epoch schedule, on cifar10
  /// answered from cifar10-valid (a cifar10 network never saw a validation split), falling back to
  /// ori-test where a record has no x-valid value.
  SearchSignal search_signal(Dataset dataset) const override;
  int search_hp() const override { return 12; }
  std::string describe_trial(std::int32_t seed) const override;
  std::string how_to_import() const override;
  /// As the official import (add_trial of importers.h): full curves per (key, set, quantity, hp,
  /// seed); params, FLOPs and latency per trial.
  void add_trial(const TrialRecord& record, StoreWriter& writer) const override;

 protected:
  /// The official directory of the space's full data ("NATS-tss-v1_0-3ffb9-simple").
  virtual std::string_view official_directory() const = 0;
  /// NATS-Bench's search budget in simulated seconds (cifar10 and cifar10-valid 20,000, cifar100
  /// 40,000; ImageNet16-120 is the space's own).
  double nats_budget_seconds(Dataset dataset, double imagenet_seconds) const;
};

}  // namespace nas::bench

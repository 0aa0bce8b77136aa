// NAS-Bench-Macro as a space of the suite: its facts and its SearchSpace.
#include <algorithm>
#include <cmath>
#include <limits>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/macro/macro_space.h"
#include "nas/benchmark_api/search_space.h"
#include "nas/benchmark_api/store.h"
#include "nas/benchmark_api/trial_record.h"
#include "spaces/registered_spaces.h"

namespace nas::bench {
namespace {

class MacroSearchSpace final : public SearchSpace {
 public:
  Space space() const override { return Space::Macro; }
  std::uint32_t size() const override { return kMacroNumArchs; }
  std::string format(ArchId arch) const override { return format_macro_arch(macro_arch_at(arch)); }
  ArchId parse(std::string_view text) const override { return macro_index_of(parse_macro_arch(text)); }
  int num_decisions() const override { return kMacroNumLayers; }
  int num_choices(int) const override { return kMacroNumChoices; }
  std::string decision_name(int decision) const override { return "layer-" + std::to_string(decision); }
  std::string choice_name(int, int choice) const override { return std::string(macro_block_name(choice)); }
  std::vector<int> decisions(ArchId arch) const override {
    const MacroArch a = macro_arch_at(arch);
    return {a.blocks.begin(), a.blocks.end()};
  }
  ArchId from_decisions(const std::vector<int>& choices) const override {
    check_choices(choices);
    MacroArch a;
    for (int l = 0; l < kMacroNumLayers; ++l) a.blocks[static_cast<std::size_t>(l)] = static_cast<std::uint8_t>(choices[static_cast<std::size_t>(l)]);
    return macro_index_of(a);
  }
  /// A layer uniformly, then a different block on it (the space has no reference REA; a mutation
  /// that may keep the arch would waste evaluations on three choices).
  ArchId mutate(ArchId arch, Rng& rng) const override {
    MacroArch a = macro_arch_at(arch);
    const auto layer = static_cast<std::size_t>(rng.uniform_int(kMacroNumLayers));
    a.blocks[layer] = static_cast<std::uint8_t>((a.blocks[layer] + 1 + rng.uniform_int(kMacroNumChoices - 1)) % kMacroNumChoices);
    return macro_index_of(a);
  }
  /// The canonical code of the equivalence class (identical networks).
  std::string canonical_form(ArchId arch) const override { return format_macro_arch(macro_canonical(macro_arch_at(arch))); }
};

/// The data's single record per trial: the best test accuracy of one 50-epoch training.
constexpr int kMacroRecordHp = 1;
/// The default search budget: NAS-Bench-Macro has no training times, so searches count queries.
constexpr std::int64_t kMacroDefaultQueries = 100;

class MacroDefinition final : public SpaceDefinition {
 public:
  Space id() const override { return Space::Macro; }
  std::string_view name() const override { return "macro"; }
  std::vector<std::string_view> aliases() const override { return {"nas-bench-macro"}; }
  std::string_view description() const override { return "NAS-Bench-Macro: 8 MobileNetV2-like layers, 3 blocks each, CIFAR-10"; }
  std::uint32_t num_archs() const override { return kMacroNumArchs; }
  std::string format_arch(ArchId arch) const override { return format_macro_arch(macro_arch_at(arch)); }
  ArchId parse_arch(std::string_view text) const override { return macro_index_of(parse_macro_arch(text)); }
  std::string_view arch_syntax() const override { return "8 digits 0-2, e.g. 02012100"; }
  std::vector<ArchDetail> arch_details(ArchId arch) const override {
    const MacroArch a = macro_arch_at(arch);
    return {{"equivalence_class", format_macro_arch(macro_canonical(a))}, {"canonical", macro_is_canonical(a)}};
  }
  std::unique_ptr<SearchSpace> make_search_space() const override { return std::make_unique<MacroSearchSpace>(); }
  std::vector<Dataset> datasets() const override { return {Dataset::Cifar10}; }
  /// Trained on all 50k CIFAR-10 training images, evaluated on the 10k test images; the data has
  /// no validation split.
  std::optional<MetricSource> resolve_split(Dataset dataset, Split split) const override {
    if (dataset != Dataset::Cifar10 || split == Split::Valid) return std::nullopt;
    return MetricSource{Dataset::Cifar10, EvalSet::OriTest};
  }
  /// One seeded run's test accuracy: the only signal the data has (every result says so).
  SearchSignal search_signal(Dataset) const override {
    SearchSignal signal;
    signal.dataset = Dataset::Cifar10;
    signal.set = EvalSet::OriTest;
    signal.is_test_accuracy = true;
    return signal;
  }
  std::vector<int> fidelities() const override { return {}; }
  int search_hp() const override { return kMacroRecordHp; }
  int final_hp() const override { return kMacroRecordHp; }
  DefaultBudget default_budget(Dataset) const override { return {0, kMacroDefaultQueries}; }
  bool records_times() const override { return false; }
  std::int32_t min_trial_seed() const override { return 0; }
  /// As the official data: the best ori-test accuracy over the run's epochs (max over the 50, as
  /// MAC:train/train.py's best_acc), under the record hp; params and FLOPs in millions.
  void add_trial(const TrialRecord& record, StoreWriter& writer) const override {
    require_trial_of(*this, record);
    if (record.hp != kMacroTrainingEpochs) {
      throw Error("trial of arch " + std::to_string(record.index) + " trained " + std::to_string(record.hp) +
                  " epochs: a NAS-Bench-Macro record is the best epoch of a " + std::to_string(kMacroTrainingEpochs) +
                  "-epoch training");
    }
    const auto test = record.sets.find(EvalSet::OriTest);
    double best = std::numeric_limits<double>::quiet_NaN();
    if (test != record.sets.end()) {
      for (double accuracy : test->second.accuracy) {
        if (!std::isnan(accuracy) && !(accuracy <= best)) best = accuracy;
      }
    }
    if (std::isnan(best)) throw Error("trial of arch " + std::to_string(record.index) + " has no ori-test accuracy");
    const auto hp = static_cast<std::uint16_t>(kMacroRecordHp);
    const ColumnKey accuracy{Dataset::Cifar10, EvalSet::OriTest, Quantity::Accuracy, hp, record.seed};
    const ColumnKey params{Dataset::Cifar10, EvalSet::Train, Quantity::Params, hp, kMeanSeed};
    const ColumnKey flops{Dataset::Cifar10, EvalSet::Train, Quantity::Flops, hp, kMeanSeed};
    for (const ColumnKey& key : {accuracy, params, flops}) writer.add_column(key, 1);
    writer.set(accuracy, record.index, 0, best);
    writer.set(params, record.index, 0, record.params_m);
    writer.set(flops, record.index, 0, record.flops_m);
  }
  std::string_view shipped_store() const override { return "nas-bench-macro-cifar10.nasbench"; }
  std::string how_to_import() const override {
    return "rebuild it from the official nas-bench-macro_cifar10.json with `nas bench import macro`";
  }
  std::string_view decision_word() const override { return "layer"; }
  std::string_view choice_word() const override { return "block"; }
  NetworkCost cost(ArchId arch, Dataset) const override {
    const MacroCost c = macro_network_cost(macro_arch_at(arch));
    return {static_cast<double>(c.params) / 1e6, static_cast<double>(c.flops) / 1e6};
  }
};

}  // namespace

const SpaceDefinition& macro_space_definition() {
  static const MacroDefinition definition;
  return definition;
}

}  // namespace nas::bench

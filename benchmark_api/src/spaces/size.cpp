// The NATS-Bench size space (sss): its facts and its SearchSpace.
#include "nas/benchmark_api/cost_model.h"
#include "nas/benchmark_api/search_space.h"
#include "nas/benchmark_api/size_space.h"
#include "spaces/nats.h"
#include "spaces/registered_spaces.h"

namespace nas::bench {
namespace {

class SizeSearchSpace final : public SearchSpace {
 public:
  Space space() const override { return Space::Size; }
  std::uint32_t size() const override { return kSssNumArchs; }
  std::string format(ArchId arch) const override { return format_sss_arch(sss_arch_at(arch)); }
  ArchId parse(std::string_view text) const override { return sss_index_of(parse_sss_arch(text)); }
  int num_decisions() const override { return kSssNumLayers; }
  int num_choices(int) const override { return kSssNumCandidates; }
  std::string decision_name(int decision) const override { return "layer-" + std::to_string(decision); }
  std::string choice_name(int, int choice) const override { return std::to_string(kSssCandidates[choice]); }
  std::vector<int> decisions(ArchId arch) const override {
    const SssArch a = sss_arch_at(arch);
    return {a.choice.begin(), a.choice.end()};
  }
  ArchId from_decisions(const std::vector<int>& choices) const override {
    check_choices(choices);
    SssArch a;
    for (int l = 0; l < kSssNumLayers; ++l) a.choice[l] = static_cast<std::uint8_t>(choices[l]);
    return sss_index_of(a);
  }
  /// NATS-Bench's REA mutation on sss: a layer uniformly, then any of the 8 widths (the old one too).
  ArchId mutate(ArchId arch, Rng& rng) const override {
    SssArch a = sss_arch_at(arch);
    const auto layer = rng.uniform_int(kSssNumLayers);
    a.choice[layer] = static_cast<std::uint8_t>(rng.uniform_int(kSssNumCandidates));
    return sss_index_of(a);
  }
  /// Every config is its own network.
  std::string canonical_form(ArchId arch) const override { return format(arch); }
};

class SizeDefinition final : public NatsSpaceDefinition {
 public:
  Space id() const override { return Space::Size; }
  std::string_view name() const override { return "sss"; }
  std::vector<std::string_view> aliases() const override { return {"size"}; }
  std::string_view description() const override { return "NATS-Bench size space"; }
  std::uint32_t num_archs() const override { return kSssNumArchs; }
  std::string format_arch(ArchId arch) const override { return format_sss_arch(sss_arch_at(arch)); }
  ArchId parse_arch(std::string_view text) const override { return sss_index_of(parse_sss_arch(text)); }
  std::string_view arch_syntax() const override { return "C0:C1:C2:C3:C4"; }
  std::unique_ptr<SearchSpace> make_search_space() const override { return std::make_unique<SizeSearchSpace>(); }
  std::vector<int> fidelities() const override { return {1, 12, 90}; }
  int final_hp() const override { return 90; }
  DefaultBudget default_budget(Dataset dataset) const override { return {nats_budget_seconds(dataset, 60000), 0}; }
  std::string_view shipped_store() const override { return "nats-sss-v1_0-fixtures.nasbench"; }
  std::string_view decision_word() const override { return "layer"; }
  std::string_view choice_word() const override { return "width"; }
  NetworkCost cost(ArchId arch, Dataset dataset) const override {
    return sss_network_cost(sss_arch_at(arch), dataset_num_classes(dataset), dataset_image_size(dataset));
  }

 protected:
  std::string_view official_directory() const override { return "NATS-sss-v1_0-50262-simple"; }
};

}  // namespace

const SpaceDefinition& size_space_definition() {
  static const SizeDefinition definition;
  return definition;
}

}  // namespace nas::bench

// The NATS-Bench topology space (tss): its facts and its SearchSpace.
#include "nas/benchmark_api/cost_model.h"
#include "nas/benchmark_api/search_space.h"
#include "nas/benchmark_api/topology_space.h"
#include "spaces/nats.h"
#include "spaces/registered_spaces.h"

namespace nas::bench {
namespace {

class TopologySearchSpace final : public SearchSpace {
 public:
  Space space() const override { return Space::Topology; }
  std::uint32_t size() const override { return kTssNumArchs; }
  std::string format(ArchId arch) const override { return format_tss_arch(tss_arch_at(arch)); }
  ArchId parse(std::string_view text) const override { return tss_index_of(parse_tss_arch(text)); }
  int num_decisions() const override { return kTssNumEdges; }
  int num_choices(int) const override { return kTssNumOps; }
  std::string decision_name(int decision) const override {
    return std::to_string(kTssEdgeTo[decision]) + "<-" + std::to_string(kTssEdgeFrom[decision]);
  }
  std::string choice_name(int, int choice) const override { return std::string(tss_op_name(choice)); }
  std::vector<int> decisions(ArchId arch) const override {
    const TssArch a = tss_arch_at(arch);
    return {a.ops.begin(), a.ops.end()};
  }
  ArchId from_decisions(const std::vector<int>& choices) const override {
    check_choices(choices);
    TssArch a;
    for (int e = 0; e < kTssNumEdges; ++e) a.ops[e] = static_cast<std::uint8_t>(choices[e]);
    return tss_index_of(a);
  }
  /// NATS-Bench's REA mutation: a node uniformly in 1..3, one of its incoming edges uniformly, and
  /// a different op on it.
  ArchId mutate(ArchId arch, Rng& rng) const override {
    TssArch a = tss_arch_at(arch);
    const int node = 1 + static_cast<int>(rng.uniform_int(kTssNumNodes - 1));  // 1..3
    const int input = static_cast<int>(rng.uniform_int(static_cast<std::uint64_t>(node)));
    const int edge = node * (node - 1) / 2 + input;  // edges of node n start at n(n-1)/2
    const int shift = 1 + static_cast<int>(rng.uniform_int(kTssNumOps - 1));  // a different op
    a.ops[edge] = static_cast<std::uint8_t>((a.ops[edge] + shift) % kTssNumOps);
    return tss_index_of(a);
  }
  /// The isomorphism class (NATS-Bench's get_unique_str).
  std::string canonical_form(ArchId arch) const override { return tss_unique_str(tss_arch_at(arch)); }
};

class TopologyDefinition final : public NatsSpaceDefinition {
 public:
  Space id() const override { return Space::Topology; }
  std::string_view name() const override { return "tss"; }
  std::vector<std::string_view> aliases() const override { return {"topology"}; }
  std::string_view description() const override { return "NAS-Bench-201 / NATS-Bench topology space"; }
  std::uint32_t num_archs() const override { return kTssNumArchs; }
  std::string format_arch(ArchId arch) const override { return format_tss_arch(tss_arch_at(arch)); }
  ArchId parse_arch(std::string_view text) const override { return tss_index_of(parse_tss_arch(text)); }
  std::string_view arch_syntax() const override { return "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|"; }
  std::vector<ArchDetail> arch_details(ArchId arch) const override {
    const TssArch cell = tss_arch_at(arch);
    return {{"isomorphism_class", tss_unique_str(cell)}, {"connected", tss_is_valid(cell)}};
  }
  std::unique_ptr<SearchSpace> make_search_space() const override { return std::make_unique<TopologySearchSpace>(); }
  std::vector<int> fidelities() const override { return {12, 200}; }
  int final_hp() const override { return 200; }
  DefaultBudget default_budget(Dataset dataset) const override { return {nats_budget_seconds(dataset, 120000), 0}; }
  std::string_view shipped_store() const override { return "nats-tss-v1_0-shipped.nasbench"; }
  std::string_view decision_word() const override { return "edge"; }
  std::string_view choice_word() const override { return "op"; }
  NetworkCost cost(ArchId arch, Dataset dataset) const override {
    return tss_network_cost(tss_arch_at(arch), dataset_num_classes(dataset), dataset_image_size(dataset));
  }

 protected:
  std::string_view official_directory() const override { return "NATS-tss-v1_0-3ffb9-simple"; }
};

}  // namespace

const SpaceDefinition& topology_space_definition() {
  static const TopologyDefinition definition;
  return definition;
}

}  // namespace nas::bench

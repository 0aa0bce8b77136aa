// The two NATS-Bench spaces behind the SearchSpace interface.
#include "nas/benchmark_api/search_space.h"

#include <algorithm>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/size_space.h"
#include "nas/benchmark_api/topology_space.h"

namespace nas::bench {
namespace {

void check_choices(const SearchSpace& space, const std::vector<int>& choices) {
  if (static_cast<int>(choices.size()) != space.num_decisions()) {
    throw Error(std::string(space.name()) + " archs have " + std::to_string(space.num_decisions()) + " decisions, got " +
                std::to_string(choices.size()));
  }
  for (int d = 0; d < space.num_decisions(); ++d) {
    if (choices[d] < 0 || choices[d] >= space.num_choices(d)) {
      throw Error("choice " + std::to_string(choices[d]) + " out of range for decision " + space.decision_name(d));
    }
  }
}

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
    check_choices(*this, choices);
    TssArch a;
    for (int e = 0; e < kTssNumEdges; ++e) a.ops[e] = static_cast<std::uint8_t>(choices[e]);
    return tss_index_of(a);
  }
  ArchId mutate(ArchId arch, Rng& rng) const override {
    TssArch a = tss_arch_at(arch);
    const int node = 1 + static_cast<int>(rng.uniform_int(kTssNumNodes - 1));  // 1..3
    const int input = static_cast<int>(rng.uniform_int(static_cast<std::uint64_t>(node)));
    const int edge = node * (node - 1) / 2 + input;  // edges of node n start at n(n-1)/2
    const int shift = 1 + static_cast<int>(rng.uniform_int(kTssNumOps - 1));  // a different op
    a.ops[edge] = static_cast<std::uint8_t>((a.ops[edge] + shift) % kTssNumOps);
    return tss_index_of(a);
  }
  std::string canonical_form(ArchId arch) const override { return tss_unique_str(tss_arch_at(arch)); }
};

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
    check_choices(*this, choices);
    SssArch a;
    for (int l = 0; l < kSssNumLayers; ++l) a.choice[l] = static_cast<std::uint8_t>(choices[l]);
    return sss_index_of(a);
  }
  ArchId mutate(ArchId arch, Rng& rng) const override {
    SssArch a = sss_arch_at(arch);
    const auto layer = rng.uniform_int(kSssNumLayers);
    a.choice[layer] = static_cast<std::uint8_t>(rng.uniform_int(kSssNumCandidates));
    return sss_index_of(a);
  }
  std::string canonical_form(ArchId arch) const override { return format(arch); }
};

}  // namespace

ArchId SearchSpace::sample(Rng& rng) const {
  std::vector<int> choices(static_cast<std::size_t>(num_decisions()));
  for (int d = 0; d < num_decisions(); ++d) choices[d] = static_cast<int>(rng.uniform_int(static_cast<std::uint64_t>(num_choices(d))));
  return from_decisions(choices);
}

std::vector<ArchId> SearchSpace::neighbours(ArchId arch) const {
  const std::vector<int> base = decisions(arch);
  std::vector<ArchId> result;
  for (int d = 0; d < num_decisions(); ++d) {
    for (int c = 0; c < num_choices(d); ++c) {
      if (c == base[d]) continue;
      std::vector<int> changed = base;
      changed[d] = c;
      result.push_back(from_decisions(changed));
    }
  }
  std::sort(result.begin(), result.end());
  return result;
}

int SearchSpace::edit_distance(ArchId a, ArchId b) const {
  const std::vector<int> x = decisions(a), y = decisions(b);
  int distance = 0;
  for (std::size_t i = 0; i < x.size(); ++i) distance += x[i] != y[i] ? 1 : 0;
  return distance;
}

std::unique_ptr<SearchSpace> make_search_space(Space space) {
  if (space == Space::Topology) return std::make_unique<TopologySearchSpace>();
  return std::make_unique<SizeSearchSpace>();
}

}  // namespace nas::bench

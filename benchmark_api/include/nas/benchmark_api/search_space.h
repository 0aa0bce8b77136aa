// nas::bench::SearchSpace: what a searcher needs to know about a space, independent of which one.
//
// Architectures are identified by their benchmark index (ArchId): a plain integer that is cheap to
// copy, hash and store, and that every benchmark query takes directly. Every space is also a fixed
// set of categorical decisions (tss: 6 edges x 5 ops; sss: 5 layers x 8 widths; macro: 8 layers x 3
// blocks; nb101: 21 edge bits + 5 vertex ops), which is the encoding that policy- and model-based
// searchers (REINFORCE, BOHB) work on. One REA, one REINFORCE, one BOHB therefore serve every space.
//
// In the first three spaces every combination of choices is an arch. In nb101 some are not (a
// graph whose output is unreachable, or with more than 9 edges after pruning: 27% of uniformly drawn
// combinations), so a searcher that builds choices itself asks try_from_decisions and draws again
// when it says no.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nas/benchmark_api/rng.h"
#include "nas/benchmark_api/space.h"

namespace nas::bench {

class SearchSpace {
 public:
  virtual ~SearchSpace() = default;

  virtual Space space() const = 0;
  /// "tss" / "sss".
  std::string_view name() const { return space_name(space()); }
  virtual std::uint32_t size() const = 0;

  virtual std::string format(ArchId arch) const = 0;
  /// Throws nas::Error for a malformed string.
  virtual ArchId parse(std::string_view text) const = 0;

  /// Number of categorical decisions and the number of choices of each.
  virtual int num_decisions() const = 0;
  virtual int num_choices(int decision) const = 0;
  /// Names as NATS-Bench's configuration spaces use them ("1<-0" ... / "layer-0" ...).
  virtual std::string decision_name(int decision) const = 0;
  /// "none" ... "avg_pool_3x3" / "8" ... "64".
  virtual std::string choice_name(int decision, int choice) const = 0;
  /// The choice of every decision, and back.
  virtual std::vector<int> decisions(ArchId arch) const = 0;
  /// Throws nas::Error for choices out of range, or (nb101) a combination that is not an arch.
  virtual ArchId from_decisions(const std::vector<int>& choices) const = 0;
  /// The arch of a combination of choices, or std::nullopt if the combination is none (nb101: not
  /// a valid cell). Choices out of range still throw. Default: every combination is an arch.
  virtual std::optional<ArchId> try_from_decisions(const std::vector<int>& choices) const { return from_decisions(choices); }

  /// Uniform over the space's archs. Default: an independent uniform choice per decision, which is
  /// uniform over the archs when every combination is one (nb101 draws an index instead).
  virtual ArchId sample(Rng& rng) const;
  /// One mutation as NATS-Bench's REA does it: tss picks a node, one of its incoming edges and a
  /// different op; sss picks a layer and a uniformly random width (possibly the same).
  virtual ArchId mutate(ArchId arch, Rng& rng) const = 0;
  /// Every other arch whose decisions differ from this arch's in exactly one, ascending, once each
  /// (combinations that are no arch are left out).
  std::vector<ArchId> neighbours(ArchId arch) const;
  /// Number of decisions on which two archs differ.
  int edit_distance(ArchId a, ArchId b) const;
  /// A key equal for archs that compute the same function (tss: isomorphism class; sss: the arch;
  /// macro: the canonical code).
  virtual std::string canonical_form(ArchId arch) const = 0;

 protected:
  /// Throws nas::Error unless `choices` has one valid choice per decision.
  void check_choices(const std::vector<int>& choices) const;
};

/// The SearchSpace of a space (SpaceDefinition::make_search_space).
std::unique_ptr<SearchSpace> make_search_space(Space space);

}  // namespace nas::bench

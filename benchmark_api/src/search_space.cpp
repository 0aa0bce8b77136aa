// What every SearchSpace derives the same way (each space implements the rest in spaces/).
#include "nas/benchmark_api/search_space.h"

#include <algorithm>

#include "nas/benchmark_api/error.h"

namespace nas::bench {

void SearchSpace::check_choices(const std::vector<int>& choices) const {
  if (static_cast<int>(choices.size()) != num_decisions()) {
    throw Error(std::string(name()) + " archs have " + std::to_string(num_decisions()) + " decisions, got " +
                std::to_string(choices.size()));
  }
  for (int d = 0; d < num_decisions(); ++d) {
    if (choices[d] < 0 || choices[d] >= num_choices(d)) {
      throw Error("choice " + std::to_string(choices[d]) + " out of range for decision " + decision_name(d));
    }
  }
}

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
      const std::optional<ArchId> neighbour = try_from_decisions(changed);
      if (neighbour && *neighbour != arch) result.push_back(*neighbour);
    }
  }
  // Distinct in every space but nb101, where two changes can give one cell (up to isomorphism).
  std::sort(result.begin(), result.end());
  result.erase(std::unique(result.begin(), result.end()), result.end());
  return result;
}

int SearchSpace::edit_distance(ArchId a, ArchId b) const {
  const std::vector<int> x = decisions(a), y = decisions(b);
  int distance = 0;
  for (std::size_t i = 0; i < x.size(); ++i) distance += x[i] != y[i] ? 1 : 0;
  return distance;
}

std::unique_ptr<SearchSpace> make_search_space(Space space) { return space_definition(space).make_search_space(); }

}  // namespace nas::bench

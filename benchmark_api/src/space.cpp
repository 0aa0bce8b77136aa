// The table of search spaces, and the facts every space derives the same way.
#include "nas/benchmark_api/space.h"

#include <algorithm>

#include "nas/benchmark_api/error.h"
#include "spaces/registered_spaces.h"

namespace nas::bench {

const std::vector<const SpaceDefinition*>& all_spaces() {
  // The registration of every space: one line each, in the order lists and reports show them.
  static const std::vector<const SpaceDefinition*> spaces{
      &topology_space_definition(),
      &size_space_definition(),
      &macro_space_definition(),
      &nb101_space_definition(),
  };
  return spaces;
}

const SpaceDefinition& space_definition(Space space) {
  for (const SpaceDefinition* definition : all_spaces()) {
    if (definition->id() == space) return *definition;
  }
  throw Error("search space code " + std::to_string(static_cast<int>(space)) + " is not registered");
}

std::string space_names() {
  std::string names;
  for (const SpaceDefinition* definition : all_spaces()) names += (names.empty() ? "" : ", ") + std::string(definition->name());
  return names;
}

const SpaceDefinition& find_space(std::string_view name) {
  for (const SpaceDefinition* definition : all_spaces()) {
    if (definition->name() == name) return *definition;
    for (std::string_view alias : definition->aliases()) {
      if (alias == name) return *definition;
    }
  }
  throw Error("unknown search space '" + std::string(name) + "' (expected one of " + space_names() + ")");
}

ArchId SpaceDefinition::arch_of_hash(std::string_view) const {
  throw Error("the " + std::string(name()) + " space has no hashes (give --index or --arch)");
}

bool SpaceDefinition::has_dataset(Dataset dataset) const {
  const std::vector<Dataset> keys = datasets();
  return std::find(keys.begin(), keys.end(), dataset) != keys.end();
}

void SpaceDefinition::require_dataset(Dataset dataset) const {
  if (has_dataset(dataset)) return;
  std::string keys;
  for (Dataset d : datasets()) keys += (keys.empty() ? "" : ", ") + std::string(dataset_name(d));
  throw Error("the " + std::string(name()) + " space has no dataset " + std::string(dataset_name(dataset)) + " (it has " +
              keys + ")");
}

Dataset SpaceDefinition::choose_dataset(std::string_view named) const {
  if (!named.empty()) {
    const Dataset dataset = parse_dataset(named);
    require_dataset(dataset);
    return dataset;
  }
  const std::vector<Dataset> keys = datasets();
  if (keys.size() == 1) return keys.front();
  std::string listed;
  for (Dataset d : keys) listed += (listed.empty() ? "" : ", ") + std::string(dataset_name(d));
  throw Error("--dataset is required on the " + std::string(name()) + " space (it has " + listed + ")");
}

void SpaceDefinition::require_index(std::int64_t arch, std::string_view what) const {
  if (arch >= 0 && arch < static_cast<std::int64_t>(num_archs())) return;
  throw Error(std::string(what) + " " + std::to_string(arch) + " is out of range for the " + std::string(name()) +
              " space [0, " + std::to_string(num_archs() - 1) + "]");
}

std::pair<double, double> SpaceDefinition::default_budget_range() const {
  const std::vector<int> schedules = fidelities();
  const auto largest = static_cast<double>(search_hp());
  if (schedules.empty()) return {largest, largest};
  if (!budgets_are_separate_runs()) return {1.0, largest};
  return {static_cast<double>(*std::min_element(schedules.begin(), schedules.end())), largest};
}

int SpaceDefinition::resolve_hp(std::optional<int> hp) const {
  if (!hp) return final_hp();
  const std::vector<int> allowed = fidelities();
  if (allowed.empty()) {
    throw Error("hp " + std::to_string(*hp) + " given, but the " + std::string(name()) +
                " space has no fidelities (its records are final results): do not give an hp");
  }
  if (std::find(allowed.begin(), allowed.end(), *hp) == allowed.end()) {
    std::string list;
    for (int h : allowed) list += (list.empty() ? "" : ", ") + std::to_string(h);
    throw Error("hp " + std::to_string(*hp) + " is not in this benchmark: the " + std::string(name()) +
                " space's schedules are " + list);
  }
  return *hp;
}

}  // namespace nas::bench

// The searcher registry and YAML override helpers.
#include "nas/algorithms/registry.h"

#include <algorithm>

#include "nas/algorithms/yaml_file.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/text.h"

namespace nas::algorithms {

namespace {

template <typename FamilyBase>
std::unique_ptr<FamilyBase> as_family(std::unique_ptr<Searcher> searcher, const std::string& name,
                                      SearcherFamily wanted) {
  auto* typed = dynamic_cast<FamilyBase*>(searcher.get());
  if (typed == nullptr) {
    throw Error("searcher " + name + " is not " + std::string(family_name(wanted)));
  }
  searcher.release();
  return std::unique_ptr<FamilyBase>(typed);
}

}  // namespace

std::unique_ptr<QuerySearcher> as_query_searcher(std::unique_ptr<Searcher> searcher, const std::string& name) {
  return as_family<QuerySearcher>(std::move(searcher), name, SearcherFamily::QueryBased);
}

std::unique_ptr<TrainingSearcher> as_training_searcher(std::unique_ptr<Searcher> searcher, const std::string& name) {
  return as_family<TrainingSearcher>(std::move(searcher), name, SearcherFamily::WeightSharing);
}

void SearcherRegistry::add(SearcherEntry entry) {
  // The name becomes part of file names (checkpoints) and of results rows.
  if (!is_safe_name(entry.name)) {
    throw Error("searcher name " + nas::quoted(entry.name) + " is not allowed: use " + std::string(safe_name_rule()));
  }
  if (!is_valid_utf8(entry.description)) throw Error("searcher " + entry.name + ": its description is not valid UTF-8");
  const std::string name = entry.name;
  if (!entries_.emplace(name, std::move(entry)).second) {
    throw Error("searcher '" + name + "' is registered twice");
  }
}

const SearcherEntry& SearcherRegistry::get(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) {
    std::string known;
    for (const auto& [key, entry] : entries_) known += (known.empty() ? "" : ", ") + key;
    throw Error("unknown algorithm '" + name + "' (registered: " + known + ")");
  }
  return it->second;
}

ResolvedSearcher SearcherRegistry::resolve(const std::string& name, const YAML::Node& overrides) const {
  ResolvedSearcher resolved;
  resolved.entry = &get(name);
  resolved.config = resolved.entry->resolve(overrides);
  return resolved;
}

bool SearcherRegistry::searches(const std::string& name, bench::Space space) const {
  const auto& spaces = get(name).spaces;
  return std::find(spaces.begin(), spaces.end(), space) != spaces.end();
}

std::vector<const SearcherEntry*> SearcherRegistry::entries() const {
  std::vector<const SearcherEntry*> out;
  for (const auto& [name, entry] : entries_) out.push_back(&entry);
  return out;
}

const ArchitectureTrainer& SearcherRegistry::architecture_trainer() const {
  if (!trainer_) {
    throw Error("training needs the LibTorch library (libnas_weight_sharing), which this nas was built or installed without");
  }
  return *trainer_;
}

YAML::Node apply_overrides(YAML::Node base, const std::vector<std::string>& assignments) {
  YAML::Node out = base && base.IsMap() ? YAML::Clone(base) : YAML::Node(YAML::NodeType::Map);
  for (const std::string& assignment : assignments) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("--set expects key=value, got '" + assignment + "'");
    const std::string key = assignment.substr(0, eq);
    out[key] = load_yaml_text(assignment.substr(eq + 1), "--set " + key);
  }
  return out;
}

}  // namespace nas::algorithms

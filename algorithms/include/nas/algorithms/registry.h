// The searcher registry: name -> factory + config schema, for built-ins and plugins alike.
//
//   SearcherRegistry registry;
//   register_builtin_searchers(registry);          // explicit: no static-initialisation order issues
//   load_plugin("libmy_searcher.so", registry);    // plugin.h
//   auto rea = registry.create_query("rea", config_yaml);          // a QuerySearcher
//   auto gdas = registry.create_training("gdas", config_yaml);    // a TrainingSearcher
//
// A searcher type provides `struct Config`, `static void describe(ConfigBinder<Config>&)` and a
// constructor from its Config; `make_searcher_entry<T>(name, description)` builds its entry.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "nas/algorithms/config.h"
#include "nas/algorithms/searcher.h"

namespace nas::algorithms {

class ArchitectureTrainer;


struct SearcherEntry {
  std::string name;
  std::string description;
  SearcherFamily family = SearcherFamily::QueryBased;  ///< from the searcher's base class
  /// The spaces it searches (query-based searchers: every space, unless the entry restricts them;
  /// a supernet: the one it is built for).
  std::vector<bench::Space> spaces;
  std::vector<ConfigField> fields;
  /// Builds a searcher from config overrides (a YAML map or null); throws nas::Error on bad keys
  /// or out-of-range values.
  std::function<std::unique_ptr<Searcher>(const YAML::Node& config)> create;
  /// The full resolved config (defaults + overrides) as YAML, checked completely: keys, types and
  /// ranges (the searcher is built once to validate it, which trains or loads nothing).
  std::function<YAML::Node(const YAML::Node& config)> resolve;
};

/// `searcher` (built by the entry `name`) as its family's base class; a searcher of the other
/// family is a nas::Error naming it and its family.
std::unique_ptr<QuerySearcher> as_query_searcher(std::unique_ptr<Searcher> searcher, const std::string& name);
std::unique_ptr<TrainingSearcher> as_training_searcher(std::unique_ptr<Searcher> searcher, const std::string& name);

/// A searcher chosen and configured once, where the user names it (the command line, an
/// experiment file): its registry entry and its complete, validated config. Everything downstream
/// takes this instead of a name to look up and a config to parse again.
struct ResolvedSearcher {
  const SearcherEntry* entry = nullptr;
  YAML::Node config;  ///< every key of the searcher's config

  const std::string& name() const { return entry->name; }
  SearcherFamily family() const { return entry->family; }
  std::unique_ptr<Searcher> create() const { return entry->create(config); }
  /// The searcher as its family's base (nas::Error for the other family).
  std::unique_ptr<QuerySearcher> create_query() const { return as_query_searcher(create(), name()); }
  std::unique_ptr<TrainingSearcher> create_training() const { return as_training_searcher(create(), name()); }
};

/// Every space of this build (the default of a query-based searcher's entry: its SearchSpace is
/// all it uses, and every space has one).
inline std::vector<bench::Space> every_space() {
  std::vector<bench::Space> spaces;
  for (const bench::SpaceDefinition* space : bench::all_spaces()) spaces.push_back(space->id());
  return spaces;
}

template <typename SearcherT>
SearcherEntry make_searcher_entry(const std::string& name, const std::string& description,
                                  std::vector<bench::Space> spaces = every_space()) {
  static_assert(std::is_base_of_v<QuerySearcher, SearcherT> || std::is_base_of_v<TrainingSearcher, SearcherT>,
                "a searcher derives from QuerySearcher (ask/tell on a benchmark) or TrainingSearcher (supernets)");
  using Config = typename SearcherT::Config;
  auto binder = std::make_shared<ConfigBinder<Config>>("searcher " + name);
  SearcherT::describe(*binder);
  SearcherEntry entry;
  entry.name = name;
  entry.description = description;
  entry.family = std::is_base_of_v<QuerySearcher, SearcherT> ? SearcherFamily::QueryBased : SearcherFamily::WeightSharing;
  entry.spaces = std::move(spaces);
  entry.fields = binder->fields();
  entry.create = [binder](const YAML::Node& config) -> std::unique_ptr<Searcher> {
    return std::make_unique<SearcherT>(binder->parse(config));
  };
  entry.resolve = [binder](const YAML::Node& config) {
    const Config parsed = binder->parse(config);
    SearcherT validated(parsed);  // the constructor checks every range
    return binder->to_yaml(parsed);
  };
  return entry;
}

class SearcherRegistry {
 public:
  /// Adds an entry; a name already registered is a nas::Error.
  void add(SearcherEntry entry);
  /// The entry of a name; an unknown name is a nas::Error listing the registered ones.
  const SearcherEntry& get(const std::string& name) const;
  /// Whether the searcher `name` searches `space` (unknown name: nas::Error).
  bool searches(const std::string& name, bench::Space space) const;
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  std::unique_ptr<Searcher> create(const std::string& name, const YAML::Node& config) const {
    return get(name).create(config);
  }
  /// create() as the family's base class: nas::Error if `name` is a searcher of the other family.
  std::unique_ptr<QuerySearcher> create_query(const std::string& name, const YAML::Node& config) const {
    return as_query_searcher(create(name, config), name);
  }
  std::unique_ptr<TrainingSearcher> create_training(const std::string& name, const YAML::Node& config) const {
    return as_training_searcher(create(name, config), name);
  }
  /// The entry of `name` with its config resolved from `overrides`: the one place a searcher name
  /// and its settings are turned into what runs. Throws nas::Error for an unknown name or a bad config.
  ResolvedSearcher resolve(const std::string& name, const YAML::Node& overrides) const;
  /// All entries, sorted by name.
  std::vector<const SearcherEntry*> entries() const;

  /// The trainer of `nas train` (architecture_trainer.h), installed by the LibTorch library's
  /// registration; architecture_trainer() is a nas::Error when none is installed.
  void set_architecture_trainer(std::shared_ptr<const ArchitectureTrainer> trainer) { trainer_ = std::move(trainer); }
  const ArchitectureTrainer& architecture_trainer() const;
  bool has_architecture_trainer() const { return trainer_ != nullptr; }
  std::shared_ptr<const ArchitectureTrainer> shared_architecture_trainer() const { return trainer_; }

 private:
  std::map<std::string, SearcherEntry> entries_;
  std::shared_ptr<const ArchitectureTrainer> trainer_;
};

/// Registers random, rea, reinforce and bohb.
void register_builtin_searchers(SearcherRegistry& registry);

}  // namespace nas::algorithms

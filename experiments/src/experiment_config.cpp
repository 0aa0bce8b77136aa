// Parsing, resolving and hashing experiment files.
#include "experiment_config.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <set>
#include <type_traits>

#include "nas/algorithms/yaml_file.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/text.h"
#include "run.h"

namespace nas::experiments {
namespace {

YAML::Node load_yaml(const std::string& path) { return algorithms::load_yaml_file(path, "experiment file"); }

/// Keys an older version of the file format had, and what replaced them.
std::string replaced_key_hint(const std::string& key) {
  if (key == "space") return "; a grid now lists its spaces: spaces: [tss]";
  if (key == "benchmark") return "; benchmarks are now given per space: benchmarks: {tss: shipped}";
  return "";
}

/// A map key as text. YAML allows a list or a map as a key (`? [a]`, `{[a]: 1}`), which
/// as<std::string>() would reject with a yaml-cpp exception naming nothing.
std::string key_text(const YAML::Node& key, const std::string& where) {
  if (key.IsNull()) return "null";  // `~: x` is the key 'null', as yaml-cpp reads it
  if (!key.IsScalar()) {
    throw Error(where + ": line " + std::to_string(key.Mark().line + 1) + ": a key must be a plain name, not a YAML " +
                (key.IsMap() ? "map" : "list"));
  }
  return key.Scalar();
}

void reject_unknown_keys(const YAML::Node& map, const std::set<std::string>& known, const std::string& where) {
  for (const auto& item : map) {
    const std::string key = key_text(item.first, where);
    if (known.count(key) == 0) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw Error(where + ": unknown key '" + key + "' (known: " + list + ")" + replaced_key_hint(key));
    }
  }
}

template <typename T>
T scalar(const YAML::Node& node, const std::string& where, const char* expected) {
  if (!node.IsScalar()) throw Error(where + " must be " + expected);
  if constexpr (std::is_same_v<T, std::string>) {
    // The file is UTF-8, but an escape ("\ud800") can still make an invalid string.
    if (!is_valid_utf8(node.Scalar())) throw Error(where + " is not valid UTF-8 text");
  }
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw Error(where + " must be " + expected + ", got " + nas::quoted(node.Scalar()));
  }
}

/// A label: it names checkpoint files inside the results folder and rows of the report.
std::string label_value(const YAML::Node& node, const std::string& where) {
  const std::string label = scalar<std::string>(node, where, "a label");
  if (!is_safe_name(label)) {
    throw Error(where + ": label " + nas::quoted(label) + " is not allowed: use " + std::string(safe_name_rule()));
  }
  return label;
}

/// A seed: a non-negative integer (yaml-cpp would wrap "-1" around to 2^64 - 1).
std::uint64_t seed_value(const YAML::Node& node, const std::string& where) {
  if (node.IsScalar() && !node.Scalar().empty() && node.Scalar()[0] == '-') {
    throw Error(where + " must be a non-negative integer, got '" + node.Scalar() + "'");
  }
  return scalar<std::uint64_t>(node, where, "a non-negative integer");
}

/// The most seeds an experiment file may give, over all its algorithms (each seed is one search per
/// space and dataset): far beyond any real grid (NATS-Bench runs 500 per searcher), and a bound on
/// what loading builds; `runs: 2000000000` would otherwise make a 16 GB list of seeds.
constexpr std::uint64_t kMaxSeeds = 1000000;

int runs_value(const YAML::Node& node, const std::string& where) {
  const int runs = scalar<int>(node, where, "a positive integer");
  if (runs < 1) throw Error(where + " must be a positive integer");
  if (static_cast<std::uint64_t>(runs) > kMaxSeeds) throw Error(where + " must be at most " + std::to_string(kMaxSeeds));
  return runs;
}

SeedSet seed_range(int runs, std::uint64_t first_seed, const std::string& where) {
  if (first_seed > std::numeric_limits<std::uint64_t>::max() - static_cast<std::uint64_t>(runs - 1)) {
    throw Error(where + ": the seeds first_seed .. first_seed + runs - 1 go beyond " +
                std::to_string(std::numeric_limits<std::uint64_t>::max()));
  }
  SeedSet set;
  for (int r = 0; r < runs; ++r) set.seeds.push_back(first_seed + static_cast<std::uint64_t>(r));
  return set;
}

SeedSet seed_list(const YAML::Node& node, const std::string& where) {
  if (!node.IsSequence() || node.size() == 0) throw Error(where + " must be a non-empty list of seeds");
  SeedSet set;
  set.listed = true;
  for (std::size_t i = 0; i < node.size(); ++i) set.seeds.push_back(seed_value(node[i], where + "[" + std::to_string(i) + "]"));
  std::sort(set.seeds.begin(), set.seeds.end());
  if (std::adjacent_find(set.seeds.begin(), set.seeds.end()) != set.seeds.end()) {
    throw Error(where + " lists a seed twice");
  }
  return set;
}

/// What the top level says about seeds, for the algorithms that do not say it themselves.
struct SeedDefaults {
  std::optional<int> runs;
  std::uint64_t first_seed = 0;
  std::optional<SeedSet> listed;
};

SeedDefaults read_seed_defaults(const YAML::Node& root, const std::string& path) {
  SeedDefaults defaults;
  if (root["seeds"]) {
    if (root["runs"] || root["first_seed"]) throw Error(path + ": give either seeds or runs/first_seed, not both");
    defaults.listed = seed_list(root["seeds"], path + ": seeds");
  }
  if (root["runs"]) defaults.runs = runs_value(root["runs"], path + ": runs");
  if (root["first_seed"]) defaults.first_seed = seed_value(root["first_seed"], path + ": first_seed");
  return defaults;
}

/// An algorithm's seeds: its own `seeds`, or its `runs`/`first_seed` (each defaulting to the top
/// level's), or the top level's seeds.
SeedSet algorithm_seeds(const YAML::Node& a, const SeedDefaults& defaults, const std::string& where) {
  if (a["seeds"]) {
    if (a["runs"] || a["first_seed"]) throw Error(where + ": give either seeds or runs/first_seed, not both");
    return seed_list(a["seeds"], where + ".seeds");
  }
  if (!a["runs"] && !a["first_seed"] && defaults.listed) return *defaults.listed;
  std::optional<int> runs = defaults.runs;
  if (a["runs"]) runs = runs_value(a["runs"], where + ".runs");
  if (!runs) throw Error(where + ": no seeds: set runs (or seeds) at the top level or for this algorithm");
  const std::uint64_t first = a["first_seed"] ? seed_value(a["first_seed"], where + ".first_seed") : defaults.first_seed;
  return seed_range(*runs, first, where);
}

std::vector<bench::Space> space_list(const YAML::Node& node, const std::string& where) {
  if (!node.IsSequence() || node.size() == 0) throw Error(where + " must be a non-empty list of spaces (" + bench::space_names() + ")");
  std::vector<bench::Space> spaces;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string entry = where + "[" + std::to_string(i) + "]";
    bench::Space space;
    try {
      space = bench::parse_space(scalar<std::string>(node[i], entry, "a space name"));
    } catch (const Error& e) {
      const std::string what = e.what();
      throw Error(what.rfind(entry, 0) == 0 ? what : entry + ": " + what);
    }
    if (std::find(spaces.begin(), spaces.end(), space) != spaces.end()) {
      throw Error(where + " lists " + std::string(bench::space_name(space)) + " twice");
    }
    spaces.push_back(space);
  }
  return spaces;
}

std::string space_names(const std::vector<bench::Space>& spaces) {
  std::string out;
  for (bench::Space s : spaces) out += (out.empty() ? "" : ", ") + std::string(bench::space_name(s));
  return out;
}

bool contains(const std::vector<bench::Space>& spaces, bench::Space space) {
  return std::find(spaces.begin(), spaces.end(), space) != spaces.end();
}

std::map<bench::Space, std::string> read_benchmarks(const YAML::Node& root, const std::vector<bench::Space>& spaces,
                                                    const std::string& path) {
  std::map<bench::Space, std::string> benchmarks;
  for (bench::Space space : spaces) benchmarks[space] = "shipped";
  const YAML::Node node = root["benchmarks"];
  if (!node) return benchmarks;
  if (!node.IsMap()) throw Error(path + ": benchmarks must be a map from space to 'shipped' or a store path");
  for (const auto& item : node) {
    const std::string key = key_text(item.first, path + ": benchmarks");
    const std::string where = path + ": benchmarks." + key;
    bench::Space space;
    try {
      space = bench::parse_space(key);
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
    if (!contains(spaces, space)) {
      throw Error(where + ": " + std::string(bench::space_name(space)) + " is not one of the grid's spaces (" +
                  space_names(spaces) + ")");
    }
    const std::string value = scalar<std::string>(item.second, where, "'shipped' or the path of a store");
    if (value.empty()) throw Error(where + " must be 'shipped' or the path of a store");
    benchmarks[space] = value;
  }
  return benchmarks;
}

/// The spaces an algorithm runs on: those it lists (each must be in the grid and searched by it), or
/// every grid space it searches.
std::vector<bench::Space> algorithm_spaces(const YAML::Node& a, const algorithms::SearcherEntry& entry,
                                           const std::vector<bench::Space>& grid, const std::string& where) {
  const std::string who = where + " (" + entry.name + ")";
  if (a["spaces"]) {
    const std::vector<bench::Space> listed = space_list(a["spaces"], where + ".spaces");
    std::vector<bench::Space> out;
    for (bench::Space space : grid) {  // the grid's order, so reports and jobs agree
      if (contains(listed, space)) out.push_back(space);
    }
    for (bench::Space space : listed) {
      if (!contains(grid, space)) {
        throw Error(who + ": space " + std::string(bench::space_name(space)) + " is not one of the grid's spaces (" +
                    space_names(grid) + ")");
      }
      if (!contains(entry.spaces, space)) {
        throw Error(who + " does not search " + std::string(bench::space_name(space)) + " (it searches " +
                    space_names(entry.spaces) + ")");
      }
    }
    return out;
  }
  std::vector<bench::Space> out;
  for (bench::Space space : grid) {
    if (contains(entry.spaces, space)) out.push_back(space);
  }
  if (out.empty()) {
    throw Error(who + " searches " + space_names(entry.spaces) + ", none of the grid's spaces (" + space_names(grid) + ")");
  }
  return out;
}

}  // namespace

algorithms::Budget ExperimentConfig::budget_for(bench::Space space, bench::Dataset dataset) const {
  algorithms::Budget budget;
  if (budget_kind == "queries") {
    budget.queries = budget_queries;
  } else if (budget_kind == "seconds") {
    budget.seconds = budget_seconds;
  } else {
    budget = default_budget(space, dataset);
  }
  return budget;
}

ExperimentFile read_experiment_file(const std::string& path) { return {path, load_yaml(path)}; }

std::vector<std::string> read_plugin_list(const ExperimentFile& file) {
  const YAML::Node& root = file.root;
  const std::string& path = file.path;
  std::vector<std::string> plugins;
  if (root.IsMap() && root["plugins"]) {
    if (!root["plugins"].IsSequence()) throw Error(path + ": plugins must be a list of paths");
    for (const auto& p : root["plugins"]) plugins.push_back(scalar<std::string>(p, path + ": plugins entry", "a path"));
  }
  return plugins;
}

ExperimentConfig load_experiment(const ExperimentFile& file, const algorithms::SearcherRegistry& registry) {
  const YAML::Node& root = file.root;
  const std::string& path = file.path;
  if (!root.IsMap()) throw Error(path + ": an experiment file is a YAML map");
  reject_unknown_keys(root, {"name", "spaces", "benchmarks", "datasets", "runs", "first_seed", "seeds", "budget", "plugins",
                             "algorithms", "data", "device", "torch_threads"},
                      path);
  ExperimentConfig config;
  auto required = [&](const char* key) {
    if (!root[key]) throw Error(path + ": missing key '" + std::string(key) + "'");
    return root[key];
  };
  config.name = scalar<std::string>(required("name"), path + ": name", "a string");
  config.spaces = space_list(required("spaces"), path + ": spaces");
  config.benchmarks = read_benchmarks(root, config.spaces, path);
  const YAML::Node datasets = required("datasets");
  if (!datasets.IsSequence() || datasets.size() == 0) throw Error(path + ": datasets must be a non-empty list");
  for (const auto& d : datasets) {
    const bench::Dataset dataset = bench::parse_dataset(scalar<std::string>(d, path + ": datasets entry", "a dataset name"));
    if (std::find(config.datasets.begin(), config.datasets.end(), dataset) != config.datasets.end()) {
      throw Error(path + ": dataset " + d.Scalar() + " listed twice");
    }
    config.datasets.push_back(dataset);
  }
  const SeedDefaults seed_defaults = read_seed_defaults(root, path);
  if (root["budget"]) {
    const YAML::Node budget = root["budget"];
    if (budget.IsScalar()) {
      if (budget.Scalar() != "nats") throw Error(path + ": budget must be 'nats', {seconds: S} or {queries: Q}");
    } else if (budget.IsMap() && budget.size() == 1 && budget["seconds"]) {
      config.budget_kind = "seconds";
      config.budget_seconds = scalar<double>(budget["seconds"], path + ": budget.seconds", "a positive number");
      algorithms::Budget checked;
      checked.seconds = config.budget_seconds;
      algorithms::check_budget(checked, path + ": budget.seconds");
      for (bench::Space space : config.spaces) {
        algorithms::check_budget_for_space(checked, bench::space_definition(space), path + ": budget.seconds");
      }
    } else if (budget.IsMap() && budget.size() == 1 && budget["queries"]) {
      config.budget_kind = "queries";
      config.budget_queries = scalar<std::int64_t>(budget["queries"], path + ": budget.queries", "a positive integer");
      algorithms::Budget checked;
      checked.queries = config.budget_queries;
      algorithms::check_budget(checked, path + ": budget.queries");
    } else {
      throw Error(path + ": budget must be 'nats', {seconds: S} or {queries: Q}");
    }
  }
  config.plugins = read_plugin_list(file);
  if (root["data"]) config.data = scalar<std::string>(root["data"], path + ": data", "a folder");
  if (root["device"]) config.device = scalar<std::string>(root["device"], path + ": device", "cpu, cuda or cuda:N");
  if (root["torch_threads"]) {
    config.torch_threads = scalar<int>(root["torch_threads"], path + ": torch_threads", "a non-negative integer");
    if (config.torch_threads < 0) throw Error(path + ": torch_threads must be a non-negative integer");
  }
  const YAML::Node algos = required("algorithms");
  if (!algos.IsSequence() || algos.size() == 0) throw Error(path + ": algorithms must be a non-empty list");
  std::set<std::string> labels;
  std::uint64_t total_seeds = 0;
  for (std::size_t i = 0; i < algos.size(); ++i) {
    const YAML::Node a = algos[i];
    const std::string where = path + ": algorithms[" + std::to_string(i) + "]";
    if (!a.IsMap()) throw Error(where + " must be a map with a name");
    reject_unknown_keys(a, {"name", "label", "config", "spaces", "runs", "first_seed", "seeds"}, where);
    AlgorithmSpec spec;
    if (!a["name"]) throw Error(where + ": missing key 'name'");
    const std::string name = scalar<std::string>(a["name"], where + ".name", "a searcher name");
    spec.label = a["label"] ? label_value(a["label"], where + ".label") : name;
    if (!labels.insert(spec.label).second) throw Error(where + ": label '" + spec.label + "' used twice");
    const algorithms::SearcherEntry& entry = [&]() -> const algorithms::SearcherEntry& {
      try {
        return registry.get(name);
      } catch (const Error& e) {
        throw Error(where + ": " + e.what());
      }
    }();
    spec.spaces = algorithm_spaces(a, entry, config.spaces, where);
    spec.seeds = algorithm_seeds(a, seed_defaults, where);
    total_seeds += spec.seeds.seeds.size();
    if (total_seeds > kMaxSeeds) {
      throw Error(where + ": the algorithms have more than " + std::to_string(kMaxSeeds) + " seeds in all");
    }
    YAML::Node overrides = algorithm_config(name, {});
    if (a["config"]) {
      if (!a["config"].IsMap()) throw Error(where + ".config must be a map");
      for (const auto& item : a["config"]) overrides[key_text(item.first, where + ".config")] = item.second;
    }
    try {
      spec.searcher = registry.resolve(name, overrides);
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
    config.algorithms.push_back(spec);
  }
  return config;
}

YAML::Node to_yaml(const ExperimentConfig& config) {
  YAML::Node out(YAML::NodeType::Map);
  out["name"] = config.name;
  for (bench::Space s : config.spaces) out["spaces"].push_back(std::string(bench::space_name(s)));
  for (bench::Space s : config.spaces) out["benchmarks"][std::string(bench::space_name(s))] = config.benchmarks.at(s);
  for (bench::Dataset d : config.datasets) out["datasets"].push_back(std::string(bench::dataset_name(d)));
  if (config.budget_kind == "seconds") {
    out["budget"]["seconds"] = config.budget_seconds;
  } else if (config.budget_kind == "queries") {
    out["budget"]["queries"] = config.budget_queries;
  } else {
    out["budget"] = "nats";
  }
  out["plugins"] = YAML::Node(YAML::NodeType::Sequence);
  for (const auto& p : config.plugins) out["plugins"].push_back(p);
  for (const auto& a : config.algorithms) {
    YAML::Node node;
    node["name"] = a.searcher.name();
    node["label"] = a.label;
    for (bench::Space s : a.spaces) node["spaces"].push_back(std::string(bench::space_name(s)));
    if (a.seeds.listed) {
      for (std::uint64_t seed : a.seeds.seeds) node["seeds"].push_back(seed);
    } else {
      node["runs"] = a.seeds.seeds.size();
      node["first_seed"] = a.seeds.seeds.front();
    }
    node["config"] = a.searcher.config;
    out["algorithms"].push_back(node);
  }
  return out;
}

std::string config_hash(const ExperimentConfig& config) {
  YAML::Emitter emitter;
  emitter << to_yaml(config);
  const std::string text = emitter.c_str();
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(bench::fnv1a64(text.data(), text.size())));
  return hex;
}

}  // namespace nas::experiments

// Parsing, resolving and hashing experiment files.
#include "experiment_config.h"

#include <cstdio>
#include <set>

#include "nas/benchmark_api/error.h"
#include "run.h"

namespace nas::experiments {
namespace {

YAML::Node load_yaml(const std::string& path) {
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw Error("cannot read experiment file " + path);
  } catch (const YAML::Exception& e) {
    throw Error(path + ": invalid YAML: " + e.what());
  }
}

void reject_unknown_keys(const YAML::Node& map, const std::set<std::string>& known, const std::string& where) {
  for (const auto& item : map) {
    const std::string key = item.first.as<std::string>();
    if (known.count(key) == 0) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw Error(where + ": unknown key '" + key + "' (known: " + list + ")");
    }
  }
}

template <typename T>
T scalar(const YAML::Node& node, const std::string& where, const char* expected) {
  if (!node.IsScalar()) throw Error(where + " must be " + expected);
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw Error(where + " must be " + expected + ", got '" + node.Scalar() + "'");
  }
}

}  // namespace

algorithms::Budget ExperimentConfig::budget_for(bench::Dataset dataset) const {
  algorithms::Budget budget;
  if (budget_kind == "queries") {
    budget.queries = budget_queries;
  } else if (budget_kind == "seconds") {
    budget.seconds = budget_seconds;
  } else {
    budget.seconds = default_budget_seconds(space, dataset);
  }
  return budget;
}

std::vector<std::string> read_plugin_list(const std::string& path) {
  const YAML::Node root = load_yaml(path);
  std::vector<std::string> plugins;
  if (root.IsMap() && root["plugins"]) {
    if (!root["plugins"].IsSequence()) throw Error(path + ": plugins must be a list of paths");
    for (const auto& p : root["plugins"]) plugins.push_back(scalar<std::string>(p, path + ": plugins entry", "a path"));
  }
  return plugins;
}

ExperimentConfig load_experiment(const std::string& path, const algorithms::SearcherRegistry& registry) {
  const YAML::Node root = load_yaml(path);
  if (!root.IsMap()) throw Error(path + ": an experiment file is a YAML map");
  reject_unknown_keys(root, {"name", "space", "benchmark", "datasets", "runs", "first_seed", "budget", "plugins", "algorithms", "data",
                       "device", "torch_threads"},
                      path);
  ExperimentConfig config;
  auto required = [&](const char* key) {
    if (!root[key]) throw Error(path + ": missing key '" + std::string(key) + "'");
    return root[key];
  };
  config.name = scalar<std::string>(required("name"), path + ": name", "a string");
  config.space = bench::parse_space(scalar<std::string>(required("space"), path + ": space", "tss or sss"));
  if (root["benchmark"]) config.benchmark = scalar<std::string>(root["benchmark"], path + ": benchmark", "shipped or a path");
  const YAML::Node datasets = required("datasets");
  if (!datasets.IsSequence() || datasets.size() == 0) throw Error(path + ": datasets must be a non-empty list");
  for (const auto& d : datasets) {
    const bench::Dataset dataset = bench::parse_dataset(scalar<std::string>(d, path + ": datasets entry", "a dataset name"));
    if (std::find(config.datasets.begin(), config.datasets.end(), dataset) != config.datasets.end()) {
      throw Error(path + ": dataset " + d.Scalar() + " listed twice");
    }
    config.datasets.push_back(dataset);
  }
  config.runs = scalar<int>(required("runs"), path + ": runs", "a positive integer");
  if (config.runs < 1) throw Error(path + ": runs must be a positive integer");
  if (root["first_seed"]) {
    config.first_seed = scalar<std::uint64_t>(root["first_seed"], path + ": first_seed", "a non-negative integer");
  }
  if (root["budget"]) {
    const YAML::Node budget = root["budget"];
    if (budget.IsScalar()) {
      if (budget.Scalar() != "nats") throw Error(path + ": budget must be 'nats', {seconds: S} or {queries: Q}");
    } else if (budget.IsMap() && budget.size() == 1 && budget["seconds"]) {
      config.budget_kind = "seconds";
      config.budget_seconds = scalar<double>(budget["seconds"], path + ": budget.seconds", "a positive number");
      if (!(config.budget_seconds > 0)) throw Error(path + ": budget.seconds must be positive");
    } else if (budget.IsMap() && budget.size() == 1 && budget["queries"]) {
      config.budget_kind = "queries";
      config.budget_queries = scalar<std::int64_t>(budget["queries"], path + ": budget.queries", "a positive integer");
      if (config.budget_queries <= 0) throw Error(path + ": budget.queries must be positive");
    } else {
      throw Error(path + ": budget must be 'nats', {seconds: S} or {queries: Q}");
    }
  }
  config.plugins = read_plugin_list(path);
  if (root["data"]) config.data = scalar<std::string>(root["data"], path + ": data", "a folder");
  if (root["device"]) config.device = scalar<std::string>(root["device"], path + ": device", "cpu, cuda or cuda:N");
  if (root["torch_threads"]) {
    config.torch_threads = scalar<int>(root["torch_threads"], path + ": torch_threads", "a non-negative integer");
    if (config.torch_threads < 0) throw Error(path + ": torch_threads must be a non-negative integer");
  }
  const YAML::Node algos = required("algorithms");
  if (!algos.IsSequence() || algos.size() == 0) throw Error(path + ": algorithms must be a non-empty list");
  std::set<std::string> labels;
  for (std::size_t i = 0; i < algos.size(); ++i) {
    const YAML::Node a = algos[i];
    const std::string where = path + ": algorithms[" + std::to_string(i) + "]";
    if (!a.IsMap()) throw Error(where + " must be a map with a name");
    reject_unknown_keys(a, {"name", "label", "config"}, where);
    AlgorithmSpec spec;
    if (!a["name"]) throw Error(where + ": missing key 'name'");
    spec.name = scalar<std::string>(a["name"], where + ".name", "a searcher name");
    spec.label = a["label"] ? scalar<std::string>(a["label"], where + ".label", "a string") : spec.name;
    if (!labels.insert(spec.label).second) throw Error(where + ": label '" + spec.label + "' used twice");
    const algorithms::SearcherEntry& entry = registry.get(spec.name);
    YAML::Node overrides = algorithm_config(spec.name, {});
    if (a["config"]) {
      if (!a["config"].IsMap()) throw Error(where + ".config must be a map");
      for (const auto& item : a["config"]) overrides[item.first.as<std::string>()] = item.second;
    }
    try {
      spec.config = entry.resolve(overrides);
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
  out["space"] = std::string(bench::space_name(config.space));
  out["benchmark"] = config.benchmark;
  for (bench::Dataset d : config.datasets) out["datasets"].push_back(std::string(bench::dataset_name(d)));
  out["runs"] = config.runs;
  out["first_seed"] = config.first_seed;
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
    node["name"] = a.name;
    node["label"] = a.label;
    node["config"] = a.config;
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

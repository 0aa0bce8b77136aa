// Typed searcher configuration filled from YAML, with every key declared and unknown keys rejected.
//
// Each searcher has a plain struct of settings with defaults and declares its keys once:
//
//   struct ReaConfig { int population = 10; int sample_size = 3; };
//   void describe(ConfigBinder<ReaConfig>& b) {
//     b.field("population", &ReaConfig::population, "Population size (aging evolution)");
//     b.field("sample_size", &ReaConfig::sample_size, "Tournament size, drawn with replacement");
//   }
//
// The binder turns a YAML map (from configs/algorithms/*.yaml, an experiment file or `--set k=v`)
// into the struct, rejecting unknown keys and values of the wrong type with a nas::Error naming the
// key, and turns a struct back into YAML so the resolved config can be stored next to every result.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "nas/benchmark_api/error.h"

namespace nas::algorithms {

/// A declared key: its name, type ("int", "float", "bool", "string"), default (as text) and help.
struct ConfigField {
  std::string key;
  std::string type;
  std::string default_value;
  std::string help;
};

namespace detail {
template <typename T>
std::string type_name() {
  if constexpr (std::is_same_v<T, bool>) return "bool";
  else if constexpr (std::is_integral_v<T>) return "int";
  else if constexpr (std::is_floating_point_v<T>) return "float";
  else return "string";
}
/// Converts a YAML scalar to T, throwing nas::Error "key 'k' expects ..." on a type mismatch.
template <typename T>
T convert(const YAML::Node& node, const std::string& owner, const std::string& key) {
  const std::string expected = type_name<T>();
  if (!node.IsScalar()) throw Error(owner + ": key '" + key + "' expects a " + expected + " value, got a YAML " + (node.IsMap() ? "map" : node.IsSequence() ? "list" : "null"));
  try {
    if constexpr (std::is_same_v<T, std::string>) {
      return node.Scalar();
    } else {
      return node.as<T>();
    }
  } catch (const YAML::Exception&) {
    throw Error(owner + ": key '" + key + "' expects " + (expected == "int" ? "an int" : "a " + expected) +
                ", got '" + node.Scalar() + "'");
  }
}
/// The YAML form of a config value; doubles in the shortest text that reads back to the same
/// value (0.025, not yaml-cpp's 0.025000000000000001), so resolved configs stay readable.
template <typename T>
YAML::Node to_node(const T& value) {
  if constexpr (std::is_floating_point_v<T>) {
    char text[32];
    for (int precision = 1; precision <= 17; ++precision) {
      std::snprintf(text, sizeof text, "%.*g", precision, static_cast<double>(value));
      if (std::strtod(text, nullptr) == static_cast<double>(value)) break;
    }
    return YAML::Node(std::string(text));
  } else {
    return YAML::Node(value);
  }
}
}  // namespace detail

template <typename Config>
class ConfigBinder {
 public:
  /// `owner` names the thing configured in error messages (e.g. "searcher rea").
  explicit ConfigBinder(std::string owner) : owner_(std::move(owner)) {}

  /// Declares a key bound to a member of Config (or of a base class of Config).
  template <typename T, typename Owner>
  ConfigBinder& field(const std::string& key, T Owner::*member, const std::string& help) {
    static_assert(std::is_base_of_v<Owner, Config>, "the member must belong to the Config or a base of it");
    static_assert(std::is_same_v<T, int> || std::is_same_v<T, double> || std::is_same_v<T, bool> ||
                      std::is_same_v<T, std::string> || std::is_same_v<T, std::int64_t>,
                  "config fields are int, int64, double, bool or string");
    Binding binding;
    binding.field.key = key;
    binding.field.type = detail::type_name<T>();
    binding.field.help = help;
    binding.read = [member, key, owner = owner_](Config& config, const YAML::Node& node) {
      config.*member = detail::convert<T>(node, owner, key);
    };
    binding.write = [member, key](const Config& config, YAML::Node& out) { out[key] = detail::to_node(config.*member); };
    bindings_.push_back(std::move(binding));
    return *this;
  }

  /// The declared keys with the defaults of a default-constructed Config.
  std::vector<ConfigField> fields() const {
    const Config defaults{};
    std::vector<ConfigField> out;
    for (const Binding& b : bindings_) {
      ConfigField f = b.field;
      YAML::Node node;
      b.write(defaults, node);
      f.default_value = node[f.key].Scalar();
      out.push_back(f);
    }
    return out;
  }

  /// Defaults overridden by the keys of `overrides` (a YAML map or null). Unknown keys are an error.
  Config parse(const YAML::Node& overrides) const {
    Config config{};
    if (!overrides || overrides.IsNull()) return config;
    if (!overrides.IsMap()) throw Error(owner_ + ": the config must be a YAML map of key: value");
    for (const auto& item : overrides) {
      if (!item.first.IsScalar()) throw Error(owner_ + ": a config key must be a plain name");
      const std::string key = item.first.Scalar();
      const Binding* binding = find(key);
      if (binding == nullptr) throw Error(owner_ + ": unknown config key '" + key + "' (known: " + known_keys() + ")");
      binding->read(config, item.second);
    }
    return config;
  }

  /// Every key of `config` as a YAML map (the resolved config recorded with results).
  YAML::Node to_yaml(const Config& config) const {
    YAML::Node out(YAML::NodeType::Map);
    for (const Binding& b : bindings_) b.write(config, out);
    return out;
  }

 private:
  struct Binding {
    ConfigField field;
    std::function<void(Config&, const YAML::Node&)> read;
    std::function<void(const Config&, YAML::Node&)> write;
  };
  const Binding* find(const std::string& key) const {
    for (const Binding& b : bindings_) {
      if (b.field.key == key) return &b;
    }
    return nullptr;
  }
  std::string known_keys() const {
    std::string keys;
    for (const Binding& b : bindings_) keys += (keys.empty() ? "" : ", ") + b.field.key;
    return keys.empty() ? "none" : keys;
  }

  std::string owner_;
  std::vector<Binding> bindings_;
};

/// Applies `key=value` overrides (value parsed as a YAML scalar) onto a YAML map.
YAML::Node apply_overrides(YAML::Node base, const std::vector<std::string>& assignments);

}  // namespace nas::algorithms

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
//
// A numeric key may declare the values it accepts, and a config may declare rules between keys;
// both are checked whenever a config is parsed (so `nas search` and `nas run` refuse a bad value
// before any work), and a key's range is stated at the end of its help:
//
//     b.field("w_momentum", &Config::w_momentum, "Weight SGD momentum", range::below_one());
//     b.rule([](const Config& c) { return c.w_lr_min <= c.w_lr ? "" : "w_lr_min must be <= w_lr"; });
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "nas/benchmark_api/error.h"

namespace nas::algorithms {

/// The values a numeric key accepts: between `min` and `max` (either may be absent; each bound is
/// inclusive unless marked open). A float must also be finite: nan and inf are never a setting.
struct ValueRange {
  std::optional<double> min, max;
  bool min_open = false, max_open = false;

  /// Whether `value` lies in the range (and is finite).
  bool contains(double value) const;
  /// The range in words for a value of `type` ("int" or "float"): "an integer >= 1",
  /// "a finite number in [0, 1)", "a finite number > 0", "a finite number".
  std::string describe(const std::string& type) const;
};

/// The ranges searchers use.
namespace range {
ValueRange positive();                         ///< > 0
ValueRange non_negative();                     ///< >= 0
ValueRange at_least(double min);               ///< >= min
ValueRange between(double min, double max);    ///< [min, max]
ValueRange below_one();                        ///< [0, 1): momenta, Adam betas, EMA decays
ValueRange finite();                           ///< any finite value
}  // namespace range

/// A declared key: its name, type ("int", "float", "bool", "string"), default (as text) and help
/// (which ends with "; " and the key's range, if it has one).
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
/// A double in the shortest text that reads back to the same value (0.025, not
/// 0.025000000000000001), so resolved configs stay readable. (10 is "1e+01": the text is part of
/// the config hash that `nas run` stores with its results, so it stays as it is.)
std::string number_text(double value);
/// A double for people: as number_text, but whole numbers in plain digits (10, 100000), for help
/// texts and error messages.
std::string readable_number(double value);
/// The YAML form of a config value (doubles as number_text).
template <typename T>
YAML::Node to_node(const T& value) {
  if constexpr (std::is_floating_point_v<T>) {
    return YAML::Node(number_text(static_cast<double>(value)));
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

  /// Declares a numeric key that accepts only the values of `range`; the range is appended to its
  /// help, and a value outside it is a nas::Error "<owner>: <key> must be <range>, got <value>".
  template <typename T, typename Owner>
  ConfigBinder& field(const std::string& key, T Owner::*member, const std::string& help, const ValueRange& range) {
    static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, "only numeric keys have a range");
    const std::string allowed = range.describe(detail::type_name<T>());
    field(key, member, help + "; " + allowed);
    bindings_.back().check = [member, key, range, allowed](const Config& config) -> std::string {
      const T value = config.*member;
      if (range.contains(static_cast<double>(value))) return "";
      return key + " must be " + allowed + ", got " + detail::readable_number(static_cast<double>(value));
    };
    return *this;
  }

  /// Declares a rule between keys: `problem` returns "" when a config satisfies it, else what is
  /// wrong (e.g. "tau_min (20) must be <= tau_max (10)"), which becomes "<owner>: <problem>".
  ConfigBinder& rule(std::function<std::string(const Config&)> problem) {
    rules_.push_back(std::move(problem));
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

  /// Defaults overridden by the keys of `overrides` (a YAML map or null). Unknown keys, a value out
  /// of its key's range and a broken rule are errors.
  Config parse(const YAML::Node& overrides) const {
    Config config{};
    if (overrides && !overrides.IsNull()) {
      if (!overrides.IsMap()) throw Error(owner_ + ": the config must be a YAML map of key: value");
      for (const auto& item : overrides) {
        if (!item.first.IsScalar()) throw Error(owner_ + ": a config key must be a plain name");
        const std::string key = item.first.Scalar();
        const Binding* binding = find(key);
        if (binding == nullptr) throw Error(owner_ + ": unknown config key '" + key + "' (known: " + known_keys() + ")");
        binding->read(config, item.second);
      }
    }
    // Every key, defaults included, in declaration order (a derived Config may change a default).
    for (const Binding& b : bindings_) {
      if (!b.check) continue;
      if (const std::string problem = b.check(config); !problem.empty()) throw Error(owner_ + ": " + problem);
    }
    for (const auto& problem_of : rules_) {
      if (const std::string problem = problem_of(config); !problem.empty()) throw Error(owner_ + ": " + problem);
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
    std::function<std::string(const Config&)> check;  ///< "" or what is wrong (keys with a range)
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
  std::vector<std::function<std::string(const Config&)>> rules_;
};

/// Applies `key=value` overrides (value parsed as a YAML scalar) onto a YAML map.
YAML::Node apply_overrides(YAML::Node base, const std::vector<std::string>& assignments);

}  // namespace nas::algorithms

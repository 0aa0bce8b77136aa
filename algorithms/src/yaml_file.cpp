// Loading user-written YAML safely (see yaml_file.h).
#include "nas/algorithms/yaml_file.h"

#include <set>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"
#include "nas/benchmark_api/text.h"

namespace nas::algorithms {
namespace {

std::string line_of(const YAML::Mark& mark) {
  return mark.line >= 0 ? "line " + std::to_string(mark.line + 1) : "unknown line";
}

/// yaml-cpp keeps every pair of a map that repeats a key, and `node[key]` finds the first: a
/// repeated key would be ignored without a word. Refuse it, naming the key and its second line.
void reject_repeated_keys(const YAML::Node& node, const std::string& where, int depth = 0) {
  if (depth > 256) throw Error(where + ": YAML nested too deeply");
  if (node.IsMap()) {
    std::set<std::string> keys;
    for (const auto& item : node) {
      if (item.first.IsScalar() && !keys.insert(item.first.Scalar()).second) {
        throw Error(where + ": " + line_of(item.first.Mark()) + ": key " + nas::quoted(item.first.Scalar()) +
                    " appears twice in the same map");
      }
      reject_repeated_keys(item.first, where, depth + 1);
      reject_repeated_keys(item.second, where, depth + 1);
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) reject_repeated_keys(item, where, depth + 1);
  }
}

}  // namespace

YAML::Node load_yaml_text(std::string_view text, const std::string& where) {
  if (text.find('\0') != std::string_view::npos) {
    throw Error(where + ": holds NUL bytes; YAML files must be UTF-8 text (is it UTF-16, or binary?)");
  }
  if (!is_valid_utf8(text)) throw Error(where + ": is not valid UTF-8 text (YAML files must be UTF-8)");
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw Error(where + ": " + line_of(e.mark) + ": invalid YAML: " + e.msg);
  }
  reject_repeated_keys(root, where);
  return root;
}

YAML::Node load_yaml_file(const std::string& path, std::string_view what) {
  return load_yaml_text(read_regular_file(path, what, kMaxYamlFileBytes), path);
}

}  // namespace nas::algorithms

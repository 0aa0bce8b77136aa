#include "session.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "nas/algorithms/plugin.h"
#include "nas/benchmark_api/error.h"

namespace nas::experiments {

std::string weight_sharing_library() {
  const char* name = "libnas_weight_sharing.so";
  if (const char* dir = std::getenv("NAS_LIB_DIR"); dir != nullptr && *dir != '\0') return std::string(dir) + "/" + name;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return name;
  return (exe.parent_path().parent_path() / "lib" / name).string();
}

std::string data_root_or_env(const std::string& given) {
  if (!given.empty()) return given;
  const char* env = std::getenv("NAS_DATA");
  return env == nullptr ? std::string() : std::string(env);
}

std::vector<std::pair<std::string, std::string>> parse_assignments(const std::vector<std::string>& assignments) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& assignment : assignments) {
    const std::size_t eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("--set " + assignment + ": expected key=value");
    out.emplace_back(assignment.substr(0, eq), assignment.substr(eq + 1));
  }
  return out;
}

algorithms::SearcherRegistry make_registry(const std::vector<std::string>& plugins, bool with_weight_sharing) {
  algorithms::SearcherRegistry registry;
  algorithms::register_builtin_searchers(registry);
  if (with_weight_sharing && std::filesystem::exists(weight_sharing_library())) {
    algorithms::load_plugin(weight_sharing_library(), registry);
  }
  for (const std::string& plugin : plugins) algorithms::load_plugin(plugin, registry);
  return registry;
}

algorithms::SearcherRegistry make_registry_for(const std::string& algorithm, const std::vector<std::string>& plugins) {
  algorithms::SearcherRegistry registry = make_registry(plugins, false);
  if (registry.contains(algorithm) || !std::filesystem::exists(weight_sharing_library())) return registry;
  return make_registry(plugins, true);
}

}  // namespace nas::experiments

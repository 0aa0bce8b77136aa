#include "session.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "nas/algorithms/plugin.h"

namespace nas::experiments {

std::string weight_sharing_library() {
  const char* name = "libnas_weight_sharing.so";
  if (const char* dir = std::getenv("NAS_LIB_DIR"); dir != nullptr && *dir != '\0') return std::string(dir) + "/" + name;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return name;
  return (exe.parent_path().parent_path() / "lib" / name).string();
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

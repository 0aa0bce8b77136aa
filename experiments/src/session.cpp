#include "session.h"

#include "nas/algorithms/plugin.h"

namespace nas::experiments {

algorithms::SearcherRegistry make_registry(const std::vector<std::string>& plugins) {
  algorithms::SearcherRegistry registry;
  algorithms::register_builtin_searchers(registry);
  for (const std::string& plugin : plugins) algorithms::load_plugin(plugin, registry);
  return registry;
}

}  // namespace nas::experiments

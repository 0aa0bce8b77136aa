// Plugins: searchers in a shared library, loaded at run time with `nas ... --plugin lib.so`.
//
// A plugin is a C++ shared library built against these headers and linked to libnas_algorithms.
// It defines its searcher(s) like the built-ins and exports the versioned C entry points with one
// macro:
//
//   void register_my_searchers(nas::algorithms::SearcherRegistry& registry) {
//     registry.add(nas::algorithms::make_searcher_entry<MySearcher>("my-search", "What it does"));
//   }
//   NAS_PLUGIN(register_my_searchers)
//
// `nas` refuses a library that lacks the entry points or was built for another plugin interface
// version. The interface version changes whenever Searcher, the tasks (QueryTask, TrainingTask), the
// callbacks, the registry or the SearchSpace a searcher works on change (6: SearchSpace::try_from_decisions,
// a virtual sample; 7: SearchCallbacks::on_batch, QuerySearcher::Proposal::hp, Evaluation::hp;
// 8: SearcherRegistry::set_architecture_trainer).
#pragma once

#include <string>
#include <vector>

#include "nas/algorithms/registry.h"

#define NAS_PLUGIN_ABI_VERSION 8

#define NAS_PLUGIN(register_function)                                                              \
  extern "C" __attribute__((visibility("default"))) int nas_plugin_abi_version() {                 \
    return NAS_PLUGIN_ABI_VERSION;                                                                 \
  }                                                                                                \
  extern "C" __attribute__((visibility("default"))) void nas_plugin_register(                     \
      nas::algorithms::SearcherRegistry* registry) {                                               \
    register_function(*registry);                                                                  \
  }

namespace nas::algorithms {

/// Loads a plugin and registers its searchers; returns their names. Throws nas::Error if the file
/// is missing, is not a loadable shared library (check_plugin_file), is not a nas plugin, has another
/// interface version, or registers a taken name.
std::vector<std::string> load_plugin(const std::string& path, SearcherRegistry& registry);

/// Throws nas::Error unless `path` is a regular file holding a shared library of this machine whose
/// headers and loadable segments lie inside the file. dlopen trusts the file: a truncated library
/// maps pages beyond its end and dies with SIGBUS, so load_plugin checks first.
void check_plugin_file(const std::string& path);

}  // namespace nas::algorithms

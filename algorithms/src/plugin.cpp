// Loading searcher plugins with dlopen.
#include "nas/algorithms/plugin.h"

#include <dlfcn.h>

#include <filesystem>

#include "nas/benchmark_api/error.h"

namespace nas::algorithms {

std::vector<std::string> load_plugin(const std::string& path, SearcherRegistry& registry) {
  if (!std::filesystem::exists(path)) throw Error("plugin " + path + " does not exist");
  // A path without a slash would make dlopen search the library path instead of opening the file.
  const std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  // The handle is never closed: the searchers' code must outlive every use of the registry.
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    throw Error("cannot load plugin " + path + ": " + (why != nullptr ? why : "unknown dlopen error"));
  }
  using VersionFn = int (*)();
  using RegisterFn = void (*)(SearcherRegistry*);
  auto version = reinterpret_cast<VersionFn>(::dlsym(handle, "nas_plugin_abi_version"));
  auto register_fn = reinterpret_cast<RegisterFn>(::dlsym(handle, "nas_plugin_register"));
  if (version == nullptr || register_fn == nullptr) {
    throw Error(path + " is not a nas plugin (it does not export nas_plugin_abi_version and nas_plugin_register; "
                "see NAS_PLUGIN in nas/algorithms/plugin.h)");
  }
  if (version() != NAS_PLUGIN_ABI_VERSION) {
    throw Error("plugin " + path + " was built for plugin interface version " + std::to_string(version()) +
                ", this nas has version " + std::to_string(NAS_PLUGIN_ABI_VERSION) + "; rebuild it");
  }
  SearcherRegistry added;
  register_fn(&added);
  std::vector<std::string> names;
  for (const SearcherEntry* entry : added.entries()) {
    if (registry.contains(entry->name)) {
      throw Error("plugin " + path + " registers searcher '" + entry->name + "', which already exists");
    }
    names.push_back(entry->name);
  }
  if (names.empty()) throw Error("plugin " + path + " registered no searcher");
  for (const std::string& name : names) registry.add(added.get(name));
  return names;
}

}  // namespace nas::algorithms

// A plugin that claims another interface version: nas must refuse to load it.
#include "nas/algorithms/registry.h"

extern "C" __attribute__((visibility("default"))) int nas_plugin_abi_version() { return 999; }
extern "C" __attribute__((visibility("default"))) void nas_plugin_register(nas::algorithms::SearcherRegistry*) {}

// What every command that searches needs: the registry with built-ins and plugins, and the space.
#pragma once

#include <string>
#include <vector>

#include "nas/algorithms/registry.h"

namespace nas::experiments {

/// The built-in searchers plus those of each plugin path (loaded in order).
algorithms::SearcherRegistry make_registry(const std::vector<std::string>& plugins);

}  // namespace nas::experiments

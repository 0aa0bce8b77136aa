// What every command that searches needs: the registry with built-ins and plugins, and the space.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "nas/algorithms/registry.h"

namespace nas::experiments {

/// The built-in searchers plus those of each plugin path (loaded in order). With
/// `with_weight_sharing`, also the weight-sharing searchers (this loads LibTorch, ~0.5 s).
algorithms::SearcherRegistry make_registry(const std::vector<std::string>& plugins, bool with_weight_sharing = false);

/// Like make_registry, loading the weight-sharing searchers only if `algorithm` is not found otherwise.
algorithms::SearcherRegistry make_registry_for(const std::string& algorithm, const std::vector<std::string>& plugins);

/// The image data folder of a training command: `given` (--data, an experiment's `data:`), else
/// $NAS_DATA, else "".
std::string data_root_or_env(const std::string& given);

/// `--set key=value` assignments as (key, value) pairs, in order; nas::Error for one without a key
/// or an `=`.
std::vector<std::pair<std::string, std::string>> parse_assignments(const std::vector<std::string>& assignments);

/// Path of libnas_weight_sharing (NAS_LIB_DIR, else the lib folder beside the executable's bin/).
std::string weight_sharing_library();

}  // namespace nas::experiments

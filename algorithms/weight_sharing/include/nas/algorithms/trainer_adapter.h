// Installs `nas train`'s trainer (architecture_trainer.h, implemented by supernet/trainer.h) in a
// registry; the LibTorch library's plugin registration calls it.
#pragma once

#include "nas/algorithms/architecture_trainer.h"
#include "nas/algorithms/registry.h"

namespace nas::algorithms {

void register_architecture_trainer(SearcherRegistry& registry);

}  // namespace nas::algorithms

// A plugin whose searcher is registered for the topology space only, so that tests can check how
// nas treats a searcher asked to search a space it does not search (the experiment loader and
// `nas search` refuse it with a clear error). The searcher itself is plain random search.
#include "nas/algorithms/basic_searchers.h"
#include "nas/algorithms/plugin.h"

namespace {

void register_tss_only(nas::algorithms::SearcherRegistry& registry) {
  registry.add(nas::algorithms::make_searcher_entry<nas::algorithms::RandomSearch>(
      "tss-only-random", "Random search, registered for the topology space only", {nas::bench::Space::Topology}));
}

}  // namespace

NAS_PLUGIN(register_tss_only)

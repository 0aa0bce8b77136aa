// Explicit registration of the built-in searchers (no static-initialisation order surprises).
#include "nas/algorithms/basic_searchers.h"
#include "nas/algorithms/bohb.h"
#include "nas/algorithms/registry.h"

namespace nas::algorithms {

void register_builtin_searchers(SearcherRegistry& registry) {
  registry.add(make_searcher_entry<RandomSearch>("random", "Random search: uniform samples, best validation accuracy"));
  registry.add(make_searcher_entry<RegularizedEvolution>("rea", "Regularized (aging) evolution, Real et al. 2019"));
  registry.add(make_searcher_entry<Reinforce>("reinforce", "REINFORCE policy gradient with an EMA baseline, Williams 1992"));
  registry.add(make_searcher_entry<Bohb>("bohb", "BOHB: Hyperband + multivariate KDE model, Falkner et al. 2018"));
}

}  // namespace nas::algorithms

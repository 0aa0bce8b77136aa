// The weight-sharing searchers' and the trainer's registration; libnas_weight_sharing is loaded through the plugin
// entry point, so `nas` loads LibTorch only when one of these is asked for.
#include "nas/algorithms/nats_weight_sharing.h"
#include "nas/algorithms/plugin.h"
#include "nas/algorithms/size_weight_sharing.h"
#include "nas/algorithms/trainer_adapter.h"

namespace nas::algorithms {

void register_weight_sharing_searchers(SearcherRegistry& registry) {
  const std::vector<bench::Space> tss = {bench::Space::Topology};
  registry.add(make_searcher_entry<DartsV1>("darts-v1", "DARTS, first order (Liu et al. 2019)", tss));
  registry.add(make_searcher_entry<DartsV2>("darts-v2", "DARTS, second order: unrolled architecture gradient", tss));
  registry.add(make_searcher_entry<Gdas>("gdas", "GDAS: differentiable sampling with hard Gumbel-softmax (Dong & Yang 2019)", tss));
  registry.add(make_searcher_entry<Setn>("setn", "SETN: one-shot with template-based candidate selection (Dong & Yang 2019)", tss));
  registry.add(make_searcher_entry<RandomWeightSharing>("random-ws", "RSPS: random search with parameter sharing (Li & Talwalkar 2019)", tss));
  registry.add(make_searcher_entry<Enas>("enas", "ENAS: LSTM controller trained with REINFORCE (Pham et al. 2018)", tss));
  const std::vector<bench::Space> sss = {bench::Space::Size};
  registry.add(make_searcher_entry<Tas>("tas", "TAS: channel-wise interpolation of two sampled widths (Dong & Yang 2019)", sss));
  registry.add(make_searcher_entry<FbnetV2>("fbnet-v2", "FBNet-V2: Gumbel-softmax mixture of channel masks (Wan et al. 2020)", sss));
  registry.add(make_searcher_entry<Tunas>("tunas", "TuNAS: sampled channel masks, REINFORCE with an EMA baseline (Bender et al. 2020)", sss));
}

/// The library's registration: the nine searchers and `nas train`'s trainer.
void register_weight_sharing_library(SearcherRegistry& registry) {
  register_weight_sharing_searchers(registry);
  register_architecture_trainer(registry);
}

}  // namespace nas::algorithms

NAS_PLUGIN(nas::algorithms::register_weight_sharing_library)

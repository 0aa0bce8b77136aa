// NATS-Bench's final network for one channel configuration (reference §3.3).
#include "nas/supernet/size_network.h"

#include "nas/benchmark_api/topology_space.h"

namespace nas::supernet {

const bench::TssArch& size_space_cell() {
  static const bench::TssArch cell = bench::parse_tss_arch(bench::kSssCellArch);
  return cell;
}

namespace {

// Layers 0, 2, 4 are cells, 1 and 3 residual reductions (one cell per stage), at the config's widths.
std::vector<SkeletonLayer> size_network_layers(const bench::SssArch& config) {
  std::vector<SkeletonLayer> layers;
  for (int layer = 0; layer < bench::kSssNumLayers; ++layer) layers.push_back({config.channels(layer), layer % 2 == 1});
  return layers;
}

}  // namespace

SizeNetworkImpl::SizeNetworkImpl(const bench::SssArch& config, int num_classes, int in_channels)
    : CellNetworkImpl("SizeNetwork", size_space_cell(), config.channels(0), size_network_layers(config), num_classes,
                      in_channels),
      config_(config) {}

}  // namespace nas::supernet

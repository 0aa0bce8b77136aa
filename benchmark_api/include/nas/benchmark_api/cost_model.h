// Exact parameter and FLOP counts of the benchmark networks, computed from their definitions.
//
// NATS-Bench stores params ("MB") = trainable parameters / 1e6 (BN running statistics excluded) and
// FLOPs ("M") = multiply-accumulates of Conv2d and Linear layers only (bias adds included), per
// image, / 1e6; BN, ReLU, pooling and additions are not counted. The counts here follow the network
// definitions of TinyNetwork (topology space, C=16, N=5) and DynamicShapeTinyNet (size space) and
// reproduce the values stored in the official records exactly (tests/benchmark_api/cost_model_test).
// Computing them avoids the seed-dependent inconsistencies of the stored values (NATS-Bench#36).
#pragma once

#include "nas/benchmark_api/size_space.h"
#include "nas/benchmark_api/space.h"
#include "nas/benchmark_api/topology_space.h"

namespace nas::bench {

/// Cost of TinyNetwork(C=16, N=5, cell, num_classes) on square inputs of `image_size` pixels.
NetworkCost tss_network_cost(const TssArch& cell, int num_classes, int image_size);
/// Cost of DynamicShapeTinyNet(channels, fixed cell, num_classes) on `image_size` inputs.
NetworkCost sss_network_cost(const SssArch& config, int num_classes, int image_size);

}  // namespace nas::bench

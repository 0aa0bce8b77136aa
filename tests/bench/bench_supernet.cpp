// Throughput of one weight-sharing search step, as the searchers take it: the steps are supernet/'s
// training layer (nas/supernet/training.h), the same functions DARTS, GDAS, TAS, FBNet-V2 and TuNAS
// call. Topology supernet (C = 16, N = 5, 10 classes,
// batch 64 of 32x32 images, 2 CPU threads), in images per second (64 per step), with and without
// channels-last tensors. Compare with PyTorch-Python's reference on the same machine (README).
//
//   DARTS-V1 step: joint forward + CE + backward + gradient clip (norm 5) + SGD step on the weights
//     (lr 0.025, momentum 0.9, Nesterov, wd 5e-4); then joint forward on the arch batch + backward +
//     Adam step on alpha (lr 3e-4, betas (0.5, 0.999), wd 1e-3).
//   GDAS step: the same with GDAS forwards (tau 10), one Gumbel sample per forward.
// Argument channels_last (0: contiguous NCHW tensors throughout, option channels_last_on_cpu off;
// 1: channels-last inputs and parameters; the supernet's default converts CPU inputs itself, which
// runs as fast as 1). The architecture step takes alpha's gradient alone (supernet_arch_update).
//
// The size-space steps (SizeSupernet, every layer 64 channels wide, 10 classes, batch 64, 2 threads,
// channels-last on the CPU as the searchers run it), as TAS / FBNet-V2 / TuNAS take them: a weight step
// (forward in the method's mode + CE + backward + SGD, no clipping, alpha out of the graph) and an
// architecture step (forward in the mode, then alpha's gradient only: CE for TAS and FBNet-V2, the
// REINFORCE loss -(top1 - baseline) * log-probability for TuNAS) + Adam.
// Data is random: the cost of a step does not depend on pixel values.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <string>

#include "nas/supernet/operations.h"
#include "nas/supernet/size_supernet.h"
#include "nas/supernet/topology_supernet.h"
#include "nas/supernet/training.h"

namespace {

using namespace nas::supernet;

constexpr int kBatch = 64;
constexpr int kImageSize = 32;
constexpr int kClasses = 10;
constexpr int kThreads = 2;

/// A fixed train batch and arch batch of random images and labels.
struct RandomBatches {
  torch::Tensor train_images, train_labels, arch_images, arch_labels;

  explicit RandomBatches(torch::MemoryFormat format = torch::MemoryFormat::Contiguous) {
    torch::Generator gen = make_cpu_generator(1);
    train_images = torch::randn({kBatch, 3, kImageSize, kImageSize}, gen, torch::kFloat).contiguous(format);
    arch_images = torch::randn({kBatch, 3, kImageSize, kImageSize}, gen, torch::kFloat).contiguous(format);
    train_labels = torch::randint(0, kClasses, {kBatch}, gen, torch::kLong);
    arch_labels = torch::randint(0, kClasses, {kBatch}, gen, torch::kLong);
  }
};

struct SearchStep {
  TopologySupernet net;
  torch::optim::SGD w_optimizer;
  torch::optim::Adam a_optimizer;
  RandomBatches batches;

  SearchStep(SupernetMode mode, bool channels_last)
      : net(TopologySupernetOptions().num_classes(kClasses).channels_last_on_cpu(channels_last), make_cpu_generator(0)),
        w_optimizer(net->weight_parameters(),
                    torch::optim::SGDOptions(0.025).momentum(0.9).nesterov(true).weight_decay(5e-4)),
        a_optimizer(net->arch_parameters(),
                    torch::optim::AdamOptions(3e-4).betas({0.5, 0.999}).weight_decay(1e-3)),
        batches(channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous) {
    net->set_mode(mode);
    net->set_tau(10.0);
    if (channels_last) to_channels_last(*net);
  }

  void run() {
    supernet_weight_step(net, w_optimizer, /*grad_clip=*/5.0, batches.train_images, batches.train_labels);
    supernet_arch_step(net, a_optimizer, batches.arch_images, batches.arch_labels);
  }
};

void BM_SearchStep(benchmark::State& state, SupernetMode mode) {
  torch::set_num_threads(kThreads);
  const bool channels_last = state.range(0) != 0;
  SearchStep step(mode, channels_last);
  step.run();  // warm-up: oneDNN primitive creation and allocator growth
  for (auto _ : state) step.run();
  state.counters["images_per_s"] =
      benchmark::Counter(static_cast<double>(kBatch) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(channels_last ? "channels-last" : "contiguous");
}

BENCHMARK_CAPTURE(BM_SearchStep, darts_v1, SupernetMode::Joint)
    ->ArgNames({"channels_last"})
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5.0);
// GDAS samples a different cell every forward: run long enough to average over samples.
BENCHMARK_CAPTURE(BM_SearchStep, gdas, SupernetMode::Gdas)
    ->ArgNames({"channels_last"})
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(8.0);

struct SizeSearchStep {
  SizeSupernet net;
  torch::optim::SGD w_optimizer;
  torch::optim::Adam a_optimizer;
  RandomBatches batches;

  explicit SizeSearchStep(ChannelSearchMode mode)
      : net(SizeSupernetOptions().num_classes(kClasses), make_cpu_generator(0)),
        w_optimizer(net->weight_parameters(),
                    torch::optim::SGDOptions(0.025).momentum(0.9).nesterov(true).weight_decay(5e-4)),
        a_optimizer(net->arch_parameters(),
                    torch::optim::AdamOptions(3e-4).betas({0.5, 0.999}).weight_decay(1e-3)),
        batches() {
    net->set_mode(mode);
    net->set_tau(10.0);
  }

  void run() {
    supernet_weight_step(net, w_optimizer, /*grad_clip=*/0.0, batches.train_images, batches.train_labels);
    if (net->mode() != ChannelSearchMode::MaskRl) {
      supernet_arch_step(net, a_optimizer, batches.arch_images, batches.arch_labels);
      return;
    }
    // TuNAS: the REINFORCE loss of the sampled widths, against a fixed baseline here.
    const torch::Tensor logits = net->forward(batches.arch_images);
    const double top1 = top1_accuracy(logits, batches.arch_labels);
    supernet_arch_update(-(top1 - 10.0) * net->last_log_prob(), net->alpha(), a_optimizer);
  }
};

void BM_SizeSearchStep(benchmark::State& state, ChannelSearchMode mode) {
  torch::set_num_threads(kThreads);
  SizeSearchStep step(mode);
  step.run();  // warm-up
  for (auto _ : state) step.run();
  state.counters["images_per_s"] =
      benchmark::Counter(static_cast<double>(kBatch) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(BM_SizeSearchStep, tas, ChannelSearchMode::Tas)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(8.0);
BENCHMARK_CAPTURE(BM_SizeSearchStep, fbnet_v2, ChannelSearchMode::MaskGumbel)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(8.0);
BENCHMARK_CAPTURE(BM_SizeSearchStep, tunas, ChannelSearchMode::MaskRl)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(8.0);

}  // namespace

BENCHMARK_MAIN();

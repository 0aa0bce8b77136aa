// Throughput of `nas train` on the CPU, in images per second: TinyNetwork (C = 16, N = 5) with the
// ResNet cell (tss index 11472), NATS-Bench's protocol (SGD 0.1, Nesterov, weight decay 5e-4,
// batch 256), 2 LibTorch threads, channels-last as the trainer runs it. The steps are the trainer's
// own (supernet/training.h's supervised_step); compare with the PyTorch-Python reference,
// tests/bench/reference/nats_train_throughput.py, on the same machine (README "Speed").
//
//   BM_TrainStep       the model step alone on two fixed random batches (forward, CE, backward, SGD)
//   BM_TrainingPass    steps over real CIFAR-10 batches from TrainBatchStream (augmentation on its
//                      background thread), as one epoch of the trainer reads them; needs
//                      NAS_SHARED_DATA's cifar10 (skipped without it)
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <filesystem>
#include <memory>

#include "nas/benchmark_api/topology_space.h"
#include "nas/supernet/data.h"
#include "nas/supernet/operations.h"
#include "nas/supernet/tiny_network.h"
#include "nas/supernet/training.h"

namespace {

using namespace nas::supernet;

constexpr int kBatch = 256;
constexpr int kThreads = 2;
constexpr std::uint32_t kResNetCell = 11472;

struct Trainer {
  TinyNetwork net{nas::bench::tss_arch_at(kResNetCell), 10};
  std::unique_ptr<torch::optim::SGD> sgd;
  bool channels_last;

  explicit Trainer(bool channels_last_ = true) : channels_last(channels_last_) {
    torch::Generator generator = make_cpu_generator(0);
    reinitialize_parameters(*net, generator);
    if (channels_last) to_channels_last(*net);
    sgd = std::make_unique<torch::optim::SGD>(net->parameters(),
                                              torch::optim::SGDOptions(0.1).momentum(0.9).nesterov(true).weight_decay(5e-4));
  }
  void step(const torch::Tensor& images, const torch::Tensor& labels) {
    supervised_step(
        *net,
        [&](const torch::Tensor& x) {
          return net->forward(channels_last ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x);
        },
        [&] { sgd->zero_grad(); }, [&] { sgd->step(); }, {}, 0.0, images, labels);
  }
};

void BM_TrainStep(benchmark::State& state) {
  torch::set_num_threads(kThreads);
  Trainer trainer(state.range(0) != 0);
  torch::Generator gen = make_cpu_generator(1);
  const torch::Tensor images[2] = {torch::randn({kBatch, 3, 32, 32}, gen, torch::kFloat), torch::randn({kBatch, 3, 32, 32}, gen, torch::kFloat)};
  const torch::Tensor labels = torch::randint(0, 10, {kBatch}, gen, torch::kLong);
  trainer.step(images[0], labels);  // warm-up
  int i = 0;
  for (auto _ : state) trainer.step(images[i++ % 2], labels);
  state.counters["images_per_s"] =
      benchmark::Counter(static_cast<double>(kBatch) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TrainStep)->ArgName("channels_last")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(10.0);

void BM_TrainingPass(benchmark::State& state) {
  const std::string root = std::string(NAS_SHARED_DATA) + "/cifar10";
  if (!std::filesystem::exists(root)) {
    state.SkipWithError("no CIFAR-10 under NAS_SHARED_DATA");
    return;
  }
  torch::set_num_threads(kThreads);
  const LabeledImages pool = read_train_images(DataName::Cifar10, root);
  std::vector<std::int64_t> all(static_cast<std::size_t>(pool.size()));
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::int64_t>(i);
  Trainer trainer;
  auto stream = std::make_unique<TrainBatchStream>(pool, all, normalization_of(DataName::Cifar10), kBatch, false, torch::kCPU, 0);
  std::uint64_t epoch = 0;
  for (auto _ : state) {
    auto batch = stream->next();
    if (!batch) {
      stream = std::make_unique<TrainBatchStream>(pool, all, normalization_of(DataName::Cifar10), kBatch, false, torch::kCPU, ++epoch);
      batch = stream->next();
    }
    trainer.step(batch->first, batch->second);
  }
  state.counters["images_per_s"] =
      benchmark::Counter(static_cast<double>(kBatch) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TrainingPass)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(10.0);

}  // namespace

BENCHMARK_MAIN();

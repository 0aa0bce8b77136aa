// A LibTorch error (c10::Error, whose message carries a C++ stack trace) that escapes a
// weight-sharing search becomes one nas::Error line saying what the search was doing.
#include <gtest/gtest.h>

#include <algorithm>

#include "nas/algorithms/nats_weight_sharing.h"
#include "nas/benchmark_api/error.h"
#include "tiny_search.h"

namespace nas::algorithms {
namespace {

/// DARTS's steps on labels beyond the classes: the weight step's cross-entropy fails in LibTorch.
class BrokenLabels final : public SupernetSearcher {
 public:
  explicit BrokenLabels(const TopologySearchSettings& settings) : SupernetSearcher(settings) {}

 protected:
  StepStats train_step(const supernet::SearchBatch& batch, torch::Generator&) override {
    StepStats stats;
    net_->set_mode(supernet::SupernetMode::Joint);
    weight_step(batch.train_images, batch.train_labels + 1000, stats);
    return stats;
  }
};

TEST(LibTorchErrors, BecomeOneErrorLineNamingTheStep) {
  if (!test::have_cifar10()) GTEST_SKIP() << "shared CIFAR-10 absent";
  TopologySearchSettings settings;
  settings.epochs = 1;
  settings.batch_size = 8;
  settings.max_batches_per_epoch = 1;
  settings.channels = 4;
  settings.cells_per_stage = 1;
  BrokenLabels searcher(settings);
  const TrainingTask task = test::tiny_task("darts-v1", 0);
  Rng rng(0);
  SearchCallbacks callbacks;
  try {
    searcher.search(task, rng, callbacks);
    ADD_FAILURE() << "the search did not fail";
  } catch (const nas::Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("LibTorch error during the weight step (epoch 0): ", 0), 0u) << message;
    EXPECT_NE(message.find("out of bounds"), std::string::npos) << message;
    EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 0) << "no stack trace: " << message;
  }
}

}  // namespace
}  // namespace nas::algorithms

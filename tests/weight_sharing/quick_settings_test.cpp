// The quick settings bound all of a searcher's work: max_batches_per_epoch its training steps, and
// max_valid_batches every pass over the valid split, including the ones that are not the epoch-end
// evaluation: SETN's, RSPS's and ENAS's candidate scoring (100 candidates, one valid batch each, by
// default) and ENAS's controller training (50 x 20 samples, one valid batch each). Without that
// bound a "quick" SETN run scored 100 candidates at every epoch end and took minutes.
#include <gtest/gtest.h>

#include <string>

#include "nas/algorithms/registry.h"
#include "nas/algorithms/weight_sharing.h"
#include "tiny_search.h"

namespace nas::algorithms {
namespace {

/// One epoch of one training batch with the searcher's default candidates (100) and ENAS's
/// default controller training, valid passes bounded to `max_valid_batches`.
SearchResult quick_search(const std::string& algorithm, int max_valid_batches, const YAML::Node& extra = {}) {
  SearcherRegistry registry;
  register_weight_sharing_searchers(registry);
  YAML::Node config = test::tiny_config(algorithm, 1);
  config.remove("candidates");
  config.remove("controller_steps");
  config.remove("controller_samples_per_step");
  config["max_batches_per_epoch"] = 1;
  config["max_valid_batches"] = max_valid_batches;
  auto searcher = registry.create_training(algorithm, test::with(config, extra));
  Rng rng(3);
  SearchCallbacks callbacks;
  return searcher->search(test::tiny_task(algorithm, 3), rng, callbacks);
}

class QuickSettings : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::have_cifar10()) GTEST_SKIP() << "shared CIFAR-10 absent";
  }
};

TEST_F(QuickSettings, BoundCandidateScoringOfSetnAndRsps) {
  for (const std::string algorithm : {"setn", "random-ws"}) {
    const SearchResult result = quick_search(algorithm, 3);
    ASSERT_EQ(result.epochs.size(), 1u) << algorithm;
    // 3 candidates scored on one batch each, then the winner evaluated on 3 batches (not 100 + 3).
    EXPECT_EQ(result.epochs[0].valid_batches, 3 + 3) << algorithm;
  }
}

TEST_F(QuickSettings, BoundEnasControllerTrainingAndCandidates) {
  const SearchResult result = quick_search("enas", 3);
  ASSERT_EQ(result.epochs.size(), 1u);
  // 3 controller samples (not 50 x 20), 3 candidates (not 100), the evaluation on 3 batches.
  EXPECT_EQ(result.epochs[0].valid_batches, 3 + 3 + 3);
  // The 3 samples are one partial update group (of 20); the search stays deterministic.
  EXPECT_EQ(quick_search("enas", 3).arch, result.arch);
}

TEST_F(QuickSettings, NoLimitScoresEveryCandidateOnTheWholeValidPass) {
  // With max_valid_batches 0 all work runs: 5 candidates, then the whole valid split (CIFAR-10's
  // search split: 25,000 valid images, 13 batches of 2,048).
  YAML::Node extra;
  extra["candidates"] = 5;
  extra["valid_batch_size"] = 2048;
  const SearchResult result = quick_search("random-ws", 0, extra);
  ASSERT_EQ(result.epochs.size(), 1u);
  EXPECT_EQ(result.epochs[0].valid_batches, 5 + 13);
}

TEST_F(QuickSettings, TheArgmaxSearchersReadOnlyTheEvaluation) {
  for (const std::string algorithm : {"darts-v1", "gdas", "tas"}) {
    const SearchResult result = quick_search(algorithm, 2);
    ASSERT_EQ(result.epochs.size(), 1u) << algorithm;
    EXPECT_EQ(result.epochs[0].valid_batches, 2) << algorithm;
  }
}

}  // namespace
}  // namespace nas::algorithms

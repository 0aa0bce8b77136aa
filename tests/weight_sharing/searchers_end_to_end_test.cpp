// Each weight-sharing searcher (six on the topology space, three on the size space) end to end on
// real CIFAR-10 images (../shared/data/cifar10) with a tiny configuration: it trains, derives a
// benchmark arch, reports it, is deterministic for a seed, and a search killed after a checkpoint
// resumes to the same result.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "nas/algorithms/nats_weight_sharing.h"
#include "nas/algorithms/size_weight_sharing.h"
#include "nas/algorithms/registry.h"
#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/error.h"
#include "tiny_search.h"

namespace nas::algorithms {
namespace {

using test::cifar10;
using test::is_size_space;
using test::tiny_config;

class WeightSharingEndToEnd : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!test::have_cifar10()) GTEST_SKIP() << "shared CIFAR-10 absent";
    register_weight_sharing_searchers(registry_);
  }

  /// Stops the search after `stop_after` epochs (0: never), as an interruption would.
  struct StopAfter final : SearchCallbacks {
    explicit StopAfter(int n) : n_(n) {}
    void on_epoch(const EpochRecord&) override { ++seen_; }
    bool stop_requested() override { return n_ > 0 && seen_ >= n_; }
    int n_, seen_ = 0;
  };

  SearchResult run(const std::string& algorithm, int epochs, std::uint64_t seed, const std::string& checkpoint = "",
                   int stop_after = 0, const YAML::Node& extra = {}) {
    auto searcher = registry_.create_training(algorithm, test::with(tiny_config(algorithm, epochs), extra));
    const TrainingTask task = test::tiny_task(algorithm, seed, checkpoint);
    Rng rng(seed);
    StopAfter callbacks(stop_after);
    return searcher->search(task, rng, callbacks);
  }

  SearcherRegistry registry_;
};

TEST_P(WeightSharingEndToEnd, TrainsDerivesAndIsDeterministic) {
  const std::string algorithm = GetParam();
  const SearchResult a = run(algorithm, 2, 11);
  ASSERT_EQ(a.epochs.size(), 2u);
  EXPECT_LT(a.arch, is_size_space(algorithm) ? bench::kSssNumArchs : bench::kTssNumArchs);
  for (const auto& epoch : a.epochs) {
    EXPECT_TRUE(std::isfinite(epoch.train_loss));
    EXPECT_GT(epoch.train_loss, 0.0);
    EXPECT_GE(epoch.valid_accuracy, 0.0);
    EXPECT_LE(epoch.valid_accuracy, 100.0);
  }
  if (algorithm == "darts-v1" || algorithm == "darts-v2" || algorithm == "gdas" || algorithm == "setn") {
    ASSERT_EQ(a.epochs.back().arch_probabilities.size(), 6u);
    EXPECT_GT(a.epochs.back().arch_loss, 0.0) << "an architecture step ran";
  }
  if (is_size_space(algorithm)) {
    ASSERT_EQ(a.epochs.back().arch_probabilities.size(), 5u);
    EXPECT_EQ(a.epochs.back().arch_probabilities.front().size(), 8u);
    EXPECT_NE(a.epochs.back().arch_loss, 0.0) << "an architecture step ran";
  }
  if (algorithm == "gdas" || algorithm == "tas" || algorithm == "fbnet-v2") {
    EXPECT_NEAR(a.epochs.front().tau, 10.0, 1e-12);
    EXPECT_NEAR(a.epochs.back().tau, 0.1, 1e-12);
  }
  const SearchResult b = run(algorithm, 2, 11);
  EXPECT_EQ(a.arch, b.arch);
  EXPECT_EQ(a.valid_accuracy, b.valid_accuracy);
  EXPECT_EQ(a.epochs.back().train_loss, b.epochs.back().train_loss);
}

TEST_P(WeightSharingEndToEnd, InterruptedAfterACheckpointResumesToTheSameResult) {
  // (kill -9 of a real search process is covered by the CLI test; here the search stops itself
  // after the first epoch's checkpoint, which leaves the same state behind.)
  const std::string algorithm = GetParam();
  const std::string checkpoint = (std::filesystem::temp_directory_path() /
                                  ("nas_ws_" + algorithm + "_" + std::to_string(::getpid()) + ".pt")).string();
  std::filesystem::remove(checkpoint);
  const SearchResult uninterrupted = run(algorithm, 3, 5);
  run(algorithm, 3, 5, checkpoint, /*stop_after=*/1);
  ASSERT_TRUE(std::filesystem::exists(checkpoint)) << "no checkpoint was written";
  const SearchResult resumed = run(algorithm, 3, 5, checkpoint);
  ASSERT_EQ(resumed.epochs.size(), 2u) << "epochs 1 and 2 run again, epoch 0 comes from the checkpoint";
  EXPECT_EQ(resumed.arch, uninterrupted.arch);
  EXPECT_EQ(resumed.valid_accuracy, uninterrupted.valid_accuracy);
  // Bit-exact: the checkpoint holds every piece of state the rest of the search depends on.
  EXPECT_EQ(resumed.epochs.back().train_loss, uninterrupted.epochs.back().train_loss);
  EXPECT_EQ(resumed.epochs.back().arch_probabilities, uninterrupted.epochs.back().arch_probabilities);
  std::filesystem::remove(checkpoint);
}

using SizeSpaceEndToEnd = WeightSharingEndToEnd;

TEST_P(SizeSpaceEndToEnd, WarmupLeavesAlphaAlone) {
  const std::string algorithm = GetParam();
  YAML::Node warmup;
  warmup["warmup_ratio"] = 1.0;  // every epoch warms up: random widths, no architecture step
  const SearchResult r = run(algorithm, 2, 3, "", 0, warmup);
  for (const auto& row : r.epochs.back().arch_probabilities) {
    for (double p : row) EXPECT_NEAR(p, 0.125, 1e-3) << "alpha keeps its 1e-3 initialisation";
  }
  const SearchResult trained = run(algorithm, 2, 3);
  EXPECT_NE(trained.epochs.back().arch_probabilities, r.epochs.back().arch_probabilities);
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) c = c == '-' ? '_' : c;
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllNine, WeightSharingEndToEnd,
                         ::testing::Values("darts-v1", "darts-v2", "gdas", "setn", "random-ws", "enas", "tas",
                                           "fbnet-v2", "tunas"),
                         test_name);
INSTANTIATE_TEST_SUITE_P(SizeSpace, SizeSpaceEndToEnd, ::testing::Values("tas", "fbnet-v2", "tunas"), test_name);

TEST(WeightSharing, BadSettingsAndMissingData) {
  SearcherRegistry registry;
  register_weight_sharing_searchers(registry);
  YAML::Node bad;
  bad["epochs"] = 0;
  EXPECT_THROW(registry.create("gdas", bad), nas::Error);
  YAML::Node tau;
  tau["tau_min"] = 20.0;
  EXPECT_THROW(registry.create("gdas", tau), nas::Error);
  const auto space = bench::make_search_space(bench::Space::Topology);
  auto searcher = registry.create_training("darts-v1", YAML::Node());
  TrainingTask task;
  task.space = space.get();
  Rng rng(1);
  SearchCallbacks callbacks;
  EXPECT_THROW(searcher->search(task, rng, callbacks), nas::Error) << "no data root";
  task.environment.data_root = "/nonexistent";
  EXPECT_THROW(searcher->search(task, rng, callbacks), nas::Error);
  task.environment.data_root = cifar10();
  task.environment.device = "cuda:7";
  EXPECT_THROW(searcher->search(task, rng, callbacks), nas::Error);
}

TEST(WeightSharing, TunasBaselineIsTheBiasCorrectedMovingAverage) {
  ExponentialMovingAverage ema(0.95);
  EXPECT_EQ(ema.value(), 0.0);
  ema.update(40.0);
  EXPECT_DOUBLE_EQ(ema.value(), 40.0) << "bias correction: the first value is the average";
  ema.update(60.0);
  // (0.95 * 0.05 * 40 + 0.05 * 60) / (0.95 * 0.05 + 0.05)
  EXPECT_NEAR(ema.value(), (0.0475 * 40 + 0.05 * 60) / 0.0975, 1e-12);
  ExponentialMovingAverage copy(0.95);
  copy.restore(ema.numerator(), ema.denominator());
  copy.update(10.0);
  ema.update(10.0);
  EXPECT_EQ(copy.value(), ema.value());
}

TEST(WeightSharing, EachSupernetSearchesOnlyItsSpace) {
  SearcherRegistry registry;
  register_weight_sharing_searchers(registry);
  const auto tss = bench::make_search_space(bench::Space::Topology);
  const auto sss = bench::make_search_space(bench::Space::Size);
  Rng rng(1);
  SearchCallbacks callbacks;
  for (const auto& [algorithm, size] : std::vector<std::pair<std::string, bool>>{{"tas", true}, {"fbnet-v2", true},
                                                                                 {"tunas", true}, {"gdas", false}}) {
    EXPECT_EQ(registry.searches(algorithm, bench::Space::Size), size) << algorithm;
    EXPECT_EQ(registry.searches(algorithm, bench::Space::Topology), !size) << algorithm;
    TrainingTask task;
    task.space = size ? tss.get() : sss.get();
    task.environment.data_root = cifar10();
    try {
      registry.create_training(algorithm, YAML::Node())->search(task, rng, callbacks);
      ADD_FAILURE() << algorithm << " searched the wrong space";
    } catch (const nas::Error& e) {
      EXPECT_NE(std::string(e.what()).find(size ? "size space" : "topology space"), std::string::npos) << e.what();
    }
  }
  YAML::Node bad;
  bad["warmup_ratio"] = 1.5;
  EXPECT_THROW(registry.create("tunas", bad), nas::Error);
  YAML::Node momentum;
  momentum["baseline_momentum"] = 1.0;
  EXPECT_THROW(registry.create("tunas", momentum), nas::Error);
  YAML::Node tau;
  tau["tau_min"] = 0.0;
  EXPECT_THROW(registry.create("fbnet-v2", tau), nas::Error);
  YAML::Node topology_key;
  topology_key["channels"] = 16;
  EXPECT_THROW(registry.create("tas", topology_key), nas::Error) << "the size supernet has no channels setting";
}

}  // namespace
}  // namespace nas::algorithms

// The query API on the store shipped with nas, checked against the real published data.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/cost_model.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/importers.h"
#include "nas/benchmark_api/topology_space.h"
#include "test_data.h"

namespace nas::bench {
namespace {

const Benchmark& shipped() {
  static const Benchmark benchmark = Benchmark::open_default(Space::Topology);
  return benchmark;
}

constexpr const char* kResNet = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|";

TEST(ShippedBenchmark, KnownValuesAtFullFidelity) {
  const Benchmark& b = shipped();
  EXPECT_EQ(b.size(), kTssNumArchs);
  const ArchMetrics best = b.query(6111, Dataset::Cifar10);
  EXPECT_EQ(best.hp, 200);
  EXPECT_EQ(best.epoch, 199);
  ASSERT_TRUE(best.test_accuracy);
  EXPECT_EQ(*best.test_accuracy, 94.37333333333333);
  EXPECT_FALSE(best.valid_accuracy) << "the shipped data has no 200-epoch cifar10-valid x-valid";

  const std::uint32_t resnet = b.index_of(kResNet);
  EXPECT_EQ(resnet, 11472u);
  EXPECT_NEAR(*b.query(resnet, Dataset::Cifar10).test_accuracy, 93.91, 1e-9);
  EXPECT_NEAR(*b.query(resnet, Dataset::Cifar100).test_accuracy, 70.89, 1e-6);
  EXPECT_NEAR(*b.query(resnet, Dataset::ImageNet16_120).test_accuracy, 44.2333333, 1e-6);
  EXPECT_NEAR(*b.query(resnet, Dataset::Cifar10, 12).test_accuracy, 87.95, 1e-9);
  EXPECT_NEAR(*b.query(resnet, Dataset::Cifar100, 12).test_accuracy, 58.34, 1e-6);

  // Index 0 seed mean = mean of seeds 777/888/999 (85.62/86.18/85.79) per the official record.
  EXPECT_NEAR(*b.query(0, Dataset::Cifar10).test_accuracy, (85.62 + 86.18 + 85.79) / 3, 1e-12);
  // The all-none cell scores chance.
  EXPECT_NEAR(*b.query(1651, Dataset::Cifar10).test_accuracy, 10.0, 1e-9);
}

TEST(ShippedBenchmark, FindBestGivesThePublishedOptima) {
  const Benchmark& b = shipped();
  const auto c10 = b.find_best(Dataset::Cifar10, Split::Test);
  EXPECT_EQ(c10.index, 6111u) << "6111 and 13714 tie at 94.3733; the lowest index wins";
  EXPECT_NEAR(c10.value, 94.37, 0.005);
  const auto c100 = b.find_best(Dataset::Cifar100, Split::Test);
  EXPECT_EQ(c100.index, 9930u);
  EXPECT_NEAR(c100.value, 73.51, 0.005);
  const auto in16 = b.find_best(Dataset::ImageNet16_120, Split::Test);
  EXPECT_EQ(in16.index, 857u);
  EXPECT_NEAR(in16.value, 47.31, 0.005);
  // 12-epoch validation: cifar10 resolves to cifar10-valid x-valid (best 13714, NATS notebook issue-7).
  EXPECT_EQ(b.find_best(Dataset::Cifar10, Split::Valid, 12).index, 13714u);
  EXPECT_THROW(b.find_best(Dataset::Cifar10, Split::Valid, 200), nas::Error);
}

TEST(ShippedBenchmark, FindBestUnderAParameterLimitMatchesABruteForceScan) {
  const Benchmark& b = shipped();
  const auto best = b.find_best(Dataset::Cifar100, Split::Test, 200, std::nullopt, 0.5);
  double expected = -1;
  std::uint32_t expected_index = 0;
  for (std::uint32_t i = 0; i < b.size(); ++i) {
    if (b.cost(i, Dataset::Cifar100).params_m > 0.5) continue;
    const double v = *b.query(i, Dataset::Cifar100).test_accuracy;
    if (v > expected) {
      expected = v;
      expected_index = i;
    }
  }
  EXPECT_EQ(best.index, expected_index);
  EXPECT_LE(b.cost(best.index, Dataset::Cifar100).params_m, 0.5);
  EXPECT_LT(best.value, b.find_best(Dataset::Cifar100, Split::Test).value);
}

TEST(ShippedBenchmark, EveryValueEqualsTheSourceTable) {
  NAS_REQUIRE_SHARED_DATA();
  std::ifstream in(nas::test::shared_data("nasbench201/nb201_tss_merged.csv"));
  std::string line;
  std::getline(in, line);
  const Benchmark& b = shipped();
  std::uint32_t rows = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    for (std::stringstream ss(line); std::getline(ss, line, ',');) f.push_back(line);
    ASSERT_EQ(f.size(), 15u);
    const auto i = static_cast<std::uint32_t>(std::stoul(f[0]));
    ASSERT_EQ(b.arch_string(i), f[1]);
    const auto v = [](const std::string& s) { return std::strtod(s.c_str(), nullptr); };
    ASSERT_EQ(*b.query(i, Dataset::Cifar10).test_accuracy, v(f[2]));
    ASSERT_EQ(*b.query(i, Dataset::Cifar100).test_accuracy, v(f[3]));
    ASSERT_EQ(*b.query(i, Dataset::ImageNet16_120).test_accuracy, v(f[4]));
    ASSERT_EQ(*b.query(i, Dataset::Cifar10, 200, Trial::of_seed(kUnrecordedSeed)).test_accuracy, v(f[6]));
    ASSERT_EQ(*b.query(i, Dataset::Cifar100, 200, Trial::of_seed(kUnrecordedSeed)).test_accuracy, v(f[7]));
    ASSERT_EQ(*b.query(i, Dataset::ImageNet16_120, 200, Trial::of_seed(kUnrecordedSeed)).test_accuracy, v(f[8]));
    const ArchMetrics c10 = b.query(i, Dataset::Cifar10, 12);
    ASSERT_EQ(*c10.test_accuracy, v(f[9]));
    ASSERT_EQ(*c10.valid_accuracy, v(f[10]));
    const ArchMetrics c100 = b.query(i, Dataset::Cifar100, 12);
    ASSERT_EQ(*c100.test_accuracy, v(f[11]));
    ASSERT_EQ(*c100.valid_accuracy, v(f[12]));
    const ArchMetrics in16 = b.query(i, Dataset::ImageNet16_120, 12);
    ASSERT_EQ(*in16.test_accuracy, v(f[13]));
    ASSERT_EQ(*in16.valid_accuracy, v(f[14]));
    ++rows;
  }
  EXPECT_EQ(rows, kTssNumArchs);
}

TEST(ShippedBenchmark, TheShippedFileIsReproducibleFromItsSources) {
  NAS_REQUIRE_SHARED_DATA();
  const std::string out = std::string(NAS_BINARY_DIR) + "/rebuilt-tss-shipped.nasbench";
  import_nb201_csv(nas::test::shared_data("nasbench201/nb201_tss_merged.csv"),
                   nas::test::shared_data("natsbench_fixtures/NATS-tss-v1_0-3ffb9-simple"), out);
  auto bytes = [](const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  };
  EXPECT_TRUE(bytes(out) == bytes(Benchmark::default_path(Space::Topology)))
      << "benchmark_api/data differs from a rebuild; regenerate it (see benchmark_api/data/SOURCE.md)";
  std::filesystem::remove(out);

  const std::string sss_out = std::string(NAS_BINARY_DIR) + "/rebuilt-sss-fixtures.nasbench";
  import_nats_directory(nas::test::shared_data("natsbench_fixtures/NATS-sss-v1_0-50262-simple"), sss_out, 2);
  EXPECT_TRUE(bytes(sss_out) == bytes(Benchmark::default_path(Space::Size)));
  std::filesystem::remove(sss_out);
}

TEST(ShippedBenchmark, TrialsAndSeeds) {
  const Benchmark& b = shipped();
  EXPECT_EQ(b.seeds(0, Dataset::Cifar10, 200), std::vector<std::int32_t>{kUnrecordedSeed});
  EXPECT_TRUE(b.seeds(0, Dataset::Cifar10, 12).empty()) << "12-epoch values are seed means only";
  EXPECT_EQ(*b.query(0, Dataset::Cifar10, 200, Trial::of_seed(kUnrecordedSeed)).test_accuracy, 86.18);
  try {
    (void)b.query(0, Dataset::Cifar10, 200, Trial::of_seed(777));
    ADD_FAILURE() << "seed 777 is not in the shipped data";
  } catch (const nas::Error& e) {
    EXPECT_NE(std::string(e.what()).find("recorded seeds: 0 (seed not recorded)"), std::string::npos) << e.what();
  }
  Rng rng(3);
  EXPECT_EQ(b.random_trial(0, Dataset::Cifar10, 200, rng).seed, kUnrecordedSeed);
  EXPECT_TRUE(b.random_trial(0, Dataset::Cifar10, 12, rng).is_mean());
}

TEST(ShippedBenchmark, BadQueriesThrowClearErrors) {
  const Benchmark& b = shipped();
  EXPECT_THROW(b.query(kTssNumArchs, Dataset::Cifar10), nas::Error);
  EXPECT_THROW(b.query(0, Dataset::Cifar10, 50), nas::Error);
  EXPECT_THROW(b.query(0, Dataset::Cifar10, 200, Trial::mean(), 200), nas::Error);
  EXPECT_THROW(b.index_of("|nor_conv_3x3~0|"), nas::Error);
  EXPECT_THROW(b.arch_string(99999), nas::Error);
  // An epoch before the last is not in the shipped data: values are absent, not invented.
  EXPECT_FALSE(b.query(0, Dataset::Cifar10, 200, Trial::mean(), 10).test_accuracy);
}

TEST(ShippedBenchmark, CostIsExactAndTimesAreEstimated) {
  const Benchmark& b = shipped();
  const CostInfo c10 = b.cost(0, Dataset::Cifar10);
  EXPECT_EQ(c10.params_m, 0.129306);
  EXPECT_EQ(c10.flops_m, 15.64737);
  EXPECT_FALSE(c10.latency_s) << "no latency in the shipped data";
  ASSERT_TRUE(c10.train_time_per_epoch_s);
  EXPECT_TRUE(c10.time_estimated);
  // NATS scales per-epoch train time by the training-set size: cifar10 (50k) = 2 x cifar10-valid (25k).
  const CostInfo c10v = b.cost(0, Dataset::Cifar10Valid);
  EXPECT_NEAR(*c10.train_time_per_epoch_s / *c10v.train_time_per_epoch_s, 2.0, 1e-6);
  // The model is the least-squares line through the official per-epoch times of archs 0, 11, 284
  // (7.2211, 12.4621, 4.8758 s): its residuals on them sum to zero, and each is within 25%.
  const double official[] = {7.221092998981476, 12.462056795756022, 4.875794370969136};
  const std::uint32_t archs[] = {0, 11, 284};
  double residual_sum = 0;
  for (int k = 0; k < 3; ++k) {
    const double modelled = *b.cost(archs[k], Dataset::Cifar10Valid).train_time_per_epoch_s;
    residual_sum += modelled - official[k];
    EXPECT_NEAR(modelled, official[k], 0.25 * official[k]) << "arch " << archs[k];
  }
  EXPECT_NEAR(residual_sum, 0.0, 1e-9);
  // More FLOPs, more time.
  EXPECT_GT(*b.cost(1462, Dataset::Cifar10Valid).train_time_per_epoch_s, *c10v.train_time_per_epoch_s);
}

TEST(ShippedBenchmark, SimulateTrainEvalFollowsTheSearchProtocol) {
  const Benchmark& b = shipped();
  Rng rng_a(11), rng_b(11);
  SimulatedClock clock_a, clock_b;
  double expected_total = 0;
  for (std::uint32_t index : {0u, 11472u, 6111u, 1651u}) {
    const SimulatedResult a = b.simulate_train_eval(index, Dataset::Cifar10, 12, rng_a, clock_a);
    const SimulatedResult again = b.simulate_train_eval(index, Dataset::Cifar10, 12, rng_b, clock_b);
    EXPECT_EQ(a.valid_accuracy, again.valid_accuracy);
    EXPECT_EQ(a.total_time_s, again.total_time_s);
    // cifar10 searches see cifar10-valid's x-valid accuracy (the test set is never seen).
    EXPECT_EQ(a.valid_accuracy, *b.query(index, Dataset::Cifar10Valid, 12).valid_accuracy);
    const CostInfo cost = b.cost(index, Dataset::Cifar10Valid, 12);
    EXPECT_GT(a.time_cost_s, 12 * *cost.train_time_per_epoch_s);
    EXPECT_LT(a.time_cost_s, 13 * *cost.train_time_per_epoch_s);
    EXPECT_TRUE(a.time_estimated);
    expected_total += a.time_cost_s;
    EXPECT_NEAR(a.total_time_s, expected_total, 1e-9);
  }
  SimulatedClock clock;
  EXPECT_THROW(b.simulate_train_eval(0, Dataset::Cifar10, 12, rng_a, clock, 5), nas::Error)
      << "per-epoch curves are not in the shipped data";
  EXPECT_EQ(clock.used_seconds, 0.0) << "a failed simulation costs nothing";
  EXPECT_THROW(b.simulate_train_eval(0, Dataset::Cifar10, 200, rng_a, clock), nas::Error)
      << "no 200-epoch validation accuracy in the shipped data";
}

TEST(Benchmark, MissingOrForeignFilesAreClearErrors) {
  EXPECT_THROW(Benchmark::open("/nonexistent/tss.nasbench"), nas::Error);
  const std::string not_a_store = std::string(NAS_BINARY_DIR) + "/CMakeCache.txt";
  try {
    (void)Benchmark::open(not_a_store);
    ADD_FAILURE();
  } catch (const nas::Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a nas benchmark store"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nas::bench

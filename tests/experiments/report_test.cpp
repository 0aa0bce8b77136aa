// Tests of the experiment report (experiments/src/report.h) on a results store written by hand, whose
// expected numbers are worked out below from the shipped tss benchmark's accuracies; and, for
// NAS-Bench-Macro (no validation split, no fidelities, no times), on grids the experiment runner
// runs, whose numbers are looked up in the shipped macro benchmark.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/cost_model.h"
#include "nas/benchmark_api/macro/macro_space.h"
#include "nas/benchmark_api/size_space.h"
#include "nas/benchmark_api/error.h"
#include "report.h"
#include "results_store.h"
#include "runner.h"

namespace {

namespace fs = std::filesystem;
using nas::bench::ArchId;
using nas::experiments::ReportSummary;
using nas::experiments::ResultsStore;
using nas::experiments::RunOutcome;

// Six tss cells and their seed-mean accuracies in the shipped benchmark (`nas bench info --index N
// --dataset cifar10`, and `--hp 12` for the validation accuracy, which hp 200 lacks in that data).
// A, B and F are one isomorphism class: node 3 sees only skip_connect from the input, so the ops of
// edges 1<-0, 2<-0 and 2<-1 are dead (tss_unique_str "#+#+0" for all three).
constexpr ArchId kA = 8048;   // |nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|
constexpr ArchId kB = 2304;   // |nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|none~2|
constexpr ArchId kF = 7187;   // |avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|
constexpr ArchId kC = 9930;   // |nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|
constexpr ArchId kD = 12608;  // as C with avg_pool_3x3 on 3<-2
constexpr ArchId kE = 81;     // as C with nor_conv_1x1 on 1<-0
constexpr double kTestA = 86.45, kTestB = 86.83, kTestF = 86.63, kTestC = 94.363333, kTestD = 93.765, kTestE = 94.30;
constexpr double kValidA = 73.274, kValidC = 84.746;
// cifar100 (x-test at hp 200; x-valid at hp 12).
constexpr double kTestC100 = 73.513333, kTestD100 = 70.90, kValidC100 = 60.28, kValidD100 = 58.00;
// The benchmark stores float32-rounded values; the constants above are to 1e-6.
constexpr double kTolerance = 1e-4;

std::string shipped_checksum() {
  const auto benchmark = nas::bench::Benchmark::open(nas::bench::Benchmark::default_path(nas::bench::Space::Topology));
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(benchmark.store().checksum()));
  return text;
}

/// A run whose trajectory is the given (simulated seconds, incumbent) points; it found the last incumbent.
RunOutcome run(std::uint64_t seed, const std::vector<std::pair<double, ArchId>>& points) {
  RunOutcome o;
  o.seed = seed;
  for (const auto& [seconds, incumbent] : points) {
    nas::algorithms::TrajectoryPoint p;
    p.simulated_seconds = seconds;
    p.incumbent = incumbent;
    p.queries = static_cast<std::int64_t>(o.trajectory.size()) + 1;
    p.incumbent_valid_accuracy = 50;
    o.trajectory.push_back(p);
  }
  o.index = points.back().second;
  o.arch = "recorded by the runner";
  o.queries = static_cast<std::int64_t>(points.size());
  o.simulated_seconds = points.back().first;
  return o;
}

nas::algorithms::Budget seconds_budget(double seconds) { return {seconds, 0}; }
nas::algorithms::Budget queries_budget(std::int64_t queries) { return {0, queries}; }

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / ("nas_report_test_" + std::to_string(::getpid()) + "_" +
                                          ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// The experiment every test reads (each expected number is derived in a comment):
  ///   rea on cifar10, budget 20,000 s:
  ///     seed 1: A at 5,000 and 19,000 s, C at 21,000 and 24,000 s -> nearest 19,000 (A) and 21,000 (C):
  ///             the midpoint, test (A+C)/2, valid (73.274+84.746)/2 = 79.01
  ///     seed 2: B at 8,000, C at 20,000 and 23,000 -> C (20,000 is the budget itself)
  ///     seed 3: one point, E at 3,000 -> E
  ///     seed 4: A at 10,000, C at 12,000, then stopped -> C (the incumbent it ended with)
  ///   rea on cifar100, budget 40,000 s, one run: C at 30,000, D at 50,000 -> equally near, midpoint
  ///   reinforce on cifar10, query budget 1: one point each, finding A, B, F, C, C, D
  void write_experiment(const std::string& checksum) {
    ResultsStore store = ResultsStore::open(dir_);
    store.set_metadata({{"schema_version", "2"},
                        {"config_hash", "cafe0123"},
                        {"config", "name: report-test\n"},
                        {"nas_version", "test"},
                        {"spaces", "tss"},
                        {"benchmark_path.tss", nas::bench::Benchmark::default_path(nas::bench::Space::Topology)},
                        {"benchmark_checksum.tss", checksum},
                        {"created_at", "2024-01-01T00:00:00Z"}});
    store.add_run("rea", "tss", "cifar10", run(1, {{5000, kA}, {19000, kA}, {21000, kC}, {24000, kC}}), seconds_budget(20000));
    store.add_run("rea", "tss", "cifar10", run(2, {{8000, kB}, {20000, kC}, {23000, kC}}), seconds_budget(20000));
    store.add_run("rea", "tss", "cifar10", run(3, {{3000, kE}}), seconds_budget(20000));
    store.add_run("rea", "tss", "cifar10", run(4, {{10000, kA}, {12000, kC}}), seconds_budget(20000));
    store.add_run("rea", "tss", "cifar100", run(1, {{30000, kC}, {50000, kD}}), seconds_budget(40000));
    const ArchId found[] = {kA, kB, kF, kC, kC, kD};
    for (std::uint64_t seed = 0; seed < 6; ++seed) {
      store.add_run("reinforce", "tss", "cifar10", run(seed, {{500.0 * static_cast<double>(seed + 1), found[seed]}}),
                    queries_budget(1));
    }
  }

  /// Weight-sharing runs, added to whatever the store holds:
  ///   darts-v1 on cifar10, seeds 1-4, final archs C, D, C, D; 3 epochs each deriving A, C, then the
  ///   final arch; search wall time 100, 140, 100, 140 s on cuda:0; each epoch's probabilities differ
  ///   (probability(seed, epoch, edge, op) below). A time budget of 50,000 s that must not count.
  ///   random-ws on cifar10, seed 1: final arch E, 2 epochs, no architecture parameters, on cpu.
  void write_weight_sharing() {
    ResultsStore store = ResultsStore::open(dir_);
    const ArchId final_arch[] = {kC, kD, kC, kD};
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
      store.add_run("darts-v1", "tss", "cifar10", weight_sharing_run(seed, final_arch[seed - 1], "cuda:0", seed % 2 ? 100 : 140),
                    seconds_budget(50000));
      const ArchId derived[] = {kA, kC, final_arch[seed - 1]};
      for (int epoch = 0; epoch < 3; ++epoch) {
        store.add_epoch({"darts-v1", "tss", "cifar10", seed}, epoch_record(seed, epoch, derived[epoch], true));
      }
    }
    store.add_run("random-ws", "tss", "cifar10", weight_sharing_run(1, kE, "cpu", 30), seconds_budget(50000));
    for (int epoch = 0; epoch < 2; ++epoch) store.add_epoch({"random-ws", "tss", "cifar10", 1}, epoch_record(1, epoch, kE, false));
  }

  /// A distinct value per (seed, epoch, edge, op); each edge's five sum to 1.
  static double probability(std::uint64_t seed, int epoch, std::size_t edge, std::size_t op) {
    const double weight = 1.0 + static_cast<double>(op) * (0.1 * static_cast<double>(seed) + 0.05 * epoch) +
                          0.01 * static_cast<double>(edge);
    double total = 0;
    for (std::size_t o = 0; o < 5; ++o) {
      total += 1.0 + static_cast<double>(o) * (0.1 * static_cast<double>(seed) + 0.05 * epoch) + 0.01 * static_cast<double>(edge);
    }
    return weight / total;
  }

  static nas::algorithms::EpochRecord epoch_record(std::uint64_t seed, int epoch, ArchId derived, bool with_arch_parameters) {
    nas::algorithms::EpochRecord r;
    r.epoch = epoch;
    r.train_loss = 2.0 - 0.5 * epoch;
    r.train_accuracy = 30.0 + 10 * epoch;
    r.arch_loss = with_arch_parameters ? 2.1 - 0.5 * epoch : 0;
    r.arch_accuracy = with_arch_parameters ? 28.0 + 10 * epoch : 0;
    r.valid_accuracy = 25.0 + 10 * epoch + static_cast<double>(seed);
    r.derived_arch = derived;
    r.seconds = 60.0 + epoch;
    if (!with_arch_parameters) return r;
    r.arch_probabilities.assign(6, std::vector<double>(5));
    for (std::size_t edge = 0; edge < 6; ++edge) {
      for (std::size_t op = 0; op < 5; ++op) r.arch_probabilities[edge][op] = probability(seed, epoch, edge, op);
    }
    return r;
  }

  /// What the runner stores for a weight-sharing search: no queries, no trajectory, a device.
  static RunOutcome weight_sharing_run(std::uint64_t seed, ArchId arch, const std::string& device, double wall) {
    RunOutcome o;
    o.family = nas::algorithms::SearcherFamily::WeightSharing;
    o.seed = seed;
    o.index = arch;
    o.arch = "recorded by the runner";
    o.device = device;
    o.search_wall_seconds = wall;
    o.wall_seconds = wall + 5;
    return o;
  }

  std::string read(const std::string& name) const {
    std::ifstream in(dir_ + "/" + name, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  std::string dir_;
};

TEST_F(ReportTest, OrdersAlgorithmsAndDatasetsAndCountsRuns) {
  write_experiment(shipped_checksum());
  const ReportSummary s = nas::experiments::build_report(dir_);
  EXPECT_EQ(s.num_runs, 11u);
  EXPECT_EQ(s.spaces, (std::vector<std::string>{"tss"}));
  EXPECT_EQ(s.test_hp.at("tss"), 200);
  EXPECT_EQ(s.algorithms, (std::vector<std::string>{"rea", "reinforce"}));
  EXPECT_EQ(s.datasets, (std::vector<std::string>{"cifar10", "cifar100"}));
  ASSERT_EQ(s.cells.size(), 3u);
  EXPECT_EQ(s.cell("reinforce", "tss", "cifar100"), nullptr);
  ASSERT_NE(s.cell("rea", "tss", "cifar10"), nullptr);
  EXPECT_EQ(s.cell("rea", "tss", "cifar10")->runs, 4u);
  EXPECT_DOUBLE_EQ(s.cell("rea", "tss", "cifar10")->budget_seconds, 20000);
  EXPECT_EQ(s.cell("reinforce", "tss", "cifar10")->budget_queries, 1);
}

TEST_F(ReportTest, FollowsTheOrderOfTheExperimentConfig) {
  write_experiment(shipped_checksum());
  ResultsStore::open(dir_).set_metadata(
      {{"config", "name: order-test\ndatasets: [cifar100, cifar10]\nalgorithms:\n  - {name: reinforce, label: reinforce}\n"
                  "  - {name: rea}\n"}});
  const ReportSummary s = nas::experiments::build_report(dir_);
  EXPECT_EQ(s.name, "order-test");
  EXPECT_EQ(s.algorithms, (std::vector<std::string>{"reinforce", "rea"}));
  EXPECT_EQ(s.datasets, (std::vector<std::string>{"cifar100", "cifar10"}));
  ASSERT_EQ(s.cells.size(), 3u);
  EXPECT_EQ(s.cells[0].algorithm, "reinforce");
  EXPECT_EQ(s.cells[1].dataset, "cifar100");
  EXPECT_EQ(s.anytime[0].dataset, "cifar100");
}

TEST_F(ReportTest, InterpolatesAtTheBudgetLikeDrawTable) {
  write_experiment(shipped_checksum());
  const ReportSummary s = nas::experiments::build_report(dir_);
  const auto& rea = s.cell("rea", "tss", "cifar10")->at_budget;
  // test per run: (A+C)/2 = 90.4066665, C, E, C -> mean 93.358333, population std 1.704342
  EXPECT_EQ(rea.test.count, 4u);
  EXPECT_NEAR(rea.test.mean, ((kTestA + kTestC) / 2 + kTestC + kTestE + kTestC) / 4, kTolerance);
  EXPECT_NEAR(rea.test.mean, 93.358333, kTolerance);
  EXPECT_NEAR(rea.test.std, 1.704342, kTolerance);
  // valid per run (hp 12): 79.01, 84.746, 84.228, 84.746 -> mean 83.1825, population std 2.418258
  EXPECT_NEAR((kValidA + kValidC) / 2, 79.01, 1e-9);
  EXPECT_NEAR(rea.valid.mean, 83.1825, kTolerance);
  EXPECT_NEAR(rea.valid.std, 2.418258, kTolerance);
  EXPECT_EQ(rea.valid_hps, (std::set<int>{12}));

  // Two points equally far from the budget: the midpoint of C and D on cifar100; one run, std 0.
  const auto& c100 = s.cell("rea", "tss", "cifar100")->at_budget;
  EXPECT_NEAR(c100.test.mean, (kTestC100 + kTestD100) / 2, kTolerance);
  EXPECT_NEAR(c100.test.mean, 72.206667, kTolerance);
  EXPECT_NEAR(c100.valid.mean, (kValidC100 + kValidD100) / 2, kTolerance);
  EXPECT_DOUBLE_EQ(c100.test.std, 0);
}

TEST_F(ReportTest, HandlesTrajectoriesThatDoNotStraddleTheBudget) {
  ResultsStore store = ResultsStore::open(dir_);
  store.set_metadata({{"spaces", "tss"}, {"benchmark_path.tss", "shipped"}, {"benchmark_checksum.tss", shipped_checksum()}});
  // First evaluation only after the budget: the first incumbent, A (no extrapolation backwards).
  store.add_run("edge", "tss", "cifar10", run(1, {{25000, kA}, {30000, kC}}), seconds_budget(20000));
  // The two nearest points share one instant: the state after both, C.
  store.add_run("edge", "tss", "cifar10", run(2, {{10000, kA}, {20500, kB}, {20500, kC}, {30000, kD}}), seconds_budget(20000));
  // No trajectory at all: the arch the run reports, E.
  RunOutcome bare;
  bare.seed = 3;
  bare.index = kE;
  store.add_run("edge", "tss", "cifar10", bare, seconds_budget(20000));
  const auto& edge = nas::experiments::build_report(dir_).cell("edge", "tss", "cifar10")->at_budget;
  // A, C, E: mean 91.704444, population std 3.715543
  EXPECT_EQ(edge.test.count, 3u);
  EXPECT_NEAR(edge.test.mean, (kTestA + kTestC + kTestE) / 3, kTolerance);
  EXPECT_NEAR(edge.test.std, 3.715543, kTolerance);
}

TEST_F(ReportTest, QueryBudgetsUseTheFinalIncumbent) {
  write_experiment(shipped_checksum());
  const auto& reinforce = nas::experiments::build_report(dir_).cell("reinforce", "tss", "cifar10")->at_budget;
  // A, B, F, C, C, D: mean 90.400278, population std 3.770489
  EXPECT_EQ(reinforce.test.count, 6u);
  EXPECT_NEAR(reinforce.test.mean, (kTestA + kTestB + kTestF + 2 * kTestC + kTestD) / 6, kTolerance);
  EXPECT_NEAR(reinforce.test.std, 3.770489, kTolerance);
}

TEST_F(ReportTest, ComparesWhatTheSeedsFound) {
  write_experiment(shipped_checksum());
  const ReportSummary s = nas::experiments::build_report(dir_);
  const auto& x = s.cell("reinforce", "tss", "cifar10")->cross_seed;
  EXPECT_EQ(x.distinct_archs, 5u);
  // C twice, then the single finds by index: B 2304, F 7187, A 8048, D 12608.
  ASSERT_EQ(x.top_archs.size(), 5u);
  EXPECT_EQ(x.top_archs[0].index, kC);
  EXPECT_EQ(x.top_archs[0].count, 2u);
  EXPECT_EQ(x.top_archs[0].arch,
            "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|");
  ASSERT_TRUE(x.top_archs[0].test_accuracy.has_value());
  EXPECT_NEAR(*x.top_archs[0].test_accuracy, kTestC, kTolerance);
  const std::vector<ArchId> order{x.top_archs[1].index, x.top_archs[2].index, x.top_archs[3].index, x.top_archs[4].index};
  EXPECT_EQ(order, (std::vector<ArchId>{kB, kF, kA, kD}));
  EXPECT_EQ(x.top_archs[4].count, 1u);

  // Edge 2<-0: none in A and F, nor_conv_1x1 in B, nor_conv_3x3 in C, C, D.
  ASSERT_EQ(x.decisions.size(), 6u);
  const auto& edge = x.decisions[1];
  EXPECT_EQ(edge.decision, "2<-0");
  EXPECT_EQ(edge.choices, (std::vector<std::string>{"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"}));
  EXPECT_NEAR(edge.fractions[0], 2.0 / 6, 1e-12);
  EXPECT_NEAR(edge.fractions[1], 0.0, 1e-12);
  EXPECT_NEAR(edge.fractions[2], 1.0 / 6, 1e-12);
  EXPECT_NEAR(edge.fractions[3], 3.0 / 6, 1e-12);
  EXPECT_EQ(x.decisions[3].decision, "3<-0");
  EXPECT_NEAR(x.decisions[3].fractions[1], 1.0, 1e-12);  // skip_connect everywhere

  // The 15 pairs: A-B 1, A-F 1, A-C 4, A-C 4, A-D 4, B-F 2, B-C 4, B-C 4, B-D 4, F-C 5, F-C 5, F-D 5,
  // C-C 0, C-D 1, C-D 1: 45 / 15 = 3.
  ASSERT_TRUE(x.mean_edit_distance.has_value());
  EXPECT_NEAR(*x.mean_edit_distance, 3.0, 1e-12);

  // A, B and F merge into one class of 3, more frequent than C's 2; B is its lowest-index member.
  EXPECT_EQ(x.distinct_classes, 3u);
  EXPECT_EQ(x.top_class, "#+#+0");
  EXPECT_EQ(x.top_class_count, 3u);
  EXPECT_EQ(x.top_class_member.index, kB);

  // One run: no pairs.
  EXPECT_FALSE(s.cell("rea", "tss", "cifar100")->cross_seed.mean_edit_distance.has_value());
}

TEST_F(ReportTest, AnytimeCurvesAreMeansOfStepFunctions) {
  write_experiment(shipped_checksum());
  const ReportSummary s = nas::experiments::build_report(dir_);
  ASSERT_EQ(s.anytime.size(), 2u);
  const auto& data = s.anytime[0];
  EXPECT_EQ(data.dataset, "cifar10");
  ASSERT_EQ(data.seconds.size(), 200u);
  EXPECT_DOUBLE_EQ(data.seconds.front(), 0);
  EXPECT_DOUBLE_EQ(data.seconds.back(), 20000);  // the budget; reinforce's query budget has no time
  ASSERT_EQ(data.curves.size(), 2u);
  const auto& rea = data.curves[0];
  EXPECT_EQ(rea.algorithm, "rea");
  // t = 0: no run has evaluated anything.
  EXPECT_FALSE(rea.mean[0].has_value());
  EXPECT_EQ(rea.runs[0], 0u);
  // t = 20000·30/199 = 3015 s: only seed 3 (E at 3,000 s).
  EXPECT_EQ(rea.runs[30], 1u);
  EXPECT_NEAR(*rea.mean[30], kTestE, kTolerance);
  EXPECT_DOUBLE_EQ(rea.std[30], 0);
  // t = 20000·190/199 = 19095 s: A (seed 1, since 19,000 s), B (seed 2), E, C (seed 4).
  EXPECT_EQ(rea.runs[190], 4u);
  EXPECT_NEAR(*rea.mean[190], (kTestA + kTestB + kTestE + kTestC) / 4, kTolerance);
  EXPECT_NEAR(rea.std[190], 3.848244, kTolerance);
  // t = 20000: seed 2's point at exactly 20,000 s counts: A, C, E, C.
  EXPECT_NEAR(*rea.mean[199], 92.369167, kTolerance);
  EXPECT_NEAR(rea.std[199], 3.417530, kTolerance);
}

TEST_F(ReportTest, SummaryJsonHoldsTheNumbers) {
  write_experiment(shipped_checksum());
  const ReportSummary s = nas::experiments::build_report(dir_);
  const auto& j = s.json;
  EXPECT_EQ(j["schema_version"], 2);
  EXPECT_EQ(j["spaces"], nlohmann::ordered_json::array({"tss"}));
  EXPECT_EQ(j["test_hp"]["tss"], 200);
  EXPECT_EQ(j["metadata"]["config_hash"], "cafe0123");
  EXPECT_EQ(j["runs"], 11);
  ASSERT_EQ(j["results"].size(), 3u);
  const auto& rea = j["results"][0];
  EXPECT_EQ(rea["algorithm"], "rea");
  EXPECT_EQ(rea["space"], "tss");
  EXPECT_EQ(rea["dataset"], "cifar10");
  EXPECT_NEAR(rea["at_budget"]["test"]["mean"].get<double>(), 93.358333, kTolerance);
  EXPECT_EQ(rea["at_budget"]["test"]["hp"], 200);
  EXPECT_EQ(rea["at_budget"]["valid"]["hp"], nlohmann::ordered_json::array({12}));
  const auto& reinforce = j["results"][2]["cross_seed"];
  EXPECT_EQ(reinforce["distinct_archs"], 5);
  EXPECT_EQ(reinforce["most_frequent"]["index"], kC);
  EXPECT_NEAR(reinforce["choice_frequencies"]["2<-0"]["none"].get<double>(), 1.0 / 3, 1e-12);
  EXPECT_NEAR(reinforce["mean_pairwise_edit_distance"].get<double>(), 3.0, 1e-12);
  EXPECT_EQ(reinforce["isomorphism_classes"]["distinct"], 3);
  EXPECT_EQ(reinforce["isomorphism_classes"]["most_frequent"]["count"], 3);
  EXPECT_TRUE(j["anytime"][0]["curves"][0]["mean"][0].is_null());
}

TEST_F(ReportTest, RefusesABenchmarkWithAnotherChecksum) {
  const std::string checksum = shipped_checksum();
  std::string other = checksum;
  other.back() = other.back() == '0' ? '1' : '0';
  write_experiment(other);
  EXPECT_THROW(nas::experiments::build_report(dir_), nas::Error);
  EXPECT_THROW(nas::experiments::write_report(dir_), nas::Error);
  EXPECT_FALSE(fs::exists(dir_ + "/report.md"));
}

TEST_F(ReportTest, RefusesAMalformedChecksum) {
  write_experiment("not-a-checksum");
  EXPECT_THROW(nas::experiments::build_report(dir_), nas::Error);
}

TEST_F(ReportTest, RefusesAFolderWithoutResults) {
  EXPECT_THROW(nas::experiments::build_report(dir_ + "/missing"), nas::Error);
  fs::create_directories(dir_);
  EXPECT_THROW(nas::experiments::build_report(dir_), nas::Error);
}

TEST_F(ReportTest, WritesMarkdownJsonAndPlots) {
  write_experiment(shipped_checksum());
  nas::experiments::write_report(dir_);
  const std::string md = read("report.md");
  EXPECT_NE(md.find("cafe0123"), std::string::npos);
  EXPECT_NE(md.find("| algorithm | tss cifar10 valid (hp 12) | tss cifar10 test (hp 200) |"), std::string::npos);
  EXPECT_NE(md.find("| rea | 83.18 ± 2.42 | 93.36 ± 1.70 |"), std::string::npos);
  EXPECT_NE(md.find("![anytime tss cifar10](anytime-tss-cifar10.png)"), std::string::npos);
  EXPECT_NE(md.find("![anytime tss cifar100](anytime-tss-cifar100.png)"), std::string::npos);
  EXPECT_NE(md.find("`#+#+0`"), std::string::npos);
  // Arch strings are escaped so that their `|` do not split table cells.
  EXPECT_NE(md.find("`\\|nor_conv_3x3~0\\|+"), std::string::npos);

  const auto summary = nlohmann::ordered_json::parse(read("summary.json"));
  EXPECT_EQ(summary, nas::experiments::build_report(dir_).json);

  for (const std::string dataset : {"cifar10", "cifar100"}) {
    const std::string png = read("anytime-tss-" + dataset + ".png");
    ASSERT_GT(png.size(), 8u) << dataset;
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << dataset;
    EXPECT_NE(read("anytime-tss-" + dataset + ".dat").find("# algorithm: rea"), std::string::npos);
  }
}

TEST_F(ReportTest, WithoutGnuplotWritesTheDataAndSaysSo) {
  write_experiment(shipped_checksum());
  const char* old_path = std::getenv("PATH");
  const std::string saved = old_path != nullptr ? old_path : "";
  fs::create_directories(dir_ + "/empty-bin");
  ::setenv("PATH", (dir_ + "/empty-bin").c_str(), 1);
  nas::experiments::write_report(dir_);
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_TRUE(fs::exists(dir_ + "/anytime-tss-cifar10.dat"));
  EXPECT_FALSE(fs::exists(dir_ + "/anytime-tss-cifar10.png"));
  const std::string md = read("report.md");
  EXPECT_NE(md.find("gnuplot is not installed"), std::string::npos);
  EXPECT_EQ(md.find("![anytime"), std::string::npos);
}

TEST_F(ReportTest, WeightSharingRowsReportTheirFinalArchitecture) {
  write_experiment(shipped_checksum());
  write_weight_sharing();
  const ReportSummary s = nas::experiments::build_report(dir_);
  EXPECT_EQ(s.num_runs, 16u);
  const auto* darts = s.cell("darts-v1", "tss", "cifar10");
  ASSERT_NE(darts, nullptr);
  EXPECT_TRUE(darts->weight_sharing);
  EXPECT_EQ(darts->runs, 4u);
  // Final archs C, D, C, D: mean 94.064167, population std |C - D| / 2 = 0.299167. The derived archs
  // of earlier epochs (A) and the 50,000 s budget play no part.
  EXPECT_EQ(darts->at_budget.test.count, 4u);
  EXPECT_NEAR(darts->at_budget.test.mean, (kTestC + kTestD) / 2, kTolerance);
  EXPECT_NEAR(darts->at_budget.test.std, (kTestC - kTestD) / 2, kTolerance);
  EXPECT_EQ(darts->at_budget.valid.count, 4u);
  EXPECT_DOUBLE_EQ(darts->budget_seconds, 0);
  // Search wall time 100, 140, 100, 140 s: mean 120, std 20.
  EXPECT_DOUBLE_EQ(darts->search_wall_seconds.mean, 120);
  EXPECT_DOUBLE_EQ(darts->search_wall_seconds.std, 20);
  EXPECT_EQ(darts->devices, (std::vector<std::string>{"cuda:0"}));
  const auto* random_ws = s.cell("random-ws", "tss", "cifar10");
  ASSERT_NE(random_ws, nullptr);
  EXPECT_TRUE(random_ws->weight_sharing);
  EXPECT_NEAR(random_ws->at_budget.test.mean, kTestE, kTolerance);
  EXPECT_EQ(random_ws->devices, (std::vector<std::string>{"cpu"}));
  // Query-based cells are untouched.
  EXPECT_FALSE(s.cell("rea", "tss", "cifar10")->weight_sharing);
  EXPECT_NEAR(s.cell("rea", "tss", "cifar10")->at_budget.test.mean, 93.358333, kTolerance);
}

TEST_F(ReportTest, AnytimeCurvesLeaveWeightSharingOut) {
  write_experiment(shipped_checksum());
  write_weight_sharing();
  const ReportSummary s = nas::experiments::build_report(dir_);
  ASSERT_EQ(s.anytime.size(), 2u);
  const auto& data = s.anytime[0];
  EXPECT_EQ(data.dataset, "cifar10");
  // Still the query-based budget, not the weight-sharing runs' 50,000 s.
  EXPECT_DOUBLE_EQ(data.seconds.back(), 20000);
  std::vector<std::string> plotted;
  for (const auto& curve : data.curves) plotted.push_back(curve.algorithm);
  EXPECT_EQ(plotted, (std::vector<std::string>{"rea", "reinforce"}));
  EXPECT_NEAR(*data.curves[0].mean[199], 92.369167, kTolerance);
}

TEST_F(ReportTest, OnlyWeightSharingRunsHaveNoAnytimeCurves) {
  ResultsStore::open(dir_).set_metadata({{"schema_version", "2"},
                                         {"spaces", "tss"},
                                         {"benchmark_path.tss", "shipped"},
                                         {"benchmark_checksum.tss", shipped_checksum()}});
  write_weight_sharing();
  const ReportSummary s = nas::experiments::build_report(dir_);
  EXPECT_TRUE(s.anytime.empty());
  EXPECT_EQ(s.weight_sharing.size(), 2u);
  nas::experiments::write_report(dir_);
  const std::string md = read("report.md");
  EXPECT_EQ(md.find("## Anytime performance"), std::string::npos);
  EXPECT_NE(md.find("## Weight-sharing searches"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ + "/anytime-tss-cifar10.dat"));
}

TEST_F(ReportTest, WeightSharingEpochsAreWhatTheStoreHolds) {
  write_experiment(shipped_checksum());
  write_weight_sharing();
  const ReportSummary s = nas::experiments::build_report(dir_);
  ASSERT_EQ(s.weight_sharing.size(), 2u);
  const auto& darts = s.weight_sharing[0];
  EXPECT_EQ(darts.algorithm, "darts-v1");
  EXPECT_EQ(darts.dataset, "cifar10");
  ASSERT_EQ(darts.decisions.size(), 6u);
  EXPECT_EQ(darts.decisions[0], "1<-0");
  EXPECT_EQ(darts.choices[0][3], "nor_conv_3x3");
  ASSERT_EQ(darts.runs.size(), 4u);
  for (std::size_t i = 0; i < darts.runs.size(); ++i) {
    const auto& run = darts.runs[i];
    EXPECT_EQ(run.seed, i + 1);
    EXPECT_EQ(run.plotted, i < 3) << "only the first 3 seeds get plots";
    EXPECT_EQ(run.device, "cuda:0");
    ASSERT_EQ(run.epochs.size(), 3u);
    for (int epoch = 0; epoch < 3; ++epoch) {
      const auto& e = run.epochs[static_cast<std::size_t>(epoch)];
      EXPECT_EQ(e.epoch, epoch);
      EXPECT_DOUBLE_EQ(e.valid_accuracy, 25.0 + 10 * epoch + static_cast<double>(run.seed));
      ASSERT_EQ(e.arch_probabilities.size(), 6u);
      for (std::size_t edge = 0; edge < 6; ++edge) {
        for (std::size_t op = 0; op < 5; ++op) {
          EXPECT_DOUBLE_EQ(e.arch_probabilities[edge][op], probability(run.seed, epoch, edge, op));
        }
      }
    }
    // Derived archs A, C, then the final one, looked up in the benchmark.
    ASSERT_EQ(run.derived_test_accuracy.size(), 3u);
    EXPECT_NEAR(*run.derived_test_accuracy[0], kTestA, kTolerance);
    EXPECT_NEAR(*run.derived_test_accuracy[1], kTestC, kTolerance);
    EXPECT_NEAR(*run.derived_test_accuracy[2], i % 2 == 0 ? kTestC : kTestD, kTolerance);
    EXPECT_NEAR(*run.test_accuracy, i % 2 == 0 ? kTestC : kTestD, kTolerance);
  }
  EXPECT_TRUE(s.weight_sharing[1].runs.at(0).epochs.at(0).arch_probabilities.empty());

  // summary.json holds the same.
  ASSERT_EQ(s.json["weight_sharing"].size(), 2u);
  const auto& j = s.json["weight_sharing"][0]["runs"][1];
  EXPECT_EQ(j["seed"], 2);
  EXPECT_EQ(j["device"], "cuda:0");
  EXPECT_EQ(j["epochs"][2]["derived_arch"], kD);
  EXPECT_NEAR(j["epochs"][0]["derived_test_accuracy"].get<double>(), kTestA, kTolerance);
  EXPECT_DOUBLE_EQ(j["epochs"][1]["arch_probabilities"][4][2].get<double>(), probability(2, 1, 4, 2));
  // Algorithms by name: darts-v1, random-ws, rea (cifar10, cifar100), reinforce.
  const auto& cell = s.json["results"][0];
  EXPECT_EQ(cell["algorithm"], "darts-v1");
  EXPECT_EQ(cell["family"], "weight-sharing");
  EXPECT_DOUBLE_EQ(cell["search_wall_seconds"]["mean"].get<double>(), 120);
  EXPECT_EQ(s.json["results"][2]["algorithm"], "rea");
  EXPECT_EQ(s.json["results"][2]["family"], "query");
}

// ---- the size space: a second space in the same experiment, and configs the benchmark lacks ------------

std::string shipped_sss_checksum() {
  const auto benchmark = nas::bench::Benchmark::open(nas::bench::Benchmark::default_path(nas::bench::Space::Size));
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(benchmark.store().checksum()));
  return text;
}

// The shipped sss store holds configs 0, 11 and 284 only; 1234 (8:24:32:24:24) has no record.
constexpr ArchId kSss11 = 11, kSss1234 = 1234;
constexpr double kSss11Test = 85.77;           // cifar10 ori-test@89, seed 777 (SOURCE.md)
constexpr double kSss11Valid = 83.72400000976563;  // cifar10-valid x-valid@89, seed 777

/// The tss experiment plus size-space runs of a weight-sharing searcher ("tas" here is just a label:
/// the report reads what the store holds): on cifar10 it ends on 11, 1234, 1234; on cifar100 on 1234.
void add_size_space_runs(const std::string& dir) {
  ResultsStore store = ResultsStore::open(dir);
  store.set_metadata({{"spaces", "tss,sss"},
                      {"benchmark_path.sss", "shipped"},
                      {"benchmark_checksum.sss", shipped_sss_checksum()}});
  const ArchId found[] = {kSss11, kSss1234, kSss1234};
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    RunOutcome o;
    o.family = nas::algorithms::SearcherFamily::WeightSharing;
    o.seed = 777 + 111 * seed;
    o.index = found[seed];
    o.arch = "recorded by the runner";
    o.device = "cpu";
    o.search_wall_seconds = 50;
    store.add_run("tas", "sss", "cifar10", o, seconds_budget(20000));
    nas::algorithms::EpochRecord e;
    e.derived_arch = found[seed];
    e.arch_probabilities.assign(5, std::vector<double>(8, 0.125));
    store.add_epoch({"tas", "sss", "cifar10", o.seed}, e);
  }
  RunOutcome lone;
  lone.family = nas::algorithms::SearcherFamily::WeightSharing;
  lone.seed = 777;
  lone.index = kSss1234;
  lone.device = "cpu";
  store.add_run("tas", "sss", "cifar100", lone, seconds_budget(40000));
}

TEST(ReportedAccuracies, FallBackToHp12OnlyWhereItHasTheValue) {
  const auto sss = nas::bench::Benchmark::open_default(nas::bench::Space::Size);
  RunOutcome recorded;
  recorded.index = kSss11;
  nas::experiments::fill_reported_accuracies(recorded, nas::bench::Dataset::Cifar10, sss);
  EXPECT_NEAR(*recorded.test_accuracy, kSss11Test, 1e-9);
  EXPECT_NEAR(*recorded.valid_accuracy, kSss11Valid, 1e-9);
  EXPECT_EQ(recorded.valid_hp, 90);
  RunOutcome absent;
  absent.index = kSss1234;
  nas::experiments::fill_reported_accuracies(absent, nas::bench::Dataset::Cifar10, sss);
  EXPECT_FALSE(absent.test_accuracy.has_value());
  EXPECT_FALSE(absent.valid_accuracy.has_value());
  EXPECT_EQ(absent.test_hp, 90);
  EXPECT_EQ(absent.valid_hp, 90) << "no value at hp 12 either: the schedule named is the final one";
  const auto tss = nas::bench::Benchmark::open_default(nas::bench::Space::Topology);
  RunOutcome cell;
  cell.index = kC;
  nas::experiments::fill_reported_accuracies(cell, nas::bench::Dataset::Cifar10, tss);
  EXPECT_EQ(cell.valid_hp, 12) << "the shipped tss store has validation accuracy at hp 12 only";
  EXPECT_NEAR(*cell.valid_accuracy, kValidC, kTolerance);
}

TEST_F(ReportTest, SizeSpaceColumnsSitBesideTheTopologyOnesAndMissingAccuraciesAreSaidSo) {
  write_experiment(shipped_checksum());
  add_size_space_runs(dir_);
  const ReportSummary s = nas::experiments::build_report(dir_);
  EXPECT_EQ(s.spaces, (std::vector<std::string>{"tss", "sss"}));
  EXPECT_EQ(s.test_hp.at("sss"), 90);
  const auto* tas = s.cell("tas", "sss", "cifar10");
  ASSERT_NE(tas, nullptr);
  EXPECT_TRUE(tas->weight_sharing);
  // Only the run that ended on config 11 has an accuracy; the others count in no mean.
  EXPECT_EQ(tas->at_budget.test.count, 1u);
  EXPECT_NEAR(tas->at_budget.test.mean, kSss11Test, 1e-9);
  EXPECT_NEAR(tas->at_budget.valid.mean, kSss11Valid, 1e-9);
  EXPECT_EQ(tas->at_budget.valid_hps, (std::set<int>{90}));
  // 1234 is listed with its exact cost and the number of runs that found it.
  ASSERT_EQ(tas->unavailable.size(), 1u);
  const auto& u = tas->unavailable.front();
  EXPECT_EQ(u.index, kSss1234);
  EXPECT_EQ(u.arch, "8:24:32:24:24");
  EXPECT_EQ(u.runs, 2u);
  const auto cost = nas::bench::sss_network_cost(nas::bench::sss_arch_at(kSss1234), 10, 32);
  EXPECT_EQ(u.params_m, cost.params_m);
  EXPECT_EQ(u.flops_m, cost.flops_m);
  EXPECT_EQ(u.params_m, 0.092434);
  EXPECT_EQ(s.cell("tas", "sss", "cifar100")->at_budget.test.count, 0u);
  EXPECT_TRUE(s.cell("rea", "tss", "cifar10")->unavailable.empty());
  // summary.json carries the space of every result and the unavailable configs.
  const auto& j = s.json;
  EXPECT_EQ(j["spaces"], nlohmann::ordered_json::array({"tss", "sss"}));
  EXPECT_EQ(j["test_hp"]["sss"], 90);
  bool found = false;
  for (const auto& r : j["results"]) {
    if (r["algorithm"] != "tas" || r["dataset"] != "cifar10") continue;
    found = true;
    EXPECT_EQ(r["space"], "sss");
    EXPECT_EQ(r["at_budget"]["test"]["hp"], 90);
    EXPECT_EQ(r["accuracy_unavailable"][0]["arch"], "8:24:32:24:24");
    EXPECT_EQ(r["accuracy_unavailable"][0]["params_m"], 0.092434);
    EXPECT_EQ(r["accuracy_unavailable"][0]["runs"], 2);
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(j["weight_sharing"][0]["space"], "sss");
  EXPECT_EQ(j["weight_sharing"][0]["decisions"][4], "layer-4");

  nas::experiments::write_report(dir_);
  const std::string md = read("report.md");
  EXPECT_NE(md.find("| algorithm | tss cifar10 valid (hp 12) | tss cifar10 test (hp 200) | tss cifar100 valid (hp 12) | "
                    "tss cifar100 test (hp 200) | sss cifar10 valid (hp 90) | sss cifar10 test (hp 90) | "
                    "sss cifar100 valid (hp 90) | sss cifar100 test (hp 90) |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| rea | 83.18 ± 2.42 | 93.36 ± 1.70 | "), std::string::npos);
  EXPECT_NE(md.find("| tas † | — | — | — | — | 83.72 ± 0.00 (1 of 3 runs) | 85.77 ± 0.00 (1 of 3 runs) | unavailable ‡ | "
                    "unavailable ‡ |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("## Architectures without benchmark accuracy"), std::string::npos);
  EXPECT_NE(md.find("| tas | sss | cifar10 | `8:24:32:24:24` | 1234 | 0.092434 | 18.28479 | 2 of 3 | unavailable (no hp 90 record) |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| tas | sss | cifar100 | `8:24:32:24:24` | 1234 | "), std::string::npos);
  EXPECT_NE(md.find("NATS-sss-v1_0-50262-simple"), std::string::npos);
  EXPECT_EQ(md.find("nan"), std::string::npos);
  EXPECT_EQ(md.find("NaN"), std::string::npos);
  EXPECT_NE(md.find("### tas on sss cifar10"), std::string::npos);
  EXPECT_EQ(md.find("(hp ?)"), std::string::npos) << "a column without values names the schedule looked up";
  EXPECT_NE(read("ws-tas-sss-cifar10-seed777-probabilities.dat").find("# layer: layer-0; widths: 8 16 24 32 40 48 56 64"),
            std::string::npos);
}

/// The numbers of a gnuplot .dat block (`index` i: blocks are separated by two blank lines), comments left out.
std::vector<std::vector<double>> dat_block(const std::string& text, std::size_t index) {
  std::vector<std::vector<double>> rows;
  std::istringstream in(text);
  std::string line;
  std::size_t block = 0, blank = 0;
  while (std::getline(in, line)) {
    if (line.empty()) {
      if (++blank == 2) ++block;
      continue;
    }
    blank = 0;
    if (line[0] == '#' || block != index) continue;
    std::istringstream fields(line);
    std::vector<double> row;
    for (double v = 0; fields >> v;) row.push_back(v);
    rows.push_back(row);
  }
  return rows;
}

TEST_F(ReportTest, WritesWeightSharingTablesAndPlots) {
  write_experiment(shipped_checksum());
  write_weight_sharing();
  nas::experiments::write_report(dir_);
  const std::string md = read("report.md");
  // The table row of darts-v1 is marked and holds the final archs' test accuracy.
  EXPECT_NE(md.find("| darts-v1 † | "), std::string::npos);
  EXPECT_NE(md.find(" | 94.06 ± 0.30 | — | — |"), std::string::npos);
  EXPECT_NE(md.find("| rea | 83.18 ± 2.42 | 93.36 ± 1.70 |"), std::string::npos);
  EXPECT_NE(md.find("| darts-v1 | tss | cifar10 | 4 | 120.00 ± 20.00 | cuda:0 |"), std::string::npos);
  EXPECT_NE(md.find("Weight-sharing searches are left out"), std::string::npos);
  EXPECT_NE(md.find("## Weight-sharing searches"), std::string::npos);
  EXPECT_NE(md.find("![search curves](ws-darts-v1-tss-cifar10-seed1-curves.png)"), std::string::npos);
  EXPECT_NE(md.find("![architecture probabilities](ws-darts-v1-tss-cifar10-seed3-probabilities.png)"), std::string::npos);
  EXPECT_EQ(md.find("ws-darts-v1-tss-cifar10-seed4"), std::string::npos);
  // Derived-arch table of seed 2: A at epoch 0, C at 1, D at 2.
  EXPECT_NE(md.find("| 0 | 8048 | 86.45 | 27.00 | — | 60.0 |"), std::string::npos);
  EXPECT_NE(md.find("| 2 | 12608 | 93.77 | 47.00 | — | 62.0 |"), std::string::npos);

  const std::string png_magic("\x89PNG\r\n\x1a\n", 8);
  for (const std::string seed : {"1", "2", "3"}) {
    for (const std::string kind : {"curves", "probabilities"}) {
      const std::string png = read("ws-darts-v1-tss-cifar10-seed" + seed + "-" + kind + ".png");
      ASSERT_GT(png.size(), 8u) << seed << " " << kind;
      EXPECT_EQ(png.substr(0, 8), png_magic) << seed << " " << kind;
    }
  }
  EXPECT_FALSE(fs::exists(dir_ + "/ws-darts-v1-tss-cifar10-seed4-curves.png"));
  EXPECT_TRUE(fs::exists(dir_ + "/ws-random-ws-tss-cifar10-seed1-curves.png"));
  EXPECT_FALSE(fs::exists(dir_ + "/ws-random-ws-tss-cifar10-seed1-probabilities.dat"));
  // No anytime data for weight-sharing algorithms.
  EXPECT_EQ(read("anytime-tss-cifar10.dat").find("darts-v1"), std::string::npos);

  // The plotted probabilities are the stored ones: block = edge, row = epoch, column 1 + op.
  const std::string probabilities = read("ws-darts-v1-tss-cifar10-seed2-probabilities.dat");
  for (std::size_t edge = 0; edge < 6; ++edge) {
    const auto rows = dat_block(probabilities, edge);
    ASSERT_EQ(rows.size(), 3u) << edge;
    for (int epoch = 0; epoch < 3; ++epoch) {
      const auto& row = rows[static_cast<std::size_t>(epoch)];
      ASSERT_EQ(row.size(), 6u);
      EXPECT_DOUBLE_EQ(row[0], epoch);
      for (std::size_t op = 0; op < 5; ++op) EXPECT_NEAR(row[op + 1], probability(2, epoch, edge, op), 1e-9);
    }
  }
  // The curves: epoch, train loss, ..., derived arch, its test accuracy.
  const auto curves = dat_block(read("ws-darts-v1-tss-cifar10-seed2-curves.dat"), 0);
  ASSERT_EQ(curves.size(), 3u);
  EXPECT_DOUBLE_EQ(curves[1][1], 1.5);
  EXPECT_DOUBLE_EQ(curves[1][5], 37);
  EXPECT_DOUBLE_EQ(curves[2][6], kD);
  EXPECT_NEAR(curves[2][7], kTestD, kTolerance);

  const auto summary = nlohmann::ordered_json::parse(read("summary.json"));
  EXPECT_EQ(summary, nas::experiments::build_report(dir_).json);
}

// ---- NAS-Bench-Macro: a space without a validation split, without fidelities and without times --------

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The line of `text` that starts with `prefix` (the first one), or "" if there is none.
std::string line_starting(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return "";
}

/// From the heading `heading` to the next heading of its level or above, or the closing link to summary.json.
std::string section(const std::string& md, const std::string& heading) {
  const auto start = md.find(heading + "\n");
  if (start == std::string::npos) return "";
  std::size_t end = md.size();
  for (const std::string next : {"\n### ", "\n## ", "\nMachine-readable:"}) end = std::min(end, md.find(next, start + 1));
  return md.substr(start, end - start);
}

std::string two_decimals(double value) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(2);
  out << value;
  return out.str();
}

/// "hp 1" as a schedule: macro stores its one record per trial under hp 1, which the report never names.
bool names_hp_1(const std::string& text) { return std::regex_search(text, std::regex("hp 1([^0-9]|$)")); }

/// Grids as `nas run` runs them (the experiment runner, the shipped benchmarks).
class MacroReportTest : public ReportTest {
 protected:
  void TearDown() override {
    ReportTest::TearDown();
    for (const auto& path : written_) fs::remove_all(path);
  }

  /// random and rea, seeds 0-19, on cifar10 of `spaces` with each space's default budget (20,000
  /// simulated seconds on tss, 100 queries on macro), into `out`.
  void run_grid(const std::string& spaces, const std::string& out) {
    const std::string config = out + ".yaml";
    written_.push_back(config);
    written_.push_back(out);
    std::ofstream(config) << "name: macro-report-test\nspaces: [" << spaces
                          << "]\ndatasets: [cifar10]\nruns: 20\nbudget: nats\nalgorithms:\n  - name: random\n  - name: rea\n";
    nas::experiments::run_experiment(config, out, 2);
  }

  std::vector<std::string> written_;
};

TEST_F(MacroReportTest, MacroColumnsSayTheyWereSearchedOnTestAccuracyAndHaveNoValidation) {
  run_grid("tss, macro", dir_);
  const ReportSummary s = nas::experiments::build_report(dir_);
  EXPECT_EQ(s.spaces, (std::vector<std::string>{"tss", "macro"}));
  EXPECT_EQ(s.test_hp.at("tss"), 200);
  EXPECT_FALSE(s.test_hp.at("macro").has_value()) << "macro has no fidelities: no schedule to name";

  // The macro cells: every run's final arch looked up in the shipped macro benchmark, no validation.
  const auto macro = nas::bench::Benchmark::open_default(nas::bench::Space::Macro);
  std::map<std::string, std::vector<double>> tests;
  for (const auto& run : ResultsStore::open_existing(dir_).runs(false)) {
    if (run.space == "macro") tests[run.algorithm].push_back(*macro.query(run.outcome.index, nas::bench::Dataset::Cifar10).test_accuracy);
  }
  for (const std::string algorithm : {"random", "rea"}) {
    const auto* c = s.cell(algorithm, "macro", "cifar10");
    ASSERT_NE(c, nullptr) << algorithm;
    EXPECT_EQ(c->runs, 20u);
    EXPECT_EQ(c->budget_queries, 100);
    EXPECT_DOUBLE_EQ(c->budget_seconds, 0);
    EXPECT_TRUE(c->searched_on_test_accuracy);
    EXPECT_EQ(c->at_budget.valid.count, 0u);
    EXPECT_TRUE(c->at_budget.valid_hps.empty());
    const auto expected = nas::experiments::statistic_of(tests[algorithm]);
    EXPECT_EQ(c->at_budget.test.count, 20u);
    EXPECT_NEAR(c->at_budget.test.mean, expected.mean, 1e-9);
    EXPECT_NEAR(c->at_budget.test.std, expected.std, 1e-9);
    EXPECT_FALSE(s.cell(algorithm, "tss", "cifar10")->searched_on_test_accuracy);
  }

  // The anytime curves of macro count queries (its data records no times); tss's count seconds.
  ASSERT_EQ(s.anytime.size(), 2u);
  EXPECT_FALSE(s.anytime[0].by_queries);
  EXPECT_DOUBLE_EQ(s.anytime[0].seconds.back(), 20000);
  const auto& curves = s.anytime[1];
  EXPECT_EQ(curves.space, "macro");
  EXPECT_TRUE(curves.by_queries);
  EXPECT_TRUE(curves.seconds.empty());
  ASSERT_EQ(curves.queries.size(), 101u);
  for (std::size_t q = 0; q < curves.queries.size(); ++q) EXPECT_DOUBLE_EQ(curves.queries[q], static_cast<double>(q));
  ASSERT_EQ(curves.curves.size(), 2u);
  EXPECT_FALSE(curves.curves[0].mean[0].has_value()) << "nothing is evaluated before the first query";
  EXPECT_EQ(curves.curves[0].runs[1], 20u);
  // After the last query every run holds its final incumbent: the table's number.
  EXPECT_NEAR(*curves.curves[1].mean[100], s.cell("rea", "macro", "cifar10")->at_budget.test.mean, 1e-9);

  // summary.json: null where macro has no schedule or no validation split.
  const auto& j = s.json;
  EXPECT_EQ(j["test_hp"]["tss"], 200);
  EXPECT_TRUE(j["test_hp"]["macro"].is_null());
  std::size_t macro_results = 0;
  for (const auto& r : j["results"]) {
    const auto& valid = r["at_budget"]["valid"];
    const auto& test = r["at_budget"]["test"];
    if (r["space"] == "macro") {
      ++macro_results;
      EXPECT_EQ(r["searched_on_test_accuracy"], true);
      EXPECT_TRUE(valid["mean"].is_null());
      EXPECT_TRUE(valid["std"].is_null());
      EXPECT_TRUE(valid["hp"].is_null());
      EXPECT_EQ(valid["runs"], 0);
      EXPECT_TRUE(test["hp"].is_null());
      EXPECT_TRUE(test["mean"].is_number());
    } else {
      EXPECT_EQ(r["searched_on_test_accuracy"], false);
      EXPECT_EQ(test["hp"], 200);
      EXPECT_EQ(valid["hp"], nlohmann::ordered_json::array({12}));
      EXPECT_TRUE(valid["mean"].is_number());
    }
  }
  EXPECT_EQ(macro_results, 2u);
  EXPECT_FALSE(j["anytime"][1].contains("seconds"));
  EXPECT_EQ(j["anytime"][1]["queries"][100], 100);
  EXPECT_TRUE(j["anytime"][0].contains("seconds"));

  nas::experiments::write_report(dir_);
  const std::string md = read("report.md");
  EXPECT_NE(md.find("| algorithm | tss cifar10 valid (hp 12) | tss cifar10 test (hp 200) | macro cifar10 valid § | "
                    "macro cifar10 test (final) § |\n"),
            std::string::npos)
      << md;
  for (const std::string algorithm : {"random", "rea"}) {
    const auto& test = s.cell(algorithm, "macro", "cifar10")->at_budget.test;
    const std::string row = line_starting(md, "| " + algorithm + " | ");
    const std::string macro_columns = " | — | " + two_decimals(test.mean) + " ± " + two_decimals(test.std) + " |";
    ASSERT_GE(row.size(), macro_columns.size()) << row;
    EXPECT_EQ(row.substr(row.size() - macro_columns.size()), macro_columns) << row;
    EXPECT_NE(md.find("| " + algorithm + " | macro § | cifar10 | 20 | "), std::string::npos) << md;
    EXPECT_NE(md.find("| " + algorithm + " | tss | cifar10 | 20 | "), std::string::npos) << md;
  }
  EXPECT_NE(md.find("§ Searched on test accuracy: the macro benchmark has no validation split, so the result is not a "
                    "held-out estimate"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("Test: seed mean at the space's final fidelity (hp 200 tss, final macro)."), std::string::npos);
  EXPECT_NE(md.find("in the valid columns of macro, the space has no validation split"), std::string::npos);
  EXPECT_NE(md.find("### macro cifar10 §\n"), std::string::npos);
  EXPECT_NE(md.find("### tss cifar10\n"), std::string::npos);
  EXPECT_NE(md.find("### rea on macro cifar10 §\n"), std::string::npos);
  EXPECT_NE(md.find("### rea on tss cifar10\n"), std::string::npos);
  EXPECT_NE(section(md, "### rea on macro cifar10 §").find("| # | arch | index | runs | test (final) |"), std::string::npos);
  EXPECT_NE(section(md, "### rea on macro cifar10 §").find("| decision | identity | mb3_k3 | mb6_k5 |"), std::string::npos);
  EXPECT_NE(section(md, "### rea on tss cifar10").find("| # | arch | index | runs | test (hp 200) |"), std::string::npos);
  EXPECT_FALSE(names_hp_1(md)) << md;
  EXPECT_EQ(md.find("unavailable"), std::string::npos) << "the macro benchmark scores every code";

  const std::string dat = read("anytime-macro-cifar10.dat");
  EXPECT_NE(dat.find("# nas report: test accuracy (final, seed mean) of the incumbent on macro cifar10 against queries\n"),
            std::string::npos)
      << dat;
  EXPECT_NE(dat.find("# columns: queries mean_test_accuracy std_test_accuracy runs\n"), std::string::npos);
  EXPECT_EQ(dat_block(dat, 0).size(), 100u) << "queries 1 to 100";
  EXPECT_DOUBLE_EQ(dat_block(dat, 1).back()[0], 100);
  const std::string gp = read("anytime-macro-cifar10.gp");
  EXPECT_NE(gp.find("set xlabel 'queries'\n"), std::string::npos) << gp;
  EXPECT_NE(gp.find("set ylabel 'test accuracy (%), final'\n"), std::string::npos) << gp;
  EXPECT_NE(gp.find("set xrange [0:100]\n"), std::string::npos) << gp;
  EXPECT_FALSE(names_hp_1(dat + gp));
  EXPECT_NE(read("anytime-tss-cifar10.gp").find("set xlabel 'simulated seconds'\n"), std::string::npos);
  EXPECT_EQ(nlohmann::ordered_json::parse(read("summary.json")), s.json);
}

TEST_F(MacroReportTest, TheTopologyColumnsAreThoseOfATopologyOnlyGrid) {
  const std::string tss_only = dir_ + "-tss";
  run_grid("tss, macro", dir_);
  run_grid("tss", tss_only);
  nas::experiments::write_report(dir_);
  nas::experiments::write_report(tss_only);
  const ReportSummary both = nas::experiments::build_report(dir_);
  const ReportSummary alone = nas::experiments::build_report(tss_only);

  // Same runs (a run is a function of algorithm, space, dataset and seed), so the same tss numbers.
  nlohmann::ordered_json both_tss = nlohmann::ordered_json::array(), alone_tss = nlohmann::ordered_json::array();
  for (const auto& r : both.json["results"]) {
    if (r["space"] == "tss") both_tss.push_back(r);
  }
  for (const auto& r : alone.json["results"]) alone_tss.push_back(r);
  EXPECT_EQ(both_tss.size(), 2u);
  EXPECT_EQ(both_tss, alone_tss);
  EXPECT_EQ(both.json["anytime"][0], alone.json["anytime"][0]);
  EXPECT_EQ(both.json["test_hp"]["tss"], alone.json["test_hp"]["tss"]);

  const std::string md_both = read("report.md"), md_alone = read_file(tss_only + "/report.md");
  // The table: the tss-only header and rows, with the macro columns after them.
  const std::string header = "| algorithm | tss cifar10 valid (hp 12) | tss cifar10 test (hp 200) |";
  EXPECT_EQ(line_starting(md_alone, "| algorithm | tss"), header);
  EXPECT_EQ(line_starting(md_both, "| algorithm | tss").rfind(header, 0), 0u);
  for (const std::string algorithm : {"random", "rea"}) {
    const std::string alone_row = line_starting(md_alone, "| " + algorithm + " | ");
    ASSERT_FALSE(alone_row.empty()) << md_alone;
    EXPECT_EQ(line_starting(md_both, "| " + algorithm + " | ").rfind(alone_row, 0), 0u) << md_both;
    EXPECT_EQ(section(md_both, "### " + algorithm + " on tss cifar10"), section(md_alone, "### " + algorithm + " on tss cifar10"));
  }
  for (const std::string suffix : {".dat", ".gp"}) {
    EXPECT_EQ(read("anytime-tss-cifar10" + suffix), read_file(tss_only + "/anytime-tss-cifar10" + suffix)) << suffix;
  }
  EXPECT_EQ(md_alone.find("§"), std::string::npos) << "no tss result was searched on test accuracy";
}

TEST_F(ReportTest, AMacroOnlyReportAsksTheSpaceForItsWords) {
  // A weight-sharing-like run on macro (the report reads what the store holds): 8 layers of 3 blocks.
  const auto macro = nas::bench::Benchmark::open_default(nas::bench::Space::Macro);
  char checksum[17];
  std::snprintf(checksum, sizeof checksum, "%016llx", static_cast<unsigned long long>(macro.store().checksum()));
  ResultsStore store = ResultsStore::open(dir_);
  store.set_metadata({{"schema_version", "2"},
                      {"spaces", "macro"},
                      {"benchmark_path.macro", "shipped"},
                      {"benchmark_checksum.macro", checksum}});
  const ArchId arch = nas::bench::macro_index_of(nas::bench::parse_macro_arch("21222200"));
  RunOutcome o;
  o.family = nas::algorithms::SearcherFamily::WeightSharing;
  o.seed = 1;
  o.index = arch;
  o.device = "cpu";
  o.search_wall_seconds = 10;
  store.add_run("darts-like", "macro", "cifar10", o, queries_budget(100));
  for (int epoch = 0; epoch < 2; ++epoch) {
    nas::algorithms::EpochRecord e;
    e.epoch = epoch;
    e.derived_arch = arch;
    e.arch_accuracy = 50;
    e.arch_probabilities.assign(8, std::vector<double>{0.2, 0.3, 0.5});
    store.add_epoch({"darts-like", "macro", "cifar10", 1}, e);
  }
  const ReportSummary s = nas::experiments::build_report(dir_);
  const auto* c = s.cell("darts-like", "macro", "cifar10");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->weight_sharing);
  EXPECT_FALSE(c->searched_on_test_accuracy) << "a supernet search does not read the benchmark";
  EXPECT_NEAR(c->at_budget.test.mean, *macro.query(arch, nas::bench::Dataset::Cifar10).test_accuracy, 1e-9);
  EXPECT_TRUE(s.json["results"][0]["at_budget"]["valid"]["hp"].is_null());
  EXPECT_TRUE(s.json["test_hp"]["macro"].is_null());

  nas::experiments::write_report(dir_);
  const std::string md = read("report.md");
  EXPECT_NE(md.find("| algorithm | macro cifar10 valid | macro cifar10 test (final) |\n"), std::string::npos) << md;
  EXPECT_NE(md.find("| darts-like † | — | "), std::string::npos) << md;
  EXPECT_NE(md.find("Valid: none of these spaces has a validation split."), std::string::npos) << md;
  EXPECT_NE(md.find("| seed | final arch | index | test (final) |"), std::string::npos) << md;
  EXPECT_EQ(md.find("§"), std::string::npos) << "no query-based run, nothing searched on test accuracy";
  const std::string probabilities = read("ws-darts-like-macro-cifar10-seed1-probabilities.dat");
  EXPECT_NE(probabilities.find("# one block per layer (gnuplot index 0, 1, ...); columns: epoch, then one probability "
                               "per block\n"),
            std::string::npos)
      << probabilities;
  EXPECT_NE(probabilities.find("# layer: layer-0; blocks: identity mb3_k3 mb6_k5\n"), std::string::npos) << probabilities;
  EXPECT_NE(read("ws-darts-like-macro-cifar10-seed1-probabilities.gp").find("block probabilities per layer vs epoch"),
            std::string::npos);
  EXPECT_NE(read("ws-darts-like-macro-cifar10-seed1-curves.dat").find("the benchmark's (final, seed mean)"), std::string::npos);
  EXPECT_NE(read("ws-darts-like-macro-cifar10-seed1-curves.gp").find("(benchmark, final)"), std::string::npos);
  EXPECT_FALSE(names_hp_1(md + read("ws-darts-like-macro-cifar10-seed1-curves.dat")));
}

}  // namespace

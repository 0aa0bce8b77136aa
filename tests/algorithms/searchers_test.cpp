// The Searcher machinery and the simple query-based searchers: behaviour only a correct
// implementation shows (NATS-Bench's mutation rule, aging, the policy gradient, budgets, configs).
#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <map>
#include <set>

#include "nas/algorithms/basic_searchers.h"
#include "nas/algorithms/registry.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/topology_space.h"

namespace nas::algorithms {
namespace {

const bench::Benchmark& shipped() {
  static const bench::Benchmark b = bench::Benchmark::open_default(bench::Space::Topology);
  return b;
}

TEST(SearchSpace, TopologyMutationFollowsNatsRule) {
  const auto space = bench::make_search_space(bench::Space::Topology);
  Rng rng(1);
  std::map<int, int> edge_counts;
  const ArchId start = 1462;  // all nor_conv_3x3
  for (int i = 0; i < 60000; ++i) {
    const ArchId child = space->mutate(start, rng);
    ASSERT_EQ(space->edit_distance(start, child), 1) << "exactly one edge changes, to a different op";
    const auto a = space->decisions(start), b = space->decisions(child);
    for (int e = 0; e < 6; ++e) {
      if (a[e] != b[e]) ++edge_counts[e];
    }
  }
  // Node uniform in {1,2,3}, then an incoming edge uniformly: edge 1<-0 gets 1/3, the 3<-x edges 1/9.
  EXPECT_NEAR(edge_counts[0] / 60000.0, 1.0 / 3, 0.01);
  EXPECT_NEAR(edge_counts[1] / 60000.0, 1.0 / 6, 0.01);
  EXPECT_NEAR(edge_counts[3] / 60000.0, 1.0 / 9, 0.01);
}

TEST(SearchSpace, SizeMutationMayKeepTheWidthAndNeighboursAreOneStepAway) {
  const auto space = bench::make_search_space(bench::Space::Size);
  Rng rng(2);
  int unchanged = 0;
  for (int i = 0; i < 8000; ++i) unchanged += space->mutate(1234, rng) == 1234 ? 1 : 0;
  EXPECT_NEAR(unchanged / 8000.0, 1.0 / 8, 0.02) << "sss mutation draws any candidate, the old one included";
  const auto neighbours = space->neighbours(1234);
  EXPECT_EQ(neighbours.size(), 5u * 7u);
  for (ArchId n : neighbours) EXPECT_EQ(space->edit_distance(1234, n), 1);
  const auto tss = bench::make_search_space(bench::Space::Topology);
  EXPECT_EQ(tss->neighbours(0).size(), 6u * 4u);
  EXPECT_EQ(tss->decision_name(5), "3<-2");
  EXPECT_EQ(space->choice_name(0, 7), "64");
}

TEST(SearchSpace, SampleIsUniformOverDecisions) {
  const auto space = bench::make_search_space(bench::Space::Topology);
  Rng rng(3);
  std::vector<int> op_counts(5, 0);
  for (int i = 0; i < 50000; ++i) op_counts[space->decisions(space->sample(rng))[2]]++;
  for (int c : op_counts) EXPECT_NEAR(c / 50000.0, 0.2, 0.01);
}

// A searcher that proposes a fixed list, to check the loop's bookkeeping.
class Scripted final : public QuerySearcher {
 public:
  explicit Scripted(std::vector<ArchId> archs) : archs_(std::move(archs)) {}
  std::vector<double> told;

 protected:
  void start(const QueryTask&, Rng&, std::vector<std::string>&) override { next_ = 0; }
  Proposal ask(Rng&) override { return {archs_[next_++ % archs_.size()], -1}; }
  void tell(const Proposal&, const Evaluation& e) override { told.push_back(e.valid_accuracy); }

 private:
  std::vector<ArchId> archs_;
  std::size_t next_ = 0;
};

TEST(QuerySearcher, IncumbentTrajectoryAndBudgets) {
  const auto space = bench::make_search_space(bench::Space::Topology);
  QueryTask task{space.get(), &shipped(), bench::Dataset::Cifar10, {0, 4}};
  Scripted searcher({1651, 13714, 0, 6111});  // chance-level cell, best valid cell, two others
  Rng rng(4);
  SearchCallbacks callbacks;
  const SearchResult result = searcher.search(task, rng, callbacks);
  EXPECT_EQ(result.queries, 4);
  ASSERT_EQ(result.trajectory.size(), 4u);
  EXPECT_EQ(result.trajectory[0].incumbent, 1651u);
  EXPECT_EQ(result.trajectory[1].incumbent, 13714u);
  EXPECT_EQ(result.trajectory[3].incumbent, 13714u) << "13714 has the best 12-epoch validation accuracy";
  EXPECT_EQ(result.arch, 13714u);
  EXPECT_EQ(result.valid_accuracy, *shipped().query(13714, bench::Dataset::Cifar10Valid, 12).valid_accuracy);
  for (std::size_t i = 1; i < result.trajectory.size(); ++i) {
    EXPECT_GT(result.trajectory[i].simulated_seconds, result.trajectory[i - 1].simulated_seconds);
  }
  // A seconds budget stops at the first evaluation that reaches it.
  task.budget = {3000, 0};
  const SearchResult timed = searcher.search(task, rng, callbacks);
  EXPECT_GE(timed.simulated_seconds, 3000);
  EXPECT_LT(timed.trajectory[timed.trajectory.size() - 2].simulated_seconds, 3000);
  task.budget = {0, 0};
  EXPECT_THROW(searcher.search(task, rng, callbacks), nas::Error);
}

TEST(Rea, InitialPopulationIsRandomThenChildrenAreMutationsOfTournamentWinners) {
  const auto space = bench::make_search_space(bench::Space::Topology);
  class Recorder final : public SearchCallbacks {
   public:
    std::vector<ArchId> archs;
    void on_evaluation(const Evaluation& e, const TrajectoryPoint&) override { archs.push_back(e.arch); }
  } recorder;
  RegularizedEvolution rea({10, 3});
  QueryTask task{space.get(), &shipped(), bench::Dataset::Cifar100, {0, 200}};
  Rng rng(5);
  rea.search(task, rng, recorder);
  ASSERT_EQ(recorder.archs.size(), 200u);
  // Every child (after the 10 random ones) is one mutation away from a member of the population
  // at that time: the 10 most recent evaluations.
  for (std::size_t i = 10; i < recorder.archs.size(); ++i) {
    bool from_population = false;
    for (std::size_t j = i - 10; j < i; ++j) from_population |= space->edit_distance(recorder.archs[i], recorder.archs[j]) == 1;
    EXPECT_TRUE(from_population) << "evaluation " << i;
  }
}

TEST(Reinforce, PolicyConcentratesOnRewardedChoices) {
  const auto space = bench::make_search_space(bench::Space::Topology);
  Reinforce reinforce({0.01, 0.9});
  QueryTask task{space.get(), &shipped(), bench::Dataset::Cifar10, {0, 2000}};
  Rng rng(6);
  SearchCallbacks callbacks;
  reinforce.search(task, rng, callbacks);
  // Cells with `none` on the 3<-0... edges score poorly and nor_conv_3x3 well on this space: after
  // 2,000 updates the policy prefers nor_conv_3x3 over none on edge 1<-0 (the first cell edge).
  const auto p = reinforce.probabilities(0);
  EXPECT_GT(p[bench::kOpConv3x3], 0.2);
  EXPECT_LT(p[bench::kOpNone], 0.2);
  EXPECT_GT(p[bench::kOpConv3x3], p[bench::kOpNone] * 2);
}

TEST(Registry, DuplicateAndUnknownNamesAndConfigErrors) {
  SearcherRegistry registry;
  register_builtin_searchers(registry);
  EXPECT_THROW(registry.add(make_searcher_entry<RandomSearch>("rea", "again")), nas::Error);
  EXPECT_THROW(registry.get("darts"), nas::Error);
  YAML::Node config;
  config["population"] = 20;
  const YAML::Node resolved = registry.get("rea").resolve(config);
  EXPECT_EQ(resolved["population"].as<int>(), 20);
  EXPECT_EQ(resolved["sample_size"].as<int>(), 3);
  config["colour"] = "blue";
  EXPECT_THROW(registry.create("rea", config), nas::Error);
  YAML::Node typed;
  typed["learning_rate"] = "fast";
  EXPECT_THROW(registry.create("reinforce", typed), nas::Error);
  const YAML::Node overridden = apply_overrides(YAML::Node(), {"population=5", "sample_size=2"});
  EXPECT_EQ(registry.get("rea").resolve(overridden)["population"].as<int>(), 5);
}

}  // namespace
}  // namespace nas::algorithms

namespace nas::algorithms {
namespace {

TEST(Budget, LimitsAreCheckedUpFront) {
  auto error_of = [](Budget b) {
    try {
      check_budget(b, "budget");
    } catch (const nas::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of({std::numeric_limits<double>::infinity(), 0}).find("finite"), std::string::npos);
  EXPECT_NE(error_of({std::numeric_limits<double>::quiet_NaN(), 0}).find("finite"), std::string::npos);
  EXPECT_NE(error_of({-1, 0}).find("finite positive"), std::string::npos);
  EXPECT_NE(error_of({kMaxBudgetSeconds * 2, 0}).find("above the limit"), std::string::npos);
  EXPECT_NE(error_of({0, kMaxBudgetQueries + 1}).find("outside [1, 1,000,000]"), std::string::npos);
  EXPECT_NE(error_of({0, 0}).find("positive budget"), std::string::npos);
  EXPECT_EQ(error_of({kMaxBudgetSeconds, 0}), "");
  EXPECT_EQ(error_of({0, kMaxBudgetQueries}), "");
}

TEST(Budget, ASecondsBudgetThatNeedsTooManyEvaluationsStopsInsteadOfGrowingForever) {
  // A benchmark whose evaluations cost 13 ms of simulated time: a 10^7-second budget would need
  // about 7.7 * 10^8 of them, each one a trajectory point. The run stops at kMaxEvaluations.
  const std::string path = ::testing::TempDir() + "/nas_cheap_evaluations.nasbench";
  {
    bench::StoreWriter writer(bench::Space::Topology, "every evaluation costs 13 ms");
    const bench::ColumnKey accuracy{bench::Dataset::Cifar10Valid, bench::EvalSet::XValid, bench::Quantity::Accuracy, 12,
                                    bench::kMeanSeed};
    const bench::ColumnKey train{bench::Dataset::Cifar10Valid, bench::EvalSet::Train, bench::Quantity::Time, 12, bench::kMeanSeed};
    const bench::ColumnKey eval{bench::Dataset::Cifar10Valid, bench::EvalSet::XValid, bench::Quantity::Time, 12, bench::kMeanSeed};
    writer.add_column(accuracy, 1);
    writer.add_column(train, 1, bench::kColumnConstantPerEpoch);
    writer.add_column(eval, 1, bench::kColumnConstantPerEpoch);
    for (std::uint32_t arch = 0; arch < bench::kTssNumArchs; ++arch) {
      writer.set(accuracy, arch, 0, 50.0 + arch * 1e-4);
      writer.set(train, arch, 0, 0.001);
      writer.set(eval, arch, 0, 0.001);
    }
    writer.write(path);
  }
  const bench::Benchmark cheap = bench::Benchmark::open(path);
  const auto space = bench::make_search_space(bench::Space::Topology);
  SearcherRegistry registry;
  register_builtin_searchers(registry);
  QueryTask task;
  task.space = space.get();
  task.benchmark = &cheap;
  task.dataset = bench::Dataset::Cifar10Valid;
  task.budget.seconds = kMaxBudgetSeconds;
  Rng rng(0);
  SearchCallbacks callbacks;
  try {
    (void)registry.create_query("random", YAML::Node())->search(task, rng, callbacks);
    ADD_FAILURE() << "the search ran past kMaxEvaluations";
  } catch (const nas::Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not spent after 1,000,000 evaluations"), std::string::npos) << e.what();
  }
  // A budget it can spend runs as usual.
  task.budget.seconds = 1000;
  EXPECT_EQ(registry.create_query("random", YAML::Node())->search(task, rng, callbacks).queries, 76924);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace nas::algorithms

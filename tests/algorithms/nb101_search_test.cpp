// The query-based searchers on nb101, through the same code as on every space, on a synthetic full
// store (every one of the 423,624 cells has a 108-epoch run; tests/support/synthetic_nb101.h) that
// the `synthetic_nb101` fixture wrote in the official file format and imported with the real
// importer (`nas bench import nb101`): every proposal of random search, REA, REINFORCE and BOHB is
// a cell of the space although about a quarter of the combinations of nb101's 26 choices are none,
// the budget is charged the training time alone, and REA beats random search. The shipped nb101
// store is partial, so no search runs on it (tests/experiments: the searches stop at once).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "nas/algorithms/registry.h"
#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/nb101/nb101_enumeration.h"
#include "nas/benchmark_api/nb101/nb101_space.h"
#include "synthetic_nb101.h"

namespace nas::algorithms {
namespace {

/// The synthetic validation accuracy (percent) a search sees for a cell: the fixture's file holds
/// one repeat, and the store keeps nasbench's fraction x 100.
double synthetic_accuracy(std::uint32_t index) {
  return 100.0 * test::synthetic_nb101_run(index, bench::kNb101FinalHp, 1).evaluations[2].validation_accuracy;
}

constexpr double kTrainingSeconds = 1080.0;  // of each synthetic 108-epoch run (synthetic_nb101.h)

const bench::Benchmark& synthetic_full_store() {
  static const bench::Benchmark benchmark = [] {
    if (!std::filesystem::exists(NAS_SYNTHETIC_NB101_STORE)) {
      throw std::runtime_error(std::string(NAS_SYNTHETIC_NB101_STORE) +
                               " is missing: run the tests with ctest (fixture synthetic_nb101), or make_synthetic_nb101");
    }
    return bench::Benchmark::open(NAS_SYNTHETIC_NB101_STORE, bench::Space::Nb101);
  }();
  return benchmark;
}

struct Recorder : SearchCallbacks {
  std::vector<ArchId> archs;
  std::vector<double> costs;
  void on_evaluation(const Evaluation& evaluation, const TrajectoryPoint&) override {
    archs.push_back(evaluation.arch);
    costs.push_back(evaluation.time_cost_s);
  }
};

SearchResult run(const std::string& algo, std::uint64_t seed, Recorder& recorder, const YAML::Node& config = YAML::Node()) {
  static const auto space = bench::make_search_space(bench::Space::Nb101);
  SearcherRegistry registry;
  register_builtin_searchers(registry);
  QueryTask task{space.get(), &synthetic_full_store(), bench::Dataset::Cifar10, {0, 0}};
  task.budget.seconds = 200 * kTrainingSeconds;  // 200 evaluations
  Rng rng(seed);
  return registry.create_query(algo, config)->search(task, rng, recorder);
}

TEST(Nb101Search, EverySearcherProposesCellsAndIsChargedTheirTrainingTime) {
  ASSERT_EQ(synthetic_full_store().searchable_archs(bench::Dataset::Cifar10, bench::kNb101FinalHp), bench::kNb101NumCells);
  YAML::Node bohb;  // budgets are separate runs in nb101, not epochs of one: BOHB reads 108 only here
  bohb["min_budget"] = 108;
  bohb["max_budget"] = 108;
  for (const std::string algo : {"random", "rea", "reinforce", "bohb"}) {
    Recorder recorder;
    const SearchResult result = run(algo, 3, recorder, algo == "bohb" ? bohb : YAML::Node());
    EXPECT_EQ(result.queries, 200) << algo;
    EXPECT_EQ(result.simulated_seconds, 200 * kTrainingSeconds) << algo << ": training time only, no evaluation pass";
    for (std::size_t i = 0; i < recorder.archs.size(); ++i) {
      ASSERT_LT(recorder.archs[i], bench::kNb101NumCells) << algo;
      ASSERT_EQ(recorder.costs[i], kTrainingSeconds) << algo;
    }
    EXPECT_EQ(result.valid_accuracy, synthetic_accuracy(result.arch)) << algo;
  }
}

TEST(Nb101Search, ReaBeatsRandomSearch) {
  double rea = 0, random = 0;
  constexpr int kRuns = 30;
  for (int seed = 0; seed < kRuns; ++seed) {
    Recorder a, b;
    rea += run("rea", static_cast<std::uint64_t>(seed), a).valid_accuracy / kRuns;
    random += run("random", static_cast<std::uint64_t>(seed), b).valid_accuracy / kRuns;
  }
  EXPECT_GT(rea, random);
  std::printf("mean best synthetic accuracy over %d runs of 200 evaluations: REA %.3f, random %.3f\n", kRuns, rea, random);
}

}  // namespace
}  // namespace nas::algorithms

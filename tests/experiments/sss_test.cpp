// The query-based searchers on the size space, and experiment grids over both spaces, end to end on
// the synthetic size-space benchmark in the official format that the `synthetic_sss` CTest fixture
// imports (tests/support/synthetic_nats_sss.h; its accuracies are synthetic, its format and costs
// are the official ones): the sss budgets on every dataset, determinism, the behaviour that sets
// REA and REINFORCE apart from random search, one report with the sss columns beside the tss ones,
// exact resumption, the coverage check on a store that lacks search data, and bad grids.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cli_support.h"
#include "nas/algorithms/basic_searchers.h"
#include "nas/algorithms/bohb.h"
#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/search_space.h"
#include "nas/benchmark_api/size_space.h"
#include "report.h"
#include "results_support.h"
#include "synthetic_nats_sss.h"

namespace {

namespace fs = std::filesystem;
using nas::bench::Dataset;
using nas::bench::EvalSet;
using nas::test::count_runs;
using nas::test::dump_results;
using nas::test::expect_clean_error;
using nas::test::json_of;
using nas::test::nas;
using nas::test::query_text;
using nas::test::TempDir;
using nas::test::write_text;

const std::string kStore = NAS_SYNTHETIC_SSS_STORE;
const char* kCoverageError =
    "has hp-12 validation data on cifar10-valid for 3 of 32,768 archs; query-based searchers need all of them: "
    "import the official NATS-sss-v1_0-50262-simple directory with `nas bench import nats`";

class SyntheticStore : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kStore)) << kStore << " is missing: run these tests with ctest (fixture synthetic_sss), "
                                     << "or build it with make_synthetic_sss";
  }
};

Dataset key_of(Dataset dataset) { return dataset == Dataset::Cifar10 ? Dataset::Cifar10Valid : dataset; }
EvalSet test_set(Dataset dataset) { return dataset == Dataset::Cifar10 ? EvalSet::OriTest : EvalSet::XTest; }

// ---- nas search --space sss --------------------------------------------------------------------------

using SssSearch = SyntheticStore;

TEST_F(SssSearch, EverySearcherRunsOnEveryDatasetWithTheSssBudgets) {
  const std::map<std::string, std::pair<Dataset, double>> budgets{{"cifar10", {Dataset::Cifar10, 20000}},
                                                                  {"cifar100", {Dataset::Cifar100, 40000}},
                                                                  {"ImageNet16-120", {Dataset::ImageNet16_120, 60000}}};
  for (const std::string algo : {"random", "rea", "reinforce", "bohb"}) {
    for (const auto& [name, spec] : budgets) {
      const auto [dataset, budget] = spec;
      const auto row = json_of(nas("search --algo " + algo + " --space sss --dataset " + name + " --seed 5 --bench " + kStore + " --json"));
      const std::string where = algo + " " + name;
      EXPECT_EQ(row["space"], "sss") << where;
      // The budget is spent; the last query may overshoot it by at most the dearest evaluation (the
      // widest network: 12 training epochs and one validation pass).
      const double dearest = 12 * nas::test::synthetic_sss_train_seconds(32767, key_of(dataset)) +
                             nas::test::synthetic_sss_eval_seconds(32767, key_of(dataset), EvalSet::XValid);
      EXPECT_GE(row["simulated_seconds"].get<double>(), budget) << where;
      EXPECT_LT(row["simulated_seconds"].get<double>(), budget + dearest) << where;
      EXPECT_GT(row["queries"].get<int>(), 50) << where;
      // Reported as NATS-Bench does for sss: hp 90, seed 777 (the only hp-90 trial), validation at hp 90.
      const auto index = row["index"].get<std::uint32_t>();
      EXPECT_EQ(row["arch"], nas::bench::format_sss_arch(nas::bench::sss_arch_at(index))) << where;
      EXPECT_EQ(row["test_hp"], 90) << where;
      EXPECT_EQ(row["valid_hp"], 90) << where;
      EXPECT_EQ(row["test_accuracy"].get<double>(), nas::test::synthetic_sss_accuracy(index, dataset, test_set(dataset), 90, 89, 777))
          << where;
      EXPECT_EQ(row["valid_accuracy"].get<double>(),
                nas::test::synthetic_sss_accuracy(index, key_of(dataset), EvalSet::XValid, 90, 89, 777))
          << where;
      EXPECT_TRUE(row["notes"].empty()) << where << ": " << row["notes"];  // BOHB has every fidelity here
    }
  }
}

// Determinism and REA / REINFORCE against random search on sss: tests/experiments/space_suite_test.cpp.

TEST(SssCoverage, TheShippedFixtureStoreCannotServeAQueryBasedSearch) {
  // The shipped sss store holds the 3 official records only: every query-based searcher, a plugin's
  // too, refuses it before the first evaluation.
  expect_clean_error("search --algo rea --space sss --dataset cifar10", kCoverageError);
  expect_clean_error("search --algo bohb --space sss --dataset cifar10 --runs 20 --threads 2", kCoverageError);
  expect_clean_error(std::string("search --algo local-search --space sss --dataset cifar10 --plugin ") + NAS_LOCAL_SEARCH_PLUGIN,
                     kCoverageError);
  expect_clean_error("search --algo random --space sss --dataset ImageNet16-120",
                     "has hp-12 validation data on ImageNet16-120 for 3 of 32,768 archs");
}

TEST(SssCoverage, ASearcherIsOnlyRunOnTheSpacesItSearches) {
  const std::string plugin = std::string(" --plugin ") + NAS_TSS_ONLY_PLUGIN;
  expect_clean_error("search --algo tss-only-random --space sss --dataset cifar10" + plugin,
                     "algorithm tss-only-random does not search sss (it searches tss)");
  EXPECT_EQ(json_of(nas("search --algo tss-only-random --space tss --dataset cifar10 --budget-queries 5 --json" + plugin))["queries"], 5);
}

// ---- the searchers' sss specifics (reference §5.2) --------------------------------------------------

struct Recorder : nas::algorithms::SearchCallbacks {
  std::vector<nas::algorithms::Evaluation> evaluations;
  void on_evaluation(const nas::algorithms::Evaluation& e, const nas::algorithms::TrajectoryPoint&) override {
    evaluations.push_back(e);
  }
};

nas::algorithms::QueryTask task_on(const nas::bench::SearchSpace& space, const nas::bench::Benchmark& benchmark,
                                    Dataset dataset, std::int64_t queries) {
  nas::algorithms::QueryTask task;
  task.space = &space;
  task.benchmark = &benchmark;
  task.dataset = dataset;
  task.budget.queries = queries;
  return task;
}

using SssSearchers = SyntheticStore;

TEST_F(SssSearchers, ReaChildrenChangeOneLayerToAnyWidthTheOldOneIncluded) {
  const auto benchmark = nas::bench::Benchmark::open(kStore);
  const auto space = nas::bench::make_search_space(nas::bench::Space::Size);
  nas::algorithms::RegularizedEvolution rea({10, 3});
  Recorder recorder;
  nas::Rng rng(8);
  rea.search(task_on(*space, benchmark, Dataset::Cifar10, 2000), rng, recorder);
  ASSERT_EQ(recorder.evaluations.size(), 2000u);
  int unchanged = 0;
  for (std::size_t i = 10; i < recorder.evaluations.size(); ++i) {
    // The child is one mutation of a member of the population, the 10 latest evaluations.
    int nearest = 99;
    for (std::size_t j = i - 10; j < i; ++j) {
      nearest = std::min(nearest, space->edit_distance(recorder.evaluations[i].arch, recorder.evaluations[j].arch));
    }
    EXPECT_LE(nearest, 1) << "evaluation " << i;
    unchanged += nearest == 0;
  }
  // A mutation redraws the width among all 8, so about 1 child in 8 equals its parent (a tss
  // mutation always changes the op).
  EXPECT_GT(unchanged, 1990 / 16);
}

TEST_F(SssSearchers, ReinforceLearnsAPolicyOfFiveLayersByEightWidths) {
  const auto benchmark = nas::bench::Benchmark::open(kStore);
  const auto space = nas::bench::make_search_space(nas::bench::Space::Size);
  nas::algorithms::Reinforce reinforce({0.01, 0.9});
  nas::Rng rng(6);
  nas::algorithms::SearchCallbacks callbacks;
  reinforce.search(task_on(*space, benchmark, Dataset::Cifar100, 3000), rng, callbacks);
  for (int layer = 0; layer < 5; ++layer) ASSERT_EQ(reinforce.probabilities(layer).size(), 8u) << layer;
  EXPECT_THROW((void)reinforce.probabilities(5), std::out_of_range);
  // In this benchmark wider last cells score higher: the policy of layer-4 moves to 64 channels.
  const auto p = reinforce.probabilities(4);
  EXPECT_GT(p[7], 2 * p[0]) << "p(64) " << p[7] << " vs p(8) " << p[0];
  EXPECT_GT(p[7], 1.0 / 8);
}

TEST_F(SssSearchers, BohbReadsAllThreeFidelitiesOfTheLayerConfigSpace) {
  const auto benchmark = nas::bench::Benchmark::open(kStore);
  const auto space = nas::bench::make_search_space(nas::bench::Space::Size);
  for (int d = 0; d < 5; ++d) EXPECT_EQ(space->decision_name(d), "layer-" + std::to_string(d));
  EXPECT_EQ(space->choice_name(0, 7), "64");
  nas::algorithms::Bohb bohb(nas::algorithms::BohbConfig{});
  Recorder recorder;
  nas::Rng rng(2);
  const auto result = bohb.search(task_on(*space, benchmark, Dataset::ImageNet16_120, 300), rng, recorder);
  EXPECT_TRUE(result.notes.empty());
  std::map<int, int> epochs;
  for (const auto& e : recorder.evaluations) ++epochs[e.epoch];
  EXPECT_EQ(epochs.size(), 3u);
  EXPECT_GT(epochs[0], 0);   // budget 1.33
  EXPECT_GT(epochs[3], 0);   // budget 4
  EXPECT_GT(epochs[11], 0);  // budget 12
  // Evaluations read the synthetic curve of one of the three seeds at that epoch.
  const auto& e = recorder.evaluations.front();
  std::set<double> trials;
  for (int seed : {777, 888, 999}) {
    trials.insert(nas::test::synthetic_sss_accuracy(e.arch, Dataset::ImageNet16_120, EvalSet::XValid, 12, e.epoch, seed));
  }
  EXPECT_EQ(trials.count(e.valid_accuracy), 1u);
}

// ---- nas run over both spaces ------------------------------------------------------------------------

std::string two_space_grid(int runs) {
  return "name: two-spaces\nspaces: [tss, sss]\nbenchmarks: {tss: shipped, sss: " + kStore +
         "}\ndatasets: [cifar10, cifar100]\nruns: " + std::to_string(runs) +
         "\nfirst_seed: 3\nbudget: nats\nalgorithms:\n"
         "  - name: random\n"
         "  - name: rea\n"
         "  - {name: reinforce, spaces: [sss]}\n"
         "  - {name: bohb, spaces: [tss], seeds: [999, 777, 888]}\n";
}

using TwoSpaceGrid = SyntheticStore;

TEST_F(TwoSpaceGrid, OneRunCoversBothSpacesAndOneTableShowsThemSideBySide) {
  TempDir tmp("two_space_grid");
  const std::string config = tmp.file("grid.yaml");
  write_text(config, two_space_grid(4));
  const std::string out = tmp.file("out");
  const auto summary = json_of(nas("run " + config + " --out " + out + " --threads 2"));
  // random and rea: 2 spaces x 2 datasets x 4 seeds; reinforce: sss only; bohb: tss, its own 3 seeds.
  EXPECT_EQ(summary["total_runs"], 16 + 16 + 8 + 6);
  EXPECT_EQ(summary["executed"], 46);
  EXPECT_EQ(query_text(out, "SELECT algorithm, space, count(*) FROM runs GROUP BY algorithm, space ORDER BY algorithm, space"),
            "bohb|tss|6|\nrandom|sss|8|\nrandom|tss|8|\nrea|sss|8|\nrea|tss|8|\nreinforce|sss|8|\n");
  EXPECT_EQ(query_text(out, "SELECT DISTINCT seed FROM runs WHERE algorithm = 'bohb' ORDER BY seed"), "777|\n888|\n999|\n");
  EXPECT_EQ(query_text(out, "SELECT DISTINCT seed FROM runs WHERE algorithm = 'rea' ORDER BY seed"), "3|\n4|\n5|\n6|\n");
  // Budgets per (space, dataset): NATS-Bench's.
  EXPECT_EQ(query_text(out, "SELECT DISTINCT space, dataset, budget_seconds, test_hp FROM runs ORDER BY space, dataset"),
            "sss|cifar10|20000.0|90|\nsss|cifar100|40000.0|90|\ntss|cifar10|20000.0|200|\ntss|cifar100|40000.0|200|\n");

  // The resolved config says everything, per algorithm.
  const YAML::Node resolved = YAML::LoadFile(out + "/config.resolved.yaml");
  EXPECT_EQ(resolved["spaces"].size(), 2u);
  EXPECT_EQ(resolved["benchmarks"]["sss"].as<std::string>(), kStore);
  EXPECT_EQ(resolved["benchmarks"]["tss"].as<std::string>(), "shipped");
  EXPECT_EQ(resolved["algorithms"][2]["spaces"].size(), 1u);
  EXPECT_EQ(resolved["algorithms"][2]["spaces"][0].as<std::string>(), "sss");
  EXPECT_EQ(resolved["algorithms"][3]["seeds"][0].as<int>(), 777);
  EXPECT_EQ(resolved["algorithms"][0]["runs"].as<int>(), 4);
  EXPECT_EQ(resolved["algorithms"][0]["first_seed"].as<int>(), 3);

  const auto report = json_of(nas("report " + out + " --json"));
  EXPECT_EQ(report["spaces"], nlohmann::json::array({"tss", "sss"}));
  EXPECT_EQ(report["test_hp"]["sss"], 90);
  EXPECT_EQ(report["test_hp"]["tss"], 200);
  std::ifstream md_file(out + "/report.md");
  const std::string md((std::istreambuf_iterator<char>(md_file)), std::istreambuf_iterator<char>());
  EXPECT_NE(md.find("| algorithm | tss cifar10 valid (hp 12) | tss cifar10 test (hp 200) | tss cifar100 valid (hp 12) | "
                    "tss cifar100 test (hp 200) | sss cifar10 valid (hp 90) | sss cifar10 test (hp 90) | "
                    "sss cifar100 valid (hp 90) | sss cifar100 test (hp 90) |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| reinforce | — | — | — | — | "), std::string::npos) << "reinforce searched sss only";
  EXPECT_NE(md.find(" | — | — | — | — |\n"), std::string::npos) << "bohb searched tss only";
  EXPECT_EQ(md.find("unavailable"), std::string::npos) << "every config has a record in this store";
  for (const std::string plot : {"anytime-tss-cifar10", "anytime-tss-cifar100", "anytime-sss-cifar10", "anytime-sss-cifar100"}) {
    EXPECT_TRUE(fs::exists(out + "/" + plot + ".dat")) << plot;
  }

  // The sss cells are scored on the sss benchmark: the most frequent final arch's test accuracy is
  // the synthetic hp-90 value; the tss cells on the shipped tss store.
  const nas::experiments::ReportSummary s = nas::experiments::build_report(out);
  const auto* rea_sss = s.cell("rea", "sss", "cifar100");
  ASSERT_NE(rea_sss, nullptr);
  EXPECT_EQ(rea_sss->runs, 4u);
  const auto& top = rea_sss->cross_seed.top_archs.front();
  EXPECT_EQ(*top.test_accuracy, nas::test::synthetic_sss_accuracy(top.index, Dataset::Cifar100, EvalSet::XTest, 90, 89, 777));
  EXPECT_EQ(rea_sss->cross_seed.decisions.front().decision, "layer-0");
  const auto* rea_tss = s.cell("rea", "tss", "cifar100");
  ASSERT_NE(rea_tss, nullptr);
  const auto shipped = nas::bench::Benchmark::open_default(nas::bench::Space::Topology);
  EXPECT_EQ(*rea_tss->cross_seed.top_archs.front().test_accuracy,
            *shipped.query(rea_tss->cross_seed.top_archs.front().index, Dataset::Cifar100).test_accuracy);
  EXPECT_EQ(s.cell("reinforce", "tss", "cifar10"), nullptr);
  EXPECT_EQ(s.cell("bohb", "sss", "cifar10"), nullptr);
}

TEST_F(TwoSpaceGrid, KilledWithSigkillAndResumedGivesTheUninterruptedResults) {
  TempDir tmp("two_space_resume");
  const std::string config = tmp.file("grid.yaml");
  write_text(config, "name: resume\nspaces: [sss, tss]\nbenchmarks: {sss: " + kStore +
                         "}\ndatasets: [cifar10, cifar100]\nruns: 150\nalgorithms:\n  - name: random\n  - name: rea\n");
  const auto reference = json_of(nas("run " + config + " --out " + tmp.file("reference") + " --threads 2"));
  ASSERT_EQ(reference["executed"], 1200);

  const std::string out = tmp.file("interrupted");
  ASSERT_TRUE(nas::test::run_killed_after_first_stored_run(config, out)) << "the run finished before it could be killed";
  const long after_kill = count_runs(out);
  EXPECT_GT(after_kill, 0);
  EXPECT_LT(after_kill, 1200);

  const auto resumed = json_of(nas("run " + config + " --out " + out + " --threads 2"));
  EXPECT_EQ(resumed["already_done"].get<long>(), after_kill);
  EXPECT_EQ(resumed["executed"].get<long>(), 1200 - after_kill);
  EXPECT_EQ(dump_results(out), dump_results(tmp.file("reference"))) << "no run lost, none duplicated, identical values";
  EXPECT_EQ(json_of(nas("run " + config + " --out " + out))["executed"], 0);
}

TEST(GridCoverage, IsCheckedBeforeAnyRunAndTheResultsFolderIsLeftAlone) {
  TempDir tmp("grid_coverage");
  const std::string config = tmp.file("grid.yaml");
  // rea on sss with the default (shipped, 3-record) benchmark; random-only tss would be fine.
  write_text(config, "name: c\nspaces: [tss, sss]\ndatasets: [cifar10]\nruns: 2\nalgorithms:\n  - name: random\n  - name: rea\n");
  expect_clean_error("run " + config + " --out " + tmp.file("out"), kCoverageError);
  EXPECT_FALSE(fs::exists(tmp.file("out"))) << "nothing written";
  // Restricted to tss, the same algorithms run.
  write_text(config, "name: c\nspaces: [tss, sss]\ndatasets: [cifar10]\nruns: 2\nalgorithms:\n  - {name: random, spaces: [tss]}\n"
                     "  - {name: rea, spaces: [tss]}\n");
  EXPECT_EQ(json_of(nas("run " + config + " --out " + tmp.file("out")))["executed"], 4);
}

TEST(GridErrors, BadGridsGiveOneErrorLine) {
  TempDir tmp("grid_errors");
  const std::string plugin = NAS_TSS_ONLY_PLUGIN;
  auto check = [&](const std::string& text, const std::string& fragment) {
    const std::string path = tmp.file("bad.yaml");
    write_text(path, text);
    expect_clean_error("run " + path + " --out " + tmp.file("out"), fragment);
    EXPECT_FALSE(fs::exists(tmp.file("out"))) << text;
  };
  const std::string head = "name: x\ndatasets: [cifar10]\nruns: 2\n";
  const std::string rea = "algorithms: [{name: rea}]\n";
  // The single-space keys of older files name their replacement.
  check(head + "space: tss\n" + rea, "unknown key 'space' (known: ");
  check(head + "space: tss\n" + rea, "; a grid now lists its spaces: spaces: [tss]");
  check(head + "spaces: [tss]\nbenchmark: shipped\n" + rea, "benchmarks are now given per space");
  check(head + rea, "missing key 'spaces'");
  check(head + "spaces: tss\n" + rea, "spaces must be a non-empty list of spaces");
  check(head + "spaces: []\n" + rea, "spaces must be a non-empty list of spaces");
  check(head + "spaces: [tss, nasbench301]\n" + rea, "spaces[1]: unknown search space 'nasbench301'");
  check(head + "spaces: [sss, size]\n" + rea, "spaces lists sss twice");
  // Benchmarks.
  check(head + "spaces: [sss]\nbenchmarks: {sss: /nonexistent/sss.nasbench}\n" + rea,
        "benchmarks.sss: no benchmark store at /nonexistent/sss.nasbench (create one from the official files with "
        "`nas bench import nats --src DIR --out FILE`)");
  check(head + "spaces: [sss]\nbenchmarks: {sss: " + tmp.file("bad.yaml") + "}\n" + rea, "benchmarks.sss: ");
  check(head + "spaces: [tss]\nbenchmarks: {sss: shipped}\n" + rea, "benchmarks.sss: sss is not one of the grid's spaces (tss)");
  check(head + "spaces: [tss]\nbenchmarks: {tss: " + kStore + "}\n" + rea, "is a sss benchmark, not a tss one");
  check(head + "spaces: [tss]\nbenchmarks: {qss: shipped}\n" + rea, "benchmarks.qss: unknown search space 'qss'");
  check(head + "spaces: [tss]\nbenchmarks: [shipped]\n" + rea, "benchmarks must be a map from space to 'shipped' or a store path");
  // Algorithms and their spaces.
  check(head + "spaces: [tss]\nalgorithms: [{name: rea, spaces: [sss]}]\n",
        "algorithms[0] (rea): space sss is not one of the grid's spaces (tss)");
  check(head + "spaces: [sss]\nplugins: [" + plugin + "]\nalgorithms: [{name: tss-only-random}]\n",
        "algorithms[0] (tss-only-random) searches tss, none of the grid's spaces (sss)");
  check(head + "spaces: [tss, sss]\nplugins: [" + plugin + "]\nalgorithms: [{name: tss-only-random, spaces: [sss]}]\n",
        "algorithms[0] (tss-only-random) does not search sss (it searches tss)");
  check(head + "spaces: [tss]\nalgorithms: [{name: nope}]\n", "algorithms[0]: unknown algorithm 'nope'");
  check(head + "spaces: [tss]\nalgorithms: [{name: rea, space: tss}]\n", "algorithms[0]: unknown key 'space'");
  // Seeds.
  check("name: x\nspaces: [tss]\ndatasets: [cifar10]\nalgorithms: [{name: rea}]\n",
        "algorithms[0]: no seeds: set runs (or seeds) at the top level or for this algorithm");
  check(head + "spaces: [tss]\nalgorithms: [{name: rea, seeds: [1, 2, 1]}]\n", "algorithms[0].seeds lists a seed twice");
  check(head + "spaces: [tss]\nalgorithms: [{name: rea, seeds: [-3]}]\n", "seeds[0] must be a non-negative integer, got '-3'");
  check(head + "spaces: [tss]\nalgorithms: [{name: rea, seeds: []}]\n", "seeds must be a non-empty list of seeds");
  check(head + "spaces: [tss]\nalgorithms: [{name: rea, seeds: [1], runs: 3}]\n", "give either seeds or runs/first_seed, not both");
  check(head + "spaces: [tss]\nalgorithms: [{name: rea, runs: 0}]\n", "algorithms[0].runs must be a positive integer");
  check(head + "spaces: [tss]\nseeds: [1]\n" + rea, "give either seeds or runs/first_seed, not both");
  check(head + "spaces: [tss]\nfirst_seed: -1\n" + rea, "first_seed must be a non-negative integer, got '-1'");
}

TEST(GridSeeds, TopLevelSeedListsAndPerAlgorithmRangesResolveAsWritten) {
  TempDir tmp("grid_seeds");
  const std::string config = tmp.file("grid.yaml");
  write_text(config, "name: s\nspaces: [tss]\ndatasets: [cifar10]\nseeds: [42, 7]\nbudget: {queries: 20}\nalgorithms:\n"
                     "  - name: random\n  - {name: rea, runs: 2, first_seed: 100}\n  - {name: reinforce, runs: 3}\n");
  json_of(nas("run " + config + " --out " + tmp.file("out")));
  EXPECT_EQ(query_text(tmp.file("out"), "SELECT algorithm, seed FROM runs ORDER BY algorithm, seed"),
            "random|7|\nrandom|42|\nrea|100|\nrea|101|\nreinforce|0|\nreinforce|1|\nreinforce|2|\n");
}

TEST(OldResultsStore, IsRefusedWithAClearError) {
  TempDir tmp("old_store");
  const std::string out = tmp.file("out");
  fs::create_directories(out);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((out + "/results.sqlite").c_str(), &db), SQLITE_OK);
  // The schema-1 runs table: no space column.
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE experiment (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                         "INSERT INTO experiment VALUES ('schema_version', '1');"
                         "CREATE TABLE runs (id INTEGER PRIMARY KEY, algorithm TEXT NOT NULL, dataset TEXT NOT NULL,"
                         " seed INTEGER NOT NULL, UNIQUE(algorithm, dataset, seed));"
                         "INSERT INTO runs VALUES (1, 'rea', 'cifar10', 0);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const std::string before = query_text(out, "SELECT * FROM runs");
  const std::string config = tmp.file("grid.yaml");
  write_text(config, "name: o\nspaces: [tss]\ndatasets: [cifar10]\nruns: 1\nalgorithms: [{name: rea}]\n");
  const std::string message = "holds results of an older nas (results schema 1, runs without a search space)";
  expect_clean_error("run " + config + " --out " + out, message);
  expect_clean_error("report " + out, message);
  EXPECT_EQ(query_text(out, "SELECT * FROM runs"), before) << "left untouched";
}

// ---- the 13-algorithm grids of configs/experiments ---------------------------------------------------

TEST(NatsThirteenGrids, ListEveryBaselineOnItsSpaces) {
  const std::set<std::string> query_based{"random", "rea", "reinforce", "bohb"};
  const std::set<std::string> tss_weight_sharing{"darts-v1", "darts-v2", "gdas", "setn", "random-ws", "enas"};
  const std::set<std::string> sss_weight_sharing{"tas", "fbnet-v2", "tunas"};
  for (const std::string dataset : {"cifar10", "cifar100", "imagenet16-120"}) {
    const std::string path = std::string(NAS_SOURCE_DIR) + "/configs/experiments/nats-13-" + dataset + ".yaml";
    const YAML::Node grid = YAML::LoadFile(path);
    EXPECT_EQ(grid["spaces"][0].as<std::string>(), "tss") << path;
    EXPECT_EQ(grid["spaces"][1].as<std::string>(), "sss") << path;
    EXPECT_EQ(grid["datasets"].size(), 1u) << path;
    EXPECT_NE(grid["benchmarks"]["sss"].as<std::string>(), "shipped") << "query-based sss searches need an imported store";
    EXPECT_EQ(grid["runs"].as<int>(), 500) << path;
    std::set<std::string> seen;
    for (const auto& a : grid["algorithms"]) {
      const std::string name = a["name"].as<std::string>();
      seen.insert(name);
      if (query_based.count(name) != 0) {
        EXPECT_FALSE(a["seeds"]) << name << ": query-based searchers run the grid's 500 seeds";
        EXPECT_FALSE(a["spaces"]) << name << ": query-based searchers run on both spaces";
      } else {
        ASSERT_TRUE(a["seeds"]) << name;
        EXPECT_EQ(a["seeds"].as<std::vector<int>>(), (std::vector<int>{777, 888, 999})) << name;
      }
    }
    std::set<std::string> all = query_based;
    all.insert(tss_weight_sharing.begin(), tss_weight_sharing.end());
    all.insert(sss_weight_sharing.begin(), sss_weight_sharing.end());
    EXPECT_EQ(seen, all) << path;
    // The loader takes the file as it is up to its sss store: with that store pointed somewhere
    // empty, `nas run` stops before any run with one line, at the first weight-sharing searcher
    // this build lacks or, where every searcher is registered, at the missing store.
    TempDir tmp("nats13");
    YAML::Node relocated = YAML::Clone(grid);
    relocated["benchmarks"]["sss"] = tmp.file("absent.nasbench");
    YAML::Emitter emitter;
    emitter << relocated;
    write_text(tmp.file("grid.yaml"), emitter.c_str());
    const auto run = nas("run " + tmp.file("grid.yaml") + " --out " + tmp.file("out"));
    EXPECT_NE(run.exit_code, 0);
    EXPECT_EQ(run.err.rfind("error: ", 0), 0u) << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_TRUE(run.err.find("unknown algorithm") != std::string::npos ||
                run.err.find("benchmarks.sss: no benchmark store at " + tmp.file("absent.nasbench")) != std::string::npos)
        << run.err;
    EXPECT_FALSE(fs::exists(tmp.file("out")));
  }
}

TEST(NatsThirteenGrids, AllThirteenBaselinesRunThroughOneGridAndOneTable) {
  // The shipped CIFAR-10 grid as it is, with its sss store pointed at the synthetic one, 3 seeds
  // for the query-based searchers and 1 for the weight-sharing ones, and tiny supernet trainings on
  // real CIFAR-10 images (2 batches of 8 in one epoch).
  const std::string images = std::string(NAS_SHARED_DATA) + "/cifar10";
  if (!fs::exists(images)) GTEST_SKIP() << "shared CIFAR-10 absent";
  if (nas("list --json").out.find("\"tunas\"") == std::string::npos) GTEST_SKIP() << "built without LibTorch";
  if (!fs::exists(kStore)) GTEST_SKIP() << "synthetic sss store absent (run through ctest)";
  YAML::Node grid = YAML::LoadFile(std::string(NAS_SOURCE_DIR) + "/configs/experiments/nats-13-cifar10.yaml");
  grid["benchmarks"]["sss"] = kStore;
  grid["runs"] = 3;
  grid["data"] = images;
  grid["torch_threads"] = 1;
  for (auto algorithm : grid["algorithms"]) {
    if (!algorithm["seeds"]) continue;  // query-based
    algorithm["seeds"] = std::vector<int>{777};
    YAML::Node tiny;
    tiny["epochs"] = 1;
    tiny["batch_size"] = 8;
    tiny["valid_batch_size"] = 16;
    tiny["max_batches_per_epoch"] = 2;
    tiny["max_valid_batches"] = 1;
    const std::string name = algorithm["name"].as<std::string>();
    if (name != "tas" && name != "fbnet-v2" && name != "tunas") {
      tiny["channels"] = 4;
      tiny["cells_per_stage"] = 1;
    }
    if (name == "setn" || name == "random-ws" || name == "enas") tiny["candidates"] = 2;
    if (name == "enas") {
      tiny["controller_steps"] = 1;
      tiny["controller_samples_per_step"] = 2;
    }
    algorithm["config"] = tiny;
  }
  TempDir tmp("nats13_tiny");
  YAML::Emitter emitter;
  emitter << grid;
  write_text(tmp.file("grid.yaml"), emitter.c_str());
  const std::string out = tmp.file("out");
  const auto summary = json_of(nas("run " + tmp.file("grid.yaml") + " --out " + out + " --threads 2"));
  EXPECT_EQ(summary["total_runs"], 4 * 2 * 3 + 9);
  EXPECT_EQ(query_text(out, "SELECT space, count(DISTINCT algorithm) FROM runs GROUP BY space ORDER BY space"),
            "sss|7|\ntss|10|\n");

  const nas::experiments::ReportSummary s = nas::experiments::build_report(out);
  for (const std::string name : {"tas", "fbnet-v2", "tunas"}) {
    const auto* cell = s.cell(name, "sss", "cifar10");
    ASSERT_NE(cell, nullptr) << name;
    EXPECT_EQ(s.cell(name, "tss", "cifar10"), nullptr) << name;
    // The synthetic store covers every config, so the derived config has its hp-90 accuracy.
    const auto& top = cell->cross_seed.top_archs.front();
    ASSERT_TRUE(top.test_accuracy.has_value()) << name;
    EXPECT_EQ(*top.test_accuracy, nas::test::synthetic_sss_accuracy(top.index, Dataset::Cifar10, EvalSet::OriTest, 90, 89, 777))
        << name;
  }
  for (const std::string name : {"darts-v1", "darts-v2", "gdas", "setn", "random-ws", "enas"}) {
    EXPECT_NE(s.cell(name, "tss", "cifar10"), nullptr) << name;
    EXPECT_EQ(s.cell(name, "sss", "cifar10"), nullptr) << name;
  }
  ASSERT_EQ(nas("report " + out).exit_code, 0);
  std::ifstream md_file(out + "/report.md");
  const std::string md((std::istreambuf_iterator<char>(md_file)), std::istreambuf_iterator<char>());
  for (const std::string row : {"| tas † | — | — | ", "| tunas † | — | — | ", "| gdas † | ", "| rea | "}) EXPECT_NE(md.find(row), std::string::npos) << row << md;
}

}  // namespace

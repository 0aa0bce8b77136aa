// What every search space must do through the `nas` program, one suite run on each space (tss and
// macro on their shipped stores, sss on the synthetic store of the `synthetic_sss` fixture, whose
// format and costs are the official ones). A new space adds one SpaceCase line below and gets all
// of it: info/export/best agree, query-based searches are deterministic in their seed, spend the
// space's budget on every dataset with every searcher (plugins included), REA and REINFORCE beat
// random search over 500 runs, a grid on the space runs, resumes and reports, and bad input for
// the space gives one error line.
//
// nb101 runs twice. On its shipped store, which is partial (11,000 of 423,624 cells, no test
// accuracy), the search and grid cases check instead that every searcher and a grid stop at once
// with the line saying how to import the official data, "best" is by validation accuracy, and only
// the 500-run comparison is skipped. As nb101_full it runs everything on the synthetic full store
// of the `synthetic_nb101` fixture (official format, imported by the real importer).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_support.h"

namespace {

namespace fs = std::filesystem;
using nas::test::CommandResult;
using nas::test::expect_clean_error;
using nas::test::json_of;
using nas::test::nas;
using nas::test::TempDir;

struct SpaceCase {
  std::string space;
  std::string bench;                  ///< a store path, "" for the shipped one
  std::vector<std::string> datasets;  ///< the datasets searched in these tests
  std::uint32_t archs;
  bool query_budget;                  ///< the space's default budget is a number of queries
  std::string example_arch;           ///< a valid arch string
  std::string malformed_arch;
  std::string foreign_dataset;        ///< a dataset key the space does not have ("" if it has all)
  std::string searched_on;            ///< the note a result carries about its signal ("" if none)
  std::string best_metric = "test_accuracy";  ///< what `bench best` is checked on
  bool searchable = true;             ///< false: a partial store, on which searches must stop at once
  std::string name = "";              ///< the test name's suffix, when not the space's name
};

std::ostream& operator<<(std::ostream& out, const SpaceCase& c) { return out << c.space; }

const std::vector<SpaceCase>& space_cases() {
  static const std::vector<SpaceCase> cases{
      {"tss", "", {"cifar10", "cifar100", "ImageNet16-120"}, 15625, false,
       "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|", "|nor_conv_3x3~0|+|", "", ""},
      {"sss", NAS_SYNTHETIC_SSS_STORE, {"cifar10", "cifar100", "ImageNet16-120"}, 32768, false, "8:16:24:32:64", "8:16:24:32",
       "", ""},
      {"macro", "", {"cifar10"}, 6561, true, "02012100", "0201210", "cifar100", "searched on test accuracy"},
      {"nb101", "", {"cifar10"}, 423624, false, "in,c3,mp,c3,c3,c1,out:0-1,0-4,0-5,1-2,2-3,2-6,3-5,4-5,5-6",
       "in,c3,out", "cifar100", "", "valid_accuracy", false},
      {"nb101", NAS_SYNTHETIC_NB101_STORE, {"cifar10"}, 423624, false, "in,c3,mp,c3,c3,c1,out:0-1,0-4,0-5,1-2,2-3,2-6,3-5,4-5,5-6",
       "in,c3,out", "cifar100", "", "test_accuracy", true, "nb101_full"},
  };
  return cases;
}

class SpaceSuite : public ::testing::TestWithParam<SpaceCase> {
 protected:
  void SetUp() override {
    if (!GetParam().bench.empty() && !fs::exists(GetParam().bench)) {
      GTEST_SKIP() << GetParam().bench << " is missing: run these tests with ctest (fixtures synthetic_sss, synthetic_nb101)";
    }
  }
  /// " --space S [--bench F]"
  std::string where() const {
    return " --space " + GetParam().space + (GetParam().bench.empty() ? "" : " --bench " + GetParam().bench);
  }
  std::string benchmarks_yaml() const {
    return GetParam().bench.empty() ? "" : "benchmarks: {" + GetParam().space + ": " + GetParam().bench + "}\n";
  }
};

TEST_P(SpaceSuite, InfoExportAndBestAgree) {
  const SpaceCase& c = GetParam();
  const std::string dataset = c.datasets.front();
  const CommandResult exported = nas("bench export --dataset " + dataset + where());
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  std::istringstream lines(exported.out);
  std::uint32_t rows = 0, best_index = 0;
  double best = -1;
  for (std::string line; std::getline(lines, line); ++rows) {
    const auto row = nlohmann::json::parse(line);
    ASSERT_EQ(row["index"], rows);
    ASSERT_EQ(row["space"], c.space);
    if (row[c.best_metric].is_number() && row[c.best_metric].get<double>() > best) {
      best = row[c.best_metric].get<double>();
      best_index = rows;
    }
  }
  EXPECT_EQ(rows, c.archs);
  const auto top = json_of(nas("bench best --dataset " + dataset + " --metric " + c.best_metric + " --json" + where()));
  EXPECT_EQ(top["index"], best_index) << "ties go to the lowest index";
  EXPECT_EQ(top["value"].get<double>(), best);
  const auto info = json_of(nas("bench info --dataset " + dataset + " --arch '" + c.example_arch + "' --json" + where()));
  EXPECT_EQ(info["arch"], c.example_arch);
  const auto by_index = json_of(nas("bench info --dataset " + dataset + " --index " + info["index"].dump() + " --json" + where()));
  EXPECT_EQ(info, by_index);
}

/// On a partial store: every searcher stops at once, with the one line saying how to get the data.
void expect_searches_refused(const SpaceCase& c, const std::string& where) {
  for (const std::string algo : {"random", "rea", "reinforce", "bohb"}) {
    expect_clean_error("search --algo " + algo + " --dataset " + c.datasets.front() + where, "query-based searchers need all of them");
  }
}

TEST_P(SpaceSuite, OneSearchRunIsDeterministicInItsSeed) {
  if (!GetParam().searchable) return expect_searches_refused(GetParam(), where());
  for (const std::string algo : {"random", "rea", "reinforce", "bohb"}) {
    // 30 queries: long enough to differ between seeds, short of where a search on an easy landscape
    // (the synthetic nb101 store's) finds the same optimum from every seed.
    const std::string base =
        "search --algo " + algo + " --dataset " + GetParam().datasets.back() + " --budget-queries 30 --json" + where() + " --seed ";
    auto first = json_of(nas(base + "3"));
    auto again = json_of(nas(base + "3"));
    auto other = json_of(nas(base + "4"));
    for (auto* row : {&first, &again, &other}) row->erase("wall_seconds");
    EXPECT_EQ(first, again) << algo;
    EXPECT_TRUE(first["queries"] != other["queries"] || first["index"] != other["index"] ||
                first["search_valid_accuracy"] != other["search_valid_accuracy"])
        << algo;
  }
}

TEST_P(SpaceSuite, EveryQuerySearcherSpendsTheSpaceBudgetOnEveryDataset) {
  const SpaceCase& c = GetParam();
  if (!c.searchable) return expect_searches_refused(c, where());
  const std::string plugin = std::string(" --plugin ") + NAS_LOCAL_SEARCH_PLUGIN;
  for (const std::string algo : {"random", "rea", "reinforce", "bohb", "local-search"}) {
    for (const std::string& dataset : c.datasets) {
      const std::string what = algo + " on " + dataset;
      const auto row = json_of(nas("search --algo " + algo + " --dataset " + dataset + " --seed 5 --json" + where() + plugin));
      EXPECT_EQ(row["space"], c.space) << what;
      EXPECT_EQ(row["dataset"], dataset) << what;
      if (c.query_budget) {
        EXPECT_EQ(row["queries"], 100) << what;
        EXPECT_EQ(row["simulated_seconds"], 0) << what << ": the space records no times";
      } else {
        EXPECT_GT(row["simulated_seconds"].get<double>(), 0) << what;
        EXPECT_GT(row["queries"].get<int>(), 50) << what;
      }
      EXPECT_TRUE(row["test_accuracy"].is_number()) << what;
      const auto info = json_of(nas("bench info --dataset " + dataset + " --index " + row["index"].dump() + " --json" + where()));
      EXPECT_EQ(row["arch"], info["arch"]) << what;
      EXPECT_EQ(row["test_accuracy"], info["test_accuracy"]) << what;
      EXPECT_EQ(row["params_m"], info["params_m"]) << what;
      bool noted = c.searched_on.empty();
      for (const auto& note : row["notes"]) noted = noted || note.get<std::string>().find(c.searched_on) != std::string::npos;
      EXPECT_TRUE(noted) << what << ": " << row["notes"];
    }
  }
}

double mean_test(const std::string& algo, const std::string& dataset, const std::string& where) {
  const auto row = json_of(nas("search --algo " + algo + " --dataset " + dataset + " --runs 500 --threads 2 --json" + where));
  EXPECT_EQ(row["per_run"].size(), 500u);
  return row["mean_test_accuracy"].get<double>();
}

TEST_P(SpaceSuite, ReaAndReinforceBeatRandomSearchOver500Runs) {
  if (!GetParam().searchable) GTEST_SKIP() << GetParam().space << ": its store is partial, so it cannot be searched";
  for (const std::string& dataset : GetParam().datasets) {
    const double random = mean_test("random", dataset, where());
    EXPECT_GT(mean_test("rea", dataset, where()), random) << dataset;
    EXPECT_GT(mean_test("reinforce", dataset, where()), random) << dataset;
  }
}

TEST_P(SpaceSuite, AGridOnTheSpaceRunsResumesAndReports) {
  const SpaceCase& c = GetParam();
  const TempDir dir("space_suite_grid_" + (c.name.empty() ? c.space : c.name));
  std::ofstream(dir.file("grid.yaml")) << "name: one-space\nspaces: [" << c.space << "]\n"
                                       << benchmarks_yaml() << "datasets: [" << c.datasets.front() << "]\nruns: 10\n"
                                       << "algorithms: [{name: random}, {name: rea}]\n";
  const std::string run = "run " + dir.file("grid.yaml") + " --out " + dir.file("out");
  if (!c.searchable) {  // a partial store: the grid stops before it starts, and leaves nothing behind
    expect_clean_error(run, "query-based searchers need all of them");
    EXPECT_FALSE(fs::exists(dir.file("out")));
    return;
  }
  EXPECT_EQ(json_of(nas(run))["executed"], 20);
  EXPECT_EQ(json_of(nas(run))["already_done"], 20);
  const auto summary = json_of(nas("report " + dir.file("out") + " --json"));
  ASSERT_TRUE(summary.contains("results")) << summary;
  int cells = 0;
  for (const auto& cell : summary["results"]) cells += cell["space"] == c.space ? 1 : 0;
  EXPECT_EQ(cells, 2) << summary["results"];
  // The anytime plot's script: a log-scale time axis on nb101 (SpaceDefinition::log_time_axis).
  std::string script;
  for (const auto& entry : fs::recursive_directory_iterator(dir.file("out"))) {
    if (entry.path().filename() == "anytime-" + c.space + "-" + c.datasets.front() + ".gp") {
      std::ifstream in(entry.path());
      script.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  ASSERT_FALSE(script.empty()) << "no anytime script";
  EXPECT_EQ(script.find("set logscale x") != std::string::npos, c.space == "nb101") << script;
}

TEST_P(SpaceSuite, BadInputForTheSpaceGivesOneErrorLine) {
  const SpaceCase& c = GetParam();
  const std::string dataset = " --dataset " + c.datasets.front();
  expect_clean_error("bench info" + dataset + " --arch '" + c.malformed_arch + "'" + where(), "malformed");
  expect_clean_error("bench info" + dataset + " --index " + std::to_string(c.archs) + where(),
                     "is out of range for the " + c.space + " space [0, " + std::to_string(c.archs - 1) + "]");
  expect_clean_error("bench info" + dataset + " --index -1" + where(), "is out of range");
  expect_clean_error("bench info --dataset mnist --index 0" + where(), "unknown dataset");
  if (!c.foreign_dataset.empty()) {
    expect_clean_error("bench info --dataset " + c.foreign_dataset + " --index 0" + where(),
                       "the " + c.space + " space has no dataset " + c.foreign_dataset);
    expect_clean_error("search --algo rea --dataset " + c.foreign_dataset + where(), "has no dataset");
  }
  expect_clean_error("bench info" + dataset + " --index 0 --hp 7" + where(), "hp 7");
  if (c.query_budget) {
    expect_clean_error("search --algo rea --budget-seconds 1000" + dataset + where(), "budgeted in queries");
  }
}

TEST_P(SpaceSuite, TheDatasetKeyDefaultsOnlyWhereTheSpaceHasOne) {
  const SpaceCase& c = GetParam();
  if (c.datasets.size() == 1) {
    const auto named = json_of(nas("bench info --dataset " + c.datasets.front() + " --index 0 --json" + where()));
    EXPECT_EQ(json_of(nas("bench info --index 0 --json" + where())), named);
    if (c.searchable) {
      const auto searched = json_of(nas("search --algo rea --seed 1 --json" + where()));
      EXPECT_EQ(searched["dataset"], c.datasets.front());
    }
  } else {
    expect_clean_error("bench info --index 0" + where(), "--dataset is required on the " + c.space + " space (it has ");
    expect_clean_error("search --algo rea" + where(), "--dataset is required on the " + c.space + " space");
  }
}

INSTANTIATE_TEST_SUITE_P(EverySpace, SpaceSuite, ::testing::ValuesIn(space_cases()),
                         [](const ::testing::TestParamInfo<SpaceCase>& param) {
                           return param.param.name.empty() ? param.param.space : param.param.name;
                         });

}  // namespace

// NAS-Bench-Macro: codes and index order, equivalence classes, the exact cost of all 6,561 networks
// against the published file, the importer (the shipped store rebuilt bit for bit, damaged files
// refused) and the query semantics of a space without validation split, fidelities or times.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/macro/macro_importer.h"
#include "nas/benchmark_api/macro/macro_space.h"
#include "expect_error.h"
#include "test_data.h"

namespace nas::bench {
namespace {

namespace fs = std::filesystem;

std::string macro_json_path() { return nas::test::shared_data("nas-bench-macro/nas-bench-macro_cifar10.json"); }

const nlohmann::json& macro_json() {
  static const nlohmann::json data = [] {
    std::ifstream in(macro_json_path());
    return nlohmann::json::parse(in);
  }();
  return data;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

using nas::test::expect_error;

TEST(MacroSpace, CodesAndTheBaseThreeIndexOrder) {
  EXPECT_EQ(macro_index_of(parse_macro_arch("00000000")), 0u);
  EXPECT_EQ(macro_index_of(parse_macro_arch("00000001")), 1u);
  EXPECT_EQ(macro_index_of(parse_macro_arch("00000010")), 3u);
  EXPECT_EQ(macro_index_of(parse_macro_arch("22222222")), 6560u);
  for (std::uint32_t index = 0; index < kMacroNumArchs; ++index) {
    ASSERT_EQ(macro_index_of(parse_macro_arch(format_macro_arch(macro_arch_at(index)))), index);
  }
  expect_error([] { parse_macro_arch("0201210"); }, "it has 7 characters");
  expect_error([] { parse_macro_arch("020121003"); }, "it has 9 characters");
  expect_error([] { parse_macro_arch("02012130"); }, "layer 6 is '3'");
  expect_error([] { parse_macro_arch("0201210\n"); }, "layer 7 is '\\n'");
  expect_error([] { macro_arch_at(6561); }, "out of range");
}

TEST(MacroSpace, EquivalenceClassesAre3969AndTheirRecordsAreIdentical) {
  EXPECT_EQ(format_macro_arch(macro_canonical(parse_macro_arch("22212202"))), "22212220");
  EXPECT_EQ(format_macro_arch(macro_canonical(parse_macro_arch("00000000"))), "00000000");
  // A stage's first (strided) layer never moves: 0 there is a projection, not a no-op.
  EXPECT_EQ(format_macro_arch(macro_canonical(parse_macro_arch("01010101"))), "01010110");
  EXPECT_EQ(format_macro_arch(macro_canonical(parse_macro_arch("10201002"))), "10210020");
  std::map<std::string, std::vector<std::string>> classes;
  for (std::uint32_t index = 0; index < kMacroNumArchs; ++index) {
    const MacroArch arch = macro_arch_at(index);
    classes[format_macro_arch(macro_canonical(arch))].push_back(format_macro_arch(arch));
    EXPECT_TRUE(macro_is_canonical(macro_canonical(arch)));
  }
  EXPECT_EQ(classes.size(), kMacroNumClasses);
  std::map<std::size_t, int> sizes;
  for (const auto& [canonical, members] : classes) ++sizes[members.size()];
  EXPECT_EQ(sizes, (std::map<std::size_t, int>{{1, 2025}, {2, 1620}, {4, 324}}));
  NAS_REQUIRE_SHARED_DATA();
  // Identical networks share their record in the published data, and distinct classes differ.
  std::set<std::string> distinct;
  for (const auto& [canonical, members] : classes) {
    for (const std::string& member : members) {
      ASSERT_EQ(macro_json().at(member).at("test_acc"), macro_json().at(canonical).at("test_acc")) << member;
    }
    distinct.insert(macro_json().at(canonical).at("test_acc").dump());
  }
  EXPECT_EQ(distinct.size(), kMacroNumClasses);
}

TEST(MacroSpace, ParamsAndFlopsEqualThePublishedValuesForAll6561Codes) {
  EXPECT_EQ(macro_network_cost(parse_macro_arch("00000000")).params, 387882u);
  EXPECT_EQ(macro_network_cost(parse_macro_arch("00000000")).flops, 7713280u);
  EXPECT_EQ(macro_network_cost(parse_macro_arch("11111111")).params, 1588874u);
  EXPECT_EQ(macro_network_cost(parse_macro_arch("11111111")).flops, 53246464u);
  EXPECT_EQ(macro_network_cost(parse_macro_arch("22222222")).params, 2932586u);
  EXPECT_EQ(macro_network_cost(parse_macro_arch("22222222")).flops, 105660928u);
  EXPECT_EQ(macro_network_cost(parse_macro_arch("02012100")).params, 890666u);
  EXPECT_EQ(macro_network_cost(parse_macro_arch("02012100")).flops, 47327744u);
  NAS_REQUIRE_SHARED_DATA();
  ASSERT_EQ(macro_json().size(), kMacroNumArchs);
  for (const auto& [code, record] : macro_json().items()) {
    const MacroCost cost = macro_network_cost(parse_macro_arch(code));
    ASSERT_EQ(cost.params, record.at("params").get<std::uint64_t>()) << code;
    ASSERT_EQ(cost.flops, record.at("flops").get<std::uint64_t>()) << code;
  }
}

TEST(MacroBenchmark, TheShippedStoreAnswersAsTheSpecSays) {
  const Benchmark bench = Benchmark::open_default(Space::Macro);
  EXPECT_EQ(bench.size(), kMacroNumArchs);
  const std::uint32_t worst = bench.index_of("00000000");
  const ArchMetrics m = bench.query(worst, Dataset::Cifar10);
  ASSERT_TRUE(m.test_accuracy.has_value());
  EXPECT_NEAR(*m.test_accuracy, 45.36333, 1e-5);
  EXPECT_FALSE(m.valid_accuracy.has_value()) << "NAS-Bench-Macro has no validation split";
  EXPECT_FALSE(m.train_accuracy.has_value());
  const CostInfo cost = bench.cost(worst, Dataset::Cifar10);
  EXPECT_DOUBLE_EQ(cost.params_m, 0.387882);
  EXPECT_DOUBLE_EQ(cost.flops_m, 7.71328);
  EXPECT_FALSE(cost.train_time_per_epoch_s.has_value());
  // The three runs are trials 0, 1, 2 (train.py's seeds); their mean is the published mean.
  const std::uint32_t mixed = bench.index_of("02012100");
  EXPECT_EQ(bench.seeds(mixed, Dataset::Cifar10, 0), (std::vector<std::int32_t>{0, 1, 2}));
  EXPECT_NEAR(*bench.query(mixed, Dataset::Cifar10, 0, Trial::of_seed(0)).test_accuracy, 89.47, 1e-4);
  EXPECT_NEAR(*bench.query(mixed, Dataset::Cifar10, 0, Trial::of_seed(2)).test_accuracy, 89.17, 1e-4);
  EXPECT_NEAR(*bench.query(mixed, Dataset::Cifar10).test_accuracy, 89.19667, 1e-5);
  // The best: the twins 22212202 and 22212220 tie at 93.127; the lower index wins.
  const Benchmark::Best best = bench.find_best(Dataset::Cifar10, Split::Test);
  EXPECT_EQ(bench.arch_string(best.index), "22212202");
  EXPECT_NEAR(best.value, 93.12666, 1e-5);
  EXPECT_DOUBLE_EQ(*bench.query(bench.index_of("22212220"), Dataset::Cifar10).test_accuracy, best.value);
  // A space without validation data, other datasets or fidelities says so.
  expect_error([&] { bench.find_best(Dataset::Cifar10, Split::Valid); }, "has no validation accuracy");
  expect_error([&] { bench.query(0, Dataset::Cifar100); }, "the macro space has no dataset cifar100 (it has cifar10)");
  expect_error([&] { bench.definition().resolve_hp(12); }, "has no fidelities");
  // A search reads one seeded run's test accuracy and costs no simulated time.
  Rng rng(3);
  SimulatedClock clock;
  const SimulatedResult r = bench.simulate_train_eval(mixed, Dataset::Cifar10, bench.definition().search_hp(), rng, clock);
  EXPECT_TRUE(r.seed >= 0 && r.seed <= 2);
  EXPECT_DOUBLE_EQ(r.valid_accuracy, *bench.query(mixed, Dataset::Cifar10, 0, Trial::of_seed(r.seed)).test_accuracy);
  EXPECT_EQ(r.time_cost_s, 0.0);
  EXPECT_TRUE(bench.definition().search_signal(Dataset::Cifar10).is_test_accuracy);
  EXPECT_EQ(bench.searchable_archs(Dataset::Cifar10, bench.definition().search_hp()), kMacroNumArchs);
}

TEST(MacroBenchmark, TheShippedStoreIsReproducibleFromItsSource) {
  NAS_REQUIRE_SHARED_DATA();
  const std::string out = ::testing::TempDir() + "/nas_macro_rebuilt.nasbench";
  const MacroImportReport report = import_macro_json(macro_json_path(), out);
  EXPECT_EQ(report.archs, kMacroNumArchs);
  EXPECT_EQ(report.classes, kMacroNumClasses);
  // The provenance names the source path, so rebuild from the path SOURCE.md gives.
  const std::string shipped = Benchmark::default_path(Space::Macro);
  const std::string relative = "../shared/data/nas-bench-macro/nas-bench-macro_cifar10.json";
  const fs::path cwd = fs::current_path();
  fs::current_path(std::string(NAS_SOURCE_DIR));
  import_macro_json(relative, out);
  fs::current_path(cwd);
  EXPECT_EQ(read_bytes(out), read_bytes(shipped)) << "rebuild with the command in benchmark_api/data/SOURCE.md";
  fs::remove(out);
}

TEST(MacroBenchmark, TheImporterRefusesDamagedFilesAndWritesNothing) {
  NAS_REQUIRE_SHARED_DATA();
  const std::string dir = ::testing::TempDir() + "/nas_macro_bad";
  fs::create_directories(dir);
  const std::string out = dir + "/out.nasbench";
  auto import_text = [&](const std::string& text, const std::string& fragment) {
    std::ofstream(dir + "/bad.json", std::ios::binary) << text;
    expect_error([&] { import_macro_json(dir + "/bad.json", out); }, fragment);
    EXPECT_FALSE(fs::exists(out));
  };
  const std::string good = read_bytes(macro_json_path());
  import_text(good.substr(0, good.size() / 2), "not valid JSON");
  import_text("[1, 2]", "expected a JSON object");
  nlohmann::json data = macro_json();
  data.erase("00000000");
  import_text(data.dump(), "has 6560 records");
  auto altered = [&](const std::string& code, const std::string& key, const nlohmann::json& value) {
    nlohmann::json copy = macro_json();
    copy[code][key] = value;
    return copy.dump();
  };
  import_text(altered("00000000", "params", 387883), "params 387883 differs from the network's 387882");
  import_text(altered("11111111", "flops", 1), "flops 1 differs");
  import_text(altered("02012100", "mean_acc", 90.0), "is not the mean of its 3 runs");
  import_text(altered("02012100", "std", 0.5), "is not the population std");
  import_text(altered("02012100", "test_acc", nlohmann::json::array({89.47, 88.95})), "not a list of 3 accuracies");
  import_text(altered("02012100", "test_acc", nlohmann::json::array({89.47, 188.95, 89.17})), "is not a percentage");
  {
    nlohmann::json copy = macro_json();
    copy["22212202"]["test_acc"][0] = 93.0;  // its twin 22212220 keeps 93.28
    const double runs[3] = {93.0, copy["22212202"]["test_acc"][1].get<double>(), copy["22212202"]["test_acc"][2].get<double>()};
    const double mean = (runs[0] + runs[1] + runs[2]) / 3;
    double squares = 0;
    for (double v : runs) squares += (v - mean) * (v - mean);
    copy["22212202"]["mean_acc"] = mean;
    copy["22212202"]["std"] = std::sqrt(squares / 3);
    import_text(copy.dump(), "are the same network but differ");
  }
  {
    nlohmann::json copy = macro_json();
    copy["0000000x"] = copy["00000000"];
    copy.erase("00000000");
    import_text(copy.dump(), "malformed macro arch '0000000x'");
  }
  expect_error([&] { import_macro_json(macro_json_path(), dir + "/no/such/dir/x.nasbench"); }, "does not exist");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace nas::bench

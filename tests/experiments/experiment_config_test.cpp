// The experiment file loader (experiments/src/experiment_config.h) called directly: what a bad file
// gives is one nas::Error naming where the problem is (regression inputs of fuzz_experiment_yaml).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "experiment_config.h"
#include "nas/algorithms/registry.h"
#include "nas/benchmark_api/error.h"

namespace {

using nas::experiments::ExperimentConfig;

const nas::algorithms::SearcherRegistry& registry() {
  static const nas::algorithms::SearcherRegistry builtins = [] {
    nas::algorithms::SearcherRegistry r;
    nas::algorithms::register_builtin_searchers(r);
    return r;
  }();
  return builtins;
}

// Writes `text` to a temporary experiment file and loads it.
ExperimentConfig load(const std::string& text) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("nas_experiment_config_test_" + std::to_string(::getpid()) + ".yaml")).string();
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  struct Remove {
    std::string path;
    ~Remove() { std::filesystem::remove(path); }
  } remove{path};
  return nas::experiments::load_experiment(nas::experiments::read_experiment_file(path), registry());
}

// The loader throws nas::Error (nothing else) with `fragment` in its message.
void expect_error(const std::string& text, const std::string& fragment) {
  try {
    (void)load(text);
    ADD_FAILURE() << "loaded without an error:\n" << text;
  } catch (const nas::Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what() << "\nfor:\n" << text;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a non-nas::Error exception: " << e.what() << "\nfor:\n" << text;
  }
}

const std::string kHead = "name: x\nspaces: [tss]\ndatasets: [cifar10]\n";

TEST(ExperimentConfig, AValidFileLoads) {
  const ExperimentConfig config = load(kHead + "runs: 3\nfirst_seed: 7\nalgorithms: [{name: rea, config: {population: 5}}]\n");
  ASSERT_EQ(config.algorithms.size(), 1u);
  EXPECT_EQ(config.algorithms[0].seeds.seeds, (std::vector<std::uint64_t>{7, 8, 9}));
  EXPECT_EQ(config.algorithms[0].searcher.config["population"].as<int>(), 5);
}

// fuzz_experiment_yaml's first finding ("? -", a map whose key is a list): yaml-cpp's
// TypedBadConversion escaped instead of a nas::Error naming the key's place.
TEST(ExperimentConfig, AListOrMapAsAKeyIsAnError) {
  expect_error("? -\n", "a key must be a plain name, not a YAML list");
  expect_error("{[a]: 1}\n", "a key must be a plain name, not a YAML list");
  expect_error("{{a: b}: 1}\n", "a key must be a plain name, not a YAML map");
  expect_error(kHead + "runs: 1\nbenchmarks: {? [a] : b}\nalgorithms: [{name: rea}]\n", "a key must be a plain name");
  expect_error(kHead + "runs: 1\nalgorithms: [{name: rea, [x]: 1}]\n", "a key must be a plain name");
  expect_error(kHead + "runs: 1\nalgorithms: [{name: rea, config: {[a]: 1}}]\n", "a key must be a plain name");
  // A null key is still the key 'null', unknown as before.
  expect_error("~: 1\n", "unknown key 'null'");
}

// `runs: 2000000000` made load_experiment build a list of 2e9 seeds (16 GB) before anything else
// was checked (fuzz_experiment_yaml reports out-of-memory); a range past 2^64 - 1 wrapped around to 0.
TEST(ExperimentConfig, SeedsAreBounded) {
  const std::string rea = "algorithms: [{name: rea}]\n";
  expect_error(kHead + "runs: 1000001\n" + rea, "runs must be at most 1000000");
  expect_error(kHead + "runs: 1\nalgorithms: [{name: rea, runs: 1000001}]\n", "algorithms[0].runs must be at most 1000000");
  expect_error(kHead + "runs: 600000\nalgorithms: [{name: rea, label: a}, {name: rea, label: b}]\n",
               "algorithms[1]: the algorithms have more than 1000000 seeds in all");
  expect_error(kHead + "runs: 2\nfirst_seed: 18446744073709551615\n" + rea, "go beyond 18446744073709551615");
  const ExperimentConfig last = load(kHead + "runs: 2\nfirst_seed: 18446744073709551614\n" + rea);
  EXPECT_EQ(last.algorithms[0].seeds.seeds, (std::vector<std::uint64_t>{18446744073709551614ULL, 18446744073709551615ULL}));
  const ExperimentConfig most = load(kHead + "runs: 1000000\n" + rea);
  EXPECT_EQ(most.algorithms[0].seeds.seeds.size(), 1000000u);
}

// `budget: {seconds: .inf}` loaded, and `nas run` then searched forever (the budget is never spent;
// the trajectory grows without bound). `nas search --budget-seconds inf` already refused it.
TEST(ExperimentConfig, ABudgetInSecondsIsFinite) {
  const std::string rea = "runs: 1\nalgorithms: [{name: rea}]\n";
  expect_error(kHead + "budget: {seconds: .inf}\n" + rea, "must be a finite positive number");
  expect_error(kHead + "budget: {seconds: .nan}\n" + rea, "must be a finite positive number");
  expect_error(kHead + "budget: {seconds: -.inf}\n" + rea, "must be a finite positive number");
  EXPECT_EQ(load(kHead + "budget: {seconds: 1e6}\n" + rea).budget_seconds, 1e6);
}

}  // namespace

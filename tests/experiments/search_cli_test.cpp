// `nas search`, `nas run` and plugins, end to end on the shipped benchmark: the JSON contract, the
// searchers' behaviour over many runs, resumption after kill -9, and bad input.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <sqlite3.h>

#include <map>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_support.h"
#include "results_support.h"

namespace {

using nas::test::CommandResult;
using nas::test::expect_clean_error;
using nas::test::json_of;
using nas::test::nas;
using nas::test::count_runs;
using nas::test::dump_results;
using nas::test::TempDir;
using nas::test::write_text;



TEST(Search, OneRunGivesTheContractAndIsDeterministic) {
  auto row = json_of(nas("search --algo rea --space tss --dataset cifar10 --seed 3 --json"));
  for (const char* key : {"algo", "space", "dataset", "seed", "arch", "index", "valid_accuracy", "test_accuracy", "queries",
                          "simulated_seconds"}) {
    EXPECT_TRUE(row.contains(key)) << key;
  }
  EXPECT_EQ(row["seed"], 3);
  EXPECT_GE(row["simulated_seconds"].get<double>(), 20000.0) << "the budget is spent (the last query may overshoot)";
  EXPECT_LT(row["simulated_seconds"].get<double>(), 20000.0 + 1000.0);
  auto again = json_of(nas("search --algo rea --space tss --dataset cifar10 --seed 3 --json"));
  row.erase("wall_seconds");
  again.erase("wall_seconds");
  EXPECT_EQ(row, again);
  const auto other = json_of(nas("search --algo rea --space tss --dataset cifar10 --seed 4 --json"));
  EXPECT_NE(row["queries"], other["queries"]) << "different seeds explore differently";
}

TEST(Search, QueryBudgetAndOverrides) {
  const auto row = json_of(nas("search --algo reinforce --dataset cifar100 --budget-queries 37 --set learning_rate=0.05 --json"));
  EXPECT_EQ(row["queries"], 37);
  const auto rea = json_of(nas("search --algo rea --dataset cifar10 --budget-queries 5 --set population=10 --json"));
  EXPECT_EQ(rea["queries"], 5);
}

// REA / REINFORCE against random search on every space: tests/experiments/space_suite_test.cpp.

TEST(Search, ListShowsEverySearcherWithItsConfig) {
  const auto list = json_of(nas("list --json"));
  std::map<std::string, std::string> family;
  for (const auto& a : list["algorithms"]) family[a["name"]] = a["family"];
  std::map<std::string, nlohmann::json> spaces;
  for (const auto& a : list["algorithms"]) spaces[a["name"]] = a["spaces"];
  for (const char* name : {"random", "rea", "reinforce", "bohb"}) {
    EXPECT_EQ(family[name], "query-based") << name;
    EXPECT_EQ(spaces[name], nlohmann::json::array({"tss", "sss", "macro", "nb101"})) << name;
  }
  // The weight-sharing searchers come from libnas_weight_sharing, which only a LibTorch build has.
  for (const char* name : {"darts-v1", "darts-v2", "gdas", "setn", "random-ws", "enas"}) {
    if (NAS_WEIGHT_SHARING_BUILT) {
      EXPECT_EQ(family[name], "weight-sharing") << name;
      EXPECT_EQ(spaces[name], nlohmann::json::array({"tss"})) << name;
    } else {
      EXPECT_EQ(family.count(name), 0u) << name << " listed by a build without LibTorch";
    }
  }
  for (const char* name : {"tas", "fbnet-v2", "tunas"}) {
    if (NAS_WEIGHT_SHARING_BUILT) {
      EXPECT_EQ(family[name], "weight-sharing") << name;
      EXPECT_EQ(spaces[name], nlohmann::json::array({"sss"})) << name;
    } else {
      EXPECT_EQ(family.count(name), 0u) << name << " listed by a build without LibTorch";
    }
  }
  for (const auto& a : list["algorithms"]) {
    if (a["name"] == "rea") {
      EXPECT_EQ(a["config"][0]["key"], "population");
      EXPECT_EQ(a["config"][0]["default"], "10");
    }
  }
}

TEST(Search, ASizeSpaceSupernetSearchOnTheShippedDataGivesCostAndSaysAccuracyIsUnavailable) {
  const std::string images = std::string(NAS_SHARED_DATA) + "/cifar10";
  if (!NAS_WEIGHT_SHARING_BUILT || !std::filesystem::exists(images)) GTEST_SKIP() << "needs LibTorch and CIFAR-10";
  const auto row = json_of(nas("search --algo fbnet-v2 --space sss --dataset cifar10 --data " + images +
                               " --torch-threads 1 --set epochs=1 --set batch_size=8 --set max_batches_per_epoch=2"
                               " --set max_valid_batches=1 --set valid_batch_size=16 --json"));
  const std::string arch = row["arch"];
  EXPECT_EQ(row["space"], "sss");
  EXPECT_EQ(row["test_hp"], 90);
  // The exact cost of the config is always there; its accuracy only if the benchmark holds it.
  const auto info = json_of(nas("bench info --space sss --dataset cifar10 --arch " + arch + " --json"));
  EXPECT_EQ(row["params_m"], info["params_m"]);
  EXPECT_EQ(row["flops_m"], info["flops_m"]);
  if (row["index"] != 0 && row["index"] != 11 && row["index"] != 284) {
    EXPECT_TRUE(row["test_accuracy"].is_null());
    ASSERT_FALSE(row["notes"].empty());
    EXPECT_NE(row["notes"].back().get<std::string>().find("accuracy unavailable: the benchmark has no hp-90 test accuracy of " + arch),
              std::string::npos)
        << row["notes"];
  }
}

// ---- weight-sharing searches: checkpoints and settings ------------------------------------------------

std::string cifar10_images() { return std::string(NAS_SHARED_DATA) + "/cifar10"; }

/// A weight-sharing search small enough for a test: 2 epochs of one batch of 8, one valid batch of
/// 16, a 4-channel supernet with one cell per stage; `extra` adds options.
std::string tiny_search(const std::string& algo, int torch_threads, const std::string& extra) {
  return "search --algo " + algo + " --dataset cifar10 --data " + cifar10_images() + " --torch-threads " +
         std::to_string(torch_threads) +
         " --set epochs=2 --set batch_size=8 --set max_batches_per_epoch=1 --set valid_batch_size=16"
         " --set max_valid_batches=1 --set channels=4 --set cells_per_stage=1 --json " +
         extra;
}

// Off a terminal (as here) a weight-sharing search prints plain progress lines on stderr: its first
// step (epoch, batch, running loss and accuracy, images/s, ETA) and every finished epoch; --quiet
// prints nothing, and the result is the same either way.
TEST(WeightSharingSearch, ShowsItsTrainingProgressUnlessQuiet) {
  if (!NAS_WEIGHT_SHARING_BUILT || !std::filesystem::exists(cifar10_images())) GTEST_SKIP() << "needs LibTorch and CIFAR-10";
  const CommandResult shown = nas(tiny_search("gdas", 1, "--seed 0"));
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.err.find("progress: gdas seed 0: epoch 1/2 batch 1/1 loss "), std::string::npos) << shown.err;
  EXPECT_NE(shown.err.find(" img/s ETA "), std::string::npos) << shown.err;
  EXPECT_NE(shown.err.find("progress: gdas seed 0: epoch 1/2 done in "), std::string::npos) << shown.err;
  EXPECT_NE(shown.err.find("progress: gdas seed 0: epoch 2/2 done in "), std::string::npos) << shown.err;
  const CommandResult quiet = nas(tiny_search("gdas", 1, "--seed 0 --quiet"));
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
  auto a = json_of(shown), b = json_of(quiet);
  a.erase("wall_seconds");
  b.erase("wall_seconds");
  a.erase("search_wall_seconds");
  b.erase("search_wall_seconds");
  EXPECT_EQ(a, b);
}

TEST(WeightSharingSearch, ACheckpointResumesOnlyTheRunThatWroteIt) {
  if (!NAS_WEIGHT_SHARING_BUILT || !std::filesystem::exists(cifar10_images())) GTEST_SKIP() << "needs LibTorch and CIFAR-10";
  TempDir tmp("ws_checkpoint_identity");
  const std::string checkpoint = tmp.file("search.pt");
  const std::string use = " --checkpoint " + checkpoint;
  const auto first = json_of(nas(tiny_search("darts-v1", 1, "--seed 0" + use)));
  ASSERT_TRUE(std::filesystem::exists(checkpoint));

  const std::string refused = "cannot resume from checkpoint " + checkpoint + ": another run wrote it (";
  expect_clean_error(tiny_search("gdas", 1, use), refused + "algorithm: darts-v1 in the checkpoint, gdas in this run)");
  expect_clean_error(tiny_search("darts-v1", 1, "--seed 5" + use), refused + "seed: 0 in the checkpoint, 5 in this run)");
  expect_clean_error(tiny_search("darts-v1", 1, "--set channels=8" + use),
                     refused + "config key channels: 4 in the checkpoint, 8 in this run)");
  expect_clean_error(tiny_search("darts-v1", 2, use), refused + "torch_threads: 1 in the checkpoint, 2 in this run)");

  // The run that wrote it resumes: the checkpoint is at its last epoch, so only the final
  // derivation runs again, and it ends where the first run ended.
  const auto resumed = json_of(nas(tiny_search("darts-v1", 1, "--seed 0" + use)));
  EXPECT_EQ(resumed["arch"], first["arch"]);
  EXPECT_EQ(resumed["search_valid_accuracy"], first["search_valid_accuracy"]);
  EXPECT_EQ(resumed["epochs"], 0);
  ASSERT_FALSE(resumed["notes"].empty());
  EXPECT_EQ(resumed["notes"][0], "resumed from the checkpoint at the end of epoch 2");
}

TEST(WeightSharingSearch, AnUnusableCheckpointLocationIsRefusedBeforeAnyData) {
  if (!NAS_WEIGHT_SHARING_BUILT) GTEST_SKIP() << "needs LibTorch";
  TempDir tmp("ws_checkpoint_location");
  // --data names no folder: a location that were checked only later would fail on the data instead.
  auto refused = [](const std::string& checkpoint, const std::string& fragment) {
    expect_clean_error("search --algo gdas --dataset cifar10 --data /nonexistent --checkpoint " + checkpoint, fragment);
  };
  refused(tmp.file("absent/search.pt"), "cannot write checkpoint " + tmp.file("absent/search.pt") + ": the folder " +
                                            tmp.file("absent") + " does not exist");
  refused(tmp.path(), "checkpoint " + tmp.path() + " is a directory, not a file");
  const std::string fifo = tmp.file("fifo.pt");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  refused(fifo, "checkpoint " + fifo + " exists and is not a regular file");  // and does not block on it
  refused("/dev/zero", "checkpoint /dev/zero");
}

TEST(WeightSharingSearch, SettingsOutOfRangeAreOneLineErrorsBeforeAnyData) {
  if (!NAS_WEIGHT_SHARING_BUILT) GTEST_SKIP() << "needs LibTorch";
  // --data names no folder: a setting that were checked only later would fail on the data instead.
  auto refused = [](const std::string& algo, const std::string& set, const std::string& fragment) {
    const std::string space = algo == "tas" || algo == "fbnet-v2" || algo == "tunas" ? "sss" : "tss";
    expect_clean_error("search --algo " + algo + " --space " + space + " --dataset cifar10 --data /nonexistent --set " + set,
                       "searcher " + algo + ": " + fragment);
  };
  refused("darts-v1", "w_momentum=-1", "w_momentum must be a finite number in [0, 1), got -1");
  refused("darts-v1", "w_momentum=2", "w_momentum must be a finite number in [0, 1), got 2");
  refused("darts-v1", "a_beta1=1", "a_beta1 must be a finite number in [0, 1), got 1");
  refused("darts-v1", "a_beta2=1.5", "a_beta2 must be a finite number in [0, 1), got 1.5");
  refused("darts-v1", "a_eps=0", "a_eps must be a finite number > 0, got 0");
  refused("darts-v1", "w_lr=.nan", "w_lr must be a finite number > 0, got nan");
  refused("darts-v1", "a_lr=.inf", "a_lr must be a finite number > 0, got inf");
  refused("darts-v1", "w_weight_decay=-1e-4", "w_weight_decay must be a finite number >= 0, got -0.0001");
  refused("darts-v1", "w_grad_clip=-1", "w_grad_clip must be a finite number >= 0, got -1");
  refused("darts-v1", "w_lr_min=0.1", "w_lr_min (0.1) must be at most w_lr (0.025)");
  refused("darts-v1", "batch_size=100000", "batch_size must be an integer in [1, 512], got 100000");
  refused("tas", "batch_size=513", "batch_size must be an integer in [1, 512], got 513");
  refused("darts-v1", "channels=64 --set batch_size=512",
          "batch_size * channels * cells_per_stage (512 * 64 * 5 = 163840) must be at most 40960");
  refused("darts-v1", "valid_batch_size=0", "valid_batch_size must be an integer in [1, 2048], got 0");
  refused("darts-v1", "epochs=0", "epochs must be an integer >= 1, got 0");
  refused("darts-v1", "max_valid_batches=-1", "max_valid_batches must be an integer >= 0, got -1");
  refused("darts-v1", "channels=1000", "channels must be an integer in [1, 64], got 1000");
  refused("darts-v2", "cells_per_stage=0", "cells_per_stage must be an integer in [1, 10], got 0");
  refused("gdas", "tau_min=20", "tau_min (20) must be at most tau_max (10)");
  refused("gdas", "tau_max=0", "tau_max must be a finite number > 0, got 0");
  refused("setn", "candidates=0", "candidates must be an integer in [1, 15625], got 0");
  refused("random-ws", "candidates=20000", "candidates must be an integer in [1, 15625], got 20000");
  refused("enas", "baseline_decay=1.5", "baseline_decay must be a finite number in [0, 1], got 1.5");
  refused("enas", "controller_eps=0", "controller_eps must be a finite number > 0, got 0");
  refused("enas", "controller_lr=-1", "controller_lr must be a finite number > 0, got -1");
  refused("enas", "entropy_weight=.inf", "entropy_weight must be a finite number, got inf");
  refused("enas", "controller_steps=0", "controller_steps must be an integer >= 1, got 0");
  refused("enas", "controller_samples_per_step=0", "controller_samples_per_step must be an integer >= 1, got 0");
  refused("enas", "controller_grad_clip=-1", "controller_grad_clip must be a finite number >= 0, got -1");
  refused("tas", "warmup_ratio=2", "warmup_ratio must be a finite number in [0, 1], got 2");
  refused("tas", "tau_min=20", "tau_min (20) must be at most tau_max (10)");
  refused("fbnet-v2", "tau_min=0", "tau_min must be a finite number > 0, got 0");
  refused("tunas", "baseline_momentum=1", "baseline_momentum must be a finite number in [0, 1), got 1");
  refused("tunas", "a_beta2=-0.5", "a_beta2 must be a finite number in [0, 1), got -0.5");
}

TEST(WeightSharingSearch, NasRunRefusesABadSettingBeforeAnyRun) {
  if (!NAS_WEIGHT_SHARING_BUILT) GTEST_SKIP() << "needs LibTorch";
  TempDir tmp("ws_run_settings");
  const std::string config = tmp.file("grid.yaml");
  write_text(config, "name: ws\nspaces: [tss]\ndatasets: [cifar10]\nseeds: [0]\ndata: /nonexistent\nalgorithms:\n"
                     "  - name: random\n  - {name: darts-v1, config: {w_momentum: 2}}\n");
  expect_clean_error("run " + config + " --out " + tmp.file("out"),
                     "algorithms[1]: searcher darts-v1: w_momentum must be a finite number in [0, 1), got 2");
  EXPECT_FALSE(std::filesystem::exists(tmp.file("out"))) << "nothing was run or written";
}

/// A CIFAR-100 folder (binary format) with `train` training and `test` test images, all black.
void write_tiny_cifar100(const std::string& folder, int train, int test) {
  std::filesystem::create_directories(folder);
  auto write = [](const std::string& path, int images) {
    std::string records;
    for (int i = 0; i < images; ++i) {
      records += static_cast<char>(i % 20);   // coarse label
      records += static_cast<char>(i % 100);  // fine label
      records += std::string(3 * 32 * 32, '\0');
    }
    write_text(path, records);
  };
  write(folder + "/train.bin", train);
  write(folder + "/test.bin", test);
}

TEST(WeightSharingSearch, BatchesLargerThanTheirSplitAreRefusedBeforeTraining) {
  if (!NAS_WEIGHT_SHARING_BUILT) GTEST_SKIP() << "needs LibTorch";
  TempDir tmp("ws_small_data");
  write_tiny_cifar100(tmp.file("cifar100"), 100, 20);  // valid split: half the test set, 10 images
  const std::string search = "search --algo darts-v1 --dataset cifar100 --data " + tmp.file("cifar100") +
                             " --torch-threads 1 --set epochs=1 --set max_batches_per_epoch=1 --set channels=4"
                             " --set cells_per_stage=1 ";
  expect_clean_error(search + "--set batch_size=101 --set valid_batch_size=10",
                     "batch_size 101 is larger than the training split (100 images)");
  expect_clean_error(search + "--set batch_size=100 --set valid_batch_size=11",
                     "valid_batch_size 11 is larger than the valid split (10 images)");
  json_of(nas(search + "--set batch_size=100 --set valid_batch_size=10 --json"));
}

TEST(Plugin, TheExamplePluginLoadsAndSearches) {
  const std::string plugin = std::string(" --plugin ") + NAS_LOCAL_SEARCH_PLUGIN;
  const auto list = json_of(nas("list --json" + plugin));
  bool found = false;
  for (const auto& a : list["algorithms"]) found = found || a["name"] == "local-search";
  EXPECT_TRUE(found);
  const auto row = json_of(nas("search --algo local-search --dataset cifar10 --budget-queries 300 --json" + plugin));
  EXPECT_EQ(row["queries"], 300);
  // Hill climbing from random starts finds better cells than the average random one.
  const auto many = json_of(nas("search --algo local-search --dataset cifar100 --runs 100 --json" + plugin));
  const auto random = json_of(nas("search --algo random --dataset cifar100 --runs 100 --json"));
  EXPECT_GT(many["mean_test_accuracy"].get<double>(), random["mean_test_accuracy"].get<double>() - 1.0);
}

TEST(Search, BadInputGivesOneErrorLine) {
  expect_clean_error("search --algo nope --dataset cifar10", "unknown algorithm 'nope'");
  expect_clean_error("search --algo rea --dataset cifar10 --set populaton=3", "unknown config key 'populaton'");
  expect_clean_error("search --algo rea --dataset cifar10 --set population=ten", "expects an int");
  expect_clean_error("search --algo rea --dataset cifar10 --set population=0", "population must be at least 1");
  expect_clean_error("search --algo rea --dataset cifar10 --set population", "--set expects key=value");
  expect_clean_error("search --algo rea --dataset cifar10 --budget-seconds 0", "needs a positive budget");
  expect_clean_error("search --algo rea --dataset cifar10 --budget-seconds -5", "'-5' is outside [0, 10000000]");
  expect_clean_error("search --algo rea --dataset cifar10 --budget-queries 0", "'0' is outside [1, 1000000]");
  expect_clean_error("search --algo rea --dataset cifar10 --plugin /nonexistent/libx.so", "No such file or directory");
  expect_clean_error(std::string("search --algo rea --dataset cifar10 --plugin ") + NAS_ALGORITHMS_LIBRARY, "is not a nas plugin");
  expect_clean_error(std::string("search --algo rea --dataset cifar10 --plugin ") + NAS_WRONG_VERSION_PLUGIN,
                     "plugin interface version 999");
  expect_clean_error(std::string("search --algo rea --dataset cifar10 --plugin ") + NAS_LOCAL_SEARCH_PLUGIN + " --plugin " +
                         NAS_LOCAL_SEARCH_PLUGIN,
                     "already exists");
}

// ---- nas run ------------------------------------------------------------------------------------------

std::string grid(int runs, const std::string& extra_algorithm = "") {
  return "name: test-grid\nspaces: [tss]\nbenchmarks: {tss: shipped}\ndatasets: [cifar10, cifar100]\nruns: " + std::to_string(runs) +
         "\nfirst_seed: 7\nbudget: nats\nalgorithms:\n  - name: random\n  - name: rea\n    config: {population: 10}\n" +
         "  - name: reinforce\n" + extra_algorithm;
}

TEST(Run, KilledWithSigkillAndResumedGivesTheUninterruptedResults) {
  TempDir tmp("run_resume");
  const std::string config = tmp.file("grid.yaml");
  write_text(config, grid(400));
  const auto reference = json_of(nas("run " + config + " --out " + tmp.file("reference") + " --threads 2"));
  EXPECT_EQ(reference["total_runs"], 2400);
  EXPECT_EQ(reference["executed"], 2400);

  // Start the same experiment, kill -9 it as soon as some runs are stored, then resume.
  const std::string out = tmp.file("interrupted");
  ASSERT_TRUE(nas::test::run_killed_after_first_stored_run(config, out)) << "the run finished before it could be killed";
  const long after_kill = count_runs(out);
  EXPECT_GT(after_kill, 0);
  EXPECT_LT(after_kill, 2400);

  const auto resumed = json_of(nas("run " + config + " --out " + out + " --threads 2"));
  EXPECT_EQ(resumed["already_done"].get<long>(), after_kill);
  EXPECT_EQ(resumed["executed"].get<long>(), 2400 - after_kill);
  EXPECT_EQ(count_runs(out), 2400);
  EXPECT_EQ(dump_results(out), dump_results(tmp.file("reference"))) << "no run lost, none duplicated, identical values";

  // Running a finished experiment again does nothing.
  const auto again = json_of(nas("run " + config + " --out " + out));
  EXPECT_EQ(again["executed"], 0);
}

TEST(Run, ADifferentConfigInTheSameDirectoryIsRefusedAndResultsStayUntouched) {
  TempDir tmp("run_mismatch");
  const std::string config = tmp.file("grid.yaml");
  write_text(config, grid(3));
  json_of(nas("run " + config + " --out " + tmp.file("out")));
  const std::string before = dump_results(tmp.file("out"));
  const std::string other = tmp.file("other.yaml");
  write_text(other, grid(4));
  expect_clean_error("run " + other + " --out " + tmp.file("out"), "holds results of a different experiment config");
  EXPECT_EQ(dump_results(tmp.file("out")), before);
}

TEST(Run, PluginsRunInsideTheGrid) {
  TempDir tmp("run_plugin");
  const std::string config = tmp.file("grid.yaml");
  write_text(config, std::string("name: p\nspaces: [tss]\ndatasets: [cifar10]\nruns: 4\nbudget: {queries: 50}\nplugins: [") +
                         NAS_LOCAL_SEARCH_PLUGIN + "]\nalgorithms:\n  - name: local-search\n  - name: rea\n");
  const auto report = json_of(nas("run " + config + " --out " + tmp.file("out")));
  EXPECT_EQ(report["executed"], 8);
}

TEST(Run, BadExperimentFilesGiveOneErrorLine) {
  TempDir tmp("run_bad");
  auto check = [&](const std::string& text, const std::string& fragment) {
    const std::string path = tmp.file("bad.yaml");
    write_text(path, text);
    expect_clean_error("run " + path + " --out " + tmp.file("out"), fragment);
  };
  check(grid(2) + "colour: blue\n", "unknown key 'colour'");
  check("name: x\nspaces: [tss]\ndatasets: [cifar10]\nruns: two\nalgorithms: [{name: rea}]\n", "runs must be a positive integer");
  check("name: x\nspaces: [tss]\ndatasets: [cifar10]\nruns: 0\nalgorithms: [{name: rea}]\n", "runs must be a positive integer");
  check("name: x\nspaces: [tss]\ndatasets: [cifar10]\nruns: 2\nalgorithms: [{name: nope}]\n", "unknown algorithm 'nope'");
  check("name: x\nspaces: [tss]\ndatasets: [cifar10]\nruns: 2\nalgorithms: [{name: rea, config: {populaton: 3}}]\n",
        "unknown config key 'populaton'");
  check("name: x\nspaces: [tss]\ndatasets: [cifar10]\nruns: 2\nbudget: {seconds: -1}\nalgorithms: [{name: rea}]\n",
        "budget.seconds: the seconds budget must be a finite positive number");
  check("name: x\nspaces: [tss]\ndatasets: [mnist]\nruns: 2\nalgorithms: [{name: rea}]\n", "unknown dataset 'mnist'");
  check("name: x\nspaces: [tss\n", "invalid YAML");
  expect_clean_error("run " + tmp.file("absent.yaml") + " --out " + tmp.file("out"), "cannot read experiment file");
}

}  // namespace

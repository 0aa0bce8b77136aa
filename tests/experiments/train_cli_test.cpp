// `nas train` end to end on real CIFAR-10 (tiny settings): the record, its import as a store that
// `nas bench info` queries, the comparison with the benchmark, progress, resumption, bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_support.h"

namespace {

using nas::test::expect_clean_error;
using nas::test::json_of;
using nas::test::nas;
using nas::test::TempDir;

std::string cifar10_images() { return std::string(NAS_SHARED_DATA) + "/cifar10"; }

/// tss arch 11 on cifar10-valid with NATS-Bench's 12-epoch protocol, each epoch cut to one step of
/// 8 images and each evaluation to one batch of 32.
std::string tiny_train(const std::string& out, const std::string& extra = "") {
  return "train --space tss --index 11 --dataset cifar10-valid --data " + cifar10_images() +
         " --torch-threads 1 --set batch_size=8 --set max_batches_per_epoch=1 --set eval_batch_size=32"
         " --set max_eval_batches=1 --out " + out + " " + extra;
}

TEST(Train, WritesARecordThatImportsAsAStoreAndComparesWithTheBenchmark) {
  if (!NAS_WEIGHT_SHARING_BUILT) GTEST_SKIP() << "built without LibTorch";
  TempDir dir("train_cli");
  const auto row = json_of(nas(tiny_train(dir.file("t.json"), "--compare --json --quiet")));
  EXPECT_EQ(row["index"], 11);
  EXPECT_EQ(row["hp"], 12);
  EXPECT_EQ(row["seed"], 777);
  EXPECT_EQ(row["protocol"]["protocol"], "nats-bench");
  EXPECT_EQ(row["protocol"]["lr"], "0.1");
  EXPECT_TRUE(row["final"].contains("x-valid"));
  EXPECT_TRUE(row["final"].contains("ori-test"));
  EXPECT_EQ(row["final"]["x-valid"]["epoch"], 11);
  EXPECT_EQ(row["provenance"]["data_checksum"].get<std::string>().size(), 16u);
  // The shipped tss store holds the seed-mean of arch 11 at hp 12: ours beside it.
  bool compared = false;
  for (const auto& r : row["compare"]["rows"]) {
    if (r["set"] == "x-valid" && r["quantity"] == "accuracy") {
      compared = true;
      EXPECT_FALSE(r["official"].empty()) << r;
    }
  }
  EXPECT_TRUE(compared) << row["compare"];

  const auto imported = json_of(nas("bench import trained --src " + dir.file("t.json") + " --out " + dir.file("t.nasbench")));
  EXPECT_EQ(imported["records"], 1);
  const auto info = json_of(nas("bench info --space tss --bench " + dir.file("t.nasbench") +
                                " --dataset cifar10-valid --index 11 --hp 12 --json"));
  EXPECT_DOUBLE_EQ(info["valid_accuracy"].get<double>(), row["final"]["x-valid"]["accuracy"].get<double>()) << info;

  // A finished record is never overwritten.
  expect_clean_error(tiny_train(dir.file("t.json")), "exists: nas train does not overwrite a finished record");
}

TEST(Train, ShowsProgressUnlessQuietAndResumesFromItsCheckpoint) {
  if (!NAS_WEIGHT_SHARING_BUILT) GTEST_SKIP() << "built without LibTorch";
  TempDir dir("train_resume");
  const auto loud = nas(tiny_train(dir.file("a.json"), "--set epochs=2 --json"));
  ASSERT_EQ(loud.exit_code, 0) << loud.err;
  EXPECT_NE(loud.err.find("progress: tss arch 11 seed 777: epoch 1/2 batch 1/1 loss"), std::string::npos) << loud.err;
  EXPECT_NE(loud.err.find("epoch 2/2 done in"), std::string::npos) << loud.err;
  EXPECT_NE(loud.err.find("x-valid"), std::string::npos) << loud.err;

  // A run with a checkpoint whose record was lost (as after a kill at the end) resumes from the
  // checkpoint's last epoch and writes the same values.
  const std::string checkpoint = dir.file("c.pt");
  const auto first = json_of(nas(tiny_train(dir.file("b.json"), "--set epochs=2 --quiet --json --checkpoint " + checkpoint)));
  std::filesystem::remove(dir.file("b.json"));
  const auto again = json_of(nas(tiny_train(dir.file("b.json"), "--set epochs=2 --quiet --json --checkpoint " + checkpoint)));
  EXPECT_EQ(again["provenance"]["resumed_at_epoch"], 2);
  EXPECT_EQ(again["final"], first["final"]);
  // Another seed with that checkpoint is refused before any training.
  expect_clean_error(tiny_train(dir.file("c.json"), "--set epochs=2 --seed 888 --checkpoint " + checkpoint),
                     "another run wrote it (seed: 777 in the checkpoint, 888 in this run)");
}

// kill -9 as soon as the first checkpoint exists, then the same command again: it resumes from the
// checkpoint and ends with the values of an uninterrupted run.
TEST(Train, KilledAndRerunItEndsAsAnUninterruptedRun) {
  if (!NAS_WEIGHT_SHARING_BUILT) GTEST_SKIP() << "built without LibTorch";
  TempDir dir("train_kill");
  const std::string settings = "--set epochs=6 --set max_batches_per_epoch=3 --quiet --json";
  const auto whole = json_of(nas(tiny_train(dir.file("whole.json"), settings)));
  const std::string checkpoint = dir.file("k.pt");
  const std::string command = std::string(NAS_EXECUTABLE) + " " + tiny_train(dir.file("k.json"), settings + " --checkpoint " + checkpoint);
  const auto killed = nas::test::shell(command + " > /dev/null & pid=$!; while [ ! -f " + checkpoint +
                                       " ] && kill -0 $pid 2>/dev/null; do sleep 0.02; done; kill -9 $pid; wait $pid; echo $?");
  const bool was_killed = killed.out.find("137") != std::string::npos;
  if (was_killed) {
    EXPECT_FALSE(std::filesystem::exists(dir.file("k.json")));
  } else {
    std::filesystem::remove(dir.file("k.json"));  // it finished first: resuming reads the last checkpoint
  }
  const auto resumed = json_of(nas(tiny_train(dir.file("k.json"), settings + " --checkpoint " + checkpoint)));
  EXPECT_GT(resumed["provenance"]["resumed_at_epoch"].get<int>(), 0);
  EXPECT_EQ(resumed["final"], whole["final"]);
  const auto a = nlohmann::json::parse(std::ifstream(dir.file("whole.json")));
  const auto b = nlohmann::json::parse(std::ifstream(dir.file("k.json")));
  for (std::size_t e = 0; e < 6; ++e) {
    for (const char* set : {"train", "x-valid", "ori-test"}) {
      EXPECT_EQ(a["epochs"][e][set]["loss"], b["epochs"][e][set]["loss"]) << set << " epoch " << e;
      EXPECT_EQ(a["epochs"][e][set]["accuracy"], b["epochs"][e][set]["accuracy"]) << set << " epoch " << e;
    }
  }
}

TEST(Train, RefusesBadInputWithOneErrorLineBeforeTraining) {
  if (!NAS_WEIGHT_SHARING_BUILT) GTEST_SKIP() << "built without LibTorch";
  TempDir dir("train_errors");
  const std::string data = " --data " + cifar10_images() + " --out " + dir.file("r.json");
  expect_clean_error("train --space tss --arch '|bogus~0|' --dataset cifar10" + data, "error: ");
  expect_clean_error("train --space tss --index 15625 --dataset cifar10" + data, "outside the tss space");
  expect_clean_error("train --space macro --index 0 --dataset cifar100" + data, "cifar100");
  expect_clean_error("train --space tss --index 0 --dataset cifar10 --hp 13" + data, "hp 13: the tss benchmark trained its records for 12, 200 epochs");
  expect_clean_error("train --space tss --index 0 --dataset cifar10 --set learning_rate=1" + data, "unknown protocol field 'learning_rate'");
  expect_clean_error("train --space tss --index 0 --dataset cifar10 --seed 0" + data, "seeds of the tss space start at 1");
  expect_clean_error("train --space tss --index 0 --dataset cifar10 --device tpu" + data, "tpu");
  expect_clean_error("train --space tss --index 0 --dataset cifar10 --data " + dir.path() + " --out " + dir.file("r.json"),
                     dir.path());
  expect_clean_error("train --space tss --index 0 --dataset cifar10 --data " + cifar10_images() + " --out /nonexistent/r.json",
                     "/nonexistent");
  // Damaged image data: the file is named.
  TempDir broken("train_broken_data");
  for (const char* name : {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin",
                           "test_batch.bin"}) {
    std::filesystem::copy_file(cifar10_images() + "/" + name, broken.file(name));
  }
  std::filesystem::resize_file(broken.file("data_batch_3.bin"), 3073 * 100 + 5);
  expect_clean_error("train --space tss --index 0 --dataset cifar10 --torch-threads 1 --data " + broken.path() + " --out " +
                         dir.file("r.json"),
                     "data_batch_3.bin");
  EXPECT_FALSE(std::filesystem::exists(dir.file("r.json")));
  expect_clean_error("bench import trained --src " + dir.path() + " --out " + dir.file("x.nasbench"), "holds no *.json trial records");
  std::ofstream(dir.file("bad.json")) << "{\"format\": \"nas-trial-record\", \"version\": 1}";
  expect_clean_error("bench import trained --src " + dir.file("bad.json") + " --out " + dir.file("x.nasbench"), "bad.json: ");
}

}  // namespace

// ---- nas bench generate / collect, nas run --shard / --merge -------------------------------------------

namespace {

std::string tiny_generate(const std::string& workdir, const std::string& extra = "") {
  return "bench generate --space tss --archs 0,11 --seeds 777,888 --hp 12 --datasets cifar10-valid --data " + cifar10_images() +
         " --torch-threads 1 --set batch_size=8 --set max_batches_per_epoch=1 --set eval_batch_size=16"
         " --set max_eval_batches=1 --quiet --out " + workdir + " " + extra;
}

TEST(Generate, ShardsRecordsAndCollectGiveTheStoreOfOneRun) {
  if (!NAS_WEIGHT_SHARING_BUILT) GTEST_SKIP() << "built without LibTorch";
  TempDir dir("generate");
  const auto first = json_of(nas(tiny_generate(dir.file("w"), "--shard 1/2")));
  EXPECT_EQ(first["items"], 4);
  EXPECT_EQ(first["shard_items"], 2);
  EXPECT_EQ(first["trained"], 2);
  const auto partial = json_of(nas("bench collect " + dir.file("w") + " --out " + dir.file("half.nasbench")));
  EXPECT_EQ(partial["found"], 2);
  EXPECT_EQ(partial["missing_count"], 2);
  EXPECT_EQ(partial["missing"][0], "000000-cifar10-valid-12-888");
  // The rest: shard 1's items are skipped, shard 2's trained.
  const auto rest = json_of(nas(tiny_generate(dir.file("w"))));
  EXPECT_EQ(rest["already_done"], 2);
  EXPECT_EQ(rest["trained"], 2);
  const auto all = json_of(nas("bench collect " + dir.file("w") + " --out " + dir.file("all.nasbench")));
  EXPECT_EQ(all["coverage"], 1.0);
  const auto info = json_of(nas("bench info --space tss --bench " + dir.file("all.nasbench") +
                                " --dataset cifar10-valid --hp 12 --index 11 --seed 888 --json"));
  const auto record = nlohmann::json::parse(std::ifstream(dir.file("w/records/000011-cifar10-valid-12-888.json")));
  EXPECT_EQ(info["valid_accuracy"], record["epochs"][11]["x-valid"]["accuracy"]);
  // Same seed, same record: the same item trained in another folder gives the same values.
  json_of(nas(tiny_generate(dir.file("v"), "--shard 2/2")));
  const auto again = nlohmann::json::parse(std::ifstream(dir.file("v/records/000011-cifar10-valid-12-888.json")));
  EXPECT_EQ(again["epochs"][11]["x-valid"]["accuracy"], record["epochs"][11]["x-valid"]["accuracy"]);
  EXPECT_EQ(again["epochs"][11]["x-valid"]["loss"], record["epochs"][11]["x-valid"]["loss"]);
}

TEST(Generate, RefusesForeignFoldersPartialRecordsAndAMissingSbatch) {
  if (!NAS_WEIGHT_SHARING_BUILT) GTEST_SKIP() << "built without LibTorch";
  TempDir dir("generate_errors");
  json_of(nas(tiny_generate(dir.file("w"), "--shard 1/4")));
  expect_clean_error("bench generate --space tss --archs 0,12 --seeds 777,888 --hp 12 --datasets cifar10-valid --data " +
                         cifar10_images() + " --out " + dir.file("w"),
                     "is the work folder of another generation (archs: [0,11] there, [0,12] here)");
  expect_clean_error(tiny_generate(dir.file("x"), "--shard 3/2"), "--shard '3/2' is not K/N");
  expect_clean_error("bench generate --space tss --archs 0-15625 --data " + cifar10_images() + " --out " + dir.file("x"),
                     "--archs '0-15625': 15625 is outside the tss space");
  // A damaged record is named, and nothing is trained or overwritten.
  const std::string record = dir.file("w/records/000000-cifar10-valid-12-777.json");
  std::filesystem::resize_file(record, 100);
  expect_clean_error(tiny_generate(dir.file("w")), record);
  expect_clean_error("bench collect " + dir.file("w") + " --out " + dir.file("s.nasbench"), record);
  EXPECT_EQ(std::filesystem::file_size(record), 100u);
  EXPECT_FALSE(std::filesystem::exists(dir.file("s.nasbench")));
  // --slurm where sbatch is missing.
  const auto run = nas::test::shell("PATH=/nonexistent " + std::string(NAS_EXECUTABLE) + " bench generate --space tss --archs 0 --data " +
                                    cifar10_images() + " --out " + dir.file("y") + " --slurm --tasks 2");
  expect_clean_error(run, "--slurm without sbatch", "--slurm needs sbatch, which is not on PATH");
}

TEST(RunShards, MergedShardsEqualOneRunAndShardsOfAnotherConfigAreRefused) {
  TempDir dir("run_shards");
  const std::string grid = dir.file("grid.yaml");
  auto write_grid = [&](const std::string& path, int runs) {
    std::ofstream(path) << "name: shard-test\nspaces: [tss]\nbenchmarks: {tss: shipped}\ndatasets: [cifar10, cifar100]\nruns: " << runs
                        << "\nfirst_seed: 0\nalgorithms:\n  - name: rea\n  - name: random\n";
  };
  write_grid(grid, 3);
  json_of(nas("run " + grid + " --out " + dir.file("one") + " --quiet"));
  for (int k = 1; k <= 3; ++k) {
    const auto shard = json_of(nas("run " + grid + " --out " + dir.file("sharded") + " --shard " + std::to_string(k) + "/3 --quiet"));
    EXPECT_EQ(shard["total_runs"], 4);
  }
  const auto merged = json_of(nas("run --out " + dir.file("sharded") + " --merge"));
  EXPECT_EQ(merged["runs_added"], 12);
  EXPECT_EQ(json_of(nas("run --out " + dir.file("sharded") + " --merge"))["runs_added"], 0);
  const auto a = json_of(nas("report " + dir.file("one") + " --json"));
  const auto b = json_of(nas("report " + dir.file("sharded") + " --json"));
  EXPECT_EQ(a["runs"], b["runs"]);
  EXPECT_EQ(a["results"], b["results"]);
  EXPECT_EQ(a["anytime"], b["anytime"]);
  // A shard of another config among them: refused, and nothing is merged.
  const std::string other = dir.file("other.yaml");
  write_grid(other, 4);
  json_of(nas("run " + other + " --out " + dir.file("mixed") + " --shard 1/2 --quiet"));
  json_of(nas("run " + grid + " --out " + dir.file("mixed") + " --shard 2/2 --quiet"));
  expect_clean_error("run --out " + dir.file("mixed") + " --merge", "they hold results of different experiments");
  EXPECT_FALSE(std::filesystem::exists(dir.file("mixed/results.sqlite")));
}

}  // namespace

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
  EXPECT_EQ(row["protocol"]["lr"], "0.10000000000000001");
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

// `nas bench export --format nni` and `nas bench import nni`: the JSON line, the round trip through
// the program, and the rule for bad input (one `error:` line, non-zero exit, no output file).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_support.h"

namespace {

namespace fs = std::filesystem;

using nas::test::expect_clean_error;
using nas::test::json_of;
using nas::test::nas;
using nas::test::TempDir;

TEST(NniCli, OfficialRecordsRoundTripThroughNnisDatabase) {
  const TempDir dir("nni_cli");
  const std::string store = dir.file("tss.nasbench"), db = dir.file("nb201.db"), back = dir.file("back.nasbench");
  json_of(nas(std::string("bench import nats --src ") + NAS_SHARED_DATA + "/natsbench_fixtures/NATS-tss-v1_0-3ffb9-simple --out " + store));
  const auto exported = json_of(nas("bench export --format nni --space tss --bench " + store + " --out " + db));
  EXPECT_EQ(exported["space"], "tss");
  EXPECT_EQ(exported["configs"], 125000);
  EXPECT_EQ(exported["trials"], 51);
  EXPECT_EQ(exported["out"], db);
  const auto run = nas("bench import nni --src " + db + " --out " + back);
  EXPECT_NE(run.err.find("rows read"), std::string::npos) << "progress on stderr: " << run.err;
  const auto imported = json_of(run);
  EXPECT_EQ(imported["space"], "tss");
  EXPECT_EQ(imported["trials"], 51);
  EXPECT_EQ(imported["intermediates"], exported["intermediates"]);
  // NNI's tutorial trial, served from the imported store: cifar100's test = x-test.
  const auto row = json_of(nas("bench info --space tss --dataset cifar100 --index 0 --seed 999 --bench " + back + " --json"));
  EXPECT_EQ(row["test_accuracy"], 53.07999995117188);
  EXPECT_EQ(row["train_accuracy"], 57.82);
}

TEST(NniCli, BadUseAndBadInputAreOneErrorLine) {
  const TempDir dir("nni_cli_bad");
  expect_clean_error("bench export --format nni --space tss", "give --out FILE.db");
  expect_clean_error("bench export --format jsonl --space tss --out " + dir.file("x.jsonl"), "--out is for --format nni");
  expect_clean_error("bench export --format nni --space tss --out " + dir.file("shipped.db"), "has no train accuracy");
  expect_clean_error("bench export --format nni --space nb101 --out " + dir.file("partial.db"), "one repeat of unknown position");
  expect_clean_error("bench export --format nni --space sss --out " + dir.file("sss.db"), "not of space sss");
  { std::ofstream(dir.file("text.db")) << "not a database\n"; }
  expect_clean_error("bench import nni --src " + dir.file("text.db") + " --out " + dir.file("out.nasbench"), "not an SQLite database");
  for (const auto& entry : fs::directory_iterator(dir.path())) EXPECT_EQ(entry.path().filename(), "text.db") << "left behind";
}

}  // namespace

// The `nas` command line: the JSON contract later issues and users' scripts rely on, and the rule
// that bad input gives exactly one `error:` line on stderr, a non-zero exit and no output.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli_support.h"
#include "nb101_tfrecord_writer.h"
#include "synthetic_nb101.h"

namespace {

namespace fs = std::filesystem;

using nas::test::CommandResult;
using nas::test::expect_clean_error;
using nas::test::json_of;
using nas::test::nas;


const char* kResNet = "'|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|'";

TEST(Cli, InfoByIndexGivesTheContractKeys) {
  const auto row = json_of(nas("bench info --space tss --dataset cifar10 --index 6111 --hp 200 --json"));
  for (const char* key : {"index", "arch", "dataset", "hp", "test_accuracy", "valid_accuracy", "params_m", "flops_m",
                          "latency_s", "train_time_per_epoch_s", "time_estimated"}) {
    EXPECT_TRUE(row.contains(key)) << key;
  }
  EXPECT_EQ(row["index"], 6111);
  EXPECT_NEAR(row["test_accuracy"].get<double>(), 94.373, 5e-4);
  EXPECT_TRUE(row["latency_s"].is_null());
  EXPECT_TRUE(row["time_estimated"].get<bool>());
  EXPECT_EQ(row["params_m"], 1.073466);
}

TEST(Cli, InfoByArchStringFindsTheResNetCell) {
  const auto row = json_of(nas(std::string("bench info --space tss --dataset cifar100 --arch ") + kResNet + " --json"));
  EXPECT_EQ(row["index"], 11472);
  EXPECT_NEAR(row["test_accuracy"].get<double>(), 70.89, 1e-6);
  const auto seed_row = json_of(nas("bench info --dataset cifar10 --index 0 --seed 0 --json"));
  EXPECT_EQ(seed_row["test_accuracy"], 86.18);
  EXPECT_EQ(seed_row["trial"], 0);
}

TEST(Cli, BestFindsTheKnownOptima) {
  const struct {
    const char* dataset;
    int index;
    double value;
  } expected[] = {{"cifar10", 6111, 94.37}, {"cifar100", 9930, 73.51}, {"ImageNet16-120", 857, 47.31}};
  for (const auto& e : expected) {
    const auto row = json_of(nas(std::string("bench best --space tss --dataset ") + e.dataset + " --metric test_accuracy --json"));
    EXPECT_EQ(row["index"], e.index) << e.dataset;
    EXPECT_NEAR(row["value"].get<double>(), e.value, 0.005) << e.dataset;
  }
}

TEST(Cli, ExportWritesEveryArchOnce) {
  const CommandResult jsonl = nas("bench export --space tss --dataset cifar10 --format jsonl");
  ASSERT_EQ(jsonl.exit_code, 0) << jsonl.err;
  std::istringstream lines(jsonl.out);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    const auto row = nlohmann::json::parse(line);
    ASSERT_EQ(row["index"], count);
  }
  EXPECT_EQ(count, 15625);

  const CommandResult csv = nas("bench export --space tss --dataset ImageNet16-120 --hp 12 --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  std::istringstream csv_lines(csv.out);
  std::string header;
  std::getline(csv_lines, header);
  EXPECT_EQ(header.rfind("space,index,arch,dataset,hp,", 0), 0u) << header;
  int rows = 0;
  for (std::string line; std::getline(csv_lines, line);) ++rows;
  EXPECT_EQ(rows, 15625);
}

TEST(Cli, VersionAndList) {
  const CommandResult version = nas("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("nas ", 0), 0u) << version.out;
  const auto list = json_of(nas("list --json"));
  EXPECT_EQ(list["search_spaces"][0]["name"], "tss");
  EXPECT_EQ(list["search_spaces"][0]["archs"], 15625);
  EXPECT_EQ(list["search_spaces"][1]["archs"], 32768);
  EXPECT_EQ(list["datasets"].size(), 4u);
  EXPECT_TRUE(list["benchmarks"][0]["present"].get<bool>());
}


TEST(Cli, BadInputGivesOneErrorLine) {
  expect_clean_error("bench info --dataset cifar11 --index 0 --json", "unknown dataset 'cifar11'");
  expect_clean_error("bench info --space xyz --dataset cifar10 --index 0", "unknown search space 'xyz'");
  expect_clean_error("bench info --dataset cifar10 --index 15625", "out of range");
  expect_clean_error("bench info --dataset cifar10 --index -1", "out of range");
  expect_clean_error("bench info --dataset cifar10 --index abc", "error: ");
  expect_clean_error("bench info --dataset cifar10 --arch '|nor_conv_3x3~0|+|none~0|' --json", "malformed topology arch string");
  expect_clean_error("bench info --dataset cifar10 --arch '|conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|'", "unknown operation");
  expect_clean_error("bench info --space sss --dataset cifar10 --arch 8:8:8:8:9", "not a candidate");
  expect_clean_error("bench info --dataset cifar10 --index 0 --hp 50", "hp 50 is not in this benchmark");
  expect_clean_error("bench info --dataset cifar10 --index 0 --seed 777", "no trial with seed 777");
  expect_clean_error("bench info --dataset cifar10", "give --index, --arch or --hash");
  expect_clean_error("bench info --dataset cifar10 --index 0 --bench /nonexistent.nasbench", "cannot read benchmark store");
  expect_clean_error("bench info --dataset cifar10 --index 0 --bench " + std::string(NAS_BINARY_DIR) + "/CMakeCache.txt",
                     "not a nas benchmark store");
  expect_clean_error("bench best --dataset cifar10 --metric train_loss", "error: ");
  expect_clean_error("bench best --dataset cifar10 --metric valid_accuracy --hp 200", "no arch has validation accuracy");
  expect_clean_error("bench export --dataset cifar10 --format xml", "error: ");
  expect_clean_error("bench import nats --src /nonexistent --out /tmp/x.nasbench", "not a directory");
  expect_clean_error("bench frobnicate", "error: ");
}

TEST(Cli, TruncatedStoreIsReportedNotCrashedOn) {
  const std::string source = std::string(NAS_SOURCE_DIR) + "/benchmark_api/data/nats-sss-v1_0-fixtures.nasbench";
  std::ifstream in(source, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 1000u);
  const std::string truncated = (fs::temp_directory_path() / "nas_cli_truncated.nasbench").string();
  std::ofstream(truncated, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  expect_clean_error("bench info --space sss --dataset cifar10 --index 0 --bench " + truncated, "truncated");
  fs::remove(truncated);
}

TEST(Cli, ImportThenQueryTheOfficialSizeRecords) {
  const std::string out = (fs::temp_directory_path() / ("nas_cli_sss_" + std::to_string(::getpid()) + ".nasbench")).string();
  const auto report = json_of(nas(std::string("bench import nats --src ") + NAS_SHARED_DATA +
                                  "/natsbench_fixtures/NATS-sss-v1_0-50262-simple --out " + out));
  EXPECT_EQ(report["archs"], 3);
  const auto row = json_of(nas("bench info --space sss --dataset cifar10 --arch 8:8:40:32:40 --bench " + out + " --json"));
  EXPECT_EQ(row["index"], 284);
  EXPECT_EQ(row["test_accuracy"], 89.51);
  EXPECT_EQ(row["params_m"], 0.144834);
  EXPECT_FALSE(row["time_estimated"].get<bool>());
  fs::remove(out);
}

// ---- NAS-Bench-101 ------------------------------------------------------------------------------

TEST(Cli, Nb101InfoByHashAnswersFromTheShippedPartialStore) {
  const auto row = json_of(nas("bench info --space nb101 --hash 00005c142e6f48ac74fdcf73e3439874 --hp 108 --json"));
  EXPECT_EQ(row["space"], "nb101");
  EXPECT_EQ(row["dataset"], "cifar10") << "the space's only dataset is the default";
  EXPECT_EQ(row["hash"], "00005c142e6f48ac74fdcf73e3439874");
  EXPECT_EQ(row["arch"], "in,c3,mp,c3,c3,c1,out:0-1,0-4,0-5,1-2,2-3,2-6,3-5,4-5,5-6");
  EXPECT_EQ(row["hp"], 108);
  EXPECT_EQ(row["valid_accuracy"], 100.0 * 0.9304887652397156);
  EXPECT_TRUE(row["test_accuracy"].is_null());
  EXPECT_EQ(row["params_m"], 8.55553);
  EXPECT_NE(row["partial_store"].get<std::string>().find("11000 of 423624"), std::string::npos) << row;
  EXPECT_FALSE(row.contains("missing"));
  // The same cell by its text form, by nasbench's JSON form (unpruned, renumbered), and by index.
  const auto by_arch = json_of(nas("bench info --space nasbench101 --dataset cifar10 --json --arch " + row["arch"].get<std::string>()));
  EXPECT_EQ(by_arch, row);
  // Vertices 3 and 4 swapped, and a dead-end max pool (vertex 6) that pruning removes.
  const std::string json_form =
      R"('{"matrix": [[0,1,0,1,0,1,0,0],[0,0,1,0,0,0,0,0],[0,0,0,0,1,0,1,1],[0,0,0,0,0,1,0,0],[0,0,0,0,0,1,0,0],)"
      R"([0,0,0,0,0,0,0,1],[0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0]], "ops": ["input","conv3x3-bn-relu","maxpool3x3",)"
      R"("conv3x3-bn-relu","conv3x3-bn-relu","conv1x1-bn-relu","maxpool3x3","output"]}')";
  EXPECT_EQ(json_of(nas("bench info --space nb101 --json --arch " + json_form))["index"], row["index"]);
  EXPECT_EQ(json_of(nas("bench info --space nb101 --json --index " + row["index"].dump())), row);
}

TEST(Cli, OnlyAPartialStoreCarriesCoverageNotes) {
  for (const std::string hp : {"12", "200"}) {  // the shipped tss store has no 200-epoch validation accuracy
    const auto tss = json_of(nas("bench info --space tss --dataset cifar10 --index 5 --json --hp " + hp));
    EXPECT_FALSE(tss.contains("partial_store")) << tss;
    EXPECT_FALSE(tss.contains("missing")) << tss;
  }
  const auto sss = json_of(nas("bench info --space sss --dataset cifar10 --index 5 --json"));
  EXPECT_NE(sss["partial_store"].get<std::string>().find("records for 3 of 32768 archs"), std::string::npos) << sss;
  EXPECT_TRUE(sss.contains("missing"));
}

TEST(Cli, Nb101CellNotInThePartialStoreIsNullWithTheReason) {
  const auto row = json_of(nas("bench info --space nb101 --index 0 --json"));
  EXPECT_EQ(row["hash"], "043721b9c7fe8c5fad811d47d83132ec");
  EXPECT_TRUE(row["valid_accuracy"].is_null());
  EXPECT_NE(row["missing"].get<std::string>().find("no record in this partial store"), std::string::npos) << row;
  EXPECT_NE(row["partial_store"].get<std::string>().find("nasbench_only108.tfrecord"), std::string::npos) << row;
}

TEST(Cli, Nb101SearchesStopAtOnceOnThePartialStore) {
  for (const std::string algo : {"random", "rea", "reinforce", "bohb"}) {
    expect_clean_error("search --space nb101 --algo " + algo + " --dataset cifar10",
                       "11,000 of 423,624 archs; query-based searchers need all of them: the full data is the official "
                       "nasbench_only108.tfrecord");
  }
}

TEST(Cli, Nb101BadInputGivesOneErrorLine) {
  expect_clean_error("bench info --space nb101 --hash 00005c14", "malformed NAS-Bench-101 hash '00005c14' (expected 32 hex digits)");
  expect_clean_error("bench info --space nb101 --hash 00005c142e6f48ac74fdcf73e343987g", "malformed NAS-Bench-101 hash");
  expect_clean_error("bench info --space nb101 --hash ffffffffffffffffffffffffffffffff", "no NAS-Bench-101 cell has the hash");
  expect_clean_error("bench info --space tss --dataset cifar10 --hash 00005c142e6f48ac74fdcf73e3439874", "the tss space has no hashes");
  expect_clean_error("bench info --space nb101 --hash 00005c142e6f48ac74fdcf73e3439874 --index 3", "error: ");
  expect_clean_error("bench info --space nb101 --arch in,c5,out:0-1,1-2", "c5");
  expect_clean_error("bench info --space nb101 --arch '{\"matrix\": [[0,1],[1,0]], \"ops\": [\"input\", \"output\"]}'",
                     "triangular");
  expect_clean_error("bench info --space nb101 --arch '{\"matrix\": [[0,1],[0,0]], \"ops\": [\"input\", \"conv5x5\"]}'",
                     "conv5x5");
  expect_clean_error("bench info --space nb101 --arch in,c3,out:0-1", "is not reachable from the input");
  expect_clean_error("bench info --space nb101 --index 0 --hp 200", "hp 200");
  expect_clean_error("bench info --space nb101 --dataset cifar100 --index 0", "the nb101 space has no dataset cifar100");
  expect_clean_error("bench info --space tss --index 0", "--dataset is required on the tss space (it has cifar10-valid, cifar10, cifar100, ImageNet16-120)");
  expect_clean_error("bench import nb101-vis --graphs /nonexistent.json --hashes /nonexistent.json --out /tmp/x.nasbench",
                     "/nonexistent.json");
}

TEST(Cli, ImportNb101PrintsOneJsonLineOrOneErrorLine) {
  nas::test::TempDir dir("cli_nb101_import");
  // Three cells, 108 epochs, one repeat, in the official format (tests/support/synthetic_nb101.h).
  std::string bytes;
  for (std::uint32_t index = 0; index < 3; ++index) bytes += nas::test::tfrecord_frame(nas::test::synthetic_nb101_record(index, 108, 1));
  std::ofstream(dir.file("three.tfrecord"), std::ios::binary) << bytes;
  const auto report = json_of(nas("bench import nb101 --src " + dir.file("three.tfrecord") + " --out " + dir.file("three.nasbench")));
  const nlohmann::json expected = {{"space", "nb101"}, {"records", 3},   {"cells", 3},
                                   {"schedules", {108}}, {"repeats", 1}, {"out", dir.file("three.nasbench")}};
  EXPECT_EQ(report, expected);
  const auto row = json_of(nas("bench info --space nb101 --index 2 --seed 1 --bench " + dir.file("three.nasbench") + " --json"));
  EXPECT_EQ(row["valid_accuracy"], 100.0 * nas::test::synthetic_nb101_run(2, 108, 1).evaluations[2].validation_accuracy);

  const std::size_t second = nas::test::tfrecord_frame(nas::test::synthetic_nb101_record(0, 108, 1)).size();
  bytes[second + 40] ^= 0x04;
  std::ofstream(dir.file("damaged.tfrecord"), std::ios::binary) << bytes;
  const std::string args = "bench import nb101 --src " + dir.file("damaged.tfrecord") + " --out " + dir.file("damaged.nasbench");
  expect_clean_error(args, dir.file("damaged.tfrecord") + ": record 1 (0-based, at byte " + std::to_string(second) + "): bad data CRC");
  EXPECT_FALSE(fs::exists(dir.file("damaged.nasbench")));
  expect_clean_error("bench import nb101 --src " + dir.file("absent.tfrecord") + " --out " + dir.file("x.nasbench"), "absent.tfrecord");
}

}  // namespace

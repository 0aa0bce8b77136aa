// The `nas` program under hostile and careless input: damaged stores, two runs on one folder,
// paths from user text, failed writes, damaged plugins, unbounded budgets, inputs that are not
// regular files, values that silently meant something else, and messages that were not one line.
// Every case is CLI-level: what a user sees (one `error:` line, a non-zero exit, nothing on stdout
// and nothing left behind) is what is checked.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli_support.h"
#include "store_image.h"

namespace {

namespace fs = std::filesystem;

using nas::test::CommandResult;
using nas::test::expect_clean_error;
using nas::test::json_of;
using nas::test::nas;
using nas::test::shell;
using nas::test::TempDir;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string shipped_tss() { return std::string(NAS_SOURCE_DIR) + "/benchmark_api/data/nats-tss-v1_0-shipped.nasbench"; }
std::string nas_exe() { return NAS_EXECUTABLE; }

/// Files in `dir` whose name contains ".tmp" or ".partial" (what a failed write must not leave).
std::vector<std::string> leftovers(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".tmp") != std::string::npos || name.find(".partial") != std::string::npos) found.push_back(name);
  }
  return found;
}

// A small grid: two query-based searchers, 20 runs each, on the shipped tss store.
const char* kSmallGrid =
    "name: small\nspaces: [tss]\ndatasets: [cifar10]\nruns: 20\nalgorithms: [{name: random}, {name: rea}]\n";

/// The rows of a read-only query on an SQLite file, one line each, fields joined by '|'.
std::string query_text(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
          const auto* text = sqlite3_column_text(stmt, c);
          out += (c ? "|" : "") + std::string(text ? reinterpret_cast<const char*>(text) : "");
        }
        out += "\n";
      }
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return out;
}

/// Runs in a results store (0 if it has none or does not exist).
int count_runs(const std::string& path) {
  if (!fs::exists(path)) return 0;
  const std::string count = query_text(path, "SELECT count(*) FROM runs");
  return count.empty() ? 0 : std::stoi(count);
}

// ---- 1. A damaged store is never served ------------------------------------------------------------

/// The shipped store with one float of a column read by every info, export, search and run on
/// cifar10 changed (cifar10's training time per epoch, hp 12), all checksums left as they were.
std::string damaged_copy(const TempDir& dir) {
  std::string bytes = read_text(shipped_tss());
  std::size_t entry = 0;
  for (std::size_t i = 0; entry == 0; ++i) {
    const std::size_t at = nas::test::store_image::entry_offset(bytes, i);
    if (at == 0) {
      ADD_FAILURE() << "no cifar10 training-time column";
      return shipped_tss();
    }
    if (bytes[at] == 1 && bytes[at + 1] == 0 && bytes[at + 2] == 3) entry = at;  // cifar10, train, time
  }
  const auto values = nas::test::store_image::read<std::uint64_t>(bytes, entry + 32);
  double value = 0;
  std::memcpy(&value, bytes.data() + values + 8 * 6111, sizeof value);
  value += 1.0;
  std::memcpy(bytes.data() + values + 8 * 6111, &value, sizeof value);
  const std::string path = dir.file("damaged.nasbench");
  write_text(path, bytes);
  return path;
}

TEST(DamagedStore, EveryConsumerRefusesIt) {
  const TempDir dir("hardening_damaged");
  const std::string damaged = damaged_copy(dir);
  const std::string why = "fails its checksum";
  expect_clean_error("bench info --dataset cifar10 --index 6111 --bench " + damaged, why);
  expect_clean_error("bench info --dataset cifar10 --index 0 --bench " + damaged, why);
  expect_clean_error("bench export --dataset cifar10 --bench " + damaged, why);
  expect_clean_error("bench best --dataset cifar10 --max-flops 100 --bench " + damaged, why);
  expect_clean_error("bench verify --bench " + damaged, why);
  expect_clean_error("search --algo rea --dataset cifar10 --bench " + damaged, why);
  write_text(dir.file("grid.yaml"), std::string(kSmallGrid) + "benchmarks: {tss: " + damaged + "}\n");
  expect_clean_error("run " + dir.file("grid.yaml") + " --out " + dir.file("out"), why);
  EXPECT_EQ(count_runs(dir.file("out/results.sqlite")), 0) << "nothing recorded from a damaged store";
}

TEST(DamagedStore, TheRecordedChecksumIsTheVerifiedOne) {
  const TempDir dir("hardening_checksum");
  write_text(dir.file("grid.yaml"), kSmallGrid);
  ASSERT_EQ(nas("run " + dir.file("grid.yaml") + " --out " + dir.file("out")).exit_code, 0);
  const auto verified = nlohmann::json::parse(nas("bench verify --space tss").out);
  EXPECT_EQ(query_text(dir.file("out/results.sqlite"), "SELECT value FROM experiment WHERE key = 'benchmark_checksum.tss'"),
            verified["checksum"].get<std::string>() + "\n");
}

// ---- 2. One `nas run` per results folder -------------------------------------------------------------

TEST(ResultsFolder, ASecondRunIsRefusedAtOnceNamingTheHolder) {
  const TempDir dir("hardening_lock");
  // Long enough to be caught running: 4 searchers x 3 datasets x 250 runs on one thread.
  write_text(dir.file("long.yaml"),
             "name: long\nspaces: [tss]\ndatasets: [cifar10, cifar100, ImageNet16-120]\nruns: 250\n"
             "algorithms: [{name: random}, {name: rea}, {name: reinforce}, {name: bohb}]\n");
  write_text(dir.file("other.yaml"), kSmallGrid);
  const std::string out = dir.file("out");
  const std::string first_log = dir.file("first.log");
  ASSERT_EQ(std::system((nas_exe() + " run " + dir.file("long.yaml") + " --out " + out + " --threads 1 >" + first_log +
                         " 2>&1 & echo $! >" + dir.file("first.pid"))
                            .c_str()),
            0);
  // Wait until the first one holds the folder (its lock file names it).
  for (int i = 0; i < 200 && read_text(out + "/.nas-run.lock").find("pid ") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  const std::string pid = read_text(dir.file("first.pid")).substr(0, read_text(dir.file("first.pid")).find('\n'));
  for (const char* grid : {"long.yaml", "other.yaml"}) {
    const auto started = std::chrono::steady_clock::now();
    expect_clean_error("run " + dir.file(grid) + " --out " + out, "is in use by another `nas run` (pid " + pid);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5)) << "refused at once";
  }
  ASSERT_EQ(std::system(("while kill -0 " + pid + " 2>/dev/null; do sleep 0.05; done").c_str()), 0);
  const auto summary = nlohmann::json::parse(read_text(first_log).substr(read_text(first_log).rfind("{\"out\"")));
  EXPECT_EQ(summary["executed"], 4 * 3 * 250) << "the first run finished undisturbed";
  // Released when the holder ends: the same command resumes (nothing left to do).
  EXPECT_EQ(json_of(nas("run " + dir.file("long.yaml") + " --out " + out))["already_done"], 4 * 3 * 250);
}

TEST(ResultsFolder, AForeignSqliteFileIsRefusedAndLeftUntouched) {
  const TempDir dir("hardening_foreign");
  write_text(dir.file("grid.yaml"), kSmallGrid);
  fs::create_directories(dir.file("out"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("out/results.sqlite").c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "CREATE TABLE customers(name TEXT); INSERT INTO customers VALUES ('ada');", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  const std::string before = read_text(dir.file("out/results.sqlite"));
  expect_clean_error("run " + dir.file("grid.yaml") + " --out " + dir.file("out"), "SQLite database of something else");
  EXPECT_EQ(read_text(dir.file("out/results.sqlite")), before);
  // An experiment table of another program (no schema_version) is foreign too.
  fs::remove(dir.file("out/results.sqlite"));
  ASSERT_EQ(sqlite3_open(dir.file("out/results.sqlite").c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "CREATE TABLE experiment(key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO experiment VALUES ('a','b');",
               nullptr, nullptr, nullptr);
  sqlite3_close(db);
  expect_clean_error("run " + dir.file("grid.yaml") + " --out " + dir.file("out"), "SQLite database of something else");
  // And a file that is no database at all.
  write_text(dir.file("out/results.sqlite"), std::string(5000, 'x'));
  expect_clean_error("run " + dir.file("grid.yaml") + " --out " + dir.file("out"), "is not a nas results store");
  EXPECT_EQ(read_text(dir.file("out/results.sqlite")), std::string(5000, 'x'));
}

TEST(ResultsFolder, AMissingResolvedConfigIsRestoredOnResume) {
  const TempDir dir("hardening_resolved");
  write_text(dir.file("grid.yaml"), kSmallGrid);
  ASSERT_EQ(nas("run " + dir.file("grid.yaml") + " --out " + dir.file("out")).exit_code, 0);
  const std::string original = read_text(dir.file("out/config.resolved.yaml"));
  ASSERT_NE(original.find("name: small"), std::string::npos);
  fs::remove(dir.file("out/config.resolved.yaml"));
  ASSERT_EQ(nas("run " + dir.file("grid.yaml") + " --out " + dir.file("out")).exit_code, 0);
  EXPECT_EQ(read_text(dir.file("out/config.resolved.yaml")), original);
}

// ---- 3. A weight-sharing run's identity includes its LibTorch thread count ---------------------------------

TEST(ResultsFolder, WeightSharingRunsRefuseToResumeWithAnotherThreadCount) {
  const std::string images = std::string(NAS_SHARED_DATA) + "/cifar10";
  if (!fs::exists(images)) GTEST_SKIP() << "shared CIFAR-10 absent";
  if (nas("list --json").out.find("\"gdas\"") == std::string::npos) GTEST_SKIP() << "built without LibTorch";
  const TempDir dir("hardening_threads");
  auto grid = [&](int threads) {
    return "name: ws\nspaces: [tss]\ndatasets: [cifar10]\ndata: " + images + "\ntorch_threads: " + std::to_string(threads) +
           "\nalgorithms:\n  - {name: rea, runs: 2}\n  - name: gdas\n    seeds: [1]\n    config: {epochs: 1, batch_size: 8,"
           " valid_batch_size: 16, max_batches_per_epoch: 1, max_valid_batches: 1, channels: 4, cells_per_stage: 1}\n";
  };
  write_text(dir.file("one.yaml"), grid(1));
  write_text(dir.file("two.yaml"), grid(2));
  ASSERT_EQ(json_of(nas("run " + dir.file("one.yaml") + " --out " + dir.file("out")))["executed"], 3);
  expect_clean_error("run " + dir.file("two.yaml") + " --out " + dir.file("out"),
                     "holds weight-sharing runs trained with torch_threads 1, this run would use 2");
  EXPECT_EQ(json_of(nas("run " + dir.file("one.yaml") + " --out " + dir.file("out")))["already_done"], 3);
  EXPECT_EQ(query_text(dir.file("out/results.sqlite"), "SELECT algorithm, torch_threads FROM runs ORDER BY algorithm, seed"),
            "gdas|1\nrea|0\nrea|0\n");
}

// ---- 4. Paths from user text ---------------------------------------------------------------------------

TEST(UserText, LabelsAndNamesThatCouldEscapeOrBreakTheReportAreRefused) {
  const TempDir dir("hardening_labels");
  const std::string base = "name: x\nspaces: [tss]\ndatasets: [cifar10]\nruns: 2\n";
  auto check = [&](const std::string& yaml, const std::string& fragment) {
    write_text(dir.file("bad.yaml"), yaml);
    expect_clean_error("run " + dir.file("bad.yaml") + " --out " + dir.file("out"), fragment);
    EXPECT_FALSE(fs::exists(dir.file("out"))) << yaml;
  };
  for (const char* label : {"../../escape", "a/b", ".hidden", "-opt", "with space", "tab\\there", "x\\u00e9"}) {
    check(base + "algorithms: [{name: rea, label: \"" + label + "\"}]\n", "is not allowed");
  }
  check(base + "algorithms: [{name: rea, label: \"" + std::string(65, 'a') + "\"}]\n", "is not allowed");
  check("name: \"caf\xe9\"\nspaces: [tss]\ndatasets: [cifar10]\nruns: 2\nalgorithms: [{name: rea}]\n", "not valid UTF-8");
  check(base + "algorithms: [{name: rea, label: \"\\ud800\"}]\n", "line 5");  // a lone surrogate escape
  EXPECT_FALSE(fs::exists(dir.path() + "/../escape-tss-cifar10-0.pt"));
}

// ---- 5. Write failures are failures ---------------------------------------------------------------------

TEST(WriteFailures, OutputThatCannotBeWrittenIsAnError) {
  for (const char* args : {"--version", "--help", "bench export --dataset cifar10", "bench info --dataset cifar10 --index 1 --json",
                           "list --json", "search --algo rea --dataset cifar10 --json"}) {
    const CommandResult run = nas(std::string(args) + " >/dev/full");
    EXPECT_NE(run.exit_code, 0) << args;
    EXPECT_EQ(run.err.rfind("error: could not write the output to standard output", 0), 0u) << args << ": " << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << args << ": " << run.err;
  }
}

TEST(WriteFailures, AFailedImportLeavesNothingBehindAndAnEmptyOutIsRefused) {
  const TempDir dir("hardening_import");
  const std::string csv = std::string(NAS_SHARED_DATA) + "/nasbench201/nb201_tss_merged.csv";
  const std::string fixtures = std::string(NAS_SHARED_DATA) + "/natsbench_fixtures/NATS-tss-v1_0-3ffb9-simple";
  const std::string import = "bench import nb201-csv --src " + csv + " --time-fixtures " + fixtures;
  // A full disk, simulated by a file-size limit (the store is 3 MB; writes past 1 MB fail).
  const CommandResult full = shell("bash -c \"cd " + dir.path() + " && trap '' XFSZ && ulimit -f 1024 && " + nas_exe() + " " + import +
                                   " --out " + dir.file("tss.nasbench") + "\"");
  expect_clean_error(full, "import under a file-size limit", "File too large");
  EXPECT_FALSE(fs::exists(dir.file("tss.nasbench")));
  EXPECT_TRUE(leftovers(dir.path()).empty()) << leftovers(dir.path()).front();
  // Empty and impossible destinations fail before the work, leaving nothing.
  expect_clean_error(shell("cd " + dir.path() + " && " + nas_exe() + " " + import + " --out ''"), "--out ''", "--out");
  expect_clean_error(import + " --out " + dir.file("no/such/folder/x.nasbench"), "does not exist");
  expect_clean_error(import + " --out " + dir.path(), "is a directory");
  expect_clean_error("bench import nats --src " + std::string(NAS_SHARED_DATA) +
                         "/natsbench_fixtures/NATS-sss-v1_0-50262-simple --out " + dir.file("no/such/x.nasbench"),
                     "does not exist");
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(WriteFailures, AFullDiskDuringARunNamesTheCause) {
  const TempDir dir("hardening_full_run");
  write_text(dir.file("grid.yaml"),
             "name: big\nspaces: [tss]\ndatasets: [cifar10, cifar100]\nruns: 300\nalgorithms: [{name: random}, {name: rea}]\n");
  const CommandResult run = shell("bash -c \"trap '' XFSZ && ulimit -f 256 && " + nas_exe() + " run " + dir.file("grid.yaml") +
                                  " --out " + dir.file("out") + " --threads 1\" 2>&1 >/dev/null | grep -v '^progress:' >&2");
  EXPECT_EQ(run.err.find("no transaction is active"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("error: "), std::string::npos) << run.err;
  EXPECT_TRUE(run.err.find("the disk is full") != std::string::npos || run.err.find("File too large") != std::string::npos)
      << run.err;
  // What was committed before the failure is intact and resumes.
  const auto resumed = json_of(nas("run " + dir.file("grid.yaml") + " --out " + dir.file("out") + " --threads 1"));
  EXPECT_EQ(resumed["total_runs"], 1200);
  EXPECT_GT(resumed["executed"].get<int>(), 0);
}

TEST(WriteFailures, AFailedReportLeavesNoPartialFiles) {
  const TempDir dir("hardening_report");
  write_text(dir.file("grid.yaml"), kSmallGrid);
  ASSERT_EQ(nas("run " + dir.file("grid.yaml") + " --out " + dir.file("out")).exit_code, 0);
  // report.md cannot replace a folder of that name: the write fails at its last step (the rename).
  fs::create_directories(dir.file("out/report.md/keep"));
  expect_clean_error("report " + dir.file("out"), "report.md");
  EXPECT_TRUE(leftovers(dir.file("out")).empty()) << leftovers(dir.file("out")).front();
  // A full disk (a file-size limit) while writing: the cause is named, nothing partial is left.
  fs::remove_all(dir.file("out/report.md"));
  // (bash: its ulimit counts kB; results.sqlite-shm, 32 kB, must still fit.)
  const CommandResult run = shell("bash -c \"trap '' XFSZ; ulimit -f 40; " + nas_exe() + " report " + dir.file("out") + "\"");
  expect_clean_error(run, "report under a file-size limit", "File too large");
  EXPECT_TRUE(leftovers(dir.file("out")).empty()) << leftovers(dir.file("out")).front();
}

// ---- 6. Damaged plugins ----------------------------------------------------------------------------------

TEST(DamagedPlugin, ATruncatedOrForeignFileIsAnErrorNotASignal) {
  const TempDir dir("hardening_plugin");
  const std::string good = read_text(NAS_LOCAL_SEARCH_PLUGIN);
  for (std::size_t size : {std::size_t{0}, std::size_t{10}, std::size_t{64}, std::size_t{100}, std::size_t{4096},
                           good.size() / 2, good.size() - 100, good.size() - 1}) {
    const std::string path = dir.file("cut" + std::to_string(size) + ".so");
    write_text(path, good.substr(0, size));
    expect_clean_error("list --plugin " + path, "plugin " + path);
  }
  write_text(dir.file("text.so"), "#!/bin/sh\n# " + std::string(200, '-') + "\necho not a library\n");
  expect_clean_error("list --plugin " + dir.file("text.so"), "not an ELF file");
  expect_clean_error("list --plugin " + dir.path(), "directory");
  ASSERT_EQ(::mkfifo(dir.file("fifo.so").c_str(), 0600), 0);
  expect_clean_error("list --plugin " + dir.file("fifo.so"), "FIFO");
  EXPECT_EQ(nas("list --plugin " + std::string(NAS_LOCAL_SEARCH_PLUGIN)).exit_code, 0) << "the intact one still loads";
}

// ---- 7. Unbounded work -------------------------------------------------------------------------------------

TEST(Bounds, NonFiniteAndHugeBudgetsAreRefusedUpFront) {
  expect_clean_error("search --algo rea --dataset cifar10 --budget-queries 2147483648", "outside [1, 1000000]");
  expect_clean_error("search --algo rea --dataset cifar10 --budget-seconds 1e12", "outside [0, 10000000]");
  expect_clean_error("search --algo rea --dataset cifar10 --budget-seconds inf", "not a finite decimal number");
  const TempDir dir("hardening_budget");
  const std::string base = "name: x\nspaces: [tss]\ndatasets: [cifar10]\nruns: 2\nalgorithms: [{name: rea}]\n";
  for (const char* budget : {"{seconds: .inf}", "{seconds: .nan}", "{seconds: 1e12}", "{queries: 2147483648}"}) {
    write_text(dir.file("b.yaml"), base + "budget: " + budget + "\n");
    expect_clean_error("run " + dir.file("b.yaml") + " --out " + dir.file("out"), "budget");
  }
  // The limits themselves are accepted.
  EXPECT_EQ(json_of(nas("search --algo random --dataset cifar10 --budget-queries 1000000 --json"))["queries"], 1000000);
}

// ---- 8. Inputs that are not regular files -------------------------------------------------------------------

TEST(NonRegularInputs, FifosAndDevicesAreRefusedWithoutBlocking) {
  const TempDir dir("hardening_fifo");
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
  const std::string fifo = dir.file("fifo");
  const std::string timeout = "timeout 20 " + nas_exe() + " ";
  auto check = [&](const std::string& args, const std::string& fragment) {
    const CommandResult run = shell(timeout + args);
    expect_clean_error(run, args, fragment);
    EXPECT_NE(run.exit_code, 124) << args << " blocked";
  };
  check("bench info --dataset cifar10 --index 0 --bench " + fifo, "FIFO");
  check("run " + fifo + " --out " + dir.file("out"), "FIFO");
  check("run /dev/zero --out " + dir.file("out"), "character device");
  check("search --algo rea --dataset cifar10 --plugin " + fifo, "FIFO");
  // An official-format directory whose arch file is a FIFO, or /dev/zero.
  const std::string official = std::string(NAS_SHARED_DATA) + "/natsbench_fixtures/NATS-sss-v1_0-50262-simple";
  for (const char* target : {"fifo", "/dev/zero"}) {
    fs::remove_all(dir.file("src"));
    fs::create_directories(dir.file("src"));
    fs::copy_file(official + "/meta.pickle.pbz2", dir.file("src/meta.pickle.pbz2"));
    fs::create_symlink(std::string(target) == "fifo" ? fifo : target, dir.file("src/000000.pickle.pbz2"));
    check("bench import nats --src " + dir.file("src") + " --out " + dir.file("x.nasbench"), "not a regular file");
  }
  check("bench import nb201-csv --src /dev/zero --time-fixtures " + official + " --out " + dir.file("x.nasbench"),
        "character device");
  EXPECT_FALSE(fs::exists(dir.file("x.nasbench")));
}

// ---- 10. Values that silently became other values --------------------------------------------------------------

TEST(StrictValues, ValuesThatMeantSomethingElseAreRefused) {
  expect_clean_error("search --algo rea --dataset cifar10 --seed -1", "'-1' is outside");
  expect_clean_error("search --algo rea --dataset cifar10 --seed 0x10", "not a decimal integer");
  expect_clean_error("bench info --dataset cifar10 --index 0 --hp 0", "'0' is outside");
  expect_clean_error("bench info --dataset cifar10 --index 0x10", "not a decimal integer");
  expect_clean_error("bench info --dataset cifar10 --index 1e3", "not a decimal integer");
  expect_clean_error("bench best --dataset cifar10 --max-params nan", "not a finite decimal number");
  expect_clean_error("bench best --dataset cifar10 --max-flops -inf", "not a finite decimal number");
  expect_clean_error("bench info --dataset cifar10 --index 0 --bench ''", "--bench: must not be empty");
  expect_clean_error("search --algo rea --dataset cifar10 --budget-seconds ''", "not a finite decimal number");
  expect_clean_error("search --algo rea --dataset cifar10 --budget-queries ''", "not a decimal integer");
  expect_clean_error("search --algo rea --dataset cifar10 --runs 0x2", "not a decimal integer");
  expect_clean_error("run x.yaml --out ''", "--out: must not be empty");
  // The same values written plainly still work.
  EXPECT_EQ(json_of(nas("bench info --dataset cifar10 --index 16 --hp 12 --json"))["index"], 16);
}

// ---- 11. Messages ---------------------------------------------------------------------------------------------

TEST(Messages, EveryErrorIsOneLineSayingWhatIsWrong) {
  // A trailing newline (as `$(cat arch.txt)` keeps when the file has two), and control characters.
  const std::string resnet = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|";
  const CommandResult trailing =
      shell("ARCH=$(printf '" + resnet + "\\n_'); " + nas_exe() + " bench info --dataset cifar10 --arch \"${ARCH%_}\"");
  expect_clean_error(trailing, "an arch with a trailing newline", "skip_connect~2|\\n'");
  const CommandResult control = shell("ARCH=$(printf 'a\\nb\\rc'); " + nas_exe() + " bench info --dataset cifar10 --arch \"$ARCH\"");
  expect_clean_error(control, "an arch with control characters", "'a\\nb\\rc'");
  expect_clean_error("bench info --dataset cifar10 --index -1", "--index -1 is out of range for the tss space [0, 15624]");
  expect_clean_error("bench info --dataset cifar10 --index 15625", "--index 15625 is out of range for the tss space [0, 15624]");
  expect_clean_error("bench best --dataset cifar10 --max-params 0", "no arch of this benchmark has at most 0 M parameters");
}

TEST(Messages, ImportProgressNeverSwallowsTheError) {
  const TempDir dir("hardening_progress");
  const std::string official = std::string(NAS_SHARED_DATA) + "/natsbench_fixtures/NATS-sss-v1_0-50262-simple";
  fs::copy(official, dir.file("src"));
  write_text(dir.file("src/000284.pickle.pbz2"), "BZh91AY&SY not really bzip2");
  const CommandResult run = nas("bench import nats --src " + dir.file("src") + " --out " + dir.file("x.nasbench") + " --threads 1");
  EXPECT_NE(run.exit_code, 0);
  std::istringstream lines(run.err);
  int errors = 0;
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(line.rfind("progress: ", 0) == 0 || line.rfind("error: ", 0) == 0) << "stray stderr line: " << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << "a terminal redraw in a log: " << line;
    errors += line.rfind("error: ", 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(errors, 1) << run.err;
  EXPECT_NE(run.err.find("000284.pickle.pbz2"), std::string::npos) << run.err;
}

TEST(Messages, YamlErrorsNameTheFileAndRepeatedKeysAndOtherEncodingsAreRefused) {
  const TempDir dir("hardening_yaml");
  auto check = [&](const std::string& yaml, const std::string& fragment) {
    write_text(dir.file("e.yaml"), yaml);
    const std::string args = "run " + dir.file("e.yaml") + " --out " + dir.file("out");
    const CommandResult run = nas(args);
    expect_clean_error(run, args, dir.file("e.yaml") + ": ");
    expect_clean_error(run, args, fragment);
  };
  check("name: x\nspaces: [tss]\ndatasets: [cifar10]\nruns: 2\nruns: 3\nalgorithms: [{name: rea}]\n",
        "line 5: key 'runs' appears twice");
  check("name: x\nspaces: [tss]\ndatasets: [cifar10]\nruns: 2\nalgorithms:\n  - name: rea\n    config: {population: 3, population: 4}\n",
        "key 'population' appears twice");
  check("name: x\nspaces: [tss\n", "invalid YAML");
  check("{a: 1}: x\n", "a key must be a plain name");
  check(std::string("\xff\xfe") + std::string("n\0a\0m\0e\0:\0 \0x\0\n\0", 20), "UTF-8");
  check(std::string("name: x\0\n", 9), "NUL");
  // A searcher config file (configs/algorithms) with an error is named too.
  fs::create_directories(dir.file("configs/algorithms"));
  write_text(dir.file("configs/algorithms/rea.yaml"), "population: 10\npopulation: 20\n");
  const CommandResult run = shell("NAS_CONFIG_DIR=" + dir.file("configs") + " " + nas_exe() + " search --algo rea --dataset cifar10");
  expect_clean_error(run, "search with a repeated key in rea.yaml", dir.file("configs/algorithms/rea.yaml") + ": line 2: key 'population' appears twice");
}

}  // namespace

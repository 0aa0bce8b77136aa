// NNI's benchmark databases (nni_database.h): the json.dumps text, the schema, the arch dicts, the
// exporter read back with SQLite, the importer on databases written by the exporter and by hand
// (with the spec's DDL), round trips, and bad input.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "expect_error.h"
#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/importers.h"
#include "nas/benchmark_api/nb101/nb101_cells.h"
#include "nas/benchmark_api/nb101/nb101_cost.h"
#include "nas/benchmark_api/nb101/nb101_hash.h"
#include "nas/benchmark_api/nb101/nb101_space.h"
#include "nas/benchmark_api/nni_database.h"
#include "nas/benchmark_api/python_json.h"
#include "test_data.h"

namespace nas::bench {
namespace {

namespace fs = std::filesystem;
using nas::test::expect_error;
using nlohmann::json;

// ---- a little SQLite for the tests -----------------------------------------------------------------

class Db {
 public:
  explicit Db(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("cannot open " + path);
  }
  ~Db() { sqlite3_close(db_); }
  void exec(const std::string& sql) const {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      const std::string text = message;
      sqlite3_free(message);
      throw std::runtime_error(text + " in " + sql);
    }
  }
  /// Every row of a query, each column as text ("NULL" for NULL; REALs as %.17g, so bit-exact).
  std::vector<std::vector<std::string>> rows(const std::string& sql) const {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db_));
    std::vector<std::vector<std::string>> out;
    while (sqlite3_step(s) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        switch (sqlite3_column_type(s, c)) {
          case SQLITE_NULL: row.emplace_back("NULL"); break;
          case SQLITE_FLOAT: {
            char buffer[40];
            std::snprintf(buffer, sizeof buffer, "%.17g", sqlite3_column_double(s, c));
            row.emplace_back(buffer);
            break;
          }
          default: row.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, c)));
        }
      }
      out.push_back(row);
    }
    sqlite3_finalize(s);
    return out;
  }
  double real(const std::string& sql) const { return std::strtod(rows(sql).at(0).at(0).c_str(), nullptr); }
  std::int64_t integer(const std::string& sql) const { return std::stoll(rows(sql).at(0).at(0)); }

 private:
  sqlite3* db_ = nullptr;
};

std::string dump_tables(const std::string& path, const std::vector<std::string>& tables) {
  const Db db(path);
  std::string text;
  for (const std::string& table : tables) {
    for (const auto& row : db.rows("SELECT * FROM " + table + " ORDER BY id")) {
      for (const std::string& field : row) text += field + "|";
      text += "\n";
    }
  }
  return text;
}

class NniTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("nas_nni_test_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }
  /// Nothing but `keep` is left in the test's folder (no output, no temporary).
  void expect_only(const std::vector<std::string>& keep) const {
    for (const auto& entry : fs::directory_iterator(dir_)) {
      const std::string name = entry.path().filename().string();
      EXPECT_NE(std::find(keep.begin(), keep.end(), name), keep.end()) << "left behind: " << name;
    }
  }
  /// A tss store imported from the official NATS-Bench fixture records (archs 0, 11, 284).
  std::string fixture_store() {
    const std::string path = file("fixtures.nasbench");
    if (!fs::exists(path)) import_nats_directory(nas::test::shared_data("natsbench_fixtures/NATS-tss-v1_0-3ffb9-simple"), path, 2);
    return path;
  }
  fs::path dir_;
};

// ---- json.dumps text -------------------------------------------------------------------------------

TEST(PythonJson, SpecExamplesAreByteExact) {
  const json nb201 = json::parse(R"({"2_3": "skip_connect", "0_1": "avg_pool_3x3", "1_3": "skip_connect", "0_2": "conv_1x1",
                                     "1_2": "skip_connect", "0_3": "conv_1x1"})");
  EXPECT_EQ(python_json_text(nb201),
            R"({"0_1": "avg_pool_3x3", "0_2": "conv_1x1", "0_3": "conv_1x1", "1_2": "skip_connect", "1_3": "skip_connect", "2_3": "skip_connect"})");
  const json nb101 = json::parse(R"({"op5": "conv1x1-bn-relu", "input1": [0], "input2": [1], "input3": [2], "input4": [0],
    "input5": [0, 3, 4], "input6": [2, 5], "op1": "conv3x3-bn-relu", "op2": "maxpool3x3", "op3": "conv3x3-bn-relu",
    "op4": "conv3x3-bn-relu"})");
  EXPECT_EQ(python_json_text(nb101),
            R"({"input1": [0], "input2": [1], "input3": [2], "input4": [0], "input5": [0, 3, 4], "input6": [2, 5], "op1": "conv3x3-bn-relu", "op2": "maxpool3x3", "op3": "conv3x3-bn-relu", "op4": "conv3x3-bn-relu", "op5": "conv1x1-bn-relu"})");
  EXPECT_EQ(python_json_text(json::parse(R"({"input1": [0]})")), R"({"input1": [0]})");
  EXPECT_EQ(python_json_text(json::parse(R"({"b": {"d": [], "c": {}}, "a": [true, false, null, -3]})")),
            R"({"a": [true, false, null, -3], "b": {"c": {}, "d": []}})");
}

TEST(PythonJson, FloatsAreWrittenAsPythonRepr) {
  const std::pair<double, const char*> cases[] = {
      {53.11, "53.11"}, {1e-05, "1e-05"}, {106147.67578125, "106147.67578125"}, {1.0, "1.0"}, {-0.0, "-0.0"}, {0.0, "0.0"},
      {0.0001, "0.0001"}, {0.1 + 0.2, "0.30000000000000004"}, {1e16, "1e+16"}, {1234567890123456.0, "1234567890123456.0"},
      {1.5e300, "1.5e+300"}, {5e-324, "5e-324"}, {-2.5e-7, "-2.5e-07"}, {100.0, "100.0"}, {1e22, "1e+22"},
      {0.013182918230692545, "0.013182918230692545"}, {std::nan(""), "NaN"}, {-INFINITY, "-Infinity"},
  };
  for (const auto& [value, text] : cases) EXPECT_EQ(python_float_repr(value), text);
  EXPECT_EQ(python_json_text(json::array({1.0, 2, -7, 0.5})), "[1.0, 2, -7, 0.5]");
}

TEST(PythonJson, StringsAreAsciiEscaped) {
  EXPECT_EQ(python_json_text("a\"b\\c\n\r\t\b\f\x01\x1f\x7f~ "), R"("a\"b\\c\n\r\t\b\f\u0001\u001f\u007f~ ")");
  EXPECT_EQ(python_json_text("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/"), R"("\u00e9\u20ac\ud83d\ude00/")");
  json bad = "x";
  bad.get_ref<std::string&>() = "\xc3";  // a truncated sequence
  expect_error([&] { python_json_text(bad); }, "not valid UTF-8");
}

// Differential: python3's json module against python_json_text on many floats, strings and dicts.
TEST(PythonJson, AgreesWithPythonsJsonModule) {
  if (std::system("python3 -c 'import json' >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3 absent";
  const fs::path dir = fs::temp_directory_path() / ("nas_pyjson_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::mt19937_64 rng(20231026);
  std::vector<json> values;
  std::uniform_int_distribution<int> digits(1, 17), exponent(-330, 310);
  for (int i = 0; i < 3000; ++i) {  // random bit patterns (every exponent), finite only
    double v;
    do {
      const std::uint64_t bits = rng();
      std::memcpy(&v, &bits, sizeof v);
    } while (!std::isfinite(v));
    values.emplace_back(v);
  }
  for (int i = 0; i < 3000; ++i) {  // short decimals, the values benchmarks hold
    std::string text = std::to_string(rng() % 100000000) + "e" + std::to_string(exponent(rng) / 10);
    values.emplace_back(std::strtod(text.c_str(), nullptr));
    values.emplace_back(static_cast<double>(static_cast<float>(static_cast<double>(rng() % 9985) / 9984.0)) * 100.0);
  }
  const std::vector<std::string> pieces{"a", "Z", "0_1", "\"", "\\", "\n", "\t", "\x01", "\x7f", " ", "\xc3\xa9", "\xe2\x82\xac",
                                        "\xf0\x9f\x98\x80", "op1", "input", "/", "<", "\xe4\xb8\xad"};
  for (int i = 0; i < 500; ++i) {
    std::string s;
    for (int k = static_cast<int>(rng() % 6); k > 0; --k) s += pieces[rng() % pieces.size()];
    values.emplace_back(s);
    json dict = json::object();
    for (int k = static_cast<int>(rng() % 5); k > 0; --k) dict[pieces[rng() % pieces.size()] + std::to_string(rng() % 12)] = json::array({s, static_cast<std::int64_t>(rng() % 7) - 3, 0.25 * static_cast<double>(rng() % 9)});
    values.push_back(dict);
  }
  // Values go to python as hex-encoded nlohmann dumps (exact: 17 significant digits), one per line.
  {
    std::ofstream in(dir / "in.txt");
    for (const json& v : values) in << v.dump(-1, ' ', false, json::error_handler_t::strict) << "\n";
  }
  const std::string script =
      "import json,sys\n"
      "out=open(sys.argv[2],'w')\n"
      "for line in open(sys.argv[1], encoding='utf-8'):\n"
      "    out.write(json.dumps(json.loads(line), sort_keys=True)+'\\n')\n";
  { std::ofstream(dir / "dump.py") << script; }
  ASSERT_EQ(std::system(("python3 " + (dir / "dump.py").string() + " " + (dir / "in.txt").string() + " " + (dir / "out.txt").string()).c_str()), 0);
  std::ifstream out(dir / "out.txt");
  std::string line;
  std::size_t i = 0, mismatches = 0;
  for (; std::getline(out, line) && i < values.size(); ++i) {
    if (line != python_json_text(values[i]) && ++mismatches < 10) ADD_FAILURE() << "python: " << line << "\nours:   " << python_json_text(values[i]);
  }
  EXPECT_EQ(i, values.size());
  EXPECT_EQ(mismatches, 0u);
  fs::remove_all(dir);
}

// ---- schema and arch dicts ---------------------------------------------------------------------------

TEST(NniSchema, HasNnisTablesColumnsAndIndexes) {
  const fs::path path = fs::temp_directory_path() / ("nas_nni_schema_" + std::to_string(::getpid()) + ".db");
  fs::remove(path);
  {
    const Db db(path.string());
    for (NniBenchmark b : {NniBenchmark::Nb101, NniBenchmark::Nb201}) {
      for (const std::string& statement : nni_schema_statements(b)) db.exec(statement);
    }
    // (name, type, notnull, pk) of each column
    const auto info = [&](const std::string& table) {
      std::string text;
      for (const auto& r : db.rows("SELECT name, type, \"notnull\", pk FROM pragma_table_info('" + table + "')")) text += r[0] + " " + r[1] + " " + r[2] + r[3] + ", ";
      return text;
    };
    EXPECT_EQ(info("nb101trialconfig"), "id INTEGER 11, arch JSON 10, num_vertices INTEGER 10, hash VARCHAR(64) 10, num_epochs INTEGER 10, ");
    EXPECT_EQ(info("nb101intermediatestats"),
              "id INTEGER 11, trial_id INTEGER 10, current_epoch INTEGER 10, train_acc REAL 10, valid_acc REAL 10, test_acc REAL 10, training_time REAL 10, ");
    EXPECT_EQ(info("nb201trialconfig"), "id INTEGER 11, arch JSON 10, num_epochs INTEGER 10, num_channels INTEGER 10, num_cells INTEGER 10, dataset VARCHAR(20) 10, ");
    EXPECT_EQ(info("nb201intermediatestats"),
              "id INTEGER 11, trial_id INTEGER 10, current_epoch INTEGER 10, train_acc REAL 00, valid_acc REAL 00, test_acc REAL 00, ori_test_acc REAL 00, "
              "train_loss REAL 00, valid_loss REAL 00, test_loss REAL 00, ori_test_loss REAL 00, ");
    const std::string stats = info("nb201trialstats");
    EXPECT_NE(stats.find("seed INTEGER 10, train_acc REAL 10, valid_acc REAL 10, test_acc REAL 10, ori_test_acc REAL 10, train_loss REAL 00"), std::string::npos) << stats;
    EXPECT_NE(stats.find("ori_test_loss REAL 00, parameters REAL 10, latency REAL 10, flops REAL 10, training_time REAL 10, valid_evaluation_time REAL 10"), std::string::npos) << stats;
    EXPECT_EQ(db.rows("SELECT \"table\" FROM pragma_foreign_key_list('nb101trialstats')").at(0).at(0), "nb101trialconfig");
    std::string indexes;
    for (const auto& r : db.rows("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")) indexes += r[0] + " ";
    EXPECT_EQ(indexes,
              "nb101intermediatestats_current_epoch nb101intermediatestats_trial_id nb101trialconfig_arch nb101trialconfig_hash "
              "nb101trialconfig_num_epochs nb101trialconfig_num_vertices nb101trialstats_config_id nb201intermediatestats_current_epoch "
              "nb201intermediatestats_trial_id nb201trialconfig_arch nb201trialconfig_dataset nb201trialconfig_num_epochs "
              "nb201trialstats_config_id ");
  }
  fs::remove(path);
}

TEST(NniArchs, Nb201DictsOfEveryCellRoundTrip) {
  EXPECT_EQ(nni_nb201_arch_text(tss_arch_at(0)),
            R"({"0_1": "avg_pool_3x3", "0_2": "conv_1x1", "0_3": "conv_1x1", "1_2": "skip_connect", "1_3": "skip_connect", "2_3": "skip_connect"})");
  for (std::uint32_t i = 0; i < kTssNumArchs; ++i) ASSERT_EQ(tss_arch_of_nni(nni_nb201_arch_text(tss_arch_at(i))), tss_arch_at(i)) << i;
  // The encoder's edges follow the arch string: 1_3 is node 3's `~1` input.
  const TssArch one_edge = parse_tss_arch("|none~0|+|none~0|none~1|+|none~0|nor_conv_3x3~1|none~2|");
  EXPECT_NE(nni_nb201_arch_text(one_edge).find(R"("1_3": "conv_3x3")"), std::string::npos);
  expect_error([] { tss_arch_of_nni("[1]"); }, "not a JSON object");
  expect_error([] { tss_arch_of_nni("{\"0_1\": \"none\""); }, "not JSON");
  expect_error([] { tss_arch_of_nni(R"({"0_1": "none", "0_2": "none", "0_3": "none", "1_2": "none", "1_3": "none", "2_4": "none"})"); }, "no edge 2_3");
  expect_error([] { tss_arch_of_nni(R"({"0_1": "nor_conv_3x3", "0_2": "none", "0_3": "none", "1_2": "none", "1_3": "none", "2_3": "none"})"); }, "'nor_conv_3x3'");
  EXPECT_EQ(nni_nb201_dataset_name(Dataset::ImageNet16_120), "imagenet16-120");
  EXPECT_EQ(dataset_of_nni("cifar10-valid"), Dataset::Cifar10Valid);
  expect_error([] { dataset_of_nni("ImageNet16-120"); }, "not one of");
}

Nb101Spec cell_00005c14() {
  Nb101Graph g;
  g.ops = {Nb101Op::Input, Nb101Op::Conv3x3, Nb101Op::MaxPool3x3, Nb101Op::Conv3x3, Nb101Op::Conv3x3, Nb101Op::Conv1x1, Nb101Op::Output};
  g.matrix.assign(7, std::vector<int>(7, 0));
  for (const auto& [x, y] : std::vector<std::pair<int, int>>{{0, 1}, {0, 4}, {0, 5}, {1, 2}, {2, 3}, {2, 6}, {3, 5}, {4, 5}, {5, 6}}) g.matrix[x][y] = 1;
  return Nb101Spec::from_graph(g);
}

const char* const k00005c14Arch =
    R"({"input1": [0], "input2": [1], "input3": [2], "input4": [0], "input5": [0, 3, 4], "input6": [2, 5], "op1": "conv3x3-bn-relu", "op2": "maxpool3x3", "op3": "conv3x3-bn-relu", "op4": "conv3x3-bn-relu", "op5": "conv1x1-bn-relu"})";

TEST(NniArchs, Nb101DictsMatchTheSpecAndRoundTrip) {
  EXPECT_EQ(nb101_hash(cell_00005c14()).hex(), "00005c142e6f48ac74fdcf73e3439874");
  EXPECT_EQ(nni_nb101_arch_text(cell_00005c14()), k00005c14Arch);
  const Nb101Cells& cells = Nb101Cells::get();
  EXPECT_EQ(nni_nb101_arch_text(cells.spec(0)), R"({"input1": [0]})");
  for (std::uint32_t i = 0; i < cells.size(); i += 37) {
    const Nb101Graph graph = nb101_graph_of_nni(nni_nb101_arch_text(cells.spec(i)));
    ASSERT_EQ(Nb101Spec::from_graph(graph), cells.spec(i)) << i;
    ASSERT_EQ(graph, cells.spec(i).to_graph()) << i;
  }
  expect_error([] { nb101_graph_of_nni(R"({"input1": [0], "input2": [1]})"); }, "has 2 keys");
  expect_error([] { nb101_graph_of_nni(R"({"input1": [0], "input2": [2], "op1": "maxpool3x3"})"); }, "not an earlier vertex");
  expect_error([] { nb101_graph_of_nni(R"({"input1": [0], "input2": [1], "op1": "conv5x5"})"); }, "not conv3x3-bn-relu");
  expect_error([] { nb101_graph_of_nni(R"({"input1": [0], "inputs": [1], "op1": "maxpool3x3"})"); }, "no input2");
}

// ---- NB201 export ------------------------------------------------------------------------------------

/// Every exported stats and intermediate value equals the store's (and the store's trials are all there).
void expect_nb201_matches_store(const std::string& db_path, const Store& store) {
  const Db db(db_path);
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM nb201trialconfig"), 125000);
  std::size_t checked = 0, trials = 0;
  const auto stats = db.rows(
      "SELECT s.id, c.id, c.arch, c.num_epochs, c.dataset, s.seed, s.train_acc, s.valid_acc, s.test_acc, s.ori_test_acc, "
      "s.train_loss, s.valid_loss, s.test_loss, s.ori_test_loss, s.parameters, s.latency, s.flops, s.training_time, "
      "s.valid_evaluation_time, s.test_evaluation_time, s.ori_test_evaluation_time FROM nb201trialstats s JOIN nb201trialconfig c ON "
      "s.config_id = c.id ORDER BY s.id");
  std::map<std::string, std::vector<std::string>> trial_of_id;
  for (const auto& r : stats) {
    trial_of_id[r[0]] = r;
    const std::uint32_t arch = tss_index_of(tss_arch_of_nni(r[2]));
    const int hp = std::stoi(r[3]);
    const Dataset dataset = dataset_of_nni(r[4]);
    const auto seed = static_cast<std::int32_t>(std::stol(r[5]));
    EXPECT_EQ(std::stoll(r[1]), 1 + 8 * static_cast<std::int64_t>(arch) + 4 * (hp == 200) + static_cast<int>(dataset));
    const NniNb201Sets sets = nni_nb201_sets(dataset);
    const auto hp16 = static_cast<std::uint16_t>(hp);
    auto value = [&](EvalSet set, Quantity q) {
      const Column* c = store.find({dataset, set, q, hp16, seed});
      return c != nullptr ? c->value(arch) : std::nan("");
    };
    auto expect_field = [&](const std::string& text, double expected) {
      if (std::isnan(expected)) {
        EXPECT_EQ(text, "NULL");
      } else {
        EXPECT_EQ(std::strtod(text.c_str(), nullptr), expected) << text;
      }
      ++checked;
    };
    const EvalSet role[] = {EvalSet::Train, sets.valid, sets.test, sets.ori_test};
    for (int i = 0; i < 4; ++i) expect_field(r[6 + static_cast<std::size_t>(i)], value(role[i], Quantity::Accuracy));
    for (int i = 0; i < 4; ++i) expect_field(r[10 + static_cast<std::size_t>(i)], value(role[i], Quantity::Loss));
    expect_field(r[14], value(EvalSet::Train, Quantity::Params));
    expect_field(r[15], value(EvalSet::Train, Quantity::Latency));
    expect_field(r[16], value(EvalSet::Train, Quantity::Flops));
    expect_field(r[17], value(EvalSet::Train, Quantity::Time) * hp);
    for (int i = 1; i < 4; ++i) expect_field(r[17 + static_cast<std::size_t>(i)], value(role[i], Quantity::Time));
    ++trials;
  }
  // Every trial of the store (seed >= 0, any value) is a row.
  std::size_t store_trials = 0;
  for (Dataset dataset : kAllDatasets) {
    for (int hp : {12, 200}) {
      for (std::int32_t seed : store.seeds(dataset, hp)) {
        const Column* c = store.find({dataset, EvalSet::Train, Quantity::Params, static_cast<std::uint16_t>(hp), seed});
        for (std::uint32_t arch = 0; c != nullptr && arch < kTssNumArchs; ++arch) store_trials += !std::isnan(c->value(arch));
      }
    }
  }
  EXPECT_EQ(trials, store_trials);
  const auto intermediates = db.rows(
      "SELECT trial_id, current_epoch, train_acc, valid_acc, test_acc, ori_test_acc, train_loss, valid_loss, test_loss, ori_test_loss "
      "FROM nb201intermediatestats ORDER BY id");
  for (const auto& r : intermediates) {
    const auto& t = trial_of_id.at(r[0]);
    const std::uint32_t arch = tss_index_of(tss_arch_of_nni(t[2]));
    const Dataset dataset = dataset_of_nni(t[4]);
    const NniNb201Sets sets = nni_nb201_sets(dataset);
    const EvalSet role[] = {EvalSet::Train, sets.valid, sets.test, sets.ori_test};
    const int epoch = std::stoi(r[1]) - 1;
    for (int i = 0; i < 8; ++i) {
      const Column* c = store.find({dataset, role[i % 4], i < 4 ? Quantity::Accuracy : Quantity::Loss, static_cast<std::uint16_t>(std::stoi(t[3])),
                                    static_cast<std::int32_t>(std::stol(t[5]))});
      const double expected = c != nullptr ? c->value(arch, epoch) : std::nan("");
      const std::string& text = r[2 + static_cast<std::size_t>(i)];
      if (std::isnan(expected)) {
        EXPECT_EQ(text, "NULL");
      } else {
        EXPECT_EQ(std::strtod(text.c_str(), nullptr), expected);
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 50000u);
}

TEST_F(NniTest, TssExportHoldsEveryValueOfTheOfficialRecordsAndNnisTutorialRow) {
  NAS_REQUIRE_SHARED_DATA();
  const Benchmark benchmark = Benchmark::open(fixture_store(), Space::Topology);
  const NniReport report = export_nni(benchmark, file("nb201.db"));
  EXPECT_EQ(report.configs, 125000u);
  EXPECT_EQ(report.trials, 51u);  // archs 0, 11, 284: 12 epochs 5 trials, 200 epochs 12
  expect_nb201_matches_store(file("nb201.db"), benchmark.store());

  // NNI's tutorial row: arch 0, cifar100, 200 epochs, seed 999 (config id 7).
  const Db db(file("nb201.db"));
  const auto config = db.rows("SELECT arch, num_epochs, num_channels, num_cells, dataset FROM nb201trialconfig WHERE id = 7").at(0);
  EXPECT_EQ(config, (std::vector<std::string>{nni_nb201_arch_text(tss_arch_at(0)), "200", "16", "5", "cifar100"}));
  EXPECT_EQ(db.integer("SELECT id FROM nb201trialconfig WHERE dataset = 'imagenet16-120' AND num_epochs = 12 AND arch = '" +
                       nni_nb201_arch_text(tss_arch_at(0)) + "'"), 4);
  const auto row = db.rows("SELECT flops, parameters, latency, ori_test_acc, test_acc, valid_acc, train_acc, training_time FROM "
                           "nb201trialstats WHERE config_id = 7 AND seed = 999").at(0);
  const double expected[] = {15.65322, 0.135156, 0.013183, 53.11, 53.08, 53.14, 57.82, 2888.437};
  const double printed_digits[] = {1e-9, 1e-9, 1e-6, 1e-9, 1e-6, 1e-6, 1e-9, 1e-3};  // the tutorial's rounding
  for (std::size_t i = 0; i < 8; ++i) EXPECT_NEAR(std::strtod(row[i].c_str(), nullptr), expected[i], printed_digits[i]) << i;
  EXPECT_EQ(std::strtod(row[7].c_str(), nullptr), 14.442185997962952 * 200);  // train_times[199] x 200
  // Intermediates are 1-based, and one per epoch with a value.
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM nb201intermediatestats i JOIN nb201trialstats s ON i.trial_id = s.id WHERE s.config_id = 7 AND s.seed = 999"), 200);
  EXPECT_EQ(db.real("SELECT i.ori_test_acc FROM nb201intermediatestats i JOIN nb201trialstats s ON i.trial_id = s.id WHERE s.config_id = 7 AND "
                    "s.seed = 999 AND i.current_epoch = 200"), 53.11);
}

TEST_F(NniTest, ShippedTssStoreIsRefusedNamingWhatNnisTablesNeed) {
  const Benchmark shipped = Benchmark::open_default(Space::Topology);
  expect_error([&] { export_nni(shipped, file("shipped.db")); }, "has no train accuracy (train_acc)");
  expect_error([&] { export_nni(shipped, file("shipped.db")); }, "nb201trialstats requires (NOT NULL)");
  expect_only({});
  // An existing file at the destination is kept as it was.
  { std::ofstream(file("keep.db")) << "old"; }
  expect_error([&] { export_nni(shipped, file("keep.db")); }, "latency");
  std::ifstream kept(file("keep.db"));
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), "old");
  expect_only({"keep.db"});
  expect_error([] { export_nni(Benchmark::open_default(Space::Macro), "/tmp/never.db"); }, "not of space macro");
}

// ---- NB101 export ------------------------------------------------------------------------------------

/// A small store in the nb101_space.h layout: three cells (00005c14... first by hash), every
/// schedule and repeat, and 00005c14...'s 108-epoch repeat 1 time of NNI's tutorial.
void write_nb101_store(const std::string& path, bool drop_one_value = false) {
  const Nb101Cells& cells = Nb101Cells::get();
  StoreWriter writer(Space::Nb101, "test store in the nb101 layout");
  const std::uint32_t members[] = {cells.index_of(cell_00005c14()), 0, 5};
  writer.add_column(nb101_params_column(), 1);
  for (int hp : kNb101Fidelities) {
    for (int r = 1; r <= kNb101NumRepeats; ++r) {
      for (EvalSet set : {EvalSet::Train, EvalSet::XValid, EvalSet::OriTest}) writer.add_column(nb101_accuracy_column(set, hp, r), 2, kNb101AccuracyFlags);
      writer.add_column(nb101_time_column(hp, r), 2, kNb101TimeFlags);
    }
  }
  int k = 0;
  for (std::uint32_t cell : members) {
    writer.set(nb101_params_column(), cell, 0, static_cast<double>(nb101_network_cost(cells.spec(cell)).params) / 1e6);
    for (int hp : kNb101Fidelities) {
      for (int r = 1; r <= kNb101NumRepeats; ++r) {
        for (int slot = 0; slot < 2; ++slot) {
          ++k;
          const double fraction = static_cast<float>(static_cast<double>((k * 7919) % 9984) / 9984.0);  // as nasbench's
          writer.set(nb101_accuracy_column(EvalSet::Train, hp, r), cell, slot, 100.0 * fraction);
          writer.set(nb101_accuracy_column(EvalSet::XValid, hp, r), cell, slot, 100.0 * static_cast<float>(fraction * 0.97));
          writer.set(nb101_accuracy_column(EvalSet::OriTest, hp, r), cell, slot, 100.0 * static_cast<float>(fraction * 0.96));
          writer.set(nb101_time_column(hp, r), cell, slot, static_cast<float>(hp * (slot + 1) * 8.25 + k * 0.1));
        }
      }
    }
  }
  writer.set(nb101_time_column(108, 1), members[0], kNb101FinalSlot, 1769.1279296875);
  if (drop_one_value) writer.set(nb101_accuracy_column(EvalSet::OriTest, 36, 2), members[2], kNb101HalfwaySlot, std::nan(""));
  writer.write(path);
}

TEST_F(NniTest, Nb101ExportHasNnisIdsArchTextAndTimes) {
  write_nb101_store(file("nb101.nasbench"));
  const Benchmark benchmark = Benchmark::open(file("nb101.nasbench"), Space::Nb101);
  const NniReport report = export_nni(benchmark, file("nb101.db"));
  EXPECT_EQ(report.configs, 12u);
  EXPECT_EQ(report.trials, 36u);
  EXPECT_EQ(report.intermediates, 72u);
  const Db db(file("nb101.db"));
  // The first hash: config 4 is its 108-epoch run, trials 10-12, intermediates 19-24 (NNI's tutorial).
  EXPECT_EQ(db.rows("SELECT arch, num_vertices, hash, num_epochs FROM nb101trialconfig WHERE id = 4").at(0),
            (std::vector<std::string>{k00005c14Arch, "7", "00005c142e6f48ac74fdcf73e3439874", "108"}));
  EXPECT_EQ(db.rows("SELECT group_concat(id) FROM (SELECT id FROM nb101trialstats WHERE config_id = 4 ORDER BY id)").at(0).at(0), "10,11,12");
  EXPECT_EQ(db.real("SELECT training_time FROM nb101trialstats WHERE id = 10"), 106147.67578125);
  EXPECT_EQ(db.rows("SELECT group_concat(id || ':' || current_epoch) FROM (SELECT * FROM nb101intermediatestats WHERE trial_id BETWEEN 10 AND 12 ORDER BY id)")
                .at(0).at(0), "19:54,20:108,21:54,22:108,23:54,24:108");
  EXPECT_EQ(db.real("SELECT training_time FROM nb101intermediatestats WHERE id = 20"), 1769.1279296875);  // not x 60
  EXPECT_EQ(db.rows("SELECT arch, num_vertices FROM nb101trialconfig WHERE hash = '043721b9c7fe8c5fad811d47d83132ec' LIMIT 1").at(0),
            (std::vector<std::string>{R"({"input1": [0]})", "2"}));
  // Every value against the store.
  const Store& store = benchmark.store();
  const Nb101Cells& cells = Nb101Cells::get();
  std::size_t checked = 0;
  for (const auto& r : db.rows("SELECT s.id, c.hash, c.num_epochs, s.train_acc, s.valid_acc, s.test_acc, s.parameters, s.training_time "
                               "FROM nb101trialstats s JOIN nb101trialconfig c ON s.config_id = c.id")) {
    const std::uint32_t cell = *cells.find(Nb101Hash::from_hex(r[1]));
    const int hp = std::stoi(r[2]);
    const int repeat = static_cast<int>((std::stoll(r[0]) - 1) % 3) + 1;
    EXPECT_EQ(std::strtod(r[3].c_str(), nullptr), store.find(nb101_accuracy_column(EvalSet::Train, hp, repeat))->value(cell));
    EXPECT_EQ(std::strtod(r[4].c_str(), nullptr), store.find(nb101_accuracy_column(EvalSet::XValid, hp, repeat))->value(cell));
    EXPECT_EQ(std::strtod(r[5].c_str(), nullptr), store.find(nb101_accuracy_column(EvalSet::OriTest, hp, repeat))->value(cell));
    EXPECT_EQ(std::strtod(r[6].c_str(), nullptr), store.find(nb101_params_column())->value(cell));
    EXPECT_EQ(std::strtod(r[7].c_str(), nullptr), store.find(nb101_time_column(hp, repeat))->value(cell) * 60);
    checked += 5;
  }
  for (const auto& r : db.rows("SELECT i.trial_id, c.hash, c.num_epochs, i.current_epoch, i.train_acc, i.valid_acc, i.test_acc, i.training_time FROM "
                               "nb101intermediatestats i JOIN nb101trialstats s ON i.trial_id = s.id JOIN nb101trialconfig c ON s.config_id = c.id")) {
    const std::uint32_t cell = *cells.find(Nb101Hash::from_hex(r[1]));
    const int hp = std::stoi(r[2]);
    const int repeat = static_cast<int>((std::stoll(r[0]) - 1) % 3) + 1;
    const int epoch = std::stoi(r[3]) - 1;
    EXPECT_EQ(std::strtod(r[4].c_str(), nullptr), store.find(nb101_accuracy_column(EvalSet::Train, hp, repeat))->value(cell, epoch));
    EXPECT_EQ(std::strtod(r[5].c_str(), nullptr), store.find(nb101_accuracy_column(EvalSet::XValid, hp, repeat))->value(cell, epoch));
    EXPECT_EQ(std::strtod(r[6].c_str(), nullptr), store.find(nb101_accuracy_column(EvalSet::OriTest, hp, repeat))->value(cell, epoch));
    EXPECT_EQ(std::strtod(r[7].c_str(), nullptr), store.find(nb101_time_column(hp, repeat))->value(cell, epoch));
    checked += 4;
  }
  EXPECT_EQ(checked, 36u * 5 + 72u * 4);
}

TEST_F(NniTest, Nb101ExportRefusesIncompleteAndPartialStores) {
  write_nb101_store(file("incomplete.nasbench"), true);
  expect_error([&] { export_nni(Benchmark::open(file("incomplete.nasbench"), Space::Nb101), file("x.db")); },
               "has no halfway test accuracy of repeat 2 at 36 epochs");
  expect_error([&] { export_nni(Benchmark::open_default(Space::Nb101), file("x.db")); }, "one repeat of unknown position (trial id 0");
  expect_only({"incomplete.nasbench"});
}

// ---- import and round trips ---------------------------------------------------------------------------

void expect_same_store(const std::string& a_path, const std::string& b_path) {
  const Store a = Store::open(a_path), b = Store::open(b_path);
  EXPECT_EQ(a.space(), b.space());
  ASSERT_EQ(a.columns().size(), b.columns().size());
  for (std::size_t i = 0; i < a.columns().size(); ++i) {
    const Column& x = a.columns()[i];
    const Column& y = b.columns()[i];
    EXPECT_EQ(x.key().describe(), y.key().describe());
    EXPECT_EQ(x.flags(), y.flags()) << x.key().describe();
    EXPECT_EQ(x.num_epochs(), y.num_epochs()) << x.key().describe();
    EXPECT_EQ(x.num_rows(), y.num_rows()) << x.key().describe();
    EXPECT_EQ(x.checksum(), y.checksum()) << x.key().describe();  // the column's bytes: every value, bit for bit
  }
  EXPECT_EQ(a.checksum(), b.checksum());
}

TEST_F(NniTest, TssRoundTripsThroughNnisTables) {
  NAS_REQUIRE_SHARED_DATA();
  const Benchmark official = Benchmark::open(fixture_store(), Space::Topology);
  export_nni(official, file("a.db"));
  const NniReport imported = import_nni(file("a.db"), file("a.nasbench"));
  EXPECT_EQ(imported.benchmark, NniBenchmark::Nb201);
  EXPECT_EQ(imported.configs, 125000u);
  EXPECT_EQ(imported.trials, 51u);
  const Benchmark a = Benchmark::open(file("a.nasbench"), Space::Topology);
  EXPECT_NE(a.store().description().find("NNI's benchmark database a.db"), std::string::npos);
  // What NNI holds comes back exactly: the official values at every epoch NNI keeps.
  const Column* official_curve = official.store().find({Dataset::Cifar100, EvalSet::XValid, Quantity::Accuracy, 200, 999});
  const Column* imported_curve = a.store().find({Dataset::Cifar100, EvalSet::XValid, Quantity::Accuracy, 200, 999});
  ASSERT_NE(imported_curve, nullptr);
  for (int epoch = 0; epoch < 200; ++epoch) {
    const double got = imported_curve->value(0, epoch), want = official_curve->value(0, epoch);
    EXPECT_TRUE(got == want || (std::isnan(got) && std::isnan(want))) << epoch;
  }
  EXPECT_EQ(a.query(0, Dataset::Cifar100, 200, Trial::of_seed(999)).test_accuracy, official.query(0, Dataset::Cifar100, 200, Trial::of_seed(999)).test_accuracy);
  // NNI keeps the training time x epochs; the per-epoch time comes back as a value whose product is that.
  EXPECT_EQ(a.store().find({Dataset::Cifar10, EvalSet::Train, Quantity::Time, 200, 777})->value(11) * 200,
            official.store().find({Dataset::Cifar10, EvalSet::Train, Quantity::Time, 200, 777})->value(11) * 200);
  expect_nb201_matches_store(file("a.db"), a.store());
  // store -> NNI -> store is the identity on a store of what NNI holds, and so is NNI -> store -> NNI.
  export_nni(a, file("b.db"));
  import_nni(file("b.db"), file("b.nasbench"));
  expect_same_store(file("a.nasbench"), file("b.nasbench"));
  const std::vector<std::string> tables{"nb201trialconfig", "nb201trialstats", "nb201intermediatestats"};
  EXPECT_EQ(dump_tables(file("a.db"), tables), dump_tables(file("b.db"), tables));
}

TEST_F(NniTest, Nb101RoundTripsThroughNnisTables) {
  write_nb101_store(file("nb101.nasbench"));
  export_nni(Benchmark::open(file("nb101.nasbench"), Space::Nb101), file("a.db"));
  const NniReport report = import_nni(file("a.db"), file("a.nasbench"));
  EXPECT_EQ(report.benchmark, NniBenchmark::Nb101);
  EXPECT_EQ(report.trials, 36u);
  expect_same_store(file("nb101.nasbench"), file("a.nasbench"));  // undoes the x 60, repeats in trial id order
  export_nni(Benchmark::open(file("a.nasbench"), Space::Nb101), file("b.db"));
  const std::vector<std::string> tables{"nb101trialconfig", "nb101trialstats", "nb101intermediatestats"};
  EXPECT_EQ(dump_tables(file("a.db"), tables), dump_tables(file("b.db"), tables));
}

/// NNI's tables written with the DDL of the reference (§3.2-3.4), not with nni_schema_statements.
const char* const kSpecNb201Ddl =
    "CREATE TABLE nb201trialconfig (id INTEGER NOT NULL PRIMARY KEY, arch JSON NOT NULL, num_epochs INTEGER NOT NULL, "
    "num_channels INTEGER NOT NULL, num_cells INTEGER NOT NULL, dataset VARCHAR(20) NOT NULL);"
    "CREATE TABLE nb201trialstats (id INTEGER NOT NULL PRIMARY KEY, config_id INTEGER NOT NULL REFERENCES nb201trialconfig(id), "
    "seed INTEGER NOT NULL, train_acc REAL NOT NULL, valid_acc REAL NOT NULL, test_acc REAL NOT NULL, ori_test_acc REAL NOT NULL, "
    "train_loss REAL, valid_loss REAL, test_loss REAL, ori_test_loss REAL, parameters REAL NOT NULL, latency REAL NOT NULL, "
    "flops REAL NOT NULL, training_time REAL NOT NULL, valid_evaluation_time REAL NOT NULL, test_evaluation_time REAL NOT NULL, "
    "ori_test_evaluation_time REAL NOT NULL);"
    "CREATE TABLE nb201intermediatestats (id INTEGER NOT NULL PRIMARY KEY, trial_id INTEGER NOT NULL REFERENCES nb201trialstats(id), "
    "current_epoch INTEGER NOT NULL, train_acc REAL, valid_acc REAL, test_acc REAL, ori_test_acc REAL, train_loss REAL, "
    "valid_loss REAL, test_loss REAL, ori_test_loss REAL);";

/// NNI's tutorial row by hand: arch 0, cifar100, 200 epochs, seed 999, and two epochs of it.
void write_hand_nb201(const std::string& path, const std::string& stats_override = "") {
  const Db db(path);
  db.exec(kSpecNb201Ddl);
  db.exec("INSERT INTO nb201trialconfig VALUES (7, '{\"0_1\": \"avg_pool_3x3\", \"0_2\": \"conv_1x1\", \"0_3\": \"conv_1x1\", "
          "\"1_2\": \"skip_connect\", \"1_3\": \"skip_connect\", \"2_3\": \"skip_connect\"}', 200, 16, 5, 'cifar100')");
  db.exec(stats_override.empty()
              ? "INSERT INTO nb201trialstats VALUES (1, 7, 999, 57.82, 53.14, 53.08, 53.11, 1.5, 1.7, 1.71, 1.72, 0.135156, 0.013183, "
                "15.65322, 2888.437, 0.5, 0.5, 1.0)"
              : stats_override);
  db.exec("INSERT INTO nb201intermediatestats VALUES (1, 1, 1, 10.5, 11.25, 12.0, NULL, 2.25, NULL, NULL, NULL)");
  db.exec("INSERT INTO nb201intermediatestats VALUES (2, 1, 200, 57.82, 53.14, 53.08, 53.11, 1.5, 1.7, 1.71, 1.72)");
}

TEST_F(NniTest, ImportsAHandWrittenNb201Database) {
  write_hand_nb201(file("hand.db"));
  const NniReport report = import_nni(file("hand.db"), file("hand.nasbench"));
  EXPECT_EQ(report.configs, 1u);
  EXPECT_EQ(report.trials, 1u);
  EXPECT_EQ(report.intermediates, 2u);
  const Benchmark b = Benchmark::open(file("hand.nasbench"), Space::Topology);
  const Store& s = b.store();
  auto value = [&](EvalSet set, Quantity q, int epoch = -1) { return s.find({Dataset::Cifar100, set, q, 200, 999})->value(0, epoch); };
  EXPECT_EQ(value(EvalSet::XValid, Quantity::Accuracy), 53.14);
  EXPECT_EQ(value(EvalSet::XTest, Quantity::Accuracy), 53.08);
  EXPECT_EQ(value(EvalSet::OriTest, Quantity::Accuracy), 53.11);
  EXPECT_EQ(value(EvalSet::Train, Quantity::Accuracy), 57.82);
  EXPECT_EQ(value(EvalSet::Train, Quantity::Accuracy, 0), 10.5);
  EXPECT_EQ(value(EvalSet::XValid, Quantity::Accuracy, 0), 11.25);
  EXPECT_EQ(value(EvalSet::XTest, Quantity::Accuracy, 0), 12.0);
  EXPECT_TRUE(std::isnan(value(EvalSet::OriTest, Quantity::Accuracy, 0)));
  EXPECT_EQ(value(EvalSet::Train, Quantity::Loss, 0), 2.25);
  EXPECT_EQ(value(EvalSet::OriTest, Quantity::Loss), 1.72);
  EXPECT_EQ(value(EvalSet::Train, Quantity::Params), 0.135156);
  EXPECT_EQ(value(EvalSet::Train, Quantity::Flops), 15.65322);
  EXPECT_EQ(value(EvalSet::Train, Quantity::Latency), 0.013183);
  EXPECT_EQ(value(EvalSet::Train, Quantity::Time) * 200, 2888.437);
  EXPECT_EQ(value(EvalSet::OriTest, Quantity::Time), 1.0);
  EXPECT_EQ(s.seeds(Dataset::Cifar100, 200), std::vector<std::int32_t>{999});
}

TEST_F(NniTest, ImportsAHandWrittenNb101Database) {
  const Db db(file("hand101.db"));
  db.exec("CREATE TABLE nb101trialconfig (id INTEGER NOT NULL PRIMARY KEY, arch JSON NOT NULL, num_vertices INTEGER NOT NULL, "
          "hash VARCHAR(64) NOT NULL, num_epochs INTEGER NOT NULL);"
          "CREATE TABLE nb101trialstats (id INTEGER NOT NULL PRIMARY KEY, config_id INTEGER NOT NULL REFERENCES nb101trialconfig(id), "
          "train_acc REAL NOT NULL, valid_acc REAL NOT NULL, test_acc REAL NOT NULL, parameters REAL NOT NULL, training_time REAL NOT NULL);"
          "CREATE TABLE nb101intermediatestats (id INTEGER NOT NULL PRIMARY KEY, trial_id INTEGER NOT NULL REFERENCES nb101trialstats(id), "
          "current_epoch INTEGER NOT NULL, train_acc REAL NOT NULL, valid_acc REAL NOT NULL, test_acc REAL NOT NULL, training_time REAL NOT NULL);");
  db.exec(std::string("INSERT INTO nb101trialconfig VALUES (4, '") + k00005c14Arch + "', 7, '00005c142e6f48ac74fdcf73e3439874', 108)");
  // Three repeats; the tutorial's first time (1769.1279296875 s, x 60 in the stats); ids out of repeat order on purpose.
  db.exec("INSERT INTO nb101trialstats VALUES (10, 4, 100.0, 92.41786599159241, 91.7, 8.55553, 106147.67578125)");
  db.exec("INSERT INTO nb101trialstats VALUES (12, 4, 100.0, 93.04887652397156, 92.5, 8.55553, 106138.5571289)");
  db.exec("INSERT INTO nb101trialstats VALUES (11, 4, 100.0, 92.45793223381042, 92.0, 8.55553, 106095.0)");
  db.exec("INSERT INTO nb101intermediatestats VALUES (19, 10, 54, 80.0, 79.0, 78.0, 884.5)");
  db.exec("INSERT INTO nb101intermediatestats VALUES (20, 10, 108, 100.0, 92.41786599159241, 91.7, 1769.1279296875)");
  const NniReport report = import_nni(file("hand101.db"), file("hand101.nasbench"));
  EXPECT_EQ(report.trials, 3u);
  const Store s = Store::open(file("hand101.nasbench"));
  const std::uint32_t cell = Nb101Cells::get().index_of(cell_00005c14());
  EXPECT_EQ(s.find(nb101_time_column(108, 1))->value(cell), 1769.1279296875);
  EXPECT_EQ(s.find(nb101_time_column(108, 1))->value(cell, 53), 884.5);
  EXPECT_EQ(s.find(nb101_accuracy_column(EvalSet::XValid, 108, 1))->value(cell, 53), 79.0);
  EXPECT_EQ(s.find(nb101_accuracy_column(EvalSet::XValid, 108, 2))->value(cell), 92.45793223381042);  // trial id 11
  EXPECT_EQ(s.find(nb101_accuracy_column(EvalSet::XValid, 108, 3))->value(cell), 93.04887652397156);  // trial id 12
  EXPECT_EQ(s.find(nb101_time_column(108, 2))->value(cell) * 60, 106095.0);
  EXPECT_EQ(s.find(nb101_params_column())->value(cell), 8.55553);
}

TEST_F(NniTest, BadDatabasesAreOneErrorAndNoOutput) {
  const std::string out = file("out.nasbench");
  { std::ofstream(file("text.db")) << "id,arch\n1,x\n"; }
  expect_error([&] { import_nni(file("text.db"), out); }, "text.db: not an SQLite database");
  expect_error([&] { import_nni(file("missing.db"), out); }, "missing.db");
  {
    const Db db(file("other.db"));
    db.exec("CREATE TABLE results (id INTEGER PRIMARY KEY, value REAL)");
  }
  expect_error([&] { import_nni(file("other.db"), out); }, "other.db: has no NNI benchmark tables");
  {
    const Db db(file("short.db"));
    db.exec("CREATE TABLE nb201trialconfig (id INTEGER PRIMARY KEY, arch JSON, num_epochs INTEGER, dataset VARCHAR(20))");
  }
  expect_error([&] { import_nni(file("short.db"), out); }, "short.db: table nb201trialconfig has no column num_channels (not NNI's schema)");

  write_hand_nb201(file("arch.db"));
  { const Db db(file("arch.db")); db.exec("UPDATE nb201trialconfig SET arch = '{\"0_1\": \"avg_pool_3x3\"}'"); }
  expect_error([&] { import_nni(file("arch.db"), out); }, "arch.db: nb201trialconfig row id 7: arch has 1 keys");
  write_hand_nb201(file("range.db"), "INSERT INTO nb201trialstats VALUES (1, 7, 999, 157.82, 53.14, 53.08, 53.11, 1.5, 1.7, 1.71, 1.72, "
                                     "0.135156, 0.013183, 15.65322, 2888.437, 0.5, 0.5, 1.0)");
  expect_error([&] { import_nni(file("range.db"), out); }, "range.db: nb201trialstats row id 1: train_acc = 157.81999999999999 is out of range [0, 100]");
  write_hand_nb201(file("parent.db"), "INSERT INTO nb201trialstats VALUES (1, 8, 999, 57.82, 53.14, 53.08, 53.11, 1.5, 1.7, 1.71, 1.72, "
                                      "0.135156, 0.013183, 15.65322, 2888.437, 0.5, 0.5, 1.0)");
  expect_error([&] { import_nni(file("parent.db"), out); }, "parent.db: nb201trialstats row id 1: config_id 8 is not a row of nb201trialconfig");
  {  // NULL where NNI's schema says NOT NULL (this table was made without the constraint)
    const Db db(file("null.db"));
    db.exec(std::string(kSpecNb201Ddl).replace(std::string(kSpecNb201Ddl).find("latency REAL NOT NULL"), 21, "latency REAL"));
    db.exec("INSERT INTO nb201trialconfig VALUES (1, '" + nni_nb201_arch_text(tss_arch_at(3)) + "', 12, 16, 5, 'cifar10')");
    db.exec("INSERT INTO nb201trialstats VALUES (5, 1, 777, 50, 40, 40, 40, NULL, NULL, NULL, NULL, 0.1, NULL, 10, 100, 1, 1, 1)");
  }
  expect_error([&] { import_nni(file("null.db"), out); }, "null.db: nb201trialstats row id 5: latency is NULL (NNI's schema: NOT NULL)");
  {  // cifar10's three sets are one (ori-test): NNI never writes them different
    const Db db(file("copies.db"));
    db.exec(kSpecNb201Ddl);
    db.exec("INSERT INTO nb201trialconfig VALUES (1, '" + nni_nb201_arch_text(tss_arch_at(3)) + "', 12, 16, 5, 'cifar10')");
    db.exec("INSERT INTO nb201trialstats VALUES (5, 1, 777, 50, 40, 41, 40, NULL, NULL, NULL, NULL, 0.1, 0.01, 10, 100, 1, 1, 1)");
  }
  expect_error([&] { import_nni(file("copies.db"), out); }, "valid_acc and test_acc differ");
  {  // nb101: a hash that is not the arch's
    const Db db(file("hash.db"));
    for (const std::string& statement : nni_schema_statements(NniBenchmark::Nb101)) db.exec(statement);
    db.exec("INSERT INTO nb101trialconfig VALUES (1, '{\"input1\": [0]}', 2, '00005c142e6f48ac74fdcf73e3439874', 108)");
  }
  expect_error([&] { import_nni(file("hash.db"), out); }, "hash.db: nb101trialconfig row id 1: hash 00005c142e6f48ac74fdcf73e3439874 is not the module hash of its arch, 043721b9c7fe8c5fad811d47d83132ec");
  {  // nb101: an arch that is not a cell (output not reachable)
    const Db db(file("cell.db"));
    for (const std::string& statement : nni_schema_statements(NniBenchmark::Nb101)) db.exec(statement);
    db.exec("INSERT INTO nb101trialconfig VALUES (1, '{\"input1\": [0], \"input2\": [], \"op1\": \"maxpool3x3\"}', 3, 'x', 108)");
  }
  expect_error([&] { import_nni(file("cell.db"), out); }, "cell.db: nb101trialconfig row id 1: arch is not a cell of NAS-Bench-101");
  EXPECT_FALSE(fs::exists(out));
  for (const auto& entry : fs::directory_iterator(dir_)) EXPECT_EQ(entry.path().extension(), ".db") << entry.path();
}

}  // namespace
}  // namespace nas::bench

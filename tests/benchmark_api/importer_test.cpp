// The NATS-Bench importer on the six real official records: every value must survive exactly.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/importers.h"
#include "test_data.h"

namespace nas::bench {
namespace {

namespace fs = std::filesystem;

struct SpaceFixture {
  Space space;
  const char* dir;
  const char* json_prefix;
};

const SpaceFixture kFixtures[] = {
    {Space::Topology, "natsbench_fixtures/NATS-tss-v1_0-3ffb9-simple", "tss"},
    {Space::Size, "natsbench_fixtures/NATS-sss-v1_0-50262-simple", "sss"},
};

class ImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NAS_REQUIRE_SHARED_DATA();
    dir_ = fs::temp_directory_path() / ("nas_import_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// Compares a {key: value} JSON object of per-epoch values against the store's column for one trial.
void expect_series(const Store& store, const ColumnKey& key, std::uint32_t arch, const nlohmann::json& expected,
                   int* checked) {
  const Column* column = store.find(key);
  ASSERT_NE(column, nullptr) << key.describe();
  for (int epoch = 0; epoch < key.hp; ++epoch) {
    std::string json_key = std::to_string(epoch);
    if (key.set != EvalSet::Train) json_key = std::string(eval_set_name(key.set)) + "@" + json_key;
    const double stored = column->value(arch, epoch);
    if (expected.contains(json_key)) {
      ASSERT_EQ(stored, expected.at(json_key).get<double>()) << key.describe() << " epoch " << epoch;
      ++*checked;
    } else {
      ASSERT_TRUE(std::isnan(stored)) << key.describe() << " epoch " << epoch << " should be absent";
    }
  }
}

TEST_F(ImporterTest, ReproducesEveryValueOfTheOfficialRecords) {
  for (const auto& fixture : kFixtures) {
    const std::string out = (dir_ / "store.nasbench").string();
    const ImportReport report = import_nats_directory(nas::test::shared_data(fixture.dir), out, 2);
    EXPECT_EQ(report.space, fixture.space);
    EXPECT_EQ(report.archs, 3u);
    const Store store = Store::open(out);
    int checked = 0;
    int trials = 0;
    for (std::uint32_t arch : {0u, 11u, 284u}) {
      char name[64];
      std::snprintf(name, sizeof(name), "natsbench_fixtures/json/%s_%06u.json", fixture.json_prefix, arch);
      std::ifstream in(nas::test::shared_data(name));
      const nlohmann::json record = nlohmann::json::parse(in);
      for (const auto& [hp_key, state] : record.items()) {
        const auto hp = static_cast<std::uint16_t>(std::stoi(hp_key));
        for (const auto& [trial_key, run] : state.at("all_results").items()) {
          const auto at = trial_key.find('@');
          const Dataset dataset = parse_dataset(trial_key.substr(0, at));
          const std::int32_t seed = std::stoi(trial_key.substr(at + 1));
          ++trials;
          auto key = [&](EvalSet set, Quantity q) { return ColumnKey{dataset, set, q, hp, seed}; };
          expect_series(store, key(EvalSet::Train, Quantity::Loss), arch, run.at("train_losses"), &checked);
          expect_series(store, key(EvalSet::Train, Quantity::Accuracy), arch, run.at("train_acc1es"), &checked);
          expect_series(store, key(EvalSet::Train, Quantity::Time), arch, run.at("train_times"), &checked);
          if (!run.at("train_acc5es").is_null()) {
            expect_series(store, key(EvalSet::Train, Quantity::Accuracy5), arch, run.at("train_acc5es"), &checked);
          }
          for (const auto& set_name : run.at("eval_names")) {
            const EvalSet set = parse_eval_set(set_name.get<std::string>());
            expect_series(store, key(set, Quantity::Loss), arch, run.at("eval_losses"), &checked);
            expect_series(store, key(set, Quantity::Accuracy), arch, run.at("eval_acc1es"), &checked);
            expect_series(store, key(set, Quantity::Time), arch, run.at("eval_times"), &checked);
          }
          EXPECT_EQ(store.find(key(EvalSet::Train, Quantity::Params))->value(arch), run.at("params").get<double>());
          EXPECT_EQ(store.find(key(EvalSet::Train, Quantity::Flops))->value(arch), run.at("flop").get<double>());
          double latency = 0;
          for (const auto& v : run.at("latency")) latency += v.get<double>();
          latency /= static_cast<double>(run.at("latency").size());
          EXPECT_EQ(store.find(key(EvalSet::Train, Quantity::Latency))->value(arch), latency);
        }
      }
    }
    EXPECT_EQ(static_cast<std::uint32_t>(trials), report.trials);
    EXPECT_GT(checked, fixture.space == Space::Topology ? 10000 : 5000) << "values compared";
  }
}

TEST_F(ImporterTest, ImportedDataAnswersQueriesLikeTheOfficialApi) {
  const std::string out = (dir_ / "tss.nasbench").string();
  import_nats_directory(nas::test::shared_data(kFixtures[0].dir), out, 1);
  const Benchmark b = Benchmark::open(out);
  // Seed mean of ori-test@199 over 777/888/999 (the merged table's value, 85.86333...).
  EXPECT_DOUBLE_EQ(*b.query(0, Dataset::Cifar10).test_accuracy, (85.62 + 86.18 + 85.79) / 3);
  EXPECT_EQ(*b.query(0, Dataset::Cifar10, 200, Trial::of_seed(888)).test_accuracy, 86.18);
  EXPECT_EQ(b.seeds(0, Dataset::Cifar10, 200), (std::vector<std::int32_t>{777, 888, 999}));
  EXPECT_EQ(b.seeds(0, Dataset::Cifar10Valid, 12), (std::vector<std::int32_t>{111, 777}));
  // cifar10 valid = cifar10-valid x-valid; seed 777 at the last epoch is 82.092 (SOURCE.md).
  EXPECT_NEAR(*b.query(0, Dataset::Cifar10, 200, Trial::of_seed(777)).valid_accuracy, 82.092, 1e-6);
  // Measured, not estimated, times and latency.
  const CostInfo cost = b.cost(0, Dataset::Cifar10Valid, 12);
  EXPECT_FALSE(cost.time_estimated);
  EXPECT_NEAR(*cost.train_time_per_epoch_s, 7.221092998981476, 1e-12);
  EXPECT_NEAR(*cost.latency_s, 0.0139359758611311, 1e-15);
  // Per-epoch curves make low fidelities available to searchers: epoch 3 of hp 12.
  Rng rng(5);
  SimulatedClock clock;
  const SimulatedResult r = b.simulate_train_eval(0, Dataset::Cifar10, 12, rng, clock, 3);
  EXPECT_TRUE(r.seed == 111 || r.seed == 777);
  EXPECT_EQ(r.valid_accuracy, *b.metric(0, Dataset::Cifar10Valid, EvalSet::XValid, Quantity::Accuracy, 12,
                                        Trial::of_seed(r.seed), 3));
  EXPECT_NEAR(r.time_cost_s, 4 * 7.221092998981476 + 2.5489792369660877, 1e-9);
  EXPECT_FALSE(r.time_estimated);
  // Archs without a file have no data.
  EXPECT_FALSE(b.query(1, Dataset::Cifar10).test_accuracy);
}

TEST_F(ImporterTest, SizeSpaceRecordsAtHp90) {
  const std::string out = (dir_ / "sss.nasbench").string();
  import_nats_directory(nas::test::shared_data(kFixtures[1].dir), out, 2);
  const Benchmark b = Benchmark::open(out);
  EXPECT_EQ(b.full_hp(), 90);
  EXPECT_EQ(*b.query(11, Dataset::Cifar10).test_accuracy, 85.77);
  EXPECT_EQ(*b.query(0, Dataset::Cifar10).test_accuracy, 79.79);
  EXPECT_EQ(*b.query(284, Dataset::Cifar10).test_accuracy, 89.51);
  EXPECT_EQ(b.hps(Dataset::Cifar10), (std::vector<int>{1, 12, 90}));
  EXPECT_EQ(b.cost(11, Dataset::Cifar10).params_m, 0.049202);
}

void copy_fixture(const std::string& from_dir, const fs::path& to_dir) {
  fs::create_directories(to_dir);
  for (const auto& entry : fs::directory_iterator(from_dir)) fs::copy_file(entry.path(), to_dir / entry.path().filename());
}

void expect_import_error(const fs::path& src, const fs::path& out, const std::string& fragment) {
  try {
    import_nats_directory(src.string(), out.string(), 2);
    ADD_FAILURE() << "import of " << src << " should fail with '" << fragment << "'";
  } catch (const nas::Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out)) << "a failed import must not leave a store behind";
}

TEST_F(ImporterTest, BadDirectoriesAndFilesAreClearErrors) {
  const fs::path out = dir_ / "out.nasbench";
  expect_import_error(dir_ / "missing", out, "not a directory");
  fs::create_directories(dir_ / "empty");
  expect_import_error(dir_ / "empty", out, "no meta.pickle.pbz2");

  const fs::path copy = dir_ / "copy";
  copy_fixture(nas::test::shared_data(kFixtures[0].dir), copy);
  // An arch file under the wrong number: its recorded index disagrees.
  fs::copy_file(copy / "000011.pickle.pbz2", copy / "000012.pickle.pbz2");
  expect_import_error(copy, out, "000012.pickle.pbz2");
  fs::remove(copy / "000012.pickle.pbz2");

  // A truncated download.
  {
    std::ifstream in(copy / "000284.pickle.pbz2", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(copy / "000284.pickle.pbz2", std::ios::binary | std::ios::trunc).write(bytes.data(), 5000);
  }
  expect_import_error(copy, out, "000284.pickle.pbz2");
}

}  // namespace
}  // namespace nas::bench

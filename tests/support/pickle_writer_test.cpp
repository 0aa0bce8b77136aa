// The test-support writers (pickle, bzip2) read back through nas's own reader, the synthetic
// size-space records against the structure of the real official ones, and the synthetic store the
// `synthetic_sss` fixture imports.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>

#include "../benchmark_api/test_data.h"
#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/compressed_file.h"
#include "nas/benchmark_api/cost_model.h"
#include "nas/benchmark_api/pickle.h"
#include "nas/benchmark_api/size_space.h"
#include "pickle_writer.h"
#include "synthetic_nats_sss.h"

namespace {

using nas::bench::Dataset;
using nas::bench::EvalSet;
using nas::bench::pickle::Value;
using nas::test::PickleWriter;

/// Structural equality of two parsed pickles: same kinds, same scalars (floats bit for bit), same
/// items in the same order.
::testing::AssertionResult same_value(const Value& a, const Value& b, const std::string& where = "root") {
  if (a.kind() != b.kind()) return ::testing::AssertionFailure() << where << ": " << a.kind_name() << " vs " << b.kind_name();
  switch (a.kind()) {
    case Value::Kind::kNone: return ::testing::AssertionSuccess();
    case Value::Kind::kBool:
      if (a.as_bool() != b.as_bool()) return ::testing::AssertionFailure() << where << ": bools differ";
      return ::testing::AssertionSuccess();
    case Value::Kind::kInt:
      if (a.as_int() != b.as_int()) return ::testing::AssertionFailure() << where << ": " << a.as_int() << " vs " << b.as_int();
      return ::testing::AssertionSuccess();
    case Value::Kind::kFloat: {
      const double x = a.as_double(), y = b.as_double();
      if (!(x == y || (std::isnan(x) && std::isnan(y))) || std::signbit(x) != std::signbit(y)) {
        return ::testing::AssertionFailure() << where << ": " << x << " vs " << y;
      }
      return ::testing::AssertionSuccess();
    }
    case Value::Kind::kString:
      if (a.as_string() != b.as_string()) return ::testing::AssertionFailure() << where << ": strings differ";
      return ::testing::AssertionSuccess();
    case Value::Kind::kBytes:
      if (a.as_bytes() != b.as_bytes()) return ::testing::AssertionFailure() << where << ": bytes differ";
      return ::testing::AssertionSuccess();
    case Value::Kind::kDict: {
      if (a.size() != b.size()) return ::testing::AssertionFailure() << where << ": " << a.size() << " vs " << b.size() << " items";
      for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string item = where + "[" + a.items()[i].first.to_debug_string(40) + "]";
        if (auto r = same_value(a.items()[i].first, b.items()[i].first, item + " key"); !r) return r;
        if (auto r = same_value(a.items()[i].second, b.items()[i].second, item); !r) return r;
      }
      return ::testing::AssertionSuccess();
    }
    default: {
      if (a.size() != b.size()) return ::testing::AssertionFailure() << where << ": " << a.size() << " vs " << b.size() << " elements";
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (auto r = same_value(a.elements()[i], b.elements()[i], where + "[" + std::to_string(i) + "]"); !r) return r;
      }
      return ::testing::AssertionSuccess();
    }
  }
}

/// Writes a parsed value back with the writer (sets must be empty: the writer has no non-empty set).
void rewrite(const Value& v, PickleWriter& w) {
  switch (v.kind()) {
    case Value::Kind::kNone: w.none(); break;
    case Value::Kind::kBool: w.boolean(v.as_bool()); break;
    case Value::Kind::kInt: w.integer(v.as_int()); break;
    case Value::Kind::kFloat: w.floating(v.as_double()); break;
    case Value::Kind::kString: w.string(v.as_string()); break;
    case Value::Kind::kList:
      w.begin_list();
      for (const auto& e : v.elements()) rewrite(e, w);
      w.end_list();
      break;
    case Value::Kind::kTuple:
      w.begin_tuple();
      for (const auto& e : v.elements()) rewrite(e, w);
      w.end_tuple();
      break;
    case Value::Kind::kDict:
      w.begin_dict();
      for (const auto& [key, value] : v.items()) {
        rewrite(key, w);
        rewrite(value, w);
      }
      w.end_dict();
      break;
    case Value::Kind::kSet:
      ASSERT_EQ(v.size(), 0u);
      w.empty_set();
      break;
    default: FAIL() << "unexpected " << v.kind_name();
  }
}

TEST(PickleWriter, ScalarsRoundTripThroughTheReader) {
  const std::int64_t ints[] = {0, 1, 255, 256, 65535, 65536, -1, -256, INT32_MIN, INT32_MAX, std::int64_t{1} << 40,
                               std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()};
  for (std::int64_t i : ints) {
    PickleWriter w;
    w.integer(i);
    EXPECT_EQ(nas::bench::pickle::parse(w.finish()).as_int(), i);
  }
  const double floats[] = {0.0, -0.0, 0.1, -2.5e300, 4.9e-324, 85.77, std::numeric_limits<double>::infinity()};
  for (double f : floats) {
    PickleWriter w;
    w.floating(f);
    const Value v = nas::bench::pickle::parse(w.finish());
    EXPECT_TRUE(same_value(v, Value::floating(f))) << f;
  }
  for (const std::string& s : {std::string(), std::string("x-valid@11"), std::string("\xc2\xb5m"), std::string(300, 'a')}) {
    PickleWriter w;
    w.string(s);
    EXPECT_EQ(nas::bench::pickle::parse(w.finish()).as_string(), s);
  }
  PickleWriter w;
  w.begin_list().none().boolean(true).boolean(false).empty_set().end_list();
  const Value list = nas::bench::pickle::parse(w.finish());
  ASSERT_EQ(list.size(), 4u);
  EXPECT_TRUE(list.elements()[0].is_none());
  EXPECT_TRUE(list.elements()[1].as_bool());
  EXPECT_FALSE(list.elements()[2].as_bool());
  EXPECT_TRUE(list.elements()[3].is_set());
}

TEST(PickleWriter, ContainersAndMemoizedStringsRoundTrip) {
  PickleWriter w;
  w.begin_dict();
  w.begin_tuple().string("cifar10").integer(777).end_tuple().begin_list().string("x-valid").string("ori-test").end_list();
  w.begin_tuple().string("cifar10").integer(888).end_tuple().begin_tuple().end_tuple();
  w.string("x-valid").begin_tuple().integer(1).integer(2).integer(3).integer(4).end_tuple();
  for (int i = 0; i < 300; ++i) w.string("key" + std::to_string(i)).string("x-valid");  // memo indices past 255
  w.string("key5").string("key299");  // a repeated key: Python keeps its first position, the last value
  w.end_dict();
  const std::string bytes = w.finish();
  const Value v = nas::bench::pickle::parse(bytes);
  ASSERT_TRUE(v.is_dict());
  EXPECT_EQ(v.size(), 303u);
  EXPECT_EQ(v.at(Value::tuple({Value::string("cifar10"), Value::integer(777)})).elements()[1].as_string(), "ori-test");
  EXPECT_EQ(v.at(Value::tuple({Value::string("cifar10"), Value::integer(888)})).size(), 0u);
  EXPECT_EQ(v.at("x-valid").elements()[3].as_int(), 4);
  EXPECT_EQ(v.at("key299").as_string(), "x-valid");
  EXPECT_EQ(v.at("key5").as_string(), "key299");
  // The 301 repeats of "x-valid" are memo references, not 301 copies of the text.
  EXPECT_LT(bytes.size(), 300u * 16);
}

TEST(PickleWriter, MisuseIsALogicError) {
  PickleWriter open;
  open.begin_list();
  EXPECT_THROW(open.finish(), std::logic_error);
  PickleWriter crossed;
  crossed.begin_list();
  EXPECT_THROW(crossed.end_dict(), std::logic_error);
  PickleWriter odd;
  odd.begin_dict().string("key");
  EXPECT_THROW(odd.end_dict(), std::logic_error);
  PickleWriter two;
  two.none();
  EXPECT_THROW(two.none(), std::logic_error);
  PickleWriter empty;
  EXPECT_THROW(empty.finish(), std::logic_error);
}

TEST(PickleWriter, RewritingARealOfficialRecordGivesTheSameValues) {
  NAS_REQUIRE_SHARED_DATA();
  for (const char* file : {"NATS-sss-v1_0-50262-simple/000011.pickle.pbz2", "NATS-tss-v1_0-3ffb9-simple/000284.pickle.pbz2"}) {
    const Value original = nas::bench::load_pickle_bz2(nas::test::shared_data(std::string("natsbench_fixtures/") + file));
    PickleWriter w;
    rewrite(original, w);
    const std::string compressed = nas::test::bzip2_compress(w.finish());
    EXPECT_TRUE(same_value(nas::bench::pickle::parse(nas::bench::bzip2_decompress(compressed)), original)) << file;
  }
}

TEST(Bzip2Compress, RoundTripsThroughTheDecoder) {
  std::mt19937 random(3);
  std::string noise(2'000'000, '\0');  // larger than one 900k block
  for (char& c : noise) c = static_cast<char>(random() & 0xff);
  for (const std::string& data : {std::string(), std::string("a"), std::string(100000, 'z'), noise}) {
    for (int block : {1, 9}) {
      EXPECT_EQ(nas::bench::bzip2_decompress(nas::test::bzip2_compress(data, block)), data) << data.size() << " " << block;
    }
  }
}

// ---- the synthetic size-space records -----------------------------------------------------------------

/// Keys of a dict, in order.
std::vector<std::string> keys_of(const Value& dict) {
  std::vector<std::string> keys;
  for (const auto& item : dict.items()) keys.push_back(item.first.is_string() ? item.first.as_string() : item.first.to_debug_string());
  return keys;
}

TEST(SyntheticSss, RecordsHaveTheStructureOfTheOfficialOnes) {
  NAS_REQUIRE_SHARED_DATA();
  for (std::uint32_t index : {0u, 11u, 284u}) {
    char name[96];
    std::snprintf(name, sizeof name, "natsbench_fixtures/NATS-sss-v1_0-50262-simple/%06u.pickle.pbz2", index);
    const Value real = nas::bench::load_pickle_bz2(nas::test::shared_data(name));
    const Value synthetic = nas::bench::pickle::parse(nas::test::synthetic_sss_arch_pickle(index));
    ASSERT_EQ(keys_of(synthetic), keys_of(real));
    for (const auto& [hp_key, real_state] : real.items()) {
      const Value& state = synthetic.at(hp_key);
      ASSERT_EQ(keys_of(state), keys_of(real_state)) << hp_key.as_string();
      EXPECT_EQ(state.at("arch_index").as_int(), real_state.at("arch_index").as_int());
      EXPECT_EQ(state.at("arch_str").as_string(), real_state.at("arch_str").as_string());
      EXPECT_TRUE(same_value(state.at("dataset_seed"), real_state.at("dataset_seed")));
      EXPECT_TRUE(same_value(state.at("clear_net_done"), real_state.at("clear_net_done")));
      ASSERT_EQ(keys_of(state.at("all_results")), keys_of(real_state.at("all_results"))) << "the (dataset, seed) tuples";
      const int hp = std::stoi(hp_key.as_string());
      for (const auto& [run_key, real_run] : real_state.at("all_results").items()) {
        const Value& run = state.at("all_results").at(run_key);
        const std::string where = hp_key.as_string() + " " + run_key.to_debug_string();
        EXPECT_EQ(keys_of(run), keys_of(real_run)) << where;
        for (const char* same : {"name", "seed", "epochs", "eval_names", "arch_config", "net_state_dict"}) {
          EXPECT_TRUE(same_value(run.at(same), real_run.at(same))) << where << " " << same;
        }
        // Params and FLOPs are the exact cost model's, which are the official values.
        EXPECT_EQ(run.at("params").as_double(), real_run.at("params").as_double()) << where;
        EXPECT_EQ(run.at("flop").as_double(), real_run.at("flop").as_double()) << where;
        // The series hold the documented subset of the official epochs, under the official keys:
        // the last epoch everywhere, and x-valid accuracy also at the lower BOHB fidelities.
        for (const char* series : {"train_acc1es", "train_acc5es", "train_losses", "train_times"}) {
          ASSERT_EQ(run.at(series).size(), 1u) << where << " " << series;
          EXPECT_NE(real_run.at(series).find(Value::integer(hp - 1)), nullptr) << where << " " << series;
          EXPECT_TRUE(run.at(series).at(Value::integer(hp - 1)).is_float()) << where << " " << series;
        }
        for (const char* series : {"eval_acc1es", "eval_times", "eval_losses"}) {
          std::size_t expected = 0;
          for (const auto& set : run.at("eval_names").elements()) {
            const bool curve = series == std::string("eval_acc1es") && set.as_string() == "x-valid";
            const std::vector<int> epochs = curve ? nas::test::synthetic_sss_valid_epochs(hp) : std::vector<int>{hp - 1};
            for (int e : epochs) {
              const Value key = Value::string(set.as_string() + "@" + std::to_string(e));
              EXPECT_NE(real_run.at(series).find(key), nullptr) << where << " " << key.as_string();
              ASSERT_NE(run.at(series).find(key), nullptr) << where << " " << key.as_string();
              EXPECT_TRUE(run.at(series).at(key).is_float());
            }
            expected += epochs.size();
          }
          EXPECT_EQ(run.at(series).size(), expected) << where << " " << series;
        }
        EXPECT_EQ(run.at("latency").size(), 1u);
      }
    }
  }
}

TEST(SyntheticSss, TheModelIsDeterministicAndShapedLikeTheBenchmark) {
  using nas::test::synthetic_sss_accuracy;
  const std::uint32_t smallest = 0, largest = nas::bench::kSssNumArchs - 1;
  EXPECT_EQ(synthetic_sss_accuracy(1234, Dataset::Cifar100, EvalSet::XValid, 12, 11, 888),
            synthetic_sss_accuracy(1234, Dataset::Cifar100, EvalSet::XValid, 12, 11, 888));
  EXPECT_NE(synthetic_sss_accuracy(1234, Dataset::Cifar100, EvalSet::XValid, 12, 11, 888),
            synthetic_sss_accuracy(1234, Dataset::Cifar100, EvalSet::XValid, 12, 11, 999))
      << "trials differ by seed";
  for (Dataset key : {Dataset::Cifar10, Dataset::Cifar100, Dataset::ImageNet16_120}) {
    const EvalSet test = key == Dataset::Cifar10 ? EvalSet::OriTest : EvalSet::XTest;
    EXPECT_GT(synthetic_sss_accuracy(largest, key, test, 90, 89, 777), synthetic_sss_accuracy(smallest, key, test, 90, 89, 777) + 10);
    // Learning curves rise over the 12-epoch schedule and end below the 90-epoch result.
    const std::uint32_t mid = 18000;
    EXPECT_LT(synthetic_sss_accuracy(mid, key, test, 12, 0, 777), synthetic_sss_accuracy(mid, key, test, 12, 3, 777));
    EXPECT_LT(synthetic_sss_accuracy(mid, key, test, 12, 3, 777), synthetic_sss_accuracy(mid, key, test, 12, 11, 777));
    EXPECT_LT(synthetic_sss_accuracy(mid, key, test, 12, 11, 777), synthetic_sss_accuracy(mid, key, test, 90, 89, 777));
  }
  // ori-test of cifar100 is the union of its two halves.
  EXPECT_DOUBLE_EQ(synthetic_sss_accuracy(77, Dataset::Cifar100, EvalSet::OriTest, 90, 89, 777),
                   (synthetic_sss_accuracy(77, Dataset::Cifar100, EvalSet::XValid, 90, 89, 777) +
                    synthetic_sss_accuracy(77, Dataset::Cifar100, EvalSet::XTest, 90, 89, 777)) / 2);
  // Bigger networks train longer.
  EXPECT_GT(nas::test::synthetic_sss_train_seconds(largest, Dataset::Cifar10Valid),
            5 * nas::test::synthetic_sss_train_seconds(smallest, Dataset::Cifar10Valid));
}

// ---- the store the fixture built ---------------------------------------------------------------------

TEST(SyntheticSssStore, HoldsEveryConfigAsTheModelSays) {
  ASSERT_TRUE(std::filesystem::exists(NAS_SYNTHETIC_SSS_STORE))
      << NAS_SYNTHETIC_SSS_STORE << " is missing: run the tests with ctest (fixture synthetic_sss), or make_synthetic_sss";
  const auto benchmark = nas::bench::Benchmark::open(NAS_SYNTHETIC_SSS_STORE);
  EXPECT_EQ(benchmark.space(), nas::bench::Space::Size);
  EXPECT_EQ(benchmark.hps(Dataset::Cifar10Valid), (std::vector<int>{1, 12, 90}));
  for (Dataset d : {Dataset::Cifar10, Dataset::Cifar100, Dataset::ImageNet16_120}) {
    EXPECT_EQ(benchmark.searchable_archs(d, 12), nas::bench::kSssNumArchs) << nas::bench::dataset_name(d);
  }
  for (std::uint32_t index : {0u, 11u, 284u, 12345u, 32767u}) {
    EXPECT_EQ(benchmark.seeds(index, Dataset::Cifar100, 12), (std::vector<std::int32_t>{777, 888, 999}));
    const auto final_metrics = benchmark.query(index, Dataset::Cifar10);  // hp 90, seed mean (seed 777 only)
    EXPECT_EQ(*final_metrics.test_accuracy, nas::test::synthetic_sss_accuracy(index, Dataset::Cifar10, EvalSet::OriTest, 90, 89, 777));
    EXPECT_EQ(*final_metrics.valid_accuracy,
              nas::test::synthetic_sss_accuracy(index, Dataset::Cifar10Valid, EvalSet::XValid, 90, 89, 777));
    const auto seed_888 = benchmark.query(index, Dataset::ImageNet16_120, 12, nas::bench::Trial::of_seed(888), 3);
    EXPECT_EQ(*seed_888.valid_accuracy,
              nas::test::synthetic_sss_accuracy(index, Dataset::ImageNet16_120, EvalSet::XValid, 12, 3, 888));
    const auto cost = benchmark.cost(index, Dataset::Cifar100);
    EXPECT_FALSE(cost.time_estimated);
    EXPECT_EQ(*cost.train_time_per_epoch_s, nas::test::synthetic_sss_train_seconds(index, Dataset::Cifar100));
    EXPECT_EQ(*benchmark.metric(index, Dataset::Cifar100, EvalSet::Train, nas::bench::Quantity::Params, 90),
              cost.params_m) << "the records' params are the exact cost model's";
  }
}

}  // namespace

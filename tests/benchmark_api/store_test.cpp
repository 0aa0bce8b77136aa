// The columnar store: write/read round trips, layouts, epoch semantics and damaged files.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <filesystem>
#include <fstream>
#include <string>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/store.h"
#include "expect_error.h"
#include "store_image.h"

namespace nas::bench {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nas_store_test_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // A small store: a dense final-epoch column, a sparse curve column and a constant time column.
  std::string write_sample() const {
    StoreWriter writer(Space::Size, "sample store");
    const ColumnKey dense{Dataset::Cifar10, EvalSet::OriTest, Quantity::Accuracy, 90, kMeanSeed};
    const ColumnKey curve{Dataset::Cifar100, EvalSet::XValid, Quantity::Loss, 12, 777};
    const ColumnKey time{Dataset::Cifar100, EvalSet::Train, Quantity::Time, 12, kMeanSeed};
    writer.add_column(dense, 1);
    writer.add_column(curve, 12);
    writer.add_column(time, 1, kColumnEstimated | kColumnConstantPerEpoch);
    for (std::uint32_t arch = 0; arch < 32768; ++arch) writer.set(dense, arch, 0, arch * 0.001);
    for (int epoch = 0; epoch < 12; ++epoch) writer.set(curve, 5, epoch, 2.0 - epoch * 0.1);
    writer.set(curve, 9, 11, 0.5);
    writer.set(time, 5, 0, 3.25);
    const std::string file = path("sample.nasbench");
    writer.write(file);
    return file;
  }

  fs::path dir_;
};

TEST_F(StoreTest, RoundTripKeepsEveryValueAndLayout) {
  const Store store = Store::open(write_sample());
  EXPECT_EQ(store.space(), Space::Size);
  EXPECT_EQ(store.num_archs(), 32768u);
  EXPECT_EQ(store.description(), "sample store");
  EXPECT_NO_THROW(store.verify());

  const Column* dense = store.find({Dataset::Cifar10, EvalSet::OriTest, Quantity::Accuracy, 90, kMeanSeed});
  ASSERT_NE(dense, nullptr);
  EXPECT_FALSE(dense->sparse());
  EXPECT_DOUBLE_EQ(dense->value(1234), 1.234);
  EXPECT_DOUBLE_EQ(dense->value(1234, 89), 1.234);
  EXPECT_TRUE(std::isnan(dense->value(1234, 10))) << "only the last epoch is stored";
  EXPECT_FALSE(dense->stores_epoch(10));

  const Column* curve = store.find({Dataset::Cifar100, EvalSet::XValid, Quantity::Loss, 12, 777});
  ASSERT_NE(curve, nullptr);
  EXPECT_TRUE(curve->sparse());
  EXPECT_EQ(curve->num_rows(), 2u);
  EXPECT_TRUE(curve->has_curve());
  EXPECT_DOUBLE_EQ(curve->value(5, 0), 2.0);
  EXPECT_DOUBLE_EQ(curve->value(5, 3), 1.7);
  EXPECT_DOUBLE_EQ(curve->value(5), 2.0 - 11 * 0.1);
  EXPECT_TRUE(std::isnan(curve->value(9, 3))) << "hole in a curve";
  EXPECT_DOUBLE_EQ(curve->value(9), 0.5);
  EXPECT_TRUE(std::isnan(curve->value(6))) << "arch without a row";
  EXPECT_TRUE(std::isnan(curve->value(5, 12))) << "epoch outside the schedule";

  const Column* time = store.find({Dataset::Cifar100, EvalSet::Train, Quantity::Time, 12, kMeanSeed});
  ASSERT_NE(time, nullptr);
  EXPECT_TRUE(time->estimated());
  EXPECT_DOUBLE_EQ(time->value(5, 4), 3.25) << "a constant-per-epoch value holds for every epoch";

  EXPECT_EQ(store.find({Dataset::Cifar10, EvalSet::OriTest, Quantity::Accuracy, 12, kMeanSeed}), nullptr);
  EXPECT_EQ(store.seeds(Dataset::Cifar100, 12), std::vector<std::int32_t>{777});
  EXPECT_EQ(store.hps(Dataset::Cifar100), std::vector<int>{12});
}

TEST_F(StoreTest, CurveColumnsWithOnlyLastEpochValuesAreStoredAsLastEpochColumns) {
  StoreWriter writer(Space::Size, "");
  // Evaluated only after the last epoch (as x-valid of hp 200 in the official tss records).
  const ColumnKey last_only{Dataset::Cifar100, EvalSet::XValid, Quantity::Accuracy, 90, 777};
  // Mixed: some archs have a curve, some only the last epoch; one arch's last-epoch value is set
  // before its curve, another's after (the later set wins either way).
  const ColumnKey mixed{Dataset::Cifar100, EvalSet::XTest, Quantity::Accuracy, 12, 777};
  writer.add_column(last_only, 90);
  writer.add_column(mixed, 12);
  for (std::uint32_t arch = 0; arch < 32768; ++arch) writer.set(last_only, arch, 89, arch * 0.5);
  writer.set(last_only, 7, 89, 1.25);  // set twice: the later value
  writer.set(mixed, 3, 11, 60.0);      // last epoch first ...
  writer.set(mixed, 3, 0, 20.0);       // ... then a curve: the row keeps 60 at the last epoch
  writer.set(mixed, 4, 0, 21.0);
  writer.set(mixed, 4, 11, 61.0);
  writer.set(mixed, 4, 11, 62.0);      // the later one
  writer.set(mixed, 5, 11, 63.0);      // an arch with the last epoch only
  writer.set(mixed, 6, 11, 64.0);      // last-only, then overwritten after arch 6 gets a row
  writer.set(mixed, 6, 2, 30.0);
  writer.set(mixed, 6, 11, 65.0);
  const std::string file = path("compact.nasbench");
  writer.write(file);
  const Store store = Store::open(file);

  const Column* a = store.find(last_only);
  ASSERT_NE(a, nullptr);
  EXPECT_FALSE(a->has_curve()) << "no arch has a value before the last epoch";
  EXPECT_EQ(a->num_epochs(), 1);
  EXPECT_FALSE(a->sparse());
  EXPECT_DOUBLE_EQ(a->value(1000), 500.0);
  EXPECT_DOUBLE_EQ(a->value(1000, 89), 500.0);
  EXPECT_DOUBLE_EQ(a->value(7), 1.25);
  EXPECT_TRUE(std::isnan(a->value(1000, 3)));
  EXPECT_FALSE(a->stores_epoch(3));
  EXPECT_LT(fs::file_size(file), 32768u * 8 * 2) << "no 89 NaNs per arch";

  const Column* b = store.find(mixed);
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->has_curve());
  EXPECT_EQ(b->num_rows(), 4u);
  EXPECT_DOUBLE_EQ(b->value(3, 0), 20.0);
  EXPECT_DOUBLE_EQ(b->value(3), 60.0);
  EXPECT_DOUBLE_EQ(b->value(4), 62.0);
  EXPECT_DOUBLE_EQ(b->value(5), 63.0);
  EXPECT_TRUE(std::isnan(b->value(5, 0)));
  EXPECT_DOUBLE_EQ(b->value(6, 2), 30.0);
  EXPECT_DOUBLE_EQ(b->value(6), 65.0);
}


// NAS-Bench-101's two evaluations of a run (halfway and final) and its cumulative training times,
// built densely (one array per column) as its importer builds them.
TEST_F(StoreTest, HalfwayAndLastColumnsHoldExactlyTheirTwoEpochs) {
  StoreWriter writer(Space::Nb101, "");
  const ColumnKey accuracy{Dataset::Cifar10, EvalSet::XValid, Quantity::Accuracy, 36, 2};
  const ColumnKey time{Dataset::Cifar10, EvalSet::Train, Quantity::Time, 36, 2};
  const ColumnKey final_only{Dataset::Cifar10, EvalSet::OriTest, Quantity::Accuracy, 108, 1};
  writer.add_dense_column(accuracy, 2, kColumnHalfwayAndLast);
  writer.add_dense_column(time, 2, kColumnHalfwayAndLast | kColumnCumulativeTime);
  writer.add_dense_column(final_only, 2, kColumnHalfwayAndLast);
  EXPECT_THROW(writer.add_column(accuracy, 2, kColumnHalfwayAndLast), nas::Error) << "declared densely already";
  EXPECT_THROW(writer.add_column({Dataset::Cifar10, EvalSet::XValid, Quantity::Accuracy, 35, 1}, 2, kColumnHalfwayAndLast),
               nas::Error) << "an odd schedule has no halfway epoch";
  EXPECT_THROW(writer.add_column({Dataset::Cifar10, EvalSet::XValid, Quantity::Accuracy, 36, 1}, 1, kColumnCumulativeTime),
               nas::Error) << "only a time is cumulative";
  writer.set(accuracy, 7, 0, 81.5);
  writer.set(accuracy, 7, 1, 90.25);
  writer.set(accuracy, 423623, 1, 70.0);
  writer.set(time, 7, 0, 600.5);
  writer.set(time, 7, 1, 1201.0);
  writer.set(final_only, 9, 1, 93.0);  // no halfway value anywhere: written as a last-epoch column
  const std::string file = path("halfway.nasbench");
  writer.write(file);
  const Store store = Store::open(file);

  const Column* a = store.find(accuracy);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->halfway_and_last());
  EXPECT_FALSE(a->has_curve());
  EXPECT_TRUE(a->sparse()) << "2 of 423,624 archs";
  EXPECT_EQ(a->value(7, 17), 81.5) << "halfway = epoch 18 of 36, 0-based 17";
  EXPECT_EQ(a->value(7), 90.25);
  EXPECT_EQ(a->value(7, 35), 90.25);
  EXPECT_TRUE(std::isnan(a->value(7, 16)));
  EXPECT_TRUE(std::isnan(a->value(7, 18)));
  EXPECT_TRUE(std::isnan(a->value(423623, 17)));
  EXPECT_EQ(a->value(423623), 70.0);
  EXPECT_TRUE(a->stores_epoch(17));
  EXPECT_FALSE(a->stores_epoch(0));

  const Column* t = store.find(time);
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->cumulative_time());
  EXPECT_EQ(t->value(7, 17), 600.5);
  EXPECT_EQ(t->value(7), 1201.0);

  const Column* f = store.find(final_only);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->num_epochs(), 1);
  EXPECT_FALSE(f->stores_epoch(53));
  EXPECT_EQ(f->value(9), 93.0);
  EXPECT_TRUE(std::isnan(f->value(9, 53)));
}
TEST_F(StoreTest, WriterRejectsInconsistentColumns) {
  StoreWriter writer(Space::Topology, "");
  const ColumnKey key{Dataset::Cifar10, EvalSet::OriTest, Quantity::Accuracy, 200, kMeanSeed};
  EXPECT_THROW(writer.add_column(key, 7), nas::Error);
  writer.add_column(key, 1);
  EXPECT_THROW(writer.add_column(key, 200), nas::Error);
  EXPECT_THROW(writer.set(key, 15625, 0, 1.0), nas::Error);
  EXPECT_THROW(writer.set(key, 0, 1, 1.0), nas::Error);
  EXPECT_THROW(writer.set({Dataset::Cifar100, EvalSet::XTest, Quantity::Accuracy, 200, kMeanSeed}, 0, 0, 1.0), nas::Error);
}

std::string read_bytes(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void expect_open_error(const std::string& file, const std::string& fragment) {
  try {
    (void)Store::open(file);
    ADD_FAILURE() << "opened a damaged store; expected an error mentioning '" << fragment << "'";
  } catch (const nas::Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST_F(StoreTest, DamagedFilesGiveClearErrors) {
  const std::string good = read_bytes(write_sample());
  expect_open_error(path("absent.nasbench"), "cannot read");

  write_bytes(path("empty"), "");
  expect_open_error(path("empty"), "truncated");

  std::string bad_magic = good;
  bad_magic[0] = 'X';
  write_bytes(path("magic"), bad_magic);
  expect_open_error(path("magic"), "not a nas benchmark store");

  for (std::size_t cut : {good.size() - 1, good.size() / 2, std::size_t{100}}) {
    write_bytes(path("cut"), good.substr(0, cut));
    expect_open_error(path("cut"), "truncated");
  }

  std::string bad_directory = good;
  bad_directory[good.size() - 3] ^= 0x5a;
  write_bytes(path("dir"), bad_directory);
  expect_open_error(path("dir"), "directory checksum");


  fs::create_directories(path("a_directory"));
  expect_open_error(path("a_directory"), "not a regular file");
}

// The bytes of the dense column's value for `arch` in the sample store (its first column, at offset 64).
std::size_t dense_value_offset(std::uint32_t arch) { return 64 + arch * sizeof(double); }

using nas::test::expect_error;

const ColumnKey kDense{Dataset::Cifar10, EvalSet::OriTest, Quantity::Accuracy, 90, kMeanSeed};
const ColumnKey kCurve{Dataset::Cifar100, EvalSet::XValid, Quantity::Loss, 12, 777};

TEST_F(StoreTest, AChangedValueIsNeverServed) {
  std::string bytes = read_bytes(write_sample());
  {
    const Store intact = Store::open(path("sample.nasbench"));
    ASSERT_DOUBLE_EQ(intact.find(kDense)->value(1234), 1.234);
  }
  // One float changed, every checksum left as written: opening stays cheap (it reads the
  // directory only), but the column refuses to serve any value, and verify() names it.
  double changed = 9.99;
  std::memcpy(bytes.data() + dense_value_offset(1234), &changed, sizeof changed);
  write_bytes(path("changed"), bytes);
  const Store store = Store::open(path("changed"));
  const Column* dense = store.find(kDense);
  ASSERT_NE(dense, nullptr);
  expect_error([&] { (void)dense->value(0); }, "fails its checksum");
  expect_error([&] { (void)dense->value(1234); }, "cifar10/ori-test/accuracy hp 90 mean");
  expect_error([&] { store.verify(); }, "fails its checksum");
  // The untouched columns still answer.
  EXPECT_DOUBLE_EQ(store.find(kCurve)->value(5, 0), 2.0);
}

TEST_F(StoreTest, TheDataChecksumChangesWithTheDataAndIsCheckedAtOpen) {
  std::string bytes = read_bytes(write_sample());
  const std::uint64_t original = Store::open(path("sample.nasbench")).checksum();
  // Resealed after a change (as an importer writing other data would): another data checksum.
  double changed = 9.99;
  std::memcpy(bytes.data() + dense_value_offset(7), &changed, sizeof changed);
  nas::test::reseal_store_image(bytes);
  write_bytes(path("other"), bytes);
  const Store other = Store::open(path("other"));
  EXPECT_NE(other.checksum(), original);
  EXPECT_DOUBLE_EQ(other.find(kDense)->value(7), 9.99);
  // A column checksum edited in the directory without resealing it is caught at open.
  std::string edited = read_bytes(path("sample.nasbench"));
  edited[nas::test::store_image::entry_offset(edited, 0) + 40] ^= 1;
  write_bytes(path("edited"), edited);
  expect_open_error(path("edited"), "directory checksum");
}

TEST_F(StoreTest, SparseIndicesMustBeSortedAndInRange) {
  const std::string good = read_bytes(write_sample());
  // The sparse curve column is the last of the three (keys sorted); its two indices are archs 5 and 9.
  const std::size_t entry = nas::test::store_image::entry_offset(good, 2);
  ASSERT_EQ(nas::test::store_image::read<std::uint32_t>(good, entry + 16), 1u) << "the column is sparse";
  ASSERT_EQ(nas::test::store_image::read<std::uint32_t>(good, entry + 12), 2u) << "the column has two rows";
  const auto indices = nas::test::store_image::read<std::uint64_t>(good, entry + 24);
  ASSERT_EQ(nas::test::store_image::read<std::uint32_t>(good, indices), 5u);
  const struct {
    std::uint32_t first, second;
    const char* why;
  } cases[] = {{9, 5, "unsorted arch indices"}, {5, 5, "unsorted arch indices"}, {5, 40000, "arch index out of range"}};
  for (const auto& c : cases) {
    std::string bytes = good;
    nas::test::store_image::write<std::uint32_t>(bytes, indices, c.first);
    nas::test::store_image::write<std::uint32_t>(bytes, indices + 4, c.second);
    nas::test::reseal_store_image(bytes);
    write_bytes(path("sparse"), bytes);
    const Store store = Store::open(path("sparse"));
    expect_error([&] { (void)store.find(kCurve)->value(5); }, c.why);
  }
}

TEST_F(StoreTest, TrialSeedsAreASeedTheUnrecordedSeedOrTheMean) {
  const std::string good = read_bytes(write_sample());
  for (std::int32_t seed : {-2, -777, std::numeric_limits<std::int32_t>::min()}) {
    std::string bytes = good;
    nas::test::store_image::write<std::int32_t>(bytes, nas::test::store_image::entry_offset(bytes, 1) + 8, seed);
    nas::test::reseal_store_image(bytes);
    write_bytes(path("seed"), bytes);
    expect_open_error(path("seed"), "neither a seed nor the mean");
  }
}

TEST_F(StoreTest, AFileTruncatedOrRewrittenWhileOpenGivesAnErrorNotASignal) {
  const std::string good = read_bytes(write_sample());
  const Store store = Store::open(path("sample.nasbench"));
  ASSERT_DOUBLE_EQ(store.find(kCurve)->value(5, 0), 2.0);  // one column already in memory
  // Truncated under the open store: the loaded column keeps answering, an untouched one fails.
  fs::resize_file(path("sample.nasbench"), 100);
  EXPECT_DOUBLE_EQ(store.find(kCurve)->value(5, 0), 2.0);
  expect_error([&] { (void)store.find(kDense)->value(3); }, "truncated while in use");
  // Rewritten in place with other bytes of the same size: the checksum catches it.
  std::string other = good;
  for (std::size_t i = 64; i < 64 + 8 * 1000; ++i) other[i] = static_cast<char>(i);
  {
    std::ofstream out(path("sample.nasbench"), std::ios::binary | std::ios::in | std::ios::out);
    out.write(other.data(), static_cast<std::streamsize>(other.size()));
  }
  expect_error([&] { (void)store.find(kDense)->value(3); }, "fails its checksum");
}

TEST_F(StoreTest, NonRegularFilesAreRefusedWithoutBlocking) {
  const std::string fifo = path("fifo.nasbench");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_open_error(fifo, "FIFO");
  expect_open_error("/dev/zero", "character device");
  expect_open_error("", "empty");
}

TEST_F(StoreTest, AFormatOneStoreIsRefusedWithAHowTo) {
  std::string bytes = read_bytes(write_sample());
  nas::test::store_image::write<std::uint32_t>(bytes, 8, 1);
  write_bytes(path("v1"), bytes);
  expect_open_error(path("v1"), "rebuild it with `nas bench import`");
}

}  // namespace
}  // namespace nas::bench

// Importing NAS-Bench-101's official data files (nb101_tfrecord_importer.h), on files in the
// official format written by the test-only writer (tests/support/nb101_tfrecord_writer.h):
//  - the TFRecord checksums against the spec's vectors;
//  - a file of the 1,000 cells of nasbench-vis's 1k subset, all 4 schedules x 3 repeats, whose third
//    repeat holds the subset's real values (validation accuracy of each schedule, the 108-epoch
//    training time; hash 00005c14... has the three repeats NNI's tutorial prints) and whose other
//    values are synthetic: every value of the store, bit for bit, and what Benchmark::query and
//    simulate_train_eval read from it;
//  - damaged and malformed files: one error naming the file, the record and the problem, and no
//    output file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

#include "expect_error.h"
#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/nb101/nb101_cells.h"
#include "nas/benchmark_api/nb101/nb101_cost.h"
#include "nas/benchmark_api/nb101/nb101_space.h"
#include "nas/benchmark_api/nb101/nb101_tfrecord_importer.h"
#include "nas/benchmark_api/tfrecord.h"
#include "nb101_tfrecord_writer.h"
#include "nb101_vis_cells.h"
#include "synthetic_nb101.h"
#include "test_data.h"

namespace nas::bench {
namespace {

namespace fs = std::filesystem;
using test::Nb101RunValues;

// ---- TFRecord framing -------------------------------------------------------------------------------

TEST(TfRecord, Crc32cMatchesTheSpecVectors) {
  const std::string digits = "123456789";
  EXPECT_EQ(crc32c(digits.data(), digits.size()), 0xE3069283u);
  const std::vector<unsigned char> zeros(32, 0x00), ones(32, 0xFF);
  std::vector<unsigned char> ascending(32), descending(32);
  for (int i = 0; i < 32; ++i) {
    ascending[static_cast<std::size_t>(i)] = static_cast<unsigned char>(i);
    descending[static_cast<std::size_t>(i)] = static_cast<unsigned char>(31 - i);
  }
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);
  EXPECT_EQ(crc32c(ascending.data(), ascending.size()), 0x46DD794Eu);
  EXPECT_EQ(crc32c(descending.data(), descending.size()), 0x113FDB5Cu);
  EXPECT_EQ(tfrecord_masked_crc(crc32c("", 0)), 0xA282EAD8u);
  // Continuing a CRC over a split input gives the CRC of the whole (the 8-byte loop and the tail).
  EXPECT_EQ(crc32c(digits.data() + 5, 4, crc32c(digits.data(), 5)), 0xE3069283u);
}

/// A temporary folder for one test's files, removed at the end.
class TempFolder {
 public:
  explicit TempFolder(const std::string& tag)
      : path_(fs::temp_directory_path() / ("nas_nb101_tfrecord_" + tag + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempFolder() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  ASSERT_TRUE(out.good()) << path;
}

// ---- a file of the 1k subset's cells ---------------------------------------------------------------

constexpr std::array<int, 4> kSchedules{4, 12, 36, 108};
constexpr double kImages = 9984;  // the official accuracies are float32 multiples of 1/9,984

double official_accuracy(double images) { return static_cast<double>(static_cast<float>(images / kImages)); }
double as_float32(double value) { return static_cast<double>(static_cast<float>(value)); }

const std::string kTutorialHash = "00005c142e6f48ac74fdcf73e3439874";

/// The runs written for one cell of the 1k file at schedule s (index into kSchedules): repeat 3
/// (index 2) has the file's real validation accuracy (and, at 108 epochs, its training time), the
/// other values are plausible and distinct. 00005c14... at 108 epochs has the tutorial's repeats.
std::array<Nb101RunValues, 3> runs_of(const test::Nb101VisCell& cell, std::size_t s) {
  const int epochs = kSchedules[s];
  const double real_valid = cell.validation_accuracy[s];
  const double images = std::round(real_valid * kImages);
  const double final_time = epochs == 108 ? cell.final_training_time : as_float32(cell.final_training_time * epochs / 108.0);
  std::array<Nb101RunValues, 3> runs{};
  for (int r = 0; r < 3; ++r) {
    const double valid_images = r == 2 ? images : images - 7 + 3 * r;  // repeats 1, 2: 7 and 4 images fewer
    Nb101RunValues& run = runs[static_cast<std::size_t>(r)];
    run.trainable_parameters = static_cast<std::int64_t>(cell.params);
    const double time = r == 2 ? final_time : as_float32(final_time + 0.5 * (r + 1));
    run.evaluations[0] = {0.0, 0.0, official_accuracy(998), official_accuracy(1001), official_accuracy(1000)};
    run.evaluations[1] = {epochs / 2.0, as_float32(time / 2 - 1.25), official_accuracy(valid_images - 400),
                          official_accuracy(valid_images - 350), official_accuracy(valid_images - 380)};
    run.evaluations[2] = {static_cast<double>(epochs), time, official_accuracy(std::min(kImages, valid_images + 700)),
                          r == 2 ? real_valid : official_accuracy(valid_images), official_accuracy(valid_images - 60)};
    run.total_time = as_float32(time * 1.07);
  }
  if (cell.key == kTutorialHash && epochs == 108) {
    // NNI's tutorial: 92.4179 / 92.4579 / 93.0489 %, 1769.128 / 1768.251 / 1768.976 s.
    runs[0].evaluations[2].validation_accuracy = official_accuracy(9227);
    runs[1].evaluations[2].validation_accuracy = official_accuracy(9231);
    runs[0].evaluations[2].training_time = as_float32(1769.128);
    runs[1].evaluations[2].training_time = as_float32(1768.251);
  }
  return runs;
}

/// The 1k file's cells, written once (12,000 records) and imported once for all tests below.
struct Imported1k {
  std::vector<test::Nb101VisCell> cells;
  std::string source;  // the written file's path
  Nb101TfRecordImportReport report;
  std::uintmax_t source_bytes = 0;
  std::unique_ptr<Benchmark> benchmark;
};

const Imported1k& imported_1k() {
  static const Imported1k imported = [] {
    Imported1k result;
    result.cells = test::read_nb101_vis_cells(test::shared_data("nasbench101/nasbench-vis_data-1k.json"));
    const fs::path folder = fs::temp_directory_path() / ("nas_nb101_1k_" + std::to_string(::getpid()));
    fs::create_directories(folder);
    result.source = (folder / "nasbench-1k-subset.tfrecord").string();
    const std::string store = (folder / "nb101-1k.nasbench").string();
    {
      test::TfRecordFileWriter file(result.source);
      for (const test::Nb101VisCell& cell : result.cells) {
        for (std::size_t s = 0; s < kSchedules.size(); ++s) {
          for (const Nb101RunValues& run : runs_of(cell, s)) file.add(test::nb101_record_json(cell.key, kSchedules[s], cell.graph, run));
        }
      }
      file.close();
    }
    result.source_bytes = fs::file_size(result.source);
    result.report = import_nb101_tfrecord(result.source, store);
    result.benchmark = std::make_unique<Benchmark>(Benchmark::open(store, Space::Nb101));
    fs::remove_all(folder);  // the store keeps its file open
    return result;
  }();
  return imported;
}

std::uint32_t index_of(const std::string& hash) { return *Nb101Cells::get().find(Nb101Hash::from_hex(hash)); }

double stored(const Benchmark& benchmark, const ColumnKey& key, std::uint32_t index, int slot) {
  const Column* column = benchmark.store().find(key);
  if (column == nullptr) throw std::runtime_error("no column " + key.describe());
  return column->value(index, slot == kNb101HalfwaySlot ? key.hp / 2 - 1 : key.hp - 1);
}

TEST(Nb101TfRecordImport, ReportsWhatTheFileHolds) {
  NAS_REQUIRE_SHARED_DATA();
  const Imported1k& imported = imported_1k();
  EXPECT_EQ(imported.report.records, 12000u);
  EXPECT_EQ(imported.report.cells, 1000u);
  EXPECT_EQ(imported.report.schedules, (std::vector<int>{4, 12, 36, 108}));
  EXPECT_EQ(imported.report.repeats, 3);
  const std::string& description = imported.benchmark->store().description();
  for (const std::string& fragment : std::vector<std::string>{"PARTIAL: 1000 of 423624 cells", "nasbench-1k-subset.tfrecord",
                                     std::to_string(imported.source_bytes) + " bytes", "12000 records", "XXH3-64 ",
                                     "schedules 4, 12, 36, 108 epochs", "up to 3 repeats", "in percent"}) {
    EXPECT_NE(description.find(fragment), std::string::npos) << fragment << " not in: " << description;
  }
}

TEST(Nb101TfRecordImport, StoresEveryValueBitForBitUnderTheCellsIndex) {
  NAS_REQUIRE_SHARED_DATA();
  const Imported1k& imported = imported_1k();
  const Benchmark& benchmark = *imported.benchmark;
  for (const test::Nb101VisCell& cell : imported.cells) {
    const std::uint32_t index = index_of(cell.key);
    ASSERT_EQ(Nb101Cells::get().hash(index).hex(), cell.key);
    EXPECT_EQ(stored(benchmark, nb101_params_column(), index, kNb101FinalSlot), static_cast<double>(cell.params) / 1e6) << cell.key;
    for (std::size_t s = 0; s < kSchedules.size(); ++s) {
      const int hp = kSchedules[s];
      const std::array<Nb101RunValues, 3> runs = runs_of(cell, s);
      for (int r = 1; r <= 3; ++r) {
        const Nb101RunValues& run = runs[static_cast<std::size_t>(r - 1)];
        for (const auto& [slot, evaluation] : {std::pair{kNb101HalfwaySlot, 1}, std::pair{kNb101FinalSlot, 2}}) {
          const test::Nb101EvaluationValues& values = run.evaluations[static_cast<std::size_t>(evaluation)];
          ASSERT_EQ(stored(benchmark, nb101_accuracy_column(EvalSet::XValid, hp, r), index, slot), 100.0 * values.validation_accuracy)
              << cell.key << " hp " << hp << " repeat " << r << " slot " << slot;
          ASSERT_EQ(stored(benchmark, nb101_accuracy_column(EvalSet::Train, hp, r), index, slot), 100.0 * values.train_accuracy);
          ASSERT_EQ(stored(benchmark, nb101_accuracy_column(EvalSet::OriTest, hp, r), index, slot), 100.0 * values.test_accuracy);
          ASSERT_EQ(stored(benchmark, nb101_time_column(hp, r), index, slot), values.training_time);
        }
      }
      // The third repeat is the 1k file's own value.
      EXPECT_EQ(stored(benchmark, nb101_accuracy_column(EvalSet::XValid, hp, 3), index, kNb101FinalSlot),
                100.0 * cell.validation_accuracy[s]);
    }
    EXPECT_EQ(stored(benchmark, nb101_time_column(108, 3), index, kNb101FinalSlot), cell.final_training_time);
  }
  // A cell the file does not have has no values.
  std::uint32_t outside = 0;
  while (std::find_if(imported.cells.begin(), imported.cells.end(), [&](const test::Nb101VisCell& c) {
           return c.key == Nb101Cells::get().hash(outside).hex();
         }) != imported.cells.end()) {
    ++outside;
  }
  EXPECT_TRUE(std::isnan(stored(benchmark, nb101_accuracy_column(EvalSet::XValid, 108, 1), outside, kNb101FinalSlot)));
}

TEST(Nb101TfRecordImport, KeepsTheRepeatsInFileOrder) {
  NAS_REQUIRE_SHARED_DATA();
  const Benchmark& benchmark = *imported_1k().benchmark;
  const std::uint32_t index = index_of(kTutorialHash);
  const double valid[] = {92.4179, 92.4579, 93.0489};
  const double time[] = {1769.128, 1768.251, 1768.976};
  for (int r = 1; r <= 3; ++r) {
    EXPECT_NEAR(stored(benchmark, nb101_accuracy_column(EvalSet::XValid, 108, r), index, kNb101FinalSlot), valid[r - 1], 5e-5) << r;
    EXPECT_NEAR(stored(benchmark, nb101_time_column(108, r), index, kNb101FinalSlot), time[r - 1], 5e-4) << r;
  }
  // The 1k file's values: repeat index 2, as float32 widened to double, x 100.
  EXPECT_EQ(stored(benchmark, nb101_accuracy_column(EvalSet::XValid, 108, 3), index, kNb101FinalSlot), 100.0 * 0.9304887652397156);
  EXPECT_EQ(stored(benchmark, nb101_time_column(108, 3), index, kNb101FinalSlot), 1768.9759521484375);
  EXPECT_EQ(benchmark.seeds(index, Dataset::Cifar10, 108), (std::vector<std::int32_t>{1, 2, 3}));
  EXPECT_EQ(benchmark.store().find(nb101_accuracy_column(EvalSet::XValid, 108, kNb101UnknownRepeat)), nullptr);
}

TEST(Nb101TfRecordImport, QueryReadsRepeatsHalfwayValuesAndTheMean) {
  NAS_REQUIRE_SHARED_DATA();
  const Imported1k& imported = imported_1k();
  const Benchmark& benchmark = *imported.benchmark;
  const test::Nb101VisCell& cell = imported.cells[17];
  const std::uint32_t index = index_of(cell.key);
  const std::array<Nb101RunValues, 3> runs = runs_of(cell, 3);  // 108 epochs

  const ArchMetrics third = benchmark.query(index, Dataset::Cifar10, 108, Trial::of_seed(3));
  EXPECT_EQ(*third.valid_accuracy, 100.0 * cell.validation_accuracy[3]);
  EXPECT_EQ(*third.test_accuracy, 100.0 * runs[2].evaluations[2].test_accuracy);
  EXPECT_EQ(*third.train_accuracy, 100.0 * runs[2].evaluations[2].train_accuracy);

  const ArchMetrics halfway = benchmark.query(index, Dataset::Cifar10, 108, Trial::of_seed(1), 53);
  EXPECT_EQ(*halfway.valid_accuracy, 100.0 * runs[0].evaluations[1].validation_accuracy);
  EXPECT_EQ(*halfway.test_accuracy, 100.0 * runs[0].evaluations[1].test_accuracy);
  EXPECT_FALSE(benchmark.query(index, Dataset::Cifar10, 108, Trial::of_seed(1), 60).valid_accuracy)
      << "only the halfway and final epochs are evaluated";

  double sum = 0;
  for (const Nb101RunValues& run : runs) sum += 100.0 * run.evaluations[2].validation_accuracy;
  EXPECT_EQ(*benchmark.query(index, Dataset::Cifar10, 108, Trial::mean()).valid_accuracy, sum / 3);
  EXPECT_EQ(benchmark.cost(index, Dataset::Cifar10).params_m, static_cast<double>(cell.params) / 1e6);
}

TEST(Nb101TfRecordImport, SimulatedTrainingStopsHalfwayOrAtTheEndAndChargesThatRunsTime) {
  NAS_REQUIRE_SHARED_DATA();
  const Imported1k& imported = imported_1k();
  const Benchmark& benchmark = *imported.benchmark;
  for (std::size_t s = 0; s < kSchedules.size(); ++s) {
    const int hp = kSchedules[s];
    const test::Nb101VisCell& cell = imported.cells[100 + s];
    const std::uint32_t index = index_of(cell.key);
    const std::array<Nb101RunValues, 3> runs = runs_of(cell, s);
    Rng rng(11);
    SimulatedClock clock;
    std::map<std::int32_t, int> drawn;
    for (int draw = 0; draw < 30; ++draw) {
      const double before = clock.used_seconds;
      const bool stop_halfway = draw % 2 == 0;
      const SimulatedResult result = benchmark.simulate_train_eval(index, Dataset::Cifar10, hp, rng, clock, stop_halfway ? hp / 2 - 1 : -1);
      ASSERT_GE(result.seed, 1);
      ASSERT_LE(result.seed, 3);
      ++drawn[result.seed];
      const test::Nb101EvaluationValues& values = runs[static_cast<std::size_t>(result.seed - 1)].evaluations[stop_halfway ? 1 : 2];
      EXPECT_EQ(result.valid_accuracy, 100.0 * values.validation_accuracy) << hp << " " << draw;
      EXPECT_EQ(result.time_cost_s, values.training_time) << "the cumulative time of the run up to where it stopped";
      EXPECT_EQ(clock.used_seconds, before + values.training_time);
    }
    EXPECT_EQ(drawn.size(), 3u) << "each repeat is drawn";
  }
}

// ---- bad input ---------------------------------------------------------------------------------------

/// The data of good records: cell `index`, 108 epochs, repeat 1 of the synthetic data.
std::string good_record(std::uint32_t index) { return test::synthetic_nb101_record(index, 108, 1); }

/// A record of cell `index` with its graph and metrics as given.
std::string record_with(std::uint32_t index, const Nb101Graph& graph, const Nb101RunValues& run, int epochs = 108) {
  return test::nb101_record_json(Nb101Cells::get().hash(index).hex(), epochs, graph, run);
}

/// The framed records, concatenated: a file's bytes.
std::string file_of(const std::vector<std::string>& records) {
  std::string bytes;
  for (const std::string& data : records) bytes += test::tfrecord_frame(data);
  return bytes;
}

/// Imports `bytes`, expecting an error that says `fragment` and no output file.
void expect_import_error(const std::string& bytes, const std::string& fragment) {
  TempFolder folder("bad");
  const std::string source = folder.file("damaged.tfrecord"), out = folder.file("out.nasbench");
  write_bytes(source, bytes);
  test::expect_error([&] { import_nb101_tfrecord(source, out); }, fragment);
  test::expect_error([&] { import_nb101_tfrecord(source, out); }, source + ": ");
  EXPECT_FALSE(fs::exists(out)) << "no output after an error";
  EXPECT_EQ(std::distance(fs::directory_iterator(fs::path(out).parent_path()), fs::directory_iterator{}), 1) << "nothing left behind";
}

TEST(Nb101TfRecordErrors, TruncatedFilesNameTheRecordCutShort) {
  const std::string whole = file_of({good_record(0), good_record(1), good_record(2)});
  const std::size_t record_bytes = test::tfrecord_frame(good_record(0)).size();
  const std::size_t third = whole.size() - test::tfrecord_frame(good_record(2)).size();
  expect_import_error(whole.substr(0, third + 5), "record 2 (0-based, at byte " + std::to_string(third) + "): truncated");
  expect_import_error(whole.substr(0, third + 5), "ends 5 bytes into the record's 12-byte header");
  expect_import_error(whole.substr(0, record_bytes + 40), "record 1 (0-based, at byte " + std::to_string(record_bytes) + "): truncated");
  expect_import_error(whole.substr(0, whole.size() - 1), "record 2 (0-based");  // its data CRC cut short
  expect_import_error("", "holds no records");
}

TEST(Nb101TfRecordErrors, AFlippedByteIsACrcErrorOfItsRecord) {
  const std::string whole = file_of({good_record(0), good_record(1), good_record(2)});
  const std::size_t second = test::tfrecord_frame(good_record(0)).size();
  std::string length_flipped = whole;
  length_flipped[second + 1] ^= 0x01;
  expect_import_error(length_flipped, "record 1 (0-based, at byte " + std::to_string(second) + "): bad length CRC");
  std::string data_flipped = whole;
  data_flipped[second + 30] ^= 0x20;
  expect_import_error(data_flipped, "record 1 (0-based, at byte " + std::to_string(second) + "): bad data CRC");
  std::string crc_flipped = whole;
  crc_flipped[second - 2] ^= 0x80;  // record 0's data CRC
  expect_import_error(crc_flipped, "record 0 (0-based, at byte 0): bad data CRC");
}

TEST(Nb101TfRecordErrors, MalformedRecordsSayWhatIsWrong) {
  const Nb101Graph graph = Nb101Cells::get().spec(5).to_graph();
  const Nb101RunValues run = test::synthetic_nb101_run(5, 108, 1);
  const std::string hash = Nb101Cells::get().hash(5).hex();
  const std::string adjacency = test::nb101_adjacency_string(graph), ops = test::nb101_operations_string(graph);
  const std::string metrics = test::base64_encode(test::serialize_nb101_metrics(run));
  auto second = [&](const std::string& data) { return file_of({good_record(0), data}); };

  expect_import_error(second("[\"" + hash + "\", 108"), "record 1 (0-based, at byte");
  expect_import_error(second("[\"" + hash + "\", 108"), "not JSON");
  expect_import_error(second("[\"" + hash + "\", 108, \"" + adjacency + "\", \"" + ops + "\"]"), "not a JSON array of 5");
  expect_import_error(second("{}"), "not a JSON array of 5");
  expect_import_error(second(test::nb101_record_json("00005c14", 108, adjacency, ops, metrics)), "expected 32 hex digits");
  expect_import_error(second(test::nb101_record_json(hash, 100, adjacency, ops, metrics)), "epochs 100 is not one of");
  expect_import_error(second(nlohmann::json::array({hash, "108", adjacency, ops, metrics}).dump()), "field 1 (epochs) is not an integer");
  expect_import_error(second(test::nb101_record_json(hash, 108, adjacency.substr(1), ops, metrics)), "is not a square matrix");
  expect_import_error(second(test::nb101_record_json(hash, 108, std::string(adjacency.size(), '2'), ops, metrics)), "not only '0' and '1'");
  ASSERT_GE(graph.ops.size(), 3u);
  const std::string unknown = "input,conv5x5-bn-relu" + ops.substr(ops.find(',', 6));  // its first inner op replaced
  expect_import_error(second(test::nb101_record_json(hash, 108, adjacency, unknown, metrics)),
                      "operation 'conv5x5-bn-relu' is not a NAS-Bench-101 op name");
  expect_import_error(second(test::nb101_record_json(hash, 108, adjacency, "input,c3,output", metrics)), "op name");
  expect_import_error(second(test::nb101_record_json(hash, 108, adjacency, ops, "!!!!")), "not base64");
  expect_import_error(second(test::nb101_record_json(hash, 108, adjacency, ops, test::base64_encode("\xff\xff\xff\xff"))),
                      "metrics are not a serialized nasbench.ModelMetrics");
}

TEST(Nb101TfRecordErrors, MetricsOutsideTheirDomainAreErrors) {
  const Nb101Graph graph = Nb101Cells::get().spec(7).to_graph();
  const Nb101RunValues good = test::synthetic_nb101_run(7, 108, 1);
  auto second = [&](const Nb101RunValues& run) { return file_of({good_record(0), record_with(7, graph, run)}); };

  Nb101RunValues accuracy = good;
  accuracy.evaluations[2].test_accuracy = 1.5;
  expect_import_error(second(accuracy), "record 1 (0-based, at byte");
  expect_import_error(second(accuracy), "final test_accuracy 1.500000 is not a fraction in [0, 1]");
  Nb101RunValues not_a_number = good;
  not_a_number.evaluations[1].validation_accuracy = std::nan("");
  expect_import_error(second(not_a_number), "halfway validation_accuracy");
  Nb101RunValues negative_time = good;
  negative_time.evaluations[1].training_time = -1;
  expect_import_error(second(negative_time), "halfway training_time -1.000000 is not a finite, non-negative time");
  Nb101RunValues infinite_time = good;
  infinite_time.evaluations[2].training_time = INFINITY;
  expect_import_error(second(infinite_time), "final training_time inf");
  Nb101RunValues params = good;
  params.trainable_parameters += 1;
  expect_import_error(second(params), "trainable_parameters " + std::to_string(good.trainable_parameters + 1) +
                                          " differs from the exact count " + std::to_string(good.trainable_parameters));

  // Dropping the first serialized EvaluationData (field 1, length-delimited: tag 0x0A, a one-byte
  // length) leaves evaluation_data of 2 entries.
  const std::string three = test::serialize_nb101_metrics(good);
  ASSERT_EQ(static_cast<unsigned char>(three[0]), 0x0Au);
  ASSERT_LT(static_cast<unsigned char>(three[1]), 0x80u);
  const std::string two = three.substr(2 + static_cast<unsigned char>(three[1]));
  expect_import_error(file_of({good_record(0), test::nb101_record_json(Nb101Cells::get().hash(7).hex(), 108,
                                                                       test::nb101_adjacency_string(graph),
                                                                       test::nb101_operations_string(graph), test::base64_encode(two))}),
                      "evaluation_data has 2 entries, not 3");
}

TEST(Nb101TfRecordErrors, GraphsMustBeTheCellOfTheirHash) {
  const Nb101Cells& cells = Nb101Cells::get();
  const Nb101Graph graph9 = cells.spec(9).to_graph();
  const Nb101RunValues run9 = test::synthetic_nb101_run(9, 108, 1);
  // Cell 9's values under cell 8's hash.
  const std::string mismatch = test::nb101_record_json(cells.hash(8).hex(), 108, graph9, run9);
  expect_import_error(file_of({good_record(0), mismatch}), "record 1 (0-based, at byte");
  expect_import_error(file_of({good_record(0), mismatch}),
                      "its hash " + cells.hash(8).hex() + " is not the module hash of its graph, " + cells.hash(9).hex());
  // A graph whose output is not reachable from its input.
  Nb101Graph disconnected = graph9;
  for (auto& row : disconnected.matrix) std::fill(row.begin(), row.end(), 0);
  expect_import_error(file_of({record_with(9, disconnected, run9)}), "record 0 (0-based, at byte 0): its graph");
  expect_import_error(file_of({record_with(9, disconnected, run9)}), "is not a NAS-Bench-101 cell");
  // A later record of a hash with other graph strings than its first (two inner ops swapped).
  std::uint32_t cell = 0;
  while (cells.spec(cell).num_vertices() < 4 || cells.spec(cell).op(1) == cells.spec(cell).op(2)) ++cell;
  const Nb101Graph graph = cells.spec(cell).to_graph();
  Nb101Graph swapped = graph;
  std::swap(swapped.ops[1], swapped.ops[2]);
  const Nb101RunValues run = test::synthetic_nb101_run(cell, 108, 1);
  const std::vector<std::string> records{record_with(cell, graph, run), good_record(0), record_with(cell, swapped, run)};
  expect_import_error(file_of(records), "record 2 (0-based");
  expect_import_error(file_of(records), "differs from that of record 0, the first of hash " + cells.hash(cell).hex());
}

TEST(Nb101TfRecordErrors, AFourthRepeatIsAnError) {
  const std::string third = file_of({good_record(3), good_record(3), good_record(0), good_record(3)});
  TempFolder folder("repeats");
  write_bytes(folder.file("three.tfrecord"), third);
  EXPECT_EQ(import_nb101_tfrecord(folder.file("three.tfrecord"), folder.file("three.nasbench")).repeats, 3);
  expect_import_error(third + test::tfrecord_frame(good_record(3)), "record 4 (0-based");
  expect_import_error(third + test::tfrecord_frame(good_record(3)),
                      "a 4th record of hash " + Nb101Cells::get().hash(3).hex() + " at 108 epochs");
  // Other schedules of the cell count on their own.
  const std::string other = test::synthetic_nb101_record(3, 36, 1);
  write_bytes(folder.file("four.tfrecord"), third + test::tfrecord_frame(other));
  EXPECT_EQ(import_nb101_tfrecord(folder.file("four.tfrecord"), folder.file("four.nasbench")).schedules, (std::vector<int>{36, 108}));
}

TEST(Nb101TfRecordErrors, ABadOutputLocationFailsBeforeReading) {
  TempFolder folder("out");
  write_bytes(folder.file("good.tfrecord"), file_of({good_record(0)}));
  test::expect_error([&] { import_nb101_tfrecord(folder.file("good.tfrecord"), folder.file("missing/out.nasbench")); },
                     "does not exist");
  test::expect_error([&] { import_nb101_tfrecord(folder.file("absent.tfrecord"), folder.file("out.nasbench")); },
                     "absent.tfrecord");
  EXPECT_FALSE(fs::exists(folder.file("out.nasbench")));
}

TEST(Nb101TfRecordImport, ReportsProgressInBytes) {
  TempFolder folder("progress");
  std::vector<std::string> records;
  for (std::uint32_t i = 0; i < 20000; ++i) records.push_back(good_record(i));  // ~8 MB: a few steps
  write_bytes(folder.file("cells.tfrecord"), file_of(records));
  const std::uint64_t size = fs::file_size(folder.file("cells.tfrecord"));
  std::vector<std::uint64_t> done;
  const auto report = import_nb101_tfrecord(folder.file("cells.tfrecord"), folder.file("cells.nasbench"),
                                            [&](std::uint64_t bytes, std::uint64_t total) {
                                              EXPECT_EQ(total, size);
                                              done.push_back(bytes);
                                            });
  EXPECT_EQ(report.records, 20000u);
  EXPECT_EQ(report.cells, 20000u);
  ASSERT_GE(done.size(), 2u);
  EXPECT_TRUE(std::is_sorted(done.begin(), done.end()));
  EXPECT_EQ(done.back(), size);
  // Cells by index, with the exact params.
  const Benchmark benchmark = Benchmark::open(folder.file("cells.nasbench"), Space::Nb101);
  EXPECT_EQ(*benchmark.metric(19999, Dataset::Cifar10, EvalSet::Train, Quantity::Params, 108),
            static_cast<double>(nb101_network_cost(Nb101Cells::get().spec(19999)).params) / 1e6);
  EXPECT_EQ(*benchmark.query(12345, Dataset::Cifar10, 108, Trial::of_seed(1)).valid_accuracy,
            100.0 * test::synthetic_nb101_run(12345, 108, 1).evaluations[2].validation_accuracy);
}

}  // namespace
}  // namespace nas::bench

// NAS-Bench-101's official data files into an nb101 store (see nb101_tfrecord_importer.h).
#include "nas/benchmark_api/nb101/nb101_tfrecord_importer.h"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"
#include "nas/benchmark_api/nb101/nb101_cells.h"
#include "nas/benchmark_api/nb101/nb101_cost.h"
#include "nas/benchmark_api/nb101/nb101_space.h"
#include "nas/benchmark_api/store.h"
#include "nas/benchmark_api/tfrecord.h"
#include "spaces/nb101/nb101_tfrecord_record.h"

namespace nas::bench {
namespace {

constexpr std::size_t kNumSchedules = kNb101Fidelities.size();
constexpr std::uint32_t kNoRecord = std::numeric_limits<std::uint32_t>::max();
/// The progress callback is called once per this many bytes read (and at the end), not before the
/// first step: a file that is bad from its start gives its error alone.
constexpr std::uint64_t kProgressStepBytes = 4u << 20;
/// The accuracy columns of each run: nasbench's train_accuracy, validation_accuracy, test_accuracy.
constexpr std::array<EvalSet, 3> kAccuracySets{EvalSet::Train, EvalSet::XValid, EvalSet::OriTest};

std::size_t schedule_slot(int epochs) {
  return static_cast<std::size_t>(std::find(kNb101Fidelities.begin(), kNb101Fidelities.end(), epochs) - kNb101Fidelities.begin());
}

/// What the importer remembers of a cell between its records (~20 bytes a cell).
struct CellState {
  std::uint32_t first_record = kNoRecord;  ///< the number of its first record; kNoRecord: none yet
  std::uint32_t trainable_parameters = 0;  ///< checked against the cost model on the first record
  std::uint64_t graph_digest = 0;          ///< XXH3-64 of the first record's adjacency and operations
  std::array<std::uint8_t, kNumSchedules> repeats{};  ///< records so far per schedule
};

/// Identifies a record's graph strings: the operations' digest seeds the adjacency's.
std::uint64_t graph_digest(const Nb101TfRecord& record) {
  return XXH3_64bits_withSeed(record.adjacency.data(), record.adjacency.size(),
                              XXH3_64bits(record.operations.data(), record.operations.size()));
}

/// The checks of a cell's first record: its graph is a cell whose module hash is the record's hash,
/// and trainable_parameters is that cell's exact count. Returns the cell's index. The graph's cell
/// is found by its canonical form (Nb101Cells::index_of, well under a microsecond), and the cell
/// list holds each cell's module hash, computed when the build enumerated the space: the same
/// check as hashing the graph (~20 us), which for 423,624 cells would be most of the import.
std::uint32_t check_first_record(const Nb101TfRecord& record, const Nb101Cells& cells) {
  std::string why;
  const std::optional<Nb101Spec> spec = Nb101Spec::try_from_graph(record.graph, &why);
  if (!spec) throw Error("its graph (adjacency " + record.adjacency + ", operations " + record.operations + ") is not a NAS-Bench-101 cell: " + why);
  const std::uint32_t index = cells.index_of(*spec);
  const Nb101Hash& hash = cells.hash(index);
  if (hash != record.hash) {
    throw Error("its hash " + record.hash.hex() + " is not the module hash of its graph, " + hash.hex() + " (adjacency " +
                record.adjacency + ", operations " + record.operations + ")");
  }
  const std::uint64_t params = nb101_network_cost(cells.spec(index)).params;
  if (record.trainable_parameters < 0 || static_cast<std::uint64_t>(record.trainable_parameters) != params) {
    throw Error("trainable_parameters " + std::to_string(record.trainable_parameters) + " differs from the exact count " +
                std::to_string(params) + " of cell " + hash.hex());
  }
  return index;
}

/// The store being built: dense columns of the layout of nb101_space.h, declared when the file
/// first has a record of their schedule and repeat.
class Nb101StoreBuilder {
 public:
  Nb101StoreBuilder() : writer_(Space::Nb101, "") { writer_.add_dense_column(nb101_params_column(), 1); }

  void add_run(std::uint32_t index, const Nb101TfRecord& record, int repeat) {
    const std::size_t s = schedule_slot(record.epochs);
    bool& declared = declared_[s][static_cast<std::size_t>(repeat - 1)];
    if (!declared) {
      for (EvalSet set : kAccuracySets) writer_.add_dense_column(nb101_accuracy_column(set, record.epochs, repeat), 2, kNb101AccuracyFlags);
      writer_.add_dense_column(nb101_time_column(record.epochs, repeat), 2, kNb101TimeFlags);
      declared = true;
    }
    const std::array<std::pair<int, const Nb101Evaluation*>, 2> evaluations{
        {{kNb101HalfwaySlot, &record.halfway}, {kNb101FinalSlot, &record.final}}};
    for (const auto& [slot, evaluation] : evaluations) {
      writer_.set(nb101_accuracy_column(EvalSet::Train, record.epochs, repeat), index, slot, 100.0 * evaluation->train_accuracy);
      writer_.set(nb101_accuracy_column(EvalSet::XValid, record.epochs, repeat), index, slot, 100.0 * evaluation->validation_accuracy);
      writer_.set(nb101_accuracy_column(EvalSet::OriTest, record.epochs, repeat), index, slot, 100.0 * evaluation->test_accuracy);
      writer_.set(nb101_time_column(record.epochs, repeat), index, slot, evaluation->training_time_s);
    }
  }

  void add_params(std::uint32_t index, std::uint32_t params) {
    writer_.set(nb101_params_column(), index, 0, static_cast<double>(params) / 1e6);
  }

  void write(std::string description, const std::string& out) {
    writer_.set_description(std::move(description));
    writer_.write(out);
  }

 private:
  StoreWriter writer_;
  std::array<std::array<bool, kNb101NumRepeats>, kNumSchedules> declared_{};
};

std::string hex64(std::uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016" PRIx64, value);
  return text;
}

std::string join_schedules(const std::vector<int>& schedules) {
  std::string text;
  for (std::size_t i = 0; i < schedules.size(); ++i) text += (i == 0 ? "" : ", ") + std::to_string(schedules[i]);
  return text;
}

std::string provenance(const TfRecordReader& reader, const Nb101TfRecordImportReport& report) {
  const std::string name = std::filesystem::path(reader.path()).filename().string();
  const bool partial = report.cells != kNb101NumCells;
  return "NAS-Bench-101 (CIFAR-10)" +
         (partial ? ", PARTIAL: " + std::to_string(report.cells) + " of " + std::to_string(kNb101NumCells) + " cells" : std::string()) +
         ". Imported from " + name + " (" + std::to_string(reader.file_size()) + " bytes, " + std::to_string(report.records) +
         " records, XXH3-64 " + hex64(reader.checksum_so_far()) + "; the official files are google-research/nasbench's "
         "nasbench_full.tfrecord and nasbench_only108.tfrecord, Apache-2.0): " + std::to_string(report.cells) + " of " +
         std::to_string(kNb101NumCells) + " cells, schedules " + join_schedules(report.schedules) + " epochs, up to " +
         std::to_string(report.repeats) +
         " repeats per cell and schedule (trial ids 1-3, in file order). Per run: train (a fixed 10k subset of the training "
         "images), validation (x-valid) and test (ori-test) accuracy in percent (nasbench's fractions x 100) and the "
         "cumulative training time in seconds, at the halfway and the final evaluation; params in millions.";
}

}  // namespace

Nb101TfRecordImportReport import_nb101_tfrecord(const std::string& tfrecord, const std::string& out,
                                                const Nb101ImportProgress& progress) {
  require_writable_location(out, "output store");  // before the work, not after it
  const Nb101Cells& cells = Nb101Cells::get();
  TfRecordReader reader(tfrecord, "NAS-Bench-101 data file");
  Nb101RecordDecoder decoder;
  Nb101StoreBuilder store;
  std::vector<CellState> states(kNb101NumCells);
  std::array<bool, kNumSchedules> seen_schedules{};
  Nb101TfRecordImportReport report;

  std::string data;
  Nb101TfRecord record;
  std::uint64_t next_progress = kProgressStepBytes;
  while (reader.next(data)) {
    const std::uint64_t number = reader.records_read() - 1;
    try {
      decoder.decode(data, record);
      const std::optional<std::uint32_t> found = cells.find(record.hash);
      CellState* state = found ? &states[*found] : nullptr;
      if (state == nullptr || state->first_record == kNoRecord) {
        const std::uint32_t index = check_first_record(record, cells);
        state = &states[index];
        state->first_record = static_cast<std::uint32_t>(std::min<std::uint64_t>(number, kNoRecord - 1));
        state->trainable_parameters = static_cast<std::uint32_t>(record.trainable_parameters);
        state->graph_digest = graph_digest(record);
        store.add_params(index, state->trainable_parameters);
        ++report.cells;
      } else if (graph_digest(record) != state->graph_digest) {
        throw Error("its graph (adjacency " + record.adjacency + ", operations " + record.operations + ") differs from that of record " +
                    std::to_string(state->first_record) + ", the first of hash " + record.hash.hex());
      } else if (record.trainable_parameters != std::int64_t{state->trainable_parameters}) {
        throw Error("trainable_parameters " + std::to_string(record.trainable_parameters) + " differs from the exact count " +
                    std::to_string(state->trainable_parameters) + " of cell " + record.hash.hex());
      }
      const std::size_t s = schedule_slot(record.epochs);
      const int repeat = ++state->repeats[s];
      if (repeat > kNb101NumRepeats) {
        throw Error("a 4th record of hash " + record.hash.hex() + " at " + std::to_string(record.epochs) +
                    " epochs (the files hold 3 repeats per cell and schedule)");
      }
      store.add_run(static_cast<std::uint32_t>(&*state - states.data()), record, repeat);
      seen_schedules[s] = true;
      report.repeats = std::max(report.repeats, repeat);
    } catch (const Error& e) {
      throw Error(reader.last_record_where() + ": " + e.what());
    }
    if (progress && reader.offset() >= next_progress) {
      progress(reader.offset(), reader.file_size());
      next_progress = reader.offset() + kProgressStepBytes;
    }
  }
  report.records = reader.records_read();
  if (report.records == 0) throw Error(tfrecord + ": holds no records (an empty file)");
  for (std::size_t s = 0; s < kNumSchedules; ++s) {
    if (seen_schedules[s]) report.schedules.push_back(kNb101Fidelities[s]);
  }
  if (progress) progress(reader.file_size(), reader.file_size());
  store.write(provenance(reader, report), out);
  return report;
}

}  // namespace nas::bench

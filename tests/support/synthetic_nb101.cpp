// Synthetic NAS-Bench-101 data in the official format (see synthetic_nb101.h).
#include "synthetic_nb101.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "nas/benchmark_api/nb101/nb101_cells.h"
#include "nas/benchmark_api/nb101/nb101_cost.h"

namespace nas::test {
namespace {

constexpr double kEvaluatedImages = 9984;  // 39 batches of 256

/// The official values' granularity: a count of correct images out of 9,984, stored as float32.
double as_official_accuracy(double fraction) {
  const double images = std::clamp(std::round(fraction * kEvaluatedImages), 0.0, kEvaluatedImages);
  return static_cast<double>(static_cast<float>(images / kEvaluatedImages));
}

double as_float32(double value) { return static_cast<double>(static_cast<float>(value)); }

/// How much lower the final validation accuracy of a shorter schedule is than that of 108 epochs.
double schedule_drop(int epochs) {
  switch (epochs) {
    case 4: return 0.45;
    case 12: return 0.25;
    case 36: return 0.06;
    case 108: return 0.0;
    default: throw std::invalid_argument("not a NAS-Bench-101 schedule: " + std::to_string(epochs));
  }
}

/// The structured part: 0.80 + 0.10 x the share of conv3x3 among the inner vertices + jitter.
double final_validation_108(std::uint32_t index) {
  const bench::Nb101Cells& cells = bench::Nb101Cells::get();
  const bench::Nb101Spec& spec = cells.spec(index);
  const int inner = spec.num_vertices() - 2;
  int convs = 0;
  for (int v = 1; v <= inner; ++v) convs += spec.op(v) == bench::Nb101Op::Conv3x3 ? 1 : 0;
  const double jitter = cells.hash(index).bytes[0] / 255.0;
  return 0.80 + (inner == 0 ? 0.0 : 0.10 * convs / inner) + 0.001 * jitter;
}

}  // namespace

Nb101RunValues synthetic_nb101_run(std::uint32_t index, int epochs, int repeat) {
  const double valid = final_validation_108(index) - schedule_drop(epochs) + 3.0 * (repeat - 1) / kEvaluatedImages;
  const double seconds = 10.0 * epochs * (1.0 + 0.001 * (repeat - 1));
  Nb101RunValues run;
  run.evaluations[0] = {0.0, 0.0, 0.1, 0.1, 0.1};  // after initialization: chance level
  run.evaluations[1] = {epochs / 2.0, as_float32(seconds / 2), as_official_accuracy(valid + 0.03), as_official_accuracy(valid - 0.03),
                        as_official_accuracy(valid - 0.035)};
  run.evaluations[2] = {static_cast<double>(epochs), as_float32(seconds), as_official_accuracy(std::min(1.0, valid + 0.08)),
                        as_official_accuracy(valid), as_official_accuracy(valid - 0.006)};
  run.trainable_parameters = static_cast<std::int64_t>(bench::nb101_network_cost(bench::Nb101Cells::get().spec(index)).params);
  run.total_time = as_float32(seconds * 1.1);
  return run;
}

std::string synthetic_nb101_record(std::uint32_t index, int epochs, int repeat) {
  const bench::Nb101Cells& cells = bench::Nb101Cells::get();
  return nb101_record_json(cells.hash(index).hex(), epochs, cells.spec(index).to_graph(), synthetic_nb101_run(index, epochs, repeat));
}

std::uint64_t write_synthetic_nb101_file(const std::string& path, const std::vector<int>& schedules, int repeats) {
  TfRecordFileWriter file(path);
  for (std::uint32_t index = 0; index < bench::kNb101NumCells; ++index) {
    for (int epochs : schedules) {
      for (int repeat = 1; repeat <= repeats; ++repeat) file.add(synthetic_nb101_record(index, epochs, repeat));
    }
  }
  file.close();
  return file.records();
}

}  // namespace nas::test

// Test support: writing files in the format of NAS-Bench-101's official data files
// (nasbench_full.tfrecord, nasbench_only108.tfrecord; see nb101_tfrecord_importer.h), so that the
// real importer can be tested on files whose every value the test knows, and on damaged ones.
//
// Each piece is separate so that a test can break exactly one of them: the metrics (a
// nasbench.ModelMetrics serialized with the classes protoc generates from
// benchmark_api/proto/model_metrics.proto), base64, the JSON row, the TFRecord framing (length,
// masked CRC32C of it, data, masked CRC32C of it) and the file.
#pragma once

#include <array>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#include "nas/benchmark_api/nb101/nb101_spec.h"

namespace nas::test {

/// One evaluation of a run, as ModelMetrics.evaluation_data holds it (accuracies are fractions).
struct Nb101EvaluationValues {
  double current_epoch = 0;
  double training_time = 0;
  double train_accuracy = 0;
  double validation_accuracy = 0;
  double test_accuracy = 0;
};

/// A run's metrics: evaluations after initialization, halfway and at the end.
struct Nb101RunValues {
  std::array<Nb101EvaluationValues, 3> evaluations{};
  std::int64_t trainable_parameters = 0;
  double total_time = 0;
};

/// The serialized nasbench.ModelMetrics of a run.
std::string serialize_nb101_metrics(const Nb101RunValues& run);
/// Standard base64 with padding (OpenSSL's EVP_EncodeBlock).
std::string base64_encode(std::string_view bytes);

/// The graph as the files write it: adjacency "0"/"1" x V*V row-major, and V comma-joined op names.
std::string nb101_adjacency_string(const bench::Nb101Graph& graph);
std::string nb101_operations_string(const bench::Nb101Graph& graph);

/// A record's data: the JSON array [hash, epochs, adjacency, operations, metrics_base64].
std::string nb101_record_json(const std::string& hash, int epochs, const std::string& adjacency, const std::string& operations,
                              const std::string& metrics_base64);
/// The same for a graph and a run.
std::string nb101_record_json(const std::string& hash, int epochs, const bench::Nb101Graph& graph, const Nb101RunValues& run);

/// One TFRecord: `data` framed by its length and the two masked CRC32Cs.
std::string tfrecord_frame(std::string_view data);

/// A file of TFRecords, written as they are added (a full-size file never is in memory). Throws
/// std::runtime_error if the file cannot be written.
class TfRecordFileWriter {
 public:
  explicit TfRecordFileWriter(const std::string& path);
  void add(std::string_view data);
  /// Flushes and closes; throws if a write failed.
  void close();
  std::uint64_t records() const { return records_; }

 private:
  std::string path_;
  std::ofstream out_;
  std::uint64_t records_ = 0;
};

}  // namespace nas::test

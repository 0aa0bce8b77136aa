// One record of NAS-Bench-101's data files, decoded and checked on its own (the importer,
// nb101_tfrecord_importer.cpp, checks what needs more than one record or the cell list).
//
// A record's data is UTF-8 JSON, an array of 5:
//   [module hash (32 hex digits), epochs (4, 12, 36 or 108), adjacency ("0"/"1" x V*V, row-major),
//    operations (V comma-joined names: "input", "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3",
//    "output"), metrics (standard base64, padded, of a serialized nasbench.ModelMetrics,
//    benchmark_api/proto/model_metrics.proto)]
// The metrics hold three evaluations of the run: after initialization (ignored), halfway and final.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "nas/benchmark_api/nb101/nb101_hash.h"
#include "nas/benchmark_api/nb101/nb101_spec.h"

namespace nasbench {
class ModelMetrics;  // generated from model_metrics.proto
}

namespace nas::bench {

/// One evaluation of a run: accuracies as fractions in [0, 1], training time in cumulative seconds.
struct Nb101Evaluation {
  double training_time_s = 0;
  double train_accuracy = 0;
  double validation_accuracy = 0;
  double test_accuracy = 0;
};

/// A record's content.
struct Nb101TfRecord {
  Nb101Hash hash;
  int epochs = 0;
  std::string adjacency, operations;  ///< as the file writes them (the graph, before any check of it)
  Nb101Graph graph;                   ///< parsed from them: a well-formed shape, not yet a checked cell
  std::int64_t trainable_parameters = 0;
  Nb101Evaluation halfway, final;
};

/// Decodes record data, reusing its buffers from one record to the next (the files hold millions).
class Nb101RecordDecoder {
 public:
  Nb101RecordDecoder();
  ~Nb101RecordDecoder();
  Nb101RecordDecoder(const Nb101RecordDecoder&) = delete;
  Nb101RecordDecoder& operator=(const Nb101RecordDecoder&) = delete;

  /// Decodes `data` into `record`. Throws nas::Error saying what is wrong, without saying where
  /// (the caller names the file and record): not JSON, not an array of 5 of the types above, a hash
  /// that is not 32 hex digits, epochs outside {4, 12, 36, 108}, an adjacency whose length is not a
  /// square or that holds anything but '0' and '1', a number of ops that is not its side, an unknown
  /// op name, metrics that are not base64 or not a ModelMetrics, evaluation_data not of 3 entries,
  /// a missing field, an accuracy outside [0, 1], a time that is negative or not finite.
  void decode(std::string_view data, Nb101TfRecord& record);

 private:
  std::string metrics_bytes_;
  std::unique_ptr<nasbench::ModelMetrics> metrics_;
};

}  // namespace nas::bench

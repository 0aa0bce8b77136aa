// Writing files in the format of NAS-Bench-101's data files (see nb101_tfrecord_writer.h).
#include "nb101_tfrecord_writer.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "nas/benchmark_api/tfrecord.h"
#include "proto/model_metrics.pb.h"

namespace nas::test {
namespace {

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>(value >> (8 * i) & 0xFFu);
}

}  // namespace

std::string serialize_nb101_metrics(const Nb101RunValues& run) {
  nasbench::ModelMetrics metrics;
  for (const Nb101EvaluationValues& values : run.evaluations) {
    nasbench::EvaluationData* data = metrics.add_evaluation_data();
    data->set_current_epoch(values.current_epoch);
    data->set_training_time(values.training_time);
    data->set_train_accuracy(values.train_accuracy);
    data->set_validation_accuracy(values.validation_accuracy);
    data->set_test_accuracy(values.test_accuracy);
    data->set_checkpoint_path("");
  }
  metrics.set_trainable_parameters(static_cast<std::int32_t>(run.trainable_parameters));
  metrics.set_total_time(run.total_time);
  return metrics.SerializeAsString();
}

std::string base64_encode(std::string_view bytes) {
  std::string text((bytes.size() + 2) / 3 * 4 + 1, '\0');  // EVP_EncodeBlock adds a NUL
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  text.resize(static_cast<std::size_t>(n));
  return text;
}

std::string nb101_adjacency_string(const bench::Nb101Graph& graph) {
  std::string text;
  for (const std::vector<int>& row : graph.matrix) {
    for (int entry : row) text += entry != 0 ? '1' : '0';
  }
  return text;
}

std::string nb101_operations_string(const bench::Nb101Graph& graph) {
  std::string text;
  for (std::size_t v = 0; v < graph.ops.size(); ++v) text += (v == 0 ? "" : ",") + std::string(bench::nb101_op_name(graph.ops[v]));
  return text;
}

std::string nb101_record_json(const std::string& hash, int epochs, const std::string& adjacency, const std::string& operations,
                              const std::string& metrics_base64) {
  return nlohmann::json::array({hash, epochs, adjacency, operations, metrics_base64}).dump();
}

std::string nb101_record_json(const std::string& hash, int epochs, const bench::Nb101Graph& graph, const Nb101RunValues& run) {
  return nb101_record_json(hash, epochs, nb101_adjacency_string(graph), nb101_operations_string(graph),
                           base64_encode(serialize_nb101_metrics(run)));
}

std::string tfrecord_frame(std::string_view data) {
  std::string record;
  record.reserve(bench::kTfRecordHeaderBytes + data.size() + bench::kTfRecordFooterBytes);
  put_le(record, data.size(), 8);
  put_le(record, bench::tfrecord_masked_crc(bench::crc32c(record.data(), 8)), 4);
  record.append(data);
  put_le(record, bench::tfrecord_masked_crc(bench::crc32c(data.data(), data.size())), 4);
  return record;
}

TfRecordFileWriter::TfRecordFileWriter(const std::string& path) : path_(path), out_(path, std::ios::binary | std::ios::trunc) {
  if (!out_) throw std::runtime_error("cannot write " + path);
}

void TfRecordFileWriter::add(std::string_view data) {
  const std::string record = tfrecord_frame(data);
  out_.write(record.data(), static_cast<std::streamsize>(record.size()));
  ++records_;
}

void TfRecordFileWriter::close() {
  out_.close();
  if (!out_) throw std::runtime_error("writing " + path_ + " failed");
}

}  // namespace nas::test

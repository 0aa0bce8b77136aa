// Decoding one record of NAS-Bench-101's data files (see nb101_tfrecord_record.h).
#include "spaces/nb101/nb101_tfrecord_record.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/nb101/nb101_space.h"
#include "proto/model_metrics.pb.h"

namespace nas::bench {
namespace {

constexpr std::size_t kRecordFields = 5;
/// evaluation_data: after initialization, halfway, final.
constexpr int kEvaluations = 3;
constexpr int kHalfwayEvaluation = 1;
constexpr int kFinalEvaluation = 2;

const nlohmann::json& string_field(const nlohmann::json& row, std::size_t i, const char* name) {
  if (!row[i].is_string()) throw Error("field " + std::to_string(i) + " (" + name + ") is not a string");
  return row[i];
}

int epochs_of(const nlohmann::json& value) {
  if (!value.is_number_integer()) throw Error("field 1 (epochs) is not an integer");
  const std::int64_t epochs = value.get<std::int64_t>();
  if (std::find(kNb101Fidelities.begin(), kNb101Fidelities.end(), epochs) == kNb101Fidelities.end()) {
    throw Error("epochs " + std::to_string(epochs) + " is not one of NAS-Bench-101's schedules 4, 12, 36, 108");
  }
  return static_cast<int>(epochs);
}

/// The graph of the adjacency and operations strings: V*V characters '0'/'1', row-major, and V names.
void parse_graph(const std::string& adjacency, const std::string& operations, Nb101Graph& graph) {
  int vertices = 0;
  while (static_cast<std::size_t>(vertices * vertices) < adjacency.size()) ++vertices;
  if (adjacency.empty() || static_cast<std::size_t>(vertices * vertices) != adjacency.size()) {
    throw Error("adjacency of " + std::to_string(adjacency.size()) + " characters is not a square matrix (V*V)");
  }
  graph.matrix.resize(static_cast<std::size_t>(vertices));
  for (int x = 0; x < vertices; ++x) {
    std::vector<int>& row = graph.matrix[static_cast<std::size_t>(x)];
    row.resize(static_cast<std::size_t>(vertices));
    for (int y = 0; y < vertices; ++y) {
      const char c = adjacency[static_cast<std::size_t>(x * vertices + y)];
      if (c != '0' && c != '1') throw Error("adjacency holds '" + std::string(1, c) + "', not only '0' and '1'");
      row[static_cast<std::size_t>(y)] = c - '0';
    }
  }
  graph.ops.clear();
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = std::min(operations.find(',', begin), operations.size());
    const std::string_view name = std::string_view(operations).substr(begin, end - begin);
    const std::optional<Nb101Op> op = nb101_op_from_name(name);
    // The files use nasbench's names only; the short command-line names are not theirs.
    if (!op || nb101_op_name(*op) != name) throw Error("operation '" + std::string(name) + "' is not a NAS-Bench-101 op name");
    graph.ops.push_back(*op);
    if (end == operations.size()) break;
    begin = end + 1;
  }
  if (graph.ops.size() != static_cast<std::size_t>(vertices)) {
    throw Error(std::to_string(graph.ops.size()) + " operations for an adjacency of " + std::to_string(vertices) + " vertices");
  }
}

bool is_base64_digit(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/// Standard base64 with padding into `out`. EVP_DecodeBlock skips surrounding whitespace and always
/// writes whole groups of 3 bytes (padding decodes to zero bytes), so the text is checked strictly
/// first and the padding's bytes are cut off after.
void decode_base64(const std::string& text, std::string& out) {
  if (text.size() % 4 != 0) throw Error("metrics are not base64 (length " + std::to_string(text.size()) + " is not a multiple of 4)");
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  for (std::size_t i = 0; i + padding < text.size(); ++i) {
    if (!is_base64_digit(text[i])) throw Error("metrics are not base64 (character " + std::to_string(i) + ")");
  }
  out.resize(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) throw Error("metrics are not base64");
  out.resize(out.size() - padding);
}

double accuracy(double value, const char* name, const char* when) {
  if (!(value >= 0 && value <= 1)) {
    throw Error(std::string(when) + " " + name + " " + std::to_string(value) + " is not a fraction in [0, 1]");
  }
  return value;
}

Nb101Evaluation evaluation(const nasbench::EvaluationData& data, const char* when) {
  if (!data.has_training_time() || !data.has_train_accuracy() || !data.has_validation_accuracy() || !data.has_test_accuracy()) {
    throw Error(std::string("the ") + when + " evaluation lacks a training time or an accuracy");
  }
  if (!std::isfinite(data.training_time()) || data.training_time() < 0) {
    throw Error(std::string(when) + " training_time " + std::to_string(data.training_time()) + " is not a finite, non-negative time");
  }
  return {data.training_time(), accuracy(data.train_accuracy(), "train_accuracy", when),
          accuracy(data.validation_accuracy(), "validation_accuracy", when), accuracy(data.test_accuracy(), "test_accuracy", when)};
}

}  // namespace

Nb101RecordDecoder::Nb101RecordDecoder() : metrics_(std::make_unique<nasbench::ModelMetrics>()) {}
Nb101RecordDecoder::~Nb101RecordDecoder() = default;

void Nb101RecordDecoder::decode(std::string_view data, Nb101TfRecord& record) {
  const nlohmann::json row = nlohmann::json::parse(data.begin(), data.end(), nullptr, /*allow_exceptions=*/false);
  if (row.is_discarded()) throw Error("not JSON");
  if (!row.is_array() || row.size() != kRecordFields) {
    throw Error("not a JSON array of 5 (hash, epochs, adjacency, operations, metrics)");
  }
  record.hash = Nb101Hash::from_hex(string_field(row, 0, "module hash").get_ref<const std::string&>());
  record.epochs = epochs_of(row[1]);
  record.adjacency = string_field(row, 2, "adjacency").get_ref<const std::string&>();
  record.operations = string_field(row, 3, "operations").get_ref<const std::string&>();
  parse_graph(record.adjacency, record.operations, record.graph);

  decode_base64(string_field(row, 4, "metrics").get_ref<const std::string&>(), metrics_bytes_);
  metrics_->Clear();
  if (!metrics_->ParseFromString(metrics_bytes_)) throw Error("metrics are not a serialized nasbench.ModelMetrics");
  if (metrics_->evaluation_data_size() != kEvaluations) {
    throw Error("evaluation_data has " + std::to_string(metrics_->evaluation_data_size()) +
                " entries, not 3 (initialization, halfway, final)");
  }
  if (!metrics_->has_trainable_parameters()) throw Error("metrics lack trainable_parameters");
  record.trainable_parameters = metrics_->trainable_parameters();
  record.halfway = evaluation(metrics_->evaluation_data(kHalfwayEvaluation), "halfway");
  record.final = evaluation(metrics_->evaluation_data(kFinalEvaluation), "final");
}

}  // namespace nas::bench

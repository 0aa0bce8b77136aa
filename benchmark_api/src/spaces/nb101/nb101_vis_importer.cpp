// The nasbench-vis NAS-Bench-101 subsets into a partial nb101 store (see nb101_vis_importer.h).
#include "nas/benchmark_api/nb101/nb101_vis_importer.h"

#include <array>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"
#include "nas/benchmark_api/nb101/nb101_cells.h"
#include "nas/benchmark_api/nb101/nb101_cost.h"
#include "nas/benchmark_api/nb101/nb101_space.h"
#include "nas/benchmark_api/store.h"

namespace nas::bench {
namespace {

constexpr std::uint64_t kMaxJsonBytes = 64 * 1024 * 1024;  // the 10k file is 2 MB
constexpr int kPaddingLabel = -3;

/// One cell's values, as the files give them.
struct VisRecord {
  std::array<double, kNb101Fidelities.size()> valid_fraction{};  // at 4, 12, 36, 108 epochs
  double training_time_s = 0;                                    // of the 108-epoch run
  std::uint64_t params = 0;
  std::string source;  // "FILE: record N", for messages
};

struct VisFile {
  std::string path;
  std::string text;
  nlohmann::json root;
  std::size_t count = 0;
};

VisFile read_vis_file(const std::string& path, const std::vector<std::string>& columns) {
  VisFile file{path, read_regular_file(path, "nasbench-vis data file", kMaxJsonBytes), {}, 0};
  try {
    file.root = nlohmann::json::parse(file.text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  if (!file.root.is_object()) throw Error(path + ": expected a JSON object of parallel arrays");
  for (const std::string& column : columns) {
    if (!file.root.contains(column) || !file.root[column].is_array()) throw Error(path + ": has no array '" + column + "'");
    const std::size_t size = file.root[column].size();
    if (column == columns.front()) file.count = size;
    if (size != file.count) {
      throw Error(path + ": array '" + column + "' has " + std::to_string(size) + " entries, '" + columns.front() + "' " +
                  std::to_string(file.count));
    }
  }
  return file;
}

const std::vector<std::string>& value_columns() {
  static const std::vector<std::string> columns{"key", "4_final_validation_accuracy", "12_final_validation_accuracy",
                                                "36_final_validation_accuracy", "108_final_validation_accuracy",
                                                "final_training_time", "trainable_parameters"};
  return columns;
}

double finite_number(const nlohmann::json& value, const std::string& where) {
  if (!value.is_number()) throw Error(where + " is not a number");
  const double v = value.get<double>();
  if (!std::isfinite(v)) throw Error(where + " is not finite");
  return v;
}

VisRecord read_values(const VisFile& file, std::size_t i) {
  VisRecord record;
  record.source = file.path + ": record " + std::to_string(i);
  for (std::size_t f = 0; f < kNb101Fidelities.size(); ++f) {
    const std::string column = std::to_string(kNb101Fidelities[f]) + "_final_validation_accuracy";
    const double v = finite_number(file.root[column][i], record.source + " " + column);
    if (v < 0 || v > 1) throw Error(record.source + " " + column + " = " + std::to_string(v) + " is not a fraction in [0, 1]");
    record.valid_fraction[f] = v;
  }
  record.training_time_s = finite_number(file.root["final_training_time"][i], record.source + " final_training_time");
  if (record.training_time_s <= 0) throw Error(record.source + " final_training_time is not positive");
  const nlohmann::json& params = file.root["trainable_parameters"][i];
  if (!params.is_number_unsigned()) throw Error(record.source + " trainable_parameters is not a non-negative integer");
  record.params = params.get<std::uint64_t>();
  return record;
}

Nb101Hash key_of(const VisFile& file, std::size_t i) {
  const nlohmann::json& key = file.root["key"][i];
  if (!key.is_string()) throw Error(file.path + ": record " + std::to_string(i) + " key is not a string");
  try {
    return Nb101Hash::from_hex(key.get<std::string>());
  } catch (const Error& e) {
    throw Error(file.path + ": record " + std::to_string(i) + ": " + e.what());
  }
}

/// The graph of record i of the graphs file, its padding (label -3, no edges) removed.
Nb101Graph graph_of(const VisFile& file, std::size_t i) {
  const std::string where = file.path + ": record " + std::to_string(i);
  const nlohmann::json& labels = file.root["operations"][i];
  const nlohmann::json& rows = file.root["adjacency"][i];
  if (!labels.is_array() || !rows.is_array() || rows.size() != labels.size()) {
    throw Error(where + " operations and adjacency are not lists of one size");
  }
  std::size_t vertices = 0;
  while (vertices < labels.size() && !(labels[vertices].is_number_integer() && labels[vertices].get<int>() == kPaddingLabel)) ++vertices;
  Nb101Graph graph;
  for (std::size_t v = 0; v < labels.size(); ++v) {
    if (!labels[v].is_number_integer()) throw Error(where + " operation " + std::to_string(v) + " is not an integer");
    const int label = labels[v].get<int>();
    if (v >= vertices) {
      if (label != kPaddingLabel) throw Error(where + " has an op after its padding (operation " + std::to_string(v) + ")");
      continue;
    }
    switch (label) {
      case -1: graph.ops.push_back(Nb101Op::Input); break;
      case -2: graph.ops.push_back(Nb101Op::Output); break;
      case 0: graph.ops.push_back(Nb101Op::Conv3x3); break;
      case 1: graph.ops.push_back(Nb101Op::Conv1x1); break;
      case 2: graph.ops.push_back(Nb101Op::MaxPool3x3); break;
      default: throw Error(where + " operation " + std::to_string(v) + " is " + std::to_string(label) + ", not an op label (-2..2)");
    }
  }
  graph.matrix.assign(vertices, std::vector<int>(vertices, 0));
  for (std::size_t x = 0; x < rows.size(); ++x) {
    if (!rows[x].is_array() || rows[x].size() != labels.size()) throw Error(where + " adjacency row " + std::to_string(x) + " has the wrong length");
    for (std::size_t y = 0; y < rows.size(); ++y) {
      const double entry = finite_number(rows[x][y], where + " adjacency[" + std::to_string(x) + "][" + std::to_string(y) + "]");
      if (entry != 0 && entry != 1) throw Error(where + " adjacency entries must be 0 or 1");
      if (x >= vertices || y >= vertices) {
        if (entry != 0) throw Error(where + " has an edge to or from a padding vertex");
        continue;
      }
      graph.matrix[x][y] = static_cast<int>(entry);
    }
  }
  return graph;
}

/// Adds a checked record under its index; a hash seen before is an error.
void add_record(std::map<std::uint32_t, VisRecord>& records, const Nb101Cells& cells, const Nb101Hash& hash, VisRecord record) {
  const std::optional<std::uint32_t> index = cells.find(hash);
  if (!index) throw Error(record.source + ": hash " + hash.hex() + " is not a cell of NAS-Bench-101");
  const std::uint64_t params = nb101_network_cost(cells.spec(*index)).params;
  if (record.params != params) {
    throw Error(record.source + ": trainable_parameters " + std::to_string(record.params) + " differs from the " +
                std::to_string(params) + " of cell " + hash.hex());
  }
  const auto [it, added] = records.emplace(*index, record);
  if (!added) throw Error(record.source + ": hash " + hash.hex() + " is also " + it->second.source);
}

/// The file name alone, so the store's provenance does not depend on where the sources were.
std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

std::string fingerprint(const std::string& text) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016" PRIx64, fnv1a64(text.data(), text.size()));
  return hex;
}

}  // namespace

Nb101VisImportReport import_nb101_vis(const std::string& graphs_json, const std::string& hashes_json, const std::string& out) {
  require_writable_location(out, "output store");  // before the work, not after it
  std::vector<std::string> graph_columns = value_columns();
  graph_columns.insert(graph_columns.end(), {"operations", "adjacency"});
  const VisFile graphs = read_vis_file(graphs_json, graph_columns);
  const VisFile hashes = read_vis_file(hashes_json, value_columns());
  const Nb101Cells& cells = Nb101Cells::get();

  std::map<std::uint32_t, VisRecord> records;  // by index
  for (std::size_t i = 0; i < graphs.count; ++i) {
    const Nb101Hash key = key_of(graphs, i);
    const std::string where = graphs.path + ": record " + std::to_string(i);
    std::string why;
    const std::optional<Nb101Spec> spec = Nb101Spec::try_from_graph(graph_of(graphs, i), &why);
    if (!spec) throw Error(where + " is not a NAS-Bench-101 cell: " + why);
    const Nb101Hash hash = nb101_hash(*spec);
    if (hash != key) throw Error(where + ": its key " + key.hex() + " is not the module hash of its graph, " + hash.hex());
    add_record(records, cells, key, read_values(graphs, i));
  }
  for (std::size_t i = 0; i < hashes.count; ++i) add_record(records, cells, key_of(hashes, i), read_values(hashes, i));

  StoreWriter writer(
      Space::Nb101,
      "NAS-Bench-101 (CIFAR-10), PARTIAL: " + std::to_string(records.size()) + " of " + std::to_string(kNb101NumCells) +
          " cells. Imported from " + file_name(graphs_json) + " (" + std::to_string(graphs.count) + " cells with graphs, " +
          std::to_string(graphs.text.size()) + " bytes, FNV-1a-64 " + fingerprint(graphs.text) + ") and " + file_name(hashes_json) + " (" +
          std::to_string(hashes.count) + " hash-only cells, " + std::to_string(hashes.text.size()) + " bytes, FNV-1a-64 " +
          fingerprint(hashes.text) +
          "); official copies: github.com/tiga1231/nasbench-vis @680e8b3 static/data/data-1k.json and @049bc07 "
          "static/data/data.json, subsets of google-research/nasbench's nasbench_full.tfrecord (Apache-2.0). Per cell: "
          "the validation accuracy (percent; CIFAR-10 data_batch_5) after 4, 12, 36 and 108 epochs and the training time "
          "of the 108-epoch run (the run's total, as NAS-Bench-101 records it) of one of the 3 repeats (trial 0: which one is not documented), and "
          "params (millions). No test accuracy, no halfway values, no other repeats; searches need the full data.");
  for (int hp : kNb101Fidelities) writer.add_column(nb101_accuracy_column(EvalSet::XValid, hp, kNb101UnknownRepeat), 1);
  const ColumnKey time = nb101_time_column(kNb101FinalHp, kNb101UnknownRepeat);
  writer.add_column(time, 1, kColumnCumulativeTime);  // the final time only (no halfway values)
  writer.add_column(nb101_params_column(), 1);
  for (const auto& [index, record] : records) {
    for (std::size_t f = 0; f < kNb101Fidelities.size(); ++f) {
      writer.set(nb101_accuracy_column(EvalSet::XValid, kNb101Fidelities[f], kNb101UnknownRepeat), index, 0,
                 100.0 * record.valid_fraction[f]);
    }
    writer.set(time, index, 0, record.training_time_s);
    writer.set(nb101_params_column(), index, 0, static_cast<double>(record.params) / 1e6);
  }
  writer.write(out);
  return {static_cast<std::uint32_t>(graphs.count), static_cast<std::uint32_t>(hashes.count)};
}

}  // namespace nas::bench

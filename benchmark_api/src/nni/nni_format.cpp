// NNI's tables and arch dicts (see nni_database.h): the schema DDL, the NB201 and NB101 arch
// encoders and decoders, dataset names and the NB201 split mapping.
#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/nni_database.h"
#include "nas/benchmark_api/python_json.h"
#include "nni/nni_tables.h"

namespace nas::bench {
namespace {

/// One column of a peewee model.
struct Field {
  const char* name;
  const char* type;  // "REAL", "INTEGER", "JSON", "VARCHAR(n)"
  bool nullable = false;
  bool indexed = false;
  const char* references = nullptr;  // parent table of a foreign key
};

struct Table {
  const char* name;
  std::vector<Field> fields;
};

std::vector<Table> tables_of(NniBenchmark benchmark) {
  if (benchmark == NniBenchmark::Nb101) {
    return {
        {"nb101trialconfig",
         {{"arch", "JSON", false, true}, {"num_vertices", "INTEGER", false, true}, {"hash", "VARCHAR(64)", false, true},
          {"num_epochs", "INTEGER", false, true}}},
        {"nb101trialstats",
         {{"config_id", "INTEGER", false, true, "nb101trialconfig"},
          {"train_acc", "REAL"},
          {"valid_acc", "REAL"},
          {"test_acc", "REAL"},
          {"parameters", "REAL"},
          {"training_time", "REAL"}}},
        {"nb101intermediatestats",
         {{"trial_id", "INTEGER", false, true, "nb101trialstats"},
          {"current_epoch", "INTEGER", false, true},
          {"train_acc", "REAL"},
          {"valid_acc", "REAL"},
          {"test_acc", "REAL"},
          {"training_time", "REAL"}}},
    };
  }
  return {
      {"nb201trialconfig",
       {{"arch", "JSON", false, true},
        {"num_epochs", "INTEGER", false, true},
        {"num_channels", "INTEGER"},
        {"num_cells", "INTEGER"},
        {"dataset", "VARCHAR(20)", false, true}}},
      {"nb201trialstats",
       {{"config_id", "INTEGER", false, true, "nb201trialconfig"},
        {"seed", "INTEGER"},
        {"train_acc", "REAL"},
        {"valid_acc", "REAL"},
        {"test_acc", "REAL"},
        {"ori_test_acc", "REAL"},
        {"train_loss", "REAL", true},
        {"valid_loss", "REAL", true},
        {"test_loss", "REAL", true},
        {"ori_test_loss", "REAL", true},
        {"parameters", "REAL"},
        {"latency", "REAL"},
        {"flops", "REAL"},
        {"training_time", "REAL"},
        {"valid_evaluation_time", "REAL"},
        {"test_evaluation_time", "REAL"},
        {"ori_test_evaluation_time", "REAL"}}},
      {"nb201intermediatestats",
       {{"trial_id", "INTEGER", false, true, "nb201trialstats"},
        {"current_epoch", "INTEGER", false, true},
        {"train_acc", "REAL", true},
        {"valid_acc", "REAL", true},
        {"test_acc", "REAL", true},
        {"ori_test_acc", "REAL", true},
        {"train_loss", "REAL", true},
        {"valid_loss", "REAL", true},
        {"test_loss", "REAL", true},
        {"ori_test_loss", "REAL", true}}},
  };
}

// NNI's op names, in TssOp order (NB201's nor_conv_* without the prefix).
constexpr std::array<const char*, kTssNumOps> kNniTssOps{"none", "skip_connect", "conv_1x1", "conv_3x3", "avg_pool_3x3"};

std::string nb201_edge_key(int edge) { return std::to_string(kTssEdgeFrom[edge]) + "_" + std::to_string(kTssEdgeTo[edge]); }

nlohmann::json parse_arch_object(std::string_view text) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw Error("arch is not JSON: " + std::string(text.substr(0, 200)));
  }
  if (!root.is_object()) throw Error("arch is not a JSON object: " + std::string(text.substr(0, 200)));
  return root;
}

}  // namespace

std::vector<std::string> nni_schema_statements(NniBenchmark benchmark) {
  std::vector<std::string> statements;
  for (const Table& table : tables_of(benchmark)) {
    std::string sql = "CREATE TABLE IF NOT EXISTS \"" + std::string(table.name) + "\" (\"id\" INTEGER NOT NULL PRIMARY KEY";
    for (const Field& field : table.fields) {
      sql += ", \"" + std::string(field.name) + "\" " + field.type + (field.nullable ? "" : " NOT NULL");
      if (field.references != nullptr) sql += " REFERENCES \"" + std::string(field.references) + "\" (\"id\")";
    }
    statements.push_back(sql + ")");
    for (const Field& field : table.fields) {
      if (!field.indexed) continue;
      statements.push_back("CREATE INDEX IF NOT EXISTS \"" + std::string(table.name) + "_" + field.name + "\" ON \"" +
                           table.name + "\" (\"" + field.name + "\")");
    }
  }
  return statements;
}

namespace nni {

std::vector<std::string> required_columns(NniBenchmark benchmark, const std::string& table) {
  for (const Table& t : tables_of(benchmark)) {
    if (table != t.name) continue;
    std::vector<std::string> columns{"id"};
    for (const Field& field : t.fields) columns.emplace_back(field.name);
    return columns;
  }
  throw Error("internal: no NNI table " + table);
}

std::vector<std::string> table_names(NniBenchmark benchmark) {
  std::vector<std::string> names;
  for (const Table& t : tables_of(benchmark)) names.emplace_back(t.name);
  return names;
}

}  // namespace nni

std::string nni_nb201_arch_text(const TssArch& arch) {
  nlohmann::json dict = nlohmann::json::object();
  for (int edge = 0; edge < kTssNumEdges; ++edge) dict[nb201_edge_key(edge)] = kNniTssOps[arch.ops[static_cast<std::size_t>(edge)]];
  return python_json_text(dict);
}

TssArch tss_arch_of_nni(std::string_view arch_text) {
  const nlohmann::json root = parse_arch_object(arch_text);
  if (root.size() != kTssNumEdges) {
    throw Error("arch has " + std::to_string(root.size()) + " keys, expected the 6 edges 0_1, 0_2, 0_3, 1_2, 1_3, 2_3");
  }
  TssArch arch;
  for (int edge = 0; edge < kTssNumEdges; ++edge) {
    const std::string key = nb201_edge_key(edge);
    const auto it = root.find(key);
    if (it == root.end()) throw Error("arch has no edge " + key);
    if (!it->is_string()) throw Error("arch edge " + key + " is not an op name");
    const auto op = std::find(kNniTssOps.begin(), kNniTssOps.end(), it->get<std::string>());
    if (op == kNniTssOps.end()) {
      throw Error("arch edge " + key + " is '" + it->get<std::string>() +
                  "', not one of none, skip_connect, conv_1x1, conv_3x3, avg_pool_3x3");
    }
    arch.ops[static_cast<std::size_t>(edge)] = static_cast<std::uint8_t>(op - kNniTssOps.begin());
  }
  return arch;
}

std::string nni_nb201_dataset_name(Dataset dataset) {
  std::string name(dataset_name(dataset));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

Dataset dataset_of_nni(std::string_view name) {
  for (Dataset dataset : kAllDatasets) {
    if (name == nni_nb201_dataset_name(dataset)) return dataset;
  }
  throw Error("dataset '" + std::string(name) + "' is not one of cifar10-valid, cifar10, cifar100, imagenet16-120");
}

NniNb201Sets nni_nb201_sets(Dataset dataset) {
  switch (dataset) {
    case Dataset::Cifar10Valid: return {EvalSet::XValid, EvalSet::OriTest, EvalSet::OriTest};
    case Dataset::Cifar10: return {EvalSet::OriTest, EvalSet::OriTest, EvalSet::OriTest};
    default: return {EvalSet::XValid, EvalSet::XTest, EvalSet::OriTest};
  }
}

std::string nni_nb101_arch_text(const Nb101Spec& spec) {
  const int vertices = spec.num_vertices();
  nlohmann::json dict = nlohmann::json::object();
  for (int v = 1; v < vertices; ++v) {
    nlohmann::json inputs = nlohmann::json::array();
    for (int from = 0; from < v; ++from) {
      if (spec.has_edge(from, v)) inputs.push_back(from);
    }
    dict["input" + std::to_string(v)] = inputs;
    if (v < vertices - 1) dict["op" + std::to_string(v)] = std::string(nb101_op_name(spec.op(v)));
  }
  return python_json_text(dict);
}

Nb101Graph nb101_graph_of_nni(std::string_view arch_text) {
  const nlohmann::json root = parse_arch_object(arch_text);
  // V - 1 input keys and V - 2 op keys: 2V - 3 keys in all (NNI infers V from the op keys).
  const std::size_t keys = root.size();
  if (keys % 2 == 0 || keys > 2 * kNb101MaxVertices - 3) {
    throw Error("arch has " + std::to_string(keys) + " keys; a cell of V <= 7 vertices has input1..input{V-1} and op1..op{V-2}");
  }
  const int vertices = static_cast<int>(keys + 3) / 2;
  Nb101Graph graph;
  graph.matrix.assign(static_cast<std::size_t>(vertices), std::vector<int>(static_cast<std::size_t>(vertices), 0));
  graph.ops.assign(static_cast<std::size_t>(vertices), Nb101Op::Input);
  graph.ops.back() = Nb101Op::Output;
  for (int v = 1; v < vertices; ++v) {
    const std::string input_key = "input" + std::to_string(v);
    const auto inputs = root.find(input_key);
    if (inputs == root.end()) throw Error("arch has no " + input_key + " (a " + std::to_string(vertices) + "-vertex cell needs input1..input" + std::to_string(vertices - 1) + ")");
    if (!inputs->is_array()) throw Error("arch " + input_key + " is not a list of vertices");
    for (const nlohmann::json& from : *inputs) {
      if (!from.is_number_integer() || from.get<std::int64_t>() < 0 || from.get<std::int64_t>() >= v) {
        throw Error("arch " + input_key + " holds " + from.dump() + ", not an earlier vertex (0.." + std::to_string(v - 1) + ")");
      }
      graph.matrix[from.get<std::size_t>()][static_cast<std::size_t>(v)] = 1;
    }
    if (v == vertices - 1) break;
    const std::string op_key = "op" + std::to_string(v);
    const auto op = root.find(op_key);
    if (op == root.end()) throw Error("arch has no " + op_key);
    const std::optional<Nb101Op> parsed = op->is_string() ? nb101_op_from_name(op->get<std::string>()) : std::nullopt;
    if (!parsed || *parsed == Nb101Op::Input || *parsed == Nb101Op::Output) {
      throw Error("arch " + op_key + " is " + op->dump() + ", not conv3x3-bn-relu, conv1x1-bn-relu or maxpool3x3");
    }
    graph.ops[static_cast<std::size_t>(v)] = *parsed;
  }
  return graph;
}

}  // namespace nas::bench

// The command-line and JSON forms of a NAS-Bench-101 cell (see nb101_format.h).
#include "nas/benchmark_api/nb101/nb101_format.h"

#include <charconv>
#include <functional>
#include <nlohmann/json.hpp>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/text.h"

namespace nas::bench {
namespace {

constexpr std::string_view kTextExample = "in,c3,mp,c3,c3,c1,out:0-1,0-4,0-5,1-2,2-3,2-6,3-5,4-5,5-6";

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string op_name_list() { return "in/input, c3/conv3x3-bn-relu, c1/conv1x1-bn-relu, mp/maxpool3x3, out/output"; }

Nb101Op op_named(std::string_view name, const std::function<void(const std::string&)>& fail) {
  const std::optional<Nb101Op> op = nb101_op_from_name(name);
  if (!op) fail("unknown op " + nas::quoted(name) + " (ops: " + op_name_list() + ")");
  return *op;
}

// A vertex number of the edge list: decimal digits only, below the number of ops.
std::size_t vertex_number(std::string_view digits, std::size_t num_vertices, const std::function<void(const std::string&)>& fail) {
  std::size_t vertex = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), vertex);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) {
    fail("vertex " + nas::quoted(digits) + " is not a number");
  }
  if (vertex >= num_vertices) {
    fail("vertex " + std::to_string(vertex) + " does not exist (there are " + std::to_string(num_vertices) + " ops)");
  }
  return vertex;
}

}  // namespace

Nb101Graph parse_nb101_text(std::string_view text) {
  const auto fail = [&](const std::string& why) {
    throw Error("malformed NAS-Bench-101 cell " + nas::quoted(text) + ": " + why + " (expected ops:edges, e.g. " +
                std::string(kTextExample) + ")");
  };
  const std::vector<std::string_view> sections = split(text, ':');
  if (sections.size() != 2) fail(sections.size() == 1 ? "no ':' between the ops and the edges" : "more than one ':'");
  Nb101Graph graph;
  for (std::string_view name : split(sections[0], ',')) graph.ops.push_back(op_named(name, fail));
  const std::size_t n = graph.ops.size();
  graph.matrix.assign(n, std::vector<int>(n, 0));
  if (sections[1].empty()) return graph;
  for (std::string_view edge : split(sections[1], ',')) {
    const std::vector<std::string_view> ends = split(edge, '-');
    if (ends.size() != 2) fail("edge " + nas::quoted(edge) + " is not of the form x-y");
    const std::size_t from = vertex_number(ends[0], n, fail), to = vertex_number(ends[1], n, fail);
    if (from >= to) fail("edge " + nas::quoted(edge) + " does not go from a lower to a higher vertex");
    if (graph.matrix[from][to] != 0) fail("edge " + nas::quoted(edge) + " is listed twice");
    graph.matrix[from][to] = 1;
  }
  return graph;
}

std::string format_nb101_text(const Nb101Graph& graph) {
  check_nb101_shape(graph);
  std::string text;
  for (std::size_t v = 0; v < graph.ops.size(); ++v) {
    if (v > 0) text += ',';
    text += nb101_op_short_name(graph.ops[v]);
  }
  text += ':';
  bool first = true;
  for (std::size_t x = 0; x < graph.matrix.size(); ++x) {
    for (std::size_t y = x + 1; y < graph.matrix.size(); ++y) {
      if (graph.matrix[x][y] == 0) continue;
      if (!first) text += ',';
      first = false;
      text += std::to_string(x) + '-' + std::to_string(y);
    }
  }
  return text;
}

std::string format_nb101_text(const Nb101Spec& spec) { return format_nb101_text(spec.to_graph()); }

Nb101Graph parse_nb101_json(std::string_view json) {
  const auto fail = [&](const std::string& why) {
    throw Error("malformed NAS-Bench-101 cell " + nas::quoted(json) + ": " + why +
                R"( (expected {"matrix": [[0,1],[0,0]], "ops": ["input","output"]}))");
  };
  const nlohmann::json value = nlohmann::json::parse(json, nullptr, false);
  if (value.is_discarded()) fail("it is not JSON");
  if (!value.is_object()) fail("it is not a JSON object");
  for (const auto& [key, member] : value.items()) {
    if (key != "matrix" && key != "ops") fail("unknown key " + nas::quoted(key));
  }
  if (!value.contains("matrix")) fail("no \"matrix\"");
  if (!value.contains("ops")) fail("no \"ops\"");
  const nlohmann::json& matrix = value["matrix"];
  const nlohmann::json& ops = value["ops"];
  if (!matrix.is_array()) fail("\"matrix\" is not a list of rows");
  if (!ops.is_array()) fail("\"ops\" is not a list of op names");
  Nb101Graph graph;
  for (std::size_t x = 0; x < matrix.size(); ++x) {
    if (!matrix[x].is_array()) fail("matrix row " + std::to_string(x) + " is not a list");
    std::vector<int>& row = graph.matrix.emplace_back();
    for (std::size_t y = 0; y < matrix[x].size(); ++y) {
      const nlohmann::json& entry = matrix[x][y];
      const std::string where = "matrix[" + std::to_string(x) + "][" + std::to_string(y) + "]";
      // Only the integers 0 and 1: nasbench hashes a float matrix differently (nasbench issue #32).
      if (!entry.is_number_integer()) fail(where + " is " + entry.dump() + ", not the integer 0 or 1");
      const auto number = entry.get<std::int64_t>();
      if (number != 0 && number != 1) fail(where + " is " + entry.dump() + "; an entry is 0 or 1");
      row.push_back(static_cast<int>(number));
    }
  }
  for (std::size_t v = 0; v < ops.size(); ++v) {
    if (!ops[v].is_string()) fail("ops[" + std::to_string(v) + "] is not a string");
    graph.ops.push_back(op_named(ops[v].get<std::string>(), fail));
  }
  const std::string problem = nb101_shape_problem(graph);
  if (!problem.empty()) fail(problem);
  return graph;
}

std::string format_nb101_json(const Nb101Graph& graph) {
  check_nb101_shape(graph);
  nlohmann::json value = nlohmann::json::object();
  value["matrix"] = graph.matrix;
  nlohmann::json& ops = value["ops"] = nlohmann::json::array();
  for (Nb101Op op : graph.ops) ops.push_back(std::string(nb101_op_name(op)));
  return value.dump();
}

std::string format_nb101_json(const Nb101Spec& spec) { return format_nb101_json(spec.to_graph()); }

Nb101Spec parse_nb101_spec(std::string_view text) {
  const bool is_json = !text.empty() && text.front() == '{';
  return Nb101Spec::from_graph(is_json ? parse_nb101_json(text) : parse_nb101_text(text));
}

}  // namespace nas::bench

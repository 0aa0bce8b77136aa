// NAS-Bench-101 cells: shape check, nasbench's pruning, the validity rules and the compact form
// (see nb101_spec.h).
#include "nas/benchmark_api/nb101/nb101_spec.h"

#include <bitset>
#include <cstdio>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/text.h"

namespace nas::bench {
namespace {

struct OpNames {
  Nb101Op op;
  std::string_view name, short_name;
};
constexpr std::array<OpNames, 5> kOpNames{{{Nb101Op::Input, "input", "in"},
                                           {Nb101Op::Conv3x3, "conv3x3-bn-relu", "c3"},
                                           {Nb101Op::Conv1x1, "conv1x1-bn-relu", "c1"},
                                           {Nb101Op::MaxPool3x3, "maxpool3x3", "mp"},
                                           {Nb101Op::Output, "output", "out"}}};

const OpNames& names_of(Nb101Op op) {
  for (const OpNames& names : kOpNames) {
    if (names.op == op) return names;
  }
  throw Error("NAS-Bench-101 op code " + std::to_string(static_cast<int>(op)) + " is not an op");
}

bool is_interior_op(Nb101Op op) { return op == Nb101Op::Conv3x3 || op == Nb101Op::Conv1x1 || op == Nb101Op::MaxPool3x3; }

std::string vertex_text(std::size_t vertex) { return "vertex " + std::to_string(vertex); }

// The vertices reached from `start` following edges forward (or backward), `start` included.
std::vector<bool> reached_from(const Nb101Graph& graph, std::size_t start, bool forward) {
  const std::size_t n = graph.ops.size();
  std::vector<bool> reached(n, false);
  std::vector<std::size_t> pending{start};
  reached[start] = true;
  while (!pending.empty()) {
    const std::size_t top = pending.back();
    pending.pop_back();
    for (std::size_t v = 0; v < n; ++v) {
      const int edge = forward ? graph.matrix[top][v] : graph.matrix[v][top];
      if (edge != 0 && !reached[v]) {
        reached[v] = true;
        pending.push_back(v);
      }
    }
  }
  return reached;
}

// The reason a pruned, well-shaped graph is outside the space (nasbench's _check_spec order after
// the connectivity test), or "" if it is a cell of the space.
std::string out_of_domain_reason(const Nb101Graph& pruned) {
  const std::size_t n = pruned.ops.size();
  if (n > static_cast<std::size_t>(kNb101MaxVertices)) {
    return "it has " + std::to_string(n) + " vertices after pruning; a cell has at most " +
           std::to_string(kNb101MaxVertices);
  }
  int edges = 0;
  for (const std::vector<int>& row : pruned.matrix) {
    for (int entry : row) edges += entry;
  }
  if (edges > kNb101MaxEdges) {
    return "it has " + std::to_string(edges) + " edges after pruning; a cell has at most " +
           std::to_string(kNb101MaxEdges);
  }
  if (pruned.ops.front() != Nb101Op::Input) {
    return "vertex 0 (after pruning) is " + std::string(nb101_op_name(pruned.ops.front())) + ", not input";
  }
  if (pruned.ops.back() != Nb101Op::Output) {
    return "the last vertex (" + std::to_string(n - 1) + ", after pruning) is " +
           std::string(nb101_op_name(pruned.ops.back())) + ", not output";
  }
  for (std::size_t v = 1; v + 1 < n; ++v) {
    if (!is_interior_op(pruned.ops[v])) {
      return vertex_text(v) + " (after pruning) is " + std::string(nb101_op_name(pruned.ops[v])) +
             "; an inner vertex is conv3x3-bn-relu, conv1x1-bn-relu or maxpool3x3";
    }
  }
  return {};
}

[[noreturn]] void throw_invalid(const std::string& why) { throw Error("invalid NAS-Bench-101 cell: " + why); }

// The highest vertex with an incoming edge in `mask`, plus one: the vertex count of a pruned cell.
int vertices_of_mask(std::uint32_t mask) {
  int vertices = 0;
  for (int to = 1; to < kNb101MaxVertices; ++to) {
    for (int from = 0; from < to; ++from) {
      if ((mask >> nb101_edge_bit(from, to) & 1U) != 0) vertices = to + 1;
    }
  }
  return vertices;
}

}  // namespace

std::string_view nb101_op_name(Nb101Op op) { return names_of(op).name; }
std::string_view nb101_op_short_name(Nb101Op op) { return names_of(op).short_name; }

std::optional<Nb101Op> nb101_op_from_name(std::string_view name) {
  for (const OpNames& names : kOpNames) {
    if (name == names.name || name == names.short_name) return names.op;
  }
  return std::nullopt;
}

int nb101_op_label(Nb101Op op) {
  switch (op) {
    case Nb101Op::Input: return -1;
    case Nb101Op::Output: return -2;
    default: return static_cast<int>(op);
  }
}

std::string nb101_shape_problem(const Nb101Graph& graph) {
  const std::size_t n = graph.matrix.size();
  if (n == 0) return "the matrix is empty (a cell has at least an input and an output vertex)";
  for (std::size_t x = 0; x < n; ++x) {
    if (graph.matrix[x].size() != n) {
      return "matrix row " + std::to_string(x) + " has " + std::to_string(graph.matrix[x].size()) +
             " entries, but there are " + std::to_string(n) + " rows (the matrix must be square)";
    }
  }
  if (graph.ops.size() != n) return "there are " + std::to_string(graph.ops.size()) + " ops for " + std::to_string(n) + " vertices";
  for (std::size_t x = 0; x < n; ++x) {
    for (std::size_t y = 0; y < n; ++y) {
      const int entry = graph.matrix[x][y];
      if (entry == 0 || (entry == 1 && y > x)) continue;
      const std::string where = "matrix[" + std::to_string(x) + "][" + std::to_string(y) + "] is " + std::to_string(entry);
      if (entry != 1) return where + "; an entry is 0 or 1";
      return where + ", but the matrix must be strictly upper triangular (an edge goes from a lower to a higher vertex)";
    }
  }
  return {};
}

void check_nb101_shape(const Nb101Graph& graph) {
  const std::string problem = nb101_shape_problem(graph);
  if (!problem.empty()) throw Error("malformed NAS-Bench-101 cell: " + problem);
}

std::optional<Nb101Graph> prune_nb101_graph(const Nb101Graph& graph) {
  check_nb101_shape(graph);
  const std::size_t n = graph.ops.size();
  const std::vector<bool> from_input = reached_from(graph, 0, true);
  const std::vector<bool> to_output = reached_from(graph, n - 1, false);
  std::vector<std::size_t> kept;
  for (std::size_t v = 0; v < n; ++v) {
    if (from_input[v] && to_output[v]) kept.push_back(v);
  }
  // nasbench's test is "more than n-2 extraneous vertices", i.e. fewer than 2 kept: the output is
  // not reachable from the input, or there is a single vertex.
  if (kept.size() < 2) return std::nullopt;
  Nb101Graph pruned;
  pruned.matrix.assign(kept.size(), std::vector<int>(kept.size(), 0));
  for (std::size_t i = 0; i < kept.size(); ++i) {
    pruned.ops.push_back(graph.ops[kept[i]]);
    for (std::size_t j = 0; j < kept.size(); ++j) pruned.matrix[i][j] = graph.matrix[kept[i]][kept[j]];
  }
  return pruned;
}

std::optional<Nb101Spec> Nb101Spec::try_from_graph(const Nb101Graph& graph, std::string* why) {
  try {
    return from_graph(graph);
  } catch (const Error& e) {
    if (why != nullptr) *why = e.what();
    return std::nullopt;
  }
}

Nb101Spec Nb101Spec::from_graph(const Nb101Graph& graph) {
  const std::optional<Nb101Graph> pruned = prune_nb101_graph(graph);
  if (!pruned) {
    if (graph.ops.size() == 1) throw_invalid("it has a single vertex (a cell has an input and an output vertex)");
    throw_invalid("the output (vertex " + std::to_string(graph.ops.size() - 1) +
                  ") is not reachable from the input (vertex 0)");
  }
  const std::string reason = out_of_domain_reason(*pruned);
  if (!reason.empty()) throw_invalid(reason);
  const std::size_t n = pruned->ops.size();
  std::uint32_t edges = 0;
  std::uint16_t interior_ops = 0;
  for (std::size_t y = 1; y < n; ++y) {
    for (std::size_t x = 0; x < y; ++x) {
      if (pruned->matrix[x][y] != 0) edges |= 1U << nb101_edge_bit(static_cast<int>(x), static_cast<int>(y));
    }
  }
  for (std::size_t v = 1; v + 1 < n; ++v) {
    interior_ops = static_cast<std::uint16_t>(interior_ops | static_cast<unsigned>(pruned->ops[v]) << (2 * (v - 1)));
  }
  return Nb101Spec(static_cast<std::uint8_t>(n), edges, interior_ops);
}

std::optional<Nb101Spec> Nb101Spec::try_from_full_graph(std::uint32_t edges, std::uint16_t inner_ops) {
  constexpr int n = kNb101MaxVertices;
  auto edge = [&](int from, int to) { return (edges >> nb101_edge_bit(from, to) & 1U) != 0; };
  // Edges point forward, so one pass in vertex order finds what the input reaches, and one pass
  // backwards what reaches the output.
  unsigned from_input = 1U, to_output = 1U << (n - 1);
  for (int to = 1; to < n; ++to) {
    for (int from = 0; from < to; ++from) {
      if ((from_input >> from & 1U) != 0 && edge(from, to)) from_input |= 1U << to;
    }
  }
  for (int from = n - 2; from >= 0; --from) {
    for (int to = from + 1; to < n; ++to) {
      if ((to_output >> to & 1U) != 0 && edge(from, to)) to_output |= 1U << from;
    }
  }
  const unsigned kept = from_input & to_output;  // empty unless the output is reachable
  if ((kept & 1U) == 0) return std::nullopt;
  int number[kNb101MaxVertices] = {};
  int vertices = 0;
  std::uint16_t ops = 0;
  for (int v = 0; v < n; ++v) {
    if ((kept >> v & 1U) == 0) continue;
    number[v] = vertices;
    if (v > 0 && v < n - 1) ops = static_cast<std::uint16_t>(ops | (inner_ops >> (2 * (v - 1)) & 3U) << (2 * (vertices - 1)));
    ++vertices;
  }
  std::uint32_t pruned = 0;
  int count = 0;
  for (int to = 1; to < n; ++to) {
    for (int from = 0; from < to; ++from) {
      if ((kept >> from & kept >> to & 1U) == 0 || !edge(from, to)) continue;
      pruned |= 1U << nb101_edge_bit(number[from], number[to]);
      ++count;
    }
  }
  if (count > kNb101MaxEdges) return std::nullopt;
  return Nb101Spec(static_cast<std::uint8_t>(vertices), pruned, ops);
}

Nb101Spec Nb101Spec::from_packed(std::uint32_t word) {
  auto fail = [&](const std::string& why) -> void {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(word));
    throw Error("packed NAS-Bench-101 cell 0x" + std::string(hex) + " is not a valid pruned cell: " + why);
  };
  const std::uint32_t edges = word & ((1U << kNb101EdgeBits) - 1);
  const std::uint32_t ops = word >> kNb101EdgeBits;
  const int n = vertices_of_mask(edges);
  if (n < 2) fail("it has no edge");
  // Pruned means every vertex but the output has an outgoing edge and every vertex but the input an
  // incoming one (then each lies on a path from input to output).
  for (int v = 0; v < n; ++v) {
    bool in = false, out = false;
    for (int w = 0; w < n; ++w) {
      if (w < v && (edges >> nb101_edge_bit(w, v) & 1U) != 0) in = true;
      if (v < w && (edges >> nb101_edge_bit(v, w) & 1U) != 0) out = true;
    }
    if ((v > 0 && !in) || (v < n - 1 && !out)) fail(vertex_text(static_cast<std::size_t>(v)) + " is not on a path from input to output");
  }
  if (static_cast<int>(std::bitset<32>(edges).count()) > kNb101MaxEdges) fail("it has more than 9 edges");
  for (int v = 1; v < kNb101MaxVertices - 1; ++v) {
    const std::uint32_t code = ops >> (2 * (v - 1)) & 3U;
    if (v < n - 1 && code >= static_cast<std::uint32_t>(kNb101NumInteriorOps)) fail("op code 3 at vertex " + std::to_string(v));
    if (v >= n - 1 && code != 0) fail("an op for vertex " + std::to_string(v) + ", beyond the output");
  }
  if ((ops >> (2 * (kNb101MaxVertices - 2))) != 0) fail("bit 31 is set");
  return Nb101Spec(static_cast<std::uint8_t>(n), edges, static_cast<std::uint16_t>(ops));
}

int Nb101Spec::num_edges() const { return static_cast<int>(std::bitset<32>(edges_).count()); }

Nb101Op Nb101Spec::op(int vertex) const {
  if (vertex < 0 || vertex >= num_vertices_) {
    throw Error("NAS-Bench-101 vertex " + std::to_string(vertex) + " out of range [0, " + std::to_string(num_vertices_ - 1) + "]");
  }
  if (vertex == 0) return Nb101Op::Input;
  if (vertex == num_vertices_ - 1) return Nb101Op::Output;
  return static_cast<Nb101Op>(interior_ops_ >> (2 * (vertex - 1)) & 3U);
}

Nb101Graph Nb101Spec::to_graph() const {
  const auto n = static_cast<std::size_t>(num_vertices_);
  Nb101Graph graph;
  graph.matrix.assign(n, std::vector<int>(n, 0));
  for (std::size_t x = 0; x < n; ++x) {
    graph.ops.push_back(op(static_cast<int>(x)));
    for (std::size_t y = x + 1; y < n; ++y) graph.matrix[x][y] = has_edge(static_cast<int>(x), static_cast<int>(y)) ? 1 : 0;
  }
  return graph;
}

namespace {

/// Walks the topological orders of a cell's inner vertices (each a renumbering that keeps edges
/// pointing forward) and keeps the smallest (edge mask, ops) image.
class CanonicalSearch {
 public:
  explicit CanonicalSearch(const Nb101Spec& spec) : n_(spec.num_vertices()), ops_(spec.packed() >> kNb101EdgeBits) {
    for (int to = 1; to < n_; ++to) {
      for (int from = 0; from < to; ++from) {
        if (!spec.has_edge(from, to)) continue;
        edges_[num_edges_][0] = static_cast<std::uint8_t>(from);
        edges_[num_edges_][1] = static_cast<std::uint8_t>(to);
        ++num_edges_;
        if (from > 0) predecessors_[to] |= static_cast<std::uint8_t>(1U << from);
      }
    }
    number_[0] = 0;
    number_[n_ - 1] = static_cast<std::uint8_t>(n_ - 1);
  }

  std::uint32_t run() {
    place(1, 0);
    return best_mask_ | best_ops_ << kNb101EdgeBits;
  }

 private:
  // Gives the next free number to each inner vertex whose inner predecessors all have one.
  void place(int next, std::uint8_t placed) {
    if (next == n_ - 1) {
      consider();
      return;
    }
    for (int v = 1; v < n_ - 1; ++v) {
      const auto bit = static_cast<std::uint8_t>(1U << v);
      if ((placed & bit) != 0 || (predecessors_[v] & ~placed) != 0) continue;
      number_[v] = static_cast<std::uint8_t>(next);
      place(next + 1, static_cast<std::uint8_t>(placed | bit));
    }
  }

  void consider() {
    std::uint32_t mask = 0;
    for (int e = 0; e < num_edges_; ++e) mask |= 1U << nb101_edge_bit(number_[edges_[e][0]], number_[edges_[e][1]]);
    if (mask > best_mask_) return;
    std::uint32_t ops = 0;
    for (int v = 1; v < n_ - 1; ++v) ops |= (ops_ >> (2 * (v - 1)) & 3U) << (2 * (number_[v] - 1));
    if (mask < best_mask_ || ops < best_ops_) {
      best_mask_ = mask;
      best_ops_ = ops;
    }
  }

  int n_;
  std::uint32_t ops_;
  std::uint8_t edges_[kNb101MaxEdges][2] = {};
  int num_edges_ = 0;
  std::uint8_t predecessors_[kNb101MaxVertices] = {};  // inner predecessors, as bits
  std::uint8_t number_[kNb101MaxVertices] = {};        // the renumbering being built
  std::uint32_t best_mask_ = ~0U, best_ops_ = ~0U;
};

}  // namespace

std::uint32_t nb101_canonical_form(const Nb101Spec& spec) { return CanonicalSearch(spec).run(); }

}  // namespace nas::bench

// NAS-Bench-101 (Ying et al., ICML 2019): the cell of a fixed network, given as a DAG of at most 7
// vertices and 9 edges whose first vertex is the input, last vertex the output, and every other
// vertex one of three ops. 423,624 computationally distinct cells (see nb101_enumeration.h).
//
// Two forms of a cell:
//  - Nb101Graph: what a user (or another library) writes, before nasbench's pruning: any adjacency
//    matrix and one op per vertex. It may be malformed, may hold vertices that do not lie on a path
//    from input to output, may be outside the space.
//  - Nb101Spec: a cell of the space, pruned and checked; small (8 bytes), comparable, hashable.
//    Every Nb101Spec is valid by construction, so code that takes one never checks again.
//
// Nb101Spec::from_graph follows nasbench's ModelSpec constructor and ModelSpec._check_spec
// (google-research/nasbench, nasbench/lib/model_spec.py and nasbench/api.py), in their order:
//  1. shape: the matrix is square, strictly upper triangular (edges go from a lower to a higher
//     vertex), one op per vertex; entries are 0 or 1 (nasbench does not check this; a 2 would be an
//     edge counted twice, which no cell of the space has);
//  2. pruning: keep the vertices that lie on a path from vertex 0 to the last vertex, renumbered in
//     their order; if the last vertex is not reachable from vertex 0 the cell is invalid;
//  3. on the pruned cell: at most 7 vertices, at most 9 edges, vertex 0 is `input`, the last vertex
//     is `output`, every other vertex a conv3x3-bn-relu, conv1x1-bn-relu or maxpool3x3.
// One difference, on purpose: ops are an enum here, so an unknown op name is refused when the text
// is parsed (nb101_format.h), even on a vertex that pruning would have removed, which nasbench
// accepts. A typo in a cell is worth an error.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nas::bench {

inline constexpr int kNb101MaxVertices = 7;  // nasbench config module_vertices
inline constexpr int kNb101MaxEdges = 9;     // nasbench config max_edges
/// Bits of the edge mask: one per pair x < y of 7 vertices.
inline constexpr int kNb101EdgeBits = kNb101MaxVertices * (kNb101MaxVertices - 1) / 2;  // 21

/// The op of a vertex. The numbering of the three interior ops is nasbench's available_ops order,
/// which is also the label the module hash uses (nb101_hash.h); input and output hash as -1, -2.
enum class Nb101Op : std::uint8_t { Conv3x3 = 0, Conv1x1 = 1, MaxPool3x3 = 2, Input = 3, Output = 4 };
inline constexpr int kNb101NumInteriorOps = 3;

/// nasbench's names: "input", "conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3", "output".
std::string_view nb101_op_name(Nb101Op op);
/// The short names of the command-line form: "in", "c3", "c1", "mp", "out".
std::string_view nb101_op_short_name(Nb101Op op);
/// Either name; std::nullopt if `name` is neither.
std::optional<Nb101Op> nb101_op_from_name(std::string_view name);
/// The module-hash label: conv3x3 0, conv1x1 1, maxpool3x3 2, input -1, output -2.
int nb101_op_label(Nb101Op op);

/// The bit of edge x -> y (x < y) in an edge mask: x + y(y-1)/2, the order of nasbench's
/// scripts/generate_graphs.py, so the edges into vertex 1 come first, then those into 2, ...
constexpr int nb101_edge_bit(int from, int to) { return from + to * (to - 1) / 2; }

/// A cell as written, before pruning: matrix[x][y] == 1 is an edge x -> y.
struct Nb101Graph {
  std::vector<std::vector<int>> matrix;
  std::vector<Nb101Op> ops;
  friend bool operator==(const Nb101Graph& a, const Nb101Graph& b) { return a.matrix == b.matrix && a.ops == b.ops; }
};

/// Throws nas::Error unless `graph` has the shape of a cell (step 1 above): a square, strictly
/// upper-triangular 0/1 matrix of at least one vertex and one op per vertex.
void check_nb101_shape(const Nb101Graph& graph);
/// What check_nb101_shape would say is wrong (without its "malformed ..." prefix), or "".
std::string nb101_shape_problem(const Nb101Graph& graph);

/// nasbench's pruning (step 2): the graph without the vertices that are not on a path from
/// vertex 0 to the last one, or std::nullopt if there is no such path. Checks the shape first.
std::optional<Nb101Graph> prune_nb101_graph(const Nb101Graph& graph);

/// A valid, pruned cell of the space.
class Nb101Spec {
 public:
  /// The cell of `graph` after pruning; throws nas::Error saying what is wrong (steps 1-3 above).
  static Nb101Spec from_graph(const Nb101Graph& graph);
  /// The cell of `graph`, or std::nullopt with the reason in `why` (if given) when from_graph
  /// would throw.
  static std::optional<Nb101Spec> try_from_graph(const Nb101Graph& graph, std::string* why = nullptr);

  /// The cell of a graph of 7 vertices (0 the input, 6 the output) given as an edge mask (bit
  /// nb101_edge_bit(x, y) = edge x -> y) and the ops of vertices 1..5 (2 bits each, vertex 1
  /// lowest, values 0-2 as the hash labels), pruned as from_graph prunes it; std::nullopt if it is
  /// no cell (the output not reachable, or more than 9 edges after pruning). Allocation-free: the
  /// searchers' decisions go through it (REA's mutation, millions of times per batch).
  static std::optional<Nb101Spec> try_from_full_graph(std::uint32_t edges, std::uint16_t inner_ops);

  /// The 4-byte form of the enumeration cache (nb101_enumeration.h): bits 0-20 the edge mask,
  /// bits 21-30 the interior ops, 2 bits each (vertex 1 lowest), as their hash labels. The number
  /// of vertices is not stored: in a pruned cell the output is the highest vertex with an
  /// incoming edge. from_packed throws nas::Error if the word is not a valid pruned cell.
  std::uint32_t packed() const { return edges_ | std::uint32_t{interior_ops_} << kNb101EdgeBits; }
  static Nb101Spec from_packed(std::uint32_t word);

  int num_vertices() const { return num_vertices_; }
  int num_edges() const;
  /// Bit nb101_edge_bit(x, y) set for each edge x -> y.
  std::uint32_t edge_mask() const { return edges_; }
  bool has_edge(int from, int to) const { return from < to && (edges_ >> nb101_edge_bit(from, to) & 1U) != 0; }
  Nb101Op op(int vertex) const;
  /// As a matrix and ops (already pruned, so from_graph(to_graph()) == *this).
  Nb101Graph to_graph() const;

  friend bool operator==(const Nb101Spec& a, const Nb101Spec& b) {
    return a.num_vertices_ == b.num_vertices_ && a.edges_ == b.edges_ && a.interior_ops_ == b.interior_ops_;
  }
  friend bool operator!=(const Nb101Spec& a, const Nb101Spec& b) { return !(a == b); }

 private:
  Nb101Spec(std::uint8_t num_vertices, std::uint32_t edges, std::uint16_t interior_ops)
      : edges_(edges), interior_ops_(interior_ops), num_vertices_(num_vertices) {}
  std::uint32_t edges_;         // bit nb101_edge_bit(x, y) = edge x -> y
  std::uint16_t interior_ops_;  // 2 bits per vertex 1..V-2, vertex 1 lowest: its hash label
  std::uint8_t num_vertices_;   // 2..7
};

/// The canonical form of a cell's isomorphism class, in Nb101Spec::packed()'s layout: the smallest
/// (edge mask, then interior ops) over the renumberings of its inner vertices that keep every edge
/// pointing forward (the input and output keep their numbers: they are the only source and sink).
/// Equal exactly for isomorphic cells, so equal forms have equal module hashes. About 40x cheaper
/// than the module hash (it walks the cell's topological orders instead of computing MD5 digests):
/// the cell list keys its cells by it, and the hash is only computed for a form it does not hold.
std::uint32_t nb101_canonical_form(const Nb101Spec& spec);

}  // namespace nas::bench

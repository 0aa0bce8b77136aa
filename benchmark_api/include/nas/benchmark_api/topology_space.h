// The NAS-Bench-201 / NATS-Bench topology search space ("tss"): 15,625 cells.
//
// A cell is a 4-node DAG with 6 edges; each edge carries one of 5 operations. Edges are numbered in
// the canonical order of the arch string: 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2. Operations are numbered
// none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3 (0..4).
//
// Three numberings of the same 15,625 cells exist and all are exposed:
//   - TssArch: the 6 op codes (cheap value type, what searchers manipulate);
//   - the canonical code sum_e op_e * 5^(5-e) (odometer order, last edge fastest);
//   - the official benchmark index: the canonical list shuffled by CPython's random.seed(88)
//     (reproduced bit-exactly; see topology_space.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace nas::bench {

inline constexpr int kTssNumOps = 5;
inline constexpr int kTssNumEdges = 6;
inline constexpr int kTssNumNodes = 4;
inline constexpr std::uint32_t kTssNumArchs = 15625;

/// Operation codes, in the order the benchmark uses everywhere.
enum TssOp : std::uint8_t { kOpNone = 0, kOpSkip = 1, kOpConv1x1 = 2, kOpConv3x3 = 3, kOpAvgPool = 4 };
/// Source and target node of each edge, in canonical edge order.
inline constexpr std::array<int, kTssNumEdges> kTssEdgeFrom{0, 0, 1, 0, 1, 2};
inline constexpr std::array<int, kTssNumEdges> kTssEdgeTo{1, 2, 2, 3, 3, 3};

/// "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3".
std::string_view tss_op_name(int op);

/// One cell: the op code of each edge in canonical edge order.
struct TssArch {
  std::array<std::uint8_t, kTssNumEdges> ops{};
  friend bool operator==(const TssArch& a, const TssArch& b) { return a.ops == b.ops; }
  friend bool operator!=(const TssArch& a, const TssArch& b) { return !(a == b); }
};

/// Parses `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` exactly (no whitespace, inputs in order).
/// Throws nas::Error naming the problem for anything else.
TssArch parse_tss_arch(std::string_view text);
std::string format_tss_arch(const TssArch& arch);

std::uint32_t tss_canonical_code(const TssArch& arch);
TssArch tss_arch_from_canonical_code(std::uint32_t code);

/// Official benchmark index of a cell, and the cell at an index (throws nas::Error if out of range).
std::uint32_t tss_index_of(const TssArch& arch);
TssArch tss_arch_at(std::uint32_t index);

/// Isomorphism canonical form (NATS `to_unique_str(consider_zero=True)`): two cells compute the
/// same function iff their unique strings are equal. 6,466 distinct values over the space.
std::string tss_unique_str(const TssArch& arch);

/// True when the output node is reachable from the input through non-`none` edges. Invalid cells
/// (341 of them) output zeros and score chance accuracy.
bool tss_is_valid(const TssArch& arch);

}  // namespace nas::bench

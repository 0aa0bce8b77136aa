// Enumerating the NAS-Bench-101 space in nasbench's generate_graphs.py order (see
// nb101_enumeration.h).
//
// The Python loop hashes all ~1.3 million candidate graphs, at up to 57 MD5 digests each. Most of
// them are renumberings of another: the module hash does not change when the inner vertices are
// renumbered, so only the first-enumerated graph of each isomorphism class can be the first of its
// hash. So, in the loop's order, each candidate is first put in a canonical form (the smallest edge
// mask over the renumberings of its inner vertices that keep edges pointing forward, then the
// smallest labelling over that mask's automorphisms), and only the first of each class, ~424
// thousand graphs, is hashed, in parallel. Keeping the first of each hash among those, in order,
// is then exactly what the Python loop keeps (and still right if two classes shared a hash).
#include "nas/benchmark_api/nb101/nb101_enumeration.h"

#include <algorithm>
#include <atomic>
#include <bitset>
#include <map>
#include <optional>
#include <thread>
#include <unordered_set>

namespace nas::bench {
namespace {

// generate_graphs.py's filter (graph_util.is_full_dag, num_edges): no pruning needed, <= 9 edges.
bool is_candidate_mask(std::uint32_t mask, int vertices) {
  if (static_cast<int>(std::bitset<32>(mask).count()) > kNb101MaxEdges) return false;
  std::uint32_t has_out = 0, has_in = 0;
  for (int to = 1; to < vertices; ++to) {
    for (int from = 0; from < to; ++from) {
      if ((mask >> nb101_edge_bit(from, to) & 1U) != 0) {
        has_out |= 1U << from;
        has_in |= 1U << to;
      }
    }
  }
  const std::uint32_t all = (1U << vertices) - 1;
  return has_out == (all & ~(1U << (vertices - 1))) && has_in == (all & ~1U);
}

// The packed interior ops of the `code`-th labelling of `inner` vertices in itertools.product
// order: vertex 1 is the most significant base-3 digit.
std::uint32_t labelling(std::uint32_t code, int inner) {
  std::uint32_t ops = 0;
  for (int v = inner; v >= 1; --v) {
    ops |= (code % kNb101NumInteriorOps) << (2 * (v - 1));
    code /= kNb101NumInteriorOps;
  }
  return ops;
}

// A renumbering of the vertices: vertex v becomes perm[v].
using Perm = std::array<std::uint8_t, kNb101MaxVertices>;

// Every renumbering of the inner vertices 1..V-2; the input and the output keep their numbers (in a
// cell they are the only source and the only sink, so every isomorphism keeps them). The identity
// comes first.
std::vector<Perm> inner_permutations(int vertices) {
  Perm perm{};
  for (int v = 0; v < kNb101MaxVertices; ++v) perm[static_cast<std::size_t>(v)] = static_cast<std::uint8_t>(v);
  std::vector<Perm> perms;
  do {
    perms.push_back(perm);
  } while (vertices > 2 && std::next_permutation(perm.begin() + 1, perm.begin() + vertices - 1));
  return perms;
}

// The edge mask renumbered by `perm`, or std::nullopt if an edge would then point backwards (the
// renumbered graph is not upper triangular).
std::optional<std::uint32_t> renumbered_mask(std::uint32_t mask, const Perm& perm, int vertices) {
  std::uint32_t image = 0;
  for (int to = 1; to < vertices; ++to) {
    for (int from = 0; from < to; ++from) {
      if ((mask >> nb101_edge_bit(from, to) & 1U) == 0) continue;
      const int x = perm[static_cast<std::size_t>(from)], y = perm[static_cast<std::size_t>(to)];
      if (x >= y) return std::nullopt;
      image |= 1U << nb101_edge_bit(x, y);
    }
  }
  return image;
}

// Packed inner ops renumbered by `perm`: the op of vertex v moves to perm[v].
std::uint32_t renumbered_ops(std::uint32_t ops, const Perm& perm, int vertices) {
  std::uint32_t image = 0;
  for (int v = 1; v < vertices - 1; ++v) {
    image |= (ops >> (2 * (v - 1)) & 3U) << (2 * (perm[static_cast<std::size_t>(v)] - 1));
  }
  return image;
}

// The first-enumerated candidate of every isomorphism class, as packed words, in the loop's order.
std::vector<std::uint32_t> first_of_each_class() {
  std::vector<std::uint32_t> words;
  std::unordered_set<std::uint32_t> seen;  // canonical forms: mask | ops << 21
  for (int vertices = 2; vertices <= kNb101MaxVertices; ++vertices) {
    const int inner = vertices - 2;
    std::uint32_t labellings = 1;
    for (int i = 0; i < inner; ++i) labellings *= kNb101NumInteriorOps;
    const std::vector<Perm> perms = inner_permutations(vertices);
    std::map<std::uint32_t, std::vector<Perm>> automorphisms;  // of each canonical mask
    const std::uint32_t masks = 1U << (vertices * (vertices - 1) / 2);
    for (std::uint32_t mask = 0; mask < masks; ++mask) {
      if (!is_candidate_mask(mask, vertices)) continue;
      std::uint32_t canonical = mask;
      Perm to_canonical = perms.front();
      for (const Perm& perm : perms) {
        const std::optional<std::uint32_t> image = renumbered_mask(mask, perm, vertices);
        if (image && *image < canonical) {
          canonical = *image;
          to_canonical = perm;
        }
      }
      auto [found, added] = automorphisms.try_emplace(canonical);
      if (added) {
        for (const Perm& perm : perms) {
          if (renumbered_mask(canonical, perm, vertices) == canonical) found->second.push_back(perm);
        }
      }
      for (std::uint32_t code = 0; code < labellings; ++code) {
        const std::uint32_t ops = labelling(code, inner);
        const std::uint32_t moved = renumbered_ops(ops, to_canonical, vertices);
        std::uint32_t smallest = moved;
        for (const Perm& automorphism : found->second) smallest = std::min(smallest, renumbered_ops(moved, automorphism, vertices));
        if (seen.insert(canonical | smallest << kNb101EdgeBits).second) words.push_back(mask | ops << kNb101EdgeBits);
      }
    }
  }
  return words;
}

// Hashes of all `words`, on `threads` threads taking blocks from a shared counter (the graphs grow
// along the list, so fixed halves would not balance).
std::vector<Nb101Hash> hash_all(const std::vector<std::uint32_t>& words, unsigned threads) {
  std::vector<Nb101Hash> hashes(words.size());
  constexpr std::size_t kBlock = 4096;
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t start = next.fetch_add(kBlock); start < words.size(); start = next.fetch_add(kBlock)) {
      const std::size_t end = std::min(words.size(), start + kBlock);
      for (std::size_t i = start; i < end; ++i) hashes[i] = nb101_hash(Nb101Spec::from_packed(words[i]));
    }
  };
  std::vector<std::thread> helpers;
  for (unsigned t = 1; t < threads; ++t) helpers.emplace_back(work);
  work();
  for (std::thread& helper : helpers) helper.join();
  return hashes;
}

}  // namespace

std::vector<Nb101Entry> enumerate_nb101_space(unsigned threads) {
  if (threads == 0) threads = std::max(1U, std::thread::hardware_concurrency());
  const std::vector<std::uint32_t> words = first_of_each_class();
  const std::vector<Nb101Hash> hashes = hash_all(words, threads);
  std::vector<Nb101Entry> cells;
  cells.reserve(kNb101NumCells);
  std::unordered_set<Nb101Hash, Nb101HashHasher> seen;
  seen.reserve(2 * static_cast<std::size_t>(kNb101NumCells));
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (seen.insert(hashes[i]).second) cells.push_back({Nb101Spec::from_packed(words[i]), hashes[i]});
  }
  return cells;
}

}  // namespace nas::bench

// Enumerating the NAS-Bench-101 space in nasbench's generate_graphs.py order (see
// nb101_enumeration.h).
//
// The Python loop hashes all ~1.3 million candidate graphs, at up to 57 MD5 digests each. Most of
// them are renumberings of another: the module hash does not change when the inner vertices are
// renumbered, so only the first-enumerated graph of each isomorphism class can be the first of its
// hash. So, in the loop's order, each candidate is first put in its canonical form
// (nb101_canonical_form), and only the first of each class, ~424 thousand graphs, is hashed, in
// parallel. Keeping the first of each hash among those, in order,
// is then exactly what the Python loop keeps (and still right if two classes shared a hash).
#include "nas/benchmark_api/nb101/nb101_enumeration.h"

#include <algorithm>
#include <atomic>
#include <bitset>
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

// The first-enumerated candidate of every isomorphism class, as packed words, in the loop's order.
std::vector<std::uint32_t> first_of_each_class() {
  std::vector<std::uint32_t> words;
  std::unordered_set<std::uint32_t> seen;  // canonical forms
  seen.reserve(2 * static_cast<std::size_t>(kNb101NumCells));
  for (int vertices = 2; vertices <= kNb101MaxVertices; ++vertices) {
    const int inner = vertices - 2;
    std::uint32_t labellings = 1;
    for (int i = 0; i < inner; ++i) labellings *= kNb101NumInteriorOps;
    const std::uint32_t masks = 1U << (vertices * (vertices - 1) / 2);
    for (std::uint32_t mask = 0; mask < masks; ++mask) {
      if (!is_candidate_mask(mask, vertices)) continue;
      for (std::uint32_t code = 0; code < labellings; ++code) {
        const std::uint32_t word = mask | labelling(code, inner) << kNb101EdgeBits;
        if (seen.insert(nb101_canonical_form(Nb101Spec::from_packed(word))).second) words.push_back(word);
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

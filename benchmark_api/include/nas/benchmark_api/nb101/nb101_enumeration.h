// The whole NAS-Bench-101 space: every valid, computationally distinct cell, once, in a fixed order,
// and a binary cache of it.
//
// Index order = the order of nasbench's scripts/generate_graphs.py, which built the official list:
//   for V = 2 .. 7 vertices,
//     for each edge mask of V(V-1)/2 bits, counting up (bit x + y(y-1)/2 = edge x -> y),
//       skip it unless every vertex but the output has an outgoing edge and every vertex but the
//       input an incoming one (a graph that needs no pruning), and it has at most 9 edges;
//       for each labelling of the V-2 inner vertices, counting up in base 3 with vertex 1 the most
//       significant digit (conv3x3 0, conv1x1 1, maxpool3x3 2),
//         keep the cell if its module hash has not been seen yet.
// So cell 0 is the 2-vertex cell input -> output, cells 1-3 are input -> op -> output, and the
// stored cell of a hash is the first-enumerated one of its isomorphic labelled graphs: the same
// matrix and ops as the official data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nas/benchmark_api/nb101/nb101_hash.h"
#include "nas/benchmark_api/nb101/nb101_spec.h"

namespace nas::bench {

/// The number of distinct cells (module hashes) of the space, as the NAS-Bench-101 README states.
inline constexpr std::uint32_t kNb101NumCells = 423624;

struct Nb101Entry {
  Nb101Spec spec;
  Nb101Hash hash;
};

/// Every cell of the space in index order (above). Of the ~1.3 million candidate graphs, only the
/// first of each isomorphism class is hashed (the hash cannot tell them apart), on `threads`
/// threads (0: one per hardware thread); the result does not depend on the number.
std::vector<Nb101Entry> enumerate_nb101_space(unsigned threads = 0);

/// The cache file: a 24-byte header, then one 24-byte record per cell in index order, all
/// little-endian:
///   0  8 bytes  magic "NB101SPC"
///   8  u32      format version (2)
///  12  u32      number of records
///  16  u64      XXH3-64 (store_checksum) of the records
///  24  records: 16 bytes hash digest, u32 Nb101Spec::packed(), u32 nb101_canonical_form
/// 10,166,976 bytes for the whole space. (Version 1 had no canonical forms.)
inline constexpr std::uint32_t kNb101CacheVersion = 2;
inline constexpr std::size_t kNb101CacheHeaderBytes = 24;
inline constexpr std::size_t kNb101CacheRecordBytes = 24;

/// Writes `cells` (and each one's canonical form, computed here) atomically (a reader never sees
/// half a file); throws nas::Error on failure.
void write_nb101_cache(const std::string& path, const std::vector<Nb101Entry>& cells);
/// Reads a cache; throws nas::Error naming the file and the problem if it is missing, not a cache,
/// of another version, truncated or damaged (checksum), or holds a word that is not a valid cell.
/// With `forms`, also returns each cell's canonical form.
std::vector<Nb101Entry> read_nb101_cache(const std::string& path, std::vector<std::uint32_t>* forms = nullptr);

}  // namespace nas::bench

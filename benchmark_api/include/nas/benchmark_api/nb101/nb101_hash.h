// The NAS-Bench-101 module hash: the key of a cell in the official data (nasbench's
// graph_util.hash_module), byte for byte.
//
// It is an MD5 of a Weisfeiler-Lehman-style refinement, so it names the cell up to isomorphism:
// two cells that differ only in the numbering of their inner vertices have one hash.
//  1. h[v] = md5hex of the Python text of the tuple (out-degree, in-degree, label), e.g. "(3, 0, -1)"
//     for an input with three edges; labels as nb101_op_label (conv3x3 0, conv1x1 1, maxpool3x3 2,
//     input -1, output -2).
//  2. V times (V = the cell's vertex count), for all v at once: h[v] = md5hex of the sorted h of
//     v's predecessors, concatenated, "|", the sorted h of its successors, "|", h[v].
//  3. The hash = md5hex of the Python text of the sorted list of h, "['…', '…']".
// Sorting is by the lowercase hex text, which is the order of the digest bytes. The degrees must be
// printed as integers: nasbench issue #32 came from a float matrix, whose "(3.0, 0.0, -1)" changes
// every hash.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nas/benchmark_api/nb101/nb101_spec.h"

namespace nas::bench {

/// A module hash, as its 16 digest bytes (the 32-character hex is the official key).
struct Nb101Hash {
  std::array<std::uint8_t, 16> bytes{};

  /// The 32 lowercase hex digits, e.g. "00005c142e6f48ac74fdcf73e3439874".
  std::string hex() const;
  /// Parses 32 hex digits (either case); throws nas::Error otherwise.
  static Nb101Hash from_hex(std::string_view hex);

  friend bool operator==(const Nb101Hash& a, const Nb101Hash& b) { return a.bytes == b.bytes; }
  friend bool operator!=(const Nb101Hash& a, const Nb101Hash& b) { return a.bytes != b.bytes; }
  /// The order of the hex keys (the official data files are sorted by it).
  friend bool operator<(const Nb101Hash& a, const Nb101Hash& b) { return a.bytes < b.bytes; }
};

/// For unordered containers: the digest is already uniform, so its first 8 bytes will do.
struct Nb101HashHasher {
  std::size_t operator()(const Nb101Hash& hash) const;
};

/// The module hash of a cell. Thread-safe (each thread uses its own MD5 context).
Nb101Hash nb101_hash(const Nb101Spec& spec);

}  // namespace nas::bench

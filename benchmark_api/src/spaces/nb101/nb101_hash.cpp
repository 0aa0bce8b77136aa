// The NAS-Bench-101 module hash (see nb101_hash.h). The texts that nasbench builds with Python's
// str() and repr() are built here into one stack buffer per digest, and the digests are kept as
// bytes and turned into hex only where they enter a text.
#include "nas/benchmark_api/nb101/nb101_hash.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "md5.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/text.h"

namespace nas::bench {
namespace {

using Digest = std::array<std::uint8_t, 16>;
constexpr char kHexDigits[] = "0123456789abcdef";

char* append_hex(char* out, const Digest& digest) {
  for (std::uint8_t byte : digest) {
    *out++ = kHexDigits[byte >> 4];
    *out++ = kHexDigits[byte & 0xF];
  }
  return out;
}

char* append_text(char* out, std::string_view text) {
  std::memcpy(out, text.data(), text.size());
  return out + static_cast<std::ptrdiff_t>(text.size());
}

// The hex texts of `digests` concatenated in sorted order (sorting bytes = sorting their hex).
char* append_sorted_hex(char* out, Digest* digests, std::size_t count) {
  std::sort(digests, digests + count);
  for (std::size_t i = 0; i < count; ++i) out = append_hex(out, digests[i]);
  return out;
}

// Step 1's digests for every (out-degree, in-degree, label) a cell can have, computed once: they
// are 7 of the up to 57 digests of every hash.
class VertexDigests {
 public:
  VertexDigests() {
    Md5 md5;
    char text[32];
    for (int out = 0; out < kNb101MaxVertices; ++out) {
      for (int in = 0; in < kNb101MaxVertices; ++in) {
        for (int label = kMinLabel; label <= kMaxLabel; ++label) {
          const int length = std::snprintf(text, sizeof text, "(%d, %d, %d)", out, in, label);
          table_[out][in][label - kMinLabel] = md5.digest(text, static_cast<std::size_t>(length));
        }
      }
    }
  }
  const Digest& of(int out, int in, int label) const { return table_[out][in][label - kMinLabel]; }

 private:
  static constexpr int kMinLabel = -2, kMaxLabel = kNb101NumInteriorOps - 1;
  Digest table_[kNb101MaxVertices][kNb101MaxVertices][kMaxLabel - kMinLabel + 1];
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Nb101Hash::hex() const {
  std::string text(32, '0');
  append_hex(text.data(), bytes);
  return text;
}

Nb101Hash Nb101Hash::from_hex(std::string_view hex) {
  Nb101Hash hash;
  bool ok = hex.size() == 32;
  for (std::size_t i = 0; ok && i < hash.bytes.size(); ++i) {
    const int high = hex_value(hex[2 * i]), low = hex_value(hex[2 * i + 1]);
    ok = high >= 0 && low >= 0;
    hash.bytes[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  if (!ok) throw Error("malformed NAS-Bench-101 hash " + nas::quoted(hex) + " (expected 32 hex digits)");
  return hash;
}

std::size_t Nb101HashHasher::operator()(const Nb101Hash& hash) const {
  std::uint64_t word = 0;
  std::memcpy(&word, hash.bytes.data(), sizeof word);
  return static_cast<std::size_t>(word);
}

Nb101Hash nb101_hash(const Nb101Spec& spec) {
  static const VertexDigests vertex_digests;
  thread_local Md5 md5;
  constexpr int kMax = kNb101MaxVertices;
  const int n = spec.num_vertices();
  int in_degree[kMax] = {}, out_degree[kMax] = {};
  for (int y = 1; y < n; ++y) {
    for (int x = 0; x < y; ++x) {
      if (spec.has_edge(x, y)) {
        ++out_degree[x];
        ++in_degree[y];
      }
    }
  }
  // A message is at most 6 neighbour hashes + the vertex's own + 2 separators; the final list
  // 7 quoted hashes with ", " between them: both well under 512 bytes.
  char text[512];
  Digest h[kMax], next[kMax];
  for (int v = 0; v < n; ++v) h[v] = vertex_digests.of(out_degree[v], in_degree[v], nb101_op_label(spec.op(v)));
  for (int round = 0; round < n; ++round) {
    for (int v = 0; v < n; ++v) {
      Digest neighbours[kMax];
      std::size_t count = 0;
      for (int w = 0; w < v; ++w) {
        if (spec.has_edge(w, v)) neighbours[count++] = h[w];
      }
      char* end = append_sorted_hex(text, neighbours, count);
      *end++ = '|';
      count = 0;
      for (int w = v + 1; w < n; ++w) {
        if (spec.has_edge(v, w)) neighbours[count++] = h[w];
      }
      end = append_sorted_hex(end, neighbours, count);
      *end++ = '|';
      end = append_hex(end, h[v]);
      next[v] = md5.digest(text, static_cast<std::size_t>(end - text));
    }
    std::copy(next, next + n, h);
  }
  std::sort(h, h + n);
  char* end = append_text(text, "[");
  for (int v = 0; v < n; ++v) {
    if (v > 0) end = append_text(end, ", ");
    *end++ = '\'';
    end = append_hex(end, h[v]);
    *end++ = '\'';
  }
  end = append_text(end, "]");
  Nb101Hash hash;
  hash.bytes = md5.digest(text, static_cast<std::size_t>(end - text));
  return hash;
}

}  // namespace nas::bench

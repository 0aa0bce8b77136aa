// Test support: what the synthetic-store fixtures (make_synthetic_sss, make_synthetic_nb101) share
// to reuse a store from an earlier test run only when it is provably what this build would write:
// the fingerprint file beside it, written atomically, and the check of both.
#pragma once

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "nas/benchmark_api/store.h"

namespace nas::test {

inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Writes `bytes` to `path` through PATH.partial and a rename, so no reader sees half a file.
inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  const std::filesystem::path partial = path.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out << bytes;
    if (!out) throw std::runtime_error("cannot write " + partial.string());
  }
  std::filesystem::rename(partial, path);
}

/// A fingerprint hash as the stamp file holds it: 16 hex digits.
inline std::string fingerprint_text(std::uint64_t hash) {
  char text[17];
  std::snprintf(text, sizeof text, "%016" PRIx64, hash);
  return text;
}

/// Whether the store at `store` is the one this build would write: its stamp holds `expected` and
/// its checksums verify (a damaged store is rebuilt).
inline bool up_to_date(const std::filesystem::path& store, const std::filesystem::path& stamp, const std::string& expected) {
  if (!std::filesystem::exists(store) || !std::filesystem::exists(stamp) || read_bytes(stamp) != expected + "\n") return false;
  try {
    bench::Store::open(store.string()).verify();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace nas::test

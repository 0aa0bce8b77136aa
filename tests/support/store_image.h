// Test and fuzzing support: recompute the checksums of a store file image (format 2, store.h), so
// that a deliberately damaged image gets past the checksums and reaches the checks behind them
// (column descriptions, sparse index order and range, trial seeds) and the query code.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "nas/benchmark_api/store.h"

namespace nas::test {

namespace store_image {
inline constexpr std::size_t kHeaderBytes = 64;
inline constexpr std::size_t kEntryBytes = 48;

// Offsets come from the image and may be anything: every bound is checked without overflowing.

/// Whether [at, at + bytes) lies inside the image.
inline bool inside(const std::string& image, std::uint64_t at, std::uint64_t bytes) {
  return at <= image.size() && bytes <= image.size() - at;
}
template <typename T>
T read(const std::string& image, std::uint64_t at) {
  T value{};
  if (inside(image, at, sizeof(T))) std::memcpy(&value, image.data() + at, sizeof(T));
  return value;
}
template <typename T>
void write(std::string& image, std::uint64_t at, T value) {
  if (inside(image, at, sizeof(T))) std::memcpy(image.data() + at, &value, sizeof(T));
}
/// Offset of column `i`'s directory entry in the image (or 0 if the image has no such entry).
inline std::size_t entry_offset(const std::string& image, std::size_t i) {
  if (image.size() < kHeaderBytes) return 0;
  const auto directory = read<std::uint64_t>(image, 24);
  if (directory > image.size()) return 0;
  const auto description = read<std::uint32_t>(image, directory);
  const std::uint64_t entries = directory + ((4 + static_cast<std::uint64_t>(description) + 7) & ~std::uint64_t{7});
  if (entries < directory || entries > image.size() || i > (image.size() - entries) / kEntryBytes) return 0;
  const std::uint64_t at = entries + static_cast<std::uint64_t>(i) * kEntryBytes;
  return inside(image, at, kEntryBytes) ? static_cast<std::size_t>(at) : 0;
}
}  // namespace store_image

/// Recomputes every column checksum whose bytes lie inside the image, then the directory checksum,
/// and sets the file-size field to the image's size. Garbage stays garbage where offsets are wild.
inline void reseal_store_image(std::string& image) {
  using namespace store_image;
  if (image.size() < kHeaderBytes) return;
  const auto directory = read<std::uint64_t>(image, 24);
  const auto directory_bytes = read<std::uint64_t>(image, 32);
  const auto num_columns = read<std::uint32_t>(image, 20);
  for (std::uint32_t i = 0; i < num_columns && i < 100000; ++i) {
    const std::size_t e = entry_offset(image, i);
    if (e == 0) break;
    const auto num_epochs = read<std::uint16_t>(image, e + 6);
    const auto num_rows = read<std::uint32_t>(image, e + 12);
    const auto sparse = read<std::uint32_t>(image, e + 16);
    const auto indices = read<std::uint64_t>(image, e + 24);
    const auto values = read<std::uint64_t>(image, e + 32);
    const std::uint64_t first = sparse != 0 ? indices : values;
    const std::uint64_t values_bytes = static_cast<std::uint64_t>(num_rows) * num_epochs * sizeof(double);
    const std::uint64_t end = values + values_bytes;  // no overflow when inside()
    if (inside(image, values, values_bytes) && first <= end) {
      write<std::uint64_t>(image, e + 40, bench::store_checksum(image.data() + first, static_cast<std::size_t>(end - first)));
    }
  }
  if (inside(image, directory, directory_bytes)) {
    write<std::uint64_t>(image, 48, bench::store_checksum(image.data() + directory, static_cast<std::size_t>(directory_bytes)));
  }
  write<std::uint64_t>(image, 56, image.size());
}

}  // namespace nas::test

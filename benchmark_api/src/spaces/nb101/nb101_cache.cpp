// The binary cache of the enumerated NAS-Bench-101 space (format in nb101_enumeration.h).
#include <cstring>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"
#include "nas/benchmark_api/nb101/nb101_enumeration.h"
#include "nas/benchmark_api/store.h"

namespace nas::bench {
namespace {

constexpr char kMagic[8] = {'N', 'B', '1', '0', '1', 'S', 'P', 'C'};
// Far above the whole space (10.2 MB), so a wrong file cannot make the reader allocate much.
constexpr std::uint64_t kMaxCacheBytes = std::uint64_t{64} << 20;

// Explicit little-endian bytes, so a cache is the same file on every machine.
void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>(value >> (8 * i) & 0xFFU));
}

std::uint64_t get_le(const std::string& in, std::size_t offset, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= std::uint64_t{static_cast<unsigned char>(in[offset + static_cast<std::size_t>(i)])} << (8 * i);
  return value;
}

}  // namespace

void write_nb101_cache(const std::string& path, const std::vector<Nb101Entry>& cells) {
  std::string records;
  records.reserve(cells.size() * kNb101CacheRecordBytes);
  for (const Nb101Entry& cell : cells) {
    records.append(reinterpret_cast<const char*>(cell.hash.bytes.data()), cell.hash.bytes.size());
    put_le(records, cell.spec.packed(), 4);
    put_le(records, nb101_canonical_form(cell.spec), 4);
  }
  std::string header(kMagic, sizeof kMagic);
  put_le(header, kNb101CacheVersion, 4);
  put_le(header, cells.size(), 4);
  put_le(header, store_checksum(records.data(), records.size()), 8);
  AtomicFile file(path, "NAS-Bench-101 cell cache");
  file.write(header);
  file.write(records);
  file.commit();
}

std::vector<Nb101Entry> read_nb101_cache(const std::string& path, std::vector<std::uint32_t>* forms) {
  const std::string bytes = read_regular_file(path, "NAS-Bench-101 cell cache", kMaxCacheBytes);
  auto fail = [&](const std::string& why) -> void {
    throw Error("NAS-Bench-101 cell cache " + path + " " + why + "; delete it to have it rebuilt");
  };
  if (bytes.size() < kNb101CacheHeaderBytes || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    fail("is not a cell cache (no NB101SPC header)");
  }
  const std::uint64_t version = get_le(bytes, 8, 4);
  if (version != kNb101CacheVersion) {
    fail("has format version " + std::to_string(version) + "; this build reads version " + std::to_string(kNb101CacheVersion));
  }
  const std::uint64_t count = get_le(bytes, 12, 4);
  const std::uint64_t expected = kNb101CacheHeaderBytes + count * kNb101CacheRecordBytes;
  if (bytes.size() != expected) {
    fail("has " + std::to_string(bytes.size()) + " bytes, but " + std::to_string(count) + " cells take " + std::to_string(expected));
  }
  const char* records = bytes.data() + kNb101CacheHeaderBytes;
  const std::size_t records_size = bytes.size() - kNb101CacheHeaderBytes;
  if (store_checksum(records, records_size) != get_le(bytes, 16, 8)) fail("is damaged (checksum mismatch)");
  std::vector<Nb101Entry> cells;
  cells.reserve(static_cast<std::size_t>(count));
  if (forms != nullptr) forms->clear();
  for (std::size_t offset = kNb101CacheHeaderBytes; offset < bytes.size(); offset += kNb101CacheRecordBytes) {
    Nb101Hash hash;
    std::memcpy(hash.bytes.data(), bytes.data() + offset, hash.bytes.size());
    const auto word = static_cast<std::uint32_t>(get_le(bytes, offset + hash.bytes.size(), 4));
    if (forms != nullptr) forms->push_back(static_cast<std::uint32_t>(get_le(bytes, offset + hash.bytes.size() + 4, 4)));
    try {
      cells.push_back({Nb101Spec::from_packed(word), hash});
    } catch (const Error& e) {
      fail("holds an invalid cell at record " + std::to_string(cells.size()) + " (" + e.what() + ")");
    }
  }
  return cells;
}

}  // namespace nas::bench

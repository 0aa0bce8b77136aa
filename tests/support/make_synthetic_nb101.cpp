// Builds the synthetic full nb101 store the nb101 search tests search (synthetic_nb101.h): writes a
// file in the official format with one 108-epoch record of each of the 423,624 cells, imports it
// with the real importer (nb101_tfrecord_importer.h) into OUT_DIR/synthetic-nb101.nasbench and
// deletes the file again. CTest runs it once per test run, as the setup of the `synthetic_nb101`
// fixture, so that test processes never race on it.
//
//   make_synthetic_nb101 OUT_DIR
//   make_synthetic_nb101 --file FILE SCHEDULES REPEATS   # only writes a file, e.g. "4,12,36,108 3":
//                                                        # the full-size file, to measure imports
//
// One repeat of one schedule keeps it small (~170 MB written and read, a few seconds each on a
// small machine); the searches read the 108-epoch data only. A store from an earlier run is reused
// when it is provably what this build would produce: its fingerprint (synthetic-nb101.fingerprint)
// must equal the hash of what decides its content (the records of sample cells from both ends of
// the index range, and the bytes a small import of them gives, which covers the importer and the
// store writer), and the store's checksums must verify.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <sstream>
#include <string>

#include "nas/benchmark_api/nb101/nb101_cells.h"
#include "nas/benchmark_api/nb101/nb101_tfrecord_importer.h"
#include "nas/benchmark_api/store.h"
#include "fixture_cache.h"
#include "synthetic_nb101.h"

namespace {

namespace fs = std::filesystem;
using nas::test::read_bytes;
using nas::test::up_to_date;
using nas::test::write_bytes;

constexpr int kSchedule = 108;
constexpr int kRepeats = 1;

/// The hash of everything that decides the store's bytes (see the header comment).
std::string fingerprint(const fs::path& out) {
  const std::uint32_t samples[] = {0, 1, 2, 1000, 211812, nas::bench::kNb101NumCells - 2, nas::bench::kNb101NumCells - 1};
  const fs::path probe = out / "fingerprint-probe.tfrecord";
  const fs::path probe_store = out / "fingerprint-probe.nasbench";
  std::uint64_t hash = nas::bench::fnv1a64("synthetic-nb101", 15);
  {
    nas::test::TfRecordFileWriter file(probe.string());
    for (std::uint32_t index : samples) {
      const std::string record = nas::test::synthetic_nb101_record(index, kSchedule, kRepeats);
      hash = nas::bench::fnv1a64(record.data(), record.size(), hash);
      file.add(record);
    }
    file.close();
  }
  nas::bench::import_nb101_tfrecord(probe.string(), probe_store.string());
  // The store's provenance names the source file; the probe's name is fixed, so this is stable.
  const std::string imported = read_bytes(probe_store);
  hash = nas::bench::fnv1a64(imported.data(), imported.size(), hash);
  fs::remove(probe);
  fs::remove(probe_store);
  return nas::test::fingerprint_text(hash);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// `make_synthetic_nb101 --file FILE SCHEDULES REPEATS`: the file alone.
int write_file_only(const std::string& path, const std::string& schedule_list, const std::string& repeats_text) {
  std::vector<int> schedules;
  std::stringstream list(schedule_list);
  for (std::string item; std::getline(list, item, ',');) schedules.push_back(std::stoi(item));
  const int repeats = std::stoi(repeats_text);
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t records = nas::test::write_synthetic_nb101_file(path, schedules, repeats);
  std::printf("synthetic nb101 file: %" PRIu64 " records, %" PRIuMAX " bytes written to %s in %.1f s\n", records,
              static_cast<std::uintmax_t>(fs::file_size(path)), path.c_str(), seconds_since(start));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 5 && std::string(argv[1]) == "--file") return write_file_only(argv[2], argv[3], argv[4]);
    if (argc != 2) {
      std::fprintf(stderr, "usage: make_synthetic_nb101 OUT_DIR | make_synthetic_nb101 --file FILE SCHEDULES REPEATS\n");
      return 2;
    }
    const fs::path out(argv[1]);
    fs::create_directories(out);
    const fs::path file = out / "synthetic-nb101.tfrecord";
    const fs::path store = out / "synthetic-nb101.nasbench";
    const fs::path stamp = out / "synthetic-nb101.fingerprint";
    const auto start = std::chrono::steady_clock::now();
    const std::string expected = fingerprint(out);
    if (up_to_date(store, stamp, expected)) {
      std::printf("synthetic nb101 benchmark %s is up to date (fingerprint %s, checked in %.2f s)\n", store.c_str(), expected.c_str(),
                  seconds_since(start));
      return 0;
    }
    fs::remove(stamp);
    const auto writing = std::chrono::steady_clock::now();
    const std::uint64_t written = nas::test::write_synthetic_nb101_file(file.string(), {kSchedule}, kRepeats);
    const std::uintmax_t bytes = fs::file_size(file);
    const double write_s = seconds_since(writing);
    const auto importing = std::chrono::steady_clock::now();
    const auto report = nas::bench::import_nb101_tfrecord(file.string(), store.string());
    const double import_s = seconds_since(importing);
    fs::remove(file);  // the store is what the tests read
    write_bytes(stamp, expected + "\n");
    std::printf("synthetic nb101 benchmark: %" PRIu64 " records (%" PRIuMAX " bytes) written in %.2f s, %u cells imported in %.2f s into %s\n",
                written, bytes, write_s, report.cells, import_s, store.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

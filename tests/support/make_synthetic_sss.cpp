// Builds the synthetic size-space benchmark the sss tests search (synthetic_nats_sss.h): writes the
// 32,768 per-arch files of the official format into OUT_DIR/NATS-sss-v1_0-synthetic-simple/ and
// imports them with the real importer into OUT_DIR/synthetic-sss.nasbench. CTest runs it once per
// test run, as the setup of the `synthetic_sss` fixture, so that test processes never race on it.
//
//   make_synthetic_sss OUT_DIR
//
// Writing and importing 32,768 bzip2 files takes most of a minute on a small machine, so a store
// from an earlier run is reused when it is provably what this build would produce: its fingerprint
// (OUT_DIR/synthetic-sss.fingerprint) must equal the hash of what decides its content (the meta
// pickle, the pickles of sample configs from both ends of the index range, and the bytes a 3-arch
// import of them gives, which covers the importer and the store writer), and the store's payload
// checksum must verify. Any change to the model, the record layout or the importer changes the
// fingerprint and rebuilds it.
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <thread>

#include "nas/benchmark_api/importers.h"
#include "nas/benchmark_api/store.h"
#include "fixture_cache.h"
#include "pickle_writer.h"
#include "synthetic_nats_sss.h"

namespace {

namespace fs = std::filesystem;
using nas::test::read_bytes;
using nas::test::up_to_date;
using nas::test::write_bytes;

std::string arch_file(std::uint32_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "%06u.pickle.pbz2", static_cast<unsigned>(index));
  return name;
}

/// The hash of everything that decides the store's bytes (see the header comment).
std::string fingerprint(const fs::path& out) {
  const std::uint32_t samples[] = {0, 1, 11, 284, 1234, 20000, 32766, 32767};
  const std::string meta = nas::test::synthetic_sss_meta_pickle();
  std::uint64_t hash = nas::bench::fnv1a64(meta.data(), meta.size());
  const fs::path probe = out / "fingerprint-probe";
  fs::remove_all(probe);
  fs::create_directories(probe);
  write_bytes(probe / "meta.pickle.pbz2", nas::test::bzip2_compress(meta));
  for (std::uint32_t index : samples) {
    const std::string record = nas::test::synthetic_sss_arch_pickle(index);
    hash = nas::bench::fnv1a64(record.data(), record.size(), hash);
    if (index == 0 || index == 11 || index == 32767) {
      write_bytes(probe / arch_file(index), nas::test::bzip2_compress(record, 1));
    }
  }
  const fs::path probe_store = out / "fingerprint-probe.nasbench";
  nas::bench::import_nats_directory(probe.string(), probe_store.string(), 1);
  // The store's description names the source folder; the probe's name is fixed, so this is stable.
  const std::string imported = read_bytes(probe_store);
  hash = nas::bench::fnv1a64(imported.data(), imported.size(), hash);
  fs::remove_all(probe);
  fs::remove(probe_store);
  return nas::test::fingerprint_text(hash);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_synthetic_sss OUT_DIR\n");
    return 2;
  }
  try {
    const fs::path out(argv[1]);
    fs::create_directories(out);
    const fs::path dir = out / "NATS-sss-v1_0-synthetic-simple";
    const fs::path store = out / "synthetic-sss.nasbench";
    const fs::path stamp = out / "synthetic-sss.fingerprint";
    const auto start = std::chrono::steady_clock::now();
    const std::string expected = fingerprint(out);
    if (up_to_date(store, stamp, expected)) {
      std::printf("synthetic sss benchmark %s is up to date (fingerprint %s, checked in %.2f s)\n", store.c_str(),
                  expected.c_str(),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      return 0;
    }
    fs::remove(stamp);
    const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const auto writing = std::chrono::steady_clock::now();
    nas::test::write_synthetic_sss_directory(dir.string(), threads);  // every file name is fixed: all overwritten
    const auto written = std::chrono::steady_clock::now();
    const auto report = nas::bench::import_nats_directory(dir.string(), store.string(), threads);
    const auto imported = std::chrono::steady_clock::now();
    write_bytes(stamp, expected + "\n");
    std::printf("synthetic sss benchmark: %u arch files written in %.2f s, %u trials imported in %.2f s into %s\n",
                report.archs, std::chrono::duration<double>(written - writing).count(), report.trials,
                std::chrono::duration<double>(imported - written).count(), store.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

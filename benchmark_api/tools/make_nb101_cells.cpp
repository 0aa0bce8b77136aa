// Writes the NAS-Bench-101 cell cache (nb101_cells.h) for the build: the whole space enumerated in
// nasbench's order, 423,624 cells. Run by the build (target nb101_cells), not by users.
//   make_nb101_cells OUT_FILE
#include <chrono>
#include <cstdio>
#include <exception>

#include "nas/benchmark_api/nb101/nb101_enumeration.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "error: usage: make_nb101_cells OUT_FILE\n");
    return 2;
  }
  try {
    const auto start = std::chrono::steady_clock::now();
    const std::vector<nas::bench::Nb101Entry> cells = nas::bench::enumerate_nb101_space();
    if (cells.size() != nas::bench::kNb101NumCells) {
      std::fprintf(stderr, "error: the enumeration gave %zu cells, not %u\n", cells.size(), nas::bench::kNb101NumCells);
      return 1;
    }
    nas::bench::write_nb101_cache(argv[1], cells);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    std::printf("enumerated %zu NAS-Bench-101 cells into %s in %.1f s\n", cells.size(), argv[1], took.count());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}

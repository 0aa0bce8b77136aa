// Test support: SYNTHETIC NAS-Bench-101 data for every one of the 423,624 cells, in the format of the
// official data files (nb101_tfrecord_writer.h), so that searches can be tested on a full nb101
// store built by the real importer (the official files are 0.5 and 1.95 GB downloads; the store
// shipped with nas covers 11k cells).
//
// What is real: the cells, their graphs and module hashes (the build's cell list), and
// trainable_parameters (the exact count, which the importer checks). What is NOT: every accuracy
// and time. The final validation accuracy has structure a search can find: it grows with the share
// of conv3x3 among the inner vertices (the input -> output cell has none), plus a small hash-derived
// jitter (a share rather than a count: the colab's mutation tends to give smaller cells, so a
// landscape that rewarded size would test that tendency, not the search). Shorter schedules,
// halfway evaluations, train and test accuracy are offsets of it, and later repeats differ a little.
// Every accuracy is a float32 multiple of 1/9,984 (the granularity of the official values: 39
// batches of 256 images), every time a float32. Training takes 10 s per epoch of the schedule (the
// 108-epoch run 1,080 s, its halfway 540 s) in repeat 1, 0.1% more per later repeat.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nb101_tfrecord_writer.h"

namespace nas::test {

/// The synthetic run of cell `index` for `epochs` (4, 12, 36, 108), repeat 1, 2 or 3.
Nb101RunValues synthetic_nb101_run(std::uint32_t index, int epochs, int repeat);

/// Writes the records of every cell, for each of `schedules` and repeats 1..`repeats`, to `path`,
/// in cell index order (per cell: schedules in the given order, repeats in order). Returns how
/// many records it wrote.
std::uint64_t write_synthetic_nb101_file(const std::string& path, const std::vector<int>& schedules, int repeats);

/// The data of one record of the synthetic file.
std::string synthetic_nb101_record(std::uint32_t index, int epochs, int repeat);

}  // namespace nas::test

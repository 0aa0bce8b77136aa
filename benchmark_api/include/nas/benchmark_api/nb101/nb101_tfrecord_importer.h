// Importing NAS-Bench-101's official data files into an nb101 store (the full benchmark: every
// cell, schedule and repeat the file holds, train/validation/test accuracy and training time at the
// halfway and final evaluation of every run).
//
//   nas bench import nb101 --src nasbench_only108.tfrecord --out nb101.nasbench
//   nas bench import nb101 --src nasbench_full.tfrecord --out nb101-full.nasbench
//
// The files (google-research/nasbench, Apache-2.0): nasbench_only108.tfrecord (~499 MB, 1,270,872
// records, 108 epochs) and nasbench_full.tfrecord (~1.95 GB, 5,083,488 records, 4, 12, 36 and 108
// epochs): 3 repeats of each of the 423,624 cells per schedule. They are TFRecord files
// (tfrecord.h), one record per (cell, schedule, repeat), whose data is described in
// spaces/nb101/nb101_tfrecord_record.h: the module hash, the epochs, the graph as strings and the
// run's metrics as a base64 nasbench.ModelMetrics (benchmark_api/proto/model_metrics.proto, decoded
// by Debian's protobuf library).
//
// The file is streamed, one record at a time, and never held in memory: what grows is the store
// being built, one dense column per (schedule, repeat, quantity) that the file has (423,624 x 2
// values of 8 bytes each; ~325 MB for the full file), and ~20 bytes of bookkeeping per cell.
//
// Every record is checked, and the first bad one is an error naming the file, the record (numbered
// from 0) and the problem: its framing (bad length CRC, bad data CRC, truncated), its content (see
// Nb101RecordDecoder::decode), and against the space and the records before it:
//   - its graph is a cell of NAS-Bench-101 whose module hash is the record's hash (checked on the
//     first record of a hash; the later ones must carry the same adjacency and operations strings,
//     compared by XXH3-64 digest);
//   - trainable_parameters equals the cell's exact count (nb101_cost.h), and so is the same for
//     every record of the cell;
//   - at most 3 records (repeats) per cell and schedule.
// A file of a subset of the cells (or of the schedules, or of fewer repeats) is fine; the store's
// provenance says what it covers. Nothing is written unless the whole file is good, and the output
// location is checked before the work.
//
// The store (the layout of nb101_space.h): per schedule hp and repeat r = 1, 2, 3 (trial ids, the
// order of the cell's records in the file), train, validation (x-valid) and test (ori-test) accuracy
// in percent (the fractions x 100) and the cumulative training time in seconds, each at the halfway
// (evaluation_data[1]) and final (evaluation_data[2]) evaluation; evaluation_data[0], after
// initialization, is not kept. Params in millions. Its provenance names the file, its size, record
// count and XXH3-64 checksum, the cells covered and the schedules.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace nas::bench {

struct Nb101TfRecordImportReport {
  std::uint64_t records = 0;   ///< records read (all of them)
  std::uint32_t cells = 0;     ///< distinct cells (of 423,624)
  std::vector<int> schedules;  ///< the epochs the file has records for, ascending
  int repeats = 0;             ///< the most repeats of one cell and schedule (3 in the official files)
};

/// Called now and then while reading, with bytes of the file read so far and its size.
using Nb101ImportProgress = std::function<void(std::uint64_t bytes_done, std::uint64_t bytes_total)>;

/// Reads and checks the file `tfrecord`, writes the store to `out` (atomically). Throws nas::Error
/// naming the file and the first bad record, or the output location if it cannot be written.
Nb101TfRecordImportReport import_nb101_tfrecord(const std::string& tfrecord, const std::string& out,
                                                const Nb101ImportProgress& progress = {});

}  // namespace nas::bench

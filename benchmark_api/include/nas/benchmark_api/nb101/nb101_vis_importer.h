// Importing the NAS-Bench-101 subsets published with nasbench-vis into a partial nb101 store (the
// store shipped with nas; shared/data/nasbench101/SOURCE.md describes the files).
//
//   nas bench import nb101-vis --graphs nasbench-vis_data-1k.json --hashes nasbench-vis_data-10k.json --out FILE
//
// Both files are JSON objects of parallel arrays, one entry per cell: the validation accuracy after
// 4, 12, 36 and 108 epochs (fractions), `final_training_time` (seconds, 108 epochs),
// `trainable_parameters` and `key` (the module hash). The 1k file also has each cell's graph
// (`adjacency`, 7x7, and `operations`: -1 input, -2 output, 0 conv3x3, 1 conv1x1, 2 maxpool3x3, and
// -3 for the padding of cells with fewer than 7 vertices). Every record is checked before anything
// is written: a graph that is a valid cell whose module hash is its key, a hash that is one of the
// 423,624 enumerated cells (the only way the hash-only records find their index), trainable
// parameters equal to the cell's exact count, accuracies in [0, 1], a positive finite time, and no
// hash twice. The store holds, per cell, the validation accuracy (percent, x-valid) at hp 4, 12, 36
// and 108 and the training time at hp 108 (final_training_time, a cumulative time column) of one repeat
// (trial id 0: which repeat the files hold is not documented; for 00005c14... it is the third), and
// params in millions. The data has no test accuracy.
#pragma once

#include <cstdint>
#include <string>

namespace nas::bench {

struct Nb101VisImportReport {
  std::uint32_t with_graphs = 0;  ///< records of the graphs file
  std::uint32_t hash_only = 0;    ///< records of the hashes file
};

/// Reads and checks both files, writes the store to `out` (atomically). Throws nas::Error naming the
/// file and the first bad record.
Nb101VisImportReport import_nb101_vis(const std::string& graphs_json, const std::string& hashes_json, const std::string& out);

}  // namespace nas::bench

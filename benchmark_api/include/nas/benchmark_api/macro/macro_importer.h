// Importing NAS-Bench-Macro's published data (nas-bench-macro_cifar10.json) into a store.
//
//   nas bench import macro --src nas-bench-macro_cifar10.json --out nas-bench-macro-cifar10.nasbench
//
// The file maps each of the 6,561 codes to {test_acc: [3 runs], mean_acc, std, params, flops}.
// Every record is checked before anything is written: its code, three finite accuracies in
// [0, 100], mean_acc and std (population) equal to those of the three runs, params and FLOPs equal
// to the network's exact cost, and equal records for equivalent codes. The store holds the three
// runs (seeds 0, 1, 2, as the official train.py seeds them), the published mean, and params/FLOPs
// in millions, under the space's single record hp.
#pragma once

#include <cstdint>
#include <string>

namespace nas::bench {

struct MacroImportReport {
  std::uint32_t archs = 0;
  std::uint32_t classes = 0;  ///< distinct equivalence classes seen
};

/// Reads and checks `json_path`, writes the store to `out` (atomically). Throws nas::Error naming
/// the file and the first bad record.
MacroImportReport import_macro_json(const std::string& json_path, const std::string& out);

}  // namespace nas::bench

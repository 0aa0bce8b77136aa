// Test support: a SYNTHETIC NATS-Bench size-space benchmark in the official on-disk format.
//
// The official size-space records (NATS-sss-v1_0-50262-simple, one `NNNNNN.pickle.pbz2` per config)
// are not available here, and query-based searches need every config. This writes a directory
// with all 32,768 per-arch files plus `meta.pickle.pbz2` in the exact record structure of the
// official ones (studied on the real fixture records 0, 11 and 284), so that tests can import it
// with the real importer (`nas bench import nats`) and search it:
//
//   {"01"|"12"|"90": {"arch_index", "arch_str", "all_results": {("<key>", seed): record},
//                     "dataset_seed": {"<key>": [seeds]}, "clear_net_done": True}}
//   record = {"name", "train_acc1es", "train_acc5es", "train_losses", "train_times", "arch_config",
//             "params", "flop", "seed" ("0777"), "epochs", "latency" ([s]), "eval_names",
//             "eval_acc1es", "eval_times", "eval_losses" ({"x-valid@11": ...}), "net_state_dict": None}
//
// with the official seeds (hp 01: 777; hp 12: 777, 888, 999; hp 90: 777), the four dataset keys
// and their evaluation sets (cifar10-valid: x-valid, ori-test; cifar10: ori-test; cifar100 and
// ImageNet16-120: x-valid, x-test, ori-test), and params / FLOPs equal to the exact cost model
// (benchmark_api/cost_model.h), which reproduces the official values.
//
// What is NOT real, on purpose:
//   - every accuracy, loss and time is synthetic (synthetic_sss_accuracy below): a smooth,
//     concave function of the five widths (wider is better, with diminishing returns and a penalty
//     for unbalanced widths), plus a deterministic per-config term the widths do not explain, a
//     per-config error of the 12-epoch proxy, and seeded per-trial noise. It is built so that the
//     search problem has the NATS shape (hp-12 validation accuracy is a noisy, imperfect proxy of
//     the hp-90 test accuracy), not to match any published number;
//   - to keep generating and importing all 32,768 configs within seconds, the series hold only the
//     epochs searches and reports read: every series its schedule's last epoch (hp 01: 0, hp 12: 11,
//     hp 90: 89), and the x-valid accuracy of hp 12 also epochs 0 and 3 (BOHB's lower fidelities).
//     Every key, every evaluation set and every trial is present;
//   - OrderedDicts and numpy scalars are written as plain dicts and floats (pickle_writer.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nas/benchmark_api/datasets.h"

namespace nas::test {

/// The official seeds of each schedule of the size space.
std::vector<int> synthetic_sss_seeds(int hp);
/// The epochs (0-based) of a schedule whose x-valid accuracy the synthetic records hold; every other
/// series holds the last one only.
std::vector<int> synthetic_sss_valid_epochs(int hp);

/// Top-1 accuracy (percent) of config `index` trained on `key` with schedule `hp` (1, 12 or 90),
/// seed `seed`, at `epoch`, on `set` (Train: the training accuracy). ori-test of cifar100 and
/// ImageNet16-120 is the mean of x-valid and x-test, as a union of two equal halves is.
double synthetic_sss_accuracy(std::uint32_t index, bench::Dataset key, bench::EvalSet set, int hp, int epoch, int seed);
/// Seconds per training epoch, and per pass over an evaluation set; one constant per (config, key,
/// set), identical for every epoch, seed and schedule, as in the official records.
double synthetic_sss_train_seconds(std::uint32_t index, bench::Dataset key);
double synthetic_sss_eval_seconds(std::uint32_t index, bench::Dataset key, bench::EvalSet set);

/// The uncompressed pickle of the per-arch file of config `index`, and of meta.pickle.pbz2.
std::string synthetic_sss_arch_pickle(std::uint32_t index);
std::string synthetic_sss_meta_pickle();

/// Writes DIR/meta.pickle.pbz2 and DIR/NNNNNN.pickle.pbz2 for all 32,768 configs (DIR is created;
/// files already there are overwritten), on `threads` threads.
void write_synthetic_sss_directory(const std::string& dir, int threads);

}  // namespace nas::test

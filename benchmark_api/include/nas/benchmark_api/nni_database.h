// NNI's NAS benchmark databases (microsoft/nni, nni/nas/benchmark/), both ways:
//
//   nas bench export --format nni --space tss|nb101 [--bench FILE] --out FILE.db
//   nas bench import nni --src nasbench201.db|nasbench101.db --out FILE
//
// NNI ships NAS-Bench-101 and NAS-Bench-201 as SQLite files written by peewee (its db_gen scripts),
// and its query functions read them (query_nb101_trial_stats, query_nb201_trial_stats). The files
// written here follow NNI's tables exactly, so NNI answers queries from them; NNI re-hashes a file
// found under its official name, so point NNI at an exported file by binding
// nni.nas.benchmark.<nasbench101|nasbench201>.schema.proxy.initialize(SqliteExtDatabase(path))
// before the first query (README, "NNI's benchmark databases").
//
// Storage conventions (peewee 3 defaults): table = lower-cased model name; every table has
// "id" INTEGER NOT NULL PRIMARY KEY, assigned in insertion order; FloatField REAL, IntegerField
// INTEGER, CharField(n) VARCHAR(n), JSONField column type JSON holding the text of
// json.dumps(value, sort_keys=True) (python_json.h: queries compare that text, so it is written
// byte for byte); a foreign key `config`/`trial` is a column config_id/trial_id INTEGER NOT NULL
// REFERENCES the parent's id; index=True fields get a non-unique index named <table>_<column>.
// Every column is NOT NULL unless noted.
//
// NB201 (space tss; tables nb201trialconfig, nb201trialstats, nb201intermediatestats):
//  - config: arch (JSON, indexed; the dict of nni_nb201_arch_text), num_epochs (12 | 200, indexed),
//    num_channels 16, num_cells 5, dataset (VARCHAR(20), indexed; nni_nb201_dataset_name).
//    One row for every arch (index order) x epochs [12, 200] x dataset key (kAllDatasets order), so
//    config id = 1 + 8 * arch index + 4 * [200 epochs] + dataset position: 125,000 rows, whatever
//    the store holds (a query of an arch without trials finds none, as in NNI's own file).
//  - stats: one row per trial (config, seed), trials in config order, seeds ascending: seed;
//    train_acc, valid_acc, test_acc, ori_test_acc (%); train_loss, valid_loss, test_loss,
//    ori_test_loss (NULL allowed); parameters (M), latency (s), flops (M); training_time = the
//    last epoch's training time x epochs (s); valid_, test_, ori_test_evaluation_time (s). All at
//    the last epoch. valid / test / ori_test are the sets of nni_nb201_sets (NNI's mapping, not
//    the space's valid/test rule: on cifar10 all three are ori-test).
//  - intermediates: one row per epoch with any value, after the trial's stats, epochs ascending:
//    current_epoch (1-based), the 4 accuracies and 4 losses (all NULL allowed).
//  What the store must hold. The store layout is nats_importer.cpp's (importers.h): per (dataset
//  key, set, quantity, hp, seed) a column; a trial is a seed >= 0 of Store::seeds (seed-mean
//  columns are not trials and are not exported: NNI's reduction='mean' computes means itself). A
//  trial needs every NOT NULL value above: train accuracy, the accuracy and evaluation time of its
//  three sets, params, FLOPs, latency and the training time, at the last epoch, recorded (columns
//  flagged estimated are not used). A store imported from the official NATS-Bench files has them
//  (latency: the store keeps the mean of NATS-Bench's latency list, NNI its first element; the
//  official lists have one element). The store shipped with nas has seed means and one
//  unrecorded-seed trial of test accuracies only: exporting it is refused with one error naming
//  the first incomplete trial and what it lacks, rather than inventing values.
//
// NB101 (space nb101; tables nb101trialconfig, nb101trialstats, nb101intermediatestats), the store
// layout of nb101_space.h:
//  - config: arch (JSON, indexed; nni_nb101_arch_text), num_vertices (indexed), hash (VARCHAR(64),
//    indexed, the module hash), num_epochs (4 | 12 | 36 | 108, indexed). Cells in ascending hash
//    order (the order of the official tfrecord, which db_gen iterates; its first hash 00005c14...
//    is the smallest), each with epochs 4, 12, 36, 108: config id = 1 + 4 * position + epochs
//    position. Only cells with data are exported, so ids are NNI's when the store holds every cell
//    before it (a full store; or a store whose first cell is 00005c14..., NNI's tutorial rows).
//  - stats: 3 trials per config (the store's trial ids 1, 2, 3 = repeats in file order; trial id =
//    3 * (config id - 1) + repeat): train_acc, valid_acc, test_acc (%), parameters (M),
//    training_time = the final training time x 60. The x 60 is NNI's (db_gen's) bug, kept so that
//    NNI's users see NNI's numbers; the importer divides it out.
//  - intermediates: 2 per trial (id = 2 * (trial id - 1) + 1 | 2): current_epoch = epochs / 2
//    and epochs, the three accuracies and training_time in seconds (not x 60).
//  What the store must hold: for every exported cell, every schedule and repeat 1-3, the train,
//  validation and test accuracy and the training time, halfway and final, and params. A missing
//  value is one error naming the cell and the value. The shipped partial store (validation
//  accuracy of one repeat of unknown position, no test/train accuracy, no halfway values) is refused
//  with one error saying so: NNI's tables have no place for an unknown repeat and no NULLs.
//
// Writing: the database is built in a temporary file beside the destination, in one transaction,
// with prepared statements, and renamed over it when complete; on any error nothing is left.
//
// Reading (import_nni): the tables decide the benchmark (nb201* -> a tss store, nb101* -> an nb101
// store). Everything is checked before the store is written, and the first problem is one error
// naming the file, the table, the row id and what is wrong: not an SQLite file, not NNI's tables or
// a missing column, a NULL where NNI's schema says NOT NULL, an arch that is not a cell of the
// space (nb101: also a hash that is not the module hash of the arch, a num_vertices that is not its
// vertex count), a value out of range (accuracy outside [0, 100], negative or non-finite times,
// params, FLOPs, latency), an unknown dataset or schedule, two configs of one (arch, epochs,
// dataset), a stats or intermediate row whose parent is missing, an epoch outside the schedule, or
// values that NNI writes twice disagreeing (cifar10's three sets, cifar10-valid's test and ori-test,
// an intermediate at the last epoch and the stats, nb101's training_time and 60 x its final time).
// The store is written in the layout its official importers write, so it is served exactly as one
// imported from the official files: tss per importers.h (add_trial's columns; losses only where
// not NULL; times only at the last epoch: NNI keeps no curves of them; the training time per epoch
// = training_time / epochs); nb101 per nb101_space.h (trials in trial id order per config =
// repeats 1, 2, 3; halfway and final from the intermediates, the final also from the stats).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/datasets.h"
#include "nas/benchmark_api/nb101/nb101_spec.h"
#include "nas/benchmark_api/topology_space.h"

namespace nas::bench {

enum class NniBenchmark : std::uint8_t { Nb101 = 0, Nb201 = 1 };

/// The DDL of one benchmark's three tables and their indexes, as peewee's create_tables writes it:
/// one statement per element, tables before their indexes, parents before children.
std::vector<std::string> nni_schema_statements(NniBenchmark benchmark);

// ---- NB201 ---------------------------------------------------------------------------------------

/// The arch dict of a tss cell: keys "0_1", "0_2", "0_3", "1_2", "1_3", "2_3" (i_j = the edge from
/// node i to node j, the `~i` entry of node j in the arch string) and NNI's op names "none",
/// "skip_connect", "conv_1x1", "conv_3x3", "avg_pool_3x3" (NB201's nor_conv_* lose the prefix), as
/// json.dumps text, e.g. arch 0: {"0_1": "avg_pool_3x3", "0_2": "conv_1x1", "0_3": "conv_1x1",
/// "1_2": "skip_connect", "1_3": "skip_connect", "2_3": "skip_connect"}.
std::string nni_nb201_arch_text(const TssArch& arch);
/// The cell of an arch dict's text; throws nas::Error saying what is wrong (not JSON, not an
/// object, a missing or extra key, an unknown op). Key order and spacing do not matter.
TssArch tss_arch_of_nni(std::string_view arch_text);

/// NNI's dataset names: the dataset keys in lower case ("cifar10-valid", "cifar10", "cifar100",
/// "imagenet16-120").
std::string nni_nb201_dataset_name(Dataset dataset);
/// The dataset key of an NNI name; throws nas::Error listing the names otherwise.
Dataset dataset_of_nni(std::string_view name);

/// The store's evaluation sets NNI's db_gen reads valid_*, test_* and ori_test_* from: cifar10-valid
/// (x-valid, ori-test, ori-test); cifar10 (ori-test, ori-test, ori-test); cifar100 and
/// ImageNet16-120 (x-valid, x-test, ori-test).
struct NniNb201Sets {
  EvalSet valid, test, ori_test;
};
NniNb201Sets nni_nb201_sets(Dataset dataset);

// ---- NB101 ---------------------------------------------------------------------------------------

/// The arch dict of a pruned V-vertex cell: "op1".."op{V-2}" = nasbench op names of the inner
/// vertices, "input1".."input{V-1}" = the ascending predecessors of vertex 1..V-1 (input{V-1}: of
/// the output), as json.dumps text, e.g. the 2-vertex cell {"input1": [0]}.
std::string nni_nb101_arch_text(const Nb101Spec& spec);
/// The graph an arch dict's text describes (not pruned: NNI does not prune either); throws
/// nas::Error saying what is wrong (not JSON, keys other than input1..input{V-1} and op1..op{V-2},
/// an unknown op name, a predecessor that is not an earlier vertex, more than 7 vertices).
Nb101Graph nb101_graph_of_nni(std::string_view arch_text);

// ---- export and import ----------------------------------------------------------------------------

/// (done, total): archs (tss) or cells (nb101) exported; rows read on import.
using NniProgress = std::function<void(std::uint64_t done, std::uint64_t total)>;

struct NniReport {
  NniBenchmark benchmark = NniBenchmark::Nb201;
  std::uint64_t configs = 0, trials = 0, intermediates = 0;
};

/// Writes `benchmark` (space tss or nb101) as NNI's database `out_db` (see above). Throws nas::Error
/// naming the store and what NNI's tables need that it lacks, or the output's I/O problem; nothing
/// is left at `out_db` then (an existing file there is kept).
NniReport export_nni(const Benchmark& benchmark, const std::string& out_db, const NniProgress& progress = {});

/// Reads NNI's database `src_db` (nb101 or nb201 tables) into a store at `out_store` (see above).
/// Throws nas::Error naming the file, table and row of the first problem; nothing is written then.
NniReport import_nni(const std::string& src_db, const std::string& out_store, const NniProgress& progress = {});

}  // namespace nas::bench

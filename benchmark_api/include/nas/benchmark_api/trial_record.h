// A trial record: one training run of one architecture (space, arch, dataset key, schedule, seed)
// with what the official records of its benchmark hold per epoch, written by `nas train` and turned
// into store rows of the same schema as the imported official data (SpaceDefinition::add_trial).
//
//   TrialRecord r = read_trial_record("trial.json");         // nas::Error naming the file
//   StoreWriter writer(r.space, "trained with nas train");
//   space_definition(r.space).add_trial(r, writer);
//
// File format: one JSON object (format "nas-trial-record", version 1):
//   space, arch (the space's text), index, dataset (key name), hp (epochs of the schedule), seed,
//   params_m, flops_m (millions, the space's exact costs), latency_s (seconds per eval batch, null
//   if not measured), epochs: [{epoch, lr, <set>: {loss, accuracy, time}, ...}] with "train" (the
//   training pass: mean loss and top-1 of the steps, its wall time) and each evaluated set
//   ("x-valid", "x-test", "ori-test"; NAS-Bench-101's "train" evaluation is "train-eval"), an epoch
//   without an evaluation simply lacks the set; protocol and provenance (objects, free-form:
//   the resolved training settings, versions, device, data checksums), kept as written.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nas/benchmark_api/datasets.h"
#include "nas/benchmark_api/space.h"

namespace nas::bench {

/// One set's values per epoch of the schedule (hp entries; NaN where not evaluated).
struct TrialSeries {
  std::vector<double> loss, accuracy, time;
};

struct TrialRecord {
  Space space = Space::Topology;
  std::string arch;  ///< the space's text of the architecture
  std::uint32_t index = 0;
  Dataset dataset = Dataset::Cifar10;
  int hp = 0;
  std::int32_t seed = 0;
  double params_m = 0, flops_m = 0;
  std::optional<double> latency_s;
  std::vector<double> learning_rate;  ///< per epoch (of its first step)
  /// EvalSet::Train holds the training pass; the others the evaluations on the named sets.
  std::map<EvalSet, TrialSeries> sets;
  /// NAS-Bench-101's "train accuracy": the evaluation of the trained network on training images
  /// without augmentation (the official records' train_accuracy), not the training pass.
  std::optional<TrialSeries> train_evaluation;
  std::string protocol_json = "{}";    ///< JSON object text, as written
  std::string provenance_json = "{}";  ///< JSON object text, as written

  /// The last epoch at which `set` has a value, or -1.
  int last_evaluated_epoch(EvalSet set) const;
};

/// Writes the record as JSON, atomically (nas::Error naming the file on failure).
void write_trial_record(const std::string& path, const TrialRecord& record);
/// Reads and checks a record: the format and version, the space and dataset names, the arch
/// parsing to the stated index, hp >= 1, every series of hp entries; nas::Error naming the file and
/// the problem otherwise.
TrialRecord read_trial_record(const std::string& path);
/// The same checks on JSON text; errors are prefixed with `where`.
TrialRecord parse_trial_record(const std::string& text, const std::string& where);
std::string trial_record_json(const TrialRecord& record);

struct TrialImportReport {
  Space space = Space::Topology;
  std::uint32_t records = 0, archs = 0;
};
/// Builds the store `out` from trial records: each source is a record file or a folder whose *.json
/// files are records. Every record must be of one space, and no (arch, dataset, hp, seed) may come
/// twice; the store's provenance lists the protocols and versions the records name. Everything is
/// read and checked before `out` is written (atomically); nas::Error naming the file otherwise.
TrialImportReport import_trial_records(const std::vector<std::string>& sources, const std::string& out);
/// The same from records already read; `origins[i]` names record i in messages, `provenance` opens
/// the store's description.
TrialImportReport write_trial_store(const std::vector<TrialRecord>& records, const std::vector<std::string>& origins,
                                    const std::string& provenance, const std::string& out);

/// What every SpaceDefinition::add_trial checks first: the record is of `space`, of one of its
/// dataset keys, with a seed of at least min_trial_seed(); nas::Error otherwise.
void require_trial_of(const SpaceDefinition& space, const TrialRecord& record);

}  // namespace nas::bench

// Regenerating a benchmark (`nas bench generate` / `nas bench collect`): a work list of (arch,
// dataset key, hp, seed) items in a work folder, each trained with `nas train`'s protocol into its
// own trial record, and the records merged into a store.
//
// WORKDIR layout:
//   plan.json                 what is generated: space, archs, dataset keys, hps, seeds, the protocol
//                             overrides and the resolved protocol of each hp; a second generate into
//                             the folder must name the same plan
//   records/A-D-H-S.json      one trial record per finished item (written atomically)
//   checkpoints/A-D-H-S.pt    the checkpoint of an item in training (removed once its record exists)
//   locks/A-D-H-S.lock        flock(2) of the process training the item (released when it ends)
// Items are ordered arch, dataset key, hp, seed; shard K of N takes the items i with i % N == K - 1,
// so every process of a job array knows its share without talking to the others.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "nas/algorithms/architecture_trainer.h"
#include "nas/benchmark_api/datasets.h"
#include "nas/benchmark_api/space.h"

namespace nas::experiments {

/// "all", or indices and inclusive ranges separated by commas ("0-389", "0,11,284", "0-9,100"),
/// each within the space; sorted, without repeats. nas::Error naming the bad part otherwise.
std::vector<bench::ArchId> parse_arch_ranges(const std::string& text, const bench::SpaceDefinition& space);
/// "K/N" with 1 <= K <= N; nas::Error otherwise.
std::pair<int, int> parse_shard(const std::string& text);

struct GeneratePlan {
  bench::Space space = bench::Space::Topology;
  std::vector<bench::ArchId> archs;
  std::vector<bench::Dataset> datasets;
  std::vector<int> hps;
  std::vector<std::int32_t> seeds;
  std::vector<std::pair<std::string, std::string>> overrides;  ///< protocol fields, `--set` order
  /// Per hp (same order as hps), the resolved protocol fields (ArchitectureTrainer::check).
  std::vector<std::vector<std::pair<std::string, std::string>>> protocols;

  std::size_t num_items() const { return archs.size() * datasets.size() * hps.size() * seeds.size(); }
  /// The job of item i (arch, dataset, hp, seed; overrides), without environment or checkpoint.
  algorithms::TrainingJob job(std::size_t item) const;
  std::string json() const;
};

/// The record and checkpoint name of an item: "000011-cifar10-valid-12-777".
std::string item_name(const algorithms::TrainingJob& job);

/// Reads WORKDIR/plan.json (nas::Error naming it when absent or damaged).
GeneratePlan read_plan(const std::string& workdir);
/// Writes the plan into a new work folder, or checks that the folder's plan is this one (nas::Error
/// naming the first field that differs: "a work folder of another generation (space: tss there,
/// sss here)").
void bind_plan(const std::string& workdir, const GeneratePlan& plan);

struct GenerateReport {
  std::size_t shard_items = 0, already_done = 0, trained = 0, busy = 0;
  double wall_seconds = 0;
};
/// Trains the items of shard K/N that have no record yet; an item another process holds (its lock)
/// is left to it. A record that is not a valid trial record of its item is a nas::Error naming it
/// (before anything is trained). `on_item(i, n, job)` is called before each training.
GenerateReport generate(const std::string& workdir, const GeneratePlan& plan, std::pair<int, int> shard,
                        const algorithms::TrainingEnvironment& environment, const algorithms::ArchitectureTrainer& trainer,
                        algorithms::TrainingCallbacks& callbacks,
                        const std::function<void(std::size_t, std::size_t, const algorithms::TrainingJob&)>& on_item = {});

struct CollectReport {
  std::size_t expected = 0, found = 0;
  std::vector<std::string> missing;  ///< item names without a record
};
/// Merges WORKDIR's records into the store `out`: every record must be one of the plan's items,
/// trained with the plan's protocol; the store's provenance names the plan. Missing items are
/// reported, not an error (a partial store is a valid store).
CollectReport collect(const std::string& workdir, const std::string& out);

}  // namespace nas::experiments

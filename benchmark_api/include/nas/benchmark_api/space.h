// A search space and its facts, in one place.
//
// Every library asks the space, never "if tss ... else ...": its name, how its archs are written,
// which dataset keys it has and how "valid" and "test" resolve on them, its fidelities, what a
// search reads, its default budget, where its shipped store is and what official data it comes
// from, the words a report uses for a decision and a choice, the exact cost of an arch, and the
// SearchSpace the searchers work on. Each space implements SpaceDefinition in its own folder and is
// listed once in the table (space.cpp); adding a space is that folder, one enum value, one table
// line, its importer and its data (README, "Adding a search space").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "nas/benchmark_api/datasets.h"

namespace nas::bench {

/// The spaces this build knows. The value is internal (stores name their space by name).
enum class Space : std::uint8_t { Topology = 0, Size = 1, Macro = 2, Nb101 = 3 };

using ArchId = std::uint32_t;
class SearchSpace;
class StoreWriter;
struct TrialRecord;

/// Exact cost of one network.
struct NetworkCost {
  double params_m = 0;  ///< trainable parameters, millions
  double flops_m = 0;   ///< conv + linear multiply-accumulates per image, millions
};

/// What a query-based search reads on a dataset: the accuracy of (dataset key, set), and the set
/// read instead where a record lacks the first one (NATS-Bench falls back to ori-test).
struct SearchSignal {
  Dataset dataset = Dataset::Cifar10;
  EvalSet set = EvalSet::XValid;
  std::optional<EvalSet> fallback;
  /// True when the signal is a test accuracy (a space without a validation split): every result
  /// on the space then carries a note saying so.
  bool is_test_accuracy = false;
};

/// A space's default budget for a search on a dataset: simulated seconds, or (for a space whose
/// data has no times) a number of queries. Exactly one is non-zero.
struct DefaultBudget {
  double seconds = 0;
  std::int64_t queries = 0;
};

/// One extra fact about an arch that `nas bench info` prints (tss: its isomorphism class).
struct ArchDetail {
  std::string key;
  std::variant<std::string, bool, double> value;
};

class SpaceDefinition {
 public:
  virtual ~SpaceDefinition() = default;

  // ---- identity -----------------------------------------------------------------------------
  virtual Space id() const = 0;
  /// The short name used everywhere ("tss", "sss", "macro"), also in store files.
  virtual std::string_view name() const = 0;
  /// Other accepted names ("topology").
  virtual std::vector<std::string_view> aliases() const = 0;
  /// One line for `nas list` ("NAS-Bench-201 / NATS-Bench topology space").
  virtual std::string_view description() const = 0;
  virtual std::uint32_t num_archs() const = 0;

  // ---- archs --------------------------------------------------------------------------------
  /// The arch string of an index (the space's documented index order), and back.
  virtual std::string format_arch(ArchId arch) const = 0;
  /// Throws nas::Error with the reason for a malformed string.
  virtual ArchId parse_arch(std::string_view text) const = 0;
  /// What an arch string looks like, for help texts ("C0:C1:C2:C3:C4").
  virtual std::string_view arch_syntax() const = 0;
  /// Extra facts `nas bench info` prints for one arch (none by default).
  virtual std::vector<ArchDetail> arch_details(ArchId /*arch*/) const { return {}; }
  /// The arch a hash names, in a space whose archs have one (nb101: the module hash; `--hash`).
  /// Throws nas::Error if the space has no hashes, or the text is malformed or no arch's hash.
  virtual ArchId arch_of_hash(std::string_view hash) const;
  /// The SearchSpace the searchers use (sampling, mutation, encoding, canonical forms).
  virtual std::unique_ptr<SearchSpace> make_search_space() const = 0;

  // ---- data ---------------------------------------------------------------------------------
  /// The dataset keys the space's benchmark has, in the order reports list them.
  virtual std::vector<Dataset> datasets() const = 0;
  /// Where "valid" and "test" accuracy of a dataset come from; nullopt when the space has no such
  /// split (NAS-Bench-Macro has no validation data).
  virtual std::optional<MetricSource> resolve_split(Dataset dataset, Split split) const = 0;
  /// What a query-based search reads on a dataset.
  virtual SearchSignal search_signal(Dataset dataset) const = 0;
  /// The training schedules (hp, in epochs) a user may ask for; empty when the space has none.
  virtual std::vector<int> fidelities() const = 0;
  /// The schedule a search reads and the one results are reported at, as store hp values (a space
  /// without fidelities stores its one record per trial under a single hp).
  virtual int search_hp() const = 0;
  virtual int final_hp() const = 0;
  /// How a multi-fidelity searcher's budget of b epochs is read: false = epoch int(b) of the search
  /// schedule (NATS-Bench: BOHB's budgets 1.33, 4 and 12 are epochs of one 12-epoch run); true = the
  /// end of a separate int(b)-epoch run, one of fidelities() (NAS-Bench-101: its 4, 12, 36 and
  /// 108-epoch schedules are independent training runs).
  virtual bool budgets_are_separate_runs() const { return false; }
  /// How a trial seed is described in messages ("777"; tss: "0 (seed not recorded)").
  virtual std::string describe_trial(std::int32_t seed) const { return std::to_string(seed); }
  virtual DefaultBudget default_budget(Dataset dataset) const = 0;
  /// Whether the data records training and evaluation times (simulated search costs). A space
  /// without them is searched with query budgets, and an evaluation costs no simulated time.
  virtual bool records_times() const { return true; }
  /// Whether an evaluation's simulated cost includes one pass over the evaluation set (NATS-Bench's
  /// simulate_train_eval) or is the training time alone (NAS-Bench-101's training_time_spent
  /// counter; its data has no evaluation times).
  virtual bool charges_evaluation_time() const { return true; }
  /// Whether reports draw the space's anytime curves on a log-scale time axis: NAS-Bench-101's
  /// searches span 1e3 to 1e7 simulated seconds (its paper plots them so); NATS-Bench's a linear
  /// axis up to its budgets.
  virtual bool log_time_axis() const { return false; }

  // ---- where the data comes from --------------------------------------------------------------
  /// File name of the store shipped with nas (in the data folder).
  virtual std::string_view shipped_store() const = 0;
  /// The official data a full store is imported from, and the command that does it, for messages
  /// ("import the official NATS-tss-v1_0-3ffb9-simple directory with `nas bench import nats`").
  virtual std::string how_to_import() const = 0;

  // ---- trials trained here (nas train) --------------------------------------------------------
  /// Adds a trial trained with the space's own protocol to a store as rows of the columns its
  /// official import writes, so it is queried like the benchmark's own trials. Throws nas::Error
  /// naming what does not fit (another space, a seed below min_trial_seed(), a missing set).
  virtual void add_trial(const TrialRecord& record, StoreWriter& writer) const = 0;
  /// The smallest trial seed a store of the space holds (NATS-Bench reserves 0 for a seed the
  /// source did not record, NAS-Bench-101 numbers its repeats from 1; NAS-Bench-Macro's seeds are
  /// 0, 1, 2).
  virtual std::int32_t min_trial_seed() const { return 1; }

  // ---- words ----------------------------------------------------------------------------------
  /// What one decision and one choice are called in reports ("edge"/"op", "layer"/"width").
  virtual std::string_view decision_word() const = 0;
  virtual std::string_view choice_word() const = 0;

  // ---- cost -----------------------------------------------------------------------------------
  /// Exact params/FLOPs of an arch's network trained on a dataset key.
  virtual NetworkCost cost(ArchId arch, Dataset dataset) const = 0;

  // ---- derived facts (generic) ----------------------------------------------------------------
  bool has_dataset(Dataset dataset) const;
  /// Throws nas::Error unless the space has the dataset key (naming the ones it has).
  void require_dataset(Dataset dataset) const;
  /// The dataset key a user named (by name; checked with require_dataset), or, when none is named
  /// (""), the space's only one; a space of several needs one named (nas::Error listing them).
  Dataset choose_dataset(std::string_view named) const;
  /// Throws nas::Error unless `arch` < num_archs() (naming the range).
  void require_index(std::int64_t arch, std::string_view what = "arch index") const;
  /// The store hp of a user's schedule: nullopt means final_hp(); a value must be one of
  /// fidelities() (a space without fidelities refuses any).
  int resolve_hp(std::optional<int> hp) const;
  /// The budgets (epochs) a multi-fidelity searcher spans unless configured otherwise: 1 to
  /// search_hp() epochs of the search schedule, or (separate runs) the smallest fidelity to
  /// search_hp(); {search_hp, search_hp} for a space without fidelities.
  std::pair<double, double> default_budget_range() const;
};

/// Every space of this build, in the order `nas list` and reports show them.
const std::vector<const SpaceDefinition*>& all_spaces();
/// The definition of a space.
const SpaceDefinition& space_definition(Space space);
/// The space a name or alias stands for; throws nas::Error listing the names.
const SpaceDefinition& find_space(std::string_view name);

/// Shorthands used everywhere.
inline std::string_view space_name(Space space) { return space_definition(space).name(); }
inline Space parse_space(std::string_view name) { return find_space(name).id(); }
inline std::uint32_t space_num_archs(Space space) { return space_definition(space).num_archs(); }
/// "tss, sss, macro" (for messages).
std::string space_names();

}  // namespace nas::bench

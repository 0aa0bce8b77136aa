// nas::algorithms::Searcher: the one interface every search algorithm implements.
//
// A searcher receives its family's task (query-based: the benchmark that scores and times
// architectures, the dataset, the budget; weight-sharing: the space, the dataset's images, the
// device, threads and checkpointing), an Rng seeded by the caller (no global randomness anywhere)
// and callbacks, and returns a SearchResult: the architecture it settles on, what the search cost, and
// its trajectory (the incumbent after every evaluation). Logging, progress and early stopping go
// through SearchCallbacks; only weight-sharing searchers touch files (their checkpoints).
//
// Two families share the interface:
//   - query-based searchers derive from QuerySearcher and implement ask/tell: the base class runs
//     the loop of simulated train-and-evaluate calls against the benchmark until the budget is spent;
//   - weight-sharing searchers (supernet training) derive from TrainingSearcher and implement
//     search() with their own step loop.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/rng.h"
#include "nas/benchmark_api/search_space.h"

namespace nas::algorithms {

using bench::ArchId;

/// When a search stops. A zero field is no limit; at least one must be set.
struct Budget {
  double seconds = 0;         ///< simulated seconds (benchmark training time, plus evaluation time where the space charges it)
  std::int64_t queries = 0;   ///< number of evaluations
};

/// The limits of one query-based search. A run keeps one trajectory point per evaluation, so its
/// memory grows with the evaluations it makes; these bound it (about 32 MB of trajectory).
/// kMaxBudgetSeconds is 83 times NATS-Bench's largest budget (120,000 s): the cheapest evaluation
/// of the benchmarks here (12 epochs of the smallest tss cell, about 68 s) fits it about 150,000
/// times. A seconds budget that still needs more than kMaxEvaluations evaluations (e.g. a
/// searcher that reads only early epochs) stops the run with an error rather than running on.
inline constexpr double kMaxBudgetSeconds = 1e7;
inline constexpr std::int64_t kMaxBudgetQueries = 1'000'000;
inline constexpr std::int64_t kMaxEvaluations = 1'000'000;

/// Throws nas::Error (prefixed with `where`, e.g. "budget") unless the budget sets at least one
/// limit, every value is finite and non-negative, and within kMaxBudgetSeconds / kMaxBudgetQueries.
void check_budget(const Budget& budget, const std::string& where);

/// Where a weight-sharing search trains.
struct TrainingEnvironment {
  std::string data_root;        ///< folder of the image data set (--data or NAS_DATA)
  std::string device = "cpu";   ///< cpu, cuda, cuda:N
  int threads = 0;              ///< LibTorch CPU threads (0: all cores)
};

/// Where a weight-sharing search checkpoints, and which run its checkpoints belong to.
struct Checkpointing {
  std::string path;  ///< checkpoint at every epoch end and resume from here ("" = none)
  /// What identifies the run, as (field, value) pairs in a fixed order: algorithm, space, dataset,
  /// seed, the resolved searcher config, device, torch threads, nas version. A checkpoint carries
  /// it, and resuming from a checkpoint of another identity is an error naming the first field
  /// that differs.
  std::vector<std::pair<std::string, std::string>> identity;
  bool enabled() const { return !path.empty(); }
};

/// What a query-based search gets: the benchmark that scores and times architectures (its space
/// is benchmark->search_space(), also given as `space`), the dataset and the budget. The search
/// signal, its schedule and the budget's unit are the space's facts (SpaceDefinition).
struct QueryTask {
  const bench::SearchSpace* space = nullptr;
  const bench::Benchmark* benchmark = nullptr;
  bench::Dataset dataset = bench::Dataset::Cifar10;
  Budget budget;
};

/// What a weight-sharing search gets: the space it searches (its supernet is built for it), the
/// dataset whose images it trains on, where it trains and where it checkpoints. It needs no
/// benchmark: the architecture it derives is looked up by the caller.
struct TrainingTask {
  const bench::SearchSpace* space = nullptr;
  bench::Dataset dataset = bench::Dataset::Cifar10;
  TrainingEnvironment environment;
  Checkpointing checkpoint;
};

/// One simulated evaluation made by a query-based searcher.
struct Evaluation {
  ArchId arch = 0;
  int hp = 0;     ///< the schedule read (the space's search_hp unless the searcher chose another)
  int epoch = 0;  ///< 0-based epoch of that schedule the accuracy was read at
  double valid_accuracy = 0;
  double time_cost_s = 0;
  double total_time_s = 0;
};

/// The state of the search after an evaluation.
struct TrajectoryPoint {
  double simulated_seconds = 0;
  std::int64_t queries = 0;
  ArchId incumbent = 0;
  double incumbent_valid_accuracy = 0;
};

/// One epoch of a weight-sharing search, for logs and the results store.
struct EpochRecord {
  int epoch = 0;
  double train_loss = 0, train_accuracy = 0;  ///< weight step, mean over the epoch
  double arch_loss = 0, arch_accuracy = 0;    ///< architecture step (0 when the method has none)
  double valid_accuracy = 0;                  ///< of the current derived arch / supernet on the valid set
  /// Valid-split batches the epoch-end work read (the evaluation, candidate scoring, ENAS's
  /// controller training): what max_valid_batches bounds.
  std::int64_t valid_batches = 0;
  ArchId derived_arch = 0;
  double tau = 0;                             ///< Gumbel temperature (GDAS), else 0
  double seconds = 0;                         ///< wall time of the epoch
  std::vector<std::vector<double>> arch_probabilities;  ///< per decision, softmax of the arch parameters
};

/// Where a weight-sharing search is within an epoch, after each training step (live progress).
struct BatchProgress {
  int epoch = 0;   ///< 0-based
  int epochs = 0;  ///< of the whole search
  int batch = 0;   ///< training steps done in this epoch
  int batches = 0; ///< steps this epoch will take
  double train_loss = 0, train_accuracy = 0;  ///< weight step, running mean over the epoch's steps
  std::int64_t images = 0;                    ///< training images of this epoch's steps so far
  double seconds = 0;                         ///< wall time of the epoch so far
};

struct SearchResult {
  ArchId arch = 0;              ///< the architecture the search settles on
  double valid_accuracy = 0;    ///< its validation accuracy as the search saw it
  double simulated_seconds = 0;
  std::int64_t queries = 0;
  std::vector<TrajectoryPoint> trajectory;
  std::vector<std::string> notes;  ///< what the user should know (e.g. a fidelity the data lacks)
  std::vector<EpochRecord> epochs; ///< weight-sharing searches: one record per epoch
  double search_wall_seconds = 0;  ///< weight-sharing searches: training time
  std::string device;              ///< weight-sharing searches: where it trained
};

/// Hooks a caller passes in; every one is optional.
class SearchCallbacks {
 public:
  virtual ~SearchCallbacks() = default;
  virtual void on_evaluation(const Evaluation& /*evaluation*/, const TrajectoryPoint& /*state*/) {}
  /// After each training step of a weight-sharing search.
  virtual void on_batch(const BatchProgress& /*progress*/) {}
  /// After each epoch of a weight-sharing search (after its checkpoint is written).
  virtual void on_epoch(const EpochRecord& /*record*/) {}
  /// Polled before every evaluation; true ends the search early.
  virtual bool stop_requested() { return false; }
};

/// The two kinds of searcher. A registry entry's family is derived from the searcher's base class
/// (QuerySearcher or TrainingSearcher), so it cannot be declared wrongly; it decides what a run
/// needs (a benchmark and a budget, or image data and a device) and is stored with every result.
enum class SearcherFamily : std::uint8_t { QueryBased, WeightSharing };
/// "query-based" / "weight-sharing" (the names in `nas list` and in results stores).
std::string_view family_name(SearcherFamily family);
/// The family of a name as family_name writes it; throws nas::Error otherwise.
SearcherFamily parse_family(std::string_view name);

/// Every searcher. A searcher derives from one of the two family bases below, whose search() takes
/// what that family needs; the registry entry knows which (SearcherEntry::family).
class Searcher {
 public:
  virtual ~Searcher() = default;
};

/// Base of the searchers that train weights on real data (supernets): the weight-sharing family.
class TrainingSearcher : public Searcher {
 public:
  /// Runs one whole search. Throws nas::Error if the task is unusable (no data, a bad device, a
  /// checkpoint of another run).
  virtual SearchResult search(const TrainingTask& task, Rng& rng, SearchCallbacks& callbacks) = 0;
};

/// Throws nas::Error unless `benchmark` can serve a query-based search on `dataset`: a search may
/// propose any arch of the space, so every one needs its search signal (the space's search_signal at
/// the last epoch of its search_hp). The error names the store, how many archs it covers and how
/// to get the full data. Cheap after the first call per (benchmark, dataset, hp): QuerySearcher
/// checks it at the start of every search, the experiment runner once per grid cell up front.
void require_search_coverage(const bench::Benchmark& benchmark, bench::Dataset dataset);

/// Throws nas::Error (prefixed with `where`) if the budget cannot be spent on the space: a seconds
/// budget on a space whose data records no times.
void check_budget_for_space(const Budget& budget, const bench::SpaceDefinition& space, const std::string& where);

/// Base of the query-based searchers: the simulated-evaluation loop around ask/tell.
///
/// Every search first checks require_search_coverage, so no searcher (plugins included) starts on a
/// benchmark that would fail it halfway. The incumbent is the best validation accuracy at the last
/// epoch of the search schedule (the earliest wins ties); before any such evaluation, the best at
/// any epoch or schedule. The budget is checked before each proposal, so the last evaluation may overshoot it,
/// as in NATS-Bench.
class QuerySearcher : public Searcher {
 public:
  struct Proposal {
    ArchId arch = 0;
    int epoch = -1;  ///< epoch of the schedule to read; -1 = the last
    /// The schedule to read: 0 = the space's search_hp; else one of its fidelities (a space whose
    /// budgets_are_separate_runs, e.g. BOHB's 4-epoch runs on nb101).
    int hp = 0;
  };

  /// Runs one whole search. Throws nas::Error if the task is unusable (no budget, a benchmark that
  /// cannot serve the search).
  SearchResult search(const QueryTask& task, Rng& rng, SearchCallbacks& callbacks);

 protected:
  /// Resets the searcher's state for a new search; may add notes for the result.
  virtual void start(const QueryTask& task, Rng& rng, std::vector<std::string>& notes) = 0;
  virtual Proposal ask(Rng& rng) = 0;
  virtual void tell(const Proposal& proposal, const Evaluation& evaluation) = 0;
};

}  // namespace nas::algorithms

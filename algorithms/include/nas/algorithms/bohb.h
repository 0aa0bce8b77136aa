// BOHB (Falkner, Klein & Hutter, ICML 2018) as NATS-Bench runs it: hpbandster's BOHB master and
// config generator, with the settings of AutoDL-Projects exps/NATS-algos/bohb.py (reference §5.2).
//
// The algorithm has two halves.
//
// Hyperband (the schedule). Budgets are max_budget * eta^-k, k = K-1 ... 0, with
// K = floor(log(max_budget / min_budget) / log(eta)) + 1; NATS-Bench's 1 / 12 / eta 3 gives
// 1.33, 4 and 12 epochs of the 12-epoch search schedule, read at epoch int(budget) - 1 = 0, 3, 11.
// Iteration i runs one successive-halving bracket with s = K-1 - (i mod K) halvings: n0 =
// floor(K / (s+1)) * eta^s configs at the bracket's smallest budget, then the best
// max(floor(n0 * eta^-j), 1) of them at each larger budget (brackets [9,3,1] @ [1.33,4,12],
// [3,1] @ [4,12], [3] @ [12], repeated). With one worker (as in NATS-Bench) everything is
// sequential, which is exactly the ask/tell loop: ask() hands out the next config of the current
// stage, and a new config is only proposed while stage 0 of a bracket is being filled.
//
// The model (what makes it BOHB rather than Hyperband). Every (config, loss) with loss = 100 -
// validation accuracy is kept per budget. Once a budget has enough points, its points are sorted by
// loss and split into the best top_n_percent ("good") and the rest ("bad"); each part gets a
// product kernel density over the categorical decisions (statsmodels' KDEMultivariate, all
// variables unordered: Aitchison-Aitken kernels with 'normal_reference' bandwidths, clipped below
// at min_bandwidth). A proposal comes from the model of the largest budget that has one:
// num_samples candidates, each a random good point with every decision kept with probability
// 1 - bandwidth and otherwise redrawn uniformly; the candidate minimising bad_pdf / good_pdf wins
// (TPE's expected-improvement surrogate). Before any model exists, and with probability
// random_fraction afterwards, the proposal is a uniform random architecture.
//
// Where this follows hpbandster/statsmodels literally, even where they are odd (kept because the
// point is to reproduce NATS-Bench's BOHB numbers):
//   - the bandwidth is 1.06 * std * n^(-1/(4+d)) with numpy's population std (ddof 0) of the
//     choice indices, no upper bound: above 1 a kernel value 1 - bw is negative and sampling never
//     keeps a value (early models are close to random search);
//   - the Aitchison-Aitken kernel's number of levels c is the number of DISTINCT values of that
//     decision in the density's own data, not the number of choices (statsmodels calls the kernel
//     without num_levels). A decision on which all of the data agree gets c = 1 and an infinite
//     kernel value off that value; hpbandster's max(1e-32, .) guards and "take a candidate with a
//     non-finite score if its good pdf is finite" rule then apply. `kde_levels_from_data: false`
//     uses the number of choices instead (the textbook kernel);
//   - bandwidth_factor only widens continuous parameters in hpbandster; every decision here is
//     categorical, so the key is accepted and recorded but has no effect;
//   - min_points_in_model below d + 1 is raised to d + 1 (hpbandster warns and does the same).
// Deliberate differences: sorting by loss is stable (numpy's default quicksort is not, for more
// than 16 points: ties then order by evaluation order here); the bracket sizes use exact integer
// arithmetic; int(budget) tolerates 1e-9 of rounding below an integer; NATS-Bench runs 300 brackets
// and cuts the trajectory at the time budget when reporting, while here the QuerySearcher loop
// stops at the budget (the trajectory up to it is the same).
//
// Budgets per space. A budget is a number of epochs. On NATS-Bench (tss, sss) it is read at epoch
// int(budget) of the 12-epoch search schedule, and the default range is NATS-Bench's 1 to 12. On
// NAS-Bench-101 (budgets_are_separate_runs) it names a schedule of its own, read at its end, and
// the default range is the paper's 4 to 108: budgets 4, 12, 36 and 108 at eta 3, each an
// independent run of that length (a 4-epoch run is not the first 4 epochs of a 108-epoch one).
// min_budget / max_budget 0 take the space's default; the notes of a result name the budgets run.
//
// Fidelities the data lacks. The shipped topology store holds validation accuracy only at the last
// epoch of hp 12, so budgets 1.33 and 4 cannot be read. start() keeps the budgets whose epoch the
// store holds (the largest must be one of them), reruns the schedule over those (with only {12}:
// one config per iteration, random until the model fits, then model-based) and says so in the
// result's notes. An imported official store has every epoch and runs the full schedule.
#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nas/algorithms/config.h"
#include "nas/algorithms/searcher.h"

namespace nas::algorithms {

struct BohbConfig {
  int eta = 3;
  double min_budget = 0;  ///< epochs; 0 = the space's default (SpaceDefinition::default_budget_range)
  double max_budget = 0;  ///< epochs; 0 = the space's default
  int num_samples = 4;
  double random_fraction = 0.0;
  double bandwidth_factor = 3.0;  ///< continuous parameters only in hpbandster: no effect here
  double min_bandwidth = 0.3;
  int top_n_percent = 15;
  int min_points_in_model = 0;  ///< 0 = number of decisions + 1
  bool kde_levels_from_data = true;
};

/// One successive-halving stage of a Hyperband bracket.
struct HyperbandStage {
  int num_configs = 0;
  double budget = 0;
  int budget_index = 0;  ///< position of `budget` in the (ascending) budget list
};

/// Hyperband budgets, ascending: max_budget * eta^-k for k = K-1 ... 0, where
/// K = floor(log(max_budget / min_budget) / log(eta) + 1e-9) + 1. Throws nas::Error if the brackets
/// would be too large to count (eta^(K-1) above 2^30).
std::vector<double> hyperband_budgets(double min_budget, double max_budget, int eta);

/// The stages of Hyperband iteration `iteration` (0-based) over `budgets` (ascending; K of them):
/// s = K-1 - (iteration mod K), n0 = floor(K / (s+1)) * eta^s, stage j = 0..s has
/// max(floor(n0 / eta^j), 1) configs at budgets[K-1-s+j].
std::vector<HyperbandStage> hyperband_bracket(std::int64_t iteration, const std::vector<double>& budgets, int eta);

/// Epoch (0-based) of the search schedule at which a budget is read: int(budget) - 1.
int budget_epoch(double budget);
/// The schedule a budget names where budgets are separate runs: int(budget) epochs.
int budget_schedule(double budget);

/// The points of a density: one row per point, one column per decision (choice indices). Eigen,
/// column-major: the densities below work a decision at a time over all points (vectorised).
using KdePoints = Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic>;
/// Points from rows (all of one length).
KdePoints kde_points(const std::vector<std::vector<int>>& rows);

/// statsmodels' 'normal_reference' bandwidth of each column of `points`:
/// 1.06 * std(column, ddof 0) * n^(-1 / (4 + d)).
std::vector<double> normal_reference_bandwidths(const KdePoints& points);

/// A product-kernel density over categorical vectors: statsmodels KDEMultivariate with every
/// variable unordered ('u'), i.e. pdf(x) = mean over the data of prod_d k_d(x_d, X_id) with the
/// Aitchison-Aitken kernel k = 1 - bw_d if equal, else bw_d / (c_d - 1).
class CategoricalKde {
 public:
  /// Explicit bandwidths. c_d is the number of distinct values of column d in `points` when
  /// `levels_from_data` (statsmodels), else num_choices[d]. There must be at least one point.
  CategoricalKde(KdePoints points, std::vector<double> bandwidths, const std::vector<int>& num_choices,
                 bool levels_from_data);

  /// Normal-reference bandwidths clipped below at `min_bandwidth` (what hpbandster fits).
  static CategoricalKde fit(KdePoints points, const std::vector<int>& num_choices, double min_bandwidth,
                            bool levels_from_data);

  /// The density at x (IEEE arithmetic as numpy: with c_d = 1 a mismatch is +inf).
  double pdf(const std::vector<int>& x) const;

  /// The number of points, and point i as choices.
  std::size_t size() const { return static_cast<std::size_t>(points_.rows()); }
  std::vector<int> point(std::size_t i) const;
  const std::vector<double>& bandwidths() const { return bandwidths_; }
  /// c_d of each decision.
  const std::vector<int>& levels() const { return levels_; }

 private:
  KdePoints points_;
  std::vector<double> bandwidths_;
  std::vector<int> levels_;
  std::vector<double> match_;     // 1 - bw_d
  std::vector<double> mismatch_;  // bw_d / (c_d - 1), precomputed
};

/// hpbandster's sampling-based maximisation of good_pdf / bad_pdf: `num_samples` candidates, each a
/// uniformly random point of the good density's data with decision d kept with probability
/// 1 - max(bw_d, min_bandwidth) and otherwise redrawn uniformly among num_choices[d]; score =
/// max(1e-32, bad(x)) / max(good(x), 1e-32) (Python max semantics), lowest wins, the first on ties.
/// A candidate with a non-finite score is taken at once if good(x) is finite (a value the bad data
/// never had). nullopt when no candidate has a usable score (the caller then samples at random).
/// With `admissible`, a candidate it refuses (nb101: not a valid cell) scores worst of all, as the
/// NAS-Bench-101 paper's BO methods treat invalid configurations: it is never taken.
std::optional<std::vector<int>> maximize_density_ratio(const CategoricalKde& good, const CategoricalKde& bad,
                                                       const std::vector<int>& num_choices, int num_samples,
                                                       double min_bandwidth, Rng& rng,
                                                       const std::function<bool(const std::vector<int>&)>& admissible = {});

class Bohb : public QuerySearcher {
 public:
  using Config = BohbConfig;
  static void describe(ConfigBinder<BohbConfig>& b);
  /// Throws nas::Error naming the key of an out-of-range value.
  explicit Bohb(Config config);

  /// The budgets the current search runs at (after dropping those the data lacks).
  const std::vector<double>& budgets() const { return budgets_; }
  /// Whether a density model exists for budgets()[index].
  bool has_model(std::size_t index) const { return index < models_.size() && models_[index].has_value(); }
  /// The good / bad densities of budgets()[index] (has_model(index) must hold).
  const CategoricalKde& good_model(std::size_t index) const { return models_.at(index)->good; }
  const CategoricalKde& bad_model(std::size_t index) const { return models_.at(index)->bad; }
  /// A new configuration as BOHB would propose it now (hpbandster's get_config); does not change
  /// the search state. Only valid after start().
  ArchId propose(Rng& rng) const;

 protected:
  void start(const QueryTask& task, Rng& rng, std::vector<std::string>& notes) override;
  Proposal ask(Rng& rng) override;
  void tell(const Proposal& proposal, const Evaluation& evaluation) override;

 private:
  struct Observation {
    std::vector<int> x;
    double loss;
  };
  struct Model {
    CategoricalKde good;
    CategoricalKde bad;
  };
  struct Slot {  // one config of the current successive-halving stage
    ArchId arch;
    double loss;
  };

  void choose_budgets(const QueryTask& task, std::vector<std::string>& notes);
  /// choose_budgets where budgets are separate runs: each must be one of the space's schedules.
  void choose_schedules(const std::vector<double>& all, const bench::SpaceDefinition& space,
                        const std::function<std::vector<const bench::Column*>(int)>& signal_columns,
                        std::vector<std::string>& notes);
  void begin_iteration();
  void finish_stage();
  void refit(std::size_t budget_index);
  std::optional<std::size_t> largest_model() const;

  Config config_;
  const bench::SearchSpace* space_ = nullptr;
  std::vector<int> num_choices_;
  int min_points_ = 0;  // effective min_points_in_model

  std::vector<double> budgets_;
  bool single_record_ = false;  // the space has no fidelities: every evaluation reads its one record
  bool separate_runs_ = false;  // a budget is a schedule of its own (nb101), read at its end
  std::vector<std::vector<Observation>> observations_;  // per budget index
  std::vector<std::optional<Model>> models_;            // per budget index

  std::int64_t iteration_ = 0;
  std::vector<HyperbandStage> bracket_;
  std::size_t stage_ = 0;
  std::vector<Slot> slots_;  // configs of the current stage, in the order they were first sampled
  std::size_t next_ = 0;     // next slot to evaluate
  bool pending_ = false;     // an ask() awaits its tell()
};

}  // namespace nas::algorithms

// The simulated-evaluation loop shared by the query-based searchers.
#include <cmath>

#include "nas/algorithms/searcher.h"
#include "nas/benchmark_api/error.h"

namespace nas::algorithms {

SearchResult QuerySearcher::search(const SearchTask& task, Rng& rng, SearchCallbacks& callbacks) {
  if (task.space == nullptr || task.benchmark == nullptr) throw Error("search task without a space or benchmark");
  if (task.space->space() != task.benchmark->space()) throw Error("the benchmark does not belong to the search space");
  if (task.budget.seconds <= 0 && task.budget.queries <= 0) {
    throw Error("a search needs a positive budget (simulated seconds or number of queries)");
  }
  SearchResult result;
  start(task, rng, result.notes);

  bench::SimulatedClock clock;
  const int last_epoch = task.search_hp - 1;
  bool have_full_fidelity = false;
  bool have_any = false;
  auto budget_left = [&] {
    if (task.budget.queries > 0 && result.queries >= task.budget.queries) return false;
    if (task.budget.seconds > 0 && clock.used_seconds >= task.budget.seconds) return false;
    return true;
  };
  while (budget_left() && !callbacks.stop_requested()) {
    const Proposal proposal = ask(rng);
    const bench::SimulatedResult simulated =
        task.benchmark->simulate_train_eval(proposal.arch, task.dataset, task.search_hp, rng, clock, proposal.epoch);
    Evaluation evaluation;
    evaluation.arch = proposal.arch;
    evaluation.epoch = proposal.epoch == -1 ? last_epoch : proposal.epoch;
    evaluation.valid_accuracy = simulated.valid_accuracy;
    evaluation.time_cost_s = simulated.time_cost_s;
    evaluation.total_time_s = simulated.total_time_s;
    ++result.queries;
    tell(proposal, evaluation);

    // The incumbent: best at full search fidelity; before any such evaluation, best at any fidelity.
    const bool full = evaluation.epoch == last_epoch;
    const bool better = full ? (!have_full_fidelity || evaluation.valid_accuracy > result.valid_accuracy)
                             : (!have_full_fidelity && (!have_any || evaluation.valid_accuracy > result.valid_accuracy));
    if (better) {
      result.arch = evaluation.arch;
      result.valid_accuracy = evaluation.valid_accuracy;
    }
    have_full_fidelity = have_full_fidelity || full;
    have_any = true;
    TrajectoryPoint point;
    point.simulated_seconds = clock.used_seconds;
    point.queries = result.queries;
    point.incumbent = result.arch;
    point.incumbent_valid_accuracy = result.valid_accuracy;
    result.trajectory.push_back(point);
    callbacks.on_evaluation(evaluation, point);
  }
  result.simulated_seconds = clock.used_seconds;
  return result;
}

}  // namespace nas::algorithms

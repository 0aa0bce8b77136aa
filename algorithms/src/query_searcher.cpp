// The simulated-evaluation loop shared by the query-based searchers.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "nas/algorithms/searcher.h"
#include "nas/benchmark_api/error.h"

namespace nas::algorithms {
namespace {

/// 32768 -> "32,768": the counts in the coverage message are read by people.
std::string with_thousands(std::uint32_t value) {
  std::string digits = std::to_string(value), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

std::string_view family_name(SearcherFamily family) {
  return family == SearcherFamily::QueryBased ? "query-based" : "weight-sharing";
}

SearcherFamily parse_family(std::string_view name) {
  for (SearcherFamily family : {SearcherFamily::QueryBased, SearcherFamily::WeightSharing}) {
    if (family_name(family) == name) return family;
  }
  throw Error("unknown searcher family '" + std::string(name) + "' (expected query-based or weight-sharing)");
}

void require_search_coverage(const bench::Benchmark& benchmark, bench::Dataset dataset) {
  const bench::SpaceDefinition& space = benchmark.definition();
  space.require_dataset(dataset);
  const int search_hp = space.search_hp();
  const std::uint32_t covered = benchmark.searchable_archs(dataset, search_hp);
  if (covered == benchmark.size()) return;
  const bench::SearchSignal signal = space.search_signal(dataset);
  const std::string schedule = space.fidelities().empty() ? "" : "hp-" + std::to_string(search_hp) + " ";
  throw Error("the " + std::string(space.name()) + " benchmark " + benchmark.store().path() + " has " + schedule +
              (signal.is_test_accuracy ? "test" : "validation") + " data on " + std::string(bench::dataset_name(signal.dataset)) +
              " for " + with_thousands(covered) + " of " + with_thousands(benchmark.size()) +
              " archs; query-based searchers need all of them: " + space.how_to_import());
}

void check_budget_for_space(const Budget& budget, const bench::SpaceDefinition& space, const std::string& where) {
  if (budget.seconds > 0 && !space.records_times()) {
    throw Error(where + ": the " + std::string(space.name()) +
                " benchmark records no training times, so its searches are budgeted in queries (give a number of queries)");
  }
}

namespace {
std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}
}  // namespace

void check_budget(const Budget& budget, const std::string& where) {
  if (!std::isfinite(budget.seconds) || budget.seconds < 0) {
    throw Error(where + ": the seconds budget must be a finite positive number, not " + number_text(budget.seconds));
  }
  if (budget.seconds > kMaxBudgetSeconds) {
    throw Error(where + ": a budget of " + number_text(budget.seconds) + " simulated seconds is above the limit of " +
                with_thousands(static_cast<std::uint32_t>(kMaxBudgetSeconds)) + " s per run");
  }
  if (budget.queries < 0 || budget.queries > kMaxBudgetQueries) {
    throw Error(where + ": a budget of " + std::to_string(budget.queries) + " queries is outside [1, " +
                with_thousands(static_cast<std::uint32_t>(kMaxBudgetQueries)) + "]");
  }
  if (budget.seconds <= 0 && budget.queries <= 0) {
    throw Error(where + ": a search needs a positive budget (simulated seconds or number of queries)");
  }
}

SearchResult QuerySearcher::search(const QueryTask& task, Rng& rng, SearchCallbacks& callbacks) {
  if (task.space == nullptr || task.benchmark == nullptr) throw Error("search task without a space or benchmark");
  if (task.space->space() != task.benchmark->space()) throw Error("the benchmark does not belong to the search space");
  const bench::SpaceDefinition& space = task.benchmark->definition();
  require_search_coverage(*task.benchmark, task.dataset);
  check_budget(task.budget, "budget");
  check_budget_for_space(task.budget, space, "budget");
  SearchResult result;
  if (space.search_signal(task.dataset).is_test_accuracy) {
    result.notes.push_back("searched on test accuracy: the " + std::string(space.name()) +
                           " benchmark has no validation split, so the result is not a held-out estimate");
  }
  start(task, rng, result.notes);

  bench::SimulatedClock clock;
  const int search_hp = space.search_hp();
  const int last_epoch = search_hp - 1;
  const std::vector<int> schedules = space.fidelities();
  bool have_full_fidelity = false;
  bool have_any = false;
  auto budget_left = [&] {
    if (task.budget.queries > 0 && result.queries >= task.budget.queries) return false;
    if (task.budget.seconds > 0 && clock.used_seconds >= task.budget.seconds) return false;
    return true;
  };
  while (budget_left() && !callbacks.stop_requested()) {
    if (result.queries >= kMaxEvaluations) {
      throw Error("the budget of " + number_text(task.budget.seconds) + " simulated seconds is not spent after " +
                  with_thousands(static_cast<std::uint32_t>(kMaxEvaluations)) +
                  " evaluations, the most one run makes (its memory grows with them); give a smaller budget");
    }
    const Proposal proposal = ask(rng);
    const int hp = proposal.hp == 0 ? search_hp : proposal.hp;
    if (hp != search_hp && std::find(schedules.begin(), schedules.end(), hp) == schedules.end()) {
      throw Error("a searcher asked for the " + std::to_string(hp) + "-epoch schedule, which the " + std::string(space.name()) +
                  " space does not have");
    }
    const bench::SimulatedResult simulated =
        task.benchmark->simulate_train_eval(proposal.arch, task.dataset, hp, rng, clock, proposal.epoch);
    Evaluation evaluation;
    evaluation.arch = proposal.arch;
    evaluation.hp = hp;
    evaluation.epoch = proposal.epoch == -1 ? hp - 1 : proposal.epoch;
    evaluation.valid_accuracy = simulated.valid_accuracy;
    evaluation.time_cost_s = simulated.time_cost_s;
    evaluation.total_time_s = simulated.total_time_s;
    ++result.queries;
    tell(proposal, evaluation);

    // The incumbent: best at full search fidelity; before any such evaluation, best at any fidelity.
    const bool full = hp == search_hp && evaluation.epoch == last_epoch;
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

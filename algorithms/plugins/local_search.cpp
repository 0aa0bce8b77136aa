// Example plugin: first-improvement-free local search (hill climbing with random restarts).
//
// From a random architecture, evaluate all its not-yet-seen neighbours (archs one decision away) in
// random order; move to the best of them if it beats the current one, otherwise restart from a new
// random architecture (a local optimum was reached). Works on every space through the SearchSpace
// interface. Build: CMake target nas_example_local_search -> build/lib/libnas_local_search.so;
// use: nas search --plugin build/lib/libnas_local_search.so --algo local-search ...
#include <algorithm>
#include <unordered_set>
#include <vector>

#include "nas/algorithms/plugin.h"

namespace {

using nas::algorithms::ArchId;
using nas::algorithms::ConfigBinder;
using nas::algorithms::Evaluation;
using nas::algorithms::QuerySearcher;
using nas::algorithms::QueryTask;

class LocalSearch final : public QuerySearcher {
 public:
  struct Config {
    bool skip_seen = true;
  };
  static void describe(ConfigBinder<Config>& b) {
    b.field("skip_seen", &Config::skip_seen, "Do not re-evaluate archs already evaluated in this run");
  }
  explicit LocalSearch(Config config) : config_(config) {}

 protected:
  void start(const QueryTask& task, nas::Rng&, std::vector<std::string>&) override {
    space_ = task.space;
    seen_.clear();
    queue_.clear();
    has_current_ = false;
  }

  Proposal ask(nas::Rng& rng) override {
    if (!has_current_) return {space_->sample(rng), -1};
    if (queue_.empty()) fill_neighbourhood(rng);
    const ArchId next = queue_.back();
    queue_.pop_back();
    return {next, -1};
  }

  void tell(const Proposal& proposal, const Evaluation& evaluation) override {
    seen_.insert(proposal.arch);
    if (!has_current_) {
      current_ = {proposal.arch, evaluation.valid_accuracy};
      best_neighbour_ = {proposal.arch, -1.0};
      has_current_ = true;
      return;
    }
    if (evaluation.valid_accuracy > best_neighbour_.accuracy) best_neighbour_ = {proposal.arch, evaluation.valid_accuracy};
    if (!queue_.empty()) return;
    // The neighbourhood is exhausted: climb, or restart from a random arch at a local optimum.
    if (best_neighbour_.accuracy > current_.accuracy) {
      current_ = best_neighbour_;
      best_neighbour_ = {current_.arch, -1.0};
    } else {
      has_current_ = false;
    }
  }

 private:
  struct Scored {
    ArchId arch = 0;
    double accuracy = 0;
  };

  void fill_neighbourhood(nas::Rng& rng) {
    for (ArchId n : space_->neighbours(current_.arch)) {
      if (!config_.skip_seen || seen_.count(n) == 0) queue_.push_back(n);
    }
    if (queue_.empty()) queue_.push_back(space_->sample(rng));  // everything around was seen
    for (std::size_t i = queue_.size(); i > 1; --i) std::swap(queue_[i - 1], queue_[rng.uniform_int(i)]);
  }

  Config config_;
  const nas::bench::SearchSpace* space_ = nullptr;
  std::unordered_set<ArchId> seen_;
  std::vector<ArchId> queue_;
  Scored current_, best_neighbour_;
  bool has_current_ = false;
};

void register_local_search(nas::algorithms::SearcherRegistry& registry) {
  registry.add(nas::algorithms::make_searcher_entry<LocalSearch>(
      "local-search", "Hill climbing over one-decision neighbourhoods with random restarts (example plugin)"));
}

}  // namespace

NAS_PLUGIN(register_local_search)

// The three simple query-based searchers of NATS-Bench (reference §5.2): random search, regularized
// evolution (REA) and REINFORCE. Each is a QuerySearcher (ask/tell); the base class spends the budget.
#pragma once

#include <deque>
#include <vector>

#include "nas/algorithms/config.h"
#include "nas/algorithms/searcher.h"

namespace nas::algorithms {

/// Uniform samples until the budget is spent; the best by validation accuracy wins.
class RandomSearch final : public QuerySearcher {
 public:
  struct Config {};
  static void describe(ConfigBinder<Config>&) {}
  explicit RandomSearch(Config) {}

 protected:
  void start(const QueryTask& task, Rng&, std::vector<std::string>&) override { space_ = task.space; }
  Proposal ask(Rng& rng) override { return {space_->sample(rng), -1}; }
  void tell(const Proposal&, const Evaluation&) override {}

 private:
  const bench::SearchSpace* space_ = nullptr;
};

/// Regularized (aging) evolution, Real et al. 2019: a population of `population` random archs; then
/// repeatedly a tournament of `sample_size` members drawn with replacement, a one-step mutation of
/// its best, the child appended and the oldest member removed.
class RegularizedEvolution final : public QuerySearcher {
 public:
  struct Config {
    int population = 10;
    int sample_size = 3;
  };
  static void describe(ConfigBinder<Config>& b);
  explicit RegularizedEvolution(Config config);

 protected:
  void start(const QueryTask& task, Rng& rng, std::vector<std::string>& notes) override;
  Proposal ask(Rng& rng) override;
  void tell(const Proposal& proposal, const Evaluation& evaluation) override;

 private:
  struct Member {
    ArchId arch;
    double accuracy;
  };
  Config config_;
  const bench::SearchSpace* space_ = nullptr;
  std::deque<Member> population_;
  int evaluated_ = 0;
};

/// REINFORCE (Williams 1992) with one softmax policy per decision (tss: 6 edges x 5 ops; sss:
/// 5 layers x 8 widths), logits initialised 1e-3 * N(0, 1); reward = validation accuracy in percent;
/// baseline = bias-corrected exponential moving average, updated with the reward before the
/// advantage is formed; loss = -sum(log p) * (reward - baseline); one Adam step per sample. The
/// result is the best architecture seen (not the policy's argmax), as in NATS-Bench. On nb101
/// (21 edge bits + 5 ops), a combination that is no valid cell is drawn again from the policy.
class Reinforce final : public QuerySearcher {
 public:
  struct Config {
    double learning_rate = 0.01;
    double ema_momentum = 0.9;
  };
  static void describe(ConfigBinder<Config>& b);
  explicit Reinforce(Config config);

  /// The policy's probabilities for one decision (exposed for tests and reports).
  std::vector<double> probabilities(int decision) const;

 protected:
  void start(const QueryTask& task, Rng& rng, std::vector<std::string>& notes) override;
  Proposal ask(Rng& rng) override;
  void tell(const Proposal& proposal, const Evaluation& evaluation) override;

 private:
  /// Draws after which ask() gives up: far more than a policy close to uniform needs (73% of
  /// uniformly drawn nb101 combinations are cells), so reaching it means the policy has collapsed
  /// onto combinations that are no arch.
  static constexpr int kMaxPolicyDraws = 100000;
  /// One choice per decision from the policy, into last_choices_.
  void draw_choices(Rng& rng);

  Config config_;
  const bench::SearchSpace* space_ = nullptr;
  std::vector<std::vector<double>> logits_, adam_m_, adam_v_;
  std::vector<int> last_choices_;
  double ema_numerator_ = 0, ema_denominator_ = 0;
  long adam_steps_ = 0;
};

}  // namespace nas::algorithms

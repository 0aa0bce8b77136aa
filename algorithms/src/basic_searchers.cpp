// Random search, REA and REINFORCE.
#include "nas/algorithms/basic_searchers.h"

#include <cmath>

#include "nas/benchmark_api/error.h"

namespace nas::algorithms {

// ---- REA ----------------------------------------------------------------------------------------------

void RegularizedEvolution::describe(ConfigBinder<Config>& b) {
  b.field("population", &Config::population, "Population size; also the number of initial random archs");
  b.field("sample_size", &Config::sample_size, "Tournament size (members drawn with replacement)");
}

RegularizedEvolution::RegularizedEvolution(Config config) : config_(config) {
  if (config_.population < 1) throw Error("searcher rea: population must be at least 1");
  if (config_.sample_size < 1) throw Error("searcher rea: sample_size must be at least 1");
}

void RegularizedEvolution::start(const QueryTask& task, Rng&, std::vector<std::string>&) {
  space_ = task.space;
  population_.clear();
  evaluated_ = 0;
}

QuerySearcher::Proposal RegularizedEvolution::ask(Rng& rng) {
  if (evaluated_ < config_.population) return {space_->sample(rng), -1};
  const Member* parent = nullptr;
  for (int k = 0; k < config_.sample_size; ++k) {
    const Member& candidate = population_[rng.uniform_int(population_.size())];
    if (parent == nullptr || candidate.accuracy > parent->accuracy) parent = &candidate;  // first best wins ties
  }
  return {space_->mutate(parent->arch, rng), -1};
}

void RegularizedEvolution::tell(const Proposal& proposal, const Evaluation& evaluation) {
  population_.push_back({proposal.arch, evaluation.valid_accuracy});
  if (static_cast<int>(population_.size()) > config_.population) population_.pop_front();  // aging
  ++evaluated_;
}

// ---- REINFORCE ----------------------------------------------------------------------------------------

void Reinforce::describe(ConfigBinder<Config>& b) {
  b.field("learning_rate", &Config::learning_rate, "Adam learning rate of the policy logits");
  b.field("ema_momentum", &Config::ema_momentum, "Momentum of the reward baseline (bias-corrected EMA)");
}

Reinforce::Reinforce(Config config) : config_(config) {
  if (!(config_.learning_rate > 0)) throw Error("searcher reinforce: learning_rate must be positive");
  if (!(config_.ema_momentum >= 0 && config_.ema_momentum < 1)) {
    throw Error("searcher reinforce: ema_momentum must be in [0, 1)");
  }
}

void Reinforce::start(const QueryTask& task, Rng& rng, std::vector<std::string>&) {
  space_ = task.space;
  const int decisions = space_->num_decisions();
  logits_.assign(static_cast<std::size_t>(decisions), {});
  for (int d = 0; d < decisions; ++d) {
    auto& row = logits_[static_cast<std::size_t>(d)];
    row.resize(static_cast<std::size_t>(space_->num_choices(d)));
    for (double& logit : row) logit = 1e-3 * rng.normal();
  }
  adam_m_.assign(logits_.size(), {});
  adam_v_.assign(logits_.size(), {});
  for (std::size_t d = 0; d < logits_.size(); ++d) {
    adam_m_[d].assign(logits_[d].size(), 0.0);
    adam_v_[d].assign(logits_[d].size(), 0.0);
  }
  ema_numerator_ = ema_denominator_ = 0;
  adam_steps_ = 0;
}

std::vector<double> Reinforce::probabilities(int decision) const {
  const auto& row = logits_.at(static_cast<std::size_t>(decision));
  double max_logit = row[0];
  for (double l : row) max_logit = std::max(max_logit, l);
  std::vector<double> p(row.size());
  double sum = 0;
  for (std::size_t c = 0; c < row.size(); ++c) sum += p[c] = std::exp(row[c] - max_logit);
  for (double& x : p) x /= sum;
  return p;
}

void Reinforce::draw_choices(Rng& rng) {
  last_choices_.assign(logits_.size(), 0);
  for (std::size_t d = 0; d < logits_.size(); ++d) {
    const std::vector<double> p = probabilities(static_cast<int>(d));
    double u = rng.uniform01();
    int choice = static_cast<int>(p.size()) - 1;
    for (std::size_t c = 0; c < p.size(); ++c) {
      if (u < p[c]) {
        choice = static_cast<int>(c);
        break;
      }
      u -= p[c];
    }
    last_choices_[d] = choice;
  }
}

QuerySearcher::Proposal Reinforce::ask(Rng& rng) {
  // Where not every combination of choices is an arch (nb101), the policy is drawn from again until
  // one is: the update then follows the policy restricted to the archs, and no evaluation is spent
  // on a combination the benchmark cannot answer.
  for (int draw = 0; draw < kMaxPolicyDraws; ++draw) {
    draw_choices(rng);
    if (const std::optional<ArchId> arch = space_->try_from_decisions(last_choices_)) return {*arch, -1};
  }
  throw Error("searcher reinforce: the policy drew " + std::to_string(kMaxPolicyDraws) + " combinations in a row that are no " +
              std::string(space_->name()) + " arch");
}

void Reinforce::tell(const Proposal&, const Evaluation& evaluation) {
  const double reward = evaluation.valid_accuracy;
  ema_numerator_ = config_.ema_momentum * ema_numerator_ + (1 - config_.ema_momentum) * reward;
  ema_denominator_ = config_.ema_momentum * ema_denominator_ + (1 - config_.ema_momentum);
  const double advantage = reward - ema_numerator_ / ema_denominator_;

  // d(-log p(a) * A)/d logit_c = -A * (1[c == a] - p_c); then Adam (PyTorch defaults: betas 0.9/0.999,
  // eps 1e-8, no weight decay).
  constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;
  ++adam_steps_;
  const double correction1 = 1 - std::pow(kBeta1, static_cast<double>(adam_steps_));
  const double correction2 = 1 - std::pow(kBeta2, static_cast<double>(adam_steps_));
  for (std::size_t d = 0; d < logits_.size(); ++d) {
    const std::vector<double> p = probabilities(static_cast<int>(d));
    for (std::size_t c = 0; c < p.size(); ++c) {
      const double grad = -advantage * ((static_cast<int>(c) == last_choices_[d] ? 1.0 : 0.0) - p[c]);
      double& m = adam_m_[d][c];
      double& v = adam_v_[d][c];
      m = kBeta1 * m + (1 - kBeta1) * grad;
      v = kBeta2 * v + (1 - kBeta2) * grad * grad;
      logits_[d][c] -= config_.learning_rate * (m / correction1) / (std::sqrt(v / correction2) + kEps);
    }
  }
}

}  // namespace nas::algorithms

// The six NATS-Bench weight-sharing searchers.
#include "nas/algorithms/nats_weight_sharing.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/topology_space.h"

namespace nas::algorithms {
namespace {

using supernet::SupernetMode;

torch::Tensor flat(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> views;
  for (const auto& t : tensors) views.push_back(t.reshape({-1}));
  return torch::cat(views);
}

/// Writes a flat vector back into tensors of the given shapes (in place, no autograd).
void unflatten_into(const torch::Tensor& flat_values, std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  std::int64_t offset = 0;
  for (auto& t : tensors) {
    const std::int64_t n = t.numel();
    t.copy_(flat_values.slice(0, offset, offset + n).view_as(t));
    offset += n;
  }
}

/// A uniformly random cell (SETN's dync_genotype(True)): an independent uniform op per edge.
bench::TssArch uniform_cell(torch::Generator& generator) {
  const torch::Tensor ops = torch::randint(bench::kTssNumOps, {bench::kTssNumEdges}, generator, torch::kLong);
  bench::TssArch arch;
  for (int e = 0; e < bench::kTssNumEdges; ++e) arch.ops[e] = static_cast<std::uint8_t>(ops[e].item<std::int64_t>());
  return arch;
}

}  // namespace

// ---- SupernetSearcher ---------------------------------------------------------------------------------

void SupernetSearcher::build(const Context& ctx) {
  device_ = ctx.device;
  const WeightSharingSettings& s = settings();
  torch::Generator generator = at::detail::createCPUGenerator(ctx.seed);
  net_ = supernet::TopologySupernet(supernet::TopologySupernetOptions()
                                        .channels(topology_.channels)
                                        .cells_per_stage(topology_.cells_per_stage)
                                        .num_classes(ctx.num_classes)
                                        .in_channels(ctx.in_channels)
                                        .affine(false)
                                        .track_running_stats(s.track_running_stats),
                                    generator);
  net_->to(device_);
  w_optimizer_ = make_weight_optimizer(net_->weight_parameters(), s);
  a_optimizer_ = make_arch_optimizer(net_->arch_parameters(), s);
}

void SupernetSearcher::begin_epoch(int epoch, int epochs, torch::Generator& generator) {
  set_learning_rate(*w_optimizer_, cosine_learning_rate(epoch, epochs, settings().w_lr, settings().w_lr_min));
  net_->set_generator(generator);
}

void SupernetSearcher::save(torch::serialize::OutputArchive& archive) const {
  save_supernet_state(archive, *net_, net_->weight_parameters(), *w_optimizer_, *a_optimizer_);
}

void SupernetSearcher::load(torch::serialize::InputArchive& archive) {
  load_supernet_state(archive, *net_, net_->weight_parameters(), *w_optimizer_, *a_optimizer_);
}

std::vector<std::vector<double>> SupernetSearcher::arch_probabilities() const {
  std::vector<std::vector<double>> out;
  for (int e = 0; e < bench::kTssNumEdges; ++e) out.push_back(net_->edge_probabilities(e));
  return out;
}

void SupernetSearcher::weight_step(const torch::Tensor& images, const torch::Tensor& labels, StepStats& stats) {
  const Activity activity(*this, "the weight step");
  const supernet::StepResult step = supernet_weight_step(net_, *w_optimizer_, settings().w_grad_clip, images, labels);
  stats.train_loss = step.loss;
  stats.train_accuracy = step.accuracy;
}

void SupernetSearcher::arch_step(const torch::Tensor& images, const torch::Tensor& labels, StepStats& stats) {
  const Activity activity(*this, "the architecture step");
  const supernet::StepResult step = supernet_arch_step(net_, *a_optimizer_, images, labels);
  stats.arch_loss = step.loss;
  stats.arch_accuracy = step.accuracy;
}

double SupernetSearcher::evaluate_arch(const bench::TssArch& arch, const supernet::EvalBatchStream& valid,
                                       std::int64_t first, std::int64_t count) {
  net_->eval();
  net_->set_mode(SupernetMode::Dynamic);
  net_->set_dynamic_arch(arch);
  return valid_top1([this](const torch::Tensor& images) { return net_->forward(images); }, valid, first, count);
}

int SupernetSearcher::scored_candidates(int candidates, int max_valid_batches) {
  return max_valid_batches > 0 ? std::min(candidates, max_valid_batches) : candidates;
}

bench::TssArch SupernetSearcher::best_on_one_batch_each(const std::vector<bench::TssArch>& candidates,
                                                        const supernet::EvalBatchStream& valid) {
  bench::TssArch best = candidates.front();
  double best_accuracy = -1;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const double accuracy = evaluate_arch(candidates[i], valid, static_cast<std::int64_t>(i), 1);
    if (accuracy > best_accuracy) {  // first best wins ties, like argmax
      best_accuracy = accuracy;
      best = candidates[i];
    }
  }
  return best;
}

ArchId SupernetSearcher::derive(const supernet::EvalBatchStream& valid, int max_batches, bool, torch::Generator&,
                                double* valid_accuracy) {
  return report(net_->derive_arch(), valid, max_batches, valid_accuracy);
}

ArchId SupernetSearcher::report(const bench::TssArch& arch, const supernet::EvalBatchStream& valid, int max_batches,
                                double* valid_accuracy) {
  *valid_accuracy = evaluate_arch(arch, valid, 0, max_batches);
  return bench::tss_index_of(arch);
}

// ---- DARTS-V1 -----------------------------------------------------------------------------------------

StepStats DartsV1::train_step(const supernet::SearchBatch& batch, torch::Generator&) {
  StepStats stats;
  net_->set_mode(SupernetMode::Joint);
  weight_step(batch.train_images, batch.train_labels, stats);
  arch_step(batch.arch_images, batch.arch_labels, stats);
  return stats;
}


// ---- DARTS-V2 -----------------------------------------------------------------------------------------

torch::Tensor darts_unrolled_arch_gradient(supernet::TopologySupernet& net_, torch::optim::SGD& w_optimizer,
                                           const torch::Tensor& train_images, const torch::Tensor& train_labels,
                                           const torch::Tensor& arch_images, const torch::Tensor& arch_labels,
                                           double hessian_step) {
  std::vector<torch::Tensor> weights = net_->weight_parameters();
  const torch::Tensor alpha = net_->alpha();
  const auto& group = w_optimizer.param_groups().front();
  const auto& options = static_cast<const torch::optim::SGDOptions&>(group.options());
  const double lr = options.lr(), momentum = options.momentum(), weight_decay = options.weight_decay();
  net_->train();
  net_->set_mode(SupernetMode::Joint);

  // w' = w - lr * (momentum * m + grad_w L_train(w) + wd * w)  (Nesterov ignored, as the reference)
  const torch::Tensor train_loss = torch::nn::functional::cross_entropy(net_->forward(train_images), train_labels);
  const torch::Tensor theta = flat(weights).detach().clone();
  torch::Tensor moment = torch::zeros_like(theta);
  {
    std::vector<torch::Tensor> buffers;
    bool all = true;
    for (const auto& w : weights) {
      const auto it = w_optimizer.state().find(c10::guts::to_string(w.unsafeGetTensorImpl()));
      if (it == w_optimizer.state().end()) {
        all = false;
        break;
      }
      buffers.push_back(static_cast<torch::optim::SGDParamState&>(*it->second).momentum_buffer());
    }
    if (all && !buffers.empty()) moment = flat(buffers).detach() * momentum;
  }
  const torch::Tensor dtheta = flat(torch::autograd::grad({train_loss}, weights)).detach() + weight_decay * theta;
  unflatten_into(theta - lr * (moment + dtheta), weights);

  // At w': the architecture loss, its gradient for alpha, and v = its gradient for the weights.
  const torch::Tensor arch_loss = torch::nn::functional::cross_entropy(net_->forward(arch_images), arch_labels);
  std::vector<torch::Tensor> targets = weights;
  targets.push_back(alpha);
  const std::vector<torch::Tensor> grads = torch::autograd::grad({arch_loss}, targets);
  const torch::Tensor dalpha = grads.back().detach().clone();
  const torch::Tensor v = flat(std::vector<torch::Tensor>(grads.begin(), grads.end() - 1)).detach();

  // Finite-difference Hessian-vector product around w: (grad_alpha L_train(w + R v) - grad_alpha L_train(w - R v)) / 2R.
  const double R = hessian_step / v.norm().item<double>();
  auto alpha_gradient_at = [&](const torch::Tensor& point) {
    unflatten_into(point, weights);
    const torch::Tensor loss = torch::nn::functional::cross_entropy(net_->forward(train_images), train_labels);
    return torch::autograd::grad({loss}, {alpha})[0].detach();
  };
  const torch::Tensor grad_plus = alpha_gradient_at(theta + R * v);
  const torch::Tensor grad_minus = alpha_gradient_at(theta - R * v);
  unflatten_into(theta, weights);  // the weights are back to w
  const torch::Tensor hessian_vector = (grad_plus - grad_minus) / (2 * R);

  alpha.mutable_grad() = dalpha - lr * hessian_vector;
  return arch_loss.detach();
}

StepStats DartsV2::train_step(const supernet::SearchBatch& batch, torch::Generator&) {
  StepStats stats;
  net_->set_mode(SupernetMode::Joint);
  weight_step(batch.train_images, batch.train_labels, stats);
  const Activity activity(*this, "the unrolled architecture step");
  a_optimizer_->zero_grad();
  const torch::Tensor arch_loss = darts_unrolled_arch_gradient(net_, *w_optimizer_, batch.train_images, batch.train_labels,
                                                               batch.arch_images, batch.arch_labels);
  a_optimizer_->step();
  stats.arch_loss = arch_loss.item<double>();
  return stats;
}


// ---- GDAS ---------------------------------------------------------------------------------------------

void Gdas::describe(ConfigBinder<Config>& b) {
  describe_topology_search(b);
  describe_gumbel(b);
}

void Gdas::begin_epoch(int epoch, int epochs, torch::Generator& generator) {
  SupernetSearcher::begin_epoch(epoch, epochs, generator);
  // Linear from tau_max at the first epoch to tau_min at the last.
  const double progress = epochs > 1 ? static_cast<double>(epoch) / (epochs - 1) : 1.0;
  net_->set_tau(tau_max_ - (tau_max_ - tau_min_) * progress);
}

StepStats Gdas::train_step(const supernet::SearchBatch& batch, torch::Generator&) {
  StepStats stats;
  net_->set_mode(SupernetMode::Gdas);
  weight_step(batch.train_images, batch.train_labels, stats);
  arch_step(batch.arch_images, batch.arch_labels, stats);
  return stats;
}


// ---- SETN ---------------------------------------------------------------------------------------------

void Setn::describe(ConfigBinder<Config>& b) {
  describe_topology_search(b);
  b.field("candidates", &Config::candidates,
          "Most probable cells scored at the end (one valid batch each)",
          range::between(1, bench::kTssNumArchs));
}

std::vector<bench::TssArch> Setn::most_probable(int k) const {
  const torch::Tensor log_p = torch::log_softmax(net_->alpha().detach().to(torch::kCPU).to(torch::kDouble), -1);
  const auto lp = log_p.accessor<double, 2>();
  std::vector<std::pair<double, std::uint32_t>> scored(bench::kTssNumArchs);
  for (std::uint32_t code = 0; code < bench::kTssNumArchs; ++code) {
    const bench::TssArch arch = bench::tss_arch_from_canonical_code(code);
    double sum = 0;
    for (int e = 0; e < bench::kTssNumEdges; ++e) sum += lp[e][arch.ops[e]];
    scored[code] = {sum, code};
  }
  // Stable: equal scores keep the enumeration (canonical) order, like the reference's sorted().
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<bench::TssArch> out;
  for (int i = 0; i < k; ++i) out.push_back(bench::tss_arch_from_canonical_code(scored[static_cast<std::size_t>(i)].second));
  return out;
}

StepStats Setn::train_step(const supernet::SearchBatch& batch, torch::Generator& generator) {
  StepStats stats;
  net_->set_mode(SupernetMode::Dynamic);
  net_->set_dynamic_arch(uniform_cell(generator));
  weight_step(batch.train_images, batch.train_labels, stats);
  net_->set_mode(SupernetMode::Joint);
  arch_step(batch.arch_images, batch.arch_labels, stats);
  return stats;
}

ArchId Setn::derive(const supernet::EvalBatchStream& valid, int max_batches, bool, torch::Generator&,
                    double* valid_accuracy) {
  const std::vector<bench::TssArch> candidates = most_probable(scored_candidates(candidates_, max_batches));
  return report(best_on_one_batch_each(candidates, valid), valid, max_batches, valid_accuracy);
}

// ---- RSPS ---------------------------------------------------------------------------------------------

void RandomWeightSharing::describe(ConfigBinder<Config>& b) {
  describe_topology_search(b);
  b.field("candidates", &Config::candidates,
          "Random cells scored at the end (one valid batch each)",
          range::between(1, bench::kTssNumArchs));
}

StepStats RandomWeightSharing::train_step(const supernet::SearchBatch& batch, torch::Generator&) {
  StepStats stats;
  net_->set_mode(SupernetMode::Urs);
  weight_step(batch.train_images, batch.train_labels, stats);
  return stats;
}

ArchId RandomWeightSharing::derive(const supernet::EvalBatchStream& valid, int max_batches, bool,
                                   torch::Generator& generator, double* valid_accuracy) {
  // random.sample(all cells, candidates): distinct cells, uniformly.
  const torch::Tensor order = torch::randperm(bench::kTssNumArchs, generator, torch::kLong);
  std::vector<bench::TssArch> candidates;
  for (int i = 0; i < scored_candidates(candidates_, max_batches); ++i) {
    candidates.push_back(bench::tss_arch_from_canonical_code(static_cast<std::uint32_t>(order[i].item<std::int64_t>())));
  }
  return report(best_on_one_batch_each(candidates, valid), valid, max_batches, valid_accuracy);
}

// ---- ENAS ---------------------------------------------------------------------------------------------

void Enas::describe(ConfigBinder<Config>& b) {
  describe_topology_search(b);
  b.field("candidates", &Config::candidates,
          "Controller samples scored at the end (one valid batch each)",
          range::between(1, bench::kTssNumArchs));
  b.field("controller_lr", &Config::controller_lr, "Controller Adam learning rate", range::positive());
  b.field("controller_eps", &Config::controller_eps, "Controller Adam epsilon", range::positive());
  b.field("controller_steps", &Config::controller_steps, "Controller updates per epoch", range::at_least(1));
  b.field("controller_samples_per_step", &Config::controller_samples_per_step,
          "Samples aggregated per update",
          range::at_least(1));
  b.field("entropy_weight", &Config::entropy_weight, "Entropy bonus in the reward", range::finite());
  b.field("baseline_decay", &Config::baseline_decay, "Decay of the reward baseline between epochs", range::between(0, 1));
  b.field("controller_grad_clip", &Config::controller_grad_clip, "Gradient-norm clip of the controller (0: none)",
          range::non_negative());
}

void Enas::build(const Context& ctx) {
  SupernetSearcher::build(ctx);
  torch::manual_seed(ctx.seed ^ 0x5eedULL);  // the controller's initial weights, deterministically
  controller_ = EnasController();
  controller_->to(device_);
  c_optimizer_ = std::make_unique<torch::optim::Adam>(
      controller_->parameters(),
      torch::optim::AdamOptions(config_.controller_lr).betas({settings().a_beta1, settings().a_beta2}).eps(config_.controller_eps));
  has_baseline_ = false;
}

StepStats Enas::train_step(const supernet::SearchBatch& batch, torch::Generator& generator) {
  StepStats stats;
  bench::TssArch arch;
  {
    torch::NoGradGuard no_grad;
    controller_->eval();
    arch = controller_->sample(generator).arch;
  }
  net_->set_mode(SupernetMode::Dynamic);
  net_->set_dynamic_arch(arch);
  weight_step(batch.train_images, batch.train_labels, stats);
  return stats;
}

void Enas::train_controller(const supernet::EvalBatchStream& valid, int max_samples, torch::Generator& generator) {
  const Activity activity(*this, "the controller training");
  controller_->train();
  net_->eval();
  c_optimizer_->zero_grad();
  const std::int64_t all = static_cast<std::int64_t>(config_.controller_steps) * config_.controller_samples_per_step;
  const int total = static_cast<int>(max_samples > 0 ? std::min<std::int64_t>(all, max_samples) : all);
  double baseline_sum = 0;
  for (int step = 0; step < total; ++step) {
    ControllerSample sample = controller_->sample(generator);
    double top1 = 0;
    {
      torch::NoGradGuard no_grad;
      net_->set_mode(SupernetMode::Dynamic);
      net_->set_dynamic_arch(sample.arch);
      const auto [images, labels] = valid.batch(step);
      top1 = top1_accuracy(net_->forward(images), labels) / 100.0;
    }
    // Reference semantics: the baseline follows the previous epoch's mean baseline, frozen within
    // the epoch; in the first epoch it is the sample's own accuracy.
    const torch::Tensor reward = top1 + config_.entropy_weight * sample.entropy;
    const torch::Tensor baseline = has_baseline_ ? baseline_ - (1 - config_.baseline_decay) * (baseline_ - reward)
                                                 : torch::tensor(top1, reward.options());
    const torch::Tensor loss = -sample.log_prob * (reward - baseline) / config_.controller_samples_per_step;
    loss.backward();
    baseline_sum += baseline.item<double>();
    if ((step + 1) % config_.controller_samples_per_step == 0 || step + 1 == total) {
      if (config_.controller_grad_clip > 0) {
        torch::nn::utils::clip_grad_norm_(controller_->parameters(), config_.controller_grad_clip);
      }
      c_optimizer_->step();
      c_optimizer_->zero_grad();
    }
  }
  baseline_ = baseline_sum / total;
  has_baseline_ = true;
}

ArchId Enas::derive(const supernet::EvalBatchStream& valid, int max_batches, bool final, torch::Generator& generator,
                    double* valid_accuracy) {
  if (!final) train_controller(valid, max_batches, generator);
  std::vector<bench::TssArch> candidates;
  {
    torch::NoGradGuard no_grad;
    controller_->eval();
    for (int i = 0; i < scored_candidates(config_.candidates, max_batches); ++i) {
      candidates.push_back(controller_->sample(generator).arch);
    }
  }
  return report(best_on_one_batch_each(candidates, valid), valid, max_batches, valid_accuracy);
}

void Enas::save(torch::serialize::OutputArchive& archive) const {
  SupernetSearcher::save(archive);
  torch::serialize::OutputArchive controller, optimizer;
  controller_->save(controller);
  c_optimizer_->save(optimizer);
  archive.write("controller", controller);
  archive.write("c_optimizer", optimizer);
  archive.write("baseline", torch::tensor({baseline_, has_baseline_ ? 1.0 : 0.0}, torch::kDouble));
}

void Enas::load(torch::serialize::InputArchive& archive) {
  SupernetSearcher::load(archive);
  torch::serialize::InputArchive controller, optimizer;
  archive.read("controller", controller);
  archive.read("c_optimizer", optimizer);
  controller_->load(controller);
  c_optimizer_->load(optimizer);
  torch::Tensor baseline;
  archive.read("baseline", baseline);
  baseline_ = baseline[0].item<double>();
  has_baseline_ = baseline[1].item<double>() > 0.5;
}

}  // namespace nas::algorithms

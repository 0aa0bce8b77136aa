// The three NATS-Bench weight-sharing searchers of the size space.
#include "nas/algorithms/size_weight_sharing.h"

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/size_space.h"

namespace nas::algorithms {
namespace {

using supernet::ChannelSearchMode;

}  // namespace

// ---- ChannelSearcher ----------------------------------------------------------------------------------

ChannelSearcher::ChannelSearcher(const ChannelSearchSettings& settings, supernet::ChannelSearchMode mode)
    : WeightSharingSearcher(settings), channel_settings_(settings), search_mode_(mode) {}

void ChannelSearcher::build(const Context& ctx) {
  device_ = ctx.device;
  const WeightSharingSettings& s = settings();
  torch::Generator generator = at::detail::createCPUGenerator(ctx.seed);
  net_ = supernet::SizeSupernet(supernet::SizeSupernetOptions()
                                    .num_classes(ctx.num_classes)
                                    .in_channels(ctx.in_channels)
                                    .affine(false)
                                    .track_running_stats(s.track_running_stats),
                                generator);
  net_->to(device_);
  w_optimizer_ = make_weight_optimizer(net_->weight_parameters(), s);
  a_optimizer_ = make_arch_optimizer(net_->arch_parameters(), s);
}

void ChannelSearcher::begin_epoch(int epoch, int epochs, torch::Generator& generator) {
  set_learning_rate(*w_optimizer_, cosine_learning_rate(epoch, epochs, settings().w_lr, settings().w_lr_min));
  net_->set_generator(generator);
  const double progress = static_cast<double>(epoch) / epochs;
  const double ratio = channel_settings_.warmup_ratio;
  controller_enabled_ = !(ratio > 0 && progress < ratio);
  if (controller_enabled_) {
    net_->set_mode(search_mode_);
  } else {
    net_->set_mode(ChannelSearchMode::Warmup);
    net_->set_warmup_probability(1.0 - progress / ratio);
  }
  if (uses_tau()) {
    // Linear from tau_max at the first epoch to tau_min at the last (also in warm-up epochs).
    const double fraction = epochs > 1 ? static_cast<double>(epoch) / (epochs - 1) : 1.0;
    net_->set_tau(gumbel_.tau_max - (gumbel_.tau_max - gumbel_.tau_min) * fraction);
  }
}

StepStats ChannelSearcher::train_step(const supernet::SearchBatch& batch, torch::Generator&) {
  StepStats stats;
  {
    const Activity activity(*this, "the weight step");
    const supernet::StepResult step =
        supernet_weight_step(net_, *w_optimizer_, settings().w_grad_clip, batch.train_images, batch.train_labels);
    stats.train_loss = step.loss;
    stats.train_accuracy = step.accuracy;
  }
  const Activity activity(*this, "the architecture step");
  if (controller_enabled_) {
    const torch::Tensor logits = net_->forward(batch.arch_images);
    const double top1 = top1_accuracy(logits, batch.arch_labels);
    const torch::Tensor loss = arch_loss(logits, batch.arch_labels, top1);
    supernet_arch_update(loss, net_->alpha(), *a_optimizer_);
    stats.arch_loss = loss.item<double>();
    stats.arch_accuracy = top1;
  } else {
    // Warm-up: the reference still runs the arch batch (BN statistics, TuNAS's baseline) but
    // does not update alpha.
    torch::NoGradGuard no_grad;
    const torch::Tensor logits = net_->forward(batch.arch_images);
    const double top1 = top1_accuracy(logits, batch.arch_labels);
    stats.arch_loss = arch_loss(logits, batch.arch_labels, top1).item<double>();
    stats.arch_accuracy = top1;
  }
  return stats;
}

double ChannelSearcher::evaluate_config(const bench::SssArch& config, const supernet::EvalBatchStream& valid,
                                        std::int64_t count) {
  const ChannelSearchMode mode = net_->mode();
  net_->eval();
  net_->set_mode(ChannelSearchMode::Fixed);
  net_->set_fixed_config(config);
  const double top1 = valid_top1([this](const torch::Tensor& images) { return net_->forward(images); }, valid, 0, count);
  net_->set_mode(mode);
  net_->train();
  return top1;
}

ArchId ChannelSearcher::derive(const supernet::EvalBatchStream& valid, int max_batches, bool, torch::Generator&,
                               double* valid_accuracy) {
  const bench::SssArch config = net_->derive_arch();
  *valid_accuracy = evaluate_config(config, valid, max_batches);
  return bench::sss_index_of(config);
}

void ChannelSearcher::save(torch::serialize::OutputArchive& archive) const {
  save_supernet_state(archive, *net_, net_->weight_parameters(), *w_optimizer_, *a_optimizer_);
}

void ChannelSearcher::load(torch::serialize::InputArchive& archive) {
  load_supernet_state(archive, *net_, net_->weight_parameters(), *w_optimizer_, *a_optimizer_);
}

std::vector<std::vector<double>> ChannelSearcher::arch_probabilities() const {
  std::vector<std::vector<double>> out;
  for (int row = 0; row < bench::kSssNumLayers; ++row) out.push_back(net_->row_probabilities(row));
  return out;
}

// ---- TAS ----------------------------------------------------------------------------------------------

void Tas::describe(ConfigBinder<Config>& b) {
  describe_channel_search(b);
  describe_gumbel(b);
}

Tas::Tas(const Config& config) : ChannelSearcher(config, ChannelSearchMode::Tas) { gumbel_ = config; }

torch::Tensor Tas::arch_loss(const torch::Tensor& logits, const torch::Tensor& labels, double) {
  return torch::nn::functional::cross_entropy(logits, labels);
}

// ---- FBNet-V2 -----------------------------------------------------------------------------------------

void FbnetV2::describe(ConfigBinder<Config>& b) {
  describe_channel_search(b);
  describe_gumbel(b);
}

FbnetV2::FbnetV2(const Config& config) : ChannelSearcher(config, ChannelSearchMode::MaskGumbel) { gumbel_ = config; }

torch::Tensor FbnetV2::arch_loss(const torch::Tensor& logits, const torch::Tensor& labels, double) {
  return torch::nn::functional::cross_entropy(logits, labels);
}

// ---- TuNAS --------------------------------------------------------------------------------------------

void Tunas::describe(ConfigBinder<Config>& b) {
  describe_channel_search(b);
  b.field("baseline_momentum", &Config::baseline_momentum, "Momentum of the reward baseline (bias-corrected EMA)",
          range::below_one());
}

Tunas::Tunas(const Config& config)
    : ChannelSearcher(config, ChannelSearchMode::MaskRl), baseline_(config.baseline_momentum) {}

torch::Tensor Tunas::arch_loss(const torch::Tensor& logits, const torch::Tensor&, double top1) {
  // The baseline takes the new reward first, then the advantage is formed (reference order).
  baseline_.update(top1);
  const double advantage = top1 - baseline_.value();
  const torch::Tensor& log_prob = net_->last_log_prob();
  if (!log_prob.defined()) return torch::zeros({}, logits.options());  // warm-up: nothing was sampled
  return -advantage * log_prob;
}

void Tunas::save(torch::serialize::OutputArchive& archive) const {
  ChannelSearcher::save(archive);
  archive.write("baseline", torch::tensor({baseline_.numerator(), baseline_.denominator()}, torch::kDouble));
}

void Tunas::load(torch::serialize::InputArchive& archive) {
  ChannelSearcher::load(archive);
  torch::Tensor baseline;
  archive.read("baseline", baseline);
  baseline_.restore(baseline[0].item<double>(), baseline[1].item<double>());
}

}  // namespace nas::algorithms

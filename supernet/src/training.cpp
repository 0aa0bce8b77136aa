// The shared training steps, evaluation, TF1's RMSProp and optimizer state by position (training.h).
#include "nas/supernet/training.h"

#include <chrono>
#include <cmath>
#include <exception>

#include "nas/benchmark_api/error.h"

namespace nas::supernet {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

void synchronize(const torch::Tensor& on) {
  if (on.is_cuda()) torch::cuda::synchronize(on.device().index());
}

}  // namespace

double top1_accuracy(const torch::Tensor& logits, const torch::Tensor& labels) {
  const auto correct = logits.argmax(1).eq(labels).sum().item<std::int64_t>();
  return 100.0 * static_cast<double>(correct) / static_cast<double>(labels.size(0));
}

double cosine_learning_rate(double t, double total, double lr, double lr_min) {
  return lr_min + (lr - lr_min) * (1 + std::cos(M_PI * t / total)) / 2;
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

StepResult supervised_step(torch::nn::Module& network, const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                           const std::function<void()>& zero_grad, const std::function<void()>& apply,
                           const std::vector<torch::Tensor>& clipped, double grad_clip, const torch::Tensor& images,
                           const torch::Tensor& labels) {
  network.train();
  zero_grad();
  const torch::Tensor logits = forward(images);
  const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, labels);
  loss.backward();
  if (grad_clip > 0) torch::nn::utils::clip_grad_norm_(clipped, grad_clip);
  apply();
  return {loss.item<double>(), top1_accuracy(logits, labels)};
}

torch::Tensor arch_gradient(const torch::Tensor& loss, const torch::Tensor& alpha) {
  const torch::Tensor grad = torch::autograd::grad({loss}, {alpha}, /*grad_outputs=*/{}, /*retain_graph=*/false,
                                                   /*create_graph=*/false, /*allow_unused=*/true)[0];
  return grad.defined() ? grad : torch::zeros_like(alpha);
}

void supernet_arch_update(const torch::Tensor& loss, const torch::Tensor& alpha, torch::optim::Adam& optimizer) {
  const torch::Tensor grad = arch_gradient(loss, alpha);
  optimizer.zero_grad();
  torch::Tensor parameter = alpha;
  parameter.mutable_grad() = grad;
  optimizer.step();
}

EvalResult evaluate(const std::function<torch::Tensor(const torch::Tensor&)>& forward, const EvalBatchStream& stream,
                    std::int64_t first, std::int64_t count) {
  torch::NoGradGuard no_grad;
  if (count <= 0) count = stream.num_batches();
  EvalResult result;
  double loss_sum = 0, after_first = 0;
  std::int64_t correct = 0;
  const auto started = std::chrono::steady_clock::now();
  auto last = started;
  for (std::int64_t k = first; k < first + count; ++k) {
    const auto [images, labels] = stream.batch(k);
    const torch::Tensor logits = forward(images);
    loss_sum += torch::nn::functional::cross_entropy(logits, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .item<double>();
    correct += logits.argmax(1).eq(labels).sum().item<std::int64_t>();
    result.images += labels.size(0);
    synchronize(logits);
    const auto now = std::chrono::steady_clock::now();
    if (k > first) after_first += std::chrono::duration<double>(now - last).count();
    last = now;
  }
  result.seconds = std::chrono::duration<double>(last - started).count();
  if (result.images > 0) {
    result.loss = loss_sum / static_cast<double>(result.images);
    result.accuracy = 100.0 * static_cast<double>(correct) / static_cast<double>(result.images);
  }
  if (count > 1) result.latency = after_first / static_cast<double>(count - 1);
  return result;
}

// ---- TF1 RMSProp ---------------------------------------------------------------------------------

TfRmsProp::TfRmsProp(std::vector<torch::Tensor> parameters, double decay, double momentum, double epsilon,
                     double weight_decay)
    : parameters_(std::move(parameters)),
      decay_(decay),
      momentum_coefficient_(momentum),
      epsilon_(epsilon),
      weight_decay_(weight_decay) {
  torch::NoGradGuard no_grad;
  for (const auto& p : parameters_) {
    mean_square_.push_back(torch::ones_like(p));
    momentum_.push_back(torch::zeros_like(p));
  }
}

void TfRmsProp::zero_grad() {
  for (auto& p : parameters_) {
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
  }
}

void TfRmsProp::step(double lr) {
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    torch::Tensor& p = parameters_[i];
    if (!p.grad().defined()) continue;
    torch::Tensor g = p.grad();
    if (weight_decay_ != 0) g = g.add(p, weight_decay_);
    mean_square_[i].mul_(decay_).addcmul_(g, g, 1 - decay_);
    momentum_[i].mul_(momentum_coefficient_).addcdiv_(g, mean_square_[i].add(epsilon_).sqrt_(), lr);
    p.sub_(momentum_[i]);
  }
}

void TfRmsProp::save(torch::serialize::OutputArchive& archive) const {
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    archive.write("ms_" + std::to_string(i), mean_square_[i]);
    archive.write("mom_" + std::to_string(i), momentum_[i]);
  }
}

void TfRmsProp::load(torch::serialize::InputArchive& archive) {
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    torch::Tensor ms, mom;
    archive.read("ms_" + std::to_string(i), ms);
    archive.read("mom_" + std::to_string(i), mom);
    if (!ms.sizes().equals(parameters_[i].sizes()) || !mom.sizes().equals(parameters_[i].sizes())) {
      throw Error("checkpoint does not match the network (RMSProp slot " + std::to_string(i) + ")");
    }
    mean_square_[i].copy_(ms);
    momentum_[i].copy_(mom);
  }
}

// ---- State by position ---------------------------------------------------------------------------

void save_sgd_state(torch::serialize::OutputArchive& archive, const std::vector<torch::Tensor>& parameters,
                    const torch::optim::SGD& optimizer) {
  torch::Tensor has_grad = torch::zeros({static_cast<std::int64_t>(parameters.size())}, torch::kBool);
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    has_grad[static_cast<std::int64_t>(i)] = parameters[i].grad().defined();
    const auto it = optimizer.state().find(c10::guts::to_string(parameters[i].unsafeGetTensorImpl()));
    if (it == optimizer.state().end()) continue;
    archive.write("momentum_" + std::to_string(i), static_cast<torch::optim::SGDParamState&>(*it->second).momentum_buffer());
  }
  archive.write("has_grad", has_grad);
}

void load_sgd_state(torch::serialize::InputArchive& archive, const std::vector<torch::Tensor>& parameters,
                    torch::optim::SGD& optimizer) {
  torch::Tensor has_grad;
  archive.read("has_grad", has_grad);
  if (has_grad.numel() != static_cast<std::int64_t>(parameters.size())) throw Error("checkpoint does not match the network");
  optimizer.state().clear();
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    torch::Tensor parameter = parameters[i];
    if (has_grad[static_cast<std::int64_t>(i)].item<bool>()) {
      parameter.mutable_grad() = torch::zeros_like(parameter);
    } else {
      parameter.mutable_grad() = torch::Tensor();
    }
    torch::Tensor buffer;
    if (!archive.try_read("momentum_" + std::to_string(i), buffer)) continue;
    auto state = std::make_unique<torch::optim::SGDParamState>();
    state->momentum_buffer(buffer.to(parameter.device()).contiguous(parameter.suggest_memory_format()));
    optimizer.state()[c10::guts::to_string(parameter.unsafeGetTensorImpl())] = std::move(state);
  }
}

void save_module(torch::serialize::OutputArchive& archive, const std::string& key, const torch::nn::Module& module) {
  torch::serialize::OutputArchive inner;
  module.save(inner);
  archive.write(key, inner);
}

void load_module(torch::serialize::InputArchive& archive, const std::string& key, torch::nn::Module& module) {
  torch::serialize::InputArchive inner;
  archive.read(key, inner);
  std::vector<std::pair<torch::Tensor, torch::MemoryFormat>> layouts;
  for (const auto& p : module.parameters()) layouts.emplace_back(p, p.suggest_memory_format());
  for (const auto& b : module.buffers()) layouts.emplace_back(b, b.suggest_memory_format());
  module.load(inner);
  for (auto& [tensor, format] : layouts) {
    torch::NoGradGuard no_grad;
    if (tensor.suggest_memory_format() != format) tensor.set_data(tensor.contiguous(format));
  }
}

void save_supernet_state(torch::serialize::OutputArchive& archive, const torch::nn::Module& network,
                         const std::vector<torch::Tensor>& weights, const torch::optim::SGD& w_optimizer,
                         const torch::optim::Adam& a_optimizer) {
  torch::serialize::OutputArchive w, a;
  save_module(archive, "network", network);
  save_sgd_state(w, weights, w_optimizer);
  a_optimizer.save(a);  // every architecture parameter has state after the first step
  archive.write("w_optimizer", w);
  archive.write("a_optimizer", a);
}

void load_supernet_state(torch::serialize::InputArchive& archive, torch::nn::Module& network,
                         const std::vector<torch::Tensor>& weights, torch::optim::SGD& w_optimizer,
                         torch::optim::Adam& a_optimizer) {
  torch::serialize::InputArchive w, a;
  load_module(archive, "network", network);
  archive.read("w_optimizer", w);
  archive.read("a_optimizer", a);
  load_sgd_state(w, weights, w_optimizer);
  a_optimizer.load(a);
}

int run_epochs(int first, int epochs, const EpochCheckpoint& checkpoint, ActivityLog& activity, const EpochSteps& steps) {
  int run = 0;
  for (int epoch = first; epoch < epochs; ++epoch) {
    activity.set_epoch(epoch);
    steps.train(epoch);
    {
      const ActivityLog::Scope writing(activity, "writing the checkpoint");
      checkpoint.commit(epoch, steps.save);
    }
    ++run;
    if (!steps.finished(epoch)) break;
  }
  activity.set_epoch(-1);
  return run;
}

// ---- ActivityLog -----------------------------------------------------------------------------------

ActivityLog::Scope::Scope(ActivityLog& log, std::string what)
    : log_(log), previous_(std::move(log.current_)), exceptions_(std::uncaught_exceptions()) {
  log_.current_ = std::move(what);
}

ActivityLog::Scope::~Scope() {
  // Unwinding from an error: keep this activity's name for the message.
  if (std::uncaught_exceptions() == exceptions_) log_.current_ = std::move(previous_);
}

std::string ActivityLog::text() const {
  const std::string what = current_.empty() ? default_ : current_;
  return epoch_ >= 0 ? what + " (epoch " + std::to_string(epoch_) + ")" : what;
}

void ActivityLog::throw_torch_error(const c10::Error& e) const {
  throw Error("LibTorch error during " + text() + ": " + first_line(e.what_without_backtrace()));
}

}  // namespace nas::supernet

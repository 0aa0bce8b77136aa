// The training layer every LibTorch trainer here shares: the weight and architecture steps of a
// supernet search, the step of a final network, evaluation on a named set, learning-rate
// schedules, TF1's RMSProp, and optimizer state saved by parameter position (checkpoints).
// The weight-sharing searchers, `nas train` (trainer.h), tests/bench/bench_supernet and
// tools/cuda_check all call these, so a benchmark times what the searchers run.
//
//   StepResult s = supernet_weight_step(net, sgd, /*grad_clip=*/5, images, labels);  // weights only
//   StepResult a = supernet_arch_step(net, adam, arch_images, arch_labels);          // alpha only
//   EvalResult r = evaluate([&](auto& x) { return net->forward(x); }, stream);       // loss, top-1
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nas/supernet/checkpoint.h"
#include "nas/supernet/data.h"

namespace nas::supernet {

/// Loss (mean cross-entropy) and top-1 accuracy (percent) of one training step's batch.
struct StepResult {
  double loss = 0, accuracy = 0;
};

/// Top-1 accuracy in percent of logits against labels.
double top1_accuracy(const torch::Tensor& logits, const torch::Tensor& labels);

/// Cosine schedule: lr_min + (lr - lr_min) * (1 + cos(pi * t / total)) / 2.
double cosine_learning_rate(double t, double total, double lr, double lr_min);
/// Sets the learning rate of every parameter group of an optimizer.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

/// One step of plain supervised training: train mode, forward, cross-entropy, backward,
/// gradient-norm clip of `clipped` when grad_clip > 0, then `apply()` (the optimizer's step).
/// zero_grad comes first, through `zero_grad`, so that optimizers outside torch::optim fit too.
StepResult supervised_step(torch::nn::Module& network, const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                           const std::function<void()>& zero_grad, const std::function<void()>& apply,
                           const std::vector<torch::Tensor>& clipped, double grad_clip, const torch::Tensor& images,
                           const torch::Tensor& labels);

/// One weight step of a supernet (TopologySupernet or SizeSupernet) in its current mode: the
/// supervised step on its weights with SGD. Alpha takes no part in a weight step, so it is kept out
/// of the graph (no gradient work for it).
template <typename Supernet>
StepResult supernet_weight_step(Supernet& net, torch::optim::SGD& optimizer, double grad_clip, const torch::Tensor& images,
                                const torch::Tensor& labels) {
  net->alpha().set_requires_grad(false);
  const StepResult result = supervised_step(
      *net, [&](const torch::Tensor& x) { return net->forward(x); }, [&] { optimizer.zero_grad(); },
      [&] { optimizer.step(); }, net->weight_parameters(), grad_clip, images, labels);
  net->alpha().set_requires_grad(true);
  return result;
}

/// d loss / d alpha alone: loss.backward() gives alpha the same gradient but also fills every
/// weight gradient, which an architecture step discards; autograd::grad skips the convolutions'
/// weight-gradient work. Frees the graph like backward(). Zeros when alpha took no part.
torch::Tensor arch_gradient(const torch::Tensor& loss, const torch::Tensor& alpha);

/// Adam step on `alpha` from arch_gradient(loss, alpha).
void supernet_arch_update(const torch::Tensor& loss, const torch::Tensor& alpha, torch::optim::Adam& optimizer);

/// The architecture step of the gradient methods (DARTS-V1, GDAS, TAS, FBNet-V2): train mode,
/// forward in the current mode on the arch batch, cross-entropy, supernet_arch_update.
template <typename Supernet>
StepResult supernet_arch_step(Supernet& net, torch::optim::Adam& optimizer, const torch::Tensor& images,
                              const torch::Tensor& labels) {
  net->train();
  const torch::Tensor logits = net->forward(images);
  const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, labels);
  supernet_arch_update(loss, net->alpha(), optimizer);
  return {loss.item<double>(), top1_accuracy(logits, labels)};
}

/// One pass of `forward` over an evaluation stream, without gradient (the caller sets eval/train
/// state): sample-weighted mean cross-entropy and top-1 over the images read.
struct EvalResult {
  double loss = 0, accuracy = 0;
  std::int64_t images = 0;
  double seconds = 0;  ///< wall time of the pass (synchronized on CUDA)
  /// Mean wall time per batch of the pass, the first batch left out (NATS-Bench's latency), or 0
  /// with a single batch.
  double latency = 0;
};
/// Batches [first, first + count) of the stream (count 0: every batch).
EvalResult evaluate(const std::function<torch::Tensor(const torch::Tensor&)>& forward, const EvalBatchStream& stream,
                    std::int64_t first = 0, std::int64_t count = 0);

/// TF1's tf.train.RMSPropOptimizer (NAS-Bench-101's optimizer), which torch::optim::RMSprop is not:
/// per parameter, ms = decay * ms + (1 - decay) * g^2 with ms starting at 1 (TF's slot initializer),
/// mom = momentum * mom + lr * g / sqrt(ms + epsilon), w -= mom. So epsilon sits under the square
/// root and the learning rate inside the momentum (LibTorch: eps added to sqrt(ms), lr outside, ms
/// from 0), which matters with NAS-Bench-101's epsilon of 1 and per-step cosine learning rate.
/// `weight_decay` adds weight_decay * w to the gradient, what an L2 term weight_decay * |w|^2 / 2 in
/// the loss (nasbench's tf.nn.l2_loss) contributes.
class TfRmsProp {
 public:
  TfRmsProp(std::vector<torch::Tensor> parameters, double decay, double momentum, double epsilon, double weight_decay);
  void zero_grad();
  /// One update with learning rate `lr`; parameters without a gradient are left alone.
  void step(double lr);
  const std::vector<torch::Tensor>& parameters() const { return parameters_; }
  /// Slot state by parameter position, for checkpoints.
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  std::vector<torch::Tensor> parameters_, mean_square_, momentum_;
  double decay_, momentum_coefficient_, epsilon_, weight_decay_;
};

/// The SGD's momentum buffers by parameter position, and which parameters already carry a gradient
/// tensor. LibTorch's own optimizer serialization mis-assigns state when some parameters have none
/// yet (a search leaves unsampled ops without state; a final network may hold parameters no output
/// depends on). zero_grad() keeps a gradient (as zeros) once a parameter has been used, and SGD
/// keeps applying momentum and weight decay to it in steps that do not use it (PyTorch 1.x
/// semantics, as the references), so the gradient's presence is state too.
void save_sgd_state(torch::serialize::OutputArchive& archive, const std::vector<torch::Tensor>& parameters,
                    const torch::optim::SGD& optimizer);
void load_sgd_state(torch::serialize::InputArchive& archive, const std::vector<torch::Tensor>& parameters,
                    torch::optim::SGD& optimizer);

/// A module's parameters and buffers; loading restores each tensor's memory layout (channels-last
/// stays channels-last), or convolutions take another (numerically different) path after a resume.
void save_module(torch::serialize::OutputArchive& archive, const std::string& key, const torch::nn::Module& module);
void load_module(torch::serialize::InputArchive& archive, const std::string& key, torch::nn::Module& module);

/// A supernet search's training state: the network, the weight SGD (save_sgd_state) and the
/// architecture Adam.
void save_supernet_state(torch::serialize::OutputArchive& archive, const torch::nn::Module& network,
                         const std::vector<torch::Tensor>& weights, const torch::optim::SGD& w_optimizer,
                         const torch::optim::Adam& a_optimizer);
void load_supernet_state(torch::serialize::InputArchive& archive, torch::nn::Module& network,
                         const std::vector<torch::Tensor>& weights, torch::optim::SGD& w_optimizer,
                         torch::optim::Adam& a_optimizer);

/// Names what a training run is doing, for the one-line error a LibTorch failure becomes:
/// "LibTorch error during the weight step (epoch 3): ...". A Scope names the activity while it
/// lives and keeps the name when an exception leaves it, so the error names where it was thrown.
class ActivityLog {
 public:
  class Scope {
   public:
    Scope(ActivityLog& log, std::string what);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    ActivityLog& log_;
    std::string previous_;
    int exceptions_;
  };
  void reset(std::string default_text) {
    default_ = std::move(default_text);
    current_.clear();
    epoch_ = -1;
  }
  void set_epoch(int epoch) { epoch_ = epoch; }
  /// "the weight step (epoch 3)".
  std::string text() const;
  /// Runs `work`, turning a c10::Error that escapes it into nas::Error("LibTorch error during
  /// <text()>: <its first line>"): the user needs the message, not LibTorch's C++ backtrace.
  template <typename Work>
  auto run(Work&& work) -> decltype(work()) {
    try {
      return work();
    } catch (const c10::Error& e) {
      throw_torch_error(e);
    }
  }

 private:
  [[noreturn]] void throw_torch_error(const c10::Error& e) const;
  std::string default_, current_;
  int epoch_ = -1;
};

/// The epoch loop every trainer here runs (weight-sharing searches, nas train): for each epoch from
/// `first` to `epochs` - 1, train(epoch), then the checkpoint (EpochCheckpoint::commit with save,
/// atomic), then finished(epoch), which returns false to stop after that epoch. `activity` names
/// the epoch while it runs and the checkpoint while it is written. Returns the number of epochs run.
struct EpochSteps {
  std::function<void(int)> train;
  std::function<void(torch::serialize::OutputArchive&)> save;
  std::function<bool(int)> finished;
};
int run_epochs(int first, int epochs, const EpochCheckpoint& checkpoint, ActivityLog& activity, const EpochSteps& steps);

}  // namespace nas::supernet

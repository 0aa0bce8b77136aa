// The epoch loop shared by the weight-sharing searchers: data, device, checkpoints, records.
#include "nas/algorithms/weight_sharing.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "nas/algorithms/checkpoint.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"
#include "nas/supernet/device.h"

namespace nas::algorithms {
namespace {

supernet::DataName data_of(bench::Dataset dataset) {
  switch (dataset) {
    case bench::Dataset::Cifar10:
    case bench::Dataset::Cifar10Valid: return supernet::DataName::Cifar10;
    case bench::Dataset::Cifar100: return supernet::DataName::Cifar100;
    case bench::Dataset::ImageNet16_120: return supernet::DataName::ImageNet16_120;
  }
  return supernet::DataName::Cifar10;
}

// Seeds of the per-epoch random streams: a function of (run seed, epoch, purpose) only, so a resumed
// search draws exactly what an uninterrupted one would.
std::uint64_t stream_seed(std::uint64_t run_seed, int epoch, std::uint64_t purpose) {
  std::uint64_t x = run_seed * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(epoch) * 0xbf58476d1ce4e5b9ULL + purpose;
  x ^= x >> 31;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 29;
  return x;
}

constexpr std::uint64_t kDataStream = 1, kMethodStream = 2, kDeriveStream = 3;

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

/// Refuses batches larger than the splits they are drawn from, before any training.
void require_batches_fit(const WeightSharingSettings& s, const supernet::SearchData& data) {
  const auto train = static_cast<std::int64_t>(data.train.size());
  const auto valid = static_cast<std::int64_t>(data.valid.size());
  if (s.batch_size > train) {
    throw Error("weight-sharing settings: batch_size " + std::to_string(s.batch_size) + " is larger than the training split (" +
                std::to_string(train) + " images)");
  }
  if (s.valid_batch_size > valid) {
    throw Error("weight-sharing settings: valid_batch_size " + std::to_string(s.valid_batch_size) +
                " is larger than the valid split (" + std::to_string(valid) + " images)");
  }
}

}  // namespace

double top1_accuracy(const torch::Tensor& logits, const torch::Tensor& labels) {
  const auto correct = logits.argmax(1).eq(labels).sum().item<std::int64_t>();
  return 100.0 * static_cast<double>(correct) / static_cast<double>(labels.size(0));
}

double cosine_learning_rate(int epoch, int epochs, double lr, double lr_min) {
  return lr_min + (lr - lr_min) * (1 + std::cos(M_PI * epoch / epochs)) / 2;
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

std::unique_ptr<torch::optim::SGD> make_weight_optimizer(const std::vector<torch::Tensor>& weights,
                                                         const WeightSharingSettings& s) {
  return std::make_unique<torch::optim::SGD>(
      weights, torch::optim::SGDOptions(s.w_lr).momentum(s.w_momentum).weight_decay(s.w_weight_decay).nesterov(s.w_nesterov));
}

std::unique_ptr<torch::optim::Adam> make_arch_optimizer(const std::vector<torch::Tensor>& arch_parameters,
                                                        const WeightSharingSettings& s) {
  return std::make_unique<torch::optim::Adam>(
      arch_parameters,
      torch::optim::AdamOptions(s.a_lr).betas({s.a_beta1, s.a_beta2}).weight_decay(s.a_weight_decay).eps(s.a_eps));
}

void supernet_arch_update(const torch::Tensor& loss, const torch::Tensor& alpha, torch::optim::Adam& optimizer) {
  const torch::Tensor grad = torch::autograd::grad({loss}, {alpha})[0];
  optimizer.zero_grad();
  torch::Tensor parameter = alpha;
  parameter.mutable_grad() = grad;
  optimizer.step();
}

double valid_top1(const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                  const supernet::EvalBatchStream& valid, std::int64_t first, std::int64_t count) {
  torch::NoGradGuard no_grad;
  if (count <= 0) count = valid.num_batches();
  std::int64_t correct = 0, total = 0;
  for (std::int64_t k = first; k < first + count; ++k) {
    const auto [images, labels] = valid.batch(k);
    correct += forward(images).argmax(1).eq(labels).sum().item<std::int64_t>();
    total += labels.size(0);
  }
  return total > 0 ? 100.0 * static_cast<double>(correct) / static_cast<double>(total) : 0.0;
}

void save_supernet_state(torch::serialize::OutputArchive& archive, const torch::nn::Module& network,
                         const std::vector<torch::Tensor>& weights, const torch::optim::SGD& w_optimizer,
                         const torch::optim::Adam& a_optimizer) {
  torch::serialize::OutputArchive net, w, a;
  network.save(net);
  torch::Tensor has_grad = torch::zeros({static_cast<std::int64_t>(weights.size())}, torch::kBool);
  for (std::size_t i = 0; i < weights.size(); ++i) {
    has_grad[static_cast<std::int64_t>(i)] = weights[i].grad().defined();
    const auto it = w_optimizer.state().find(c10::guts::to_string(weights[i].unsafeGetTensorImpl()));
    if (it == w_optimizer.state().end()) continue;
    w.write("momentum_" + std::to_string(i), static_cast<torch::optim::SGDParamState&>(*it->second).momentum_buffer());
  }
  w.write("has_grad", has_grad);
  a_optimizer.save(a);
  archive.write("network", net);
  archive.write("w_optimizer", w);
  archive.write("a_optimizer", a);
}

void load_supernet_state(torch::serialize::InputArchive& archive, torch::nn::Module& network,
                         const std::vector<torch::Tensor>& weights, torch::optim::SGD& w_optimizer,
                         torch::optim::Adam& a_optimizer) {
  torch::serialize::InputArchive net, w, a;
  archive.read("network", net);
  archive.read("w_optimizer", w);
  archive.read("a_optimizer", a);
  std::vector<std::pair<torch::Tensor, torch::MemoryFormat>> layouts;
  for (const auto& p : network.parameters()) layouts.emplace_back(p, p.suggest_memory_format());
  for (const auto& b : network.buffers()) layouts.emplace_back(b, b.suggest_memory_format());
  network.load(net);
  for (auto& [tensor, format] : layouts) {
    torch::NoGradGuard no_grad;
    if (tensor.suggest_memory_format() != format) tensor.set_data(tensor.contiguous(format));
  }
  torch::Tensor has_grad;
  w.read("has_grad", has_grad);
  if (has_grad.numel() != static_cast<std::int64_t>(weights.size())) throw Error("checkpoint does not match the network");
  w_optimizer.state().clear();
  for (std::size_t i = 0; i < weights.size(); ++i) {
    torch::Tensor weight = weights[i];
    if (has_grad[static_cast<std::int64_t>(i)].item<bool>()) {
      weight.mutable_grad() = torch::zeros_like(weight);
    } else {
      weight.mutable_grad() = torch::Tensor();
    }
    torch::Tensor buffer;
    if (!w.try_read("momentum_" + std::to_string(i), buffer)) continue;
    auto state = std::make_unique<torch::optim::SGDParamState>();
    state->momentum_buffer(buffer.to(weight.device()).contiguous(weight.suggest_memory_format()));
    w_optimizer.state()[c10::guts::to_string(weight.unsafeGetTensorImpl())] = std::move(state);
  }
  a_optimizer.load(a);
}

WeightSharingSearcher::Activity::Activity(const WeightSharingSearcher& searcher, std::string what)
    : searcher_(searcher), previous_(std::move(searcher.activity_)), exceptions_(std::uncaught_exceptions()) {
  searcher_.activity_ = std::move(what);
}

WeightSharingSearcher::Activity::~Activity() {
  // Unwinding from an error: keep this activity's name for the message search() builds.
  if (std::uncaught_exceptions() == exceptions_) searcher_.activity_ = std::move(previous_);
}

std::string WeightSharingSearcher::activity_text() const {
  const std::string what = activity_.empty() ? "the search" : activity_;
  return epoch_ >= 0 ? what + " (epoch " + std::to_string(epoch_) + ")" : what;
}

SearchResult WeightSharingSearcher::search(const TrainingTask& task, Rng& rng, SearchCallbacks& callbacks) {
  activity_.clear();
  epoch_ = -1;
  try {
    return run_search(task, rng, callbacks);
  } catch (const c10::Error& e) {
    // LibTorch's message has a C++ stack trace after its first line: the user needs only that line.
    throw Error("LibTorch error during " + activity_text() + ": " + first_line(e.what_without_backtrace()));
  }
}

SearchResult WeightSharingSearcher::run_search(const TrainingTask& task, Rng& rng, SearchCallbacks& callbacks) {
  if (task.space == nullptr) throw Error("search task without a space");
  if (task.space->space() != searched_space()) {
    const bench::SpaceDefinition& searched = bench::space_definition(searched_space());
    throw Error("this weight-sharing searcher searches the " + std::string(searched.name()) + " space (" +
                std::string(searched.description()) + "), not the " + std::string(task.space->name()) + " space");
  }
  const auto started = std::chrono::steady_clock::now();
  const TrainingEnvironment& env = task.environment;
  if (env.data_root.empty()) throw Error("a weight-sharing search needs image data: give --data DIR or set NAS_DATA");

  Context ctx;
  ctx.task = &task;
  ctx.device = supernet::select_device(env.device);

  // Everything about the checkpoint that can fail is checked before the data is loaded.
  const Checkpointing& checkpoint = task.checkpoint;
  const bool checkpointing = checkpoint.enabled();
  std::optional<torch::serialize::InputArchive> resume;
  if (checkpointing) {
    if (checkpoint.identity.empty()) throw std::invalid_argument("a checkpointed search needs Checkpointing::identity");
    require_writable_location(checkpoint.path, "checkpoint");
    if (std::filesystem::exists(checkpoint.path)) {
      const Activity reading(*this, "reading the checkpoint");
      resume = read_checkpoint(checkpoint.path, checkpoint.identity, ctx.device);
    }
  }

  supernet::set_cpu_threads(env.threads);
  const supernet::SearchData data = [&] {
    const Activity loading(*this, "loading the search data");
    return supernet::load_search_data(data_of(task.dataset), env.data_root);
  }();
  require_batches_fit(settings_, data);
  ctx.data = &data;
  ctx.num_classes = data.train_pool.num_classes;
  ctx.in_channels = static_cast<int>(data.train_pool.images.size(1));
  ctx.seed = rng.next_u64();
  {
    const Activity building(*this, "building the supernet");
    build(ctx);
  }

  SearchResult result;
  result.device = supernet::describe_device(ctx.device);
  int first_epoch = 0;
  if (resume) {
    const Activity restoring(*this, "restoring the checkpoint's state");
    try {
      torch::Tensor epoch;
      resume->read("epoch", epoch);
      first_epoch = static_cast<int>(epoch.item<std::int64_t>());
      load(*resume);
    } catch (const c10::Error& e) {
      throw Error("cannot resume from checkpoint " + checkpoint.path + ": its state does not fit this search (" +
                  first_line(e.what_without_backtrace()) + ")");
    }
    result.notes.push_back("resumed from the checkpoint at the end of epoch " + std::to_string(first_epoch));
  }

  const supernet::EvalBatchStream valid(data.arch_pool(), data.valid, data.normalization, settings_.valid_batch_size,
                                        ctx.device);
  for (int epoch = first_epoch; epoch < settings_.epochs; ++epoch) {
    epoch_ = epoch;
    const auto epoch_started = std::chrono::steady_clock::now();
    torch::Generator generator = at::detail::createCPUGenerator(stream_seed(ctx.seed, epoch, kMethodStream));
    begin_epoch(epoch, settings_.epochs, generator);
    supernet::SearchBatchStream stream(data, settings_.batch_size, ctx.device, stream_seed(ctx.seed, epoch, kDataStream));
    StepStats sum;
    int steps = 0;
    BatchProgress progress;
    progress.epoch = epoch;
    progress.epochs = settings_.epochs;
    progress.batches = static_cast<int>(stream.batches_per_epoch());
    if (settings_.max_batches_per_epoch > 0) progress.batches = std::min(progress.batches, settings_.max_batches_per_epoch);
    while (auto batch = stream.next()) {
      const Activity training(*this, "a training step");
      const StepStats s = train_step(*batch, generator);
      sum.train_loss += s.train_loss;
      sum.train_accuracy += s.train_accuracy;
      sum.arch_loss += s.arch_loss;
      sum.arch_accuracy += s.arch_accuracy;
      ++steps;
      progress.batch = steps;
      progress.train_loss = sum.train_loss / steps;
      progress.train_accuracy = sum.train_accuracy / steps;
      progress.images += batch->train_images.size(0);
      progress.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_started).count();
      callbacks.on_batch(progress);
      if (settings_.max_batches_per_epoch > 0 && steps >= settings_.max_batches_per_epoch) break;
    }
    EpochRecord record;
    record.epoch = epoch;
    if (steps > 0) {
      record.train_loss = sum.train_loss / steps;
      record.train_accuracy = sum.train_accuracy / steps;
      record.arch_loss = sum.arch_loss / steps;
      record.arch_accuracy = sum.arch_accuracy / steps;
    }
    torch::Generator derive_generator = at::detail::createCPUGenerator(stream_seed(ctx.seed, epoch, kDeriveStream));
    {
      const Activity deriving(*this, "the epoch-end evaluation");
      const std::int64_t served_before = valid.batches_served();
      record.derived_arch = derive(valid, settings_.max_valid_batches, false, derive_generator, &record.valid_accuracy);
      record.valid_batches = valid.batches_served() - served_before;
    }
    record.tau = tau();
    record.arch_probabilities = arch_probabilities();

    if (checkpointing) {
      const Activity writing(*this, "writing the checkpoint");
      torch::serialize::OutputArchive archive;
      archive.write("epoch", torch::tensor(static_cast<std::int64_t>(epoch + 1)));
      save(archive);
      write_checkpoint(checkpoint.path, checkpoint.identity, archive);  // atomic: a kill never leaves half a checkpoint
    }
    record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_started).count();
    result.epochs.push_back(record);
    callbacks.on_epoch(record);
    if (callbacks.stop_requested()) break;
  }

  epoch_ = -1;
  torch::Generator final_generator = at::detail::createCPUGenerator(stream_seed(ctx.seed, settings_.epochs, kDeriveStream));
  {
    const Activity deriving(*this, "the final derivation");
    result.arch = derive(valid, settings_.max_valid_batches, true, final_generator, &result.valid_accuracy);
  }
  result.search_wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace nas::algorithms

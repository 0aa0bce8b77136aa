// The epoch loop shared by the weight-sharing searchers: data, device, checkpoints, records.
#include "nas/algorithms/weight_sharing.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <stdexcept>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"
#include "nas/supernet/checkpoint.h"
#include "nas/supernet/device.h"

namespace nas::algorithms {
namespace {

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

double valid_top1(const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                  const supernet::EvalBatchStream& valid, std::int64_t first, std::int64_t count) {
  return supernet::evaluate(forward, valid, first, count).accuracy;
}

SearchResult WeightSharingSearcher::search(const TrainingTask& task, Rng& rng, SearchCallbacks& callbacks) {
  activity_.reset("the search");
  return activity_.run([&] { return run_search(task, rng, callbacks); });
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
  supernet::EpochCheckpoint checkpoint = [&] {
    const Activity reading(*this, "reading the checkpoint");
    return supernet::EpochCheckpoint(task.checkpoint.path, task.checkpoint.identity, ctx.device);
  }();

  supernet::set_cpu_threads(env.threads);
  const supernet::SearchData data = [&] {
    const Activity loading(*this, "loading the search data");
    return supernet::load_search_data(supernet::data_of(task.dataset), env.data_root);
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
  if (checkpoint.resuming()) {
    const Activity restoring(*this, "restoring the checkpoint's state");
    first_epoch = checkpoint.resume([this](torch::serialize::InputArchive& archive) { load(archive); });
    result.notes.push_back("resumed from the checkpoint at the end of epoch " + std::to_string(first_epoch));
  }

  const supernet::EvalBatchStream valid(data.arch_pool(), data.valid, data.normalization, settings_.valid_batch_size,
                                        ctx.device);
  std::chrono::steady_clock::time_point epoch_started;
  EpochRecord record;
  supernet::EpochSteps epoch_steps;
  epoch_steps.train = [&](int epoch) {
    epoch_started = std::chrono::steady_clock::now();
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
    record = EpochRecord();
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
  };
  epoch_steps.save = [this](torch::serialize::OutputArchive& archive) { save(archive); };
  epoch_steps.finished = [&](int) {
    record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_started).count();
    result.epochs.push_back(record);
    callbacks.on_epoch(record);
    return !callbacks.stop_requested();
  };
  supernet::run_epochs(first_epoch, settings_.epochs, checkpoint, activity_, epoch_steps);

  torch::Generator final_generator = at::detail::createCPUGenerator(stream_seed(ctx.seed, settings_.epochs, kDeriveStream));
  {
    const Activity deriving(*this, "the final derivation");
    result.arch = derive(valid, settings_.max_valid_batches, true, final_generator, &result.valid_accuracy);
  }
  result.search_wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace nas::algorithms

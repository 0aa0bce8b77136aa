// Training an architecture with its benchmark's protocol (trainer.h).
#include "nas/supernet/trainer.h"

#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/macro/macro_space.h"
#include "nas/benchmark_api/nb101/nb101_cells.h"
#include "nas/benchmark_api/size_space.h"
#include "nas/benchmark_api/topology_space.h"
#include "nas/supernet/device.h"
#include "nas/supernet/macro_network.h"
#include "nas/supernet/nb101_network.h"
#include "nas/supernet/operations.h"
#include "nas/supernet/size_network.h"
#include "nas/supernet/tiny_network.h"
#include "nas/supernet/training.h"

namespace nas::supernet {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int32_t kNatsFirstSeed = 777;  // NATS-Bench's scripts: seeds 777 888 999
constexpr int kNb101TrainImages = 40000;
constexpr int kNb101Batch = 256;

/// The shortest text that reads back as exactly `value` ("0.1", not "0.10000000000000001").
std::string text_of(double value) {
  for (int precision = 1; precision <= 17; ++precision) {
    std::ostringstream out;
    out.precision(precision);
    out << value;
    if (std::stod(out.str()) == value) return out.str();
  }
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

std::string text_of(const std::vector<float>& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + text_of(static_cast<double>(values[i]));
  return out;
}

const char* optimizer_name(OptimizerKind kind) { return kind == OptimizerKind::Sgd ? "sgd" : "tf-rmsprop"; }

const char* schedule_name(LrSchedule schedule) {
  switch (schedule) {
    case LrSchedule::CosinePerEpoch: return "cosine-per-epoch";
    case LrSchedule::CosinePerEpochStepFirst: return "cosine-step-first";
    case LrSchedule::CosinePerStep: return "cosine-per-step";
  }
  return "";
}

// ---- parsing of --set values ---------------------------------------------------------------------

int int_value(const std::string& key, const std::string& text) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    throw Error("protocol field " + key + ": '" + text + "' is not an integer");
  }
  return static_cast<int>(v);
}

double double_value(const std::string& key, const std::string& text) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !std::isfinite(v)) throw Error("protocol field " + key + ": '" + text + "' is not a number");
  return v;
}

bool bool_value(const std::string& key, const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  throw Error("protocol field " + key + ": '" + text + "' is not true or false");
}

std::vector<float> floats_value(const std::string& key, const std::string& text) {
  std::vector<float> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(static_cast<float>(double_value(key, text.substr(start, end - start))));
    start = end + 1;
  }
  return out;
}

// ---- the network of a space ----------------------------------------------------------------------

struct BuiltNetwork {
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor(const torch::Tensor&)> forward;
};

template <typename Holder>
BuiltNetwork wrap(Holder holder, bool channels_last) {
  auto impl = holder.ptr();
  BuiltNetwork built;
  built.module = impl;
  built.forward = [impl, channels_last](const torch::Tensor& x) {
    return impl->forward(channels_last ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x);
  };
  return built;
}

/// The space's final network for `arch`, its weights drawn from `generator` alone.
BuiltNetwork build_network(bench::Space space, bench::ArchId arch, int num_classes, torch::Generator& generator,
                           const torch::Device& device) {
  const bool channels_last = device.is_cpu();  // faster convolutions on the CPU (README)
  BuiltNetwork built;
  switch (space) {
    case bench::Space::Topology: {
      TinyNetwork net(bench::tss_arch_at(arch), num_classes);
      reinitialize_parameters(*net, generator);
      built = wrap(net, channels_last);
      break;
    }
    case bench::Space::Size: {
      SizeNetwork net(bench::sss_arch_at(arch), num_classes);
      reinitialize_parameters(*net, generator);
      built = wrap(net, channels_last);
      break;
    }
    case bench::Space::Macro: built = wrap(MacroNetwork(bench::macro_arch_at(arch), num_classes, generator), channels_last); break;
    case bench::Space::Nb101:
      built = wrap(Nb101Network(bench::Nb101Cells::get().spec(arch), num_classes, generator), channels_last);
      break;
  }
  built.module->to(device);
  if (channels_last) to_channels_last(*built.module);
  return built;
}

/// Seeds of the per-epoch data streams: a function of (trial seed, epoch) only, so a resumed run
/// draws what an uninterrupted one would.
std::uint64_t epoch_stream_seed(std::int32_t seed, int epoch) {
  std::uint64_t x = static_cast<std::uint64_t>(seed) * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(epoch) * 0xbf58476d1ce4e5b9ULL + 1;
  x ^= x >> 31;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 29;
  return x;
}

/// The optimizer of a protocol over a network's parameters, behind one face.
class ProtocolOptimizer {
 public:
  ProtocolOptimizer(const TrainingProtocol& p, std::vector<torch::Tensor> parameters) : parameters_(std::move(parameters)) {
    if (p.optimizer == OptimizerKind::Sgd) {
      sgd_ = std::make_unique<torch::optim::SGD>(
          parameters_, torch::optim::SGDOptions(p.lr).momentum(p.momentum).nesterov(p.nesterov).weight_decay(p.weight_decay));
    } else {
      rms_ = std::make_unique<TfRmsProp>(parameters_, p.rmsprop_decay, p.momentum, p.rmsprop_epsilon, p.weight_decay);
    }
  }
  void zero_grad() {
    if (sgd_) {
      sgd_->zero_grad();
    } else {
      rms_->zero_grad();
    }
  }
  void step(double lr) {
    if (sgd_) {
      set_learning_rate(*sgd_, lr);
      sgd_->step();
    } else {
      rms_->step(lr);
    }
  }
  void save(torch::serialize::OutputArchive& archive) const {
    if (sgd_) {
      save_sgd_state(archive, parameters_, *sgd_);
    } else {
      rms_->save(archive);
    }
  }
  void load(torch::serialize::InputArchive& archive) {
    if (sgd_) {
      load_sgd_state(archive, parameters_, *sgd_);
    } else {
      rms_->load(archive);
    }
  }
  const std::vector<torch::Tensor>& parameters() const { return parameters_; }

 private:
  std::vector<torch::Tensor> parameters_;
  std::unique_ptr<torch::optim::SGD> sgd_;
  std::unique_ptr<TfRmsProp> rms_;
};

bool evaluates_at(const TrainingProtocol& p, int epoch) {
  if (p.evaluate_every_epoch) return true;
  return epoch == p.epochs - 1 || (p.epochs >= 2 && epoch == p.epochs / 2 - 1);
}

bench::TrialSeries nan_series(int hp) {
  const auto n = static_cast<std::size_t>(hp);
  return {std::vector<double>(n, kNaN), std::vector<double>(n, kNaN), std::vector<double>(n, kNaN)};
}

std::string protocol_json(const TrainingProtocol& p) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : protocol_fields(p)) out[key] = value;
  return out.dump();
}

}  // namespace

// ---- protocols -----------------------------------------------------------------------------------

TrainingProtocol benchmark_protocol(bench::Space space, int hp) {
  const bench::SpaceDefinition& definition = bench::space_definition(space);
  std::vector<int> schedules = space == bench::Space::Macro ? std::vector<int>{bench::kMacroTrainingEpochs} : definition.fidelities();
  if (std::find(schedules.begin(), schedules.end(), hp) == schedules.end()) {
    std::string list;
    for (int h : schedules) list += (list.empty() ? "" : ", ") + std::to_string(h);
    throw Error("hp " + std::to_string(hp) + ": the " + std::string(definition.name()) + " benchmark trained its records for " +
                list + " epochs");
  }
  TrainingProtocol p;
  p.epochs = hp;
  switch (space) {
    case bench::Space::Topology:
    case bench::Space::Size: p.name = "nats-bench"; break;
    case bench::Space::Macro:
      p.name = "nas-bench-macro";
      p.nesterov = false;
      p.schedule = LrSchedule::CosinePerEpochStepFirst;
      p.mean = {0.49139968F, 0.48215827F, 0.44653124F};
      p.std = {0.24703233F, 0.24348505F, 0.26158768F};
      break;
    case bench::Space::Nb101:
      p.name = "nas-bench-101";
      p.optimizer = OptimizerKind::TfRmsProp;
      p.lr = 0.2;
      p.nesterov = false;
      p.weight_decay = 1e-4;
      p.schedule = LrSchedule::CosinePerStep;
      p.drop_last = true;
      p.evaluate_every_epoch = false;
      p.mean = {125.31F / 255, 122.95F / 255, 113.87F / 255};
      p.std = {62.99F / 255, 62.09F / 255, 66.70F / 255};
      break;
  }
  return p;
}

int default_train_hp(bench::Space space) {
  switch (space) {
    case bench::Space::Macro: return bench::kMacroTrainingEpochs;
    case bench::Space::Nb101: return bench::space_definition(space).final_hp();
    default: return bench::space_definition(space).search_hp();
  }
}

std::int32_t default_train_seed(bench::Space space) {
  switch (space) {
    case bench::Space::Macro: return 0;
    case bench::Space::Nb101: return 1;
    default: return kNatsFirstSeed;
  }
}

void set_protocol_field(TrainingProtocol& p, const std::string& key, const std::string& value) {
  if (key == "protocol") {
    p.name = value;
  } else if (key == "epochs") {
    p.epochs = int_value(key, value);
  } else if (key == "batch_size") {
    p.batch_size = int_value(key, value);
  } else if (key == "eval_batch_size") {
    p.eval_batch_size = int_value(key, value);
  } else if (key == "drop_last") {
    p.drop_last = bool_value(key, value);
  } else if (key == "optimizer") {
    if (value == "sgd") {
      p.optimizer = OptimizerKind::Sgd;
    } else if (value == "tf-rmsprop") {
      p.optimizer = OptimizerKind::TfRmsProp;
    } else {
      throw Error("protocol field optimizer: '" + value + "' is not sgd or tf-rmsprop");
    }
  } else if (key == "lr") {
    p.lr = double_value(key, value);
  } else if (key == "lr_min") {
    p.lr_min = double_value(key, value);
  } else if (key == "momentum") {
    p.momentum = double_value(key, value);
  } else if (key == "nesterov") {
    p.nesterov = bool_value(key, value);
  } else if (key == "weight_decay") {
    p.weight_decay = double_value(key, value);
  } else if (key == "rmsprop_decay") {
    p.rmsprop_decay = double_value(key, value);
  } else if (key == "rmsprop_epsilon") {
    p.rmsprop_epsilon = double_value(key, value);
  } else if (key == "schedule") {
    if (value == "cosine-per-epoch") {
      p.schedule = LrSchedule::CosinePerEpoch;
    } else if (value == "cosine-step-first") {
      p.schedule = LrSchedule::CosinePerEpochStepFirst;
    } else if (value == "cosine-per-step") {
      p.schedule = LrSchedule::CosinePerStep;
    } else {
      throw Error("protocol field schedule: '" + value + "' is not cosine-per-epoch, cosine-step-first or cosine-per-step");
    }
  } else if (key == "grad_clip") {
    p.grad_clip = double_value(key, value);
  } else if (key == "evaluate_every_epoch") {
    p.evaluate_every_epoch = bool_value(key, value);
  } else if (key == "mean") {
    p.mean = floats_value(key, value);
  } else if (key == "std") {
    p.std = floats_value(key, value);
  } else if (key == "max_batches_per_epoch") {
    p.max_batches_per_epoch = int_value(key, value);
  } else if (key == "max_eval_batches") {
    p.max_eval_batches = int_value(key, value);
  } else {
    std::string names;
    for (const auto& [name, text] : protocol_fields(TrainingProtocol{})) names += (names.empty() ? "" : ", ") + name;
    throw Error("unknown protocol field '" + key + "' (fields: " + names + ")");
  }
}

std::vector<std::pair<std::string, std::string>> protocol_fields(const TrainingProtocol& p) {
  auto flag = [](bool b) { return std::string(b ? "true" : "false"); };
  return {{"protocol", p.name},
          {"epochs", std::to_string(p.epochs)},
          {"batch_size", std::to_string(p.batch_size)},
          {"eval_batch_size", std::to_string(p.eval_batch_size)},
          {"drop_last", flag(p.drop_last)},
          {"optimizer", optimizer_name(p.optimizer)},
          {"lr", text_of(p.lr)},
          {"lr_min", text_of(p.lr_min)},
          {"momentum", text_of(p.momentum)},
          {"nesterov", flag(p.nesterov)},
          {"weight_decay", text_of(p.weight_decay)},
          {"rmsprop_decay", text_of(p.rmsprop_decay)},
          {"rmsprop_epsilon", text_of(p.rmsprop_epsilon)},
          {"schedule", schedule_name(p.schedule)},
          {"grad_clip", text_of(p.grad_clip)},
          {"evaluate_every_epoch", flag(p.evaluate_every_epoch)},
          {"mean", text_of(p.mean)},
          {"std", text_of(p.std)},
          {"max_batches_per_epoch", std::to_string(p.max_batches_per_epoch)},
          {"max_eval_batches", std::to_string(p.max_eval_batches)}};
}

void check_protocol(const TrainingProtocol& p) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw Error("protocol: " + what);
  };
  constexpr int kMaxEpochs = 10000, kMaxBatch = 4096;
  require(p.epochs >= 1 && p.epochs <= kMaxEpochs, "epochs must be in 1.." + std::to_string(kMaxEpochs));
  require(p.batch_size >= 1 && p.batch_size <= kMaxBatch, "batch_size must be in 1.." + std::to_string(kMaxBatch));
  require(p.eval_batch_size >= 1 && p.eval_batch_size <= kMaxBatch, "eval_batch_size must be in 1.." + std::to_string(kMaxBatch));
  require(p.lr > 0, "lr must be positive");
  require(p.lr_min >= 0 && p.lr_min <= p.lr, "lr_min must be in [0, lr]");
  require(p.momentum >= 0 && p.momentum < 1, "momentum must be in [0, 1)");
  require(!p.nesterov || p.optimizer != OptimizerKind::Sgd || p.momentum > 0, "Nesterov needs a positive momentum");
  require(p.weight_decay >= 0, "weight_decay must not be negative");
  require(p.rmsprop_decay >= 0 && p.rmsprop_decay < 1, "rmsprop_decay must be in [0, 1)");
  require(p.rmsprop_epsilon > 0, "rmsprop_epsilon must be positive");
  require(p.grad_clip >= 0, "grad_clip must not be negative");
  require(p.mean.size() == p.std.size(), "mean and std must have one value per channel each");
  for (float s : p.std) require(s > 0, "std values must be positive");
  require(p.max_batches_per_epoch >= 0 && p.max_eval_batches >= 0, "max_batches_per_epoch and max_eval_batches must not be negative");
}

double protocol_learning_rate(const TrainingProtocol& p, int epoch, std::int64_t step, std::int64_t steps_per_epoch,
                              std::int64_t train_images) {
  switch (p.schedule) {
    case LrSchedule::CosinePerEpoch: return cosine_learning_rate(epoch, p.epochs, p.lr, p.lr_min);
    case LrSchedule::CosinePerEpochStepFirst: return cosine_learning_rate(epoch + 1, p.epochs, p.lr, p.lr_min);
    case LrSchedule::CosinePerStep: {
      // nasbench: total_steps = int(epochs * 40000 / 256) of the full data; the same fraction of
      // the epoch for other sizes. The learning rate is 0 at the first step.
      const std::int64_t t = static_cast<std::int64_t>(epoch) * steps_per_epoch + step;
      if (t == 0) return 0.0;
      const auto total = static_cast<std::int64_t>(static_cast<double>(p.epochs) * static_cast<double>(train_images) / p.batch_size);
      return cosine_learning_rate(static_cast<double>(t), static_cast<double>(std::max<std::int64_t>(total, 1)), p.lr, p.lr_min);
    }
  }
  return p.lr;
}

RunIdentity train_identity(const TrainRequest& r) {
  RunIdentity identity{{"command", "train"},
                       {"space", std::string(bench::space_name(r.space))},
                       {"arch", std::to_string(r.arch)},
                       {"dataset", std::string(bench::dataset_name(r.dataset))},
                       {"seed", std::to_string(r.seed)}};
  std::string config;
  for (const auto& [key, value] : protocol_fields(r.protocol)) config += key + ": " + value + "\n";
  identity.emplace_back("config", config);
  identity.emplace_back("device", r.device);
  identity.emplace_back("torch_threads", std::to_string(r.threads));
  identity.emplace_back("nas_version", std::string(bench::nas_version()));
  return identity;
}

// ---- training ------------------------------------------------------------------------------------

namespace {

/// Every check of check_train_request but the checkpoint's; returns the device.
torch::Device checked_device(const TrainRequest& r) {
  const bench::SpaceDefinition& definition = bench::space_definition(r.space);
  if (r.arch >= definition.num_archs()) {
    throw Error("arch index " + std::to_string(r.arch) + " is outside the " + std::string(definition.name()) + " space (0.." +
                std::to_string(definition.num_archs() - 1) + ")");
  }
  definition.require_dataset(r.dataset);
  if (r.seed < definition.min_trial_seed()) {
    throw Error("seed " + std::to_string(r.seed) + ": trial seeds of the " + std::string(definition.name()) + " space start at " +
                std::to_string(definition.min_trial_seed()));
  }
  check_protocol(r.protocol);
  if (!r.protocol.mean.empty() && r.protocol.mean.size() != 3) throw Error("protocol: mean and std need 3 values (RGB)");
  if (r.data_root.empty()) throw Error("training needs image data: give --data DIR or set NAS_DATA");
  return select_device(r.device);
}

/// The run's checkpoint: its location checked and, when one exists, read and its identity checked.
EpochCheckpoint open_checkpoint(const TrainRequest& r, const torch::Device& device) {
  return EpochCheckpoint(r.checkpoint_path, r.identity.empty() ? train_identity(r) : r.identity, device);
}

}  // namespace

void check_train_request(const TrainRequest& r) { open_checkpoint(r, checked_device(r)); }

bench::TrialRecord train_architecture(const TrainRequest& r, TrainCallbacks& callbacks) {
  ActivityLog activity;
  activity.reset("the training");
  return activity.run([&] {
    const torch::Device device = checked_device(r);
    EpochCheckpoint checkpoint = open_checkpoint(r, device);  // read once, before any data
    const auto started = std::chrono::steady_clock::now();
    const TrainingProtocol& p = r.protocol;
    const bench::SpaceDefinition& definition = bench::space_definition(r.space);
    const int threads = set_cpu_threads(r.threads);

    std::optional<Normalization> normalization;
    if (!p.mean.empty()) {
      normalization = normalization_of(data_of(r.dataset));
      normalization->mean = p.mean;
      normalization->std = p.std;
    }
    const std::unique_ptr<TrainingData> data = [&] {
      const ActivityLog::Scope loading(activity, "loading the training data");
      return load_training_data(r.space, r.dataset, r.data_root, normalization);
    }();
    const auto train_images = static_cast<std::int64_t>(data->train.size());
    if (p.drop_last && train_images < p.batch_size) {
      throw Error("batch_size " + std::to_string(p.batch_size) + " is larger than the " + std::to_string(train_images) +
                  " training images, and incomplete batches are dropped");
    }

    torch::Generator init = make_cpu_generator(static_cast<std::uint64_t>(r.seed));
    BuiltNetwork net = [&] {
      const ActivityLog::Scope building(activity, "building the network");
      return build_network(r.space, r.arch, data->train_pool.num_classes, init, device);
    }();
    ProtocolOptimizer optimizer(p, net.module->parameters());

    bench::TrialRecord record;
    record.space = r.space;
    record.arch = definition.format_arch(r.arch);
    record.index = r.arch;
    record.dataset = r.dataset;
    record.hp = p.epochs;
    record.seed = r.seed;
    const bench::NetworkCost cost = definition.cost(r.arch, r.dataset);
    record.params_m = cost.params_m;
    record.flops_m = cost.flops_m;
    record.learning_rate.assign(static_cast<std::size_t>(p.epochs), kNaN);
    record.sets[bench::EvalSet::Train] = nan_series(p.epochs);
    for (const EvalSplit& split : data->eval) {
      if (split.set) {
        record.sets[*split.set] = nan_series(p.epochs);
      } else {
        record.train_evaluation = nan_series(p.epochs);
      }
    }
    record.protocol_json = protocol_json(p);

    int first_epoch = 0;
    if (checkpoint.resuming()) {
      const ActivityLog::Scope restoring(activity, "restoring the checkpoint's state");
      first_epoch = checkpoint.resume([&](torch::serialize::InputArchive& archive) {
        load_module(archive, "network", *net.module);
        torch::serialize::InputArchive state;
        archive.read("optimizer", state);
        optimizer.load(state);
        c10::IValue text;
        archive.read("record", text);
        bench::TrialRecord saved = bench::parse_trial_record(text.toStringRef(), "the checkpoint's record");
        record.learning_rate = saved.learning_rate;
        record.sets = saved.sets;
        record.train_evaluation = saved.train_evaluation;
        record.latency_s = saved.latency_s;
      });
    }

    std::chrono::steady_clock::time_point epoch_started;
    TrainEpochSummary summary;
    EpochSteps epoch_steps;
    epoch_steps.train = [&](int epoch) {
      epoch_started = std::chrono::steady_clock::now();
      TrainBatchStream stream(data->train_pool, data->train, data->normalization, p.batch_size, p.drop_last, device,
                              epoch_stream_seed(r.seed, epoch));
      TrainStepProgress progress;
      progress.epoch = epoch;
      progress.epochs = p.epochs;
      std::int64_t steps = stream.batches_per_epoch();
      if (p.max_batches_per_epoch > 0) steps = std::min<std::int64_t>(steps, p.max_batches_per_epoch);
      progress.batches = static_cast<int>(steps);
      double loss_sum = 0, correct_sum = 0;
      double epoch_lr = kNaN;
      while (progress.batch < steps) {
        auto batch = stream.next();
        if (!batch) break;
        const double lr = protocol_learning_rate(p, epoch, progress.batch, steps, train_images);
        if (std::isnan(epoch_lr)) epoch_lr = lr;
        const ActivityLog::Scope training(activity, "a training step");
        const StepResult s = supervised_step(
            *net.module, net.forward, [&] { optimizer.zero_grad(); }, [&] { optimizer.step(lr); }, optimizer.parameters(),
            p.grad_clip, batch->first, batch->second);
        const auto n = batch->second.size(0);
        loss_sum += s.loss * static_cast<double>(n);
        correct_sum += s.accuracy * static_cast<double>(n);
        ++progress.batch;
        progress.images += n;
        progress.train_loss = loss_sum / static_cast<double>(progress.images);
        progress.train_accuracy = correct_sum / static_cast<double>(progress.images);
        progress.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_started).count();
        callbacks.on_step(progress);
      }
      const auto e = static_cast<std::size_t>(epoch);
      bench::TrialSeries& train = record.sets[bench::EvalSet::Train];
      train.loss[e] = progress.train_loss;
      train.accuracy[e] = progress.train_accuracy;
      train.time[e] = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_started).count();
      record.learning_rate[e] = epoch_lr;

      summary = TrainEpochSummary();
      summary.epoch = epoch;
      summary.epochs = p.epochs;
      summary.lr = epoch_lr;
      summary.train_loss = progress.train_loss;
      summary.train_accuracy = progress.train_accuracy;
      if (evaluates_at(p, epoch)) {
        const ActivityLog::Scope evaluating(activity, "the evaluation");
        net.module->eval();
        bool first_split = true;
        for (const EvalSplit& split : data->eval) {
          const EvalBatchStream eval(*split.pool, split.indices, data->normalization, p.eval_batch_size, device);
          const EvalResult result = evaluate(net.forward, eval, 0, p.max_eval_batches);
          bench::TrialSeries& series = split.set ? record.sets[*split.set] : *record.train_evaluation;
          series.loss[e] = result.loss;
          series.accuracy[e] = result.accuracy;
          series.time[e] = result.seconds;
          if (first_split && result.latency > 0) record.latency_s = result.latency;
          first_split = false;
          summary.eval_accuracy.emplace_back(split.name, result.accuracy);
        }
      }
    };
    epoch_steps.save = [&](torch::serialize::OutputArchive& archive) {
      save_module(archive, "network", *net.module);
      torch::serialize::OutputArchive state;
      optimizer.save(state);
      archive.write("optimizer", state);
      archive.write("record", c10::IValue(bench::trial_record_json(record)));
    };
    epoch_steps.finished = [&](int epoch) {
      summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_started).count();
      callbacks.on_epoch(summary);
      if (callbacks.stop_requested() && epoch + 1 < p.epochs) {
        throw Error("training stopped after epoch " + std::to_string(epoch + 1) + " of " + std::to_string(p.epochs) +
                    (checkpoint.enabled() ? "; rerun with the same --checkpoint to continue" : ""));
      }
      return true;
    };
    run_epochs(first_epoch, p.epochs, checkpoint, activity, epoch_steps);

    char checksum[17];
    std::snprintf(checksum, sizeof checksum, "%016" PRIx64, data->checksum);
    nlohmann::json provenance = {
        {"nas_version", std::string(bench::nas_version())},
        {"torch_version", TORCH_VERSION},
        {"device", describe_device(device)},
        {"torch_threads", threads},
        {"data_root", r.data_root},
        {"data", data_name(data->name)},
        {"data_checksum", checksum},
        {"train_images", train_images},
        {"split", data->split_source},
        {"resumed_at_epoch", first_epoch},
        {"wall_seconds_this_process", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}};
    record.provenance_json = provenance.dump();
    return record;
  });
}

}  // namespace nas::supernet

// Training one architecture from scratch with its benchmark's own protocol (`nas train`): the
// space's final network, the benchmark's optimizer, schedule, batch size, splits and evaluation
// sets, per-trial seeding, and per-epoch records of what the official records hold.
//
//   TrainRequest request;
//   request.space = bench::Space::Topology;  request.arch = 11;  request.dataset = Dataset::Cifar10Valid;
//   request.protocol = benchmark_protocol(request.space, /*hp=*/12);  request.seed = 777;
//   request.data_root = "../shared/data/cifar10";
//   bench::TrialRecord record = train_architecture(request, callbacks);
//
// Protocols (benchmark_protocol; every field can be overridden, set_protocol_field):
//   nats-bench (tss, sss; reference §4.1): SGD lr 0.1, momentum 0.9, Nesterov, weight decay 5e-4
//     on every parameter, cosine to 0 stepped per epoch (epoch e: lr * (1 + cos(pi e / E)) / 2),
//     batch 256, every set evaluated after every epoch, E = hp.
//   nas-bench-macro (MAC:train/train.py): SGD lr 0.1, momentum 0.9, no Nesterov, weight decay 5e-4,
//     50 epochs, CosineAnnealingLR stepped at each epoch's start (epoch e: lr * (1 + cos(pi (e+1)
//     / E)) / 2), batch 256, its own normalization (mean 0.49139968, 0.48215827, 0.44653124; std
//     0.24703233, 0.24348505, 0.26158768); the record is the best ori-test epoch.
//   nas-bench-101 (NB:nasbench/lib/config.py, training.py): TF1 RMSProp (decay 0.9, momentum 0.9,
//     epsilon 1, TfRmsProp) with lr 0.2 (0.1 x 2 TPU shards) on a cosine per step over int(E *
//     40000 / 256) steps, 0 at step 0, L2 1e-4 on every trainable variable, batch 256 with
//     incomplete batches dropped, evaluation at the halfway and the last epoch, normalization mean
//     (125.31, 122.95, 113.87) / 255, std (62.99, 62.09, 66.70) / 255. Differences from the
//     original, which trained on 2 TPU v2 shards: one device (CPU or CUDA) with one batch of 256 (TF
//     summed the two shards' gradients of 128 each: the same mean gradient), PyTorch's BatchNorm over
//     the whole batch (TF normalized each shard's 128 separately), LibTorch's random streams.
// Everything the run draws derives from the seed: the initial weights (the network's generator),
// each epoch's order and augmentation (stream seeds of (seed, epoch)). So a run killed and resumed
// from its checkpoint (same device and thread count) ends with the same record.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nas/benchmark_api/datasets.h"
#include "nas/benchmark_api/space.h"
#include "nas/benchmark_api/trial_record.h"
#include "nas/supernet/checkpoint.h"
#include "nas/supernet/data.h"

namespace nas::supernet {

enum class OptimizerKind { Sgd, TfRmsProp };
enum class LrSchedule {
  CosinePerEpoch,            ///< NATS-Bench: epoch e at cos(pi e / E)
  CosinePerEpochStepFirst,   ///< NAS-Bench-Macro: scheduler.step() before each epoch, cos(pi (e+1) / E)
  CosinePerStep,             ///< NAS-Bench-101: step t at cos(pi t / T), 0 at t = 0
};

/// A benchmark's training recipe. Names of the fields as set_protocol_field and records know them
/// are given in brackets.
struct TrainingProtocol {
  std::string name;                                ///< [protocol] nats-bench, nas-bench-macro, nas-bench-101
  int epochs = 12;                                 ///< [epochs] the schedule's length (= the record's hp)
  int batch_size = 256;                            ///< [batch_size]
  int eval_batch_size = 256;                       ///< [eval_batch_size]
  bool drop_last = false;                          ///< [drop_last] leave out an incomplete last batch
  OptimizerKind optimizer = OptimizerKind::Sgd;    ///< [optimizer] sgd, tf-rmsprop
  double lr = 0.1;                                 ///< [lr] peak learning rate
  double lr_min = 0;                               ///< [lr_min] the cosine's floor
  double momentum = 0.9;                           ///< [momentum]
  bool nesterov = true;                            ///< [nesterov] (SGD)
  double weight_decay = 5e-4;                      ///< [weight_decay] on every parameter
  double rmsprop_decay = 0.9;                      ///< [rmsprop_decay] (TF RMSProp)
  double rmsprop_epsilon = 1.0;                    ///< [rmsprop_epsilon] (TF RMSProp)
  LrSchedule schedule = LrSchedule::CosinePerEpoch;  ///< [schedule] cosine-per-epoch, cosine-step-first, cosine-per-step
  double grad_clip = 0;                            ///< [grad_clip] gradient-norm clip (0: none)
  bool evaluate_every_epoch = true;                ///< [evaluate_every_epoch] false: halfway and last epoch only
  std::vector<float> mean, std;                    ///< [mean] [std] per channel in [0, 1] units; empty: the data set's
  int max_batches_per_epoch = 0;                   ///< [max_batches_per_epoch] quick runs: 0 = whole epochs
  int max_eval_batches = 0;                        ///< [max_eval_batches] quick runs: 0 = whole sets
};

/// The protocol the benchmark of `space` trained its records with, for a schedule of hp epochs
/// (tss 12 or 200, sss 1, 12 or 90, nb101 4, 12, 36 or 108, macro its 50). Throws nas::Error for an
/// hp the benchmark has no records of.
TrainingProtocol benchmark_protocol(bench::Space space, int hp);
/// The hp `nas train` uses when none is given: the space's search schedule (tss, sss 12; nb101
/// 108; macro 50).
int default_train_hp(bench::Space space);
/// The seed of the benchmark's first trial (NATS-Bench 777, NAS-Bench-Macro 0, NAS-Bench-101's trial
/// id 1).
std::int32_t default_train_seed(bench::Space space);

/// Sets one field by its bracketed name from text ("0.05", "true", "sgd", "0.5,0.5,0.5"); nas::Error
/// naming the field and the accepted values for an unknown name or a bad value.
void set_protocol_field(TrainingProtocol& protocol, const std::string& key, const std::string& value);
/// Every field as (name, text) in declaration order: the record's "protocol" and the checkpoint's
/// identity.
std::vector<std::pair<std::string, std::string>> protocol_fields(const TrainingProtocol& protocol);
/// Checks the values (positive sizes and rates, mean/std of the data's channel count when given).
void check_protocol(const TrainingProtocol& protocol);

/// The learning rate of the step `step` (0-based, of `steps_per_epoch` per epoch) of epoch `epoch`.
double protocol_learning_rate(const TrainingProtocol& protocol, int epoch, std::int64_t step, std::int64_t steps_per_epoch,
                              std::int64_t train_images);

struct TrainRequest {
  bench::Space space = bench::Space::Topology;
  bench::ArchId arch = 0;
  bench::Dataset dataset = bench::Dataset::Cifar10Valid;
  std::int32_t seed = 777;
  TrainingProtocol protocol;
  std::string data_root;
  std::string device = "cpu";
  int threads = 0;
  std::string checkpoint_path;  ///< "" = no checkpoint
  RunIdentity identity;         ///< of the run, for the checkpoint (train_identity)
};

/// The identity a checkpoint of `request` carries: space, arch, dataset, seed, every protocol field,
/// device, threads, versions.
RunIdentity train_identity(const TrainRequest& request);

/// Where training is within an epoch, after each step (live progress).
struct TrainStepProgress {
  int epoch = 0, epochs = 0;    ///< 0-based epoch, of the schedule
  int batch = 0, batches = 0;   ///< steps done in this epoch, steps it will take
  double train_loss = 0, train_accuracy = 0;  ///< running sample-weighted means over the epoch
  std::int64_t images = 0;      ///< training images of this epoch so far
  double seconds = 0;           ///< wall time of the epoch so far
};
/// One finished epoch (after its checkpoint is written).
struct TrainEpochSummary {
  int epoch = 0, epochs = 0;
  double lr = 0;
  double train_loss = 0, train_accuracy = 0;
  std::vector<std::pair<std::string, double>> eval_accuracy;  ///< (set, top-1) of the sets evaluated
  double seconds = 0;
};
class TrainCallbacks {
 public:
  virtual ~TrainCallbacks() = default;
  virtual void on_step(const TrainStepProgress& /*progress*/) {}
  virtual void on_epoch(const TrainEpochSummary& /*summary*/) {}
  /// Polled after every epoch; true stops the run (its checkpoint holds what is done).
  virtual bool stop_requested() { return false; }
};

/// Everything that can be refused without training, in the order a user fixes it: the arch in the
/// space, the dataset key, the protocol values, the device, and (if one exists) the checkpoint's
/// identity; nas::Error naming the problem. Loads no data.
void check_train_request(const TrainRequest& request);

/// Trains the arch and returns its record (space, arch, dataset, hp = protocol.epochs, seed, the
/// space's exact params and FLOPs, the measured latency, per-epoch series, protocol, provenance).
/// check_train_request first, then the data (errors name the file); a LibTorch failure is one
/// nas::Error naming what was being done.
bench::TrialRecord train_architecture(const TrainRequest& request, TrainCallbacks& callbacks);

}  // namespace nas::supernet

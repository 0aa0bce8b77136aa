// `nas train`'s trainer (architecture_trainer.h) over supernet's (trainer.h): the protocol of the
// job's benchmark and schedule, the job's overrides applied in order, progress passed through.
#include "nas/algorithms/trainer_adapter.h"

#include "nas/benchmark_api/error.h"
#include "nas/supernet/trainer.h"

namespace nas::algorithms {
namespace {

class ProgressRelay : public supernet::TrainCallbacks {
 public:
  explicit ProgressRelay(TrainingCallbacks& to) : to_(to) {}
  void on_step(const supernet::TrainStepProgress& p) override {
    BatchProgress out;
    out.epoch = p.epoch;
    out.epochs = p.epochs;
    out.batch = p.batch;
    out.batches = p.batches;
    out.train_loss = p.train_loss;
    out.train_accuracy = p.train_accuracy;
    out.images = p.images;
    out.seconds = p.seconds;
    to_.on_batch(out);
  }
  void on_epoch(const supernet::TrainEpochSummary& s) override {
    to_.on_epoch(TrainingEpoch{s.epoch, s.epochs, s.lr, s.train_loss, s.train_accuracy, s.seconds, s.eval_accuracy});
  }

 private:
  TrainingCallbacks& to_;
};

class ProtocolTrainer final : public ArchitectureTrainer {
 public:
  std::vector<std::pair<std::string, std::string>> check(TrainingJob& job) const override {
    const supernet::TrainRequest request = request_of(job);
    supernet::check_train_request(request);
    return supernet::protocol_fields(request.protocol);
  }

  bench::TrialRecord train(const TrainingJob& job, TrainingCallbacks& callbacks) const override {
    TrainingJob filled = job;
    ProgressRelay relay(callbacks);
    return supernet::train_architecture(request_of(filled), relay);
  }

 private:
  /// Fills the job's defaults and builds the request: the benchmark's protocol, then the overrides.
  static supernet::TrainRequest request_of(TrainingJob& job) {
    if (job.hp == 0) job.hp = supernet::default_train_hp(job.space);
    if (job.seed < 0) job.seed = supernet::default_train_seed(job.space);
    supernet::TrainRequest request;
    request.space = job.space;
    request.arch = job.arch;
    request.dataset = job.dataset;
    request.seed = job.seed;
    request.protocol = supernet::benchmark_protocol(job.space, job.hp);
    for (const auto& [key, value] : job.overrides) supernet::set_protocol_field(request.protocol, key, value);
    request.data_root = job.environment.data_root;
    request.device = job.environment.device;
    request.threads = job.environment.threads;
    request.checkpoint_path = job.checkpoint_path;
    request.identity = supernet::train_identity(request);
    return request;
  }
};

}  // namespace

void register_architecture_trainer(SearcherRegistry& registry) {
  registry.set_architecture_trainer(std::make_shared<ProtocolTrainer>());
}

}  // namespace nas::algorithms

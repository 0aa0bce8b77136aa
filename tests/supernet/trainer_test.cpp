// Training an architecture with its benchmark's protocol: the protocols' numbers, TF1's RMSProp,
// the splits of each dataset key, and a short run on real CIFAR-10 that resumes bit-exactly.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/store.h"
#include "nas/benchmark_api/trial_record.h"
#include "nas/supernet/trainer.h"
#include "nas/supernet/training.h"

namespace {

using namespace nas;
using namespace nas::supernet;

TEST(Protocol, NatsBenchsIsSgdNesterovWithAPerEpochCosine) {
  const TrainingProtocol p = benchmark_protocol(bench::Space::Topology, 12);
  EXPECT_EQ(p.name, "nats-bench");
  EXPECT_EQ(p.epochs, 12);
  EXPECT_EQ(p.batch_size, 256);
  EXPECT_EQ(p.optimizer, OptimizerKind::Sgd);
  EXPECT_DOUBLE_EQ(p.lr, 0.1);
  EXPECT_DOUBLE_EQ(p.momentum, 0.9);
  EXPECT_TRUE(p.nesterov);
  EXPECT_DOUBLE_EQ(p.weight_decay, 5e-4);
  EXPECT_TRUE(p.evaluate_every_epoch);
  // lr_e = 0.1 (1 + cos(pi e / 12)) / 2, the same for every step of the epoch.
  EXPECT_DOUBLE_EQ(protocol_learning_rate(p, 0, 50, 98, 25000), 0.1);
  EXPECT_DOUBLE_EQ(protocol_learning_rate(p, 11, 0, 98, 25000), 0.05 * (1 + std::cos(M_PI * 11 / 12)));
  // The last of 200 epochs trains at about 6.2e-6, never 0 (reference §4.1).
  const TrainingProtocol long_run = benchmark_protocol(bench::Space::Topology, 200);
  EXPECT_NEAR(protocol_learning_rate(long_run, 199, 0, 98, 25000), 6.17e-6, 1e-8);
  EXPECT_EQ(benchmark_protocol(bench::Space::Size, 90).epochs, 90);
}

TEST(Protocol, NasBenchMacrosStepsItsCosineBeforeEachEpoch) {
  const TrainingProtocol p = benchmark_protocol(bench::Space::Macro, 50);
  EXPECT_FALSE(p.nesterov);
  EXPECT_NEAR(protocol_learning_rate(p, 0, 0, 196, 50000), 0.09990, 1e-5);
  EXPECT_NEAR(protocol_learning_rate(p, 49, 0, 196, 50000), 0.0, 1e-15);
  EXPECT_EQ(p.mean.size(), 3u);
  EXPECT_FLOAT_EQ(p.mean[0], 0.49139968F);
}

TEST(Protocol, NasBench101UsesTfRmsPropWithAPerStepCosineFromZero) {
  const TrainingProtocol p = benchmark_protocol(bench::Space::Nb101, 108);
  EXPECT_EQ(p.optimizer, OptimizerKind::TfRmsProp);
  EXPECT_DOUBLE_EQ(p.lr, 0.2);
  EXPECT_DOUBLE_EQ(p.rmsprop_epsilon, 1.0);
  EXPECT_DOUBLE_EQ(p.weight_decay, 1e-4);
  EXPECT_TRUE(p.drop_last);
  EXPECT_FALSE(p.evaluate_every_epoch);
  // 0 at the first step; total steps int(108 * 40000 / 256) = 16875; half-way the rate is 0.1.
  EXPECT_EQ(protocol_learning_rate(p, 0, 0, 156, 40000), 0.0);
  EXPECT_DOUBLE_EQ(protocol_learning_rate(p, 0, 1, 156, 40000), 0.1 * (1 + std::cos(M_PI * 1 / 16875)));
  const std::int64_t half = 16875 / 2;
  EXPECT_DOUBLE_EQ(protocol_learning_rate(p, static_cast<int>(half / 156), half % 156, 156, 40000),
                   0.1 * (1 + std::cos(M_PI * static_cast<double>(half) / 16875)));
}

TEST(Protocol, RefusesSchedulesTheBenchmarkNeverTrainedAndBadFields) {
  EXPECT_THROW(benchmark_protocol(bench::Space::Topology, 13), Error);
  EXPECT_THROW(benchmark_protocol(bench::Space::Nb101, 12 + 1), Error);
  EXPECT_THROW(benchmark_protocol(bench::Space::Macro, 12), Error);
  TrainingProtocol p = benchmark_protocol(bench::Space::Topology, 12);
  set_protocol_field(p, "epochs", "3");
  set_protocol_field(p, "optimizer", "tf-rmsprop");
  set_protocol_field(p, "mean", "0.5,0.25,0.125");
  EXPECT_EQ(p.epochs, 3);
  EXPECT_EQ(p.optimizer, OptimizerKind::TfRmsProp);
  EXPECT_FLOAT_EQ(p.mean[2], 0.125F);
  try {
    set_protocol_field(p, "learning_rate", "0.1");
    ADD_FAILURE() << "accepted an unknown field";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown protocol field 'learning_rate' (fields: protocol, epochs,"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(set_protocol_field(p, "epochs", "3x"), Error);
  EXPECT_THROW(set_protocol_field(p, "nesterov", "yes"), Error);
  EXPECT_THROW(set_protocol_field(p, "lr", "nan"), Error);
  set_protocol_field(p, "lr", "-1");
  EXPECT_THROW(check_protocol(p), Error);
}

TEST(TfRmsProp, FollowsTf1sUpdateWithItsSlotStartingAtOne) {
  torch::Tensor w = torch::tensor({1.0, -2.0}, torch::kDouble).requires_grad_(true);
  TfRmsProp optimizer({w}, /*decay=*/0.9, /*momentum=*/0.9, /*epsilon=*/1.0, /*weight_decay=*/0.0);
  double ms[2] = {1, 1}, mom[2] = {0, 0}, value[2] = {1.0, -2.0};
  const double g[2][2] = {{0.5, -1.5}, {2.0, 0.25}};
  const double lr[2] = {0.2, 0.1};
  for (int step = 0; step < 2; ++step) {
    w.mutable_grad() = torch::tensor({g[step][0], g[step][1]}, torch::kDouble);
    optimizer.step(lr[step]);
    for (int i = 0; i < 2; ++i) {
      ms[i] = 0.9 * ms[i] + 0.1 * g[step][i] * g[step][i];
      mom[i] = 0.9 * mom[i] + lr[step] * g[step][i] / std::sqrt(ms[i] + 1.0);
      value[i] -= mom[i];
    }
  }
  EXPECT_NEAR(w[0].item<double>(), value[0], 1e-15);
  EXPECT_NEAR(w[1].item<double>(), value[1], 1e-15);
}

std::string cifar10() { return std::string(NAS_SHARED_DATA) + "/cifar10"; }

TEST(TrainingData, TheDatasetKeysSplitsAsTheBenchmarksDid) {
  const auto valid = load_training_data(bench::Space::Topology, bench::Dataset::Cifar10Valid, cifar10());
  EXPECT_EQ(valid->train.size(), 25000u);
  ASSERT_EQ(valid->eval.size(), 2u);
  EXPECT_EQ(valid->eval[0].name, "x-valid");
  EXPECT_EQ(valid->eval[0].indices.size(), 25000u);
  EXPECT_EQ(valid->eval[0].pool, &valid->train_pool);
  EXPECT_EQ(valid->eval[1].name, "ori-test");
  EXPECT_EQ(valid->eval[1].indices.size(), 10000u);
  EXPECT_EQ(valid->train[0], 0);  // cifar-split's train half starts 0, 5, 7, 11
  EXPECT_EQ(valid->train[3], 11);

  const auto nb101 = load_training_data(bench::Space::Nb101, bench::Dataset::Cifar10, cifar10());
  EXPECT_EQ(nb101->train.size(), 40000u);
  ASSERT_EQ(nb101->eval.size(), 3u);
  EXPECT_EQ(nb101->eval[0].name, "train-eval");
  EXPECT_FALSE(nb101->eval[0].set.has_value());
  EXPECT_EQ(nb101->eval[1].indices.front(), 40000);
  EXPECT_EQ(nb101->checksum, valid->checksum);  // the same pixels

  EXPECT_THROW(load_training_data(bench::Space::Topology, bench::Dataset::Cifar10, "/nonexistent"), Error);
}

/// A run small enough for a test: 3 epochs of 2 batches of 16, one eval batch of 64 per set.
TrainRequest tiny_request(const std::string& checkpoint) {
  TrainRequest r;
  r.space = bench::Space::Topology;
  r.arch = 11;
  r.dataset = bench::Dataset::Cifar10Valid;
  r.seed = 777;
  r.protocol = benchmark_protocol(r.space, 12);
  set_protocol_field(r.protocol, "epochs", "3");
  set_protocol_field(r.protocol, "batch_size", "16");
  set_protocol_field(r.protocol, "eval_batch_size", "64");
  set_protocol_field(r.protocol, "max_batches_per_epoch", "2");
  set_protocol_field(r.protocol, "max_eval_batches", "1");
  r.data_root = cifar10();
  r.threads = 1;
  r.checkpoint_path = checkpoint;
  r.identity = train_identity(r);
  return r;
}

class StopAfter : public TrainCallbacks {
 public:
  explicit StopAfter(int epochs) : epochs_(epochs) {}
  void on_step(const TrainStepProgress& p) override { steps_ += p.batch > 0 ? 1 : 0; }
  void on_epoch(const TrainEpochSummary&) override { ++done_; }
  bool stop_requested() override { return epochs_ > 0 && done_ >= epochs_; }
  int steps_ = 0, done_ = 0;

 private:
  int epochs_;
};

void expect_same_values(const bench::TrialRecord& a, const bench::TrialRecord& b) {
  ASSERT_EQ(a.sets.size(), b.sets.size());
  for (const auto& [set, series] : a.sets) {
    const bench::TrialSeries& other = b.sets.at(set);
    for (int e = 0; e < a.hp; ++e) {
      const auto i = static_cast<std::size_t>(e);
      EXPECT_EQ(series.loss[i], other.loss[i]) << bench::eval_set_name(set) << " epoch " << e;
      EXPECT_EQ(series.accuracy[i], other.accuracy[i]) << bench::eval_set_name(set) << " epoch " << e;
    }
  }
  EXPECT_EQ(a.learning_rate, b.learning_rate);
}

TEST(Trainer, ATinyRunRecordsEveryEpochAndResumesBitExactly) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("nas_trainer_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  StopAfter all(0);
  const bench::TrialRecord whole = train_architecture(tiny_request(""), all);
  EXPECT_EQ(all.steps_, 6);
  EXPECT_EQ(whole.hp, 3);
  EXPECT_EQ(whole.index, 11u);
  EXPECT_EQ(whole.seed, 777);
  EXPECT_DOUBLE_EQ(whole.params_m, bench::space_definition(bench::Space::Topology).cost(11, bench::Dataset::Cifar10Valid).params_m);
  for (bench::EvalSet set : {bench::EvalSet::Train, bench::EvalSet::XValid, bench::EvalSet::OriTest}) {
    ASSERT_EQ(whole.sets.count(set), 1u) << bench::eval_set_name(set);
    for (int e = 0; e < 3; ++e) {
      const double accuracy = whole.sets.at(set).accuracy[static_cast<std::size_t>(e)];
      EXPECT_TRUE(accuracy >= 0 && accuracy <= 100) << bench::eval_set_name(set) << " " << e;
      EXPECT_GT(whole.sets.at(set).time[static_cast<std::size_t>(e)], 0);
    }
  }
  EXPECT_DOUBLE_EQ(whole.learning_rate[1], 0.05 * (1 + std::cos(M_PI / 3)));
  // The same seed gives the same run; another seed another one.
  StopAfter again_callbacks(0);
  expect_same_values(whole, train_architecture(tiny_request(""), again_callbacks));
  TrainRequest other = tiny_request("");
  other.seed = 888;
  StopAfter other_callbacks(0);
  EXPECT_NE(train_architecture(other, other_callbacks).sets.at(bench::EvalSet::Train).loss[0],
            whole.sets.at(bench::EvalSet::Train).loss[0]);

  // Stopped after the first epoch, then resumed from its checkpoint: the same record.
  const std::string checkpoint = (dir / "train.pt").string();
  StopAfter stop(1);
  EXPECT_THROW(train_architecture(tiny_request(checkpoint), stop), Error);
  ASSERT_TRUE(std::filesystem::exists(checkpoint));
  StopAfter rest(0);
  const bench::TrialRecord resumed = train_architecture(tiny_request(checkpoint), rest);
  EXPECT_EQ(rest.steps_, 4);  // only epochs 2 and 3 were trained
  expect_same_values(whole, resumed);

  // A checkpoint of another run is refused before any training.
  TrainRequest wrong = tiny_request(checkpoint);
  wrong.seed = 888;
  wrong.identity = train_identity(wrong);
  try {
    check_train_request(wrong);
    ADD_FAILURE() << "accepted another run's checkpoint";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("another run wrote it (seed: 777 in the checkpoint, 888 in this run)"), std::string::npos)
        << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(Trainer, ItsRecordBecomesTheStoreRowsOfTheOfficialSchema) {
  StopAfter callbacks(0);
  const bench::TrialRecord record = train_architecture(tiny_request(""), callbacks);
  const bench::TrialRecord read = bench::parse_trial_record(bench::trial_record_json(record), "test");
  expect_same_values(record, read);
  bench::StoreWriter writer(bench::Space::Topology, "test");
  bench::space_definition(bench::Space::Topology).add_trial(read, writer);
  EXPECT_TRUE(writer.has_column({bench::Dataset::Cifar10Valid, bench::EvalSet::XValid, bench::Quantity::Accuracy, 3, 777}));
  EXPECT_TRUE(writer.has_column({bench::Dataset::Cifar10Valid, bench::EvalSet::Train, bench::Quantity::Params, 3, 777}));
  EXPECT_FALSE(writer.has_column({bench::Dataset::Cifar10Valid, bench::EvalSet::XTest, bench::Quantity::Accuracy, 3, 777}));
}

TEST(Trainer, RefusesWhatItCannotTrainBeforeReadingData) {
  TrainRequest r = tiny_request("");
  r.data_root = "/nonexistent";  // never read: every refusal below comes first
  r.arch = 15625;
  EXPECT_THROW(check_train_request(r), Error);
  r.arch = 11;
  r.space = bench::Space::Macro;  // macro has only cifar10
  EXPECT_THROW(check_train_request(r), Error);
  r = tiny_request("");
  r.seed = 0;  // NATS-Bench's seed 0 means "not recorded"
  EXPECT_THROW(check_train_request(r), Error);
  r = tiny_request("");
  r.device = "tpu";
  EXPECT_THROW(check_train_request(r), Error);
}

}  // namespace

// Checkpoints are tied to the run that wrote them: the comparison of run identities, and the
// refusal of a checkpoint without one (the CLI test checks the whole path on real searches).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "nas/supernet/checkpoint.h"
#include "nas/algorithms/nats_weight_sharing.h"
#include "nas/benchmark_api/error.h"
#include "tiny_search.h"

namespace nas::algorithms {
namespace {

using supernet::identity_difference;
using supernet::read_checkpoint;
using supernet::RunIdentity;
using supernet::write_checkpoint;

RunIdentity identity(const std::string& seed, const std::string& config) {
  return {{"algorithm", "darts-v1"}, {"seed", seed}, {"config", config}, {"torch_threads", "1"}};
}

TEST(CheckpointIdentity, EqualIdentitiesHaveNoDifference) {
  EXPECT_EQ(identity_difference(identity("0", "channels: 4\nepochs: 2\n"), identity("0", "channels: 4\nepochs: 2\n")), "");
}

TEST(CheckpointIdentity, TheFirstDifferingFieldIsNamedWithBothValues) {
  EXPECT_EQ(identity_difference(identity("0", "a: 1\n"), identity("5", "a: 2\n")), "seed: 0 in the checkpoint, 5 in this run");
  RunIdentity fewer = identity("0", "a: 1\n");
  fewer.pop_back();
  EXPECT_EQ(identity_difference(fewer, identity("0", "a: 1\n")), "torch_threads: (absent) in the checkpoint, 1 in this run");
  EXPECT_EQ(identity_difference(identity("0", "a: 1\n"), fewer), "torch_threads: 1 in the checkpoint, (absent) in this run");
}

TEST(CheckpointIdentity, ConfigsAreComparedKeyByKey) {
  EXPECT_EQ(identity_difference(identity("0", "epochs: 2\nchannels: 4\nw_lr: 0.025\n"),
                                identity("0", "epochs: 2\nchannels: 8\nw_lr: 0.5\n")),
            "config key channels: 4 in the checkpoint, 8 in this run");
  EXPECT_EQ(identity_difference(identity("0", "epochs: 2\n"), identity("0", "epochs: 2\ntau_min: 0.1\n")),
            "config key tau_min: (absent) in the checkpoint, 0.1 in this run");
  EXPECT_EQ(identity_difference(identity("0", "epochs: 2\ntau_min: 0.1\n"), identity("0", "epochs: 2\n")),
            "config key tau_min: 0.1 in the checkpoint, (absent) in this run");
  // Texts that are not YAML maps can only be said to differ.
  EXPECT_EQ(identity_difference(identity("0", "[1, 2"), identity("0", "epochs: 2\n")), "the configs differ");
}

TEST(CheckpointIdentity, ACheckpointWithoutIdentityIsRefusedBeforeAnyData) {
  // What an older nas wrote: the state, no identity.
  const std::string path = (std::filesystem::temp_directory_path() / ("nas_old_checkpoint_" + std::to_string(::getpid()) + ".pt")).string();
  torch::serialize::OutputArchive old;
  old.write("epoch", torch::tensor(static_cast<std::int64_t>(1)));
  old.save_to(path);

  SearcherRegistry registry;
  register_weight_sharing_searchers(registry);
  TrainingTask task = test::tiny_task("darts-v1", 0, path);
  task.environment.data_root = "/nonexistent";  // the checkpoint is checked before the data is read
  Rng rng(0);
  SearchCallbacks callbacks;
  try {
    registry.create_training("darts-v1", test::tiny_config("darts-v1", 2))->search(task, rng, callbacks);
    ADD_FAILURE() << "resumed from a checkpoint without identity";
  } catch (const nas::Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot resume from checkpoint " + path + ": it carries no run identity"),
              std::string::npos)
        << e.what();
  }
  std::filesystem::remove(path);
}

TEST(CheckpointIdentity, WritingLeavesOnlyTheCheckpoint) {
  const std::filesystem::path folder =
      std::filesystem::temp_directory_path() / ("nas_checkpoint_write_" + std::to_string(::getpid()));
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  const std::string path = (folder / "search.pt").string();
  const RunIdentity written = identity("0", "a: 1\n");
  for (int i = 0; i < 2; ++i) {  // the second write replaces the first
    torch::serialize::OutputArchive archive;
    archive.write("epoch", torch::tensor(static_cast<std::int64_t>(i)));
    write_checkpoint(path, written, archive);
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(folder), std::filesystem::directory_iterator()), 1);
  torch::serialize::InputArchive archive = read_checkpoint(path, written, torch::kCPU);
  torch::Tensor epoch;
  archive.read("epoch", epoch);
  EXPECT_EQ(epoch.item<std::int64_t>(), 1);
  try {
    read_checkpoint(path, identity("3", "a: 1\n"), torch::kCPU);
    ADD_FAILURE() << "read a checkpoint of another run";
  } catch (const nas::Error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot resume from checkpoint " + path +
                                         ": another run wrote it (seed: 0 in the checkpoint, 3 in this run); delete it or "
                                         "choose another checkpoint file");
  }
  std::filesystem::remove_all(folder);
}

}  // namespace
}  // namespace nas::algorithms

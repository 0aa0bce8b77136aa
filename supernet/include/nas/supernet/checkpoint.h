// Checkpoint files of training runs (weight-sharing searches, `nas train`): written atomically,
// and tied to the run that wrote them.
//
// A checkpoint holds a run's whole state, so resuming from the wrong one silently reports another
// run's result: a darts-v1 checkpoint fits gdas's supernet tensor for tensor, and a seed-0
// checkpoint fits a seed-5 run. Every checkpoint therefore carries the run identity (algorithm or
// protocol, space, dataset, seed, resolved config, device, torch threads, nas version), and
// reading one compares that identity with the resuming run's before any of its state is used.
//
//   EpochCheckpoint checkpoint(path, identity, device);   // checks the location, reads one if there
//   int first = checkpoint.resume([&](torch::serialize::InputArchive& a) { load(a); });   // 0 if none
//   run_epochs(first, epochs, checkpoint, activity, {train_one_epoch, save_state, after_epoch});   // training.h
#pragma once

#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nas::supernet {

/// (field, value) pairs in a fixed order.
using RunIdentity = std::vector<std::pair<std::string, std::string>>;

/// How the identity of a checkpoint differs from a run's, in words, or "" when they are equal:
/// the first field of `run` (in its order) that differs, with both values ("seed: 0 in the
/// checkpoint, 5 in this run"); for the field "config" (YAML maps in block style, as nas writes
/// them), the first top-level key that differs ("config key channels: 4 in the checkpoint, 8 in
/// this run"). A field only one side has counts as a difference.
std::string identity_difference(const RunIdentity& checkpoint, const RunIdentity& run);

/// Writes `archive` plus `identity` to `path` atomically: the bytes go to a temporary file beside
/// it, renamed over `path` once complete; on any failure the temporary file is removed, `path` is
/// left as it was, and the nas::Error names the checkpoint and the cause.
void write_checkpoint(const std::string& path, const RunIdentity& identity, torch::serialize::OutputArchive& archive);

/// Reads the checkpoint at `path` (tensors onto `device`) and checks that `identity` wrote it.
/// Throws nas::Error naming `path` if it is not a regular file (a FIFO, device or directory is
/// refused without blocking), cannot be parsed, has no identity (written by an older nas), or has
/// another identity (identity_difference says how).
torch::serialize::InputArchive read_checkpoint(const std::string& path, const RunIdentity& identity,
                                               torch::Device device);

/// The checkpoint of an epoch loop: the file at `path` (none when empty), written after every epoch
/// and resumed from when it exists. Construction checks, before any data is loaded or model built,
/// that a checkpoint can be written there (require_writable_location) and, when one exists, that
/// this run wrote it (read_checkpoint); both throw nas::Error. The archive holds "epoch" (the next
/// epoch to train) beside the caller's state.
class EpochCheckpoint {
 public:
  EpochCheckpoint(std::string path, RunIdentity identity, torch::Device device);
  bool enabled() const { return !path_.empty(); }
  bool resuming() const { return existing_.has_value(); }
  const std::string& path() const { return path_; }
  /// The epoch to continue from: 0 without a checkpoint; else load(archive) restores the caller's
  /// state and the checkpoint's epoch is returned. A c10::Error from load (a tensor of another
  /// shape, a missing key) becomes a nas::Error saying the state does not fit this run.
  int resume(const std::function<void(torch::serialize::InputArchive&)>& load);
  /// After epoch `epoch` (0-based): writes epoch + 1 and save(archive), atomically (a kill never
  /// leaves half a checkpoint). No-op when disabled.
  void commit(int epoch, const std::function<void(torch::serialize::OutputArchive&)>& save) const;

 private:
  std::string path_;
  RunIdentity identity_;
  std::optional<torch::serialize::InputArchive> existing_;
};

}  // namespace nas::supernet

// Checkpoint files of weight-sharing searches: written atomically, and tied to the run that wrote
// them.
//
// A checkpoint holds a search's whole state, so resuming from the wrong one silently reports
// another run's result: a darts-v1 checkpoint fits gdas's supernet tensor for tensor, and a seed-0
// checkpoint fits a seed-5 run. Every checkpoint therefore carries the run identity of its search
// (Checkpointing::identity: algorithm, space, dataset, seed, resolved config, device,
// torch threads, nas version), and reading one compares that identity with the resuming run's
// before any of its state is used.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace nas::algorithms {

/// (field, value) pairs in a fixed order, as Checkpointing::identity.
using RunIdentity = std::vector<std::pair<std::string, std::string>>;

/// How the identity of a checkpoint differs from a run's, in words, or "" when they are equal:
/// the first field of `run` (in its order) that differs, with both values ("seed: 0 in the
/// checkpoint, 5 in this run"); for the field "config" (YAML maps), the first key that differs
/// ("config key channels: 4 in the checkpoint, 8 in this run"). A field only one side has counts
/// as a difference.
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

}  // namespace nas::algorithms

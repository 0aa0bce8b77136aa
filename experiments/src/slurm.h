// Slurm job arrays for `nas bench generate --slurm` and `nas run --slurm`: one sbatch script whose
// array tasks are the shards of the work (SLURM_ARRAY_TASK_ID = K of --shard K/N), submitted with
// sbatch, the job id returned. Each task writes only its own results (records, or a per-shard
// results store), so a failed, cancelled or requeued task reruns safely.
#pragma once

#include <string>
#include <vector>

namespace nas::experiments {

struct SlurmOptions {
  int tasks = 1;                  ///< array tasks = shards
  std::string partition, time, gres, account, qos, mem;  ///< passed through when set
  int cpus_per_task = 0;          ///< 0: not set
  int max_running = 0;            ///< %N throttle of the array (0: none)
  std::string job_name = "nas";
};

/// The sbatch script: #SBATCH lines of `options`, output to LOG_DIR/%A_%a.out, --requeue, then
/// `command` (already quoted words) with " --shard ${SLURM_ARRAY_TASK_ID}/tasks" appended.
std::string sbatch_script(const SlurmOptions& options, const std::vector<std::string>& command, const std::string& log_dir);
/// Writes the script to `script_path` (atomically), runs `sbatch --parsable` on it and returns the
/// job id. nas::Error when sbatch is not on PATH (one line saying so) or refuses the job (its message).
std::string submit_array(const SlurmOptions& options, const std::vector<std::string>& command, const std::string& script_path,
                         const std::string& log_dir);
/// Quotes a word for a POSIX shell ('...').
std::string shell_quote(const std::string& word);
/// The absolute path of the running nas executable.
std::string nas_executable();

}  // namespace nas::experiments

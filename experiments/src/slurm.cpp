// Slurm job arrays (slurm.h).
#include "slurm.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "nas/benchmark_api/compressed_file.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"

namespace nas::experiments {
namespace {

namespace fs = std::filesystem;

/// sbatch on PATH, or "".
std::string find_sbatch() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  const std::string dirs = path;
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const fs::path candidate = fs::path(dirs.substr(start, end - start)) / "sbatch";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return "";
}

}  // namespace

std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string nas_executable() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("nas") : exe.string();
}

std::string sbatch_script(const SlurmOptions& o, const std::vector<std::string>& command, const std::string& log_dir) {
  std::string s = "#!/bin/bash\n";
  s += "#SBATCH --job-name=" + o.job_name + "\n";
  s += "#SBATCH --array=1-" + std::to_string(o.tasks) + (o.max_running > 0 ? "%" + std::to_string(o.max_running) : "") + "\n";
  s += "#SBATCH --output=" + (fs::path(log_dir) / "%A_%a.out").string() + "\n";
  s += "#SBATCH --requeue\n";
  if (!o.partition.empty()) s += "#SBATCH --partition=" + o.partition + "\n";
  if (!o.time.empty()) s += "#SBATCH --time=" + o.time + "\n";
  if (o.cpus_per_task > 0) s += "#SBATCH --cpus-per-task=" + std::to_string(o.cpus_per_task) + "\n";
  if (!o.gres.empty()) s += "#SBATCH --gres=" + o.gres + "\n";
  if (!o.mem.empty()) s += "#SBATCH --mem=" + o.mem + "\n";
  if (!o.account.empty()) s += "#SBATCH --account=" + o.account + "\n";
  if (!o.qos.empty()) s += "#SBATCH --qos=" + o.qos + "\n";
  s += "# One shard of the work per array task; a requeued or rerun task skips what is finished.\n";
  s += "exec";
  for (const std::string& word : command) s += " " + word;
  s += " --shard \"${SLURM_ARRAY_TASK_ID}/" + std::to_string(o.tasks) + "\"\n";
  return s;
}

std::string submit_array(const SlurmOptions& options, const std::vector<std::string>& command, const std::string& script_path,
                         const std::string& log_dir) {
  const std::string sbatch = find_sbatch();
  if (sbatch.empty()) {
    throw Error("--slurm needs sbatch, which is not on PATH (install Slurm's client, e.g. Debian's slurm-client, or run "
                "without --slurm)");
  }
  std::error_code error;
  fs::create_directories(log_dir, error);
  if (error) throw Error("cannot create the Slurm log folder " + log_dir + ": " + error.message());
  write_file_atomically(script_path, sbatch_script(options, command, log_dir), "sbatch script");
  const std::string err_file = script_path + ".sbatch-stderr";
  const std::string line = shell_quote(sbatch) + " --parsable " + shell_quote(script_path) + " 2>" + shell_quote(err_file);
  FILE* pipe = ::popen(line.c_str(), "r");
  if (pipe == nullptr) throw Error("cannot run sbatch");
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
  const int status = ::pclose(pipe);
  std::string err;
  try {
    err = bench::read_file(err_file);
  } catch (const Error&) {
  }
  fs::remove(err_file, error);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string reason = err.substr(0, err.find('\n'));
    throw Error("sbatch refused " + script_path + (reason.empty() ? std::string() : ": " + reason));
  }
  const std::string id = out.substr(0, out.find_first_of(";\n"));
  if (id.empty()) throw Error("sbatch printed no job id for " + script_path);
  return id;
}

}  // namespace nas::experiments

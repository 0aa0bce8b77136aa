// Strict command-line values (see cli_options.h).
#include "cli_options.h"

#include <cerrno>
#include <cstdlib>

#include "nas/benchmark_api/text.h"

namespace nas::cli {
namespace {

bool is_decimal_integer(const std::string& text) {
  std::size_t i = text.size() > 0 && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (i == text.size()) return false;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

/// Digits, one optional '.', an optional exponent: what people write for a number, nothing else.
bool is_decimal_number(const std::string& text) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  std::size_t digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) ++digits;
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) ++digits;
  }
  if (digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    std::size_t exponent_digits = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) ++exponent_digits;
    if (exponent_digits == 0) return false;
  }
  return i == text.size();
}

}  // namespace

CLI::Validator decimal_integer(std::int64_t min, std::int64_t max) {
  const std::string range = "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        if (!is_decimal_integer(text)) return nas::quoted(text) + " is not a decimal integer";
        errno = 0;
        char* end = nullptr;
        const long long value = std::strtoll(text.c_str(), &end, 10);
        if (errno == ERANGE || value < min || value > max) return nas::quoted(text) + " is outside " + range;
        return "";
      },
      "INT in " + range, "decimal integer");
}

CLI::Validator finite_number(double min, double max) {
  auto show = [](double v) {
    std::string text = std::to_string(v);
    text.erase(text.find_last_not_of('0') + 1);
    if (!text.empty() && text.back() == '.') text.pop_back();
    return text;
  };
  const std::string range = "[" + show(min) + ", " + show(max) + "]";
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        if (!is_decimal_number(text)) return nas::quoted(text) + " is not a finite decimal number";
        const double value = std::strtod(text.c_str(), nullptr);
        if (!std::isfinite(value) || value < min || value > max) return nas::quoted(text) + " is outside " + range;
        return "";
      },
      "NUMBER in " + range, "finite number");
}

CLI::Validator non_empty() {
  return CLI::Validator([](std::string& text) -> std::string { return text.empty() ? "must not be empty" : ""; }, "TEXT",
                        "non-empty");
}

void add_slurm_options(CLI::App& cmd, bool& slurm, experiments::SlurmOptions& o) {
  cmd.add_flag("--slurm", slurm, "Submit the work as a Slurm job array (one shard per task) instead of running it here");
  add_integer_option(cmd, "--tasks", o.tasks, "--slurm: array tasks (shards)", 1, 100000)->capture_default_str();
  add_text_option(cmd, "--partition", o.partition, "--slurm: partition");
  add_text_option(cmd, "--time", o.time, "--slurm: time limit per task (sbatch --time)");
  add_integer_option(cmd, "--cpus-per-task", o.cpus_per_task, "--slurm: CPUs per task", 1, 4096);
  add_text_option(cmd, "--gres", o.gres, "--slurm: generic resources per task, e.g. gpu:1");
  add_text_option(cmd, "--mem", o.mem, "--slurm: memory per node (sbatch --mem)");
  add_text_option(cmd, "--account", o.account, "--slurm: account");
  add_text_option(cmd, "--qos", o.qos, "--slurm: quality of service");
  add_integer_option(cmd, "--max-running", o.max_running, "--slurm: at most N tasks at once (0: no limit)", 0, 100000);
}


}  // namespace nas::cli

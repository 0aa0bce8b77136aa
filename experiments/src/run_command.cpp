// nas run: execute an experiment grid into a results directory (resumable).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "commands.h"
#include "runner.h"

namespace nas::cli {
namespace {

/// A progress bar on a terminal; a line every 10% otherwise (logs stay readable).
class ProgressBar {
 public:
  ProgressBar() : tty_(::isatty(STDERR_FILENO) != 0) {}
  void update(std::size_t done, std::size_t total) {
    if (total == 0) return;
    const int percent = static_cast<int>(100 * done / total);
    if (tty_) {
      const int width = 40;
      const int filled = width * percent / 100;
      std::fprintf(stderr, "\r[%s%s] %zu/%zu runs", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                   std::string(static_cast<std::size_t>(width - filled), ' ').c_str(), done, total);
      if (done == total) std::fputc('\n', stderr);
    } else if (percent / 10 != last_percent_ / 10 || done == total) {
      std::fprintf(stderr, "progress: %zu/%zu runs (%d%%)\n", done, total, percent);
    }
    last_percent_ = percent;
    std::fflush(stderr);
  }

 private:
  bool tty_;
  int last_percent_ = -1;
};

}  // namespace

void add_run_command(CLI::App& app) {
  struct Options {
    std::string config, out;
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("run", "Run an experiment grid (algorithms x spaces x datasets x seeds) into a results directory");
  cmd->add_option("config", o->config, "Experiment YAML (see configs/experiments/)")->required();
  cmd->add_option("--out", o->out, "Results directory (resumes if it holds this experiment)")->required();
  cmd->add_option("--threads", o->threads, "Worker threads")->check(CLI::Range(1, 1024))->capture_default_str();
  cmd->callback([o] {
    ProgressBar bar;
    const auto report = experiments::run_experiment(o->config, o->out, o->threads,
                                                    [&](std::size_t done, std::size_t total) { bar.update(done, total); });
    const nlohmann::ordered_json summary{{"out", o->out},
                                         {"total_runs", report.total_runs},
                                         {"already_done", report.already_done},
                                         {"executed", report.executed},
                                         {"wall_seconds", report.wall_seconds}};
    std::cout << summary.dump() << "\n";
  });
}

}  // namespace nas::cli

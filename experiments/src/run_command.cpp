// nas run: execute an experiment grid into a results directory (resumable).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_options.h"
#include "commands.h"
#include "progress.h"
#include "runner.h"

namespace nas::cli {
void add_run_command(CLI::App& app) {
  struct Options {
    std::string config, out;
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    bool quiet = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("run", "Run an experiment grid (algorithms x spaces x datasets x seeds) into a results directory");
  add_text_option(*cmd, "config", o->config, "Experiment YAML (see configs/experiments/)")->required();
  add_text_option(*cmd, "--out", o->out, "Results directory (resumes if it holds this experiment)")->required();
  add_integer_option(*cmd, "--threads", o->threads, "Worker threads", 1, 1024)->capture_default_str();
  cmd->add_flag("--quiet", o->quiet, "No progress on stderr (runs done; the live training of weight-sharing runs)");
  cmd->callback([o] {
    ProgressLine bar("runs");
    // Each weight-sharing run (they run one after another) shows its training live.
    experiments::TrainingProgressFactory live;
    if (!o->quiet) {
      live = [](const std::string& algorithm, const std::string& space, const std::string& dataset, std::uint64_t seed) {
        return std::make_unique<TrainingProgressCallbacks>(algorithm + " " + space + " " + dataset + " seed " + std::to_string(seed),
                                                           false);
      };
    }
    const auto report = experiments::run_experiment(o->config, o->out, o->threads,
                                                    [&](std::size_t done, std::size_t total) {
                                                      if (!o->quiet) bar.update(done, total);
                                                    },
                                                    live);
    const nlohmann::ordered_json summary{{"out", o->out},
                                         {"total_runs", report.total_runs},
                                         {"already_done", report.already_done},
                                         {"executed", report.executed},
                                         {"wall_seconds", report.wall_seconds}};
    std::cout << summary.dump() << "\n";
  });
}

}  // namespace nas::cli

// nas run: execute an experiment grid into a results directory (resumable).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_options.h"
#include "commands.h"
#include "experiment_config.h"
#include "generate.h"
#include "session.h"
#include "nas/benchmark_api/error.h"
#include "progress.h"
#include "runner.h"
#include "slurm.h"

namespace nas::cli {
void add_run_command(CLI::App& app) {
  struct Options {
    std::string config, out, shard = "1/1";
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    bool quiet = false, merge = false, slurm = false;
    experiments::SlurmOptions slurm_options;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("run", "Run an experiment grid (algorithms x spaces x datasets x seeds) into a results directory");
  add_text_option(*cmd, "config", o->config, "Experiment YAML (see configs/experiments/; not needed with --merge)");
  add_text_option(*cmd, "--out", o->out, "Results directory (resumes if it holds this experiment)")->required();
  add_integer_option(*cmd, "--threads", o->threads, "Worker threads", 1, 1024)->capture_default_str();
  cmd->add_flag("--quiet", o->quiet, "No progress on stderr (runs done; the live training of weight-sharing runs)");
  add_text_option(*cmd, "--shard", o->shard, "Run only share K of N of the grid's runs, into OUT/shards/K-of-N (K/N)")
      ->capture_default_str();
  cmd->add_flag("--merge", o->merge, "Merge the shard results under OUT/shards into OUT's results store");
  add_slurm_options(*cmd, o->slurm, o->slurm_options);
  cmd->callback([o] {
    if (o->merge) {
      const auto report = experiments::merge_shards(o->out);
      std::cout << nlohmann::ordered_json{{"out", o->out},
                                          {"shards", report.shards},
                                          {"runs_added", report.runs_added},
                                          {"runs_already_there", report.runs_already_there},
                                          {"missing_shards", report.missing_shards}}
                       .dump()
                << "\n";
      return;
    }
    if (o->config.empty()) throw Error("nas run needs the experiment file (or --merge)");
    const std::pair<int, int> shard = experiments::parse_shard(o->shard);
    if (o->slurm) {
      // The config is checked before the job is submitted (keys, types, searchers); what only a
      // run can find (a missing benchmark or data) lands in the tasks' logs.
      {
        const experiments::ExperimentFile file = experiments::read_experiment_file(o->config);
        experiments::load_experiment(file, experiments::make_registry(experiments::read_plugin_list(file), true));
      }
      const std::string out = std::filesystem::absolute(o->out).string();
      std::vector<std::string> command = {experiments::shell_quote(experiments::nas_executable()), "run",
                                          experiments::shell_quote(std::filesystem::absolute(o->config).string()), "--out",
                                          experiments::shell_quote(out), "--threads", std::to_string(o->threads), "--quiet"};
      o->slurm_options.job_name = "nas-run";
      std::filesystem::create_directories(out);
      const std::string script = out + "/slurm/run-" + std::to_string(::getpid()) + ".sbatch";
      const std::string job = experiments::submit_array(o->slurm_options, command, script, out + "/slurm/logs");
      std::cout << nlohmann::ordered_json{{"job_id", job}, {"tasks", o->slurm_options.tasks}, {"script", script}, {"out", out}}.dump()
                << "\n";
      return;
    }
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
                                                    live, shard);
    const nlohmann::ordered_json summary{{"out", shard.second > 1 ? experiments::shard_dir(o->out, shard.first, shard.second) : o->out},
                                         {"total_runs", report.total_runs},
                                         {"already_done", report.already_done},
                                         {"executed", report.executed},
                                         {"wall_seconds", report.wall_seconds}};
    std::cout << summary.dump() << "\n";
  });
}

}  // namespace nas::cli

// nas bench generate | collect: regenerate a benchmark with nas train's protocol, locally, as one
// shard of it, or as a Slurm job array; merge the records into a store.
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli_options.h"
#include "commands.h"
#include "generate.h"
#include "nas/benchmark_api/error.h"
#include "progress.h"
#include "session.h"
#include "slurm.h"

namespace nas::cli {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

std::vector<std::string> split_list(const std::string& text, const std::string& option) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(start, end - start);
    if (part.empty()) throw Error(option + " '" + text + "' has an empty item");
    out.push_back(part);
    start = end + 1;
  }
  return out;
}

std::int64_t list_integer(const std::string& text, const std::string& option, std::int64_t min, std::int64_t max) {
  if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != std::string::npos || std::stoll(text) < min ||
      std::stoll(text) > max) {
    throw Error(option + ": '" + text + "' is not an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return std::stoll(text);
}

std::string timestamp() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", std::localtime(&now));
  return text;
}

}  // namespace

void add_generate_commands(CLI::App& bench_cmd) {
  struct Options {
    std::string space, archs, seeds, hps, datasets, data, out, device = "cpu", shard = "1/1";
    std::vector<std::string> sets;
    int torch_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    bool quiet = false, slurm = false;
    experiments::SlurmOptions slurm_options;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = bench_cmd.add_subcommand(
      "generate", "Train (arch, seed, hp, dataset) items with nas train's protocol into a work folder (resumable, shardable, Slurm)");
  add_text_option(*cmd, "--space", o->space, "Search space: " + bench::space_names())->required();
  add_text_option(*cmd, "--archs", o->archs, "Arch indices: all, N, A-B or a comma list (e.g. 0-389)")->required();
  add_text_option(*cmd, "--seeds", o->seeds, "Trial seeds, comma-separated (default: the benchmark's first)");
  add_text_option(*cmd, "--hp", o->hps, "Schedules, comma-separated (default: nas train's)");
  add_text_option(*cmd, "--datasets", o->datasets, "Dataset keys, comma-separated (default: every key of the space)");
  add_text_option(*cmd, "--set", o->sets, "Override a protocol field, key=value (repeatable)");
  add_text_option(*cmd, "--data", o->data, "Image data folder (default: $NAS_DATA)");
  add_text_option(*cmd, "--out", o->out, "Work folder (plan, records, checkpoints)")->required();
  add_text_option(*cmd, "--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
  add_integer_option(*cmd, "--torch-threads", o->torch_threads, "LibTorch CPU threads", 1, 1024)->capture_default_str();
  add_text_option(*cmd, "--shard", o->shard, "Train only share K of N of the items (K/N)")->capture_default_str();
  cmd->add_flag("--quiet", o->quiet, "No progress on stderr");
  add_slurm_options(*cmd, o->slurm, o->slurm_options);
  cmd->callback([o] {
    const bench::Space space = bench::parse_space(o->space);
    const bench::SpaceDefinition& definition = bench::space_definition(space);
    experiments::GeneratePlan plan;
    plan.space = space;
    plan.archs = experiments::parse_arch_ranges(o->archs, definition);
    const std::pair<int, int> shard = experiments::parse_shard(o->shard);
    for (const std::string& d : o->datasets.empty() ? std::vector<std::string>{} : split_list(o->datasets, "--datasets")) {
      const bench::Dataset dataset = bench::parse_dataset(d);
      definition.require_dataset(dataset);
      plan.datasets.push_back(dataset);
    }
    if (plan.datasets.empty()) plan.datasets = definition.datasets();
    for (const std::string& h : o->hps.empty() ? std::vector<std::string>{} : split_list(o->hps, "--hp")) {
      plan.hps.push_back(static_cast<int>(list_integer(h, "--hp", 1, 10000)));
    }
    for (const std::string& s : o->seeds.empty() ? std::vector<std::string>{} : split_list(o->seeds, "--seeds")) {
      plan.seeds.push_back(static_cast<std::int32_t>(list_integer(s, "--seeds", 0, INT32_MAX)));
    }
    plan.overrides = experiments::parse_assignments(o->sets);
    algorithms::TrainingEnvironment environment;
    environment.data_root = experiments::data_root_or_env(o->data);
    if (!environment.data_root.empty()) environment.data_root = fs::absolute(environment.data_root).string();
    environment.device = o->device;
    environment.threads = o->torch_threads;

    // The protocol of every schedule, and every (dataset, hp, seed), checked before the folder is touched.
    const algorithms::SearcherRegistry registry = experiments::make_registry({}, /*with_weight_sharing=*/true);
    const algorithms::ArchitectureTrainer& trainer = registry.architecture_trainer();
    auto checked = [&](algorithms::TrainingJob job) {
      job.environment = environment;
      job.overrides = plan.overrides;
      auto fields = trainer.check(job);
      return std::make_pair(job, fields);
    };
    {
      algorithms::TrainingJob first;
      first.space = space;
      first.arch = plan.archs.front();
      first.dataset = plan.datasets.front();
      first.hp = plan.hps.empty() ? 0 : plan.hps.front();
      first.seed = plan.seeds.empty() ? -1 : plan.seeds.front();
      const auto [filled, fields] = checked(first);
      if (plan.hps.empty()) plan.hps.push_back(filled.hp);
      if (plan.seeds.empty()) plan.seeds.push_back(filled.seed);
    }
    for (int hp : plan.hps) {
      std::vector<std::pair<std::string, std::string>> protocol;
      for (bench::Dataset dataset : plan.datasets) {
        for (std::int32_t seed : plan.seeds) {
          algorithms::TrainingJob job;
          job.space = space;
          job.arch = plan.archs.front();
          job.dataset = dataset;
          job.hp = hp;
          job.seed = seed;
          protocol = checked(job).second;
        }
      }
      plan.protocols.push_back(protocol);
    }
    experiments::bind_plan(o->out, plan);

    if (o->slurm) {
      const std::string workdir = fs::absolute(o->out).string();
      std::vector<std::string> command = {experiments::shell_quote(experiments::nas_executable()), "bench", "generate", "--space",
                                          experiments::shell_quote(o->space), "--archs", experiments::shell_quote(o->archs)};
      auto join = [](const std::vector<int>& v) {
        std::string s;
        for (int x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
        return s;
      };
      std::vector<int> seeds(plan.seeds.begin(), plan.seeds.end());
      std::string datasets;
      for (bench::Dataset d : plan.datasets) datasets += (datasets.empty() ? "" : ",") + std::string(bench::dataset_name(d));
      for (const std::string& word : {std::string("--seeds"), experiments::shell_quote(join(seeds)), std::string("--hp"),
                                      experiments::shell_quote(join(plan.hps)), std::string("--datasets"),
                                      experiments::shell_quote(datasets), std::string("--out"), experiments::shell_quote(workdir),
                                      std::string("--device"), experiments::shell_quote(o->device), std::string("--torch-threads"),
                                      std::to_string(o->torch_threads), std::string("--quiet")}) {
        command.push_back(word);
      }
      if (!environment.data_root.empty()) {
        command.push_back("--data");
        command.push_back(experiments::shell_quote(environment.data_root));
      }
      for (const std::string& assignment : o->sets) {
        command.push_back("--set");
        command.push_back(experiments::shell_quote(assignment));
      }
      o->slurm_options.job_name = "nas-generate";
      const fs::path slurm_dir = fs::path(workdir) / "slurm";
      const std::string script = (slurm_dir / ("generate-" + timestamp() + ".sbatch")).string();
      const std::string job = experiments::submit_array(o->slurm_options, command, script, (slurm_dir / "logs").string());
      std::cout << Json{{"job_id", job}, {"tasks", o->slurm_options.tasks}, {"items", plan.num_items()}, {"script", script},
                        {"workdir", workdir}}
                       .dump()
                << "\n";
      return;
    }

    TrainProgressCallbacks progress("generate", o->quiet);
    const auto report = experiments::generate(
        o->out, plan, shard, environment, trainer, progress,
        [&](std::size_t i, std::size_t n, const algorithms::TrainingJob& job) {
          if (o->quiet) return;
          std::fprintf(stderr, "progress: generate shard %d/%d: item %zu/%zu: %s\n", shard.first, shard.second, i, n,
                       experiments::item_name(job).c_str());
          std::fflush(stderr);
        });
    std::cout << Json{{"workdir", o->out},
                      {"shard", o->shard},
                      {"items", plan.num_items()},
                      {"shard_items", report.shard_items},
                      {"already_done", report.already_done},
                      {"trained", report.trained},
                      {"left_to_other_tasks", report.busy},
                      {"wall_seconds", report.wall_seconds}}
                     .dump()
              << "\n";
  });

  struct CollectOptions {
    std::string workdir, out;
  };
  auto c = std::make_shared<CollectOptions>();
  CLI::App* collect_cmd = bench_cmd.add_subcommand("collect", "Merge a generate work folder's records into a store");
  add_text_option(*collect_cmd, "workdir", c->workdir, "The work folder of nas bench generate")->required();
  add_text_option(*collect_cmd, "--out", c->out, "The store file to write")->required();
  collect_cmd->callback([c] {
    const auto started = std::chrono::steady_clock::now();
    const auto report = experiments::collect(c->workdir, c->out);
    Json missing = Json::array();
    for (std::size_t i = 0; i < report.missing.size() && i < 20; ++i) missing.push_back(report.missing[i]);
    std::cout << Json{{"out", c->out},
                      {"expected", report.expected},
                      {"found", report.found},
                      {"coverage", static_cast<double>(report.found) / static_cast<double>(report.expected)},
                      {"missing_count", report.missing.size()},
                      {"missing", missing},
                      {"wall_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}}
                     .dump()
              << "\n";
  });
}

}  // namespace nas::cli

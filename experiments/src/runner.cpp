// The experiment runner.
#include "runner.h"

#include <chrono>
#include <cinttypes>
#include <ctime>
#include <fstream>
#include <mutex>

#include "nas/benchmark_api/error.h"
#include "parallel.h"
#include "results_store.h"
#include "run.h"
#include "session.h"

namespace nas::experiments {
namespace {

struct Job {
  const AlgorithmSpec* algorithm;
  bench::Dataset dataset;
  std::uint64_t seed;
};

std::string checksum_hex(std::uint64_t checksum) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016" PRIx64, checksum);
  return hex;
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return text;
}

bench::Benchmark open_named_benchmark(const ExperimentConfig& config) {
  if (config.benchmark == "shipped") return bench::Benchmark::open_default(config.space);
  bench::Benchmark benchmark = bench::Benchmark::open(config.benchmark);
  if (benchmark.space() != config.space) {
    throw Error("benchmark " + config.benchmark + " is a " + std::string(bench::space_name(benchmark.space())) +
                " benchmark, but the experiment's space is " + std::string(bench::space_name(config.space)));
  }
  return benchmark;
}

}  // namespace

RunnerReport run_experiment(const std::string& config_path, const std::string& out_dir, int threads,
                            const RunnerProgress& progress) {
  const auto started = std::chrono::steady_clock::now();
  const algorithms::SearcherRegistry registry = make_registry(read_plugin_list(config_path));
  const ExperimentConfig config = load_experiment(config_path, registry);
  const bench::Benchmark benchmark = open_named_benchmark(config);
  const auto space = bench::make_search_space(config.space);
  const std::string hash = config_hash(config);
  const std::string benchmark_checksum = checksum_hex(benchmark.store().checksum());

  ResultsStore store = ResultsStore::open(out_dir);
  const auto metadata = store.metadata();
  if (metadata.empty()) {
    YAML::Emitter emitter;
    emitter << to_yaml(config);
    store.set_metadata({{"schema_version", "1"},
                        {"config_hash", hash},
                        {"config", emitter.c_str()},
                        {"nas_version", std::string(bench::nas_version())},
                        {"benchmark_path", config.benchmark == "shipped" ? std::string("shipped") : config.benchmark},
                        {"benchmark_checksum", benchmark_checksum},
                        {"space", std::string(bench::space_name(config.space))},
                        {"created_at", now_utc()}});
    std::ofstream(out_dir + "/config.resolved.yaml") << emitter.c_str() << "\n";
  } else if (metadata.count("config_hash") == 0 || metadata.at("config_hash") != hash) {
    throw Error(out_dir + " holds results of a different experiment config (hash " +
                (metadata.count("config_hash") ? metadata.at("config_hash") : std::string("?")) + ", this one " + hash +
                "); choose another --out directory");
  } else if (metadata.at("benchmark_checksum") != benchmark_checksum) {
    throw Error(out_dir + " was computed on a different benchmark (checksum " + metadata.at("benchmark_checksum") +
                ", now " + benchmark_checksum + "); choose another --out directory");
  }

  const auto done = store.finished_runs();
  std::vector<Job> jobs;
  RunnerReport report;
  for (const AlgorithmSpec& algorithm : config.algorithms) {
    for (bench::Dataset dataset : config.datasets) {
      for (int r = 0; r < config.runs; ++r) {
        const std::uint64_t seed = config.first_seed + static_cast<std::uint64_t>(r);
        ++report.total_runs;
        if (done.count({algorithm.label, std::string(bench::dataset_name(dataset)), seed}) != 0) {
          ++report.already_done;
        } else {
          jobs.push_back({&algorithm, dataset, seed});
        }
      }
    }
  }

  std::mutex write_mutex;
  std::size_t finished = report.already_done;
  if (progress) progress(finished, report.total_runs);
  parallel_for(jobs.size(), threads, [&](std::size_t i) {
    const Job& job = jobs[i];
    RunSpec spec;
    spec.algorithm = job.algorithm->name;
    spec.config = job.algorithm->config;
    spec.dataset = job.dataset;
    spec.seed = job.seed;
    spec.budget = config.budget_for(job.dataset);
    const RunOutcome outcome = execute_run(spec, registry, benchmark, *space);
    const std::lock_guard<std::mutex> lock(write_mutex);
    store.add_run(job.algorithm->label, std::string(bench::dataset_name(job.dataset)), outcome, spec.budget);
    ++finished;
    ++report.executed;
    if (progress) progress(finished, report.total_runs);
  });
  report.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace nas::experiments

// The experiment runner.
#include "runner.h"

#include <chrono>
#include <cinttypes>
#include <ctime>
#include <cstdlib>
#include <filesystem>
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
  const algorithms::SearcherRegistry registry = make_registry(read_plugin_list(config_path), /*with_weight_sharing=*/true);
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
  std::vector<Job> jobs, training_jobs;  // query-based runs in parallel; supernet trainings one at a time
  RunnerReport report;
  for (const AlgorithmSpec& algorithm : config.algorithms) {
    for (bench::Dataset dataset : config.datasets) {
      for (int r = 0; r < config.runs; ++r) {
        const std::uint64_t seed = config.first_seed + static_cast<std::uint64_t>(r);
        ++report.total_runs;
        if (done.count({algorithm.label, std::string(bench::dataset_name(dataset)), seed}) != 0) {
          ++report.already_done;
        } else {
          const bool trains = registry.get(algorithm.name).family == "weight-sharing";
          (trains ? training_jobs : jobs).push_back({&algorithm, dataset, seed});
        }
      }
    }
  }

  std::mutex write_mutex;
  std::size_t finished = report.already_done;
  if (progress) progress(finished, report.total_runs);
  auto run_job = [&](const Job& job) {
    const std::string dataset = std::string(bench::dataset_name(job.dataset));
    RunSpec spec;
    spec.algorithm = job.algorithm->name;
    spec.config = job.algorithm->config;
    spec.dataset = job.dataset;
    spec.seed = job.seed;
    spec.budget = config.budget_for(job.dataset);
    spec.environment.data_root = config.data;
    if (spec.environment.data_root.empty()) {
      if (const char* env = std::getenv("NAS_DATA")) spec.environment.data_root = env;
    }
    spec.environment.device = config.device;
    spec.environment.threads = config.torch_threads;
    // Weight-sharing runs checkpoint at every epoch end and log the epoch to the store.
    const std::string checkpoint_dir = out_dir + "/checkpoints";
    spec.environment.checkpoint_path =
        checkpoint_dir + "/" + job.algorithm->label + "-" + dataset + "-" + std::to_string(job.seed) + ".pt";
    class EpochLogger final : public algorithms::SearchCallbacks {
     public:
      EpochLogger(std::function<void(const algorithms::EpochRecord&)> log) : log_(std::move(log)) {}
      void on_epoch(const algorithms::EpochRecord& record) override { log_(record); }

     private:
      std::function<void(const algorithms::EpochRecord&)> log_;
    } logger([&](const algorithms::EpochRecord& record) {
      const std::lock_guard<std::mutex> lock(write_mutex);
      store.add_epoch(job.algorithm->label, dataset, job.seed, record);
    });
    if (registry.get(job.algorithm->name).family == "weight-sharing") std::filesystem::create_directories(checkpoint_dir);
    const RunOutcome outcome = execute_run(spec, registry, benchmark, *space, &logger);
    const std::lock_guard<std::mutex> lock(write_mutex);
    store.add_run(job.algorithm->label, dataset, outcome, spec.budget);
    std::filesystem::remove(spec.environment.checkpoint_path);  // the run is stored; its checkpoint is done
    ++finished;
    ++report.executed;
    if (progress) progress(finished, report.total_runs);
  };
  parallel_for(jobs.size(), threads, [&](std::size_t i) { run_job(jobs[i]); });
  for (const Job& job : training_jobs) run_job(job);
  report.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace nas::experiments

// The experiment runner.
#include "runner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cinttypes>
#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "folder_lock.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"
#include "nas/benchmark_api/text.h"
#include "parallel.h"
#include "results_store.h"
#include "run.h"
#include "session.h"

namespace nas::experiments {
namespace {

struct Job {
  const AlgorithmSpec* algorithm;
  bench::Space space;
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

/// The benchmark of one space, as the experiment names it ("shipped" or a store path).
bench::Benchmark open_space_benchmark(bench::Space space, const std::string& named) {
  const std::string where = "benchmarks." + std::string(bench::space_name(space));
  if (named == "shipped") return bench::Benchmark::open_default(space);
  if (!std::filesystem::exists(named)) {
    throw Error(where + ": no benchmark store at " + named +
                " (create one from the official files with `nas bench import nats --src DIR --out FILE`)");
  }
  bench::Benchmark benchmark = [&] {
    try {
      return bench::Benchmark::open(named);
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
  }();
  if (benchmark.space() != space) {
    throw Error(where + ": " + named + " is a " + std::string(bench::space_name(benchmark.space())) +
                " benchmark, not a " + std::string(bench::space_name(space)) + " one");
  }
  return benchmark;
}

/// Where the report finds a space's benchmark again: "shipped", or the store's absolute path (so a
/// report made from another working directory opens the same file).
std::string recorded_path(const std::string& named) {
  if (named == "shipped") return named;
  return std::filesystem::absolute(named).lexically_normal().string();
}

int hardware_threads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

/// DIR/checkpoints/<label>-<space>-<dataset>-<seed>.pt. Labels, spaces and datasets are safe names
/// (checked where they enter), so the file is always inside the checkpoints folder; checked again
/// here because a file outside it would be overwritten and deleted.
std::string checkpoint_path(const std::string& checkpoint_dir, const RunKey& key) {
  const std::string name = key.algorithm + "-" + key.space + "-" + key.dataset + "-" + std::to_string(key.seed) + ".pt";
  if (!is_safe_name(key.algorithm) || name.find('/') != std::string::npos) {
    throw Error("label " + nas::quoted(key.algorithm) + " cannot name a checkpoint file: use " + std::string(safe_name_rule()));
  }
  return checkpoint_dir + "/" + name;
}

std::string space_list_text(const std::vector<bench::Space>& spaces) {
  std::string out;
  for (bench::Space s : spaces) out += (out.empty() ? "" : ",") + std::string(bench::space_name(s));
  return out;
}

}  // namespace

std::string shard_dir(const std::string& out_dir, int k, int n) {
  return out_dir + "/shards/" + std::to_string(k) + "-of-" + std::to_string(n);
}

RunnerReport run_experiment(const std::string& config_path, const std::string& grid_out_dir, int threads,
                            const RunnerProgress& progress, const TrainingProgressFactory& training_progress,
                            std::pair<int, int> shard) {
  const auto started = std::chrono::steady_clock::now();
  if (shard.first < 1 || shard.first > shard.second) throw Error("shard " + std::to_string(shard.first) + "/" + std::to_string(shard.second) + " does not exist");
  const std::string out_dir = shard.second > 1 ? shard_dir(grid_out_dir, shard.first, shard.second) : grid_out_dir;
  const ExperimentFile file = read_experiment_file(config_path);  // parsed once
  const algorithms::SearcherRegistry registry = make_registry(read_plugin_list(file), /*with_weight_sharing=*/true);
  const ExperimentConfig config = load_experiment(file, registry);
  std::map<bench::Space, bench::Benchmark> benchmarks;
  std::map<bench::Space, std::unique_ptr<bench::SearchSpace>> spaces;
  for (bench::Space space : config.spaces) {
    benchmarks.emplace(space, open_space_benchmark(space, config.benchmarks.at(space)));
    spaces.emplace(space, bench::make_search_space(space));
  }
  // A query-based search may propose any arch: refuse a benchmark that cannot answer all of them
  // now, not after hours of other runs.
  for (const AlgorithmSpec& algorithm : config.algorithms) {
    if (algorithm.searcher.family() != algorithms::SearcherFamily::QueryBased) continue;
    for (bench::Space space : algorithm.spaces) {
      for (bench::Dataset dataset : config.datasets) {
        algorithms::require_search_coverage(benchmarks.at(space), dataset);
      }
    }
  }
  const std::string hash = config_hash(config);
  bool has_weight_sharing = false;
  for (const AlgorithmSpec& algorithm : config.algorithms) {
    has_weight_sharing = has_weight_sharing || algorithm.searcher.family() == algorithms::SearcherFamily::WeightSharing;
  }
  // Weight-sharing results depend on the LibTorch thread count: "0 = all cores" is resolved here,
  // recorded, and a resume with another count is refused.
  const int torch_threads = config.torch_threads > 0 ? config.torch_threads : hardware_threads();

  YAML::Emitter emitter;
  emitter << to_yaml(config);
  std::map<std::string, std::string> fresh{{"schema_version", "3"},
                                           {"config_hash", hash},
                                           {"config", emitter.c_str()},
                                           {"nas_version", std::string(bench::nas_version())},
                                           {"spaces", space_list_text(config.spaces)},
                                           {"created_at", now_utc()}};
  for (bench::Space space : config.spaces) {
    const std::string name(bench::space_name(space));
    fresh["benchmark_path." + name] = recorded_path(config.benchmarks.at(space));
    fresh["benchmark_checksum." + name] = checksum_hex(benchmarks.at(space).store().checksum());
  }
  if (has_weight_sharing) fresh["torch_threads"] = std::to_string(torch_threads);

  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);  // a shard's store: OUT/shards/K-of-N
  if (ec) throw Error("cannot create results directory " + out_dir + ": " + ec.message());
  const FolderLock folder_lock(out_dir);  // held until the grid is done: one `nas run` per folder
  ResultsStore store = ResultsStore::open(out_dir);
  // The config check and the first write are one transaction (ResultsStore::claim).
  const auto metadata = store.claim(fresh, [&](const std::map<std::string, std::string>& existing) {
    const auto value = [&](const std::string& key) {
      const auto it = existing.find(key);
      return it == existing.end() ? std::string("?") : it->second;
    };
    if (value("config_hash") != hash) {
      throw Error(out_dir + " holds results of a different experiment config (hash " + value("config_hash") +
                  ", this one " + hash + "); choose another --out directory");
    }
    for (bench::Space space : config.spaces) {
      const std::string key = "benchmark_checksum." + std::string(bench::space_name(space));
      if (value(key) != fresh.at(key)) {
        throw Error(out_dir + " was computed on a different " + std::string(bench::space_name(space)) +
                    " benchmark (checksum " + value(key) + ", now " + fresh.at(key) + "); choose another --out directory");
      }
    }
    if (has_weight_sharing && existing.count("torch_threads") != 0 && value("torch_threads") != fresh.at("torch_threads")) {
      throw Error(out_dir + " holds weight-sharing runs trained with torch_threads " + value("torch_threads") +
                  ", this run would use " + fresh.at("torch_threads") +
                  " (their results depend on it); set torch_threads: " + value("torch_threads") + " to resume");
    }
  });
  // Restored on every run, so a deleted or damaged copy comes back (the store holds the original).
  write_file_atomically(out_dir + "/config.resolved.yaml", metadata.at("config") + "\n", "resolved config");

  const auto done = store.finished_runs();
  std::vector<Job> jobs, training_jobs;  // query-based runs in parallel; supernet trainings one at a time
  RunnerReport report;
  std::size_t grid_index = 0;
  for (const AlgorithmSpec& algorithm : config.algorithms) {
    const bool trains = algorithm.searcher.family() == algorithms::SearcherFamily::WeightSharing;
    for (bench::Space space : algorithm.spaces) {
      for (bench::Dataset dataset : config.datasets) {
        for (std::uint64_t seed : algorithm.seeds.seeds) {
          if (grid_index++ % static_cast<std::size_t>(shard.second) != static_cast<std::size_t>(shard.first - 1)) continue;
          ++report.total_runs;
          const RunKey key{algorithm.label, std::string(bench::space_name(space)), std::string(bench::dataset_name(dataset)),
                           seed};
          if (done.count(key) != 0) {
            ++report.already_done;
          } else {
            (trains ? training_jobs : jobs).push_back({&algorithm, space, dataset, seed});
          }
        }
      }
    }
  }

  std::mutex write_mutex;
  std::size_t finished = report.already_done;
  if (progress) progress(finished, report.total_runs);
  auto run_job = [&](const Job& job) {
    const RunKey key{job.algorithm->label, std::string(bench::space_name(job.space)),
                     std::string(bench::dataset_name(job.dataset)), job.seed};
    RunSpec spec;
    spec.searcher = job.algorithm->searcher;
    spec.dataset = job.dataset;
    spec.seed = job.seed;
    spec.budget = config.budget_for(job.space, job.dataset);
    spec.environment.data_root = data_root_or_env(config.data);
    spec.environment.device = config.device;
    spec.environment.threads = torch_threads;
    // Weight-sharing runs checkpoint at every epoch end and log the epoch to the store.
    const std::string checkpoint_dir = out_dir + "/checkpoints";
    spec.checkpoint_path = checkpoint_path(checkpoint_dir, key);
    // The live progress of a weight-sharing run, if the caller shows it.
    std::unique_ptr<algorithms::SearchCallbacks> live;
    if (training_progress && spec.searcher.family() == algorithms::SearcherFamily::WeightSharing) {
      live = training_progress(key.algorithm, key.space, key.dataset, key.seed);
    }
    class EpochLogger final : public algorithms::SearchCallbacks {
     public:
      EpochLogger(std::function<void(const algorithms::EpochRecord&)> log, algorithms::SearchCallbacks* live)
          : log_(std::move(log)), live_(live) {}
      void on_batch(const algorithms::BatchProgress& progress) override {
        if (live_ != nullptr) live_->on_batch(progress);
      }
      void on_epoch(const algorithms::EpochRecord& record) override {
        log_(record);
        if (live_ != nullptr) live_->on_epoch(record);
      }

     private:
      std::function<void(const algorithms::EpochRecord&)> log_;
      algorithms::SearchCallbacks* live_;
    } logger(
        [&](const algorithms::EpochRecord& record) {
          const std::lock_guard<std::mutex> lock(write_mutex);
          store.add_epoch(key, record);
        },
        live.get());
    if (spec.searcher.family() == algorithms::SearcherFamily::WeightSharing) std::filesystem::create_directories(checkpoint_dir);
    const RunOutcome outcome = execute_run(spec, benchmarks.at(job.space), *spaces.at(job.space), &logger);
    const std::lock_guard<std::mutex> lock(write_mutex);
    store.add_run(key.algorithm, key.space, key.dataset, outcome, spec.budget);
    std::filesystem::remove(spec.checkpoint_path);  // the run is stored; its checkpoint is done
    ++finished;
    ++report.executed;
    if (progress) progress(finished, report.total_runs);
  };
  parallel_for(jobs.size(), threads, [&](std::size_t i) { run_job(jobs[i]); });
  for (const Job& job : training_jobs) run_job(job);
  report.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

MergeReport merge_shards(const std::string& out_dir) {
  namespace fs = std::filesystem;
  const fs::path shards_dir = fs::path(out_dir) / "shards";
  std::error_code ec;
  if (!fs::is_directory(shards_dir, ec)) throw Error(out_dir + " has no shards/ folder: nothing to merge (run the grid with --shard or --slurm)");
  // K-of-N folders, all of one N.
  std::map<int, std::string> found;
  int n = 0;
  for (const auto& entry : fs::directory_iterator(shards_dir)) {
    const std::string name = entry.path().filename().string();
    int k = 0, total = 0;
    char tail = 0;
    if (!entry.is_directory() || std::sscanf(name.c_str(), "%d-of-%d%c", &k, &total, &tail) != 2 || k < 1 || k > total) {
      throw Error(entry.path().string() + " is not a shard folder (K-of-N)");
    }
    if (n != 0 && total != n) throw Error(shards_dir.string() + " holds shards of " + std::to_string(n) + " and of " + std::to_string(total) + " tasks");
    n = total;
    if (fs::exists(entry.path() / "results.sqlite")) found[k] = entry.path().string();
  }
  MergeReport report;
  for (int k = 1; k <= n; ++k) {
    if (found.count(k) == 0) report.missing_shards.push_back(std::to_string(k) + "-of-" + std::to_string(n));
  }
  if (found.empty()) throw Error(shards_dir.string() + " holds no shard results yet");
  // Every shard must be of one experiment: compared before anything is written.
  std::map<std::string, std::string> reference;
  std::string reference_dir;
  std::vector<ResultsStore> shard_stores;
  for (const auto& [k, dir] : found) {
    shard_stores.push_back(ResultsStore::open_existing(dir));
    std::map<std::string, std::string> meta = shard_stores.back().metadata();
    meta.erase("created_at");
    if (reference_dir.empty()) {
      reference = meta;
      reference_dir = dir;
      continue;
    }
    for (const auto& [key, value] : reference) {
      const auto it = meta.find(key);
      if (it == meta.end() || it->second != value) {
        throw Error("cannot merge " + dir + " with " + reference_dir + ": they hold results of different experiments (" + key +
                    " differs)");
      }
    }
  }
  fs::create_directories(out_dir, ec);
  const FolderLock folder_lock(out_dir);
  ResultsStore store = ResultsStore::open(out_dir);
  std::map<std::string, std::string> fresh = reference;
  fresh["created_at"] = now_utc();
  const auto metadata = store.claim(fresh, [&](const std::map<std::string, std::string>& existing) {
    for (const auto& [key, value] : reference) {
      if (key.rfind("benchmark_path.", 0) == 0) continue;  // the same store may be named from another folder
      const auto it = existing.find(key);
      if (it == existing.end() || it->second != value) {
        throw Error("cannot merge into " + out_dir + ": it holds results of a different experiment than the shards (" + key +
                    " differs)");
      }
    }
  });
  write_file_atomically(out_dir + "/config.resolved.yaml", metadata.at("config") + "\n", "resolved config");
  std::set<RunKey> done = store.finished_runs();
  for (const ResultsStore& shard_store : shard_stores) {
    ++report.shards;
    for (const ResultsStore::StoredRun& run : shard_store.runs(/*with_trajectories=*/true)) {
      const RunKey key{run.algorithm, run.space, run.dataset, run.outcome.seed};
      if (done.count(key) != 0) {
        ++report.runs_already_there;
        continue;
      }
      for (const algorithms::EpochRecord& epoch : shard_store.epochs(key)) store.add_epoch(key, epoch);
      store.add_run(run.algorithm, run.space, run.dataset, run.outcome, algorithms::Budget{run.budget_seconds, run.budget_queries});
      done.insert(key);
      ++report.runs_added;
    }
  }
  return report;
}

}  // namespace nas::experiments

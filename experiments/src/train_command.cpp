// nas train: one architecture trained from scratch with its benchmark's protocol, its trial record
// written for `nas bench import trained`, optionally compared with the benchmark's own trials.
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "cli_options.h"
#include "commands.h"
#include "json_util.h"
#include "nas/algorithms/architecture_trainer.h"
#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"
#include "nas/benchmark_api/store.h"
#include "nas/benchmark_api/trial_record.h"
#include "progress.h"
#include "session.h"

namespace nas::cli {
namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

/// One compared quantity: ours at the schedule's end (as the store row of our record holds it)
/// against every trial of the benchmark for the same (arch, key, set, quantity, hp).
struct Comparison {
  bench::ColumnKey key;
  double ours = 0;
  std::vector<std::pair<std::int32_t, double>> official;  ///< (seed, value); seed kMeanSeed: only a mean is stored
};

/// Our record as store rows (SpaceDefinition::add_trial, in a temporary store file), compared
/// column by column with the benchmark's.
std::vector<Comparison> compare_with(const bench::TrialRecord& record, const bench::Benchmark& benchmark) {
  const bench::SpaceDefinition& definition = bench::space_definition(record.space);
  bench::StoreWriter writer(record.space, "nas train record (comparison)");
  definition.add_trial(record, writer);
  const fs::path temporary = fs::temp_directory_path() / ("nas_train_compare_" + std::to_string(::getpid()) + ".nasbench");
  writer.write(temporary.string());
  std::vector<Comparison> out;
  try {
    const bench::Store ours = bench::Store::open(temporary.string());
    const bench::Store& theirs = benchmark.store();
    for (const bench::Column& column : ours.columns()) {
      const bench::ColumnKey key = column.key();
      if (key.quantity != bench::Quantity::Accuracy && key.quantity != bench::Quantity::Loss) continue;
      Comparison c{key, column.value(record.index), {}};
      for (std::int32_t seed : theirs.seeds(key.dataset, key.hp)) {
        bench::ColumnKey other = key;
        other.seed = seed;
        if (const bench::Column* found = theirs.find(other); found != nullptr) {
          const double v = found->value(record.index);
          if (!std::isnan(v)) c.official.emplace_back(seed, v);
        }
      }
      if (c.official.empty()) {
        bench::ColumnKey mean = key;
        mean.seed = bench::kMeanSeed;
        if (const bench::Column* found = theirs.find(mean); found != nullptr && !std::isnan(found->value(record.index))) {
          c.official.emplace_back(bench::kMeanSeed, found->value(record.index));
        }
      }
      out.push_back(std::move(c));
    }
  } catch (...) {
    fs::remove(temporary);
    throw;
  }
  fs::remove(temporary);
  return out;
}

Json comparison_json(const std::vector<Comparison>& comparisons, const bench::Benchmark& benchmark) {
  Json rows = Json::array();
  for (const Comparison& c : comparisons) {
    Json row;
    row["set"] = std::string(bench::eval_set_name(c.key.set));
    row["quantity"] = std::string(bench::quantity_name(c.key.quantity));
    row["hp"] = c.key.hp;
    row["ours"] = c.ours;
    Json official = Json::object();
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    for (const auto& [seed, value] : c.official) {
      official[seed == bench::kMeanSeed ? "mean" : std::to_string(seed)] = value;
      lo = std::min(lo, value);
      hi = std::max(hi, value);
      sum += value;
    }
    row["official"] = official;
    if (c.official.empty()) {
      row["official_mean"] = nullptr;
      row["within_official_range"] = nullptr;
    } else {
      row["official_mean"] = sum / static_cast<double>(c.official.size());
      row["within_official_range"] = c.official.size() > 1 ? Json(c.ours >= lo && c.ours <= hi) : Json(nullptr);
    }
    rows.push_back(std::move(row));
  }
  char checksum[17];
  std::snprintf(checksum, sizeof checksum, "%016llx", static_cast<unsigned long long>(benchmark.store().checksum()));
  return Json{{"benchmark", benchmark.store().path()}, {"benchmark_checksum", checksum}, {"rows", std::move(rows)}};
}

void print_comparison(const Json& compare) {
  std::cout << "compared with " << compare["benchmark"].get<std::string>() << ":\n";
  for (const Json& row : compare["rows"]) {
    std::cout << "  " << row["set"].get<std::string>() << " " << row["quantity"].get<std::string>() << ": ours " << row["ours"].dump();
    if (row["official"].empty()) {
      std::cout << ", the benchmark has no trial of this arch at hp " << row["hp"].dump() << "\n";
      continue;
    }
    std::cout << ", benchmark (seed: value) " << row["official"].dump();
    if (!row["within_official_range"].is_null()) {
      std::cout << (row["within_official_range"].get<bool>() ? " (within its seeds' range)" : " (outside its seeds' range)");
    }
    std::cout << "\n";
  }
}

/// The final value of each recorded set, for the summary.
Json final_values(const bench::TrialRecord& record) {
  Json out = Json::object();
  for (const auto& [set, series] : record.sets) {
    const int e = record.last_evaluated_epoch(set);
    if (e < 0) continue;
    out[std::string(bench::eval_set_name(set))] = {{"epoch", e},
                                                   {"loss", series.loss[static_cast<std::size_t>(e)]},
                                                   {"accuracy", series.accuracy[static_cast<std::size_t>(e)]}};
  }
  return out;
}

}  // namespace

void add_train_command(CLI::App& app) {
  struct Options {
    std::string space, arch, dataset, data, device = "cpu", checkpoint, out, bench_file;
    std::optional<std::int64_t> index;
    int hp = 0;
    std::optional<std::int64_t> seed;
    std::vector<std::string> sets;
    int torch_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    bool json = false, quiet = false, compare = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "train", "Train one architecture from scratch with its benchmark's own protocol (NATS-Bench, NAS-Bench-Macro, "
               "NAS-Bench-101) and write its trial record");
  add_text_option(*cmd, "--space", o->space, "Search space: " + bench::space_names())->required();
  auto* arch = add_text_option(*cmd, "--arch", o->arch, "The architecture, in the space's text");
  auto* index = add_integer_option(*cmd, "--index", o->index, "The architecture's index in the space", 0, UINT32_MAX);
  arch->excludes(index);
  add_text_option(*cmd, "--dataset", o->dataset, "A dataset key of the space (default: the space's only one)");
  add_integer_option(*cmd, "--hp", o->hp,
                     "The benchmark schedule whose protocol is used, in epochs (tss 12|200, sss 1|12|90, nb101 4|12|36|108, "
                     "macro 50; default: tss/sss 12, nb101 108, macro 50)",
                     1, 10000);
  add_integer_option(*cmd, "--seed", o->seed, "Trial seed (default: the benchmark's first, NATS 777, macro 0, nb101 1)", 0,
                     INT32_MAX);
  add_text_option(*cmd, "--set", o->sets, "Override a protocol field, key=value (repeatable; e.g. epochs=2)");
  add_text_option(*cmd, "--data", o->data, "Image data folder (default: $NAS_DATA)");
  add_text_option(*cmd, "--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
  add_integer_option(*cmd, "--torch-threads", o->torch_threads, "LibTorch CPU threads", 1, 1024)->capture_default_str();
  add_text_option(*cmd, "--checkpoint", o->checkpoint, "Checkpoint file, written after every epoch (resumes if present)");
  add_text_option(*cmd, "--out", o->out, "Trial record file to write (JSON; nas bench import trained reads it)")->required();
  cmd->add_flag("--compare", o->compare, "Compare the result with the benchmark's own trials of the arch");
  add_text_option(*cmd, "--bench", o->bench_file, "Benchmark store to compare with (default: the shipped one)");
  cmd->add_flag("--json", o->json, "Print one JSON line");
  cmd->add_flag("--quiet", o->quiet, "No progress on stderr");
  cmd->callback([o] {
    const bench::Space space = bench::parse_space(o->space);
    const bench::SpaceDefinition& definition = bench::space_definition(space);
    if (o->arch.empty() && !o->index) throw Error("give the architecture with --arch or --index");
    algorithms::TrainingJob job;
    job.space = space;
    if (o->index) {
      if (*o->index >= definition.num_archs()) {
        throw Error("--index " + std::to_string(*o->index) + " is outside the " + std::string(definition.name()) +
                    " space (0.." + std::to_string(definition.num_archs() - 1) + ")");
      }
      job.arch = static_cast<bench::ArchId>(*o->index);
    } else {
      job.arch = definition.parse_arch(o->arch);
    }
    job.dataset = definition.choose_dataset(o->dataset);
    job.hp = o->hp;
    job.seed = o->seed ? static_cast<std::int32_t>(*o->seed) : -1;
    job.overrides = experiments::parse_assignments(o->sets);
    job.environment.data_root = experiments::data_root_or_env(o->data);
    job.environment.device = o->device;
    job.environment.threads = o->torch_threads;
    job.checkpoint_path = o->checkpoint;

    // Every refusal before any image is read: the output, the comparison's benchmark, the job.
    require_writable_location(o->out, "trial record");
    if (fs::exists(o->out)) {
      throw Error("trial record " + o->out + " exists: nas train does not overwrite a finished record (remove it or choose "
                  "another --out)");
    }
    std::optional<bench::Benchmark> benchmark;
    if (o->compare) {
      benchmark.emplace(o->bench_file.empty() ? bench::Benchmark::open_default(space) : bench::Benchmark::open(o->bench_file, space));
    }
    const algorithms::SearcherRegistry registry = experiments::make_registry({}, /*with_weight_sharing=*/true);
    const algorithms::ArchitectureTrainer& trainer = registry.architecture_trainer();
    trainer.check(job);

    TrainProgressCallbacks progress(std::string(definition.name()) + " arch " + std::to_string(job.arch) + " seed " +
                                        std::to_string(job.seed),
                                    o->quiet);
    const bench::TrialRecord record = trainer.train(job, progress);
    bench::write_trial_record(o->out, record);

    Json out;
    out["record"] = o->out;
    out["space"] = std::string(definition.name());
    out["arch"] = record.arch;
    out["index"] = record.index;
    out["dataset"] = std::string(bench::dataset_name(record.dataset));
    out["hp"] = record.hp;
    out["seed"] = record.seed;
    out["params_m"] = record.params_m;
    out["flops_m"] = record.flops_m;
    out["latency_s"] = experiments::json_or_null(record.latency_s);
    out["final"] = final_values(record);
    out["protocol"] = Json::parse(record.protocol_json);
    out["provenance"] = Json::parse(record.provenance_json);
    if (benchmark) out["compare"] = comparison_json(compare_with(record, *benchmark), *benchmark);
    if (o->json) {
      std::cout << out.dump() << "\n";
      return;
    }
    std::cout << definition.name() << " arch " << record.index << " (" << record.arch << ") on " << out["dataset"].get<std::string>()
              << ", " << record.hp << " epochs, seed " << record.seed << ": record " << o->out << "\n";
    for (const auto& [set, value] : out["final"].items()) {
      std::cout << "  " << set << ": accuracy " << value["accuracy"].dump() << ", loss " << value["loss"].dump() << " (epoch "
                << value["epoch"].get<int>() + 1 << ")\n";
    }
    if (benchmark) print_comparison(out["compare"]);
  });
}

}  // namespace nas::cli

// nas bench info | export | best | import | verify: the benchmark query commands (generate and collect:
// generate_command.cpp).
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "cli_options.h"
#include "commands.h"
#include "progress.h"
#include "nas/benchmark_api/benchmark.h"
#include "json_util.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/importers.h"
#include "nas/benchmark_api/macro/macro_importer.h"
#include "nas/benchmark_api/nb101/nb101_tfrecord_importer.h"
#include "nas/benchmark_api/nb101/nb101_vis_importer.h"
#include "nas/benchmark_api/trial_record.h"
#include "nas/benchmark_api/nni_database.h"

namespace nas::cli {
namespace {

using bench::Benchmark;
using bench::Dataset;
using Json = nlohmann::ordered_json;

/// Options shared by the query commands.
struct QueryOptions {
  std::string space = "tss";
  std::string dataset;
  std::string bench_file;
  std::optional<int> hp;  // unset: the space's final fidelity
};

/// "tss: |op~0|+..., sss: C0:C1:C2:C3:C4, ...": how each space writes an arch, from the space table.
std::string arch_syntaxes() {
  std::string out;
  for (const bench::SpaceDefinition* space : bench::all_spaces()) {
    out += (out.empty() ? "" : ", ") + std::string(space->name()) + ": " + std::string(space->arch_syntax());
  }
  return out;
}

/// "tss: 12 or 200, sss: 1, 12 or 90, macro: none": each space's schedules, from the space table.
std::string fidelity_choices() {
  std::string out;
  for (const bench::SpaceDefinition* space : bench::all_spaces()) {
    const std::vector<int> hps = space->fidelities();
    std::string listed;
    for (std::size_t i = 0; i < hps.size(); ++i) {
      listed += (i == 0 ? "" : i + 1 == hps.size() ? " or " : ", ") + std::to_string(hps[i]);
    }
    out += (out.empty() ? "" : "; ") + std::string(space->name()) + ": " + (hps.empty() ? "none" : listed);
  }
  return out;
}

void add_query_options(CLI::App& cmd, QueryOptions& o) {
  add_text_option(cmd, "--space", o.space, "Search space: " + bench::space_names())->capture_default_str();
  add_text_option(cmd, "--dataset", o.dataset,
                  "A dataset key of the space (nas list shows them; default: the space's only one)");
  add_integer_option(cmd, "--hp", o.hp,
                     "Training schedule in epochs (" + fidelity_choices() + "; default: the final one)",
                     1, 1000);
  add_text_option(cmd, "--bench", o.bench_file, "Benchmark store file (default: the one shipped with nas)");
}

/// A query's benchmark, dataset key and schedule, each checked against the space.
struct Query {
  Benchmark benchmark;
  Dataset dataset;
  int hp;
};

Query open_query(const QueryOptions& o) {
  const bench::Space space = bench::parse_space(o.space);
  Benchmark benchmark = o.bench_file.empty() ? Benchmark::open_default(space) : Benchmark::open(o.bench_file, space);
  const Dataset dataset = benchmark.definition().choose_dataset(o.dataset);
  const int hp = benchmark.definition().resolve_hp(o.hp);
  return {std::move(benchmark), dataset, hp};
}

/// The row printed by `info` and by every line of `export`.
Json arch_row(const Benchmark& benchmark, std::uint32_t index, Dataset dataset, int hp, bench::Trial trial, int epoch) {
  const bench::ArchMetrics m = benchmark.query(index, dataset, hp, trial, epoch);
  const bench::CostInfo cost = benchmark.cost(index, dataset, m.hp);
  Json row;
  row["space"] = std::string(bench::space_name(benchmark.space()));
  row["index"] = index;
  row["arch"] = benchmark.arch_string(index);
  row["dataset"] = std::string(bench::dataset_name(dataset));
  // A space without fidelities has one record per trial: no schedule or epoch to name.
  const bool has_schedules = !benchmark.definition().fidelities().empty();
  row["hp"] = has_schedules ? Json(m.hp) : Json(nullptr);
  row["epoch"] = has_schedules ? Json(m.epoch) : Json(nullptr);
  row["trial"] = trial.is_mean() ? Json("mean") : Json(trial.seed);
  row["test_accuracy"] = experiments::json_or_null(m.test_accuracy);
  row["valid_accuracy"] = experiments::json_or_null(m.valid_accuracy);
  row["train_accuracy"] = experiments::json_or_null(m.train_accuracy);
  row["test_loss"] = experiments::json_or_null(m.test_loss);
  row["valid_loss"] = experiments::json_or_null(m.valid_loss);
  row["train_loss"] = experiments::json_or_null(m.train_loss);
  row["params_m"] = cost.params_m;
  row["flops_m"] = cost.flops_m;
  row["latency_s"] = experiments::json_or_null(cost.latency_s);
  row["train_time_per_epoch_s"] = experiments::json_or_null(cost.train_time_per_epoch_s);
  row["time_estimated"] = cost.time_estimated;
  // The space's own facts about the arch (tss: its isomorphism class; nb101: its module hash).
  for (const bench::ArchDetail& detail : benchmark.definition().arch_details(index)) {
    std::visit([&](const auto& value) { row[detail.key] = value; }, detail.value);
  }
  return row;
}

/// How many archs have any accuracy (any set, trial or epoch) on the dataset keys `dataset` reads,
/// at schedule `hp`: what "records" means for a partial store.
std::uint32_t archs_with_records(const Benchmark& benchmark, Dataset dataset, int hp) {
  const bench::SpaceDefinition& space = benchmark.definition();
  std::vector<Dataset> keys;
  for (bench::Split split : {bench::Split::Valid, bench::Split::Test}) {
    if (const auto source = space.resolve_split(dataset, split)) keys.push_back(source->dataset);
  }
  std::vector<bool> found(benchmark.size(), false);
  for (const bench::Column& column : benchmark.store().columns()) {
    const bench::ColumnKey& c = column.key();
    if (c.hp != hp || c.quantity != bench::Quantity::Accuracy || std::find(keys.begin(), keys.end(), c.dataset) == keys.end()) continue;
    for (std::uint32_t arch = 0; arch < benchmark.size(); ++arch) {
      if (!found[arch] && !std::isnan(column.value(arch))) found[arch] = true;
    }
  }
  return static_cast<std::uint32_t>(std::count(found.begin(), found.end(), true));
}

/// On a store that holds records for only some archs (the shipped nb101 and sss stores), what it
/// holds and, for an arch it has no record of, why its metrics are null.
void add_coverage_notes(Json& row, const Benchmark& benchmark, std::uint32_t index, Dataset dataset, int hp) {
  const std::uint32_t covered = archs_with_records(benchmark, dataset, hp);
  if (covered == benchmark.size()) return;
  const bench::SpaceDefinition& space = benchmark.definition();
  row["partial_store"] = "this store has records for " + std::to_string(covered) + " of " + std::to_string(benchmark.size()) +
                         " archs at hp " + std::to_string(hp) + "; " + space.how_to_import();
  const bool has_record = !row["valid_accuracy"].is_null() || !row["test_accuracy"].is_null() || !row["train_accuracy"].is_null();
  if (!has_record) row["missing"] = "arch " + std::to_string(index) + " has no record in this partial store, so its metrics are null";
}

void print_human(const Json& object) {
  for (const auto& [key, value] : object.items()) {
    std::cout << key << ": " << (value.is_string() ? value.get<std::string>() : value.dump()) << "\n";
  }
}

std::string csv_field(const Json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

// ---- info -------------------------------------------------------------------------------------------

void add_info(CLI::App& bench_cmd) {
  struct Options : QueryOptions {
    std::optional<std::int64_t> index;
    std::string arch, hash;
    std::optional<std::int64_t> seed;
    int epoch = -1;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = bench_cmd.add_subcommand("info", "Metrics and cost of one architecture");
  add_query_options(*cmd, *o);
  auto* index_opt = add_integer_option(*cmd, "--index", o->index, "Benchmark index of the architecture", INT32_MIN, INT32_MAX);
  auto* arch_opt = add_text_option(*cmd, "--arch", o->arch, "Architecture string (" + arch_syntaxes() + ")");
  auto* hash_opt = add_text_option(*cmd, "--hash", o->hash, "A hash that names the architecture (nb101: the module hash, 32 hex digits)");
  index_opt->excludes(arch_opt);
  hash_opt->excludes(index_opt)->excludes(arch_opt);
  add_integer_option(*cmd, "--seed", o->seed, "One training trial (e.g. 777) instead of the mean over seeds", 0, INT32_MAX);
  add_integer_option(*cmd, "--epoch", o->epoch, "0-based epoch of the schedule (default: the last)", -1, 999);
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->callback([o] {
    if (!o->index && o->arch.empty() && o->hash.empty()) throw Error("give --index, --arch or --hash");
    const Query q = open_query(*o);
    std::uint32_t index = 0;
    if (o->index) {
      q.benchmark.definition().require_index(*o->index, "--index");
      index = static_cast<std::uint32_t>(*o->index);
    } else if (!o->hash.empty()) {
      index = q.benchmark.definition().arch_of_hash(o->hash);
    } else {
      index = q.benchmark.index_of(o->arch);
    }
    const bench::Trial trial = o->seed ? bench::Trial::of_seed(static_cast<std::int32_t>(*o->seed)) : bench::Trial::mean();
    Json row = arch_row(q.benchmark, index, q.dataset, q.hp, trial, o->epoch);
    add_coverage_notes(row, q.benchmark, index, q.dataset, q.hp);
    if (o->json) {
      std::cout << row.dump() << "\n";
    } else {
      print_human(row);
    }
  });
}

// ---- export -----------------------------------------------------------------------------------------

void add_export(CLI::App& bench_cmd) {
  struct Options : QueryOptions {
    std::string format = "jsonl";
    std::string out;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = bench_cmd.add_subcommand(
      "export", "Every architecture of the space, one row each (jsonl, csv: to stdout), or NNI's benchmark database (nni: to --out)");
  add_query_options(*cmd, *o);
  cmd->add_option("--format", o->format,
                  "jsonl or csv (one row per arch, seed means, to stdout), or nni (NNI's SQLite benchmark database of every "
                  "trial, spaces tss and nb101; needs --out)")
      ->check(CLI::IsMember({"jsonl", "csv", "nni"}))
      ->capture_default_str();
  add_text_option(*cmd, "--out", o->out, "The database file to write (--format nni only)");
  cmd->callback([o] {
    if (o->format == "nni") {
      if (o->out.empty()) throw Error("--format nni writes a database file: give --out FILE.db");
      if (!o->dataset.empty() || o->hp) throw Error("--format nni exports every dataset and schedule; drop --dataset and --hp");
      const bench::Space space = bench::parse_space(o->space);
      const Benchmark benchmark = o->bench_file.empty() ? Benchmark::open_default(space) : Benchmark::open(o->bench_file, space);
      ProgressLine progress(space == bench::Space::Nb101 ? "cells exported" : "archs exported");
      const auto report = bench::export_nni(benchmark, o->out, [&](std::uint64_t done, std::uint64_t total) { progress.update(done, total); });
      progress.finish();
      Json row{{"space", std::string(bench::space_name(space))}, {"format", "nni"}, {"configs", report.configs},
               {"trials", report.trials}, {"intermediates", report.intermediates}, {"out", o->out}};
      std::cout << row.dump() << "\n";
      return;
    }
    if (!o->out.empty()) throw Error("--out is for --format nni; jsonl and csv print to stdout (redirect it to a file)");
    const Query q = open_query(*o);
    std::string out;
    out.reserve(static_cast<std::size_t>(q.benchmark.size()) * 400);
    for (std::uint32_t index = 0; index < q.benchmark.size(); ++index) {
      const Json row = arch_row(q.benchmark, index, q.dataset, q.hp, bench::Trial::mean(), -1);
      if (o->format == "jsonl") {
        out += row.dump();
      } else {
        if (index == 0) {
          bool first = true;
          for (const auto& item : row.items()) {
            out += (first ? "" : ",") + item.key();
            first = false;
          }
          out += '\n';
        }
        bool first = true;
        for (const auto& item : row.items()) {
          out += (first ? "" : ",") + csv_field(item.value());
          first = false;
        }
      }
      out += '\n';
    }
    std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));  // main() checks it arrived
  });
}

// ---- best -------------------------------------------------------------------------------------------

void add_best(CLI::App& bench_cmd) {
  struct Options : QueryOptions {
    std::string metric = "test_accuracy";
    std::optional<double> max_flops, max_params;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = bench_cmd.add_subcommand("best", "The best architecture by a seed-mean metric (ties: lowest index)");
  add_query_options(*cmd, *o);
  cmd->add_option("--metric", o->metric, "test_accuracy or valid_accuracy")
      ->check(CLI::IsMember({"test_accuracy", "valid_accuracy"}))
      ->capture_default_str();
  add_number_option(*cmd, "--max-flops", o->max_flops, "Only archs with at most this many MFLOPs", 0, 1e12);
  add_number_option(*cmd, "--max-params", o->max_params, "Only archs with at most this many million parameters", 0, 1e12);
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->callback([o] {
    const Query q = open_query(*o);
    const auto split = o->metric == "valid_accuracy" ? bench::Split::Valid : bench::Split::Test;
    const auto best = q.benchmark.find_best(q.dataset, split, q.hp, o->max_flops, o->max_params);
    Json row;
    row["index"] = best.index;
    row["arch"] = q.benchmark.arch_string(best.index);
    row["value"] = best.value;
    row["metric"] = o->metric;
    row["dataset"] = std::string(bench::dataset_name(q.dataset));
    row["hp"] = q.benchmark.definition().fidelities().empty() ? Json(nullptr) : Json(q.hp);
    if (o->json) {
      std::cout << row.dump() << "\n";
    } else {
      print_human(row);
    }
  });
}

// ---- import -----------------------------------------------------------------------------------------

void add_import(CLI::App& bench_cmd) {
  CLI::App* cmd = bench_cmd.add_subcommand("import", "Convert published benchmark files into a nas store");
  cmd->require_subcommand(1);

  struct NatsOptions {
    std::string src, out;
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  };
  auto nats = std::make_shared<NatsOptions>();
  CLI::App* nats_cmd = cmd->add_subcommand("nats", "An official NATS-Bench *-simple directory (meta + NNNNNN.pickle.pbz2)");
  add_text_option(*nats_cmd, "--src", nats->src, "The directory, e.g. NATS-tss-v1_0-3ffb9-simple")->required();
  add_text_option(*nats_cmd, "--out", nats->out, "The store file to write")->required();
  add_integer_option(*nats_cmd, "--threads", nats->threads, "Decoding threads", 1, 256)->capture_default_str();
  nats_cmd->callback([nats] {
    ProgressLine progress("archs imported");
    const auto report = bench::import_nats_directory(nats->src, nats->out, nats->threads,
                                                     [&](std::uint32_t done, std::uint32_t total) { progress.update(done, total); });
    progress.finish();
    Json row{{"space", std::string(bench::space_name(report.space))}, {"archs", report.archs},
             {"trials", report.trials}, {"out", nats->out}};
    std::cout << row.dump() << "\n";
  });

  struct MacroOptions {
    std::string src, out;
  };
  auto macro = std::make_shared<MacroOptions>();
  CLI::App* macro_cmd = cmd->add_subcommand("macro", "NAS-Bench-Macro's nas-bench-macro_cifar10.json (builds the shipped macro store)");
  add_text_option(*macro_cmd, "--src", macro->src, "nas-bench-macro_cifar10.json")->required();
  add_text_option(*macro_cmd, "--out", macro->out, "The store file to write")->required();
  macro_cmd->callback([macro] {
    const auto report = bench::import_macro_json(macro->src, macro->out);
    Json row{{"space", "macro"}, {"archs", report.archs}, {"classes", report.classes}, {"out", macro->out}};
    std::cout << row.dump() << "\n";
  });

  struct Nb101Options {
    std::string src, out;
  };
  auto nb101 = std::make_shared<Nb101Options>();
  CLI::App* nb101_cmd = cmd->add_subcommand("nb101", "NAS-Bench-101's official data file (nasbench_full or nasbench_only108.tfrecord)");
  add_text_option(*nb101_cmd, "--src", nb101->src, "nasbench_full.tfrecord or nasbench_only108.tfrecord")->required();
  add_text_option(*nb101_cmd, "--out", nb101->out, "The store file to write")->required();
  nb101_cmd->callback([nb101] {
    ProgressLine progress("MiB read");
    // The callback counts bytes; the line shows MiB, rounded up (so a small file ends at 1/1).
    const auto mib = [](std::uint64_t bytes) { return static_cast<std::size_t>((bytes + (1u << 20) - 1) >> 20); };
    const auto report = bench::import_nb101_tfrecord(nb101->src, nb101->out, [&](std::uint64_t done, std::uint64_t total) {
      progress.update(mib(done), mib(total));
    });
    progress.finish();
    Json row{{"space", "nb101"}, {"records", report.records}, {"cells", report.cells},
             {"schedules", report.schedules}, {"repeats", report.repeats}, {"out", nb101->out}};
    std::cout << row.dump() << "\n";
  });

  struct Nb101VisOptions {
    std::string graphs, hashes, out;
  };
  auto vis = std::make_shared<Nb101VisOptions>();
  CLI::App* vis_cmd = cmd->add_subcommand("nb101-vis", "nasbench-vis's NAS-Bench-101 subsets (builds the shipped partial nb101 store)");
  add_text_option(*vis_cmd, "--graphs", vis->graphs, "nasbench-vis_data-1k.json (cells with graphs)")->required();
  add_text_option(*vis_cmd, "--hashes", vis->hashes, "nasbench-vis_data-10k.json (cells by hash only)")->required();
  add_text_option(*vis_cmd, "--out", vis->out, "The store file to write")->required();
  vis_cmd->callback([vis] {
    const auto report = bench::import_nb101_vis(vis->graphs, vis->hashes, vis->out);
    Json row{{"space", "nb101"}, {"with_graphs", report.with_graphs}, {"hash_only", report.hash_only}, {"out", vis->out}};
    std::cout << row.dump() << "\n";
  });

  struct CsvOptions {
    std::string src, time_fixtures, out;
  };
  auto csv = std::make_shared<CsvOptions>();
  CLI::App* csv_cmd = cmd->add_subcommand("nb201-csv", "The merged NB201/NATS per-arch table (builds the shipped tss store)");
  add_text_option(*csv_cmd, "--src", csv->src, "nb201_tss_merged.csv")->required();
  add_text_option(*csv_cmd, "--time-fixtures", csv->time_fixtures, "Official NATS tss records to fit the time model to")->required();
  add_text_option(*csv_cmd, "--out", csv->out, "The store file to write")->required();
  csv_cmd->callback([csv] {
    const auto report = bench::import_nb201_csv(csv->src, csv->time_fixtures, csv->out);
    Json row{{"space", "tss"}, {"archs", report.archs}, {"out", csv->out}};
    std::cout << row.dump() << "\n";
  });

  struct TrainedOptions {
    std::vector<std::string> src;
    std::string out;
  };
  auto trained = std::make_shared<TrainedOptions>();
  CLI::App* trained_cmd = cmd->add_subcommand("trained", "Trial records written by nas train (files, or folders of *.json records)");
  add_text_option(*trained_cmd, "--src", trained->src, "A trial record or a folder of them (repeatable)")->required();
  add_text_option(*trained_cmd, "--out", trained->out, "The store file to write")->required();
  trained_cmd->callback([trained] {
    const auto report = bench::import_trial_records(trained->src, trained->out);
    Json row{{"space", std::string(bench::space_name(report.space))}, {"records", report.records}, {"archs", report.archs},
             {"out", trained->out}};
    std::cout << row.dump() << "\n";
  });

  struct NniOptions {
    std::string src, out;
  };
  auto nni = std::make_shared<NniOptions>();
  CLI::App* nni_cmd = cmd->add_subcommand("nni", "NNI's benchmark database (nasbench201-*.db -> a tss store, nasbench101-*.db -> nb101)");
  add_text_option(*nni_cmd, "--src", nni->src, "The SQLite file, e.g. nasbench201-b2b60732.db")->required();
  add_text_option(*nni_cmd, "--out", nni->out, "The store file to write")->required();
  nni_cmd->callback([nni] {
    ProgressLine progress("rows read");
    const auto report = bench::import_nni(nni->src, nni->out, [&](std::uint64_t done, std::uint64_t total) { progress.update(done, total); });
    progress.finish();
    Json row{{"space", report.benchmark == bench::NniBenchmark::Nb101 ? "nb101" : "tss"}, {"configs", report.configs},
             {"trials", report.trials}, {"intermediates", report.intermediates}, {"out", nni->out}};
    std::cout << row.dump() << "\n";
  });
}

// ---- verify -----------------------------------------------------------------------------------------

void add_verify(CLI::App& bench_cmd) {
  struct Options {
    std::string space = "tss";
    std::string bench_file;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = bench_cmd.add_subcommand("verify", "Check a store's checksum and print its provenance");
  add_text_option(*cmd, "--space", o->space, "The space whose shipped store to check: " + bench::space_names())->capture_default_str();
  add_text_option(*cmd, "--bench", o->bench_file, "Store file (default: the shipped one)");
  cmd->callback([o] {
    const Benchmark benchmark = o->bench_file.empty() ? Benchmark::open_default(bench::parse_space(o->space))
                                                      : Benchmark::open(o->bench_file);  // any space
    benchmark.store().verify();
    char checksum[17];
    std::snprintf(checksum, sizeof(checksum), "%016" PRIx64, benchmark.store().checksum());
    Json row{{"path", benchmark.store().path()},
             {"space", std::string(bench::space_name(benchmark.space()))},
             {"columns", benchmark.store().columns().size()},
             {"checksum", checksum},
             {"ok", true},
             {"description", benchmark.store().description()}};
    std::cout << row.dump(2) << "\n";
  });
}

}  // namespace

void add_bench_commands(CLI::App& app) {
  CLI::App* bench_cmd = app.add_subcommand("bench", "Query and convert tabular benchmarks");
  bench_cmd->require_subcommand(1);
  add_info(*bench_cmd);
  add_export(*bench_cmd);
  add_best(*bench_cmd);
  add_import(*bench_cmd);
  add_verify(*bench_cmd);
  add_generate_commands(*bench_cmd);
}

}  // namespace nas::cli

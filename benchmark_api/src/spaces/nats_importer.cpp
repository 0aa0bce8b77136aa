// The NATS-Bench importers for the official NATS-Bench files and for the merged NB201 table.
#include "nas/benchmark_api/importers.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>

#include "nas/benchmark_api/compressed_file.h"
#include "nas/benchmark_api/cost_model.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"
#include "nas/benchmark_api/pickle.h"
#include "nas/benchmark_api/size_space.h"
#include "nas/benchmark_api/topology_space.h"

namespace nas::bench {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
namespace fs = std::filesystem;

std::string official_arch_string(Space space, std::uint32_t index) { return space_definition(space).format_arch(index); }

// Parses a whole decimal integer; throws with `what` on anything else.
long parse_integer(const std::string& text, const std::string& what) {
  if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw Error(what + ": expected an integer, got '" + text + "'");
  }
  return std::stol(text);
}

// "x-valid@17" -> (XValid, 17).
std::pair<EvalSet, int> parse_set_epoch(const std::string& key) {
  const auto at = key.rfind('@');
  if (at == std::string::npos) throw Error("evaluation key '" + key + "' lacks '@epoch'");
  return {parse_eval_set(key.substr(0, at)), static_cast<int>(parse_integer(key.substr(at + 1), "evaluation key '" + key + "'"))};
}

std::vector<double>& series_of(NatsTrial::Series& s, Quantity q) {
  switch (q) {
    case Quantity::Loss: return s.loss;
    case Quantity::Accuracy: return s.accuracy;
    case Quantity::Accuracy5: return s.accuracy5;
    default: return s.time;
  }
}

// Fills trial.sets[set] series for quantity q from a {epoch: value} dict (train_*) ...
void read_train_series(const pickle::Value& dict, NatsTrial& trial, Quantity q) {
  if (dict.is_none()) return;
  auto& values = series_of(trial.sets[EvalSet::Train], q);
  values.assign(static_cast<std::size_t>(trial.hp), kNaN);
  for (const auto& [key, value] : dict.items()) {
    const std::int64_t epoch = key.as_int();
    if (epoch < 0 || epoch >= trial.hp) throw Error("train epoch " + std::to_string(epoch) + " outside the schedule");
    values[static_cast<std::size_t>(epoch)] = value.as_double();
  }
}

// ... and from a {"set@epoch": value} dict (eval_*).
void read_eval_series(const pickle::Value& dict, NatsTrial& trial, Quantity q) {
  for (const auto& [key, value] : dict.items()) {
    const auto [set, epoch] = parse_set_epoch(key.as_string());
    if (epoch < 0 || epoch >= trial.hp) throw Error("evaluation epoch " + std::to_string(epoch) + " outside the schedule");
    auto& values = series_of(trial.sets[set], q);
    if (values.empty()) values.assign(static_cast<std::size_t>(trial.hp), kNaN);
    values[static_cast<std::size_t>(epoch)] = value.as_double();
  }
}

NatsTrial read_trial(const pickle::Value& record, std::uint32_t index, int hp, Dataset dataset, std::int32_t seed) {
  NatsTrial trial;
  trial.index = index;
  trial.dataset = dataset;
  trial.hp = hp;
  trial.seed = seed;
  if (record.at("name").as_string() != dataset_name(dataset)) throw Error("record name does not match its key");
  if (record.at("epochs").as_int() != hp) {
    throw Error("record has " + std::to_string(record.at("epochs").as_int()) + " epochs under hp " + std::to_string(hp));
  }
  trial.params_m = record.at("params").as_double();
  trial.flops_m = record.at("flop").as_double();
  const pickle::Value& latency = record.at("latency");
  if (!latency.is_none() && latency.size() > 0) {
    double sum = 0;
    for (const auto& v : latency.elements()) sum += v.as_double();
    trial.latency_s = sum / static_cast<double>(latency.size());
  }
  read_train_series(record.at("train_losses"), trial, Quantity::Loss);
  read_train_series(record.at("train_acc1es"), trial, Quantity::Accuracy);
  if (const pickle::Value* top5 = record.find("train_acc5es")) read_train_series(*top5, trial, Quantity::Accuracy5);
  read_train_series(record.at("train_times"), trial, Quantity::Time);
  read_eval_series(record.at("eval_losses"), trial, Quantity::Loss);
  read_eval_series(record.at("eval_acc1es"), trial, Quantity::Accuracy);
  read_eval_series(record.at("eval_times"), trial, Quantity::Time);
  return trial;
}

int parse_hp_key(const std::string& key) {
  const long hp = parse_integer(key, "schedule key");
  if (hp < 1 || hp > 1000) throw Error("schedule key '" + key + "' out of range");
  return static_cast<int>(hp);
}

// Index of an arch file name "000123.pickle.pbz2" (or "123.pickle.pbz2"); -1 if not an arch file.
long arch_file_index(const std::string& name) {
  const std::string suffix = ".pickle.pbz2";
  if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) return -1;
  const std::string stem = name.substr(0, name.size() - suffix.size());
  if (stem.empty() || stem.size() > 9 || !std::all_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return -1;
  }
  return std::stol(stem);
}

std::vector<std::pair<std::uint32_t, std::string>> list_arch_files(const std::string& dir, std::uint32_t num_archs) {
  std::vector<std::pair<std::uint32_t, std::string>> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const long index = arch_file_index(entry.path().filename().string());
    if (index < 0) continue;
    if (static_cast<std::uint64_t>(index) >= num_archs) {
      throw Error(entry.path().string() + ": arch index " + std::to_string(index) + " out of range");
    }
    files.emplace_back(static_cast<std::uint32_t>(index), entry.path().string());
  }
  std::sort(files.begin(), files.end());
  for (std::size_t i = 1; i < files.size(); ++i) {
    if (files[i].first == files[i - 1].first) throw Error("two files for arch " + std::to_string(files[i].first) + " in " + dir);
  }
  return files;
}

NatsMeta read_checked_meta(const std::string& dir) {
  const std::string meta_path = dir + "/meta.pickle.pbz2";
  if (!fs::is_directory(dir)) throw Error("not a directory: " + dir);
  if (!fs::exists(meta_path)) throw Error(dir + " has no meta.pickle.pbz2 (expected an official NATS-Bench *-simple directory)");
  return read_nats_meta(meta_path);
}

// ---- the estimated-time model ------------------------------------------------------------------------

struct Line {
  double intercept = 0, slope = 0;
  int points = 0;
};

// Least squares through (x, y); with one distinct x the line is flat through the mean.
Line fit_line(const std::vector<std::pair<double, double>>& points) {
  Line line;
  line.points = static_cast<int>(points.size());
  double mx = 0, my = 0;
  for (const auto& [x, y] : points) {
    mx += x;
    my += y;
  }
  mx /= static_cast<double>(points.size());
  my /= static_cast<double>(points.size());
  double sxx = 0, sxy = 0;
  for (const auto& [x, y] : points) {
    sxx += (x - mx) * (x - mx);
    sxy += (x - mx) * (y - my);
  }
  line.slope = sxx > 0 ? sxy / sxx : 0;
  line.intercept = my - line.slope * mx;
  return line;
}

double mean_of_present(const std::vector<double>& values) {
  double sum = 0;
  int count = 0;
  for (double v : values) {
    if (!std::isnan(v)) {
      sum += v;
      ++count;
    }
  }
  return count > 0 ? sum / count : kNaN;
}

std::string format_double(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.10g", v);
  return buffer;
}

}  // namespace

NatsMeta read_nats_meta(const std::string& path) {
  try {
    const pickle::Value root = load_pickle_bz2(path);
    NatsMeta meta;
    for (const auto& arch : root.at("meta_archs").elements()) meta.archs.push_back(arch.as_string());
    if (meta.archs.empty()) throw Error("meta_archs is empty");
    // The two NATS-Bench spaces write their archs differently: tss cells as |op~0|+..., sss as C0:C1:...
    meta.space = meta.archs.front().find('|') != std::string::npos ? Space::Topology : Space::Size;
    const std::uint32_t expected = space_num_archs(meta.space);
    if (meta.archs.size() != expected || root.at("total_archs").as_int() != expected) {
      throw Error("expected " + std::to_string(expected) + " archs, found " + std::to_string(meta.archs.size()));
    }
    for (std::uint32_t i = 0; i < expected; ++i) {
      if (meta.archs[i] != official_arch_string(meta.space, i)) {
        throw Error("arch " + std::to_string(i) + " is '" + meta.archs[i] + "', not the official '" +
                    official_arch_string(meta.space, i) + "'");
      }
    }
    return meta;
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.rfind(path, 0) == 0) throw;
    throw Error(path + ": " + what);
  }
}

std::vector<NatsTrial> read_nats_arch_file(const std::string& path, Space space, std::uint32_t expected_index) {
  try {
    const pickle::Value root = load_pickle_bz2(path);
    if (!root.is_dict() || root.size() == 0) throw Error("expected a dict of schedules, found " + root.kind_name());
    std::vector<NatsTrial> trials;
    const std::string expected_arch = official_arch_string(space, expected_index);
    for (const auto& [hp_key, state] : root.items()) {
      const int hp = parse_hp_key(hp_key.as_string());
      if (state.at("arch_index").as_int() != expected_index) {
        throw Error("hp " + hp_key.as_string() + " holds arch_index " + std::to_string(state.at("arch_index").as_int()) +
                    ", expected " + std::to_string(expected_index));
      }
      if (state.at("arch_str").as_string() != expected_arch) {
        throw Error("arch_str '" + state.at("arch_str").as_string() + "' is not arch " + std::to_string(expected_index) +
                    " ('" + expected_arch + "')");
      }
      for (const auto& [key, record] : state.at("all_results").items()) {
        if (!key.is_tuple() || key.size() != 2) throw Error("all_results key is not a (dataset, seed) tuple");
        const Dataset dataset = parse_dataset(key.elements()[0].as_string());
        const std::int64_t seed = key.elements()[1].as_int();
        if (seed <= 0 || seed > std::numeric_limits<std::int32_t>::max()) throw Error("seed out of range");
        try {
          trials.push_back(read_trial(record, expected_index, hp, dataset, static_cast<std::int32_t>(seed)));
        } catch (const Error& e) {
          throw Error("record (" + std::string(dataset_name(dataset)) + ", " + std::to_string(seed) + ") of hp " +
                      hp_key.as_string() + ": " + e.what());
        }
      }
    }
    return trials;
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.rfind(path, 0) == 0) throw;
    throw Error(path + ": " + what);
  }
}

void add_trial(const NatsTrial& trial, StoreWriter& writer) {
  const auto hp = static_cast<std::uint16_t>(trial.hp);
  auto put_scalar = [&](Quantity q, double value) {
    const ColumnKey key{trial.dataset, EvalSet::Train, q, hp, trial.seed};
    writer.add_column(key, 1);
    writer.set(key, trial.index, 0, value);
  };
  put_scalar(Quantity::Params, trial.params_m);
  put_scalar(Quantity::Flops, trial.flops_m);
  if (trial.latency_s) put_scalar(Quantity::Latency, *trial.latency_s);
  for (const auto& [set, series] : trial.sets) {
    for (Quantity q : {Quantity::Loss, Quantity::Accuracy, Quantity::Accuracy5, Quantity::Time}) {
      const std::vector<double>& values = q == Quantity::Loss       ? series.loss
                                          : q == Quantity::Accuracy ? series.accuracy
                                          : q == Quantity::Accuracy5 ? series.accuracy5
                                                                     : series.time;
      if (values.empty()) continue;
      const ColumnKey key{trial.dataset, set, q, hp, trial.seed};
      writer.add_column(key, hp);
      for (int epoch = 0; epoch < trial.hp; ++epoch) {
        if (!std::isnan(values[static_cast<std::size_t>(epoch)])) writer.set(key, trial.index, epoch, values[static_cast<std::size_t>(epoch)]);
      }
    }
  }
}

ImportReport import_nats_directory(const std::string& dir, const std::string& out, int threads,
                                   const ImportProgress& progress) {
  require_writable_location(out, "output store");  // before the work, not after it
  const NatsMeta meta = read_checked_meta(dir);
  const auto files = list_arch_files(dir, space_num_archs(meta.space));
  if (files.empty()) throw Error(dir + " has no NNNNNN.pickle.pbz2 arch files");

  StoreWriter writer(meta.space, "NATS-Bench " + std::string(space_name(meta.space)) + " imported from the official files in " +
                                     fs::path(dir).filename().string() + " (" + std::to_string(files.size()) + " arch files)");
  ImportReport report;
  report.space = meta.space;
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint32_t> done{0};
  std::mutex mutex;
  std::string first_error;
  auto worker = [&] {
    for (std::size_t i = next++; i < files.size(); i = next++) {
      try {
        const auto trials = read_nats_arch_file(files[i].second, meta.space, files[i].first);
        const std::lock_guard<std::mutex> lock(mutex);
        if (!first_error.empty()) return;
        for (const NatsTrial& trial : trials) add_trial(trial, writer);
        report.trials += static_cast<std::uint32_t>(trials.size());
        ++report.archs;
        if (progress) progress(++done, static_cast<std::uint32_t>(files.size()));
      } catch (const std::exception& e) {
        const std::lock_guard<std::mutex> lock(mutex);
        if (first_error.empty()) first_error = e.what();
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(1, threads); ++t) pool.emplace_back(worker);
  for (auto& thread : pool) thread.join();
  if (!first_error.empty()) throw Error(first_error);
  writer.write(out);
  return report;
}

ImportReport import_nb201_csv(const std::string& csv_path, const std::string& time_fixture_dir, const std::string& out) {
  struct CsvColumn {
    const char* name;
    Dataset dataset;
    EvalSet set;
    std::uint16_t hp;
    std::int32_t seed;
  };
  // The merged table's columns (benchmark_api/data/SOURCE.md). The older NB201 .pth accuracy column
  // (c10_test_200ep_mean_nb201) is a different benchmark version and is not imported.
  const std::vector<CsvColumn> columns{
      {"c10_test_200ep_mean_nats", Dataset::Cifar10, EvalSet::OriTest, 200, kMeanSeed},
      {"c100_xtest_200ep_mean_nats", Dataset::Cifar100, EvalSet::XTest, 200, kMeanSeed},
      {"in16_xtest_200ep_mean_nats", Dataset::ImageNet16_120, EvalSet::XTest, 200, kMeanSeed},
      {"c10_test_200ep_oneseed_nats", Dataset::Cifar10, EvalSet::OriTest, 200, kUnrecordedSeed},
      {"c100_xtest_200ep_oneseed_nats", Dataset::Cifar100, EvalSet::XTest, 200, kUnrecordedSeed},
      {"in16_xtest_200ep_oneseed_nats", Dataset::ImageNet16_120, EvalSet::XTest, 200, kUnrecordedSeed},
      {"c10_test_12ep", Dataset::Cifar10, EvalSet::OriTest, 12, kMeanSeed},
      {"c10valid_xvalid_12ep", Dataset::Cifar10Valid, EvalSet::XValid, 12, kMeanSeed},
      {"c100_xtest_12ep", Dataset::Cifar100, EvalSet::XTest, 12, kMeanSeed},
      {"c100_xvalid_12ep", Dataset::Cifar100, EvalSet::XValid, 12, kMeanSeed},
      {"in16_xtest_12ep", Dataset::ImageNet16_120, EvalSet::XTest, 12, kMeanSeed},
      {"in16_xvalid_12ep", Dataset::ImageNet16_120, EvalSet::XValid, 12, kMeanSeed},
  };

  require_writable_location(out, "output store");  // before the work, not after it
  std::istringstream in(read_regular_file(csv_path, "CSV table", std::uint64_t{1} << 30));
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  std::stringstream header_line(line);
  for (std::string field; std::getline(header_line, field, ',');) header.push_back(field);
  auto column_of = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) throw Error(csv_path + ": missing column '" + name + "'");
    return static_cast<std::size_t>(it - header.begin());
  };
  const std::size_t index_col = column_of("index");
  const std::size_t arch_col = column_of("arch_str");

  StoreWriter writer(Space::Topology, "");
  for (const auto& c : columns) writer.add_column({c.dataset, c.set, Quantity::Accuracy, c.hp, c.seed}, 1);

  std::uint32_t rows = 0;
  for (std::size_t line_number = 2; std::getline(in, line); ++line_number) {
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream row(line);
    for (std::string field; std::getline(row, field, ',');) cells.push_back(field);
    const std::string where = csv_path + ":" + std::to_string(line_number);
    if (cells.size() != header.size()) throw Error(where + ": expected " + std::to_string(header.size()) + " fields");
    const auto index = static_cast<std::uint32_t>(parse_integer(cells[index_col], where + " index"));
    if (index != rows) throw Error(where + ": rows must be in index order, found index " + cells[index_col]);
    if (index >= kTssNumArchs || cells[arch_col] != format_tss_arch(tss_arch_at(index))) {
      throw Error(where + ": arch string does not match the official index order");
    }
    for (const auto& c : columns) {
      const std::string& text = cells[column_of(c.name)];
      char* end = nullptr;
      const double value = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) || value < 0 || value > 100) {
        throw Error(where + ": column " + c.name + " is not an accuracy in [0, 100]: '" + text + "'");
      }
      writer.set({c.dataset, c.set, Quantity::Accuracy, c.hp, c.seed}, index, 0, value);
    }
    ++rows;
  }
  if (rows != kTssNumArchs) throw Error(csv_path + ": expected " + std::to_string(kTssNumArchs) + " rows, found " + std::to_string(rows));

  // Estimated per-epoch times: NATS-Bench's own times are synthetic constants per (arch, key, set)
  // (reference §4.4); we model each as a line in the network's FLOPs, fitted to official records.
  const NatsMeta meta = read_checked_meta(time_fixture_dir);
  if (meta.space != Space::Topology) throw Error(time_fixture_dir + " holds size-space records; need topology ones");
  std::map<std::pair<Dataset, EvalSet>, std::map<std::uint32_t, std::pair<double, double>>> observations;  // arch -> (flops, time)
  std::string fixture_list;
  for (const auto& [index, path] : list_arch_files(time_fixture_dir, kTssNumArchs)) {
    fixture_list += (fixture_list.empty() ? "" : ", ") + std::to_string(index);
    for (const NatsTrial& trial : read_nats_arch_file(path, Space::Topology, index)) {
      for (const auto& [set, series] : trial.sets) {
        const double time = mean_of_present(series.time);
        if (!std::isnan(time)) observations[{trial.dataset, set}][index] = {trial.flops_m, time};
      }
    }
  }
  if (observations.empty()) throw Error(time_fixture_dir + " has no timed records to fit the time model to");

  std::string description =
      "NAS-Bench-201 / NATS-Bench topology space (tss v1.0), shipped with nas. Accuracies: the merged table "
      "nb201_tss_merged.csv (see benchmark_api/data/SOURCE.md): 200-epoch test accuracy (seed mean, and one trial of "
      "unrecorded seed) on cifar10 / cifar100 / ImageNet16-120; 12-epoch seed means of test and validation accuracy. "
      "ESTIMATED per-epoch times (no measured times in the table): for each (dataset key, set), seconds per epoch = "
      "a + b * FLOPs(M) of that key's network, least-squares fitted to the official records of archs " +
      fixture_list + ":";
  for (const auto& [pair, points_by_arch] : observations) {
    std::vector<std::pair<double, double>> points;
    for (const auto& [arch, point] : points_by_arch) points.push_back(point);
    const Line fit = fit_line(points);
    const auto [dataset, set] = pair;
    description += " " + std::string(dataset_name(dataset)) + "/" + std::string(eval_set_name(set)) + " a=" +
                   format_double(fit.intercept) + " b=" + format_double(fit.slope) + ";";
    const ColumnKey key{dataset, set, Quantity::Time, 12, kMeanSeed};
    writer.add_column(key, 1, kColumnEstimated | kColumnConstantPerEpoch);
    for (std::uint32_t index = 0; index < kTssNumArchs; ++index) {
      const double flops =
          tss_network_cost(tss_arch_at(index), dataset_num_classes(dataset), dataset_image_size(dataset)).flops_m;
      writer.set(key, index, 0, std::max(0.0, fit.intercept + fit.slope * flops));
    }
  }

  writer.set_description(description);
  writer.write(out);
  ImportReport report;
  report.space = Space::Topology;
  report.archs = rows;
  return report;
}

}  // namespace nas::bench

// Trial records as JSON (trial_record.h).
#include "nas/benchmark_api/trial_record.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <tuple>
#include <limits>
#include <nlohmann/json.hpp>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"
#include "nas/benchmark_api/store.h"

namespace nas::bench {
namespace {

using nlohmann::json;

constexpr const char* kFormat = "nas-trial-record";
constexpr int kVersion = 1;
constexpr const char* kTrainEvaluation = "train-eval";
constexpr std::uint64_t kMaxRecordBytes = 64ull << 20;
constexpr int kMaxHp = 10000;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

json number_or_null(double value) { return std::isnan(value) ? json(nullptr) : json(value); }

double number_of(const json& value, const std::string& what) {
  if (value.is_null()) return kNaN;
  if (!value.is_number()) throw Error(what + " is not a number");
  return value.get<double>();
}

const json& member(const json& object, const std::string& key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) throw Error(where + " has no \"" + key + "\"");
  return *it;
}

json series_at(const TrialSeries& series, int epoch) {
  const auto e = static_cast<std::size_t>(epoch);
  return {{"loss", number_or_null(series.loss[e])}, {"accuracy", number_or_null(series.accuracy[e])},
          {"time", number_or_null(series.time[e])}};
}

bool evaluated_at(const TrialSeries& series, int epoch) {
  const auto e = static_cast<std::size_t>(epoch);
  return !std::isnan(series.accuracy[e]) || !std::isnan(series.loss[e]);
}

TrialSeries empty_series(int hp) {
  const auto n = static_cast<std::size_t>(hp);
  return {std::vector<double>(n, kNaN), std::vector<double>(n, kNaN), std::vector<double>(n, kNaN)};
}

void check_series(const TrialSeries& series, int hp, const std::string& name) {
  const auto n = static_cast<std::size_t>(hp);
  if (series.loss.size() != n || series.accuracy.size() != n || series.time.size() != n) {
    throw std::invalid_argument("trial record: series " + name + " does not have hp entries");
  }
}

}  // namespace

int TrialRecord::last_evaluated_epoch(EvalSet set) const {
  const auto it = sets.find(set);
  if (it == sets.end()) return -1;
  for (int e = hp - 1; e >= 0; --e) {
    if (evaluated_at(it->second, e)) return e;
  }
  return -1;
}

std::string trial_record_json(const TrialRecord& record) {
  for (const auto& [set, series] : record.sets) check_series(series, record.hp, std::string(eval_set_name(set)));
  if (record.train_evaluation) check_series(*record.train_evaluation, record.hp, kTrainEvaluation);
  json epochs = json::array();
  for (int e = 0; e < record.hp; ++e) {
    json epoch = {{"epoch", e}};
    if (static_cast<std::size_t>(e) < record.learning_rate.size()) epoch["lr"] = record.learning_rate[static_cast<std::size_t>(e)];
    for (const auto& [set, series] : record.sets) {
      if (evaluated_at(series, e)) epoch[std::string(eval_set_name(set))] = series_at(series, e);
    }
    if (record.train_evaluation && evaluated_at(*record.train_evaluation, e)) {
      epoch[kTrainEvaluation] = series_at(*record.train_evaluation, e);
    }
    epochs.push_back(std::move(epoch));
  }
  const json out = {{"format", kFormat},
                    {"version", kVersion},
                    {"space", std::string(space_name(record.space))},
                    {"arch", record.arch},
                    {"index", record.index},
                    {"dataset", std::string(dataset_name(record.dataset))},
                    {"hp", record.hp},
                    {"seed", record.seed},
                    {"params_m", record.params_m},
                    {"flops_m", record.flops_m},
                    {"latency_s", record.latency_s ? json(*record.latency_s) : json(nullptr)},
                    {"epochs", std::move(epochs)},
                    {"protocol", json::parse(record.protocol_json)},
                    {"provenance", json::parse(record.provenance_json)}};
  return out.dump(1) + "\n";
}

void write_trial_record(const std::string& path, const TrialRecord& record) {
  write_file_atomically(path, trial_record_json(record), "trial record");
}

TrialRecord read_trial_record(const std::string& path) {
  return parse_trial_record(read_regular_file(path, "trial record", kMaxRecordBytes), path);
}

TrialRecord parse_trial_record(const std::string& text, const std::string& where) {
  try {
    json doc;
    try {
      doc = json::parse(text);
    } catch (const json::parse_error& e) {
      throw Error(std::string("not JSON (") + e.what() + ")");
    }
    if (!doc.is_object()) throw Error("not a JSON object");
    if (!doc.contains("format") || doc["format"] != kFormat) throw Error("not a nas trial record (no \"format\": \"nas-trial-record\")");
    if (member(doc, "version", "the record") != kVersion) {
      throw Error("trial record version " + member(doc, "version", "the record").dump() + " is not the supported version 1");
    }
    TrialRecord r;
    const json& space = member(doc, "space", "the record");
    const json& dataset = member(doc, "dataset", "the record");
    const json& arch = member(doc, "arch", "the record");
    if (!space.is_string() || !dataset.is_string() || !arch.is_string()) throw Error("space, dataset and arch must be strings");
    r.space = parse_space(space.get<std::string>());
    r.dataset = parse_dataset(dataset.get<std::string>());
    r.arch = arch.get<std::string>();
    const SpaceDefinition& definition = space_definition(r.space);
    const ArchId parsed = definition.parse_arch(r.arch);
    const json& index = member(doc, "index", "the record");
    if (!index.is_number_unsigned() || index.get<std::uint64_t>() != parsed) {
      throw Error("index " + index.dump() + " is not arch '" + r.arch + "' (index " + std::to_string(parsed) + ")");
    }
    r.index = parsed;
    const json& hp = member(doc, "hp", "the record");
    if (!hp.is_number_integer() || hp.get<std::int64_t>() < 1 || hp.get<std::int64_t>() > kMaxHp) {
      throw Error("hp " + hp.dump() + " is not a schedule length (1.." + std::to_string(kMaxHp) + ")");
    }
    r.hp = hp.get<int>();
    const json& seed = member(doc, "seed", "the record");
    if (!seed.is_number_integer() || seed.get<std::int64_t>() < 0 || seed.get<std::int64_t>() > std::numeric_limits<std::int32_t>::max()) {
      throw Error("seed " + seed.dump() + " is not a non-negative 32-bit integer");
    }
    r.seed = seed.get<std::int32_t>();
    r.params_m = number_of(member(doc, "params_m", "the record"), "params_m");
    r.flops_m = number_of(member(doc, "flops_m", "the record"), "flops_m");
    const double latency = number_of(member(doc, "latency_s", "the record"), "latency_s");
    if (!std::isnan(latency)) r.latency_s = latency;
    const json& epochs = member(doc, "epochs", "the record");
    if (!epochs.is_array() || epochs.size() != static_cast<std::size_t>(r.hp)) {
      throw Error("epochs must be a list of hp (" + std::to_string(r.hp) + ") entries");
    }
    for (int e = 0; e < r.hp; ++e) {
      const json& epoch = epochs[static_cast<std::size_t>(e)];
      const std::string at = "epoch " + std::to_string(e);
      if (!epoch.is_object() || member(epoch, "epoch", at) != e) throw Error(at + " is out of order or malformed");
      if (epoch.contains("lr")) r.learning_rate.push_back(number_of(epoch["lr"], at + " lr"));
      for (const auto& [key, value] : epoch.items()) {
        if (key == "epoch" || key == "lr") continue;
        TrialSeries* series = nullptr;
        if (key == kTrainEvaluation) {
          if (!r.train_evaluation) r.train_evaluation = empty_series(r.hp);
          series = &*r.train_evaluation;
        } else {
          const EvalSet set = parse_eval_set(key);
          auto [it, inserted] = r.sets.try_emplace(set, empty_series(r.hp));
          series = &it->second;
        }
        if (!value.is_object()) throw Error(at + " " + key + " is not an object");
        const auto i = static_cast<std::size_t>(e);
        series->loss[i] = number_of(member(value, "loss", at + " " + key), at + " " + key + " loss");
        series->accuracy[i] = number_of(member(value, "accuracy", at + " " + key), at + " " + key + " accuracy");
        series->time[i] = number_of(member(value, "time", at + " " + key), at + " " + key + " time");
      }
    }
    if (!r.learning_rate.empty() && r.learning_rate.size() != static_cast<std::size_t>(r.hp)) {
      throw Error("lr is given for some epochs only");
    }
    if (r.sets.count(EvalSet::Train) == 0) throw Error("no epoch has its training pass (\"train\")");
    r.protocol_json = member(doc, "protocol", "the record").dump();
    r.provenance_json = member(doc, "provenance", "the record").dump();
    return r;
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
}

TrialImportReport import_trial_records(const std::vector<std::string>& sources, const std::string& out) {
  namespace fs = std::filesystem;
  require_writable_location(out, "output store");
  std::vector<std::string> files;
  for (const std::string& source : sources) {
    std::error_code error;
    if (fs::is_directory(source, error)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(source)) {
        if (entry.path().extension() == ".json") found.push_back(entry.path().string());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) throw Error(source + " holds no *.json trial records");
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(source);
    }
  }
  if (files.empty()) throw Error("no trial records given");
  std::vector<TrialRecord> records;
  for (const std::string& file : files) records.push_back(read_trial_record(file));
  return write_trial_store(records, files, "nas train trial records", out);
}

TrialImportReport write_trial_store(const std::vector<TrialRecord>& records, const std::vector<std::string>& files,
                                    const std::string& provenance, const std::string& out) {
  require_writable_location(out, "output store");
  if (records.empty()) throw Error("no trial records to store");
  TrialImportReport report;
  report.space = records.front().space;
  std::set<std::tuple<std::uint32_t, int, int, std::int32_t>> trials;
  std::set<std::uint32_t> archs;
  std::set<std::string> protocols, versions;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const TrialRecord& r = records[i];
    if (r.space != report.space) {
      throw Error(files[i] + ": a record of the " + std::string(space_name(r.space)) + " space among records of the " +
                  std::string(space_name(report.space)) + " space");
    }
    if (!trials.emplace(r.index, static_cast<int>(r.dataset), r.hp, r.seed).second) {
      throw Error(files[i] + ": a second record of arch " + std::to_string(r.index) + " on " + std::string(dataset_name(r.dataset)) +
                  " at hp " + std::to_string(r.hp) + " with seed " + std::to_string(r.seed));
    }
    archs.insert(r.index);
    protocols.insert(r.protocol_json);
    const json record_provenance = json::parse(r.provenance_json);
    if (record_provenance.contains("nas_version")) versions.insert(record_provenance["nas_version"].dump());
  }
  std::string description = provenance + " (" + std::to_string(records.size()) + " trials of " +
                            std::to_string(archs.size()) + " archs); protocols:";
  for (const std::string& p : protocols) description += " " + p;
  description += "; nas versions:";
  for (const std::string& v : versions) description += " " + v;
  StoreWriter writer(report.space, description);
  const SpaceDefinition& definition = space_definition(report.space);
  for (std::size_t i = 0; i < records.size(); ++i) {
    try {
      definition.add_trial(records[i], writer);
    } catch (const Error& e) {
      throw Error(files[i] + ": " + e.what());
    }
  }
  writer.write(out);
  report.records = static_cast<std::uint32_t>(records.size());
  report.archs = static_cast<std::uint32_t>(archs.size());
  return report;
}

void require_trial_of(const SpaceDefinition& space, const TrialRecord& record) {
  const std::string what = "trial of arch " + std::to_string(record.index) + " (seed " + std::to_string(record.seed) + ")";
  if (record.space != space.id()) {
    throw Error(what + " is of the " + std::string(space_name(record.space)) + " space, not " + std::string(space.name()));
  }
  space.require_dataset(record.dataset);
  if (record.seed < space.min_trial_seed()) {
    throw Error(what + ": seeds of the " + std::string(space.name()) + " space start at " +
                std::to_string(space.min_trial_seed()));
  }
  if (record.sets.count(EvalSet::Train) == 0) throw Error(what + " has no training pass");
}

}  // namespace nas::bench

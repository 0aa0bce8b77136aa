// The NAS-Bench-Macro importer (see macro_importer.h).
#include "nas/benchmark_api/macro/macro_importer.h"

#include <array>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"
#include "nas/benchmark_api/macro/macro_space.h"
#include "nas/benchmark_api/store.h"
#include "nas/benchmark_api/text.h"

namespace nas::bench {
namespace {

constexpr int kRuns = 3;
constexpr std::uint64_t kMaxJsonBytes = 64 * 1024 * 1024;  // the official file is 1.2 MB

struct MacroRecord {
  std::array<double, kRuns> runs{};
  double mean = 0, std = 0;
};

double number_at(const nlohmann::json& value, const std::string& where) {
  if (!value.is_number()) throw Error(where + " is not a number");
  const double v = value.get<double>();
  if (!std::isfinite(v)) throw Error(where + " is not finite");
  return v;
}

/// Equal up to the rounding of the published float values (they went through numpy float64).
bool close(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b)); }

MacroRecord read_record(const std::string& code, const nlohmann::json& value, const std::string& where) {
  if (!value.is_object()) throw Error(where + " is not an object");
  for (const char* key : {"test_acc", "mean_acc", "std", "params", "flops"}) {
    if (!value.contains(key)) throw Error(where + " has no '" + key + "'");
  }
  const nlohmann::json& runs = value["test_acc"];
  if (!runs.is_array() || runs.size() != kRuns) throw Error(where + ".test_acc is not a list of 3 accuracies");
  MacroRecord record;
  double sum = 0;
  for (int r = 0; r < kRuns; ++r) {
    record.runs[static_cast<std::size_t>(r)] = number_at(runs[static_cast<std::size_t>(r)], where + ".test_acc[" + std::to_string(r) + "]");
    const double v = record.runs[static_cast<std::size_t>(r)];
    if (v < 0 || v > 100) throw Error(where + ".test_acc[" + std::to_string(r) + "] = " + std::to_string(v) + " is not a percentage");
    sum += v;
  }
  record.mean = number_at(value["mean_acc"], where + ".mean_acc");
  record.std = number_at(value["std"], where + ".std");
  const double mean = sum / kRuns;
  double squares = 0;
  for (double v : record.runs) squares += (v - mean) * (v - mean);
  if (!close(record.mean, mean)) throw Error(where + ".mean_acc " + std::to_string(record.mean) + " is not the mean of its 3 runs");
  if (std::fabs(record.std - std::sqrt(squares / kRuns)) > 1e-9 * 100) {
    throw Error(where + ".std " + std::to_string(record.std) + " is not the population std of its 3 runs");
  }
  const MacroCost cost = macro_network_cost(parse_macro_arch(code));
  if (!value["params"].is_number_unsigned() || value["params"].get<std::uint64_t>() != cost.params) {
    throw Error(where + ".params " + value["params"].dump() + " differs from the network's " + std::to_string(cost.params));
  }
  if (!value["flops"].is_number_unsigned() || value["flops"].get<std::uint64_t>() != cost.flops) {
    throw Error(where + ".flops " + value["flops"].dump() + " differs from the network's " + std::to_string(cost.flops));
  }
  return record;
}

}  // namespace

MacroImportReport import_macro_json(const std::string& json_path, const std::string& out) {
  require_writable_location(out, "output store");  // before the work, not after it
  const std::string text = read_regular_file(json_path, "NAS-Bench-Macro file", kMaxJsonBytes);
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(json_path + ": not valid JSON (" + std::string(e.what()) + ")");
  }
  if (!root.is_object()) throw Error(json_path + ": expected a JSON object mapping codes to records");
  if (root.size() != kMacroNumArchs) {
    throw Error(json_path + ": has " + std::to_string(root.size()) + " records, NAS-Bench-Macro has " +
                std::to_string(kMacroNumArchs));
  }
  std::map<std::uint32_t, MacroRecord> records;
  for (const auto& [code, value] : root.items()) {
    const std::string where = json_path + ": record " + nas::quoted(code);
    std::uint32_t index = 0;
    try {
      index = macro_index_of(parse_macro_arch(code));
    } catch (const Error& e) {
      throw Error(json_path + ": " + e.what());
    }
    records.emplace(index, read_record(code, value, where));
  }
  // Equivalent codes are one network, trained once: their records must be the same.
  std::map<std::uint32_t, std::uint32_t> class_of;  // canonical index -> first member
  for (const auto& [index, record] : records) {
    const std::uint32_t canonical = macro_index_of(macro_canonical(macro_arch_at(index)));
    const auto [it, first] = class_of.emplace(canonical, index);
    if (!first && records.at(it->second).runs != record.runs) {
      throw Error(json_path + ": records " + format_macro_arch(macro_arch_at(it->second)) + " and " +
                  format_macro_arch(macro_arch_at(index)) + " are the same network but differ");
    }
  }

  char source_hash[17];
  std::snprintf(source_hash, sizeof source_hash, "%016" PRIx64, fnv1a64(text.data(), text.size()));
  StoreWriter writer(Space::Macro,
                     "NAS-Bench-Macro (CIFAR-10), imported from " + json_path + " (" + std::to_string(text.size()) +
                         " bytes, FNV-1a-64 " + source_hash +
                         "; official copy: github.com/xiusu/NAS-Bench-Macro @61a2bfc, data/nas-bench-macro_cifar10.json, "
                         "Apache-2.0). Per code: the test accuracy of 3 runs (seeds 0, 1, 2; each the best epoch of 50 "
                         "on the CIFAR-10 test set, so it is not a held-out estimate), their published mean, params and "
                         "FLOPs (millions). No validation split, no times, no fidelities.");
  const int hp = space_definition(Space::Macro).final_hp();
  const auto key = [&](Quantity quantity, std::int32_t seed) {
    return ColumnKey{Dataset::Cifar10, quantity == Quantity::Accuracy ? EvalSet::OriTest : EvalSet::Train, quantity,
                     static_cast<std::uint16_t>(hp), seed};
  };
  for (std::int32_t seed = 0; seed < kRuns; ++seed) writer.add_column(key(Quantity::Accuracy, seed), 1);
  writer.add_column(key(Quantity::Accuracy, kMeanSeed), 1);
  writer.add_column(key(Quantity::Params, kMeanSeed), 1);
  writer.add_column(key(Quantity::Flops, kMeanSeed), 1);
  for (const auto& [index, record] : records) {
    for (std::int32_t seed = 0; seed < kRuns; ++seed) writer.set(key(Quantity::Accuracy, seed), index, 0, record.runs[static_cast<std::size_t>(seed)]);
    writer.set(key(Quantity::Accuracy, kMeanSeed), index, 0, record.mean);
    const MacroCost cost = macro_network_cost(macro_arch_at(index));
    writer.set(key(Quantity::Params, kMeanSeed), index, 0, static_cast<double>(cost.params) / 1e6);
    writer.set(key(Quantity::Flops, kMeanSeed), index, 0, static_cast<double>(cost.flops) / 1e6);
  }
  writer.write(out);
  MacroImportReport report;
  report.archs = static_cast<std::uint32_t>(records.size());
  report.classes = static_cast<std::uint32_t>(class_of.size());
  return report;
}

}  // namespace nas::bench

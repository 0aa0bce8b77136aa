// summary.json: the report model (build_report) as JSON, the same numbers as report.md for scripts.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "json_util.h"
#include "report.h"
#include "report_internal.h"

namespace nas::experiments::report_detail {
namespace {

using Json = nlohmann::ordered_json;

Json json_of(const Statistic& s) {
  return {{"mean", s.count > 0 ? Json(s.mean) : Json(nullptr)},
          {"std", s.count > 0 ? Json(s.std) : Json(nullptr)},
          {"runs", s.count}};
}

Json json_of(const ArchFrequency& f) {
  return {{"arch", f.arch}, {"index", f.index}, {"count", f.count}, {"test_accuracy", json_or_null(f.test_accuracy)}};
}

Json json_of(const CrossSeed& c) {
  Json out;
  out["distinct_archs"] = c.distinct_archs;
  out["most_frequent"] = c.top_archs.empty() ? Json(nullptr) : json_of(c.top_archs.front());
  out["top_archs"] = Json::array();
  for (const auto& f : c.top_archs) out["top_archs"].push_back(json_of(f));
  out["choice_frequencies"] = Json::object();
  for (const auto& d : c.decisions) {
    Json choices = Json::object();
    for (std::size_t i = 0; i < d.choices.size(); ++i) choices[d.choices[i]] = d.fractions[i];
    out["choice_frequencies"][d.decision] = choices;
  }
  out["mean_pairwise_edit_distance"] = json_or_null(c.mean_edit_distance);
  out["isomorphism_classes"] = {
      {"distinct", c.distinct_classes},
      {"most_frequent", c.top_class_count == 0 ? Json(nullptr)
                                               : Json{{"canonical_form", c.top_class},
                                                      {"count", c.top_class_count},
                                                      {"most_frequent_member", json_of(c.top_class_member)}}}};
  return out;
}

Json json_of(const UnavailableArch& u) {
  return {{"arch", u.arch}, {"index", u.index}, {"params_m", u.params_m}, {"flops_m", u.flops_m}, {"runs", u.runs}};
}

/// A schedule (hp) of a space with fidelities; null for a space without (ReportSummary::test_hp).
Json json_of(const std::optional<int>& hp) { return hp ? Json(*hp) : Json(nullptr); }

Json json_of(const CellReport& cell, const std::optional<int>& test_hp) {
  Json out;
  out["algorithm"] = cell.algorithm;
  out["space"] = cell.space;
  out["dataset"] = cell.dataset;
  out["runs"] = cell.runs;
  out["family"] = cell.weight_sharing ? "weight-sharing" : "query";
  out["searched_on_test_accuracy"] = cell.searched_on_test_accuracy;
  out["budget_seconds"] = cell.budget_seconds;
  out["budget_queries"] = cell.budget_queries;
  if (cell.weight_sharing) {
    out["search_wall_seconds"] = json_of(cell.search_wall_seconds);
    out["devices"] = cell.devices;
  }
  Json valid = json_of(cell.at_budget.valid);
  // A space without a validation split has no schedule a validation accuracy could come from.
  valid["hp"] = has_validation_split(cell.space, cell.dataset) ? Json(cell.at_budget.valid_hps) : Json(nullptr);
  Json test = json_of(cell.at_budget.test);
  test["hp"] = json_of(test_hp);
  out["at_budget"] = {{"valid", valid}, {"test", test}};
  out["cross_seed"] = json_of(cell.cross_seed);
  // Runs that ended on an arch the benchmark has no final-fidelity record of: no accuracy, said so.
  out["accuracy_unavailable"] = Json::array();
  for (const auto& u : cell.unavailable) out["accuracy_unavailable"].push_back(json_of(u));
  return out;
}

Json json_of(const AnytimeData& data) {
  Json curves = Json::array();
  for (const auto& c : data.curves) {
    Json mean = Json::array();
    for (const auto& m : c.mean) mean.push_back(json_or_null(m));
    curves.push_back({{"algorithm", c.algorithm}, {"mean", mean}, {"std", c.std}, {"runs", c.runs}});
  }
  // The grid says what it counts: "seconds", or (whole) "queries" on a space whose data records no times.
  if (!data.by_queries) {
    return {{"space", data.space}, {"dataset", data.dataset}, {"seconds", data.seconds}, {"curves", curves}};
  }
  Json queries = Json::array();
  for (double q : data.queries) queries.push_back(static_cast<std::int64_t>(q));
  return {{"space", data.space}, {"dataset", data.dataset}, {"queries", queries}, {"curves", curves}};
}

Json json_of(const algorithms::EpochRecord& e, const std::optional<double>& derived_test) {
  return {{"epoch", e.epoch},
          {"train_loss", e.train_loss},
          {"train_accuracy", e.train_accuracy},
          {"arch_loss", e.arch_loss},
          {"arch_accuracy", e.arch_accuracy},
          {"valid_accuracy", e.valid_accuracy},
          {"derived_arch", e.derived_arch},
          {"derived_test_accuracy", json_or_null(derived_test)},
          {"tau", e.tau},
          {"seconds", e.seconds},
          {"arch_probabilities", e.arch_probabilities}};
}

Json json_of(const WeightSharingData& data) {
  Json runs = Json::array();
  for (const auto& r : data.runs) {
    Json epochs = Json::array();
    for (std::size_t i = 0; i < r.epochs.size(); ++i) epochs.push_back(json_of(r.epochs[i], r.derived_test_accuracy[i]));
    runs.push_back({{"seed", r.seed},
                    {"arch_index", r.arch},
                    {"test_accuracy", json_or_null(r.test_accuracy)},
                    {"device", r.device},
                    {"search_wall_seconds", r.search_wall_seconds},
                    {"plotted", r.plotted},
                    {"epochs", epochs}});
  }
  return {{"algorithm", data.algorithm},
          {"space", data.space},
          {"dataset", data.dataset},
          {"decisions", data.decisions},
          {"choices", data.choices},
          {"runs", runs}};
}

}  // namespace

Json summary_json(const ReportSummary& s) {
  Json out;
  out["schema_version"] = 2;
  out["name"] = s.name;
  out["metadata"] = Json(s.metadata);
  out["runs"] = s.num_runs;
  out["spaces"] = s.spaces;
  out["test_hp"] = Json::object();
  for (const auto& space : s.spaces) out["test_hp"][space] = json_of(s.test_hp.at(space));
  out["algorithms"] = s.algorithms;
  out["datasets"] = s.datasets;
  out["results"] = Json::array();
  for (const auto& cell : s.cells) out["results"].push_back(json_of(cell, s.test_hp.at(cell.space)));
  out["anytime"] = Json::array();
  for (const auto& data : s.anytime) out["anytime"].push_back(json_of(data));
  out["weight_sharing"] = Json::array();
  for (const auto& data : s.weight_sharing) out["weight_sharing"].push_back(json_of(data));
  return out;
}

}  // namespace nas::experiments::report_detail

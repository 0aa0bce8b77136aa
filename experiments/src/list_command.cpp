// nas list: what this build knows (search spaces, benchmarks, datasets).
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_options.h"
#include "commands.h"
#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/datasets.h"
#include "session.h"

namespace nas::cli {

void add_list_command(CLI::App& app) {
  struct Options {
    bool json = false;
    std::vector<std::string> plugins;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("list", "List search spaces, benchmarks, datasets and algorithms");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  add_text_option(*cmd, "--plugin", o->plugins, "Also list the searchers of a plugin (repeatable)");
  cmd->callback([o] {
    using nlohmann::ordered_json;
    ordered_json out;
    out["version"] = std::string(bench::nas_version());
    out["search_spaces"] = ordered_json::array();
    out["benchmarks"] = ordered_json::array();
    for (const bench::SpaceDefinition* space : bench::all_spaces()) {
      ordered_json datasets = ordered_json::array();
      for (bench::Dataset d : space->datasets()) datasets.push_back(std::string(bench::dataset_name(d)));
      const bench::DefaultBudget budget = space->default_budget(space->datasets().front());
      out["search_spaces"].push_back({{"name", std::string(space->name())},
                                      {"description", std::string(space->description())},
                                      {"archs", space->num_archs()},
                                      {"arch_syntax", std::string(space->arch_syntax())},
                                      {"datasets", datasets},
                                      {"fidelities", space->fidelities()},
                                      {"full_hp", space->fidelities().empty() ? ordered_json(nullptr) : ordered_json(space->final_hp())},
                                      {"search_hp", space->fidelities().empty() ? ordered_json(nullptr) : ordered_json(space->search_hp())},
                                      {"budget", budget.queries > 0 ? "queries" : "seconds"}});
      const std::string path = bench::Benchmark::default_path(space->id());
      out["benchmarks"].push_back({{"space", std::string(space->name())},
                                   {"path", path},
                                   {"present", std::filesystem::exists(path)}});
    }
    out["datasets"] = ordered_json::array();
    for (bench::Dataset d : bench::kAllDatasets) {
      out["datasets"].push_back({{"name", std::string(bench::dataset_name(d))},
                                 {"classes", bench::dataset_num_classes(d)},
                                 {"image_size", bench::dataset_image_size(d)},
                                 {"train_images", bench::dataset_num_train_images(d)}});
    }
    out["algorithms"] = ordered_json::array();
    const algorithms::SearcherRegistry registry = experiments::make_registry(o->plugins, /*with_weight_sharing=*/true);
    for (const algorithms::SearcherEntry* entry : registry.entries()) {
      ordered_json keys = ordered_json::array();
      for (const auto& field : entry->fields) {
        keys.push_back({{"key", field.key}, {"type", field.type}, {"default", field.default_value}, {"help", field.help}});
      }
      ordered_json spaces = ordered_json::array();
      for (bench::Space space : entry->spaces) spaces.push_back(std::string(bench::space_name(space)));
      out["algorithms"].push_back({{"name", entry->name},
                                   {"family", std::string(algorithms::family_name(entry->family))},
                                   {"spaces", spaces},
                                   {"description", entry->description},
                                   {"config", keys}});
    }
    if (o->json) {
      std::cout << out.dump() << "\n";
    } else {
      std::cout << out.dump(2) << "\n";
    }
  });
}

}  // namespace nas::cli

// nasbench-vis's 1k file (shared/data/nasbench101/nasbench-vis_data-1k.json, its SOURCE.md) as test
// data: the official graph, module hash, trainable parameters, validation accuracies (one repeat per
// schedule) and 108-epoch training time of 1,000 NAS-Bench-101 cells, read
// as plainly as possible so that the tests compare the suite with the file, not with itself (the
// importer, nb101_vis_importer.cpp, reads the same file with every check a user's input needs).
#pragma once

#include <array>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "nas/benchmark_api/nb101/nb101_spec.h"

namespace nas::test {

struct Nb101VisCell {
  bench::Nb101Graph graph;  ///< as the file has it, its padding removed (the official cells need no pruning)
  std::string key;          ///< the module hash
  std::uint64_t params = 0; ///< trainable_parameters
  /// {4,12,36,108}_final_validation_accuracy (fractions) of one repeat (the third in the official
  /// files' order, for 00005c14... at least) of each schedule.
  std::array<double, 4> validation_accuracy{};
  double final_training_time = 0;  ///< seconds, the 108-epoch run of that repeat
};

/// The file's op labels (its repository's src/nas-101/GraphView.js); -3 pads cells of < 7 vertices.
inline bench::Nb101Op op_of_vis_label(int label) {
  switch (label) {
    case -1: return bench::Nb101Op::Input;
    case -2: return bench::Nb101Op::Output;
    case 0: return bench::Nb101Op::Conv3x3;
    case 1: return bench::Nb101Op::Conv1x1;
    case 2: return bench::Nb101Op::MaxPool3x3;
    default: throw std::runtime_error("unexpected op label " + std::to_string(label));
  }
}

/// Every cell of the 1k file at `path`, in its order.
inline std::vector<Nb101VisCell> read_nb101_vis_cells(const std::string& path) {
  std::ifstream in(path);
  const nlohmann::json data = nlohmann::json::parse(in);
  std::vector<Nb101VisCell> cells;
  for (std::size_t i = 0; i < data["key"].size(); ++i) {
    Nb101VisCell cell;
    cell.key = data["key"][i].get<std::string>();
    cell.params = data["trainable_parameters"][i].get<std::uint64_t>();
    const char* schedules[] = {"4", "12", "36", "108"};
    for (std::size_t s = 0; s < cell.validation_accuracy.size(); ++s) {
      cell.validation_accuracy[s] = data[std::string(schedules[s]) + "_final_validation_accuracy"][i].get<double>();
    }
    cell.final_training_time = data["final_training_time"][i].get<double>();
    for (const nlohmann::json& label : data["operations"][i]) {
      if (label.get<int>() == -3) break;  // padding from here on
      cell.graph.ops.push_back(op_of_vis_label(label.get<int>()));
    }
    const std::size_t n = cell.graph.ops.size();
    for (std::size_t x = 0; x < n; ++x) {
      std::vector<int>& row = cell.graph.matrix.emplace_back();
      for (std::size_t y = 0; y < n; ++y) row.push_back(data["adjacency"][i][x][y].get<double>() != 0.0 ? 1 : 0);
    }
    cells.push_back(std::move(cell));
  }
  return cells;
}

}  // namespace nas::test

// NAS-Bench-101 as a space of the suite: its registration and facts, the cell list the build
// generates (load, hash lookup), the SearchSpace (encoding, uniform sampling, the colab's mutation
// and its distribution), and the shipped partial store against the nasbench-vis files it was
// imported from (every 1k cell by graph and hash, every 10k hash), and the importer's checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <unistd.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/nb101/nb101_cells.h"
#include "nas/benchmark_api/nb101/nb101_cost.h"
#include "nas/benchmark_api/nb101/nb101_format.h"
#include "nas/benchmark_api/nb101/nb101_space.h"
#include "nas/benchmark_api/nb101/nb101_vis_importer.h"
#include "nas/benchmark_api/search_space.h"
#include "expect_error.h"
#include "test_data.h"

namespace nas::bench {
namespace {

namespace fs = std::filesystem;

using nas::test::expect_error;

const Nb101Cells& cells() { return Nb101Cells::get(); }
const SpaceDefinition& nb101() { return space_definition(Space::Nb101); }

nlohmann::json read_json(const std::string& relative) {
  std::ifstream in(nas::test::shared_data(relative));
  return nlohmann::json::parse(in);
}

// A cell of the 1k file as a graph, its padding (label -3, no edges) removed.
Nb101Graph vis_graph(const nlohmann::json& data, std::size_t i) {
  static const std::map<int, Nb101Op> ops{{-1, Nb101Op::Input}, {-2, Nb101Op::Output}, {0, Nb101Op::Conv3x3},
                                          {1, Nb101Op::Conv1x1}, {2, Nb101Op::MaxPool3x3}};
  Nb101Graph graph;
  for (const auto& label : data["operations"][i]) {
    if (label.get<int>() == -3) break;
    graph.ops.push_back(ops.at(label.get<int>()));
  }
  const std::size_t n = graph.ops.size();
  graph.matrix.assign(n, std::vector<int>(n, 0));
  for (std::size_t x = 0; x < n; ++x) {
    for (std::size_t y = 0; y < n; ++y) graph.matrix[x][y] = data["adjacency"][i][x][y].get<double>() != 0 ? 1 : 0;
  }
  return graph;
}

// ---- registration and facts ---------------------------------------------------------------------

TEST(Nb101Space, IsRegisteredUnderItsNameAndAlias) {
  EXPECT_EQ(find_space("nb101").id(), Space::Nb101);
  EXPECT_EQ(find_space("nasbench101").id(), Space::Nb101);
  EXPECT_EQ(space_num_archs(Space::Nb101), 423624u);
  EXPECT_NE(space_names().find("nb101"), std::string::npos);
  EXPECT_EQ(nb101().datasets(), std::vector<Dataset>{Dataset::Cifar10});
  EXPECT_EQ(nb101().fidelities(), (std::vector<int>{4, 12, 36, 108}));
  EXPECT_EQ(nb101().search_hp(), 108);
  EXPECT_EQ(nb101().final_hp(), 108);
  EXPECT_EQ(nb101().default_budget(Dataset::Cifar10).seconds, 5e6);
  EXPECT_EQ(nb101().resolve_split(Dataset::Cifar10, Split::Valid)->set, EvalSet::XValid);
  EXPECT_EQ(nb101().resolve_split(Dataset::Cifar10, Split::Test)->set, EvalSet::OriTest);
  EXPECT_NE(nb101().how_to_import().find("nas bench import nb101 --src nasbench_only108.tfrecord"), std::string::npos);
  expect_error([] { nb101().require_dataset(Dataset::Cifar100); }, "the nb101 space has no dataset cifar100");
  expect_error([] { nb101().resolve_hp(200); }, "4, 12, 36, 108");
}

TEST(Nb101Space, CostIsTheCellLibrarysExactCount) {
  const ArchId index = nb101().parse_arch("in,c3,mp,c3,c3,c1,out:0-1,0-4,0-5,1-2,2-3,2-6,3-5,4-5,5-6");
  EXPECT_EQ(nb101().cost(index, Dataset::Cifar10).params_m, 8555530 / 1e6);
  EXPECT_EQ(nb101().cost(0, Dataset::Cifar10).params_m, 882570 / 1e6);  // input -> output
}

// ---- the cell list ------------------------------------------------------------------------------

TEST(Nb101Cells, TheBuildsListIsTheWholeSpaceInEnumerationOrder) {
  ASSERT_EQ(cells().size(), kNb101NumCells);
  EXPECT_EQ(format_nb101_text(cells().spec(0)), "in,out:0-1");
  EXPECT_EQ(format_nb101_text(cells().spec(1)), "in,c3,out:0-1,1-2");
  EXPECT_EQ(format_nb101_text(cells().spec(3)), "in,mp,out:0-1,1-2");
  EXPECT_EQ(cells().hash(0).hex(), "043721b9c7fe8c5fad811d47d83132ec");
  for (std::uint32_t index = 0; index < cells().size(); index += 997) {
    EXPECT_EQ(cells().find(cells().hash(index)), index);
    EXPECT_EQ(nb101_hash(cells().spec(index)), cells().hash(index));
  }
  EXPECT_EQ(cells().find(Nb101Hash::from_hex("ffffffffffffffffffffffffffffffff")), std::nullopt);
  EXPECT_EQ(&Nb101Cells::get(), &cells()) << "read once per process";
}

TEST(Nb101Cells, ConcurrentFirstCallsShareOneList) {
  // ctest runs each test in its own process, so these are the process's first calls.
  std::vector<const Nb101Cells*> seen(4, nullptr);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < seen.size(); ++t) threads.emplace_back([&seen, t] { seen[t] = &Nb101Cells::get(); });
  for (std::thread& thread : threads) thread.join();
  for (const Nb101Cells* cells_seen : seen) EXPECT_EQ(cells_seen, &cells());
  EXPECT_EQ(cells().size(), kNb101NumCells);
}

TEST(Nb101Cells, ADamagedListIsAnErrorNamingIt) {
  const fs::path dir = fs::temp_directory_path() / ("nb101_cells_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "cells.bin").string();
  write_nb101_cache(path, {{cells().spec(0), cells().hash(0)}});
  expect_error([&] { Nb101Cells::load(path); }, "holds 1 cells, not the 423624");
  std::ofstream(path) << "not a cache";
  expect_error([&] { Nb101Cells::load(path); }, path);
  fs::remove_all(dir);
}

// ---- arch strings -------------------------------------------------------------------------------

TEST(Nb101Space, ArchStringsRoundTripAndAnyFormOfACellNamesIt) {
  for (std::uint32_t index = 0; index < kNb101NumCells; index += 4999) {
    const std::string text = nb101().format_arch(index);
    EXPECT_EQ(nb101().parse_arch(text), index) << text;
    EXPECT_EQ(nb101().parse_arch(format_nb101_json(cells().spec(index))), index);
  }
  const ArchId chain = nb101().parse_arch("in,c3,out:0-1,1-2");
  // Unpruned (vertex 2 dangles), and nasbench's JSON form of it.
  EXPECT_EQ(nb101().parse_arch("in,c3,c1,out:0-1,0-2,1-3"), chain);
  EXPECT_EQ(nb101().parse_arch(R"({"matrix": [[0,1,1,0],[0,0,0,1],[0,0,0,0],[0,0,0,0]],
                                    "ops": ["input","conv3x3-bn-relu","conv1x1-bn-relu","output"]})"),
            chain);
  // Isomorphic: the two inner vertices swapped.
  EXPECT_EQ(nb101().parse_arch("in,c3,c1,out:0-1,0-2,1-3,2-3"), nb101().parse_arch("in,c1,c3,out:0-1,0-2,1-3,2-3"));
  EXPECT_EQ(std::get<std::string>(nb101().arch_details(chain).at(0).value), "b49ac8c578b4561d79ac7087988f1c61");
  expect_error([] { nb101().parse_arch("in,c3,out:0-1"); }, "output");
  expect_error([] { nb101().parse_arch("in,c5,out:0-1,1-2"); }, "c5");
  expect_error([] { nb101().parse_arch(R"({"matrix": [[0,1],[1,0]], "ops": ["input","output"]})"); }, "triangular");
  expect_error([] { nb101().format_arch(kNb101NumCells); }, "out of range");
  // By hash (`--hash`): either case, and the errors.
  EXPECT_EQ(nb101().arch_of_hash("B49AC8C578B4561D79AC7087988F1C61"), chain);
  expect_error([] { nb101().arch_of_hash("b49ac8c5"); }, "malformed NAS-Bench-101 hash 'b49ac8c5' (expected 32 hex digits)");
  expect_error([] { nb101().arch_of_hash("ffffffffffffffffffffffffffffffff"); }, "no NAS-Bench-101 cell has the hash");
  expect_error([] { space_definition(Space::Topology).arch_of_hash("b49ac8c578b4561d79ac7087988f1c61"); }, "the tss space has no hashes");
}

// ---- the SearchSpace ----------------------------------------------------------------------------

TEST(Nb101SearchSpace, DecisionsAre21EdgeBitsAnd5OpsAndRoundTrip) {
  const auto space = make_search_space(Space::Nb101);
  ASSERT_EQ(space->num_decisions(), 26);
  EXPECT_EQ(space->num_choices(0), 2);
  EXPECT_EQ(space->num_choices(21), 3);
  EXPECT_EQ(space->decision_name(0), "0->1");
  EXPECT_EQ(space->decision_name(20), "5->6");
  EXPECT_EQ(space->decision_name(25), "op-5");
  EXPECT_EQ(space->choice_name(22, 2), "mp");
  for (std::uint32_t index = 0; index < kNb101NumCells; index += 1009) {
    EXPECT_EQ(space->from_decisions(space->decisions(index)), index);
    EXPECT_EQ(space->try_from_decisions(space->decisions(index)), index);
  }
  // Cell 0 (input -> output) is the edge 0 -> 6 alone in the 7-vertex form.
  std::vector<int> expected(26, 0);
  expected[static_cast<std::size_t>(nb101_edge_bit(0, 6))] = 1;
  EXPECT_EQ(space->decisions(0), expected);
  const std::vector<int> no_edges(26, 0);
  EXPECT_EQ(space->try_from_decisions(no_edges), std::nullopt) << "the output is unreachable";
  expect_error([&] { space->from_decisions(no_edges); }, "");
  std::vector<int> all_edges(26, 0);
  for (int bit = 0; bit < kNb101EdgeBits; ++bit) all_edges[static_cast<std::size_t>(bit)] = 1;
  EXPECT_EQ(space->try_from_decisions(all_edges), std::nullopt) << "21 edges";
  expect_error([&] { space->try_from_decisions(std::vector<int>(26, 3)); }, "out of range");
  // Neighbours: valid, distinct, other cells.
  const std::vector<ArchId> around = space->neighbours(1000);
  EXPECT_FALSE(around.empty());
  EXPECT_TRUE(std::is_sorted(around.begin(), around.end()));
  EXPECT_EQ(std::adjacent_find(around.begin(), around.end()), around.end());
  EXPECT_EQ(std::count(around.begin(), around.end(), 1000u), 0);
}

TEST(Nb101SearchSpace, SamplingIsUniformOverTheCells) {
  const auto space = make_search_space(Space::Nb101);
  Rng rng(11);
  constexpr int kDraws = 100000, kBins = 20;
  std::vector<int> bins(kBins, 0);
  for (int i = 0; i < kDraws; ++i) {
    const ArchId arch = space->sample(rng);
    ASSERT_LT(arch, kNb101NumCells);
    ++bins[static_cast<std::size_t>(static_cast<std::uint64_t>(arch) * kBins / kNb101NumCells)];
  }
  double chi2 = 0;
  for (int count : bins) chi2 += std::pow(count - kDraws / double(kBins), 2) / (kDraws / double(kBins));
  EXPECT_LT(chi2, 50.0) << "19 degrees of freedom; 50 is p < 1e-4";
}

// The colab's mutate_spec written out from its description (§1.8 of the reference: each edge bit
// flips with p = 1/7, each inner op becomes a different op with p = 1/5, redrawn until valid), and
// redrawn also when it gives the parent back (the suite's rule).
ArchId reference_mutation(const std::vector<int>& parent_choices, ArchId parent, Rng& rng) {
  for (;;) {
    Nb101Graph graph = nb101_graph_of_decisions(parent_choices);
    for (int from = 0; from < 6; ++from) {
      for (int to = from + 1; to < 7; ++to) {
        if (rng.uniform01() < 1.0 / 7) graph.matrix[from][to] = 1 - graph.matrix[from][to];
      }
    }
    for (int v = 1; v < 6; ++v) {
      if (rng.uniform01() < 1.0 / 5) {
        std::vector<Nb101Op> others;
        for (Nb101Op op : {Nb101Op::Conv3x3, Nb101Op::Conv1x1, Nb101Op::MaxPool3x3}) {
          if (op != graph.ops[v]) others.push_back(op);
        }
        graph.ops[v] = others[rng.uniform_int(2)];
      }
    }
    if (const auto spec = Nb101Spec::try_from_graph(graph)) {
      const ArchId child = cells().index_of(*spec);
      if (child != parent) return child;
    }
  }
}

TEST(Nb101SearchSpace, MutationIsTheColabsAndAlwaysGivesAnotherValidCell) {
  const auto space = make_search_space(Space::Nb101);
  const ArchId parent = space->parse("in,c3,mp,c3,c3,c1,out:0-1,0-4,0-5,1-2,2-3,2-6,3-5,4-5,5-6");
  constexpr int kDraws = 20000;
  std::map<ArchId, int> ours, reference;
  Rng rng(5), reference_rng(6);
  const std::vector<int> parent_choices = space->decisions(parent);
  for (int i = 0; i < kDraws; ++i) {
    const ArchId child = space->mutate(parent, rng);
    ASSERT_LT(child, kNb101NumCells);
    ASSERT_NE(child, parent);
    ++ours[child];
    ++reference[reference_mutation(parent_choices, parent, reference_rng)];
  }
  // Two samples of one distribution: a chi-square test of homogeneity over the children both draw
  // often (expected count >= 20 in each), the rest pooled into one bin.
  std::set<ArchId> all;
  for (const auto& [child, count] : ours) all.insert(child);
  for (const auto& [child, count] : reference) all.insert(child);
  double chi2 = 0, rest_ours = 0, rest_reference = 0;
  int bins = 0;
  for (ArchId child : all) {
    const double a = ours.count(child) ? ours[child] : 0, b = reference.count(child) ? reference[child] : 0;
    if ((a + b) / 2 < 20) {
      rest_ours += a;
      rest_reference += b;
      continue;
    }
    chi2 += (a - b) * (a - b) / (a + b);
    ++bins;
  }
  chi2 += (rest_ours - rest_reference) * (rest_ours - rest_reference) / std::max(1.0, rest_ours + rest_reference);
  ASSERT_GT(bins, 20) << "the parent's frequent children";
  // df = bins; the chi-square quantile at p = 1e-4 is below df + 4.8 sqrt(2 df) + 16 for these df.
  EXPECT_LT(chi2, bins + 4.8 * std::sqrt(2.0 * bins) + 16) << bins << " bins";
  // One inner op changed and nothing else is the likeliest kind of child: all 10 such cells occur.
  int single_op_children = 0;
  for (int v = 1; v <= 5; ++v) {
    for (int shift = 1; shift <= 2; ++shift) {
      std::vector<int> choices = parent_choices;
      int& op = choices[static_cast<std::size_t>(20 + v)];
      op = (op + shift) % 3;
      single_op_children += ours.count(space->from_decisions(choices)) ? 1 : 0;
    }
  }
  EXPECT_EQ(single_op_children, 10);
}

TEST(Nb101SearchSpace, CanonicalFormIsTheHash) {
  const auto space = make_search_space(Space::Nb101);
  EXPECT_EQ(space->canonical_form(0), "043721b9c7fe8c5fad811d47d83132ec");
  EXPECT_EQ(space->format(space->parse("in,c3,out:0-1,1-2")), "in,c3,out:0-1,1-2");
}

// ---- the shipped partial store ------------------------------------------------------------------

const Benchmark& shipped() {
  static const Benchmark benchmark = Benchmark::open_default(Space::Nb101);
  return benchmark;
}

TEST(Nb101Store, HoldsEvery1kCellFoundByItsGraphAndHash) {
  NAS_REQUIRE_SHARED_DATA();
  const nlohmann::json data = read_json("nasbench101/nasbench-vis_data-1k.json");
  ASSERT_EQ(data["key"].size(), 1000u);
  for (std::size_t i = 0; i < 1000; ++i) {
    const std::string key = data["key"][i].get<std::string>();
    const Nb101Graph graph = vis_graph(data, i);
    const ArchId by_graph = shipped().index_of(format_nb101_text(graph));
    const std::optional<ArchId> by_hash = cells().find(Nb101Hash::from_hex(key));
    ASSERT_EQ(by_hash, by_graph) << key;
    // The stored representative is the official data's graph (first enumerated of its hash).
    EXPECT_EQ(cells().spec(by_graph).to_graph(), graph) << key;
    const ArchMetrics m = shipped().query(by_graph, Dataset::Cifar10, 108);
    ASSERT_TRUE(m.valid_accuracy) << key;
    EXPECT_EQ(*m.valid_accuracy, 100.0 * data["108_final_validation_accuracy"][i].get<double>());
    EXPECT_EQ(*shipped().query(by_graph, Dataset::Cifar10, 4).valid_accuracy,
              100.0 * data["4_final_validation_accuracy"][i].get<double>());
    EXPECT_FALSE(m.test_accuracy) << "the subsets have no test accuracy";
    EXPECT_NEAR(*shipped().cost(by_graph, Dataset::Cifar10).train_time_per_epoch_s * 108,
                data["final_training_time"][i].get<double>(), 1e-9);
  }
}

TEST(Nb101Store, Holds10kHashOnlyRecordsWithTheirParams) {
  NAS_REQUIRE_SHARED_DATA();
  const nlohmann::json data = read_json("nasbench101/nasbench-vis_data-10k.json");
  ASSERT_EQ(data["key"].size(), 10000u);
  for (std::size_t i = 0; i < 10000; ++i) {
    const std::string key = data["key"][i].get<std::string>();
    const std::optional<ArchId> index = cells().find(Nb101Hash::from_hex(key));
    ASSERT_TRUE(index) << key;
    EXPECT_EQ(nb101_network_cost(cells().spec(*index)).params, data["trainable_parameters"][i].get<std::uint64_t>()) << key;
    EXPECT_EQ(shipped().metric(*index, Dataset::Cifar10, EvalSet::XValid, Quantity::Accuracy, 108),
              100.0 * data["108_final_validation_accuracy"][i].get<double>());
  }
  EXPECT_EQ(shipped().searchable_archs(Dataset::Cifar10, 108), 11000u);
}

TEST(Nb101Store, ACellNotInThePartialStoreQueriesAsNull) {
  const ArchId absent = 0;  // input -> output: hash 043721b9..., in neither subset
  const ArchMetrics m = shipped().query(absent, Dataset::Cifar10, 108);
  EXPECT_FALSE(m.valid_accuracy);
  EXPECT_FALSE(m.test_accuracy);
  EXPECT_TRUE(shipped().seeds(absent, Dataset::Cifar10, 108).empty());
  EXPECT_EQ(shipped().seeds(cells().find(Nb101Hash::from_hex("00005c142e6f48ac74fdcf73e3439874")).value(), Dataset::Cifar10, 108),
            std::vector<std::int32_t>{kNb101UnknownRepeat});
}

TEST(Nb101Store, TheImporterRebuildsTheShippedData) {
  NAS_REQUIRE_SHARED_DATA();
  const fs::path dir = fs::temp_directory_path() / ("nb101_import_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string out = (dir / "partial.nasbench").string();
  const auto report = import_nb101_vis(nas::test::shared_data("nasbench101/nasbench-vis_data-1k.json"),
                                       nas::test::shared_data("nasbench101/nasbench-vis_data-10k.json"), out);
  EXPECT_EQ(report.with_graphs, 1000u);
  EXPECT_EQ(report.hash_only, 10000u);
  auto bytes = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  EXPECT_TRUE(bytes(out) == bytes(Benchmark::default_path(Space::Nb101)))
      << "benchmark_api/data differs from a rebuild; regenerate it (see benchmark_api/data/SOURCE.md)";

  // Damaged inputs: one error naming the file and the record; nothing written.
  nlohmann::json data = read_json("nasbench101/nasbench-vis_data-1k.json");
  const std::string hashes = nas::test::shared_data("nasbench101/nasbench-vis_data-10k.json");
  const std::string bad = (dir / "bad.json").string(), bad_out = (dir / "bad.nasbench").string();
  auto import_with = [&](const std::function<void(nlohmann::json&)>& damage, const std::string& fragment) {
    nlohmann::json copy = data;
    damage(copy);
    std::ofstream(bad) << copy.dump();
    expect_error([&] { import_nb101_vis(bad, hashes, bad_out); }, fragment);
    EXPECT_FALSE(fs::exists(bad_out));
  };
  import_with([](nlohmann::json& d) { d["key"][3] = "00005c142e6f48ac74fdcf73e3439875"; }, "record 3: its key");
  import_with([](nlohmann::json& d) { d["trainable_parameters"][7] = 1; }, "record 7: trainable_parameters 1 differs");
  import_with([](nlohmann::json& d) { d["operations"][2][1] = 5; }, "record 2 operation 1 is 5");
  import_with([](nlohmann::json& d) { d["108_final_validation_accuracy"][0] = 1.5; }, "is not a fraction");
  import_with([](nlohmann::json& d) { d["key"].erase(0); }, "has 1000 entries, 'key' 999");
  expect_error([&] { import_nb101_vis(hashes, hashes, bad_out); }, "has no array 'operations'");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace nas::bench

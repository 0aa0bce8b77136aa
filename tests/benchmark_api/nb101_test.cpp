// NAS-Bench-101 cell library: nasbench's pruning and validity rules, the module hash against the
// official keys of 1,000 cells, the text forms, the exact parameter count against the official
// figures and the MAC count, and the enumeration of the whole space (423,624 cells) with its cache.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/nb101/nb101_cost.h"
#include "nas/benchmark_api/nb101/nb101_enumeration.h"
#include "nas/benchmark_api/nb101/nb101_format.h"
#include "nas/benchmark_api/nb101/nb101_hash.h"
#include "nas/benchmark_api/nb101/nb101_spec.h"
#include "nas/benchmark_api/store.h"
#include "expect_error.h"
#include "nb101_vis_cells.h"
#include "test_data.h"

namespace nas::bench {
namespace {

namespace fs = std::filesystem;

using nas::test::expect_error;

Nb101Spec spec_of(std::string_view text) { return parse_nb101_spec(text); }

// ---- The official data --------------------------------------------------------------------------

// One cell of nasbench-vis's 1k file, with the padding (op label -3, zero rows and columns) removed.
using OfficialCell = nas::test::Nb101VisCell;

const std::vector<OfficialCell>& official_1k() {
  static const std::vector<OfficialCell> cells =
      nas::test::read_nb101_vis_cells(nas::test::shared_data("nasbench101/nasbench-vis_data-1k.json"));
  return cells;
}

std::vector<std::string> official_10k_keys() {
  std::ifstream in(nas::test::shared_data("nasbench101/nasbench-vis_data-10k.json"));
  return nlohmann::json::parse(in)["key"].get<std::vector<std::string>>();
}

// One cell of NASLib's zero-cost file: the 7x7 matrix and ops as NASLib stores them (unpruned), op
// codes in NASLib's order (0 input, 1 output, 2 maxpool3x3, 3 conv1x1, 4 conv3x3).
struct NaslibCell {
  Nb101Graph graph;
  double params_millions = 0;
};

std::vector<NaslibCell> naslib_cells() {
  std::ifstream in(nas::test::shared_data("nasbench101/naslib_zc_nasbench101.json"));
  // ordered_json: "the first cell" means the first in the file.
  const nlohmann::ordered_json data = nlohmann::ordered_json::parse(in);
  constexpr Nb101Op kNaslibOps[] = {Nb101Op::Input, Nb101Op::Output, Nb101Op::MaxPool3x3, Nb101Op::Conv1x1, Nb101Op::Conv3x3};
  std::vector<NaslibCell> cells;
  for (const auto& [key, record] : data["nasbench101"]["cifar10"].items()) {
    std::vector<int> numbers;
    std::istringstream tuple(key.substr(1, key.size() - 2));
    for (std::string item; std::getline(tuple, item, ',');) numbers.push_back(std::stoi(item));
    EXPECT_EQ(numbers.size(), 56u) << key;
    NaslibCell cell;
    cell.graph.matrix.assign(7, std::vector<int>(7, 0));
    for (std::size_t i = 0; i < 49; ++i) cell.graph.matrix[i / 7][i % 7] = numbers[i];
    for (std::size_t i = 49; i < 56; ++i) cell.graph.ops.push_back(kNaslibOps[numbers[i]]);
    cell.params_millions = record["params"].get<double>();
    cells.push_back(std::move(cell));
  }
  return cells;
}

// ---- Ops and the compact form ---------------------------------------------------------------------

TEST(Nb101Spec, OpNamesAndHashLabels) {
  for (Nb101Op op : {Nb101Op::Input, Nb101Op::Conv3x3, Nb101Op::Conv1x1, Nb101Op::MaxPool3x3, Nb101Op::Output}) {
    EXPECT_EQ(nb101_op_from_name(nb101_op_name(op)), op);
    EXPECT_EQ(nb101_op_from_name(nb101_op_short_name(op)), op);
  }
  EXPECT_EQ(nb101_op_name(Nb101Op::Conv3x3), "conv3x3-bn-relu");
  EXPECT_EQ(nb101_op_label(Nb101Op::Conv3x3), 0);
  EXPECT_EQ(nb101_op_label(Nb101Op::Conv1x1), 1);
  EXPECT_EQ(nb101_op_label(Nb101Op::MaxPool3x3), 2);
  EXPECT_EQ(nb101_op_label(Nb101Op::Input), -1);
  EXPECT_EQ(nb101_op_label(Nb101Op::Output), -2);
  EXPECT_FALSE(nb101_op_from_name("conv5x5"));
  EXPECT_EQ(nb101_edge_bit(0, 1), 0);
  EXPECT_EQ(nb101_edge_bit(0, 2), 1);
  EXPECT_EQ(nb101_edge_bit(1, 2), 2);
  EXPECT_EQ(nb101_edge_bit(5, 6), 20);
  EXPECT_EQ(sizeof(Nb101Spec), 8u);
}

TEST(Nb101Spec, KeepsTheCellAndPacksItIntoOneWord) {
  const Nb101Spec spec = spec_of("in,c3,mp,c3,c3,c1,out:0-1,0-4,0-5,1-2,2-3,2-6,3-5,4-5,5-6");
  EXPECT_EQ(spec.num_vertices(), 7);
  EXPECT_EQ(spec.num_edges(), 9);
  EXPECT_TRUE(spec.has_edge(0, 4));
  EXPECT_FALSE(spec.has_edge(0, 3));
  EXPECT_FALSE(spec.has_edge(4, 0));
  EXPECT_EQ(spec.op(2), Nb101Op::MaxPool3x3);
  EXPECT_EQ(spec.op(6), Nb101Op::Output);
  expect_error([&] { spec.op(7); }, "out of range");
  EXPECT_EQ(Nb101Spec::from_packed(spec.packed()), spec);
  EXPECT_EQ(Nb101Spec::from_graph(spec.to_graph()), spec);
  const Nb101Spec smallest = spec_of("in,out:0-1");
  EXPECT_EQ(smallest.packed(), 1u);
  EXPECT_EQ(Nb101Spec::from_packed(1), smallest);
}

TEST(Nb101Spec, FromPackedRefusesWordsThatAreNotPrunedCells) {
  expect_error([] { Nb101Spec::from_packed(0); }, "no edge");
  // 0 -> 1 and 0 -> 2: vertex 1 does not reach the output (vertex 2).
  expect_error([] { Nb101Spec::from_packed(1U << nb101_edge_bit(0, 1) | 1U << nb101_edge_bit(0, 2)); }, "vertex 1 is not on a path");
  const std::uint32_t chain = 1U << nb101_edge_bit(0, 1) | 1U << nb101_edge_bit(1, 2);
  expect_error([&] { Nb101Spec::from_packed(chain | 3U << kNb101EdgeBits); }, "op code 3 at vertex 1");
  expect_error([&] { Nb101Spec::from_packed(chain | 1U << (kNb101EdgeBits + 2)); }, "beyond the output");
  expect_error([&] { Nb101Spec::from_packed(chain | 1U << 31); }, "bit 31");
  std::uint32_t ten = 0;  // 0 -> 1 .. 5 -> 6 chain plus 0 -> 2 .. 0 -> 5: ten edges
  for (int v = 0; v < 6; ++v) ten |= 1U << nb101_edge_bit(v, v + 1);
  for (int v = 2; v < 6; ++v) ten |= 1U << nb101_edge_bit(0, v);
  expect_error([&] { Nb101Spec::from_packed(ten); }, "more than 9 edges");
}

// ---- Shape, pruning and validity (nasbench's ModelSpec and _check_spec) ----------------------------

TEST(Nb101Spec, RefusesGraphsWithoutTheShapeOfACell) {
  const std::vector<Nb101Op> three{Nb101Op::Input, Nb101Op::Conv3x3, Nb101Op::Output};
  expect_error([] { Nb101Spec::from_graph({}); }, "the matrix is empty");
  expect_error([&] { Nb101Spec::from_graph({{{0, 1, 0}, {0, 0, 1}}, three}); }, "matrix row 0 has 3 entries, but there are 2 rows");
  expect_error([&] { Nb101Spec::from_graph({{{0, 1, 0}, {0, 0, 1}, {0, 0}}, three}); }, "matrix row 2 has 2 entries");
  expect_error([] { Nb101Spec::from_graph({{{0, 1}, {0, 0}}, {Nb101Op::Input}}); }, "there are 1 ops for 2 vertices");
  expect_error([&] { Nb101Spec::from_graph({{{0, 1, 0}, {1, 0, 1}, {0, 0, 0}}, three}); },
               "matrix[1][0] is 1, but the matrix must be strictly upper triangular");
  expect_error([&] { Nb101Spec::from_graph({{{0, 1, 0}, {0, 1, 1}, {0, 0, 0}}, three}); }, "matrix[1][1] is 1");
  expect_error([&] { Nb101Spec::from_graph({{{0, 2, 0}, {0, 0, 1}, {0, 0, 0}}, three}); }, "matrix[0][1] is 2; an entry is 0 or 1");
}

TEST(Nb101Spec, PrunesVerticesOffEveryInputToOutputPath) {
  // The pruning test vector of the reference: vertex 2 gets the input but feeds nothing.
  const Nb101Graph dangling{{{0, 1, 1, 0}, {0, 0, 0, 1}, {0, 0, 0, 0}, {0, 0, 0, 0}},
                            {Nb101Op::Input, Nb101Op::Conv3x3, Nb101Op::Conv1x1, Nb101Op::Output}};
  const Nb101Graph chain{{{0, 1, 0}, {0, 0, 1}, {0, 0, 0}}, {Nb101Op::Input, Nb101Op::Conv3x3, Nb101Op::Output}};
  EXPECT_EQ(prune_nb101_graph(dangling), chain);
  EXPECT_EQ(Nb101Spec::from_graph(dangling), Nb101Spec::from_graph(chain));
  EXPECT_EQ(nb101_hash(Nb101Spec::from_graph(dangling)).hex(), "b49ac8c578b4561d79ac7087988f1c61");
  // Vertex 1 feeds the output but is not fed: also pruned, and the survivors are renumbered.
  const Nb101Graph unfed{{{0, 0, 1, 0}, {0, 0, 1, 1}, {0, 0, 0, 1}, {0, 0, 0, 0}},
                         {Nb101Op::Input, Nb101Op::MaxPool3x3, Nb101Op::Conv3x3, Nb101Op::Output}};
  EXPECT_EQ(prune_nb101_graph(unfed), chain);
  // A graph that needs no pruning is returned as it is.
  EXPECT_EQ(prune_nb101_graph(chain), chain);
  // Pruning happens before the size checks: 8 vertices, one of them dangling, is a 7-vertex cell.
  Nb101Graph eight = spec_of("in,c3,c3,c3,c3,c3,out:0-1,1-2,2-3,3-4,4-5,5-6").to_graph();
  for (std::vector<int>& row : eight.matrix) row.insert(row.end() - 1, 0);
  eight.matrix.insert(eight.matrix.end() - 1, std::vector<int>(8, 0));
  eight.matrix[0][6] = 1;  // the input feeds the new vertex 6, which feeds nothing
  eight.ops.insert(eight.ops.end() - 1, Nb101Op::Conv1x1);
  EXPECT_EQ(Nb101Spec::from_graph(eight), spec_of("in,c3,c3,c3,c3,c3,out:0-1,1-2,2-3,3-4,4-5,5-6"));
}

// The allocation-free path of the searchers' decisions prunes exactly as from_graph does: the same
// cell, or no cell, for random 7-vertex graphs of every density (and every edge count 0-21).
TEST(Nb101Spec, TheFullGraphPathPrunesAsFromGraph) {
  std::mt19937_64 random(101);
  int cells = 0, rejected = 0;
  for (int draw = 0; draw < 200000; ++draw) {
    const double density = static_cast<double>(draw % 22) / 21.0;
    std::uint32_t edges = 0;
    for (int bit = 0; bit < kNb101EdgeBits; ++bit) edges |= static_cast<std::uint32_t>(std::uniform_real_distribution<double>(0, 1)(random) < density) << bit;
    std::uint16_t ops = 0;
    Nb101Graph graph{std::vector<std::vector<int>>(7, std::vector<int>(7, 0)), {Nb101Op::Input}};
    for (int v = 1; v <= 5; ++v) {
      const auto op = static_cast<unsigned>(random() % 3);
      ops = static_cast<std::uint16_t>(ops | op << (2 * (v - 1)));
      graph.ops.push_back(static_cast<Nb101Op>(op));
    }
    graph.ops.push_back(Nb101Op::Output);
    for (int y = 1; y < 7; ++y) {
      for (int x = 0; x < y; ++x) graph.matrix[static_cast<std::size_t>(x)][static_cast<std::size_t>(y)] = static_cast<int>(edges >> nb101_edge_bit(x, y) & 1U);
    }
    const std::optional<Nb101Spec> fast = Nb101Spec::try_from_full_graph(edges, ops);
    const std::optional<Nb101Spec> reference = Nb101Spec::try_from_graph(graph);
    ASSERT_EQ(fast.has_value(), reference.has_value()) << std::hex << edges << " " << ops;
    if (fast) {
      ASSERT_EQ(*fast, *reference) << std::hex << edges << " " << ops;
      ++cells;
    } else {
      ++rejected;
    }
  }
  EXPECT_GT(cells, 10000);
  EXPECT_GT(rejected, 10000);
}

TEST(Nb101Spec, SaysWhyACellIsOutsideTheSpace) {
  expect_error([] { spec_of("in,c3,out:0-1"); }, "the output (vertex 2) is not reachable from the input (vertex 0)");
  expect_error([] { spec_of("in,out:"); }, "not reachable");
  expect_error([] { Nb101Spec::from_graph({{{0}}, {Nb101Op::Input}}); }, "a single vertex");
  expect_error([] { spec_of("in,c3,c3,c3,c3,c3,c3,out:0-1,1-2,2-3,3-4,4-5,5-6,6-7"); },
               "it has 8 vertices after pruning; a cell has at most 7");
  expect_error([] { spec_of("in,c3,c3,c3,c3,c3,out:0-1,0-2,0-3,0-4,0-5,1-2,2-3,3-4,4-5,5-6"); },
               "it has 10 edges after pruning; a cell has at most 9");
  expect_error([] { spec_of("c3,c3,out:0-1,1-2"); }, "vertex 0 (after pruning) is conv3x3-bn-relu, not input");
  expect_error([] { spec_of("in,c3,mp:0-1,1-2"); }, "the last vertex (2, after pruning) is maxpool3x3, not output");
  expect_error([] { spec_of("in,in,out:0-1,1-2"); }, "vertex 1 (after pruning) is input; an inner vertex is");
  // nasbench checks the ops of the pruned cell only: an output op on a pruned vertex is fine.
  EXPECT_EQ(spec_of("in,c3,out,out:0-1,0-2,1-3"), spec_of("in,c3,out:0-1,1-2"));
  std::string why;
  EXPECT_FALSE(Nb101Spec::try_from_graph(parse_nb101_text("in,c3,out:0-1"), &why));
  EXPECT_NE(why.find("not reachable"), std::string::npos) << why;
  EXPECT_TRUE(Nb101Spec::try_from_graph(parse_nb101_text("in,out:0-1")));
}

// ---- Module hash --------------------------------------------------------------------------------

TEST(Nb101Hash, ReproducesTheReferenceTestVectors) {
  const std::map<std::string, std::string> vectors{
      {"in,c3,mp,c3,c3,c1,out:0-1,0-4,0-5,1-2,2-3,2-6,3-5,4-5,5-6", "00005c142e6f48ac74fdcf73e3439874"},
      {"in,out:0-1", "043721b9c7fe8c5fad811d47d83132ec"},
      {"in,c3,out:0-1,1-2", "b49ac8c578b4561d79ac7087988f1c61"},
      {"in,c1,out:0-1,1-2", "d1269d9156ddc027c40473008192958a"},
      {"in,mp,out:0-1,1-2", "53cee42601ad14d661bb6878031d6acb"},
      // The "Inception-like" cell of the NAS-Bench-101 README.
      {"in,c1,c3,c3,c3,mp,out:0-1,0-2,0-3,0-5,1-6,2-6,3-4,4-6,5-6", "28cfc7874f6d200472e1a9dcd8650aa0"},
  };
  for (const auto& [text, hex] : vectors) EXPECT_EQ(nb101_hash(spec_of(text)).hex(), hex) << text;
}

TEST(Nb101Hash, IsTheOfficialKeyOfAllThousandCells) {
  NAS_REQUIRE_SHARED_DATA();
  ASSERT_EQ(official_1k().size(), 1000u);
  for (const OfficialCell& cell : official_1k()) {
    const Nb101Spec spec = Nb101Spec::from_graph(cell.graph);
    EXPECT_EQ(spec.to_graph(), cell.graph) << cell.key << ": the official cells need no pruning";
    const Nb101Hash hash = nb101_hash(spec);
    ASSERT_EQ(hash.hex(), cell.key);
    EXPECT_EQ(Nb101Hash::from_hex(cell.key), hash);
  }
}

TEST(Nb101Hash, IgnoresTheNumberingOfInnerVertices) {
  // The same cell with vertices 1 and 2 swapped.
  EXPECT_EQ(nb101_hash(spec_of("in,c3,c1,out:0-1,0-2,1-3,2-3")), nb101_hash(spec_of("in,c1,c3,out:0-1,0-2,1-3,2-3")));
  EXPECT_NE(nb101_hash(spec_of("in,c3,c1,out:0-1,0-2,1-3,2-3")), nb101_hash(spec_of("in,c3,c3,out:0-1,0-2,1-3,2-3")));
}

// Random 7-vertex graphs (most need pruning, many are invalid): a valid one keeps its hash under
// every renumbering of its inner vertices that keeps the edges pointing forward, and every graph
// survives its text and JSON forms unchanged.
TEST(Nb101Hash, RandomGraphsKeepTheirHashWhenRenumbered) {
  std::mt19937 random(101);
  const Nb101Op inner_ops[] = {Nb101Op::Conv3x3, Nb101Op::Conv1x1, Nb101Op::MaxPool3x3};
  int valid = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    Nb101Graph graph{std::vector<std::vector<int>>(7, std::vector<int>(7, 0)), {Nb101Op::Input}};
    for (int v = 1; v < 6; ++v) graph.ops.push_back(inner_ops[random() % 3]);
    graph.ops.push_back(Nb101Op::Output);
    for (int y = 1; y < 7; ++y) {
      for (int x = 0; x < y; ++x) graph.matrix[x][y] = random() % 3 == 0 ? 1 : 0;
    }
    ASSERT_EQ(parse_nb101_text(format_nb101_text(graph)), graph);
    ASSERT_EQ(parse_nb101_json(format_nb101_json(graph)), graph);
    const std::optional<Nb101Spec> spec = Nb101Spec::try_from_graph(graph);
    if (!spec) continue;
    ++valid;
    const Nb101Graph pruned = spec->to_graph();
    const std::size_t n = pruned.ops.size();
    std::vector<std::size_t> order(n);
    for (std::size_t v = 0; v < n; ++v) order[v] = v;
    while (std::next_permutation(order.begin() + 1, order.end() - 1)) {
      Nb101Graph renumbered{std::vector<std::vector<int>>(n, std::vector<int>(n, 0)), pruned.ops};
      bool forward = true;
      for (std::size_t x = 0; x < n; ++x) {
        renumbered.ops[order[x]] = pruned.ops[x];
        for (std::size_t y = 0; y < n; ++y) {
          if (pruned.matrix[x][y] == 0) continue;
          forward = forward && order[x] < order[y];
          if (forward) renumbered.matrix[order[x]][order[y]] = 1;
        }
      }
      if (forward) {
        ASSERT_EQ(nb101_hash(Nb101Spec::from_graph(renumbered)), nb101_hash(*spec)) << format_nb101_text(*spec);
      }
    }
  }
  EXPECT_GT(valid, 100);  // the draw covers valid cells, not only refusals
}

TEST(Nb101Hash, HexFormsAndOrder) {
  const Nb101Hash hash = Nb101Hash::from_hex("00005C142E6F48AC74FDCF73E3439874");
  EXPECT_EQ(hash.hex(), "00005c142e6f48ac74fdcf73e3439874");
  EXPECT_LT(hash, Nb101Hash::from_hex("043721b9c7fe8c5fad811d47d83132ec"));
  expect_error([] { Nb101Hash::from_hex("00005c14"); }, "expected 32 hex digits");
  expect_error([] { Nb101Hash::from_hex("00005c142e6f48ac74fdcf73e343987g"); }, "expected 32 hex digits");
}

// ---- Text forms ---------------------------------------------------------------------------------

TEST(Nb101Format, CommandLineFormRoundTripsEveryOfficialCell) {
  NAS_REQUIRE_SHARED_DATA();
  for (const OfficialCell& cell : official_1k()) {
    const Nb101Spec spec = Nb101Spec::from_graph(cell.graph);
    const std::string text = format_nb101_text(spec);
    ASSERT_EQ(parse_nb101_spec(text), spec) << text;
    EXPECT_EQ(format_nb101_text(parse_nb101_text(text)), text);
  }
  EXPECT_EQ(format_nb101_text(spec_of("in,c3,mp,c3,c3,c1,out:0-1,0-4,0-5,1-2,2-3,2-6,3-5,4-5,5-6")),
            "in,c3,mp,c3,c3,c1,out:0-1,0-4,0-5,1-2,2-3,2-6,3-5,4-5,5-6");
}

TEST(Nb101Format, CommandLineFormAcceptsNasbenchNamesAndAnyEdgeOrder) {
  EXPECT_EQ(spec_of("input,conv3x3-bn-relu,output:1-2,0-1"), spec_of("in,c3,out:0-1,1-2"));
  // An unpruned graph is written as it is.
  EXPECT_EQ(format_nb101_text(parse_nb101_text("in,c3,c1,out:1-3,0-2,0-1")), "in,c3,c1,out:0-1,0-2,1-3");
}

TEST(Nb101Format, CommandLineFormErrorsNameTheProblem) {
  expect_error([] { parse_nb101_text("in,c3,out"); }, "no ':' between the ops and the edges");
  expect_error([] { parse_nb101_text("in,c3,out:0-1:1-2"); }, "more than one ':'");
  expect_error([] { parse_nb101_text("in,c5,out:0-1,1-2"); }, "unknown op 'c5'");
  expect_error([] { parse_nb101_text("in,,out:0-1"); }, "unknown op ''");
  expect_error([] { parse_nb101_text("in,c3,out:0-1,12"); }, "edge '12' is not of the form x-y");
  expect_error([] { parse_nb101_text("in,c3,out:0-1,1-2-3"); }, "edge '1-2-3' is not of the form x-y");
  expect_error([] { parse_nb101_text("in,c3,out:0-1,1-x"); }, "vertex 'x' is not a number");
  expect_error([] { parse_nb101_text("in,c3,out:0-1,+1-2"); }, "vertex '+1' is not a number");
  expect_error([] { parse_nb101_text("in,c3,out:0-1,1-3"); }, "vertex 3 does not exist (there are 3 ops)");
  expect_error([] { parse_nb101_text("in,c3,out:0-1,2-1"); }, "edge '2-1' does not go from a lower to a higher vertex");
  expect_error([] { parse_nb101_text("in,c3,out:0-1,1-1"); }, "edge '1-1' does not go from a lower");
  expect_error([] { parse_nb101_text("in,c3,out:0-1,0-1"); }, "edge '0-1' is listed twice");
  expect_error([] { parse_nb101_text("in,c3,out:0-1,1-2,"); }, "edge '' is not of the form");
  expect_error([] { parse_nb101_text("in,c3,out:0-1\n"); }, "'in,c3,out:0-1\\n'");
}

TEST(Nb101Format, JsonFormRoundTripsAndMatchesNasbenchArguments) {
  const Nb101Spec spec = spec_of("in,c3,mp,c3,c3,c1,out:0-1,0-4,0-5,1-2,2-3,2-6,3-5,4-5,5-6");
  const std::string json = format_nb101_json(spec);
  EXPECT_EQ(nlohmann::json::parse(json),
            nlohmann::json::parse(R"({"matrix": [[0,1,0,0,1,1,0],[0,0,1,0,0,0,0],[0,0,0,1,0,0,1],[0,0,0,0,0,1,0],
                                      [0,0,0,0,0,1,0],[0,0,0,0,0,0,1],[0,0,0,0,0,0,0]],
                                      "ops": ["input","conv3x3-bn-relu","maxpool3x3","conv3x3-bn-relu",
                                              "conv3x3-bn-relu","conv1x1-bn-relu","output"]})"));
  EXPECT_EQ(parse_nb101_spec(json), spec);
  EXPECT_EQ(parse_nb101_spec(R"({"ops": ["input", "c1", "output"], "matrix": [[0, 1, 0], [0, 0, 1], [0, 0, 0]]})"),
            spec_of("in,c1,out:0-1,1-2"));
  // An unpruned graph parses as it is and is pruned by the spec.
  const std::string dangling = R"({"matrix": [[0,1,1,0],[0,0,0,1],[0,0,0,0],[0,0,0,0]], "ops": ["input","conv3x3-bn-relu","conv1x1-bn-relu","output"]})";
  EXPECT_EQ(parse_nb101_json(dangling).ops.size(), 4u);
  EXPECT_EQ(parse_nb101_spec(dangling), spec_of("in,c3,out:0-1,1-2"));
}

TEST(Nb101Format, JsonFormErrorsNameTheProblem) {
  expect_error([] { parse_nb101_json("{"); }, "it is not JSON");
  expect_error([] { parse_nb101_json("[]"); }, "it is not a JSON object");
  expect_error([] { parse_nb101_json(R"({"ops": []})"); }, "no \"matrix\"");
  expect_error([] { parse_nb101_json(R"({"matrix": []})"); }, "no \"ops\"");
  expect_error([] { parse_nb101_json(R"({"matrix": [], "ops": [], "hash": "x"})"); }, "unknown key 'hash'");
  expect_error([] { parse_nb101_json(R"({"matrix": 3, "ops": []})"); }, "\"matrix\" is not a list of rows");
  expect_error([] { parse_nb101_json(R"({"matrix": [[0]], "ops": "input"})"); }, "\"ops\" is not a list of op names");
  expect_error([] { parse_nb101_json(R"({"matrix": [0], "ops": ["input"]})"); }, "matrix row 0 is not a list");
  expect_error([] { parse_nb101_json(R"({"matrix": [[0, 1.0], [0, 0]], "ops": ["input", "output"]})"); },
               "matrix[0][1] is 1.0, not the integer 0 or 1");
  expect_error([] { parse_nb101_json(R"({"matrix": [[0, true], [0, 0]], "ops": ["input", "output"]})"); }, "matrix[0][1] is true");
  expect_error([] { parse_nb101_json(R"({"matrix": [[0, 5], [0, 0]], "ops": ["input", "output"]})"); }, "matrix[0][1] is 5; an entry is 0 or 1");
  expect_error([] { parse_nb101_json(R"({"matrix": [[0, 1], [0, 0]], "ops": ["input", 3]})"); }, "ops[1] is not a string");
  expect_error([] { parse_nb101_json(R"({"matrix": [[0, 1], [0, 0]], "ops": ["input", "conv5x5"]})"); }, "unknown op 'conv5x5'");
  expect_error([] { parse_nb101_json(R"({"matrix": [[0, 1], [0, 0]], "ops": ["input"]})"); }, "there are 1 ops for 2 vertices");
  expect_error([] { parse_nb101_json(R"({"matrix": [[0, 1], [1, 0]], "ops": ["input", "output"]})"); }, "strictly upper triangular");
  expect_error([] { parse_nb101_json(R"({"matrix": [[0, 1, 0], [0, 0]], "ops": ["input", "output"]})"); }, "must be square");
  // 8 vertices that prune to nothing less.
  const std::string eight = format_nb101_json(parse_nb101_text("in,c3,c3,c3,c3,c3,c3,out:0-1,1-2,2-3,3-4,4-5,5-6,6-7"));
  expect_error([&] { parse_nb101_spec(eight); }, "8 vertices after pruning");
}

// ---- Channels, parameters, multiply-accumulates ------------------------------------------------

TEST(Nb101Cost, VertexChannelsMatchNasbenchTestVectors) {
  EXPECT_EQ(nb101_vertex_channels(spec_of("in,c3,c3,out:0-1,1-2,2-3"), 8, 16), (std::vector<int>{8, 16, 16, 16}));
  EXPECT_EQ(nb101_vertex_channels(spec_of("in,c3,c3,out:0-1,0-2,1-3,2-3"), 8, 15), (std::vector<int>{8, 8, 7, 15}));
  EXPECT_EQ(nb101_vertex_channels(spec_of("in,c3,c3,c3,out:0-1,0-2,0-3,1-4,2-4,3-4"), 8, 8), (std::vector<int>{8, 3, 3, 2, 8}));
  EXPECT_EQ(nb101_vertex_channels(spec_of("in,c3,c3,c3,out:0-1,1-2,1-3,2-4,3-4"), 8, 9), (std::vector<int>{8, 5, 5, 4, 9}));
  EXPECT_EQ(nb101_vertex_channels(spec_of("in,out:0-1"), 8, 9), (std::vector<int>{8, 9}));
}

TEST(Nb101Cost, ParamsMatchTheReferenceTestVectors) {
  EXPECT_EQ(nb101_network_cost(spec_of("in,out:0-1")).params, 882570u);
  EXPECT_EQ(nb101_network_cost(spec_of("in,c3,out:0-1,1-2")).params, 10177674u);
  EXPECT_EQ(nb101_network_cost(spec_of("in,c1,out:0-1,1-2")).params, 1920138u);
  EXPECT_EQ(nb101_network_cost(spec_of("in,mp,out:0-1,1-2")).params, 882570u);
  EXPECT_EQ(nb101_network_cost(spec_of("in,c1,c3,c3,c3,mp,out:0-1,0-2,0-3,0-5,1-6,2-6,3-4,4-6,5-6")).params, 2694282u);
}

TEST(Nb101Cost, ParamsAreTheOfficialTrainableParametersOfAllThousandCells) {
  NAS_REQUIRE_SHARED_DATA();
  for (const OfficialCell& cell : official_1k()) {
    ASSERT_EQ(nb101_network_cost(Nb101Spec::from_graph(cell.graph)).params, cell.params) << cell.key;
  }
}

TEST(Nb101Cost, NaslibCellsAfterPruning) {
  NAS_REQUIRE_SHARED_DATA();
  const std::vector<NaslibCell> cells = naslib_cells();
  ASSERT_EQ(cells.size(), 500u);
  // The first cell: NASLib's 624.55808 MFLOPs count batch norm, ReLU and pooling too; its conv and
  // dense multiply-accumulates are 613,646,336.
  const Nb101Cost first = nb101_network_cost(Nb101Spec::from_graph(cells.front().graph));
  EXPECT_EQ(first.macs, 613646336u);
  EXPECT_EQ(first.params, 4095778u);
  std::set<std::string> hashes;
  int bare = 0;
  for (const NaslibCell& cell : cells) {
    const Nb101Spec spec = Nb101Spec::from_graph(cell.graph);
    EXPECT_EQ(static_cast<double>(nb101_network_cost(spec).params) / 1e6, cell.params_millions);
    hashes.insert(nb101_hash(spec).hex());
    bare += spec.num_vertices() == 2 ? 1 : 0;
  }
  EXPECT_EQ(hashes.size(), 292u);  // NASLib stores unpruned specs: 500 of them are 292 cells
  EXPECT_EQ(bare, 55);
}

TEST(Nb101Cost, MacsCountConvolutionsAndTheDenseLayer) {
  // The 2-vertex cell: stem, one projection per module, the dense layer.
  const std::uint64_t stem = 9 * 3 * 128 * 32 * 32;
  const std::uint64_t modules = 3 * (128 * 128 * 32 * 32) + (128 * 256 + 2 * 256 * 256) * 16 * 16 + (256 * 512 + 2 * 512 * 512) * 8 * 8;
  EXPECT_EQ(nb101_network_cost(spec_of("in,out:0-1")).macs, stem + modules + 512 * 10);
  // A max pool adds nothing, a conv does.
  EXPECT_EQ(nb101_network_cost(spec_of("in,mp,out:0-1,1-2")).macs, nb101_network_cost(spec_of("in,out:0-1")).macs);
  EXPECT_GT(nb101_network_cost(spec_of("in,c1,out:0-1,1-2")).macs, nb101_network_cost(spec_of("in,mp,out:0-1,1-2")).macs);
}

// ---- The whole space ----------------------------------------------------------------------------

// Small cache files for the format tests: the 1,000 official cells.
std::vector<Nb101Entry> official_entries() {
  std::vector<Nb101Entry> entries;
  for (const OfficialCell& cell : official_1k()) {
    const Nb101Spec spec = Nb101Spec::from_graph(cell.graph);
    entries.push_back({spec, nb101_hash(spec)});
  }
  return entries;
}

void expect_same_entries(const std::vector<Nb101Entry>& a, const std::vector<Nb101Entry>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].spec, b[i].spec) << i;
    ASSERT_EQ(a[i].hash, b[i].hash) << i;
  }
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

class Nb101Cache : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() / ("nas_nb101_cache_" + std::to_string(::getpid()));
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }
  std::string path(const std::string& name) const { return (directory_ / name).string(); }
  fs::path directory_;
};

TEST_F(Nb101Cache, RoundTripsAndRefusesDamagedFiles) {
  NAS_REQUIRE_SHARED_DATA();
  const std::vector<Nb101Entry> entries = official_entries();
  write_nb101_cache(path("cells.bin"), entries);
  expect_same_entries(read_nb101_cache(path("cells.bin")), entries);
  const std::string bytes = read_bytes(path("cells.bin"));
  ASSERT_EQ(bytes.size(), kNb101CacheHeaderBytes + 1000 * kNb101CacheRecordBytes);
  EXPECT_EQ(bytes.substr(0, 8), "NB101SPC");

  expect_error([&] { read_nb101_cache(path("missing.bin")); }, "missing.bin");
  write_bytes(path("other.bin"), "NB101XXX" + bytes.substr(8));
  expect_error([&] { read_nb101_cache(path("other.bin")); }, "is not a cell cache");
  std::string version = bytes;
  version[8] = 1;
  write_bytes(path("version.bin"), version);
  expect_error([&] { read_nb101_cache(path("version.bin")); }, "has format version 1; this build reads version 2");
  write_bytes(path("short.bin"), bytes.substr(0, bytes.size() - 1));
  expect_error([&] { read_nb101_cache(path("short.bin")); }, "but 1000 cells take");
  std::string flipped = bytes;
  flipped[kNb101CacheHeaderBytes + 5] ^= 1;
  write_bytes(path("flipped.bin"), flipped);
  expect_error([&] { read_nb101_cache(path("flipped.bin")); }, "is damaged (checksum mismatch)");
  // A well-formed file whose word is not a cell (written through the writer's own checksum).
  std::vector<Nb101Entry> one{entries.front()};
  write_nb101_cache(path("one.bin"), one);
  std::string bad_word = read_bytes(path("one.bin"));
  bad_word[kNb101CacheHeaderBytes + 19] = static_cast<char>(0x80);  // bit 31 of the packed word
  std::uint64_t checksum = store_checksum(bad_word.data() + kNb101CacheHeaderBytes, kNb101CacheRecordBytes);
  for (std::size_t i = 0; i < 8; ++i, checksum >>= 8) bad_word[16 + i] = static_cast<char>(checksum & 0xFF);
  write_bytes(path("bad.bin"), bad_word);
  expect_error([&] { read_nb101_cache(path("bad.bin")); }, "holds an invalid cell at record 0");
}

// The whole enumeration (a few seconds in a Release build), its landmarks, and its cache.
TEST_F(Nb101Cache, TheEnumeratedSpaceIsTheOfficialOne) {
  NAS_REQUIRE_SHARED_DATA();
  const auto start = std::chrono::steady_clock::now();
  const std::vector<Nb101Entry> cells = enumerate_nb101_space();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("enumeration_seconds", std::to_string(seconds));
  ASSERT_EQ(cells.size(), kNb101NumCells);

  // The order: the 2-vertex cell, then the three 3-vertex chains by op, vertices never decrease.
  EXPECT_EQ(cells[0].spec, spec_of("in,out:0-1"));
  EXPECT_EQ(cells[1].spec, spec_of("in,c3,out:0-1,1-2"));
  EXPECT_EQ(cells[2].spec, spec_of("in,c1,out:0-1,1-2"));
  EXPECT_EQ(cells[3].spec, spec_of("in,mp,out:0-1,1-2"));
  for (std::size_t i = 1; i < cells.size(); ++i) ASSERT_LE(cells[i - 1].spec.num_vertices(), cells[i].spec.num_vertices());

  // Each stored hash is the cell's hash, and each hash appears once.
  std::unordered_map<Nb101Hash, std::size_t, Nb101HashHasher> index;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    ASSERT_TRUE(index.emplace(cells[i].hash, i).second) << "hash twice: " << cells[i].hash.hex();
  }
  for (std::size_t i = 0; i < cells.size(); i += 997) ASSERT_EQ(nb101_hash(cells[i].spec), cells[i].hash) << i;

  // The official 1k file holds the 1,000 smallest hashes, and the stored graph of each is the
  // official one (first enumerated).
  std::vector<Nb101Hash> sorted;
  for (const Nb101Entry& cell : cells) sorted.push_back(cell.hash);
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < official_1k().size(); ++i) {
    const OfficialCell& official = official_1k()[i];
    ASSERT_EQ(sorted[i].hex(), official.key) << i;
    EXPECT_EQ(cells[index.at(sorted[i])].spec.to_graph(), official.graph) << official.key;
  }
  // The 10k file's keys are a contiguous run of the sorted hashes.
  const std::vector<std::string> keys = official_10k_keys();
  ASSERT_EQ(keys.size(), 10000u);
  const auto first = std::lower_bound(sorted.begin(), sorted.end(), Nb101Hash::from_hex(keys.front()));
  ASSERT_LE(keys.size(), static_cast<std::size_t>(sorted.end() - first));
  for (std::size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(first[static_cast<std::ptrdiff_t>(i)].hex(), keys[i]) << i;
  // Every NASLib cell, pruned, is in the space.
  for (const NaslibCell& cell : naslib_cells()) EXPECT_TRUE(index.count(nb101_hash(Nb101Spec::from_graph(cell.graph))));

  // Canonical forms: one per cell (distinct cells are never isomorphic), the same for every
  // renumbering of a cell's inner vertices that keeps it upper triangular, and what the cache holds.
  std::unordered_set<std::uint32_t> forms;
  for (const Nb101Entry& cell : cells) ASSERT_TRUE(forms.insert(nb101_canonical_form(cell.spec)).second) << cell.hash.hex();
  std::vector<int> order{1, 2, 3, 4, 5};
  for (std::size_t i = 0; i < cells.size(); i += 211) {
    const Nb101Graph graph = cells[i].spec.to_graph();
    const int n = static_cast<int>(graph.ops.size());
    std::vector<int> inner(order.begin(), order.begin() + (n - 2));
    do {
      std::vector<int> to(static_cast<std::size_t>(n));
      to[0] = 0;
      to[static_cast<std::size_t>(n - 1)] = n - 1;
      for (int v = 1; v < n - 1; ++v) to[static_cast<std::size_t>(v)] = inner[static_cast<std::size_t>(v - 1)];
      Nb101Graph renumbered{std::vector<std::vector<int>>(static_cast<std::size_t>(n), std::vector<int>(static_cast<std::size_t>(n), 0)), graph.ops};
      bool forward = true;
      for (int x = 0; x < n; ++x) {
        renumbered.ops[static_cast<std::size_t>(to[static_cast<std::size_t>(x)])] = graph.ops[static_cast<std::size_t>(x)];
        for (int y = 0; y < n; ++y) {
          if (graph.matrix[static_cast<std::size_t>(x)][static_cast<std::size_t>(y)] == 0) continue;
          forward = forward && to[static_cast<std::size_t>(x)] < to[static_cast<std::size_t>(y)];
          if (forward) renumbered.matrix[static_cast<std::size_t>(to[static_cast<std::size_t>(x)])][static_cast<std::size_t>(to[static_cast<std::size_t>(y)])] = 1;
        }
      }
      if (!forward) continue;
      const Nb101Spec spec = Nb101Spec::from_graph(renumbered);
      ASSERT_EQ(nb101_canonical_form(spec), nb101_canonical_form(cells[i].spec)) << i;
      ASSERT_EQ(nb101_hash(spec), cells[i].hash) << i;
    } while (std::next_permutation(inner.begin(), inner.end()));
  }

  // The cache of the whole space.
  std::vector<std::uint32_t> cached_forms;
  write_nb101_cache(path("space.bin"), cells);
  EXPECT_EQ(fs::file_size(path("space.bin")), kNb101CacheHeaderBytes + kNb101NumCells * kNb101CacheRecordBytes);
  expect_same_entries(read_nb101_cache(path("space.bin"), &cached_forms), cells);
  ASSERT_EQ(cached_forms.size(), cells.size());
  for (std::size_t i = 0; i < cells.size(); i += 101) ASSERT_EQ(cached_forms[i], nb101_canonical_form(cells[i].spec)) << i;
}

}  // namespace
}  // namespace nas::bench

// Tests of the analytic cost model against the official NATS-Bench values.
//
// Architectures are built from op codes / candidate indices by local helpers, so this test does not
// depend on the arch-string parsers. Results are compared as integer counts (value * 1e6, rounded)
// AND as doubles with ==: the stored values are Python's count/1e6, which the implementation must
// reproduce bit for bit.
#include "nas/benchmark_api/cost_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <utility>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "nas/benchmark_api/error.h"

namespace nas::bench {
namespace {

constexpr std::array<const char*, kTssNumOps> kOpNames{"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3",
                                                       "avg_pool_3x3"};

TssArch tss(std::initializer_list<int> ops) {
  TssArch arch;
  int e = 0;
  for (int op : ops) arch.ops[e++] = static_cast<std::uint8_t>(op);
  return arch;
}

TssArch tss_uniform(int op) { return tss({op, op, op, op, op, op}); }

/// Builds a size-space config from widths (8..64), the way the arch string writes it.
SssArch sss(std::initializer_list<int> widths) {
  SssArch arch;
  int layer = 0;
  for (int width : widths) arch.choice[layer++] = static_cast<std::uint8_t>(width / 8 - 1);
  return arch;
}

/// Local formatter (same layout as the benchmark string) used to tie fixtures to local archs.
std::string tss_string(const TssArch& arch) {
  std::string text = "|";
  for (int e = 0; e < kTssNumEdges; ++e) {
    if (e > 0 && kTssEdgeFrom[e] == 0) text += "+|";
    text += std::string(kOpNames[arch.ops[e]]) + "~" + std::to_string(kTssEdgeFrom[e]) + "|";
  }
  return text;
}

std::string sss_string(const SssArch& arch) {
  std::string text;
  for (int layer = 0; layer < kSssNumLayers; ++layer) {
    if (layer > 0) text += ":";
    text += std::to_string(arch.channels(layer));
  }
  return text;
}

// Every value is an integer count / 1e6.
std::int64_t units(double millions) { return std::llround(millions * 1e6); }

struct Setting {
  const char* name;
  int num_classes;
  int image_size;
};
constexpr std::array<Setting, 3> kSettings{
    {{"cifar10", 10, 32}, {"cifar100", 100, 32}, {"ImageNet16-120", 120, 16}}};

struct Expected {
  double params_m;
  double flops_m;
};

void expect_cost(const NetworkCost& cost, const Expected& expected, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_EQ(units(cost.params_m), units(expected.params_m));
  EXPECT_EQ(units(cost.flops_m), units(expected.flops_m));
  EXPECT_EQ(cost.params_m, expected.params_m);
  EXPECT_EQ(cost.flops_m, expected.flops_m);
}

const TssArch kTss0 = tss({4, 2, 1, 2, 1, 1});
const TssArch kTss11 = tss({3, 3, 4, 0, 3, 4});
const TssArch kTss284 = tss({1, 1, 1, 0, 2, 0});
const TssArch kTss9930 = tss({3, 3, 3, 1, 3, 3});

TEST(CostModel, LocalArchHelpersMatchTheBenchmarkStrings) {
  EXPECT_EQ(
      tss_string(kTss0),
      "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|");
  EXPECT_EQ(tss_string(kTss11),
            "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|avg_pool_3x3~2|");
  EXPECT_EQ(tss_string(kTss284),
            "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|none~0|nor_conv_1x1~1|none~2|");
  EXPECT_EQ(tss_string(kTss9930), std::string(kSssCellArch));
  EXPECT_EQ(sss_string(sss({8, 8, 40, 32, 40})), "8:8:40:32:40");
}

struct TssReference {
  const char* label;
  TssArch arch;
  std::array<Expected, 3> by_setting;
};

TEST(CostModel, TopologyReferenceValues) {
  const std::vector<TssReference> references = {
      {"tss 0", kTss0, {{{0.129306, 15.64737}, {0.135156, 15.65322}, {0.136456, 3.91948}}}},
      {"tss 11", kTss11, {{{0.802426, 113.95137}, {0.808276, 113.95722}, {0.809576, 28.49548}}}},
      {"tss 284", kTss284, {{{0.101306, 11.71521}, {0.107156, 11.72106}, {0.108456, 2.93644}}}},
      {"all conv3x3",
       tss_uniform(kOpConv3x3),
       {{{1.531546, 220.11969}, {1.537396, 220.12554}, {1.538696, 55.03756}}}},
      {"tss 9930", kTss9930, {{{1.288506, 184.73025}, {1.294356, 184.7361}, {1.295656, 46.1902}}}},
      {"all skip", tss_uniform(kOpSkip), {{{0.073306, 7.78305}, {0.079156, 7.7889}, {0.080456, 1.9534}}}},
      {"all none", tss_uniform(kOpNone), {{{0.073306, 7.78305}, {0.079156, 7.7889}, {0.080456, 1.9534}}}},
  };
  for (const auto& reference : references) {
    for (std::size_t s = 0; s < kSettings.size(); ++s) {
      const auto cost = tss_network_cost(reference.arch, kSettings[s].num_classes, kSettings[s].image_size);
      expect_cost(cost, reference.by_setting[s], std::string(reference.label) + " " + kSettings[s].name);
    }
  }
}

struct SssReference {
  SssArch arch;
  std::array<Expected, 3> by_setting;
};

TEST(CostModel, SizeReferenceValues) {
  const std::vector<SssReference> references = {
      {sss({8, 8, 8, 8, 8}), {{{0.011714, 4.481114}, {0.012524, 4.481924}, {0.012704, 1.121336}}}},
      {sss({8, 8, 8, 16, 32}), {{{0.049202, 6.84065}, {0.052172, 6.84362}, {0.052832, 1.71404}}}},
      {sss({8, 8, 40, 32, 40}), {{{0.144834, 21.827994}, {0.148524, 21.831684}, {0.149344, 5.461816}}}},
      {sss({64, 64, 64, 64, 64}), {{{0.713674, 274.399882}, {0.719524, 274.405732}, {0.720824, 68.607608}}}},
  };
  for (const auto& reference : references) {
    for (std::size_t s = 0; s < kSettings.size(); ++s) {
      const auto cost = sss_network_cost(reference.arch, kSettings[s].num_classes, kSettings[s].image_size);
      expect_cost(cost, reference.by_setting[s], sss_string(reference.arch) + " " + kSettings[s].name);
    }
  }
  // NATS-Bench notebook issue-21: sss #12.
  EXPECT_EQ(units(sss_network_cost(sss({8, 8, 8, 16, 40}), 10, 32).params_m), 67378);
}

// ---- Official records ------------------------------------------------------------------------

Setting setting_of_dataset(const std::string& name) {
  if (name == "cifar10-valid" || name == "cifar10") return {"cifar10", 10, 32};
  if (name == "cifar100") return {"cifar100", 100, 32};
  if (name == "ImageNet16-120") return {"ImageNet16-120", 120, 16};
  ADD_FAILURE() << "unknown dataset key in fixture: " << name;
  return {"?", 1, 32};
}

std::filesystem::path fixture_dir() {
#ifdef NAS_SHARED_DATA
  return std::filesystem::path(NAS_SHARED_DATA) / "natsbench_fixtures" / "json";
#else
  return {};
#endif
}

nlohmann::json load_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

/// Compares every (hp, trial) record of a fixture file with `cost_of(setting)`; returns how many.
int check_fixture_records(const std::filesystem::path& path, const std::string& arch_string,
                          const std::function<NetworkCost(const Setting&)>& cost_of) {
  SCOPED_TRACE(path.string());
  const auto fixture = load_json(path);
  int records = 0;
  std::set<std::string> datasets;
  for (const auto& [hp, by_hp] : fixture.items()) {
    EXPECT_EQ(by_hp.at("arch_str").get<std::string>(), arch_string) << "hp " << hp;
    for (const auto& [trial, record] : by_hp.at("all_results").items()) {
      const auto dataset = record.at("name").get<std::string>();
      const Setting setting = setting_of_dataset(dataset);
      EXPECT_EQ(record.at("arch_config").at("class_num").get<int>(), setting.num_classes) << trial;
      const auto cost = cost_of(setting);
      expect_cost(cost, {record.at("params").get<double>(), record.at("flop").get<double>()},
                  hp + "/" + trial);
      datasets.insert(dataset);
      ++records;
    }
  }
  EXPECT_EQ(datasets.size(), 4u) << "every dataset key should appear";
  return records;
}

TEST(CostModel, MatchesEveryOfficialTopologyRecord) {
  const auto dir = fixture_dir();
  if (dir.empty() || !std::filesystem::exists(dir)) GTEST_SKIP() << "no shared fixtures at " << dir;
  const std::vector<std::pair<std::string, TssArch>> files = {
      {"tss_000000.json", kTss0}, {"tss_000011.json", kTss11}, {"tss_000284.json", kTss284}};
  int records = 0;
  for (const auto& [file, arch] : files) {
    records += check_fixture_records(dir / file, tss_string(arch), [&arch = arch](const Setting& setting) {
      return tss_network_cost(arch, setting.num_classes, setting.image_size);
    });
  }
  EXPECT_GE(records, 3 * 8);
}

TEST(CostModel, MatchesEveryOfficialSizeRecord) {
  const auto dir = fixture_dir();
  if (dir.empty() || !std::filesystem::exists(dir)) GTEST_SKIP() << "no shared fixtures at " << dir;
  const std::vector<std::pair<std::string, SssArch>> files = {{"sss_000000.json", sss({8, 8, 8, 8, 8})},
                                                              {"sss_000011.json", sss({8, 8, 8, 16, 32})},
                                                              {"sss_000284.json", sss({8, 8, 40, 32, 40})}};
  int records = 0;
  for (const auto& [file, arch] : files) {
    records += check_fixture_records(dir / file, sss_string(arch), [&arch = arch](const Setting& setting) {
      return sss_network_cost(arch, setting.num_classes, setting.image_size);
    });
  }
  EXPECT_GE(records, 3 * 8);
}

// ---- Invariants ------------------------------------------------------------------------------

struct Units {
  std::int64_t params;
  std::int64_t macs;
};

Units tss_units(const TssArch& arch, int num_classes = 10, int image_size = 32) {
  const auto cost = tss_network_cost(arch, num_classes, image_size);
  return {units(cost.params_m), units(cost.flops_m)};
}

Units sss_units(const SssArch& arch, int num_classes = 10, int image_size = 32) {
  const auto cost = sss_network_cost(arch, num_classes, image_size);
  return {units(cost.params_m), units(cost.flops_m)};
}

/// Extra params / MACs of one k x k ReLUConvBN edge in every cell of TinyNetwork (5 cells per stage
/// at 16, 32, 64 channels on H, H/2, H/4), derived by hand from the layer definitions.
Units conv_edge_in_every_cell(std::int64_t k, std::int64_t side) {
  Units total{0, 0};
  for (std::int64_t c : {16, 32, 64}) {
    total.params += 5 * (k * k * c * c + 2 * c);
    total.macs += 5 * (k * k * c * c * side * side);
    side /= 2;
  }
  return total;
}

TEST(CostModel, TurningAnyFreeEdgeIntoAConvAddsExactlyOneConvBnPerCell) {
  // none, skip_connect and avg_pool_3x3 are all free in TinyNetwork (C_in == C_out, stride 1).
  for (const auto& setting : kSettings) {
    for (int e = 0; e < kTssNumEdges; ++e) {
      for (int free_op : {kOpNone, kOpSkip, kOpAvgPool}) {
        for (int k : {1, 3}) {
          TssArch before = kTss11;
          before.ops[e] = static_cast<std::uint8_t>(free_op);
          TssArch after = before;
          after.ops[e] = static_cast<std::uint8_t>(k == 1 ? kOpConv1x1 : kOpConv3x3);
          const auto a = tss_units(before, setting.num_classes, setting.image_size);
          const auto b = tss_units(after, setting.num_classes, setting.image_size);
          const auto delta = conv_edge_in_every_cell(k, setting.image_size);
          const std::string what = std::string(setting.name) + " edge " + std::to_string(e) + " from " +
                                   kOpNames[free_op] + " to " + std::to_string(k) + "x" + std::to_string(k);
          EXPECT_EQ(b.params - a.params, delta.params) << what;
          EXPECT_EQ(b.macs - a.macs, delta.macs) << what;
        }
      }
    }
  }
}

TEST(CostModel, TopologyCostIsAffineInTheConvCountsOverTheWholeSpace) {
  // In TinyNetwork every edge has C_in == C_out and stride 1, so none / skip / pool are free and the
  // cost depends only on how many 1x1 and 3x3 convs the cell holds. Checks all 15,625 cells.
  const auto base = tss_units(tss_uniform(kOpNone));
  const auto d1 = conv_edge_in_every_cell(1, 32);
  const auto d3 = conv_edge_in_every_cell(3, 32);
  std::set<std::pair<std::int64_t, std::int64_t>> distinct;
  for (std::uint32_t code = 0; code < kTssNumArchs; ++code) {
    TssArch arch;
    std::uint32_t rest = code;
    for (int e = kTssNumEdges - 1; e >= 0; --e) {
      arch.ops[e] = static_cast<std::uint8_t>(rest % kTssNumOps);
      rest /= kTssNumOps;
    }
    const auto n1 = std::count(arch.ops.begin(), arch.ops.end(), kOpConv1x1);
    const auto n3 = std::count(arch.ops.begin(), arch.ops.end(), kOpConv3x3);
    const auto got = tss_units(arch);
    ASSERT_EQ(got.params, base.params + n1 * d1.params + n3 * d3.params) << tss_string(arch);
    ASSERT_EQ(got.macs, base.macs + n1 * d1.macs + n3 * d3.macs) << tss_string(arch);
    distinct.insert({got.params, got.macs});
  }
  // (n1, n3) with n1 + n3 <= 6: 28 combinations, all distinct.
  EXPECT_EQ(distinct.size(), 28u);
}

TEST(CostModel, ClassifierAndResolutionEnterOnlyWhereTheyShould) {
  for (const TssArch& arch : {kTss0, kTss11, kTss9930}) {
    const auto c10 = tss_units(arch, 10, 32);
    const auto c100 = tss_units(arch, 100, 32);
    const auto in16 = tss_units(arch, 120, 16);
    // Linear(64 -> classes) with bias: 65 params and 65 MACs per class.
    EXPECT_EQ(c100.params - c10.params, 90 * 65);
    EXPECT_EQ(c100.macs - c10.macs, 90 * 65);
    EXPECT_EQ(in16.params - c10.params, 110 * 65);
    // Every conv runs on a map with a quarter of the pixels at 16 px; the linear layer does not.
    EXPECT_EQ(4 * (in16.macs - 120 * 65), c10.macs - 10 * 65);
  }
  const SssArch config = sss({8, 8, 40, 32, 40});
  const auto c10 = sss_units(config, 10, 32);
  const auto in16 = sss_units(config, 120, 16);
  EXPECT_EQ(in16.params - c10.params, 110 * 41);
  EXPECT_EQ(4 * (in16.macs - 120 * 41), c10.macs - 10 * 41);
}

TEST(CostModel, SizeCellWithAWidthChangeUsesFactorizedReduceOnItsSkipEdge) {
  // 8:8:8:8:8 -> 8:8:16:8:8 changes only the middle cell (C1=8 -> C2=16, at 16x16) and the input of
  // the second ResBlock (16 instead of 8 channels -> 8, output 8x8). Hand count of the difference:
  const auto before = sss_units(sss({8, 8, 8, 8, 8}));
  const auto after = sss_units(sss({8, 8, 16, 8, 8}));
  const std::int64_t s = 16 * 16;
  const std::int64_t r = 8 * 8;
  // Middle cell before: five 3x3 ReLUConvBN 8->8, identity skip.
  const std::int64_t cell_before_params = 5 * (9 * 8 * 8 + 16);
  const std::int64_t cell_before_macs = 5 * 9 * 8 * 8 * s;
  // After: two 3x3 8->16 from node 0, FactorizedReduce (1x1 8->16 + BN) on 3<-0, three 3x3 16->16.
  const std::int64_t cell_after_params = 2 * (9 * 8 * 16 + 32) + (8 * 16 + 32) + 3 * (9 * 16 * 16 + 32);
  const std::int64_t cell_after_macs = (2 * 9 * 8 * 16 + 8 * 16 + 3 * 9 * 16 * 16) * s;
  // ResBlock(C2 -> 8): conv_a 3x3 and the 1x1 shortcut read C2 channels.
  const std::int64_t block_params = (9 * 16 * 8 + 16 * 8) - (9 * 8 * 8 + 8 * 8);
  const std::int64_t block_macs = block_params * r;
  EXPECT_EQ(after.params - before.params, cell_after_params - cell_before_params + block_params);
  EXPECT_EQ(after.macs - before.macs, cell_after_macs - cell_before_macs + block_macs);
}

TEST(CostModel, SizeCostGrowsWithEveryWidthOverTheWholeSpace) {
  for (std::uint32_t index = 0; index < kSssNumArchs; ++index) {
    SssArch arch;
    std::uint32_t rest = index;
    for (int layer = kSssNumLayers - 1; layer >= 0; --layer) {
      arch.choice[layer] = static_cast<std::uint8_t>(rest % kSssNumCandidates);
      rest /= kSssNumCandidates;
    }
    const auto here = sss_units(arch);
    for (int layer = 0; layer < kSssNumLayers; ++layer) {
      if (arch.choice[layer] + 1 >= kSssNumCandidates) continue;
      SssArch wider = arch;
      ++wider.choice[layer];
      const auto there = sss_units(wider);
      ASSERT_LT(here.params, there.params) << sss_string(arch) << " layer " << layer;
      ASSERT_LT(here.macs, there.macs) << sss_string(arch) << " layer " << layer;
    }
  }
}

TEST(CostModel, SizeNetworkWithUniformWidthMatchesAHandCount) {
  // C:C:C:C:C on 32x32, cell 9930 (five 3x3 convs + identity skip), independent closed form.
  for (int c : {8, 24, 64}) {
    const std::int64_t w = c;
    const std::int64_t conv_bn3 = 9 * w * w + 2 * w;
    const std::int64_t params =
        (27 * w + 2 * w) + 3 * 5 * conv_bn3 + 2 * (2 * conv_bn3 + w * w) + 2 * w + 10 * w + 10;
    std::int64_t macs = 27 * w * 1024 + 10 * w + 10;
    for (std::int64_t pixels : {1024, 256, 64}) macs += 5 * 9 * w * w * pixels;
    for (std::int64_t pixels : {256, 64}) macs += (2 * 9 * w * w + w * w) * pixels;
    const auto got = sss_units(sss({c, c, c, c, c}));
    EXPECT_EQ(got.params, params) << c;
    EXPECT_EQ(got.macs, macs) << c;
  }
}

TEST(CostModel, RejectsInvalidInputs) {
  EXPECT_THROW(tss_network_cost(kTss0, 0, 32), Error);
  EXPECT_THROW(tss_network_cost(kTss0, 10, 30), Error);  // the strided conv and the pool would disagree
  EXPECT_THROW(tss_network_cost(kTss0, 10, 0), Error);
  EXPECT_THROW(tss_network_cost(tss({0, 0, 0, 0, 0, 5}), 10, 32), Error);
  SssArch bad;
  bad.choice[2] = kSssNumCandidates;
  EXPECT_THROW(sss_network_cost(bad, 10, 32), Error);
  EXPECT_THROW(sss_network_cost(sss({8, 8, 8, 8, 8}), -1, 32), Error);
}

}  // namespace
}  // namespace nas::bench

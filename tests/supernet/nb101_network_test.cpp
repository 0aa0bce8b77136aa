// NAS-Bench-101's network for a cell: parameters counted on the built module against the official
// `trainable_parameters` of nasbench-vis's 1k cells and the reference's test vectors, multiply-
// accumulates observed in forwards against bench::nb101_network_cost, one module against its
// definition written with functional ops (truncation, projections, sums, max pool, concat), the
// downsampling's TF 'same' padding, names, BN settings, TF's initialization, determinism,
// gradients, layouts and dtypes. Forwards use batch 1 or 2 at 32x32.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/nb101/nb101_cost.h"
#include "nas/benchmark_api/nb101/nb101_format.h"
#include "nas/benchmark_api/nb101/nb101_spec.h"
#include "nas/supernet/nb101_network.h"
#include "nas/supernet/operations.h"
#include "mac_tally.h"
#include "nb101_vis_cells.h"

namespace {

using namespace nas;
using namespace nas::supernet;
using bench::Nb101Op;
using bench::Nb101Spec;

Nb101Spec spec_of(std::string_view text) { return bench::parse_nb101_spec(text); }

torch::Tensor random_images(std::int64_t batch, std::uint64_t seed, std::int64_t size = bench::kNb101ImageSize) {
  torch::Generator gen = make_cpu_generator(seed);
  return torch::randn({batch, 3, size, size}, gen, torch::kFloat);
}

// --- The official data: nasbench-vis's 1k cells -------------------------------------------------------

struct OfficialCell {
  Nb101Spec spec;
  std::string key;
  std::int64_t params = 0;
};

bool official_data_available() {
  return std::ifstream(std::string(NAS_SHARED_DATA) + "/nasbench101/nasbench-vis_data-1k.json").good();
}

const std::vector<OfficialCell>& official_1k() {
  static const std::vector<OfficialCell> cells = [] {
    std::vector<OfficialCell> result;
    for (const auto& cell : test::read_nb101_vis_cells(std::string(NAS_SHARED_DATA) + "/nasbench101/nasbench-vis_data-1k.json")) {
      result.push_back({Nb101Spec::from_graph(cell.graph), cell.key, static_cast<std::int64_t>(cell.params)});
    }
    return result;
  }();
  return cells;
}

// The test vectors of benchmarks-reference §1.2 (cells with their official or NASLib-verified
// parameter counts), in the command-line form.
struct TableCell {
  const char* text;
  std::int64_t params;
};
constexpr TableCell kTableCells[] = {
    {"in,c3,mp,c3,c3,c1,out:0-1,0-4,0-5,1-2,2-3,2-6,3-5,4-5,5-6", 8555530},  // 1k[0], 00005c14...
    {"in,out:0-1", 882570},
    {"in,c3,out:0-1,1-2", 10177674},
    {"in,c1,out:0-1,1-2", 1920138},
    {"in,mp,out:0-1,1-2", 882570},
    {"in,c1,c3,c3,c3,mp,out:0-1,0-2,0-3,0-5,1-6,2-6,3-4,4-6,5-6", 2694282},  // the README's Inception-like cell
    {"in,c3,c1,out:0-1,0-2,1-3", 10177674},  // prunes to in -> c3 -> out (vertex 2 dangles)
};

// --- Multiply-accumulates observed in a forward (mac_tally.h) ---------------------------------------

using test::MacTally;
using test::observe_forward;

std::map<std::string, torch::Tensor> state_of(const torch::nn::Module& net) {
  std::map<std::string, torch::Tensor> state;
  for (const auto& item : net.named_parameters()) state[item.key()] = item.value();
  for (const auto& item : net.named_buffers()) state[item.key()] = item.value();
  return state;
}

// BN running statistics and affine values far from the defaults, so eval-mode checks see them.
void randomize_batch_norms(torch::nn::Module& module, torch::Generator& gen) {
  torch::NoGradGuard no_grad;
  for (const auto& child : module.modules(/*include_self=*/false)) {
    if (auto* bn = child->as<torch::nn::BatchNorm2d>()) {
      bn->weight.uniform_(0.5, 2.0, gen);
      bn->bias.uniform_(-0.5, 0.5, gen);
      bn->running_mean.uniform_(-0.2, 0.2, gen);
      bn->running_var.uniform_(0.5, 2.0, gen);
    }
  }
}

// conv_bn_relu written out: eval-mode BN with the module's own statistics.
torch::Tensor conv_bn_relu(Nb101ConvBNReLU& block, const torch::Tensor& x) {
  const auto& bn = block->bn();
  const std::int64_t padding = block->conv()->weight.size(2) / 2;
  const torch::Tensor conv = torch::conv2d(x, block->conv()->weight, {}, 1, padding);
  return torch::relu(
      torch::batch_norm(conv, bn->weight, bn->bias, bn->running_mean, bn->running_var, false, 0.003, 1e-5, false));
}

// ---------------------------------------------------------------------------------------------------
// Cost: the built module against the official figures and the cost model

TEST(Nb101Network, ParameterCountIsTheOfficialTrainableParameters) {
  // Construction only, no forward: the parameter count is the shapes the constructor made.
  for (const TableCell& cell : kTableCells) {
    const Nb101Spec spec = spec_of(cell.text);
    Nb101Network net(spec);
    EXPECT_EQ(count_parameters(*net), cell.params) << cell.text;
    EXPECT_EQ(bench::nb101_network_cost(spec).params, static_cast<std::uint64_t>(cell.params)) << cell.text;
  }
  if (!official_data_available()) GTEST_SKIP() << "shared data absent";
  // Building a network costs time in proportion to its weights (~15 ns each on one core: LibTorch's
  // own initialization in the Conv2d constructors, then TF's), and the 1k cells have 8.4G weights,
  // about two minutes. So: the 300 cells with the fewest parameters (0.64G; they still have every
  // op, 4 to 7 vertices, truncations and input projections) and the largest one (49M), ~10 s. The
  // cost model's own test compares all 1,000 with the same official figures.
  const std::vector<OfficialCell>& cells = official_1k();
  ASSERT_EQ(cells.size(), 1000u);
  std::vector<std::size_t> order(cells.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&cells](std::size_t a, std::size_t b) { return cells[a].params < cells[b].params; });
  std::vector<std::size_t> chosen(order.begin(), order.begin() + 300);
  chosen.push_back(order.back());
  std::set<int> vertex_counts;
  std::set<Nb101Op> ops;
  for (std::size_t i : chosen) {
    const OfficialCell& cell = cells[i];
    Nb101Network net(cell.spec);
    ASSERT_EQ(count_parameters(*net), cell.params) << cell.key << " " << bench::format_nb101_text(cell.spec);
    vertex_counts.insert(cell.spec.num_vertices());
    for (int v = 1; v + 1 < cell.spec.num_vertices(); ++v) ops.insert(cell.spec.op(v));
  }
  EXPECT_EQ(cells[order.back()].params, 49105546);
  EXPECT_GE(vertex_counts.size(), 3u);  // cells of several sizes, not only 7-vertex ones
  EXPECT_EQ(ops.size(), 3u);
}

TEST(Nb101Network, MeasuredMacsAreTheCostModels) {
  std::vector<Nb101Spec> specs;
  for (const TableCell& cell : kTableCells) specs.push_back(spec_of(cell.text));
  // Truncation, a max pool fed by a sum and an output projection, in one cell.
  specs.push_back(spec_of("in,c3,mp,c1,out:0-1,0-2,1-2,1-3,2-4,3-4,0-4"));
  for (const Nb101Spec& spec : specs) {
    Nb101Network net(spec, 10, make_cpu_generator(1));
    const MacTally tally = observe_forward(net, random_images(1, 2));
    EXPECT_EQ(tally.macs, static_cast<std::int64_t>(bench::nb101_network_cost(spec).macs))
        << bench::format_nb101_text(spec);
    // Every Conv2d of the module ran exactly once, and the classifier once.
    EXPECT_EQ(tally.convolutions, test::count_conv_modules(*net)) << bench::format_nb101_text(spec);
    EXPECT_EQ(tally.products, 1) << bench::format_nb101_text(spec);
  }
}

// ---------------------------------------------------------------------------------------------------
// Structure

TEST(Nb101Network, ForwardGivesLogitsAndFeatures) {
  for (int classes : {10, 100}) {
    Nb101Network net(spec_of("in,c3,mp,out:0-1,1-2,2-3,0-3"), classes, make_cpu_generator(3));
    const auto [features, logits] = net->forward_with_features(random_images(2, 4));
    EXPECT_EQ(features.sizes(), (std::vector<std::int64_t>{2, 512}));
    EXPECT_EQ(logits.sizes(), (std::vector<std::int64_t>{2, classes}));
    EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
    // Every vertex value is a ReLU output or a max of sums of them, so the pooled features are too.
    EXPECT_GE(features.min().item<double>(), 0.0);
    EXPECT_EQ(net->num_classes(), classes);
  }
  Nb101Network net(spec_of("in,out:0-1"));
  EXPECT_THROW(net->forward(torch::zeros({2, 1, 32, 32})), c10::Error);
  EXPECT_EQ(net->forward(random_images(1, 5, 17)).sizes(), (std::vector<std::int64_t>{1, 10}));  // any size
}

TEST(Nb101Network, InvalidArgumentsThrow) {
  EXPECT_THROW(Nb101Network(spec_of("in,out:0-1"), 0), Error);
  EXPECT_THROW(Nb101ConvBNReLU(8, 8, 2), Error);
  EXPECT_THROW(Nb101ConvBNReLU(0, 8, 3), Error);
  EXPECT_THROW(Nb101Vertex(Nb101Op::Input, 8, 8), Error);
  EXPECT_THROW(Nb101Vertex(Nb101Op::Conv3x3, 0, 8), Error);
  EXPECT_THROW(Nb101Module(spec_of("in,c3,out:0-1,1-2"), 0, 8), Error);
  // Three vertices feed the output: 2 output channels leave one of them without any.
  EXPECT_THROW(Nb101Module(spec_of("in,c3,c3,c3,out:0-1,0-2,0-3,1-4,2-4,3-4"), 8, 2), Error);
}

TEST(Nb101Network, StacksDownsampleAndDoubleTheChannels) {
  Nb101Network net(spec_of("in,c3,out:0-1,1-2"), 10, make_cpu_generator(6));
  const int widths[3] = {128, 256, 512};
  int channels = bench::kNb101StemChannels;
  for (int stack = 0; stack < 3; ++stack) {
    for (int index = 0; index < 3; ++index) {
      Nb101Module& module = net->module_at(stack, index);
      EXPECT_EQ(module->vertex_channels(), (std::vector<int>{channels, widths[stack], widths[stack]}))
          << stack << "." << index;
      channels = widths[stack];
    }
  }
  EXPECT_THROW(net->module_at(3, 0), c10::Error);
  // The forward's sizes: conv outputs at 32, 16 and 8 pixels across, stack by stack.
  net->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor x = net->stem()(random_images(1, 7));
  EXPECT_EQ(x.sizes(), (std::vector<std::int64_t>{1, 128, 32, 32}));
  for (int stack = 0; stack < 3; ++stack) {
    if (stack > 0) x = nb101_downsample(x);
    for (int index = 0; index < 3; ++index) x = net->module_at(stack, index)->forward(x);
    EXPECT_EQ(x.sizes(), (std::vector<std::int64_t>{1, widths[stack], 32 >> stack, 32 >> stack}));
  }
  EXPECT_TRUE(torch::allclose(net->classifier()(x.mean({2, 3})), net->forward(random_images(1, 7)), 1e-5, 1e-5));
}

TEST(Nb101Network, DownsampleIsTensorflowsSamePadding) {
  torch::Generator gen = make_cpu_generator(8);
  // Even sizes: 'same' pads nothing, so a plain 2x2 stride-2 max pool.
  const torch::Tensor even = torch::randn({2, 4, 16, 16}, gen, torch::kFloat);
  EXPECT_TRUE(torch::equal(nb101_downsample(even), torch::max_pool2d(even, {2, 2}, {2, 2})));
  // Odd sizes: one padding row/column at the end, which never wins a max.
  const torch::Tensor odd = torch::randn({1, 2, 5, 7}, gen, torch::kFloat);
  const torch::Tensor padded = torch::constant_pad_nd(odd, {0, 1, 0, 1}, -std::numeric_limits<double>::infinity());
  const torch::Tensor pooled = nb101_downsample(odd);
  EXPECT_EQ(pooled.sizes(), (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_TRUE(torch::equal(pooled, torch::max_pool2d(padded, {2, 2}, {2, 2})));
  // The vertex max pool keeps the size and pads with -inf on every side.
  const torch::Tensor signed_values = -torch::rand({1, 3, 6, 6}, gen, torch::kFloat) - 1.0;  // all below 0
  const torch::Tensor vertex = nb101_vertex_max_pool(signed_values);
  EXPECT_EQ(vertex.sizes(), signed_values.sizes());
  EXPECT_LT(vertex.max().item<double>(), 0.0);  // a zero padding would have won at the border
}

// One module against nasbench's build_module written with functional ops, on a cell with every
// feature: vc = [8, 5, 5, 4, 9] (9 output channels split 5 + 4 over vertices 2 and 3; vertex 1 takes
// the larger), so vertex 3 truncates vertex 1's 5 channels to 4; vertex 2 sums vertex 1 and the
// projected input, then max-pools; the output concatenates 2 and 3 and adds the projected input.
TEST(Nb101Network, ModuleIsItsDefinition) {
  const Nb101Spec spec = spec_of("in,c3,mp,c1,out:0-1,0-2,1-2,1-3,2-4,3-4,0-4");
  Nb101Module module(spec, 8, 9);
  ASSERT_EQ(module->vertex_channels(), bench::nb101_vertex_channels(spec, 8, 9));
  ASSERT_EQ(module->vertex_channels(), (std::vector<int>{8, 5, 5, 4, 9}));
  torch::Generator gen = make_cpu_generator(9);
  randomize_batch_norms(*module, gen);
  module->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({2, 8, 6, 6}, gen, torch::kFloat);

  Nb101Vertex& v1 = module->vertex(1);
  Nb101Vertex& v2 = module->vertex(2);
  Nb101Vertex& v3 = module->vertex(3);
  EXPECT_TRUE(v1->has_projection() && v2->has_projection() && !v3->has_projection());
  EXPECT_TRUE(v2->conv().is_empty());
  EXPECT_TRUE(module->has_output_projection());
  const torch::Tensor t1 = conv_bn_relu(v1->conv(), conv_bn_relu(v1->projection(), x));
  const torch::Tensor t2 =
      torch::max_pool2d(t1 + conv_bn_relu(v2->projection(), x), {3, 3}, {1, 1}, {1, 1});
  const torch::Tensor t3 = conv_bn_relu(v3->conv(), t1.narrow(1, 0, 4));
  const torch::Tensor expected = torch::cat({t2, t3}, 1) + conv_bn_relu(module->output_projection(), x);
  const torch::Tensor actual = module->forward(x);
  EXPECT_EQ(actual.sizes(), (std::vector<std::int64_t>{2, 9, 6, 6}));
  EXPECT_TRUE(torch::allclose(actual, expected, 1e-5, 1e-5));
}

TEST(Nb101Network, TwoVertexCellIsTheProjectionAlone) {
  Nb101Module module(spec_of("in,out:0-1"), 8, 16);
  EXPECT_EQ(module->vertex_channels(), (std::vector<int>{8, 16}));
  ASSERT_TRUE(module->has_output_projection());
  EXPECT_EQ(module->output_projection()->conv()->weight.sizes(), (std::vector<std::int64_t>{16, 8, 1, 1}));
  EXPECT_EQ(count_parameters(*module), 8 * 16 + 2 * 16);
  torch::Generator gen = make_cpu_generator(10);
  randomize_batch_norms(*module, gen);
  module->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({2, 8, 4, 4}, gen, torch::kFloat);
  EXPECT_TRUE(torch::allclose(module->forward(x), conv_bn_relu(module->output_projection(), x), 1e-6, 1e-6));
  // A chain without the input -> output edge has no output projection, and its output is the
  // last vertex's value as is.
  Nb101Module chain(spec_of("in,mp,out:0-1,1-2"), 8, 8);
  EXPECT_FALSE(chain->has_output_projection());
  EXPECT_EQ(count_parameters(*chain), 8 * 8 + 2 * 8);  // the vertex's input projection only
}

TEST(Nb101Network, NamesAndBatchNormSettings) {
  // 1k[0]: vertices 1 c3, 2 mp, 3 c3, 4 c3, 5 c1; the input feeds 1, 4 and 5; no input -> output edge.
  Nb101Network net(spec_of(kTableCells[0].text));
  const auto state = state_of(*net);
  // vc of a 128 -> 128 module: 6 is fed by 2 and 5 (64 each); 4 and 3 take 5's 64; 1 takes 2's 64.
  const std::map<std::string, std::vector<std::int64_t>> expected{
      {"stem.conv.weight", {128, 3, 3, 3}},
      {"stem.bn.weight", {128}},
      {"stem.bn.running_var", {128}},
      {"stacks.0.0.vertex_1.projection.conv.weight", {64, 128, 1, 1}},
      {"stacks.0.0.vertex_1.op.conv.weight", {64, 64, 3, 3}},
      {"stacks.0.0.vertex_3.op.conv.weight", {64, 64, 3, 3}},
      {"stacks.0.0.vertex_4.projection.bn.bias", {64}},
      {"stacks.0.0.vertex_5.op.conv.weight", {64, 64, 1, 1}},
      {"stacks.1.0.vertex_1.projection.conv.weight", {128, 128, 1, 1}},
      {"stacks.1.1.vertex_1.projection.conv.weight", {128, 256, 1, 1}},
      {"stacks.2.2.vertex_5.op.bn.running_mean", {256}},
      {"classifier.weight", {10, 512}},
      {"classifier.bias", {10}}};
  for (const auto& [name, sizes] : expected) {
    ASSERT_TRUE(state.count(name)) << name;
    EXPECT_EQ(state.at(name).sizes(), sizes) << name;
  }
  std::set<std::string> roots;
  for (const auto& [name, tensor] : state) {
    roots.insert(name.substr(0, name.find('.')));
    EXPECT_EQ(name.find("vertex_2."), std::string::npos) << "the max-pool vertex 2 owns nothing: " << name;
    EXPECT_EQ(name.find("output_projection"), std::string::npos) << name;
  }
  EXPECT_EQ(roots, (std::set<std::string>{"stem", "stacks", "classifier"}));
  for (const auto& module : net->modules(false)) {
    if (const auto* conv = module->as<torch::nn::Conv2d>()) {
      EXPECT_FALSE(conv->options.bias());
      EXPECT_FALSE(conv->bias.defined());
      EXPECT_EQ((*conv->options.stride())[0], 1);
    }
    if (const auto* bn = module->as<torch::nn::BatchNorm2d>()) {
      EXPECT_TRUE(bn->options.affine());
      EXPECT_TRUE(bn->options.track_running_stats());
      EXPECT_DOUBLE_EQ(bn->options.eps(), 1e-5);
      EXPECT_NEAR(*bn->options.momentum(), 0.003, 1e-15);
    }
  }
  EXPECT_TRUE(net->classifier()->options.bias());
}

// ---------------------------------------------------------------------------------------------------
// Initialization and determinism

TEST(Nb101Network, ConstructionIsAFunctionOfTheSeed) {
  const Nb101Spec spec = spec_of("in,c3,mp,out:0-1,1-2,2-3,0-3");
  torch::manual_seed(1);  // the global RNG must not matter
  Nb101Network a(spec, 10, make_cpu_generator(11));
  torch::manual_seed(2);
  Nb101Network b(spec, 10, make_cpu_generator(11));
  Nb101Network c(spec, 10, make_cpu_generator(12));
  const auto sa = state_of(*a), sb = state_of(*b), sc = state_of(*c);
  ASSERT_EQ(sa.size(), sb.size());
  bool any_differs = false;
  for (const auto& [name, tensor] : sa) {
    EXPECT_TRUE(torch::equal(tensor, sb.at(name))) << name;
    any_differs = any_differs || !torch::equal(tensor, sc.at(name));
  }
  EXPECT_TRUE(any_differs);
  const torch::Tensor images = random_images(2, 13);
  EXPECT_TRUE(torch::equal(a->forward(images), b->forward(images)));
  // Without a generator: the global RNG's seed decides.
  torch::manual_seed(3);
  Nb101Network d(spec);
  torch::manual_seed(3);
  Nb101Network e(spec);
  EXPECT_TRUE(torch::equal(d->stem()->conv()->weight, e->stem()->conv()->weight));
}

TEST(Nb101Network, InitializationIsTensorflows) {
  Nb101Network net(spec_of("in,c3,out:0-1,1-2"), 10, make_cpu_generator(14));
  // Variance-scaling fan_in, truncated at 2 standard deviations of the untruncated normal: the
  // drawn weights have standard deviation sqrt(1 / fan_in) and lie within 2 / 0.8796 of it.
  const auto check_conv = [](const torch::Tensor& weight, const std::string& name) {
    const double fan_in = static_cast<double>(weight.numel() / weight.size(0));
    const double target = std::sqrt(1.0 / fan_in);
    const double bound = 2.0 * target / 0.87962566103423978;
    EXPECT_LE(weight.abs().max().item<double>(), bound * (1 + 1e-6)) << name;
    EXPECT_GT(weight.abs().max().item<double>(), 0.97 * bound) << name;
    EXPECT_NEAR(weight.std().item<double>(), target, 0.03 * target) << name;
    EXPECT_NEAR(weight.mean().item<double>(), 0.0, 0.05 * target) << name;
  };
  check_conv(net->stem()->conv()->weight, "stem");  // fan_in 27, 3,456 weights
  check_conv(net->module_at(1, 0)->vertex(1)->projection()->conv()->weight, "stacks.1.0 projection");
  check_conv(net->module_at(2, 2)->vertex(1)->conv()->conv()->weight, "stacks.2.2 conv3x3");  // fan_in 4,608
  // Glorot uniform for the dense layer, zero bias.
  const double limit = std::sqrt(6.0 / (512 + 10));
  const torch::Tensor& w = net->classifier()->weight;
  EXPECT_LE(w.abs().max().item<double>(), limit);
  EXPECT_GT(w.abs().max().item<double>(), 0.98 * limit);
  EXPECT_TRUE(torch::equal(net->classifier()->bias, torch::zeros({10})));
  EXPECT_TRUE(torch::equal(net->stem()->bn()->weight, torch::ones({128})));
  EXPECT_TRUE(torch::equal(net->stem()->bn()->bias, torch::zeros({128})));
}

// ---------------------------------------------------------------------------------------------------
// Training, layouts, dtypes and devices

TEST(Nb101Network, BackwardReachesEveryParameter) {
  for (const char* text : {kTableCells[0].text, "in,out:0-1", "in,c3,mp,c1,out:0-1,0-2,1-2,1-3,2-4,3-4,0-4"}) {
    const Nb101Spec spec = spec_of(text);
    Nb101Network net(spec, 10, make_cpu_generator(15));
    net->train();
    torch::Generator gen = make_cpu_generator(16);
    const torch::Tensor labels = torch::randint(0, 10, {2}, gen, torch::kLong);
    const torch::Tensor images = random_images(2, 17);
    const torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(images), labels);
    loss.backward();
    std::int64_t reached = 0;
    for (const auto& item : net->named_parameters()) {
      const torch::Tensor& grad = item.value().grad();
      ASSERT_TRUE(grad.defined()) << text << " " << item.key();
      EXPECT_GT(grad.abs().max().item<double>(), 0.0) << text << " " << item.key();
      EXPECT_TRUE(torch::isfinite(grad).all().item<bool>()) << text << " " << item.key();
      reached += item.value().numel();
    }
    EXPECT_EQ(reached, static_cast<std::int64_t>(bench::nb101_network_cost(spec).params)) << text;
    // One training step moved the running mean by 0.003 of the batch mean (TF's decay 0.997).
    torch::NoGradGuard no_grad;
    const torch::Tensor stem_conv = net->stem()->conv()(images);
    EXPECT_TRUE(torch::allclose(net->stem()->bn()->running_mean, 0.003 * stem_conv.mean({0, 2, 3}), 1e-6, 1e-7));
  }
}

TEST(Nb101Network, ChannelsLastOnCpuGivesTheSameLogitsAndEveryConvolutionThatLayout) {
  const Nb101Spec spec = spec_of("in,c3,mp,c1,out:0-1,0-2,1-2,1-3,2-4,3-4,0-4");  // truncation, sums, concat
  Nb101Network plain(spec, 10, make_cpu_generator(18));
  plain->set_channels_last_on_cpu(false);
  Nb101Network automatic(spec, 10, make_cpu_generator(18));
  EXPECT_TRUE(automatic->channels_last_on_cpu());
  const torch::Tensor images = random_images(2, 19);
  for (bool training : {true, false}) {
    plain->train(training);
    automatic->train(training);
    EXPECT_TRUE(torch::allclose(automatic->forward(images), plain->forward(images), 1e-4, 1e-4)) << training;
  }
  const int convs = test::count_conv_modules(*plain);
  const MacTally off = observe_forward(plain, images), on = observe_forward(automatic, images);
  EXPECT_EQ(off.convolutions, convs);
  EXPECT_EQ(off.channels_last_conv_inputs, 0);
  EXPECT_EQ(on.channels_last_conv_inputs, convs);
}

TEST(Nb101Network, FollowsTheDtypeOfItsParameters) {
  // No tensor of a fixed dtype or device is made in forward: converted to double, it computes in
  // double (CUDA is checked below where this LibTorch has it).
  Nb101Network net(spec_of("in,c3,mp,c1,out:0-1,0-2,1-2,1-3,2-4,3-4,0-4"), 10, make_cpu_generator(20));
  Nb101Network reference(spec_of("in,c3,mp,c1,out:0-1,0-2,1-2,1-3,2-4,3-4,0-4"), 10, make_cpu_generator(20));
  net->to(torch::kDouble);
  const torch::Tensor images = random_images(2, 21);
  const torch::Tensor logits = net->forward(images.to(torch::kDouble));
  EXPECT_EQ(logits.scalar_type(), torch::kDouble);
  EXPECT_TRUE(torch::allclose(logits.to(torch::kFloat), reference->forward(images), 1e-3, 1e-3));
}

TEST(Nb101Network, RunsOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "this LibTorch has no CUDA device";
  Nb101Network net(spec_of("in,c3,mp,c1,out:0-1,0-2,1-2,1-3,2-4,3-4,0-4"), 10, make_cpu_generator(22));
  Nb101Network reference(spec_of("in,c3,mp,c1,out:0-1,0-2,1-2,1-3,2-4,3-4,0-4"), 10, make_cpu_generator(22));
  net->to(torch::kCUDA);
  net->eval();
  reference->eval();
  const torch::Tensor images = random_images(2, 23);
  const torch::Tensor logits = net->forward(images.to(torch::kCUDA));
  EXPECT_TRUE(logits.is_cuda());
  EXPECT_TRUE(torch::allclose(logits.cpu(), reference->forward(images), 1e-3, 1e-3));
}

}  // namespace

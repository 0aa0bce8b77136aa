// The macro space's final network (NAS-Bench-Macro's Network): parameters and FLOPs measured on the
// built module against bench::macro_network_cost and the reference's four checks (§2.3), the layer
// structure (projections, no-ops, residuals, names), determinism, equivalent codes, gradients and
// layouts. Forwards use batch 1 or 2 at the benchmark's 32x32, so the file runs in seconds.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/macro/macro_space.h"
#include "nas/supernet/macro_network.h"
#include "nas/supernet/operations.h"
#include "mac_tally.h"

namespace {

using namespace nas;
using namespace nas::supernet;

bench::MacroArch code(const std::string& text) { return bench::parse_macro_arch(text); }

torch::Tensor random_images(std::int64_t batch, std::uint64_t seed) {
  torch::Generator gen = make_cpu_generator(seed);
  return torch::randn({batch, 3, bench::kMacroImageSize, bench::kMacroImageSize}, gen, torch::kFloat);
}

// --- FLOPs measured from the ops a forward actually runs (mac_tally.h) -----------------------------

using test::MacTally;
using test::observe_forward;

MacTally measure_macs(MacroNetwork& net) { return observe_forward(net, random_images(1, 3)); }


// Parameters and buffers by name, both kinds.
std::map<std::string, torch::Tensor> state_of(const torch::nn::Module& net) {
  std::map<std::string, torch::Tensor> state;
  for (const auto& item : net.named_parameters()) state[item.key()] = item.value();
  for (const auto& item : net.named_buffers()) state[item.key()] = item.value();
  return state;
}

bool has_prefix(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// The four checks of reference §2.3.
struct SpecCheck {
  const char* code;
  std::int64_t params;
  std::int64_t flops;
};
constexpr std::array<SpecCheck, 4> kSpecChecks{{{"00000000", 387882, 7713280},
                                                {"11111111", 1588874, 53246464},
                                                {"22222222", 2932586, 105660928},
                                                {"02012100", 890666, 47327744}}};

// ---------------------------------------------------------------------------------------------------
// Cost: the module against the cost model and the reference

TEST(MacroNetwork, ParameterCountMatchesTheCostModelOverTheSpace) {
  // Construction only, no forward. All 6,561 codes take 50-90 s on one core (the default
  // initialization of up to 2.9M weights each), so: every 20th index (20 is prime to 3, so every
  // digit, the last included, takes every block; a multiple of 3 would pin the last layer to
  // Identity) and the extremes, 330 codes.
  std::vector<std::uint32_t> indices;
  for (std::uint32_t index = 0; index < bench::kMacroNumArchs; index += 20) indices.push_back(index);
  indices.push_back(bench::kMacroNumArchs - 1);
  std::set<std::pair<int, int>> seen;  // (layer, block)
  for (std::uint32_t index : indices) {
    const bench::MacroArch arch = bench::macro_arch_at(index);
    for (int layer = 0; layer < bench::kMacroNumLayers; ++layer) {
      seen.insert({layer, arch.blocks[static_cast<std::size_t>(layer)]});
    }
    MacroNetwork net(arch);
    ASSERT_EQ(count_parameters(*net), static_cast<std::int64_t>(bench::macro_network_cost(arch).params))
        << bench::format_macro_arch(arch);
  }
  EXPECT_GE(indices.size(), 300u);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(bench::kMacroNumLayers * bench::kMacroNumChoices));
}

TEST(MacroNetwork, ReferenceChecksAreExact) {
  for (const SpecCheck& check : kSpecChecks) {
    MacroNetwork net(code(check.code));
    EXPECT_EQ(count_parameters(*net), check.params) << check.code;
    EXPECT_EQ(measure_macs(net).macs, check.flops) << check.code;
    // And the cost model agrees with the reference too, so the two tests below compare like with like.
    EXPECT_EQ(bench::macro_network_cost(code(check.code)).params, static_cast<std::uint64_t>(check.params));
    EXPECT_EQ(bench::macro_network_cost(code(check.code)).flops, static_cast<std::uint64_t>(check.flops));
  }
}

TEST(MacroNetwork, MeasuredFlopsMatchTheCostModel) {
  std::vector<bench::MacroArch> archs;
  for (const SpecCheck& check : kSpecChecks) archs.push_back(code(check.code));
  // Every block at every position at least once, plus codes spread over the index order.
  for (int layer = 0; layer < bench::kMacroNumLayers; ++layer) {
    for (std::uint8_t block : {1, 2}) {
      bench::MacroArch arch;
      arch.blocks[static_cast<std::size_t>(layer)] = block;
      archs.push_back(arch);
    }
  }
  for (std::uint32_t index = 5; index < bench::kMacroNumArchs; index += 487) {
    archs.push_back(bench::macro_arch_at(index));
  }
  ASSERT_EQ(archs.size(), 34u);
  for (const bench::MacroArch& arch : archs) {
    MacroNetwork net(arch);
    const MacTally tally = measure_macs(net);
    EXPECT_EQ(tally.macs, static_cast<std::int64_t>(bench::macro_network_cost(arch).flops))
        << bench::format_macro_arch(arch);
    // Every Conv2d of the module ran exactly once, and the classifier once.
    EXPECT_EQ(tally.convolutions, test::count_conv_modules(*net)) << bench::format_macro_arch(arch);
    EXPECT_EQ(tally.products, 1) << bench::format_macro_arch(arch);
  }
}

// ---------------------------------------------------------------------------------------------------
// Structure

TEST(MacroNetwork, ForwardGivesLogitsAndFeatures) {
  for (int classes : {10, 100}) {
    MacroNetwork net(code("02012100"), classes, make_cpu_generator(1));
    const auto [features, logits] = net->forward_with_features(random_images(2, 2));
    EXPECT_EQ(features.sizes(), (std::vector<std::int64_t>{2, bench::kMacroHeadChannels}));
    EXPECT_EQ(logits.sizes(), (std::vector<std::int64_t>{2, classes}));
    EXPECT_TRUE(torch::isfinite(logits).all().item<bool>());
    // Features come after the head's ReLU.
    EXPECT_GE(features.min().item<double>(), 0.0);
    EXPECT_EQ(net->num_classes(), classes);
  }
  MacroNetwork net(code("00000000"));
  EXPECT_THROW(net->forward(torch::zeros({2, 1, 32, 32})), c10::Error);
}

TEST(MacroNetwork, InvalidArgumentsThrow) {
  EXPECT_THROW(MacroNetwork(code("00000000"), 0), Error);
  bench::MacroArch bad;
  bad.blocks[4] = 3;
  EXPECT_THROW(MacroNetwork{bad}, Error);
  EXPECT_THROW(MacroInvertedResidual(8, 8, 3, 3, 3), Error);
  EXPECT_THROW(MacroInvertedResidual(8, 8, 1, 3, 4), Error);
  EXPECT_THROW(MacroInvertedResidual(8, 8, 1, 0, 3), Error);
}

TEST(MacroNetwork, NamesFollowTheLayout) {
  MacroNetwork net(code("02012100"));  // projection, mb6_k5, projection, mb3_k3, mb6_k5, mb3_k3, no-op, no-op
  const auto state = state_of(*net);
  const std::map<std::string, std::vector<std::int64_t>> expected{{"stem.conv.weight", {32, 3, 3, 3}},
                                                                  {"stem.bn.weight", {32}},
                                                                  {"stem.bn.running_var", {32}},
                                                                  {"layers.0.conv.weight", {64, 32, 1, 1}},
                                                                  {"layers.0.bn.bias", {64}},
                                                                  {"layers.1.expand.conv.weight", {384, 64, 1, 1}},
                                                                  {"layers.1.depthwise.conv.weight", {384, 1, 5, 5}},
                                                                  {"layers.1.project.conv.weight", {64, 384, 1, 1}},
                                                                  {"layers.1.project.bn.running_mean", {64}},
                                                                  {"layers.2.conv.weight", {128, 64, 1, 1}},
                                                                  {"layers.3.depthwise.conv.weight", {384, 1, 3, 3}},
                                                                  {"layers.5.expand.conv.weight", {384, 128, 1, 1}},
                                                                  {"layers.5.project.conv.weight", {256, 384, 1, 1}},
                                                                  {"head.conv.weight", {1280, 256, 1, 1}},
                                                                  {"head.bn.weight", {1280}},
                                                                  {"classifier.weight", {10, 1280}},
                                                                  {"classifier.bias", {10}}};
  for (const auto& [name, sizes] : expected) {
    ASSERT_TRUE(state.count(name)) << name;
    EXPECT_EQ(state.at(name).sizes(), sizes) << name;
  }
  std::set<std::string> roots;
  for (const auto& [name, tensor] : state) {
    roots.insert(name.substr(0, name.find('.')));
    EXPECT_FALSE(has_prefix(name, "layers.6.") || has_prefix(name, "layers.7.")) << name;
  }
  EXPECT_EQ(roots, (std::set<std::string>{"stem", "layers", "head", "classifier"}));
  // Convolutions have no bias; BNs are PyTorch's defaults: affine, tracking, eps 1e-5, momentum 0.1.
  for (const auto& module : net->modules(false)) {
    if (const auto* conv = module->as<torch::nn::Conv2d>()) {
      EXPECT_FALSE(conv->options.bias());
      EXPECT_FALSE(conv->bias.defined());
    }
    if (const auto* bn = module->as<torch::nn::BatchNorm2d>()) {
      EXPECT_TRUE(bn->options.affine());
      EXPECT_TRUE(bn->options.track_running_stats());
      EXPECT_DOUBLE_EQ(bn->options.eps(), 1e-5);
      EXPECT_DOUBLE_EQ(*bn->options.momentum(), 0.1);
    }
  }
}

TEST(MacroNetwork, IdentitiesProjectInAStagesFirstLayerAndAreNoOpsElsewhere) {
  MacroNetwork net(code("00000000"), 10, make_cpu_generator(4));
  net->eval();
  const auto parameters = net->named_parameters();
  const auto buffers = net->named_buffers();
  const std::set<int> first_layers(bench::kMacroStageStarts.begin(), bench::kMacroStageStarts.end());
  torch::NoGradGuard no_grad;
  torch::Tensor x = net->stem()(random_images(2, 5));
  for (int layer = 0; layer < bench::kMacroNumLayers; ++layer) {
    const std::string prefix = "layers." + std::to_string(layer) + ".";
    int owned = 0;
    for (const auto& item : parameters) owned += has_prefix(item.key(), prefix);
    for (const auto& item : buffers) owned += has_prefix(item.key(), prefix);
    if (first_layers.count(layer)) {
      // conv weight + BN weight, bias, running mean, running var, num_batches_tracked.
      EXPECT_EQ(owned, 6) << layer;
      auto* projection = net->layers()[static_cast<std::size_t>(layer)]->as<MacroConvBNImpl>();
      ASSERT_NE(projection, nullptr) << layer;
      EXPECT_FALSE(projection->relu()) << layer;
      const torch::Tensor projected = projection->forward(x);
      EXPECT_EQ(projected.size(2), x.size(2) / 2) << layer;
      EXPECT_EQ(projected.size(1), 2 * x.size(1)) << layer;
      EXPECT_LT(projected.min().item<double>(), 0.0) << "no ReLU after a projection, layer " << layer;
      x = projected;
    } else {
      EXPECT_EQ(owned, 0) << layer;
      auto* identity = net->layers()[static_cast<std::size_t>(layer)]->as<torch::nn::Identity>();
      ASSERT_NE(identity, nullptr) << layer;
      EXPECT_TRUE(torch::equal(identity->forward(x), x)) << layer;
    }
  }
}

TEST(MacroNetwork, ResidualOnlyWhereTheShapeIsKept) {
  MacroNetwork net(code("11111111"), 10, make_cpu_generator(6));
  net->eval();
  torch::NoGradGuard no_grad;
  const std::set<int> first_layers(bench::kMacroStageStarts.begin(), bench::kMacroStageStarts.end());
  torch::Tensor x = net->stem()(random_images(2, 7));
  for (int layer = 0; layer < bench::kMacroNumLayers; ++layer) {
    auto* block = net->layers()[static_cast<std::size_t>(layer)]->as<MacroInvertedResidualImpl>();
    ASSERT_NE(block, nullptr) << layer;
    EXPECT_EQ(block->has_residual(), first_layers.count(layer) == 0) << layer;
    EXPECT_TRUE(block->expand()->relu() && block->depthwise()->relu() && !block->project()->relu()) << layer;
    const torch::Tensor y = block->forward(x);
    // With the projection's BN silenced the block is exactly its shortcut: x, or zeros.
    block->project()->bn()->weight.zero_();
    block->project()->bn()->bias.zero_();
    const torch::Tensor silenced = block->forward(x);
    if (block->has_residual()) {
      EXPECT_TRUE(torch::equal(silenced, x)) << layer;
    } else {
      EXPECT_EQ(silenced.abs().max().item<double>(), 0.0) << layer;
    }
    x = y;
  }
}

// One inverted residual against its definition written with functional ops, on BN statistics and
// affine values far from the defaults (pre-activations well above 6, so ReLU6 would show).
TEST(MacroNetwork, InvertedResidualIsItsDefinition) {
  MacroInvertedResidual block(8, 8, 1, 6, 5);
  torch::Generator gen = make_cpu_generator(17);
  {
    torch::NoGradGuard no_grad;
    for (const auto& module : block->modules(false)) {
      if (auto* bn = module->as<torch::nn::BatchNorm2d>()) {
        bn->weight.uniform_(0.5, 4.0, gen);
        bn->bias.uniform_(-1.0, 1.0, gen);
        bn->running_mean.uniform_(-0.2, 0.2, gen);
        bn->running_var.uniform_(0.05, 0.5, gen);
      }
    }
  }
  block->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({2, 8, 9, 9}, gen, torch::kFloat);
  const auto conv_bn = [](MacroConvBN& stage, const torch::Tensor& input, std::int64_t stride, std::int64_t padding,
                          std::int64_t groups) {
    const auto& bn = stage->bn();
    const torch::Tensor conv = torch::conv2d(input, stage->conv()->weight, {}, stride, padding, 1, groups);
    return torch::batch_norm(conv, bn->weight, bn->bias, bn->running_mean, bn->running_var, false, 0.1, 1e-5, false);
  };
  const torch::Tensor expanded = torch::relu(conv_bn(block->expand(), x, 1, 0, 1));
  const torch::Tensor pre_activation = conv_bn(block->depthwise(), expanded, 1, 2, 48);
  ASSERT_GT(pre_activation.max().item<double>(), 6.5);
  const torch::Tensor expected = conv_bn(block->project(), torch::relu(pre_activation), 1, 0, 1) + x;
  EXPECT_TRUE(torch::allclose(block->forward(x), expected, 1e-5, 1e-5));
  EXPECT_EQ(block->expand()->conv()->weight.sizes(), (std::vector<std::int64_t>{48, 8, 1, 1}));
  EXPECT_EQ(block->depthwise()->conv()->weight.sizes(), (std::vector<std::int64_t>{48, 1, 5, 5}));
}

TEST(MacroNetwork, ConstructionIsAFunctionOfTheSeed) {
  const bench::MacroArch arch = code("02012100");
  torch::manual_seed(1);  // the global RNG must not matter
  MacroNetwork a(arch, 10, make_cpu_generator(5));
  torch::manual_seed(2);
  MacroNetwork b(arch, 10, make_cpu_generator(5));
  MacroNetwork c(arch, 10, make_cpu_generator(6));
  const auto sa = state_of(*a), sb = state_of(*b), sc = state_of(*c);
  ASSERT_EQ(sa.size(), sb.size());
  bool any_differs = false;
  for (const auto& [name, tensor] : sa) {
    EXPECT_TRUE(torch::equal(tensor, sb.at(name))) << name;
    any_differs = any_differs || !torch::equal(tensor, sc.at(name));
  }
  EXPECT_TRUE(any_differs);
  const torch::Tensor images = random_images(2, 8);
  EXPECT_TRUE(torch::equal(a->forward(images), b->forward(images)));
  // PyTorch's default distribution: |w| <= 1/sqrt(fan_in), here the 5x5 depthwise conv (fan_in 25).
  const torch::Tensor w = sa.at("layers.1.depthwise.conv.weight");
  EXPECT_LE(w.abs().max().item<double>(), 0.2);
  EXPECT_GT(w.abs().max().item<double>(), 0.8 * 0.2);
  EXPECT_TRUE(torch::equal(sa.at("layers.1.depthwise.bn.weight"), torch::ones({384})));
}

// A non-canonical code and its canonical form are one network: with the parameters moved to the
// canonical layer positions, the two compute the same logits (train and eval mode).
TEST(MacroNetwork, EquivalentCodesAreTheSameNetwork) {
  EXPECT_EQ(count_parameters(*MacroNetwork(code("22212202"))), count_parameters(*MacroNetwork(code("22212220"))));
  for (const char* text : {"22212202", "10201021", "00102012", "20010102"}) {
    const bench::MacroArch arch = code(text);
    const bench::MacroArch canonical = bench::macro_canonical(arch);
    ASSERT_FALSE(arch == canonical) << text;
    MacroNetwork original(arch, 10, make_cpu_generator(9));
    MacroNetwork moved(canonical, 10, make_cpu_generator(10));
    EXPECT_EQ(count_parameters(*original), count_parameters(*moved)) << text;
    // Layer of `arch` -> its layer in the canonical code: per stage, the first stays, the others'
    // non-identity blocks move up in order.
    std::map<std::string, std::string> rename;
    for (std::size_t stage = 0; stage < bench::kMacroStageStarts.size(); ++stage) {
      const int first = bench::kMacroStageStarts[stage];
      const int end =
          stage + 1 < bench::kMacroStageStarts.size() ? bench::kMacroStageStarts[stage + 1] : bench::kMacroNumLayers;
      rename["layers." + std::to_string(first) + "."] = "layers." + std::to_string(first) + ".";
      int next = first + 1;
      for (int layer = first + 1; layer < end; ++layer) {
        if (arch.blocks[static_cast<std::size_t>(layer)] != 0) {
          rename["layers." + std::to_string(layer) + "."] = "layers." + std::to_string(next++) + ".";
        }
      }
    }
    auto target = state_of(*moved);
    const auto source = state_of(*original);
    ASSERT_EQ(source.size(), target.size()) << text;
    torch::NoGradGuard no_grad;
    for (const auto& [name, tensor] : source) {
      std::string mapped = name;
      for (const auto& [from, to] : rename) {
        if (has_prefix(name, from)) mapped = to + name.substr(from.size());
      }
      ASSERT_TRUE(target.count(mapped)) << text << " " << name << " -> " << mapped;
      target.at(mapped).copy_(tensor);
    }
    const torch::Tensor images = random_images(2, 11);
    EXPECT_TRUE(torch::allclose(original->forward(images), moved->forward(images), 1e-6, 1e-6)) << text;  // batch stats
    original->eval();
    moved->eval();
    EXPECT_TRUE(torch::allclose(original->forward(images), moved->forward(images), 1e-6, 1e-6)) << text;
  }
}

// ---------------------------------------------------------------------------------------------------
// Training and layouts

TEST(MacroNetwork, BackwardReachesEveryParameter) {
  for (const char* text : {"02012100", "00000000", "22222222"}) {
    MacroNetwork net(code(text), 10, make_cpu_generator(12));
    net->train();
    torch::Generator gen = make_cpu_generator(13);
    const torch::Tensor labels = torch::randint(0, 10, {2}, gen, torch::kLong);
    const torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(random_images(2, 14)), labels);
    loss.backward();
    std::int64_t reached = 0;
    for (const auto& item : net->named_parameters()) {
      const torch::Tensor& grad = item.value().grad();
      ASSERT_TRUE(grad.defined()) << text << " " << item.key();
      EXPECT_GT(grad.abs().max().item<double>(), 0.0) << text << " " << item.key();
      EXPECT_TRUE(torch::isfinite(grad).all().item<bool>()) << text << " " << item.key();
      reached += item.value().numel();
    }
    EXPECT_EQ(reached, static_cast<std::int64_t>(bench::macro_network_cost(code(text)).params)) << text;
    // Training mode updated the running statistics of every BN.
    for (const auto& item : net->named_buffers()) {
      if (item.key().find("num_batches_tracked") != std::string::npos) {
        EXPECT_EQ(item.value().item<std::int64_t>(), 1) << item.key();
      }
    }
  }
}

TEST(MacroNetwork, ChannelsLastOnCpuGivesTheSameLogitsAndEveryConvolutionThatLayout) {
  const bench::MacroArch arch = code("02012100");
  MacroNetwork plain(arch, 10, make_cpu_generator(15));
  plain->set_channels_last_on_cpu(false);
  MacroNetwork automatic(arch, 10, make_cpu_generator(15));  // converts CPU inputs itself (default)
  MacroNetwork converted(arch, 10, make_cpu_generator(15));  // parameters and input converted by the caller
  converted->set_channels_last_on_cpu(false);
  to_channels_last(*converted);
  EXPECT_TRUE(automatic->channels_last_on_cpu());
  EXPECT_TRUE(
      converted->named_parameters()["layers.1.depthwise.conv.weight"].is_contiguous(torch::MemoryFormat::ChannelsLast));
  const torch::Tensor images = random_images(2, 16);
  const torch::Tensor images_last = images.contiguous(torch::MemoryFormat::ChannelsLast);
  for (bool training : {true, false}) {
    for (MacroNetwork* net : {&plain, &automatic, &converted}) (*net)->train(training);
    const torch::Tensor expected = plain->forward(images);
    EXPECT_TRUE(torch::allclose(automatic->forward(images), expected, 1e-4, 1e-4)) << training;
    EXPECT_TRUE(torch::allclose(converted->forward(images_last), expected, 1e-4, 1e-4)) << training;
  }
  // The layout every convolution of the forward sees: none channels-last without the conversion,
  // all of them with it (the layout survives BN, ReLU, the residual adds and the depthwise convs).
  const int convs = test::count_conv_modules(*plain);
  const MacTally off = observe_forward(plain, images), on = observe_forward(automatic, images),
                 caller = observe_forward(converted, images_last);
  EXPECT_EQ(off.convolutions, convs);
  EXPECT_EQ(off.channels_last_conv_inputs, 0);
  EXPECT_EQ(on.channels_last_conv_inputs, convs);
  EXPECT_EQ(caller.channels_last_conv_inputs, convs);
}

}  // namespace

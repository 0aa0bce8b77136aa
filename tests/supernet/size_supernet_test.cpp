// The size space's final network (DynamicShapeTinyNet) and its supernet (GenericNAS301Model):
// parameter and FLOP counts against the benchmark, the channel masks, TAS's channel interpolation,
// and which parameters the Gumbel, REINFORCE and TAS paths give gradients to. Inputs are tiny
// (batch 2, 8x8 images); the supernet is always 64 channels wide, as in the reference.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "nas/benchmark_api/cost_model.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/size_space.h"
#include "nas/supernet/operations.h"
#include "nas/supernet/size_network.h"
#include "nas/supernet/size_supernet.h"

namespace {

using namespace nas;
using namespace nas::supernet;

constexpr int kBatch = 2;

torch::Tensor random_images(std::int64_t size, std::uint64_t seed) {
  torch::Generator gen = make_cpu_generator(seed);
  return torch::randn({kBatch, 3, size, size}, gen, torch::kFloat);
}

torch::Tensor random_labels(std::uint64_t seed) {
  torch::Generator gen = make_cpu_generator(seed);
  return torch::randint(0, 10, {kBatch}, gen, torch::kLong);
}

SizeSupernet supernet(std::uint64_t seed, ChannelSearchMode mode) {
  SizeSupernet net(SizeSupernetOptions().num_classes(10), make_cpu_generator(seed));
  net->set_mode(mode);
  return net;
}

bench::SssArch config_of(const std::string& text) { return bench::parse_sss_arch(text); }

/// Conv2d/Linear multiply-accumulates of a module whose convolutions all produce `pixels` outputs
/// per channel: (weight + bias elements) x pixels, the benchmark's counting rule (reference §3.4).
double conv_flops(const torch::nn::Module& module, double pixels) {
  double flops = 0;
  for (const auto& child : module.modules(/*include_self=*/true)) {
    if (const auto* conv = child->as<torch::nn::Conv2d>()) {
      flops += static_cast<double>(conv->weight.numel() + (conv->bias.defined() ? conv->bias.numel() : 0)) * pixels;
    }
  }
  return flops;
}

// ---------------------------------------------------------------------------------------------------
// SizeNetwork (DynamicShapeTinyNet)

TEST(SizeNetwork, FixtureRecordsParametersAndFlopsAreExact) {
  // The three official sss records and the largest network (reference §3.4), CIFAR-10 / CIFAR-100 /
  // ImageNet16-120: params in units of 1e-6, FLOPs in MFLOPs.
  struct Expected {
    const char* config;
    std::int64_t params[3];
    double mflops[3];
  };
  const Expected expected[] = {
      {"8:8:8:8:8", {11714, 12524, 12704}, {4.481114, 4.481924, 1.121336}},
      {"8:8:8:16:32", {49202, 52172, 52832}, {6.84065, 6.84362, 1.71404}},
      {"8:8:40:32:40", {144834, 148524, 149344}, {21.827994, 21.831684, 5.461816}},
      {"64:64:64:64:64", {713674, 719524, 720824}, {274.399882, 274.405732, 68.607608}},
  };
  const int classes[] = {10, 100, 120};
  const int image[] = {32, 32, 16};
  for (const Expected& e : expected) {
    for (int s = 0; s < 3; ++s) {
      SizeNetwork net(config_of(e.config), classes[s]);
      EXPECT_EQ(count_parameters(*net), e.params[s]) << e.config << " classes " << classes[s];
      // FLOPs measured from the built modules: stem and first cell at full resolution, the first
      // residual block and second cell at half, the rest at a quarter; plus the classifier.
      const auto& children = net->named_children();
      const double r = image[s];
      double flops = conv_flops(*children["stem_conv"], r * r);
      const double pixels[] = {r * r, r * r / 4, r * r / 4, r * r / 16, r * r / 16};
      const auto blocks = children["blocks"]->children();
      ASSERT_EQ(blocks.size(), 5u);
      for (std::size_t b = 0; b < blocks.size(); ++b) flops += conv_flops(*blocks[b], pixels[b]);
      const auto* classifier = children["classifier"]->as<torch::nn::Linear>();
      flops += static_cast<double>(classifier->weight.numel() + classifier->bias.numel());
      EXPECT_NEAR(flops / 1e6, e.mflops[s], 5e-7) << e.config << " classes " << classes[s];
    }
  }
}

TEST(SizeNetwork, EveryConfigSampleMatchesTheCostModel) {
  for (std::uint32_t k = 0; k < 60; ++k) {
    const bench::SssArch config = bench::sss_arch_at((k * 5471 + 3) % bench::kSssNumArchs);
    SizeNetwork net(config, 100);
    const double expected = bench::sss_network_cost(config, 100, 32).params_m * 1e6;
    EXPECT_EQ(count_parameters(*net), std::llround(expected)) << bench::format_sss_arch(config);
  }
}

TEST(SizeNetwork, ForwardShapes) {
  SizeNetwork net(config_of("8:16:24:32:40"), 10);
  const auto [features, logits] = net->forward_with_features(random_images(8, 1));
  EXPECT_EQ(features.sizes(), (std::vector<std::int64_t>{kBatch, 40}));
  EXPECT_EQ(logits.sizes(), (std::vector<std::int64_t>{kBatch, 10}));
}

// ---------------------------------------------------------------------------------------------------
// Masks and channel interpolation

TEST(ChannelMasks, RowKKeepsTheFirstWidthChannels) {
  const torch::Tensor masks = channel_masks();
  ASSERT_EQ(masks.sizes(), (std::vector<std::int64_t>{8, 64}));
  for (int k = 0; k < 8; ++k) {
    for (int c = 0; c < 64; ++c) EXPECT_EQ(masks[k][c].item<float>(), c < 8 * (k + 1) ? 1.0f : 0.0f) << k << " " << c;
  }
}

TEST(ChannelInterpolation, AveragesTheCoveredInputChannels) {
  // Channel c holds the constant value c + 1, so each output channel is a mean of integers.
  const auto constant_channels = [](int channels) {
    return torch::arange(1, channels + 1, torch::kFloat).view({1, channels, 1, 1}).expand({2, channels, 3, 3}).contiguous();
  };
  // 3 -> 4: output i averages input [floor(3i/4), ceil(3(i+1)/4)).
  const torch::Tensor up = channel_interpolate(constant_channels(3), 4);
  const float expected_up[] = {1.0f, 1.5f, 2.5f, 3.0f};
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(up[1][i][2][1].item<float>(), expected_up[i]) << i;
  // 8 -> 24: each input channel is repeated three times.
  const torch::Tensor repeated = channel_interpolate(constant_channels(8), 24);
  for (int i = 0; i < 24; ++i) EXPECT_FLOAT_EQ(repeated[0][i][0][0].item<float>(), static_cast<float>(i / 3 + 1)) << i;
  // 16 -> 24: windows of one or two channels.
  const torch::Tensor mixed = channel_interpolate(constant_channels(16), 24);
  for (int i = 0; i < 24; ++i) {
    const int start = (i * 16) / 24, end = ((i + 1) * 16 + 23) / 24;
    double mean = 0;
    for (int c = start; c < end; ++c) mean += c + 1;
    EXPECT_FLOAT_EQ(mixed[0][i][0][0].item<float>(), static_cast<float>(mean / (end - start))) << i;
  }
  const torch::Tensor same = constant_channels(5);
  EXPECT_TRUE(channel_interpolate(same, 5).equal(same));
}

TEST(ChannelInterpolation, WideningEqualsAdaptivePoolingBitForBit) {
  torch::Generator gen = make_cpu_generator(12);
  const torch::Tensor x = torch::randn({2, 64, 4, 4}, gen, torch::kFloat).contiguous(torch::MemoryFormat::ChannelsLast);
  for (int in : bench::kSssCandidates) {
    for (int out : bench::kSssCandidates) {
      if (out < in) continue;
      const torch::Tensor slice = x.slice(1, 0, in);
      const torch::Tensor pooled = torch::adaptive_avg_pool3d(slice.contiguous(), {out, 4, 4});
      EXPECT_TRUE(channel_interpolate(slice, out).contiguous().equal(pooled)) << in << " -> " << out;
    }
  }
}

TEST(TasMixing, WeightsTheTwoInterpolatedWidthsAndZeroPads) {
  torch::Generator gen = make_cpu_generator(3);
  const torch::Tensor x = torch::randn({2, 64, 3, 3}, gen, torch::kFloat).requires_grad_(true);
  TasSelection selection;
  selection.candidates = {0, 2};  // widths 8 and 24
  selection.weights = torch::tensor({0.3f, 0.7f});
  const torch::Tensor out = mix_two_widths(x, selection);
  ASSERT_EQ(out.sizes(), x.sizes());
  const torch::Tensor expected = 0.3 * x.slice(1, 0, 8).repeat_interleave(3, 1) + 0.7 * x.slice(1, 0, 24);
  EXPECT_TRUE(torch::allclose(out.slice(1, 0, 24), expected, 1e-6, 1e-6));
  EXPECT_EQ(out.slice(1, 24).abs().max().item<float>(), 0.0f);
  out.sum().backward();
  EXPECT_EQ(x.grad().slice(1, 24).abs().max().item<float>(), 0.0f) << "channels past the wider width get no gradient";
  EXPECT_GT(x.grad().slice(1, 0, 24).abs().min().item<float>(), 0.0f);
}

TEST(TasSelection, TwoDistinctCandidatesWithNormalizedDifferentiableWeights) {
  torch::Generator gen = make_cpu_generator(9);
  const torch::Tensor alpha = (1e-3 * torch::randn({1, 8}, gen, torch::kFloat)).requires_grad_(true);
  std::set<int> seen;
  for (int draw = 0; draw < 200; ++draw) {
    const TasSelection s = tas_select(alpha, 10.0, gen);
    ASSERT_NE(s.candidates[0], s.candidates[1]);
    seen.insert(s.candidates[0]);
    EXPECT_NEAR(s.weights.sum().item<double>(), 1.0, 1e-6);
    if (draw == 0) {
      s.weights[0].backward();
      EXPECT_GT(alpha.grad().abs().sum().item<double>(), 0.0);
    }
  }
  EXPECT_EQ(seen.size(), 8u) << "near-uniform alpha at tau 10 draws every width";
  // A dominant row at a low temperature always puts the dominant width first or second.
  const torch::Tensor peaked = torch::zeros({1, 8}).index_put_({0, 5}, 30.0);
  for (int draw = 0; draw < 20; ++draw) {
    const TasSelection s = tas_select(peaked, 0.1, gen);
    EXPECT_TRUE(s.candidates[0] == 5 || s.candidates[1] == 5);
  }
}

// ---------------------------------------------------------------------------------------------------
// The supernet

TEST(SizeSupernet, StructureAlphaAndWeights) {
  SizeSupernet net = supernet(1, ChannelSearchMode::MaskGumbel);
  EXPECT_EQ(net->alpha().sizes(), (std::vector<std::int64_t>{5, 8}));
  EXPECT_LT(net->alpha().abs().max().item<double>(), 1e-2);
  const auto weights = net->weight_parameters();
  EXPECT_EQ(weights.size() + 1, net->parameters().size());
  for (const auto& w : weights) EXPECT_NE(w.unsafeGetTensorImpl(), net->alpha().unsafeGetTensorImpl());
  EXPECT_EQ(alpha_row_of_layer(0), 0);
  EXPECT_EQ(alpha_row_of_layer(1), 0);
  EXPECT_EQ(alpha_row_of_layer(5), 4);
  // Same seed, same weights and alpha.
  SizeSupernet again = supernet(1, ChannelSearchMode::MaskGumbel);
  EXPECT_TRUE(net->alpha().equal(again->alpha()));
  EXPECT_TRUE(net->weight_parameters().front().equal(again->weight_parameters().front()));
}

TEST(SizeSupernet, FixedModeEqualsMultiplyingTheMasksByHand) {
  SizeSupernet net = supernet(2, ChannelSearchMode::Fixed);
  const bench::SssArch config = config_of("16:8:40:24:8");
  net->set_fixed_config(config);
  net->eval();
  const torch::Tensor images = random_images(8, 4);
  const torch::Tensor logits = net->forward(images);
  for (int layer = 0; layer < kSizeSupernetLayers; ++layer) {
    EXPECT_EQ(net->last_samples()[layer].candidate, config.choice[alpha_row_of_layer(layer)]) << layer;
  }
  // Only the first 8 channels reach the classifier (C4 = 8): its other weight columns do not matter.
  torch::NoGradGuard no_grad;
  auto named = net->named_parameters();
  named["classifier.weight"].slice(1, 8).fill_(123.0);
  EXPECT_TRUE(torch::allclose(net->forward(images), logits, 1e-6, 1e-6));
}

TEST(SizeSupernet, GumbelPathGivesEveryAlphaRowAndEveryWeightAGradient) {
  SizeSupernet net = supernet(3, ChannelSearchMode::MaskGumbel);
  net->set_tau(1.0);
  const torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(random_images(8, 5)), random_labels(6));
  loss.backward();
  ASSERT_TRUE(net->alpha().grad().defined());
  for (int row = 0; row < 5; ++row) EXPECT_GT(net->alpha().grad()[row].abs().sum().item<double>(), 0.0) << row;
  // Soft masks keep every channel (weight of width 64 > 0), so the classifier's every column learns.
  auto named = net->named_parameters();
  EXPECT_GT(named["classifier.weight"].grad().abs().min().item<double>(), 0.0);
  for (int layer = 0; layer < kSizeSupernetLayers; ++layer) EXPECT_EQ(net->last_samples()[layer].candidate, -1);
}

TEST(SizeSupernet, ReinforcePathLogProbabilityGradientIsOneHotMinusSoftmax) {
  SizeSupernet net = supernet(4, ChannelSearchMode::MaskRl);
  const torch::Tensor logits = net->forward(random_images(8, 7));
  // The logits do not depend on alpha (masks are sampled, not weighted).
  const auto g = torch::autograd::grad({logits.sum()}, {net->alpha()}, {}, true, false, /*allow_unused=*/true)[0];
  EXPECT_TRUE(!g.defined() || g.abs().sum().item<double>() == 0.0);
  const torch::Tensor log_prob = net->last_log_prob();
  ASSERT_TRUE(log_prob.defined());
  const torch::Tensor grad = torch::autograd::grad({log_prob}, {net->alpha()})[0];
  // d/d alpha of sum_l log softmax(alpha_{row(l)})[k_l] = sum_l (onehot(k_l) - softmax(alpha_{row(l)})).
  const torch::Tensor probs = torch::softmax(net->alpha().detach(), 1);
  torch::Tensor expected = torch::zeros({5, 8});
  double expected_log_prob = 0;
  for (int layer = 0; layer < kSizeSupernetLayers; ++layer) {
    const int row = alpha_row_of_layer(layer), k = net->last_samples()[layer].candidate;
    ASSERT_GE(k, 0);
    expected[row] -= probs[row];
    expected[row][k] += 1;
    expected_log_prob += std::log(probs[row][k].item<double>());
  }
  EXPECT_TRUE(torch::allclose(grad, expected, 1e-5, 1e-6));
  EXPECT_NEAR(log_prob.item<double>(), expected_log_prob, 1e-4);
}

TEST(SizeSupernet, AWidthThatIsNeverSampledGetsNoWeightUpdate) {
  // Row 4 (the last cell's width) all but certainly samples width 8: the classifier columns of
  // channels 8..63 and the last cell's output rows past 8 never receive a gradient, so plain SGD
  // never moves them, however many steps run.
  SizeSupernet net = supernet(5, ChannelSearchMode::MaskRl);
  {
    torch::NoGradGuard no_grad;
    net->alpha()[4].fill_(-50.0);
    net->alpha()[4][0] = 50.0;
  }
  auto named = net->named_parameters();
  const torch::Tensor classifier = named["classifier.weight"];
  const torch::Tensor before = classifier.detach().clone();
  torch::optim::SGD sgd(net->weight_parameters(), torch::optim::SGDOptions(0.1));
  for (int step = 0; step < 5; ++step) {
    sgd.zero_grad();
    torch::nn::functional::cross_entropy(net->forward(random_images(8, 10 + step)), random_labels(20 + step)).backward();
    EXPECT_EQ(net->last_samples()[5].candidate, 0);
    EXPECT_EQ(classifier.grad().slice(1, 8).abs().max().item<float>(), 0.0f);
    sgd.step();
  }
  EXPECT_TRUE(classifier.detach().slice(1, 8).equal(before.slice(1, 8)));
  EXPECT_FALSE(classifier.detach().slice(1, 0, 8).equal(before.slice(1, 0, 8))) << "the sampled width did learn";
}

TEST(SizeSupernet, TasPathGivesAlphaAGradientAndRecordsTwoWidths) {
  SizeSupernet net = supernet(6, ChannelSearchMode::Tas);
  net->set_tau(5.0);
  torch::nn::functional::cross_entropy(net->forward(random_images(8, 8)), random_labels(9)).backward();
  for (int layer = 0; layer < kSizeSupernetLayers; ++layer) {
    const LayerSample& s = net->last_samples()[layer];
    EXPECT_GE(s.candidate, 0);
    EXPECT_GE(s.second, 0);
    EXPECT_NE(s.candidate, s.second);
  }
  for (int row = 0; row < 5; ++row) EXPECT_GT(net->alpha().grad()[row].abs().sum().item<double>(), 0.0) << row;
  // The classifier sees only max(c1, c2) channels of the last layer.
  const LayerSample& last = net->last_samples()[5];
  const int width = std::max(bench::kSssCandidates[last.candidate], bench::kSssCandidates[last.second]);
  auto named = net->named_parameters();
  if (width < 64) {
    EXPECT_EQ(named["classifier.weight"].grad().slice(1, width).abs().max().item<float>(), 0.0f);
  }
}

TEST(SizeSupernet, WarmupUsesTheFullWidthWithItsProbability) {
  SizeSupernet net = supernet(7, ChannelSearchMode::Warmup);
  net->set_warmup_probability(1.0);
  torch::NoGradGuard no_grad;
  net->forward(random_images(8, 1));
  for (const LayerSample& s : net->last_samples()) EXPECT_EQ(s.candidate, 7);
  net->set_warmup_probability(0.0);
  std::set<int> seen;
  for (int i = 0; i < 12; ++i) {
    net->forward(random_images(8, 1));
    for (const LayerSample& s : net->last_samples()) seen.insert(s.candidate);
  }
  EXPECT_EQ(seen.size(), 8u) << "probability 0: uniformly random widths";
  EXPECT_THROW(net->set_warmup_probability(1.5), nas::Error);
}

TEST(SizeSupernet, DeriveIsTheRowArgmaxWithFirstIndexOnTies) {
  SizeSupernet net = supernet(8, ChannelSearchMode::MaskGumbel);
  {
    torch::NoGradGuard no_grad;
    net->alpha().zero_();
    net->alpha()[0][3] = 1.0;
    net->alpha()[2][7] = 0.5;
    net->alpha()[4][1] = 2.0;
    net->alpha()[4][6] = 2.0;
  }
  EXPECT_EQ(bench::format_sss_arch(net->derive_arch()), "32:8:64:8:16");
  const auto p = net->row_probabilities(1);
  ASSERT_EQ(p.size(), 8u);
  for (double v : p) EXPECT_NEAR(v, 0.125, 1e-12);
}

TEST(SizeSupernet, SamplingIsDeterministicForASeedAndChannelsLastChangesNothing) {
  const torch::Tensor images = random_images(8, 11);
  SizeSupernet a = supernet(9, ChannelSearchMode::Tas);
  SizeSupernet b = supernet(9, ChannelSearchMode::Tas);
  a->set_generator(make_cpu_generator(42));
  b->set_generator(make_cpu_generator(42));
  EXPECT_TRUE(a->forward(images).equal(b->forward(images)));
  for (int layer = 0; layer < kSizeSupernetLayers; ++layer) {
    EXPECT_EQ(a->last_samples()[layer].candidate, b->last_samples()[layer].candidate);
  }
  SizeSupernet plain(SizeSupernetOptions().channels_last_on_cpu(false), make_cpu_generator(9));
  SizeSupernet fast(SizeSupernetOptions().channels_last_on_cpu(true), make_cpu_generator(9));
  for (SizeSupernet* net : {&plain, &fast}) {
    (*net)->set_mode(ChannelSearchMode::Fixed);
    (*net)->set_fixed_config(config_of("24:40:56:16:48"));
  }
  EXPECT_TRUE(torch::allclose(plain->forward(images), fast->forward(images), 1e-4, 1e-5));
}

TEST(SizeSupernet, ModeNamesRoundTripAndBadValuesThrow) {
  for (auto mode : {ChannelSearchMode::MaskGumbel, ChannelSearchMode::MaskRl, ChannelSearchMode::Tas,
                    ChannelSearchMode::Warmup, ChannelSearchMode::Fixed}) {
    EXPECT_EQ(parse_channel_search_mode(channel_search_mode_name(mode)), mode);
  }
  EXPECT_THROW(parse_channel_search_mode("gdas"), nas::Error);
  SizeSupernet net = supernet(10, ChannelSearchMode::Tas);
  EXPECT_THROW(net->set_tau(0.0), nas::Error);
}

}  // namespace

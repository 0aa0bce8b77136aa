// Operations, TinyNetwork and the topology supernet, on tiny inputs (batch 2, 8x8 images, C = 4,
// one cell per stage) so the whole file runs in seconds; only the parameter-count check builds the
// real C = 16, N = 5 networks (construction only).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>
#include <string>
#include <vector>

#include "nas/benchmark_api/cost_model.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/topology_space.h"
#include "nas/supernet/operations.h"
#include "nas/supernet/tiny_network.h"
#include "nas/supernet/training.h"
#include "nas/supernet/topology_supernet.h"

namespace {

using namespace nas;
using namespace nas::supernet;

constexpr int kBatch = 2;
constexpr int kTinyC = 4;

torch::Tensor random_images(std::int64_t channels, std::int64_t size, std::uint64_t seed) {
  torch::Generator gen = make_cpu_generator(seed);
  return torch::randn({kBatch, channels, size, size}, gen, torch::kFloat);
}

torch::Tensor random_labels(int classes, std::uint64_t seed) {
  torch::Generator gen = make_cpu_generator(seed);
  return torch::randint(0, classes, {kBatch}, gen, torch::kLong);
}

TopologySupernet tiny_supernet(std::uint64_t seed, int classes = 10) {
  return TopologySupernet(TopologySupernetOptions().channels(kTinyC).cells_per_stage(1).num_classes(classes),
                          make_cpu_generator(seed));
}

bool all_close(const torch::Tensor& a, const torch::Tensor& b, double tol = 1e-5) {
  return a.sizes() == b.sizes() && torch::allclose(a, b, tol, tol);
}

// True when `module` got no gradient: every parameter's grad undefined or all zero.
bool has_no_gradient(const torch::nn::Module& module) {
  for (const auto& p : module.parameters()) {
    if (p.grad().defined() && p.grad().abs().sum().item<double>() != 0.0) return false;
  }
  return true;
}

bool has_gradient(const torch::nn::Module& module) {
  for (const auto& p : module.parameters()) {
    if (!p.grad().defined()) return false;
  }
  return !module.parameters().empty();
}

bench::TssArch arch_of(const std::string& text) { return bench::parse_tss_arch(text); }

// The cell computed op by op, as the reference writes it: node i = sum over edges of
// sum_k weight(e, k) * op_k(node_j) + offset(e). `weight` and `offset` return undefined tensors for
// terms that are absent.
template <typename Weight, typename Offset>
torch::Tensor reference_cell(SearchCellImpl& cell, const torch::Tensor& x, Weight weight, Offset offset) {
  std::vector<torch::Tensor> nodes{x};
  for (int node = 1; node < bench::kTssNumNodes; ++node) {
    torch::Tensor sum;
    for (int edge = 0; edge < bench::kTssNumEdges; ++edge) {
      if (bench::kTssEdgeTo[edge] != node) continue;
      for (int op = 0; op < bench::kTssNumOps; ++op) {
        const torch::Tensor w = weight(edge, op);
        if (!w.defined()) continue;
        const torch::Tensor term = w * cell.op(edge, op)->forward(nodes[bench::kTssEdgeFrom[edge]]);
        sum = sum.defined() ? sum + term : term;
      }
      const torch::Tensor extra = offset(edge);
      if (extra.defined()) sum = sum + extra;
    }
    nodes.push_back(sum);
  }
  return nodes.back();
}

// ---------------------------------------------------------------------------------------------------
// Operations

TEST(Operations, OutputShapesForEveryOpStrideAndWidth) {
  for (int op = 0; op < bench::kTssNumOps; ++op) {
    for (int stride : {1, 2}) {
      for (int c_out : {kTinyC, 2 * kTinyC}) {
        for (int size : {8, 7}) {
          auto module = make_operation(op, kTinyC, c_out, stride, /*affine=*/false, /*track=*/false);
          const torch::Tensor y = module->forward(random_images(kTinyC, size, 1));
          const std::int64_t expected = (size + stride - 1) / stride;
          EXPECT_EQ(y.sizes(), (std::vector<std::int64_t>{kBatch, c_out, expected, expected}))
              << bench::tss_op_name(op) << " stride " << stride << " c_out " << c_out << " size " << size;
        }
      }
    }
  }
}

TEST(Operations, ZeroGivesZerosOfTheOutputShape) {
  Zero zero(kTinyC, 2 * kTinyC, 2);
  const torch::Tensor y = zero->forward(random_images(kTinyC, 8, 2));
  EXPECT_EQ(y.sizes(), (std::vector<std::int64_t>{kBatch, 2 * kTinyC, 4, 4}));
  EXPECT_EQ(y.abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(zero->is_zero());
  EXPECT_TRUE(zero->parameters().empty());
}

TEST(Operations, AvgPoolExcludesPadding) {
  Pooling pool(kTinyC, kTinyC, 1, false, false);
  const torch::Tensor y = pool->forward(torch::ones({kBatch, kTinyC, 8, 8}));
  // With the padding counted the corner would be 4/9 and the edges 6/9.
  EXPECT_EQ(y[0][0][0][0].item<float>(), 1.0f);
  EXPECT_EQ(y.min().item<float>(), 1.0f);
  EXPECT_EQ(y.max().item<float>(), 1.0f);
  EXPECT_TRUE(pool->is_pure_pool());
  EXPECT_FALSE(Pooling(kTinyC, 2 * kTinyC, 1, false, false)->is_pure_pool());
}

TEST(Operations, AveragePoolMatchesAvgPool2dWithoutPadding) {
  for (int stride : {1, 2}) {
    for (int size : {8, 7}) {
      const torch::Tensor x = random_images(kTinyC, size, 20 + size);
      const torch::Tensor expected = torch::avg_pool2d(x, 3, stride, 1, /*ceil_mode=*/false, /*count_include_pad=*/false);
      EXPECT_TRUE(all_close(average_pool_3x3(x, stride), expected)) << "stride " << stride << " size " << size;
      EXPECT_TRUE(all_close(average_pool_3x3(x.contiguous(torch::MemoryFormat::ChannelsLast), stride), expected));
    }
  }
}

TEST(Operations, ConvBiasIsNotAffine) {
  ReLUConvBN affine(kTinyC, kTinyC, 3, 1, 1, 1, true, true);
  ReLUConvBN plain(kTinyC, kTinyC, 3, 1, 1, 1, false, false);
  EXPECT_FALSE(affine->conv()->bias.defined());
  EXPECT_TRUE(affine->bn()->weight.defined());
  EXPECT_TRUE(plain->conv()->bias.defined());
  EXPECT_FALSE(plain->bn()->weight.defined());
  EXPECT_EQ(count_parameters(*affine), 9 * kTinyC * kTinyC + 2 * kTinyC);
  EXPECT_EQ(count_parameters(*plain), 9 * kTinyC * kTinyC + kTinyC);
}

TEST(Operations, FactorizedReduceShapes) {
  for (int c_out : {kTinyC, 5, 2 * kTinyC}) {
    FactorizedReduce reduce2(kTinyC, c_out, 2, true, true);
    EXPECT_EQ(reduce2->forward(random_images(kTinyC, 8, 3)).sizes(),
              (std::vector<std::int64_t>{kBatch, c_out, 4, 4}));
    FactorizedReduce reduce1(kTinyC, c_out, 1, true, true);
    EXPECT_EQ(reduce1->forward(random_images(kTinyC, 8, 3)).sizes(),
              (std::vector<std::int64_t>{kBatch, c_out, 8, 8}));
  }
  // Two half convs (c_out/2 and c_out - c_out/2 filters) without bias, one BN.
  EXPECT_EQ(count_parameters(*FactorizedReduce(kTinyC, 5, 2, true, true)), kTinyC * 5 + 2 * 5);
}

TEST(Operations, FactorizedReduceSecondHalfSeesTheShiftedInput) {
  FactorizedReduce reduce(kTinyC, 2 * kTinyC, 2, true, true);
  reduce->eval();  // fresh running stats: BN(x) = x / sqrt(1 + eps)
  const torch::Tensor x = random_images(kTinyC, 8, 4);
  const torch::Tensor y = reduce->forward(x);
  const auto params = reduce->named_parameters();
  const torch::Tensor relu_x = torch::relu(x);
  const double scale = 1.0 / std::sqrt(1.0 + 1e-5);
  const torch::Tensor first = torch::conv2d(relu_x, params["conv_0.weight"], {}, 2) * scale;
  const torch::Tensor second = torch::conv2d(relu_x.slice(2, 1).slice(3, 1), params["conv_1.weight"], {}, 2) * scale;
  // The first half samples even positions, the second the odd ones (1, 3, 5, 7).
  EXPECT_TRUE(all_close(y.narrow(1, 0, kTinyC), first));
  EXPECT_TRUE(all_close(y.narrow(1, kTinyC, kTinyC), second));
  // On an odd size the second half's last row and column read the zero padding.
  const torch::Tensor odd = reduce->forward(random_images(kTinyC, 7, 4)).narrow(1, kTinyC, kTinyC);
  EXPECT_EQ(odd.select(2, 3).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(odd.select(3, 3).abs().sum().item<double>(), 0.0);
  EXPECT_GT(odd.select(2, 2).abs().sum().item<double>(), 0.0);
}

TEST(Operations, FactoryMapsOpCodes) {
  EXPECT_TRUE(make_operation(bench::kOpNone, 4, 4, 1, true, true)->is_zero());
  EXPECT_NE(dynamic_cast<IdentityImpl*>(make_operation(bench::kOpSkip, 4, 4, 1, true, true).get()), nullptr);
  EXPECT_NE(dynamic_cast<FactorizedReduceImpl*>(make_operation(bench::kOpSkip, 4, 4, 2, true, true).get()), nullptr);
  EXPECT_NE(dynamic_cast<FactorizedReduceImpl*>(make_operation(bench::kOpSkip, 4, 8, 1, true, true).get()), nullptr);
  EXPECT_NE(dynamic_cast<ReLUConvBNImpl*>(make_operation(bench::kOpConv1x1, 4, 4, 1, true, true).get()), nullptr);
  EXPECT_NE(dynamic_cast<PoolingImpl*>(make_operation(bench::kOpAvgPool, 4, 4, 1, true, true).get()), nullptr);
  const torch::Tensor x = random_images(4, 8, 5);
  EXPECT_TRUE(make_operation(bench::kOpSkip, 4, 4, 1, true, true)->forward(x).is_same(x));
  EXPECT_THROW(make_operation(5, 4, 4, 1, true, true), Error);
  EXPECT_THROW(make_operation(bench::kOpConv3x3, 4, 4, 3, true, true), Error);
}

TEST(Operations, FusedConvsEqualSeparateConvs) {
  std::vector<ReLUConvBN> convs;
  std::vector<ReLUConvBNImpl*> raw;
  for (int i = 0; i < 3; ++i) {
    convs.emplace_back(kTinyC, kTinyC, 3, 1, 1, 1, false, false);
    raw.push_back(convs.back().get());
  }
  ASSERT_TRUE(can_fuse_relu_conv_bn(raw));
  const torch::Tensor relu_x = torch::relu(random_images(kTinyC, 8, 6));
  const torch::Tensor fused = fused_relu_conv_bn(raw, relu_x);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(all_close(fused.narrow(1, i * kTinyC, kTinyC), convs[i]->forward_activated(relu_x))) << i;
  }
  // Tracked running statistics must stay per op.
  ReLUConvBN tracking(kTinyC, kTinyC, 3, 1, 1, 1, false, true);
  EXPECT_FALSE(can_fuse_relu_conv_bn({raw[0], tracking.get()}));
  ReLUConvBN one_by_one(kTinyC, kTinyC, 1, 1, 0, 1, false, false);
  EXPECT_FALSE(can_fuse_relu_conv_bn({raw[0], one_by_one.get()}));
}

TEST(Operations, ResNetBasicBlockShapesAndParameters) {
  ResNetBasicBlock block(kTinyC, 2 * kTinyC, 2);
  EXPECT_EQ(block->forward(random_images(kTinyC, 8, 7)).sizes(),
            (std::vector<std::int64_t>{kBatch, 2 * kTinyC, 4, 4}));
  const int c = kTinyC, c2 = 2 * kTinyC;
  EXPECT_EQ(count_parameters(*block), 9 * c * c2 + 2 * c2 + 9 * c2 * c2 + 2 * c2 + c * c2);
  ResNetBasicBlock same(kTinyC, kTinyC, 1);
  const torch::Tensor x = random_images(kTinyC, 8, 7);
  EXPECT_EQ(same->forward(x).sizes(), x.sizes());
}

TEST(Operations, ReinitializationIsAFunctionOfTheSeed) {
  ResNetBasicBlock a(kTinyC, 2 * kTinyC, 2), b(kTinyC, 2 * kTinyC, 2), c(kTinyC, 2 * kTinyC, 2);
  torch::Generator g1 = make_cpu_generator(11), g2 = make_cpu_generator(11), g3 = make_cpu_generator(12);
  reinitialize_parameters(*a, g1);
  reinitialize_parameters(*b, g2);
  reinitialize_parameters(*c, g3);
  const auto pa = a->parameters(), pb = b->parameters(), pc = c->parameters();
  bool any_differs = false;
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_TRUE(torch::equal(pa[i], pb[i]));
    any_differs = any_differs || !torch::equal(pa[i], pc[i]);
  }
  EXPECT_TRUE(any_differs);
  // Kaiming-uniform(a = sqrt(5)) bound 1/sqrt(fan_in) for the 3x3 conv on kTinyC inputs.
  const double bound = 1.0 / std::sqrt(9.0 * kTinyC);
  const torch::Tensor w = a->named_parameters()["conv_a.conv.weight"];
  EXPECT_LE(w.abs().max().item<double>(), bound);
  EXPECT_GT(w.abs().max().item<double>(), 0.8 * bound);
}

// ---------------------------------------------------------------------------------------------------
// TinyNetwork

TEST(TinyNetwork, ParameterCountsMatchTheCostModel) {
  std::vector<bench::TssArch> archs;
  for (std::uint8_t op : {0, 1, 3}) {  // all none, all skip, all conv3x3
    bench::TssArch arch;
    arch.ops.fill(op);
    archs.push_back(arch);
  }
  for (std::uint32_t k = 0; archs.size() < 50; ++k) archs.push_back(bench::tss_arch_at((k * 317 + 11) % bench::kTssNumArchs));
  for (const bench::TssArch& arch : archs) {
    for (int classes : {10, 100, 120}) {
      TinyNetwork net(arch, classes);
      const double expected = bench::tss_network_cost(arch, classes, 32).params_m * 1e6;
      EXPECT_EQ(count_parameters(*net), std::llround(expected)) << bench::format_tss_arch(arch) << " classes " << classes;
    }
  }
  // The benchmark's own records (reference §3.4): all conv3x3 and all none on CIFAR-10.
  EXPECT_EQ(count_parameters(*TinyNetwork(archs[2], 10)), 1531546);
  EXPECT_EQ(count_parameters(*TinyNetwork(archs[0], 10)), 73306);
}

TEST(TinyNetwork, ForwardShapesOnTinyInputs) {
  TinyNetwork net(arch_of("|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|nor_conv_1x1~1|skip_connect~2|"),
                  10, kTinyC, 1);
  const auto [features, logits] = net->forward_with_features(random_images(3, 8, 8));
  EXPECT_EQ(features.sizes(), (std::vector<std::int64_t>{kBatch, 4 * kTinyC}));
  EXPECT_EQ(logits.sizes(), (std::vector<std::int64_t>{kBatch, 10}));
}

TEST(TinyNetwork, AllNoneCellsGiveTheBiasOnly) {
  bench::TssArch none;
  TinyNetwork net(none, 10, kTinyC, 1);
  const auto [features, logits] = net->forward_with_features(random_images(3, 8, 9));
  EXPECT_EQ(features.abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(all_close(logits[0], net->named_parameters()["classifier.bias"]));
}

TEST(TinyNetwork, NoneEdgesAddNothingAndNodesWithOnlyNoneInputsAreZero) {
  // Into the output: skip from the input, none from nodes 1 and 2, so the cell is the identity,
  // whatever its convolutions compute; node 2 has only none inputs.
  InferCell identity(arch_of("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"), 4, 4, 1);
  const torch::Tensor x = random_images(4, 6, 3).requires_grad_(true);
  const torch::Tensor y = identity->forward(x);
  EXPECT_TRUE(torch::equal(y, x));
  y.sum().backward();
  EXPECT_TRUE(torch::equal(x.grad(), torch::ones_like(x)));
  // Node 2 all none, then skipped into the output: it contributes exact zeros.
  InferCell zero_node(arch_of("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|skip_connect~2|"), 4, 4, 1);
  EXPECT_TRUE(torch::equal(zero_node->forward(x), x));
}

// ---------------------------------------------------------------------------------------------------
// Supernet

TEST(Supernet, ArchParametersAreSeparateFromWeights) {
  TopologySupernet net = tiny_supernet(1);
  EXPECT_EQ(net->alpha().sizes(), (std::vector<std::int64_t>{6, 5}));
  EXPECT_TRUE(net->alpha().requires_grad());
  const auto named = net->named_parameters();
  ASSERT_TRUE(named.contains("arch_parameters"));
  EXPECT_TRUE(named["arch_parameters"].is_same(net->alpha()));
  const auto weights = net->weight_parameters();
  EXPECT_EQ(weights.size() + 1, net->parameters().size());
  for (const auto& w : weights) EXPECT_FALSE(w.is_same(net->alpha()));
  // alpha = 1e-3 * N(0, 1).
  EXPECT_LT(net->alpha().abs().max().item<double>(), 1e-2);
  EXPECT_GT(net->alpha().abs().max().item<double>(), 0.0);
  // Search cells: conv bias on (affine = false), no BN parameters; 5 ops on 6 edges.
  EXPECT_TRUE(named.contains("blocks.0.edges.0.3.conv.bias"));
  EXPECT_FALSE(named.contains("blocks.0.edges.0.3.bn.weight"));
  EXPECT_TRUE(named.contains("blocks.1.conv_a.bn.weight"));  // residual blocks stay affine
  EXPECT_EQ(net->num_search_cells(), 3);
}

TEST(Supernet, ConstructionIsAFunctionOfTheSeed) {
  TopologySupernet a = tiny_supernet(5), b = tiny_supernet(5), c = tiny_supernet(6);
  const auto pa = a->parameters(), pb = b->parameters(), pc = c->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i])) << i;
  EXPECT_FALSE(torch::equal(a->alpha(), c->alpha()));
}

TEST(Supernet, JointCellEqualsHandWeightedSum) {
  // Batch-statistics BNs take the fused path (with and without affine), tracking BNs the per-op one.
  for (const auto& [affine, track] : {std::pair{false, false}, std::pair{true, false}, std::pair{true, true}}) {
    TopologySupernet net(
        TopologySupernetOptions().channels(kTinyC).cells_per_stage(1).affine(affine).track_running_stats(track),
        make_cpu_generator(2));
    {
      torch::NoGradGuard no_grad;
      net->alpha().copy_(torch::randn({6, 5}, make_cpu_generator(3)));  // far from uniform
      // Non-trivial BN affine parameters, so folding the edge weight into them is tested.
      for (auto& p : net->search_cell(0).parameters()) {
        if (p.dim() == 1) p.uniform_(0.5, 1.5, make_cpu_generator(4));
      }
    }
    const torch::Tensor weights = torch::softmax(net->alpha(), 1);
    const torch::Tensor x = random_images(kTinyC, 8, 4);
    SearchCellImpl& cell = net->search_cell(0);
    const torch::Tensor fast = cell.forward(x, joint_plan(net->alpha()));
    const torch::Tensor slow = reference_cell(
        cell, x, [&](int e, int k) { return weights[e][k]; }, [](int) { return torch::Tensor(); });
    EXPECT_TRUE(all_close(fast, slow)) << "affine " << affine << " track " << track;
  }
}

TEST(Supernet, JointGivesEveryAlphaAGradient) {
  TopologySupernet net = tiny_supernet(3);
  net->set_mode(SupernetMode::Joint);
  torch::nn::functional::cross_entropy(net->forward(random_images(3, 8, 5)), random_labels(10, 5)).backward();
  ASSERT_TRUE(net->alpha().grad().defined());
  EXPECT_EQ(torch::count_nonzero(net->alpha().grad()).item<std::int64_t>(), 30);
  for (const auto& w : net->weight_parameters()) EXPECT_TRUE(w.grad().defined());
}

TEST(Supernet, GdasCellIsTheChosenOpTimesItsWeight) {
  TopologySupernet net = tiny_supernet(4);
  net->set_tau(1.0);
  const torch::Tensor x = random_images(2 * kTinyC, 4, 6);  // the second stage's cell
  SearchCellImpl& cell = net->search_cell(1);
  for (int draw = 0; draw < 5; ++draw) {
    const GdasSample sample = net->sample_gdas();
    const torch::Tensor fast = cell.forward(x, gdas_plan(sample));
    // The reference form: hardwts[k*] * op_{k*}(x) + sum_{k != k*} hardwts[k].
    const torch::Tensor slow = reference_cell(
        cell, x,
        [&](int e, int k) { return k == sample.chosen.ops[e] ? sample.hardwts[e][k] : torch::Tensor(); },
        [&](int e) {
          torch::Tensor rest = torch::zeros({});
          for (int k = 0; k < 5; ++k) {
            if (k != sample.chosen.ops[e]) rest = rest + sample.hardwts[e][k];
          }
          return rest;
        });
    EXPECT_TRUE(all_close(fast, slow)) << bench::format_tss_arch(sample.chosen);
    // hardwts is the one-hot of the choice in value.
    for (int e = 0; e < 6; ++e) {
      for (int k = 0; k < 5; ++k) {
        EXPECT_NEAR(sample.hardwts[e][k].item<double>(), k == sample.chosen.ops[e] ? 1.0 : 0.0, 1e-6);
      }
    }
  }
}

TEST(Supernet, GdasForwardMatchesDynamicWithTheSample) {
  TopologySupernet net = tiny_supernet(5);
  net->eval();  // residual blocks would otherwise update their running statistics between the runs
  const torch::Tensor images = random_images(3, 8, 7);
  net->set_mode(SupernetMode::Gdas);
  const torch::Tensor gdas = net->forward(images);
  net->set_mode(SupernetMode::Dynamic);
  net->set_dynamic_arch(net->last_gdas_sample()->chosen);
  EXPECT_TRUE(all_close(gdas, net->forward(images)));
}

TEST(Supernet, GdasGradientsReachEveryAlphaAndOnlyChosenWeights) {
  TopologySupernet net = tiny_supernet(6);
  net->set_mode(SupernetMode::Gdas);
  net->set_tau(1.0);
  torch::nn::functional::cross_entropy(net->forward(random_images(3, 8, 8)), random_labels(10, 8)).backward();
  ASSERT_TRUE(net->alpha().grad().defined());
  EXPECT_EQ(torch::count_nonzero(net->alpha().grad()).item<std::int64_t>(), 30);
  const bench::TssArch chosen = net->last_gdas_sample()->chosen;
  for (int c = 0; c < net->num_search_cells(); ++c) {
    for (int e = 0; e < 6; ++e) {
      for (int k = 0; k < 5; ++k) {
        const auto& op = *net->search_cell(c).op(e, k);
        if (k != chosen.ops[e]) {
          EXPECT_TRUE(has_no_gradient(op)) << "cell " << c << " edge " << e << " op " << k;
        } else if (k == bench::kOpConv1x1 || k == bench::kOpConv3x3) {
          EXPECT_TRUE(has_gradient(op)) << "cell " << c << " edge " << e << " op " << k;
        }
      }
    }
  }
}

TEST(Supernet, ArchOnlyBackwardGivesAlphaTheFullBackwardGradient) {
  for (SupernetMode mode : {SupernetMode::Joint, SupernetMode::Gdas}) {
    TopologySupernet net = tiny_supernet(13);
    net->set_mode(mode);
    net->eval();  // same BN statistics in both forwards
    const torch::Tensor images = random_images(3, 8, 15);
    const torch::Tensor labels = random_labels(10, 15);
    net->generator().set_current_seed(5);
    torch::nn::functional::cross_entropy(net->forward(images), labels).backward();
    const torch::Tensor full = net->alpha().grad().clone();
    net->zero_grad();
    net->generator().set_current_seed(5);
    const torch::Tensor alone = arch_gradient(torch::nn::functional::cross_entropy(net->forward(images), labels), net->alpha());
    EXPECT_TRUE(all_close(alone, full, 1e-6)) << supernet_mode_name(mode);
    for (const auto& w : net->weight_parameters()) {
      EXPECT_FALSE(w.grad().defined() && w.grad().abs().sum().item<double>() != 0.0);
    }
  }
}

TEST(Supernet, DynamicRunsOnlyTheArchAndLeavesAlphaAlone) {
  TopologySupernet net = tiny_supernet(7);
  const bench::TssArch arch =
      arch_of("|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|");
  net->set_mode(SupernetMode::Dynamic);
  net->set_dynamic_arch(arch);
  torch::nn::functional::cross_entropy(net->forward(random_images(3, 8, 9)), random_labels(10, 9)).backward();
  EXPECT_FALSE(net->alpha().grad().defined() && net->alpha().grad().abs().sum().item<double>() != 0.0);
  for (int c = 0; c < net->num_search_cells(); ++c) {
    for (int e = 0; e < 6; ++e) {
      for (int k = 0; k < 5; ++k) {
        const auto& op = *net->search_cell(c).op(e, k);
        if (k != arch.ops[e]) {
          EXPECT_TRUE(has_no_gradient(op)) << "cell " << c << " edge " << e << " op " << k;
        } else if (k == bench::kOpConv1x1 || k == bench::kOpConv3x3) {
          EXPECT_TRUE(has_gradient(op)) << "cell " << c << " edge " << e << " op " << k;
        }
      }
    }
  }
  // The cell value is the plain sum of its ops (edges 0 and 1 share node 0: a fused 3x3 conv).
  const torch::Tensor x = random_images(kTinyC, 8, 10);
  SearchCellImpl& cell = net->search_cell(0);
  const torch::Tensor slow = reference_cell(
      cell, x, [&](int e, int k) { return k == arch.ops[e] ? torch::ones({}) : torch::Tensor(); },
      [](int) { return torch::Tensor(); });
  EXPECT_TRUE(all_close(cell.forward(x, CellPlan::of_arch(arch)), slow));
  net->set_dynamic_arch(bench::TssArch{});  // all none: zeros of the right shape
  EXPECT_EQ(cell.forward(x, CellPlan::of_arch(bench::TssArch{})).abs().sum().item<double>(), 0.0);
}

TEST(Supernet, DynamicWithoutArchThrows) {
  TopologySupernet net = tiny_supernet(8);
  net->set_mode(SupernetMode::Dynamic);
  EXPECT_THROW(net->forward(random_images(3, 8, 1)), Error);
  EXPECT_THROW(net->set_tau(0.0), Error);
}

TEST(Supernet, UrsNeverPicksAnAllNoneNode) {
  TopologySupernet net = tiny_supernet(9);
  std::set<std::uint32_t> seen;
  std::array<std::array<int, 5>, 6> counts{};
  for (int draw = 0; draw < 2000; ++draw) {
    const bench::TssArch arch = net->sample_urs_cell();
    EXPECT_NE(arch.ops[0], bench::kOpNone);
    EXPECT_FALSE(arch.ops[1] == bench::kOpNone && arch.ops[2] == bench::kOpNone);
    EXPECT_FALSE(arch.ops[3] == bench::kOpNone && arch.ops[4] == bench::kOpNone && arch.ops[5] == bench::kOpNone);
    for (int e = 0; e < 6; ++e) ++counts[e][arch.ops[e]];
    seen.insert(bench::tss_canonical_code(arch));
  }
  for (int e = 1; e < 6; ++e) {
    for (int k = 0; k < 5; ++k) EXPECT_GT(counts[e][k], 200) << e << " " << k;
  }
  EXPECT_GT(seen.size(), 1000u);
  // A forward samples every cell independently.
  net->set_mode(SupernetMode::Urs);
  net->forward(random_images(3, 8, 11));
  EXPECT_EQ(net->last_cell_archs().size(), 3u);
}

TEST(Supernet, DeriveArchIsTheArgmaxWithFirstIndexOnTies) {
  TopologySupernet net = tiny_supernet(10);
  {
    torch::NoGradGuard no_grad;
    net->alpha().copy_(torch::tensor({{0.f, 1.f, 2.f, 3.f, 4.f},
                                      {4.f, 3.f, 2.f, 1.f, 0.f},
                                      {1.f, 1.f, 1.f, 1.f, 1.f},
                                      {0.f, 2.f, 0.f, 2.f, 0.f},
                                      {0.f, 0.f, 0.f, 0.f, 5.f},
                                      {-1.f, -1.f, 3.f, -1.f, -1.f}}));
  }
  EXPECT_EQ(net->derive_arch().ops, (std::array<std::uint8_t, 6>{4, 0, 0, 1, 4, 2}));
  const std::vector<double> p = net->edge_probabilities(0);
  ASSERT_EQ(p.size(), 5u);
  double total = 0;
  for (double v : p) total += v;
  EXPECT_NEAR(total, 1.0, 1e-12);
  EXPECT_NEAR(p[4] / p[3], std::exp(1.0), 1e-9);
  // Select runs the derived cell.
  net->eval();
  const torch::Tensor images = random_images(3, 8, 12);
  net->set_mode(SupernetMode::Select);
  const torch::Tensor selected = net->forward(images);
  net->set_mode(SupernetMode::Dynamic);
  net->set_dynamic_arch(net->derive_arch());
  EXPECT_TRUE(torch::equal(selected, net->forward(images)));
}

TEST(Supernet, SamplingIsDeterministicForASeed) {
  TopologySupernet a = tiny_supernet(11), b = tiny_supernet(11);
  for (int i = 0; i < 3; ++i) {
    const GdasSample sa = a->sample_gdas(), sb = b->sample_gdas();
    EXPECT_EQ(sa.chosen, sb.chosen);
    EXPECT_TRUE(torch::equal(sa.hardwts, sb.hardwts));
    EXPECT_EQ(a->sample_urs_cell(), b->sample_urs_cell());
  }
  // Reseeding the shared generator replays the draws.
  torch::Generator gen = a->generator();
  gen.set_current_seed(99);
  const GdasSample first = a->sample_gdas();
  gen.set_current_seed(99);
  EXPECT_TRUE(torch::equal(first.hardwts, a->sample_gdas().hardwts));
  // Full forwards agree too.
  a->set_mode(SupernetMode::Urs);
  b->set_mode(SupernetMode::Urs);
  b->generator().set_current_seed(99);
  a->generator().set_current_seed(99);
  const torch::Tensor images = random_images(3, 8, 13);
  EXPECT_TRUE(torch::equal(a->forward(images), b->forward(images)));
  EXPECT_EQ(a->last_cell_archs(), b->last_cell_archs());
}

TEST(Supernet, ModeNamesRoundTrip) {
  for (SupernetMode mode : {SupernetMode::Joint, SupernetMode::Gdas, SupernetMode::Urs, SupernetMode::Dynamic,
                            SupernetMode::Select}) {
    EXPECT_EQ(parse_supernet_mode(supernet_mode_name(mode)), mode);
  }
  EXPECT_THROW(parse_supernet_mode("darts"), Error);
}

TEST(Supernet, ChannelsLastGivesTheSameLogits) {
  const auto options = TopologySupernetOptions().channels(kTinyC).cells_per_stage(1);
  TopologySupernet plain(TopologySupernetOptions(options).channels_last_on_cpu(false), make_cpu_generator(12));
  TopologySupernet automatic(options, make_cpu_generator(12));  // converts CPU inputs itself
  const torch::Tensor images = random_images(3, 8, 14);
  const torch::Tensor expected = plain->forward(images);
  EXPECT_TRUE(all_close(automatic->forward(images), expected, 1e-4));
  to_channels_last(*plain);
  EXPECT_TRUE(plain->named_parameters()["stem_conv.weight"].is_contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(all_close(plain->forward(images.contiguous(torch::MemoryFormat::ChannelsLast)), expected, 1e-4));
}

}  // namespace

// The topology-space weight-sharing supernet (reference §5.0).
#include "nas/supernet/topology_supernet.h"

#include <string>

#include "nas/benchmark_api/error.h"

namespace nas::supernet {
namespace {

using bench::kTssEdgeFrom;
using bench::kTssEdgeTo;
using bench::kTssNumEdges;
using bench::kTssNumNodes;
using bench::kTssNumOps;

bool is_finite(const torch::Tensor& t) { return torch::isfinite(t).all().item<bool>(); }

/// A node of a weighted cell: out = sum_k [w_k *] t_k [+ offset], as one autograd node. Inputs:
/// the K terms, then the weights of the weighted terms (0-dim, in term order), then the offset
/// (0-dim) if `has_offset`; weight_of_term[k] indexes the weights or is -1 for an unweighted term.
/// Autograd's own mul/addcmul would allocate grad * t_k in full and reduce it through the general
/// sum_to_size path (several times slower on channels-last tensors); here the backward is one
/// multiply-and-sum per weight, and an unweighted term gets the output gradient itself.
class NodeSum : public torch::autograd::Function<NodeSum> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, at::TensorList inputs,
                               const std::vector<std::int64_t>& weight_of_term, bool has_offset) {
    const std::size_t terms = weight_of_term.size();
    const auto weight_of = [&](std::size_t k) {
      return weight_of_term[k] < 0 ? torch::Tensor() : inputs[terms + static_cast<std::size_t>(weight_of_term[k])];
    };
    // The first operation allocates the sum; later terms accumulate in place. Start from a weighted
    // term when there is one (with neither weights nor an offset the caller adds plainly).
    std::size_t first = 0;
    while (first < terms && weight_of_term[first] < 0) ++first;
    if (first == terms) first = 0;
    const torch::Tensor first_weight = weight_of(first);
    const torch::Tensor offset = has_offset ? inputs.back() : torch::Tensor();
    torch::Tensor out;
    if (first_weight.defined()) {
      out = offset.defined() ? torch::addcmul(offset, inputs[first], first_weight) : inputs[first] * first_weight;
    } else {
      TORCH_CHECK(offset.defined(), "NodeSum: nothing to weigh");
      out = inputs[first] + offset;
    }
    for (std::size_t k = 0; k < terms; ++k) {
      if (k == first) continue;
      const torch::Tensor w = weight_of(k);
      if (w.defined()) {
        out.addcmul_(inputs[k], w);
      } else {
        out.add_(inputs[k]);
      }
    }
    // Only the weighted terms and the weights are needed for the backward.
    std::vector<torch::Tensor> saved = inputs.vec();
    for (std::size_t k = 0; k < terms; ++k) {
      if (weight_of_term[k] < 0) saved[k] = torch::Tensor();
    }
    ctx->save_for_backward(saved);
    ctx->saved_data["weight_of_term"] = weight_of_term;
    ctx->saved_data["has_offset"] = has_offset;
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    const torch::Tensor& grad = grad_outputs[0];
    const torch::autograd::variable_list saved = ctx->get_saved_variables();
    const std::vector<std::int64_t> weight_of_term = ctx->saved_data["weight_of_term"].toIntVector();
    const std::size_t terms = weight_of_term.size();
    // One gradient per tensor input, plus one (undefined) per non-tensor argument.
    torch::autograd::variable_list grads(saved.size() + 2);
    for (std::size_t k = 0; k < terms; ++k) {
      if (weight_of_term[k] < 0) {
        if (ctx->needs_input_grad(k)) grads[k] = grad;
        continue;
      }
      const std::size_t w = terms + static_cast<std::size_t>(weight_of_term[k]);
      if (ctx->needs_input_grad(k)) grads[k] = grad * saved[w];
      if (ctx->needs_input_grad(w)) grads[w] = (grad * saved[k]).sum();
    }
    if (ctx->saved_data["has_offset"].toBool() && ctx->needs_input_grad(saved.size() - 1)) {
      grads[saved.size() - 1] = grad.sum();
    }
    return grads;
  }
};

}  // namespace

std::string supernet_mode_name(SupernetMode mode) {
  switch (mode) {
    case SupernetMode::Joint: return "joint";
    case SupernetMode::Gdas: return "gdas";
    case SupernetMode::Urs: return "urs";
    case SupernetMode::Dynamic: return "dynamic";
    case SupernetMode::Select: return "select";
  }
  return "?";
}

SupernetMode parse_supernet_mode(const std::string& text) {
  for (SupernetMode mode : {SupernetMode::Joint, SupernetMode::Gdas, SupernetMode::Urs, SupernetMode::Dynamic,
                            SupernetMode::Select}) {
    if (supernet_mode_name(mode) == text) return mode;
  }
  throw Error("unknown supernet mode '" + text + "' (expected joint, gdas, urs, dynamic or select)");
}

CellPlan CellPlan::of_arch(const bench::TssArch& arch) {
  CellPlan plan;
  for (int edge = 0; edge < kTssNumEdges; ++edge) plan.active[edge][arch.ops[edge]] = true;
  return plan;
}

CellPlan joint_plan(const torch::Tensor& alpha) {
  CellPlan plan;
  for (auto& edge : plan.active) edge = {false, true, true, true, true};
  // One softmax per forward, shared by every cell.
  plan.weights = torch::softmax(alpha, 1).flatten().unbind(0);
  return plan;
}

CellPlan gdas_plan(const GdasSample& sample) {
  CellPlan plan = CellPlan::of_arch(sample.chosen);
  plan.weights = sample.hardwts.flatten().unbind(0);
  // The unchosen entries: zero in value (x * 0 and x * 1 are exact), but they carry the gradient to
  // every alpha.
  torch::Tensor unchosen = torch::ones({kTssNumEdges, kTssNumOps}, torch::kFloat);
  for (int edge = 0; edge < kTssNumEdges; ++edge) unchosen[edge][sample.chosen.ops[edge]] = 0.0f;
  unchosen = unchosen.to(sample.hardwts.device(), sample.hardwts.scalar_type());
  plan.offsets = (sample.hardwts * unchosen).sum(1).unbind(0);
  return plan;
}

// --- SearchCell ---------------------------------------------------------------------------------

SearchCellImpl::SearchCellImpl(int c_in, int c_out, int stride, bool affine, bool track_running_stats) {
  auto edges = register_module("edges", torch::nn::ModuleList());
  for (int edge = 0; edge < kTssNumEdges; ++edge) {
    const bool from_input = kTssEdgeFrom[edge] == 0;
    auto candidates = torch::nn::ModuleList();
    for (int op = 0; op < kTssNumOps; ++op) {
      ops_[edge][op] = make_operation(op, from_input ? c_in : c_out, c_out, from_input ? stride : 1, affine,
                                      track_running_stats);
      candidates->push_back(ops_[edge][op]);
    }
    edges->push_back(candidates);
  }
}

// Computes the active ops of every edge leaving `source`. Work that only depends on the source node
// is done once: its ReLU (shared by the conv ops), a pure pooling, and each kind of convolution as one
// fused convolution when the BNs allow it; the fused path also applies the plan's weights inside the
// BN (see fused_relu_conv_bn).
void SearchCellImpl::run_edges_from(int source, const torch::Tensor& x, const CellPlan& plan, EdgeOutputs& outputs) {
  const bool weighted = !plan.weights.empty();
  torch::Tensor activated, pooled;
  for (int op : {bench::kOpConv1x1, bench::kOpConv3x3}) {
    std::vector<int> edges;
    std::vector<ReLUConvBNImpl*> convs;
    std::vector<torch::Tensor> scales;
    for (int edge = 0; edge < kTssNumEdges; ++edge) {
      if (kTssEdgeFrom[edge] != source || !plan.active[edge][op]) continue;
      edges.push_back(edge);
      convs.push_back(static_cast<ReLUConvBNImpl*>(ops_[edge][op].get()));
      if (weighted) scales.push_back(plan.weights[edge * kTssNumOps + op]);
    }
    if (edges.empty()) continue;
    if (!activated.defined()) activated = torch::relu(x);
    if (can_fuse_relu_conv_bn(convs)) {
      const torch::Tensor fused = fused_relu_conv_bn(convs, activated, scales);
      // split, not narrow: its backward concatenates the pieces' gradients once, where each narrow
      // would scatter into its own zero-filled tensor of the full width.
      const std::vector<torch::Tensor> pieces =
          edges.size() == 1 ? std::vector<torch::Tensor>{fused}
                            : fused.split(fused.size(1) / static_cast<std::int64_t>(edges.size()), 1);
      for (std::size_t i = 0; i < edges.size(); ++i) outputs[edges[i]][op] = {pieces[i], weighted};
    } else {
      for (std::size_t i = 0; i < edges.size(); ++i) outputs[edges[i]][op] = {convs[i]->forward_activated(activated), false};
    }
  }
  for (int edge = 0; edge < kTssNumEdges; ++edge) {
    if (kTssEdgeFrom[edge] != source) continue;
    if (plan.active[edge][bench::kOpSkip]) outputs[edge][bench::kOpSkip] = {ops_[edge][bench::kOpSkip]->forward(x), false};
    if (plan.active[edge][bench::kOpAvgPool]) {
      auto* pool = static_cast<PoolingImpl*>(ops_[edge][bench::kOpAvgPool].get());
      if (!pool->is_pure_pool()) {
        outputs[edge][bench::kOpAvgPool] = {pool->forward(x), false};
      } else {
        // Edges leaving one node share c_in, c_out and stride, hence the pooled tensor.
        if (!pooled.defined()) pooled = pool->forward(x);
        outputs[edge][bench::kOpAvgPool] = {pooled, false};
      }
    }
  }
}

torch::Tensor SearchCellImpl::sum_into(int node, const std::array<torch::Tensor, kTssNumNodes>& nodes,
                                       const CellPlan& plan, const EdgeOutputs& outputs) {
  std::vector<torch::Tensor> terms, weights;
  std::vector<std::int64_t> weight_of_term;
  torch::Tensor offset;
  int first_edge = -1;
  for (int edge = 0; edge < kTssNumEdges; ++edge) {
    if (kTssEdgeTo[edge] != node) continue;
    if (first_edge < 0) first_edge = edge;
    if (!plan.offsets.empty()) offset = offset.defined() ? offset + plan.offsets[edge] : plan.offsets[edge];
    for (int op = bench::kOpSkip; op < kTssNumOps; ++op) {
      const OpOutput& out = outputs[edge][op];
      if (!plan.active[edge][op]) continue;
      terms.push_back(out.value);
      if (!plan.weights.empty() && !out.weighted) {
        weight_of_term.push_back(static_cast<std::int64_t>(weights.size()));
        weights.push_back(plan.weights[edge * kTssNumOps + op]);
      } else {
        weight_of_term.push_back(-1);
      }
    }
  }
  if (terms.empty()) {
    // Only `none` inputs: zeros of the node's shape (plus the GDAS offsets, zero in value).
    const torch::Tensor zeros = ops_[first_edge][bench::kOpNone]->forward(nodes[kTssEdgeFrom[first_edge]]);
    return offset.defined() ? zeros + offset : zeros;
  }
  if (weights.empty() && !offset.defined()) {
    // A plain sum: autograd's add passes the gradient through unchanged.
    if (terms.size() == 1) return terms.front();
    torch::Tensor sum = terms[0] + terms[1];
    for (std::size_t k = 2; k < terms.size(); ++k) sum.add_(terms[k]);
    return sum;
  }
  std::vector<torch::Tensor> inputs = std::move(terms);
  inputs.insert(inputs.end(), weights.begin(), weights.end());
  if (offset.defined()) inputs.push_back(offset);
  return NodeSum::apply(at::TensorList(inputs), weight_of_term, offset.defined());
}

torch::Tensor SearchCellImpl::forward(const torch::Tensor& x, const CellPlan& plan) {
  TORCH_CHECK(plan.weights.empty() || plan.weights.size() == kTssNumEdges * kTssNumOps, "CellPlan: bad weights");
  TORCH_CHECK(plan.offsets.empty() || plan.offsets.size() == kTssNumEdges, "CellPlan: bad offsets");
  std::array<torch::Tensor, kTssNumNodes> nodes;
  EdgeOutputs outputs;
  nodes[0] = x;
  for (int node = 1; node < kTssNumNodes; ++node) {
    // Node node-1 is now complete: run every edge leaving it, then node `node` has all its inputs.
    run_edges_from(node - 1, nodes[node - 1], plan, outputs);
    nodes[node] = sum_into(node, nodes, plan, outputs);
  }
  return nodes.back();
}

// --- TopologySupernet ---------------------------------------------------------------------------

TopologySupernetImpl::TopologySupernetImpl(const TopologySupernetOptions& options, torch::Generator generator)
    : options_(options), generator_(std::move(generator)) {
  const int channels = options.channels();
  if (channels <= 0 || options.cells_per_stage() < 0 || options.num_classes() <= 0 || options.in_channels() <= 0) {
    throw Error("TopologySupernet: channels, classes and input channels must be positive");
  }
  stem_conv_ = register_module("stem_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in_channels(), channels, 3)
                                                                  .padding(1)
                                                                  .bias(false)));
  stem_bn_ = register_module("stem_bn", torch::nn::BatchNorm2d(channels));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  int previous = channels;
  for (const SkeletonLayer& layer : nas201_skeleton(channels, options.cells_per_stage())) {
    if (layer.reduction) {
      reductions_.push_back(std::make_shared<ResNetBasicBlockImpl>(previous, layer.channels, 2, true, true));
      blocks_->push_back(reductions_.back());
      order_.push_back({false, static_cast<int>(reductions_.size()) - 1});
    } else {
      cells_.push_back(std::make_shared<SearchCellImpl>(previous, layer.channels, 1, options.affine(),
                                                        options.track_running_stats()));
      blocks_->push_back(cells_.back());
      order_.push_back({true, static_cast<int>(cells_.size()) - 1});
    }
    previous = layer.channels;
  }
  lastact_bn_ = register_module("lastact_bn", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(previous)
                                                                         .affine(options.affine())
                                                                         .track_running_stats(options.track_running_stats())));
  classifier_ = register_module("classifier", torch::nn::Linear(previous, options.num_classes()));

  reinitialize_parameters(*this, generator_);
  alpha_ = register_parameter("arch_parameters",
                              1e-3 * torch::randn({kTssNumEdges, kTssNumOps}, generator_, torch::kFloat));
}

void TopologySupernetImpl::set_tau(double tau) {
  if (!(tau > 0)) throw Error("GDAS temperature must be positive, got " + std::to_string(tau));
  tau_ = tau;
}

std::vector<torch::Tensor> TopologySupernetImpl::weight_parameters() const {
  std::vector<torch::Tensor> weights;
  for (const auto& parameter : parameters()) {
    if (parameter.unsafeGetTensorImpl() != alpha_.unsafeGetTensorImpl()) weights.push_back(parameter);
  }
  return weights;
}

bench::TssArch TopologySupernetImpl::derive_arch() const {
  const torch::Tensor values = alpha_.detach().to(torch::kCPU, torch::kDouble).contiguous();
  const auto a = values.accessor<double, 2>();
  bench::TssArch arch;
  for (int edge = 0; edge < kTssNumEdges; ++edge) {
    int best = 0;
    for (int op = 1; op < kTssNumOps; ++op) {
      if (a[edge][op] > a[edge][best]) best = op;  // strict: the first maximum wins
    }
    arch.ops[edge] = static_cast<std::uint8_t>(best);
  }
  return arch;
}

std::vector<double> TopologySupernetImpl::edge_probabilities(int edge) const {
  if (edge < 0 || edge >= kTssNumEdges) throw Error("edge index " + std::to_string(edge) + " out of range 0..5");
  const torch::Tensor p = torch::softmax(alpha_.detach()[edge].to(torch::kCPU, torch::kDouble), 0).contiguous();
  return std::vector<double>(p.data_ptr<double>(), p.data_ptr<double>() + kTssNumOps);
}

GdasSample TopologySupernetImpl::sample_gdas() {
  const auto cpu_float = torch::TensorOptions().dtype(torch::kFloat).device(torch::kCPU);
  while (true) {
    // Gumbel(0, 1) noise as -log(Exponential(1)), drawn on the CPU so a seed means the same sample on any device.
    const torch::Tensor gumbel_cpu = -torch::empty({kTssNumEdges, kTssNumOps}, cpu_float).exponential_(1.0, generator_).log();
    if (!is_finite(gumbel_cpu)) continue;
    const torch::Tensor gumbel = gumbel_cpu.to(alpha_.device(), alpha_.scalar_type());
    const torch::Tensor probs = torch::softmax((torch::log_softmax(alpha_, 1) + gumbel) / tau_, 1);
    if (!is_finite(probs.detach())) continue;
    const torch::Tensor index = probs.detach().argmax(1, /*keepdim=*/true);
    const torch::Tensor one_hot = torch::zeros_like(probs).scatter_(1, index, 1.0);
    GdasSample sample{one_hot - probs.detach() + probs, {}};
    const torch::Tensor chosen = index.to(torch::kCPU).flatten();
    for (int edge = 0; edge < kTssNumEdges; ++edge) {
      sample.chosen.ops[edge] = static_cast<std::uint8_t>(chosen[edge].item<std::int64_t>());
    }
    return sample;
  }
}

bench::TssArch TopologySupernetImpl::sample_urs_cell() {
  bench::TssArch arch;
  for (int node = 1; node < kTssNumNodes; ++node) {
    // Node `node` has inputs from nodes 0..node-1, on consecutive canonical edges.
    const int first_edge = node * (node - 1) / 2;
    while (true) {
      const torch::Tensor draw = torch::randint(0, kTssNumOps, {node}, generator_, torch::kLong);
      const auto ops = draw.accessor<std::int64_t, 1>();
      bool any_nonzero = false;
      for (int j = 0; j < node; ++j) {
        arch.ops[first_edge + j] = static_cast<std::uint8_t>(ops[j]);
        any_nonzero = any_nonzero || ops[j] != bench::kOpNone;
      }
      if (any_nonzero) break;
    }
  }
  return arch;
}

std::vector<CellPlan> TopologySupernetImpl::make_plans() {
  last_archs_.clear();
  switch (mode_) {
    case SupernetMode::Joint:
      return {joint_plan(alpha_)};
    case SupernetMode::Gdas: {
      last_gdas_ = sample_gdas();
      return {gdas_plan(*last_gdas_)};
    }
    case SupernetMode::Urs: {
      std::vector<CellPlan> plans;
      for (std::size_t cell = 0; cell < cells_.size(); ++cell) {
        last_archs_.push_back(sample_urs_cell());
        plans.push_back(CellPlan::of_arch(last_archs_.back()));
      }
      return plans;
    }
    case SupernetMode::Dynamic:
      if (!dynamic_arch_) throw Error("TopologySupernet: Dynamic mode needs set_dynamic_arch first");
      last_archs_.assign(cells_.size(), *dynamic_arch_);
      return {CellPlan::of_arch(*dynamic_arch_)};
    case SupernetMode::Select: {
      const bench::TssArch arch = derive_arch();
      last_archs_.assign(cells_.size(), arch);
      return {CellPlan::of_arch(arch)};
    }
  }
  throw Error("TopologySupernet: unknown mode");
}

std::pair<torch::Tensor, torch::Tensor> TopologySupernetImpl::forward_with_features(const torch::Tensor& images) {
  const std::vector<CellPlan> plans = make_plans();
  const bool to_channels_last = options_.channels_last_on_cpu() && images.is_cpu() && images.dim() == 4;
  torch::Tensor x = stem_bn_(stem_conv_(to_channels_last ? images.contiguous(torch::MemoryFormat::ChannelsLast) : images));
  for (const BlockRef& block : order_) {
    if (block.is_cell) {
      x = cells_[block.index]->forward(x, plans.size() == 1 ? plans.front() : plans.at(block.index));
    } else {
      x = reductions_[block.index]->forward(x);
    }
  }
  x = torch::relu(lastact_bn_(x));
  torch::Tensor features = x.mean({2, 3});
  torch::Tensor logits = classifier_(features);
  return {features, logits};
}

torch::Tensor TopologySupernetImpl::forward(const torch::Tensor& images) { return forward_with_features(images).second; }

}  // namespace nas::supernet

// The weight-sharing supernet of the topology space: NATS-Bench's GenericNAS201Model with
// NAS201SearchCell (reference §5.0), i.e. TinyNetwork's skeleton whose cells hold all 5 candidate
// ops on all 6 edges, plus the architecture parameters alpha in R^{6x5}.
//
//   torch::Generator gen = make_cpu_generator(seed);        // owned by the searcher
//   TopologySupernet net(TopologySupernetOptions{}.num_classes(10), gen);   // weights + alpha from gen
//   torch::optim::SGD w_opt(net->weight_parameters(), ...);
//   torch::optim::Adam a_opt(net->arch_parameters(), ...);
//   net->set_mode(SupernetMode::Gdas);  net->set_tau(10.0);
//   torch::Tensor logits = net->forward(images);
//   bench::TssArch best = net->derive_arch();
//
// Modes (set_mode), per forward:
//   Joint    edge = sum_k softmax(alpha_e)_k * op_k(x)  (DARTS; `none` contributes 0 in value and
//            gradient, so it is not computed — identical to multiplying zeros)
//   Gdas     one hard Gumbel-softmax sample per forward, shared by all cells: hardwts = onehot - p.detach()
//            + p with p = softmax((log_softmax(alpha) + g) / tau); edge = hardwts[k*] * op_{k*}(x)
//            + sum_{k != k*} hardwts[k]. Only op k* runs; every alpha entry gets a gradient.
//   Urs      every cell, per node, draws one op per incoming edge uniformly, redrawing the node while
//            all are `none` (RSPS). The cells of one forward run different architectures.
//   Dynamic  the cell set by set_dynamic_arch in every cell; only its ops run.
//   Select   Dynamic with derive_arch() (argmax of alpha).
//
// Determinism: construction redraws every weight from the generator (reinitialize_parameters) and
// then alpha = 1e-3 * N(0, 1) from it (LibTorch's module constructors draw their default values
// from the global RNG first; those are all overwritten, so the model does not depend on the global
// RNG, though its state advances); all sampling in forward draws from the same generator (a
// shared handle: the searcher may reseed it), never from the global RNG. Sampling draws on the CPU
// and only the 6x5 result moves to the model's device, so a seed gives the same samples on CPU and
// CUDA.
//
// Speed (the reference evaluates every op of every edge separately): a cell computes the ReLU of a
// node once for all convolutions leaving it, and the pooling of a node once for all its out-edges;
// with batch-statistics BNs (the search default, track_running_stats = false) all ReLU->conv->BN ops
// of one kind leaving a node run as one convolution over their concatenated weights, with the edge
// weights folded into the BN's scale (fused_relu_conv_bn); each node's weighted sum is one autograd
// node with a cheap backward. Parameters stay per op, so optimizers, the gradients of unchosen ops
// and checkpoints behave as with the plain per-op evaluation. (The architecture step takes alpha's
// gradient alone, training.h's arch_gradient.) On the CPU, channels-last tensors are faster, so forward converts CPU inputs to that
// layout (option channels_last_on_cpu); tests/bench/bench_supernet.cpp measures both layouts.
#pragma once

#include <torch/torch.h>

#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nas/benchmark_api/topology_space.h"
#include "nas/supernet/operations.h"

namespace nas::supernet {

enum class SupernetMode { Joint, Gdas, Urs, Dynamic, Select };
/// "joint", "gdas", "urs", "dynamic", "select"; the parse throws nas::Error for anything else.
std::string supernet_mode_name(SupernetMode mode);
SupernetMode parse_supernet_mode(const std::string& text);

/// What one forward of a search cell computes on each edge.
struct CellPlan {
  /// active[e][k]: op k of edge e contributes. `none` (k = 0) is never computed: its output is zero.
  std::array<std::array<bool, bench::kTssNumOps>, bench::kTssNumEdges> active{};
  /// Empty: edge output = sum of the active ops. Otherwise kTssNumEdges * kTssNumOps scalar (0-dim)
  /// tensors, entry e * kTssNumOps + k weighting op k of edge e.
  std::vector<torch::Tensor> weights;
  /// Empty, or kTssNumEdges scalar tensors added to each edge's output (GDAS straight-through terms).
  std::vector<torch::Tensor> offsets;

  /// Exactly the ops of `arch`, unweighted (Dynamic, Select, Urs).
  static CellPlan of_arch(const bench::TssArch& arch);
};

/// NAS201SearchCell: all 5 candidate ops on each of the 6 edges. Edges leaving the input node map
/// c_in -> c_out with `stride`, the others c_out -> c_out with stride 1.
class SearchCellImpl : public torch::nn::Module {
 public:
  SearchCellImpl(int c_in, int c_out, int stride, bool affine, bool track_running_stats);
  torch::Tensor forward(const torch::Tensor& x, const CellPlan& plan);
  /// Candidate `op` of `edge` (canonical edge order, bench::TssOp code).
  const OperationPtr& op(int edge, int op) const { return ops_.at(edge).at(op); }

 private:
  /// An op's output in one forward; `weighted` when the plan's weight is already applied.
  struct OpOutput {
    torch::Tensor value;
    bool weighted = false;
  };
  using EdgeOutputs = std::array<std::array<OpOutput, bench::kTssNumOps>, bench::kTssNumEdges>;
  void run_edges_from(int source, const torch::Tensor& x, const CellPlan& plan, EdgeOutputs& outputs);
  torch::Tensor sum_into(int node, const std::array<torch::Tensor, bench::kTssNumNodes>& nodes, const CellPlan& plan,
                         const EdgeOutputs& outputs);

  std::array<std::array<OperationPtr, bench::kTssNumOps>, bench::kTssNumEdges> ops_;
};
TORCH_MODULE(SearchCell);

struct TopologySupernetOptions {
  TORCH_ARG(int, channels) = 16;
  TORCH_ARG(int, cells_per_stage) = 5;
  TORCH_ARG(int, num_classes) = 10;
  TORCH_ARG(int, in_channels) = 3;
  /// BN settings of the search cells and of the final BN (the stem BN and the residual blocks are
  /// always affine and tracking, as in the reference).
  TORCH_ARG(bool, affine) = false;
  TORCH_ARG(bool, track_running_stats) = false;
  /// Convert CPU inputs to channels-last in forward (invisible to the caller: the outputs are 2-D).
  /// LibTorch's CPU kernels for this network are faster in that layout, with or without
  /// to_channels_last on the parameters; CUDA inputs are left as they come.
  TORCH_ARG(bool, channels_last_on_cpu) = true;
};

/// One GDAS draw: the straight-through weights [6, 5] (on the model's device, differentiable with
/// respect to alpha) and the chosen op of each edge.
struct GdasSample {
  torch::Tensor hardwts;
  bench::TssArch chosen;
};

/// Joint (DARTS) plan: every op but `none`, weighted by softmax(alpha) row-wise.
CellPlan joint_plan(const torch::Tensor& alpha);
/// GDAS plan: the chosen op of each edge weighted by hardwts[e][k*], plus the offsets
/// sum_{k != k*} hardwts[e][k] (zero in value).
CellPlan gdas_plan(const GdasSample& sample);

class TopologySupernetImpl : public torch::nn::Module {
 public:
  /// Builds the network, redraws all weights from `generator`, then draws alpha; keeps the
  /// generator (a shared handle) for sampling in forward.
  TopologySupernetImpl(const TopologySupernetOptions& options, torch::Generator generator);

  /// Logits [B, num_classes] in the current mode.
  torch::Tensor forward(const torch::Tensor& images);
  /// (pooled features [B, 4C], logits).
  std::pair<torch::Tensor, torch::Tensor> forward_with_features(const torch::Tensor& images);

  void set_mode(SupernetMode mode) { mode_ = mode; }
  SupernetMode mode() const { return mode_; }
  /// GDAS temperature (the searcher anneals it 10 -> 0.1 per epoch). Must be positive.
  void set_tau(double tau);
  double tau() const { return tau_; }
  /// The cell Dynamic mode runs.
  void set_dynamic_arch(const bench::TssArch& arch) { dynamic_arch_ = arch; }
  const std::optional<bench::TssArch>& dynamic_arch() const { return dynamic_arch_; }
  void set_generator(torch::Generator generator) { generator_ = std::move(generator); }
  torch::Generator generator() const { return generator_; }

  /// Alpha [6, 5] (registered as the parameter "arch_parameters").
  const torch::Tensor& alpha() const { return alpha_; }
  /// {alpha}, for the architecture optimizer.
  std::vector<torch::Tensor> arch_parameters() const { return {alpha_}; }
  /// Every parameter except alpha, for the weight optimizer.
  std::vector<torch::Tensor> weight_parameters() const;

  /// Argmax of alpha per edge over all 5 ops including `none` (the first index wins ties).
  bench::TssArch derive_arch() const;
  /// softmax(alpha[edge]) (5 values, op order).
  std::vector<double> edge_probabilities(int edge) const;

  /// Draws one GDAS sample (what a Gdas-mode forward does first); redraws non-finite samples.
  GdasSample sample_gdas();
  /// Draws the ops of one cell the RSPS way (no node with only `none` inputs).
  bench::TssArch sample_urs_cell();
  /// The plans the last forward ran: the GDAS sample, and the cell of each search cell for
  /// Urs/Dynamic/Select (empty before the first such forward).
  const std::optional<GdasSample>& last_gdas_sample() const { return last_gdas_; }
  const std::vector<bench::TssArch>& last_cell_archs() const { return last_archs_; }

  int num_search_cells() const { return static_cast<int>(cells_.size()); }
  SearchCellImpl& search_cell(int index) { return *cells_.at(index); }
  const TopologySupernetOptions& options() const { return options_; }

 private:
  std::vector<CellPlan> make_plans();

  TopologySupernetOptions options_;
  torch::Generator generator_;
  SupernetMode mode_ = SupernetMode::Joint;
  double tau_ = 10.0;
  std::optional<bench::TssArch> dynamic_arch_;
  std::optional<GdasSample> last_gdas_;
  std::vector<bench::TssArch> last_archs_;

  torch::nn::Conv2d stem_conv_{nullptr};
  torch::nn::BatchNorm2d stem_bn_{nullptr};
  torch::nn::ModuleList blocks_{nullptr};
  /// The blocks in order: a search cell (index into cells_) or a residual block (into reductions_).
  struct BlockRef {
    bool is_cell;
    int index;
  };
  std::vector<BlockRef> order_;
  std::vector<std::shared_ptr<SearchCellImpl>> cells_;
  std::vector<std::shared_ptr<ResNetBasicBlockImpl>> reductions_;
  torch::nn::BatchNorm2d lastact_bn_{nullptr};
  torch::nn::Linear classifier_{nullptr};
  torch::Tensor alpha_;
};
TORCH_MODULE(TopologySupernet);

}  // namespace nas::supernet

// ENAS's controller for the topology space (reference §5.0, ENAS): a 2-layer LSTM (hidden 32) that
// makes the 6 edge decisions in canonical edge order. Each step feeds the embedding of the previous
// choice (a learned start input first), maps the LSTM output to logits
// tanh_constant * tanh(W h / temperature) (2.5, 5.0), and samples an op. The sample's summed log
// probability and entropy drive the REINFORCE update.
#pragma once

#include <torch/torch.h>

#include "nas/benchmark_api/topology_space.h"

namespace nas::algorithms {

struct ControllerSample {
  bench::TssArch arch;
  torch::Tensor log_prob;  ///< scalar, sum over decisions (differentiable)
  torch::Tensor entropy;   ///< scalar, sum over decisions (differentiable)
};

class EnasControllerImpl : public torch::nn::Module {
 public:
  EnasControllerImpl(int hidden = 32, int layers = 2, double tanh_constant = 2.5, double temperature = 5.0);

  /// Samples an architecture (draws come from `generator`).
  ControllerSample sample(torch::Generator& generator);
  /// The log probability and entropy the controller assigns to a given architecture.
  ControllerSample evaluate(const bench::TssArch& arch);

 private:
  ControllerSample run(const bench::TssArch* forced, torch::Generator* generator);

  int hidden_;
  double tanh_constant_, temperature_;
  torch::Tensor start_input_;
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::Linear predictor_{nullptr};
};
TORCH_MODULE(EnasController);

}  // namespace nas::algorithms

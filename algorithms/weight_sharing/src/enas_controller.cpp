// The ENAS LSTM controller.
#include "nas/algorithms/enas_controller.h"

namespace nas::algorithms {

EnasControllerImpl::EnasControllerImpl(int hidden, int layers, double tanh_constant, double temperature)
    : hidden_(hidden), tanh_constant_(tanh_constant), temperature_(temperature) {
  start_input_ = register_parameter("start_input", torch::empty({1, 1, hidden}));
  lstm_ = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(hidden, hidden).num_layers(layers)));
  embedding_ = register_module("embedding", torch::nn::Embedding(bench::kTssNumOps, hidden));
  predictor_ = register_module("predictor", torch::nn::Linear(hidden, bench::kTssNumOps));
  // The reference re-initialises these uniformly in [-0.1, 0.1] (the rest keeps PyTorch's defaults).
  torch::NoGradGuard no_grad;
  start_input_.uniform_(-0.1, 0.1);
  lstm_->named_parameters()["weight_ih_l0"].uniform_(-0.1, 0.1);
  lstm_->named_parameters()["weight_hh_l0"].uniform_(-0.1, 0.1);
  embedding_->weight.uniform_(-0.1, 0.1);
  predictor_->weight.uniform_(-0.1, 0.1);
}

ControllerSample EnasControllerImpl::sample(torch::Generator& generator) { return run(nullptr, &generator); }

ControllerSample EnasControllerImpl::evaluate(const bench::TssArch& arch) { return run(&arch, nullptr); }

ControllerSample EnasControllerImpl::run(const bench::TssArch* forced, torch::Generator* generator) {
  ControllerSample out;
  torch::Tensor input = start_input_;
  std::tuple<torch::Tensor, torch::Tensor> state{
      torch::zeros({lstm_->options.num_layers(), 1, hidden_}, start_input_.options()),
      torch::zeros({lstm_->options.num_layers(), 1, hidden_}, start_input_.options())};
  std::vector<torch::Tensor> log_probs, entropies;
  for (int edge = 0; edge < bench::kTssNumEdges; ++edge) {
    auto [output, next_state] = lstm_->forward(input, state);
    state = next_state;
    const torch::Tensor logits = tanh_constant_ * torch::tanh(predictor_->forward(output.view({1, hidden_})) / temperature_);
    const torch::Tensor log_p = torch::log_softmax(logits, -1);
    int choice = 0;
    if (forced != nullptr) {
      choice = forced->ops[edge];
    } else {
      choice = static_cast<int>(torch::multinomial(log_p.exp().detach(), 1, false, *generator).item<std::int64_t>());
    }
    out.arch.ops[edge] = static_cast<std::uint8_t>(choice);
    log_probs.push_back(log_p.select(1, choice).sum());
    entropies.push_back(-(log_p * log_p.exp()).sum());
    input = embedding_->forward(torch::tensor({choice}, torch::kLong).to(start_input_.device())).view({1, 1, hidden_});
  }
  out.log_prob = torch::stack(log_probs).sum();
  out.entropy = torch::stack(entropies).sum();
  return out;
}

}  // namespace nas::algorithms

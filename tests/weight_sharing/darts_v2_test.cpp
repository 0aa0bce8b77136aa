// DARTS-V2's unrolled architecture gradient against a direct finite-difference derivative of the
// unrolled objective F(alpha) = L_arch(w'(alpha), alpha), w'(alpha) = w - lr * (grad_w L_train(w, alpha)
// + wd * w), on a tiny supernet in double precision. The Hessian-vector product's own finite
// difference uses a small step here (1e-6 instead of the reference's 0.01): on a net this small
// the loss bends sharply within 0.01, and the point is to check the formula, signs and terms.
#include <gtest/gtest.h>

#include "nas/algorithms/nats_weight_sharing.h"

namespace nas::algorithms {
namespace {

using supernet::TopologySupernet;
using supernet::TopologySupernetOptions;

TEST(DartsV2, UnrolledGradientMatchesFiniteDifferencesOfTheUnrolledObjective) {
  torch::Generator generator = at::detail::createCPUGenerator(3);
  TopologySupernet net(TopologySupernetOptions().channels(2).cells_per_stage(1).num_classes(3), generator);
  net->to(torch::kDouble);
  const double lr = 0.05, wd = 1e-3;
  torch::optim::SGD sgd(net->weight_parameters(), torch::optim::SGDOptions(lr).momentum(0.9).weight_decay(wd));
  torch::manual_seed(0);
  const torch::Tensor train_x = torch::randn({6, 3, 8, 8}, torch::kDouble);
  const torch::Tensor train_y = torch::randint(3, {6}, torch::kLong);
  const torch::Tensor arch_x = torch::randn({6, 3, 8, 8}, torch::kDouble);
  const torch::Tensor arch_y = torch::randint(3, {6}, torch::kLong);
  {
    torch::NoGradGuard no_grad;
    net->alpha().copy_(torch::randn({6, 5}, torch::kDouble) * 0.5);  // away from the symmetric start
  }
  net->train();
  net->set_mode(supernet::SupernetMode::Joint);

  const std::vector<torch::Tensor> weights = net->weight_parameters();
  std::vector<torch::Tensor> saved;
  for (const auto& w : weights) saved.push_back(w.detach().clone());

  darts_unrolled_arch_gradient(net, sgd, train_x, train_y, arch_x, arch_y, /*hessian_step=*/1e-6);
  const torch::Tensor analytic = net->alpha().grad().clone();
  for (std::size_t i = 0; i < weights.size(); ++i) {
    ASSERT_TRUE(torch::equal(weights[i], saved[i])) << "the weights must be restored";
  }

  // F(alpha), evaluated directly (no momentum buffer exists yet, as in the first step).
  auto objective = [&](const torch::Tensor& alpha_value) {
    {
      torch::NoGradGuard no_grad;
      net->alpha().copy_(alpha_value);
    }
    const torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(train_x), train_y);
    const auto grads = torch::autograd::grad({loss}, weights);
    double value = 0;
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < weights.size(); ++i) weights[i].copy_(saved[i] - lr * (grads[i] + wd * saved[i]));
    value = torch::nn::functional::cross_entropy(net->forward(arch_x), arch_y).item<double>();
    for (std::size_t i = 0; i < weights.size(); ++i) weights[i].copy_(saved[i]);
    return value;
  };
  const torch::Tensor alpha0 = net->alpha().detach().clone();
  const double h = 1e-6;
  double max_error = 0, max_value = 0;
  for (int e = 0; e < 6; ++e) {
    for (int k = 0; k < 5; ++k) {
      torch::Tensor plus = alpha0.clone(), minus = alpha0.clone();
      plus[e][k] += h;
      minus[e][k] -= h;
      const double numeric = (objective(plus) - objective(minus)) / (2 * h);
      const double got = analytic[e][k].item<double>();
      max_error = std::max(max_error, std::abs(numeric - got));
      max_value = std::max(max_value, std::abs(numeric));
    }
  }
  EXPECT_GT(max_value, 1e-4) << "the check must not pass trivially";
  EXPECT_LT(max_error, 2e-3 * max_value + 1e-7) << "max error " << max_error << " of max " << max_value;

  // The second-order term matters: the first-order gradient alone differs clearly.
  {
    torch::NoGradGuard no_grad;
    net->alpha().copy_(alpha0);
  }
  const torch::Tensor first_order = [&] {
    const torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(arch_x), arch_y);
    return torch::autograd::grad({loss}, {net->alpha()})[0];
  }();
  EXPECT_GT((first_order - analytic).abs().max().item<double>(), 10 * max_error);
}

}  // namespace
}  // namespace nas::algorithms

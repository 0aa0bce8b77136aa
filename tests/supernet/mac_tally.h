// Multiply-accumulates measured from the ops a forward actually runs, for the tests of the final
// networks (macro_network_test.cpp, nb101_network_test.cpp), which check them against their spaces'
// cost models.
// LibTorch has no module hooks, so a thread-local RecordFunction observer plays their part: it sees
// the convolutions and matrix products the forward dispatches, with their real operands (start)
// and real outputs (end), and adds output elements x multiply-accumulates per output element:
// (C_in / groups) * k * k for a convolution (the weight's elements per output channel), the inner
// dimension for a matrix product. Nothing here knows the network's layout or the cost formula.
// Which product a Linear dispatches depends on the LibTorch version (1.13's C++ frontend calls
// addmm, later ones aten::linear, which calls addmm or matmul in turn), so all of them are observed
// and only the outermost one of a nest counts.
#pragma once

#include <ATen/record_function.h>
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string_view>

namespace nas::test {

struct MacObservation : at::ObserverContext {
  std::int64_t macs_per_output = 0;
  bool is_conv = false;
  bool nested = false;
};

struct MacTally {
  std::int64_t macs = 0;
  int convolutions = 0;
  int products = 0;  ///< outermost matrix products (one per Linear)
  int channels_last_conv_inputs = 0;
};
inline thread_local MacTally* active_tally = nullptr;
inline thread_local int observed_depth = 0;

inline std::unique_ptr<at::ObserverContext> observe_start(const at::RecordFunction& fn) {
  if (active_tally == nullptr) return nullptr;
  const std::string_view name = fn.name();
  // numel() and size() are plain accessors: no op is dispatched (and observed) from inside here.
  std::int64_t macs_per_output = 0;
  const bool is_conv = name == "aten::convolution";
  if (is_conv) {
    const at::Tensor weight = fn.inputs()[1].toTensor();
    macs_per_output = weight.numel() / weight.size(0);
    if (observed_depth == 0 && fn.inputs()[0].toTensor().is_contiguous(at::MemoryFormat::ChannelsLast)) {
      ++active_tally->channels_last_conv_inputs;
    }
  } else if (name == "aten::linear") {
    macs_per_output = fn.inputs()[1].toTensor().size(1);  // weight [out, in]
  } else if (name == "aten::addmm") {
    macs_per_output = fn.inputs()[1].toTensor().size(1);  // addmm(bias, mat1 [n, in], mat2 [in, out])
  } else if (name == "aten::mm" || name == "aten::matmul") {
    macs_per_output = fn.inputs()[0].toTensor().size(-1);
  } else {
    return nullptr;
  }
  auto observation = std::make_unique<MacObservation>();
  observation->is_conv = is_conv;
  observation->macs_per_output = macs_per_output;
  observation->nested = observed_depth++ > 0;
  return observation;
}

inline void observe_end(const at::RecordFunction& fn, at::ObserverContext* context) {
  if (context == nullptr || active_tally == nullptr) return;
  --observed_depth;
  const auto& observation = static_cast<const MacObservation&>(*context);
  if (observation.nested) return;
  active_tally->macs += fn.outputs().at(0).toTensor().numel() * observation.macs_per_output;
  ++(observation.is_conv ? active_tally->convolutions : active_tally->products);
}

// Multiply-accumulates of one eval forward of `images` (per image for a batch of 1), plus how many
// convolutions and outermost matrix products ran and how many convolutions got channels-last input.
template <typename Network>
MacTally observe_forward(Network& net, const torch::Tensor& images) {
  net->eval();
  torch::NoGradGuard no_grad;
  MacTally tally;
  active_tally = &tally;
  observed_depth = 0;
  const at::CallbackHandle handle = at::addThreadLocalCallback(
      at::RecordFunctionCallback(observe_start, observe_end).needsInputs(true).needsOutputs(true));
  try {
    net->forward(images);
  } catch (...) {
    at::removeCallback(handle);
    active_tally = nullptr;
    throw;
  }
  at::removeCallback(handle);
  active_tally = nullptr;
  return tally;
}

/// Number of Conv2d modules in `net` (what a forward's convolution count is compared with).
inline int count_conv_modules(const torch::nn::Module& net) {
  int convs = 0;
  for (const auto& module : net.modules(/*include_self=*/false)) convs += module->as<torch::nn::Conv2d>() != nullptr;
  return convs;
}

}  // namespace nas::test

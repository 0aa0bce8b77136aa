// NAS-Bench-Macro's network for one code (reference §2.2).
#include "nas/supernet/macro_network.h"

#include <string>

#include "nas/benchmark_api/error.h"

namespace nas::supernet {

// --- MacroConvBN --------------------------------------------------------------------------------

MacroConvBNImpl::MacroConvBNImpl(int c_in, int c_out, int kernel, int stride, int groups, bool relu) : relu_(relu) {
  // No bias: the BN right after it would cancel any per-channel constant, and the benchmark's
  // parameter counts have none.
  conv_ = register_module(
      "conv",
      torch::nn::Conv2d(
          torch::nn::Conv2dOptions(c_in, c_out, kernel).stride(stride).padding(kernel / 2).groups(groups).bias(false)));
  bn_ = register_module("bn", torch::nn::BatchNorm2d(c_out));
}

torch::Tensor MacroConvBNImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = bn_(conv_(x));
  // In place, as the reference's ReLU(inplace=True): the BN output is a fresh tensor that no one
  // else holds or saved for backward (BN's backward reads its input, ReLU's its own output), so
  // this only saves an activation-sized allocation.
  return relu_ ? torch::relu_(y) : y;
}

// --- MacroInvertedResidual ----------------------------------------------------------------------

MacroInvertedResidualImpl::MacroInvertedResidualImpl(int c_in, int c_out, int stride, int expansion, int kernel)
    : residual_(stride == 1 && c_in == c_out) {
  if (c_in <= 0 || c_out <= 0 || expansion <= 0 || kernel <= 0 || kernel % 2 == 0 || (stride != 1 && stride != 2)) {
    throw Error(
        "MacroInvertedResidual: widths and expansion must be positive, the kernel odd, the stride 1 or 2 (got " +
        std::to_string(c_in) + " -> " + std::to_string(c_out) + ", t " + std::to_string(expansion) + ", k " +
        std::to_string(kernel) + ", stride " + std::to_string(stride) + ")");
  }
  // The reference's round(c_in * t) with an integer t.
  const int hidden = c_in * expansion;
  expand_ = register_module("expand", MacroConvBN(c_in, hidden, 1, 1, 1, /*relu=*/true));
  depthwise_ =
      register_module("depthwise", MacroConvBN(hidden, hidden, kernel, stride, /*groups=*/hidden, /*relu=*/true));
  // Linear bottleneck: no ReLU after the projection, so the residual sum is not clipped at 0.
  project_ = register_module("project", MacroConvBN(hidden, c_out, 1, 1, 1, /*relu=*/false));
}

torch::Tensor MacroInvertedResidualImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = project_(depthwise_(expand_(x)));
  return residual_ ? y + x : y;
}

// --- MacroNetwork -------------------------------------------------------------------------------

namespace {

// The Identity block of a layer that changes the shape cannot be a no-op: it projects.
bool is_projection_layer(const bench::MacroLayerShape& shape) {
  return shape.stride != 1 || shape.in_channels != shape.out_channels;
}

}  // namespace

MacroNetworkImpl::MacroNetworkImpl(const bench::MacroArch& arch, int num_classes)
    : arch_(arch), num_classes_(num_classes) {
  if (num_classes <= 0) {
    throw Error("MacroNetwork: the number of classes must be positive, got " + std::to_string(num_classes));
  }
  for (int layer = 0; layer < bench::kMacroNumLayers; ++layer) {
    const int block = arch.blocks[static_cast<std::size_t>(layer)];
    if (block >= bench::kMacroNumChoices) {
      throw Error("MacroNetwork: layer " + std::to_string(layer) + " has block " + std::to_string(block) +
                  " (expected 0 identity, 1 mb3_k3 or 2 mb6_k5)");
    }
  }
  stem_ = register_module("stem", MacroConvBN(3, bench::kMacroStemChannels, 3, 1, 1, /*relu=*/true));
  layers_ = register_module("layers", torch::nn::Sequential());
  for (int layer = 0; layer < bench::kMacroNumLayers; ++layer) {
    const bench::MacroLayerShape& shape = bench::kMacroLayers[static_cast<std::size_t>(layer)];
    const int block = arch.blocks[static_cast<std::size_t>(layer)];
    // Sequential names its entries "0".."7", so a layer's parameters are found under its index.
    if (block != static_cast<int>(bench::MacroBlock::Identity)) {
      layers_->push_back(MacroInvertedResidual(shape.in_channels, shape.out_channels, shape.stride,
                                               bench::macro_block_expansion(block), bench::macro_block_kernel(block)));
    } else if (is_projection_layer(shape)) {
      layers_->push_back(MacroConvBN(shape.in_channels, shape.out_channels, 1, shape.stride, 1, /*relu=*/false));
    } else {
      // A real module, not a skipped index: layers.<i> stays the i-th layer for every code.
      layers_->push_back(torch::nn::Identity());
    }
  }
  const int last = bench::kMacroLayers.back().out_channels;
  head_ = register_module("head", MacroConvBN(last, bench::kMacroHeadChannels, 1, 1, 1, /*relu=*/true));
  classifier_ = register_module("classifier", torch::nn::Linear(bench::kMacroHeadChannels, num_classes));
}

MacroNetworkImpl::MacroNetworkImpl(const bench::MacroArch& arch, int num_classes, torch::Generator generator)
    : MacroNetworkImpl(arch, num_classes) {
  reinitialize_parameters(*this, generator);
}

std::pair<torch::Tensor, torch::Tensor> MacroNetworkImpl::forward_with_features(const torch::Tensor& images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3, "MacroNetwork: expected images [N, 3, H, W], got ",
              images.sizes());
  const bool to_channels_last = channels_last_on_cpu_ && images.is_cpu();
  const torch::Tensor x =
      head_(layers_->forward(stem_(to_channels_last ? images.contiguous(torch::MemoryFormat::ChannelsLast) : images)));
  // AdaptiveAvgPool2d(1) + flatten as one mean: the same values, either memory format.
  torch::Tensor features = x.mean({2, 3});
  torch::Tensor logits = classifier_(features);
  return {features, logits};
}

torch::Tensor MacroNetworkImpl::forward(const torch::Tensor& images) { return forward_with_features(images).second; }

}  // namespace nas::supernet

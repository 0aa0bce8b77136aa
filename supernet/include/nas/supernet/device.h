// Where LibTorch computes: the device chosen at run time and the CPU thread count.
//
//   const torch::Device device = select_device("cuda");   // nas::Error if this LibTorch lacks CUDA
//   set_cpu_threads(2);                                    // LibTorch defaults to 1 in some builds
#pragma once

#include <torch/torch.h>

#include <string>

namespace nas::supernet {

/// "cpu", "cuda" or "cuda:N". Throws nas::Error for an unknown name, or for CUDA when this LibTorch
/// build has no CUDA support or no device.
torch::Device select_device(const std::string& name);

/// Sets LibTorch's intra-op thread count (threads <= 0: the number of cores). Returns the count set.
int set_cpu_threads(int threads);

/// "cpu" or "cuda:N" plus, for CUDA, the device name (for result records).
std::string describe_device(const torch::Device& device);

}  // namespace nas::supernet

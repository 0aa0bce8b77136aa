// Device selection and CPU threading.
#include "nas/supernet/device.h"

#include <thread>

#include "nas/benchmark_api/error.h"

namespace nas::supernet {

torch::Device select_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw Error("device '" + name + "' requested, but this LibTorch build has no CUDA support or sees no GPU "
                  "(Debian's libtorch-dev is CPU-only); use --device cpu");
    }
    try {
      const torch::Device device(name);
      if (device.has_index() && device.index() >= static_cast<int>(torch::cuda::device_count())) {
        throw Error("device '" + name + "' does not exist (" + std::to_string(torch::cuda::device_count()) + " CUDA devices)");
      }
      return device;
    } catch (const c10::Error&) {
      throw Error("malformed device '" + name + "' (expected cpu, cuda or cuda:N)");
    }
  }
  throw Error("unknown device '" + name + "' (expected cpu, cuda or cuda:N)");
}

int set_cpu_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  return threads;
}

std::string describe_device(const torch::Device& device) {
  if (device.is_cpu()) return "cpu (" + std::to_string(torch::get_num_threads()) + " threads)";
  return device.str();
}

}  // namespace nas::supernet

// Weight-sharing searches small enough for unit tests: real CIFAR-10 images
// (../shared/data/cifar10), a few batches, a 4-channel supernet (the size supernet is always 64
// channels wide, so its batches are smaller), one LibTorch thread.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <memory>
#include <string>

#include "nas/algorithms/registry.h"
#include "nas/algorithms/weight_sharing.h"
#include "nas/benchmark_api/benchmark.h"

namespace nas::algorithms::test {

inline std::string cifar10() { return std::string(NAS_SHARED_DATA) + "/cifar10"; }
inline bool have_cifar10() { return std::filesystem::exists(cifar10()); }

inline bool is_size_space(const std::string& algorithm) {
  return algorithm == "tas" || algorithm == "fbnet-v2" || algorithm == "tunas";
}

/// `epochs` epochs of 2 batches, the valid passes on 1 batch of 32, 3 candidates, 2 x 2 ENAS
/// controller samples.
inline YAML::Node tiny_config(const std::string& algorithm, int epochs) {
  YAML::Node c;
  c["epochs"] = epochs;
  c["batch_size"] = 16;
  c["valid_batch_size"] = 32;
  c["max_batches_per_epoch"] = 2;
  c["max_valid_batches"] = 1;
  if (is_size_space(algorithm)) {
    c["batch_size"] = 8;  // the size supernet is always 64 channels wide
  } else {
    c["channels"] = 4;
    c["cells_per_stage"] = 1;
  }
  if (algorithm == "setn" || algorithm == "random-ws" || algorithm == "enas") c["candidates"] = 3;
  if (algorithm == "enas") {
    c["controller_steps"] = 2;
    c["controller_samples_per_step"] = 2;
  }
  return c;
}

/// `config` with the keys of `extra` set on top.
inline YAML::Node with(YAML::Node config, const YAML::Node& extra) {
  if (extra) {
    for (const auto& item : extra) config[item.first.as<std::string>()] = item.second;
  }
  return config;
}

/// A task for `algorithm` on CIFAR-10 of its space (shipped benchmarks), one LibTorch thread (ctest
/// runs tests in parallel on 2 cores), checkpointing to `checkpoint` ("" = none) under a run
/// identity naming the algorithm and seed.
inline TrainingTask tiny_task(const std::string& algorithm, std::uint64_t seed, const std::string& checkpoint = "") {
  static const auto tss_space = bench::make_search_space(bench::Space::Topology);
  static const auto sss_space = bench::make_search_space(bench::Space::Size);
  const bool size = is_size_space(algorithm);
  TrainingTask task;
  task.space = size ? sss_space.get() : tss_space.get();
  task.dataset = bench::Dataset::Cifar10;
  task.environment.data_root = cifar10();
  task.environment.threads = 1;
  task.checkpoint.path = checkpoint;
  task.checkpoint.identity = {{"algorithm", algorithm}, {"seed", std::to_string(seed)}};
  return task;
}

}  // namespace nas::algorithms::test

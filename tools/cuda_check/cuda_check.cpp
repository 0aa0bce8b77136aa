// cuda_check: runs the topology and size supernets on a CUDA device with the project's own code and
// checks them against the CPU, then measures GPU search-step throughput.
//
//   cuda_check --device cuda [--seconds 2] [--seed 0] [--cpu-threads 0] [--no-timing] [--no-cpu-timing]
//
// Part 1, CPU vs device (TF32 off on the device, so both sides compute in plain fp32): for every mode
// of TopologySupernet (C = 16, N = 5, 10 classes: joint, gdas, urs, dynamic, select) and of
// SizeSupernet (mask_gumbel, mask_rl, tas, warmup, fixed), a network on the CPU, one on the device
// (moved with ->to(device)) and an fp64 CPU reference (->to(kDouble)) are built from the same seed,
// their generators are reseeded identically per mode, and all run forward + CE backward (mask_rl:
// CE - 0.1 * last_log_prob, so alpha gets its REINFORCE gradient) on the same batch of 64 random
// 32x32 images. Checked: initial parameters bit-equal and on the device; the sampled choices
// identical (last_gdas_sample / last_cell_archs / last_samples: sampling draws on the CPU generator);
// logits close (max |diff| / max(1, max |logit|) <= 1e-3); alpha's and the weights' gradients
// (relative L2 error over all entries) no further from the fp64 reference than max(2e-2, 10 x the
// CPU's own fp32 error) -- fp32 gradients through the batch-statistics BNs are only good to ~1e-2
// on either device; outputs and gradients on the device; for joint and gdas, arch_gradient() on the
// device against backward().
//
// Part 2, timing: one full search step as the searchers and tests/bench/bench_supernet.cpp take it,
// through the same functions (supernet/training.h; weight step: forward + CE + backward [+ clip 5
// for the topology space] + SGD; architecture step: forward + alpha's gradient + Adam), warm-up first,
// torch::cuda::synchronize around the timed loop, in images/s: darts-v1 (joint), gdas, tas,
// fbnet-v2 (mask_gumbel), tunas (mask_rl) at batch 64 with the default math (cuDNN may use TF32),
// with TF32 off, and at batch 256; the CPU benchmark's other topology variants (channels-last); the same five steps on this machine's CPU for context; then a summary table.
//
// Seen on an H100 (LibTorch 2.11.0+cu130, cuDNN 9.19; 16-core VM): every check passes; logits agree
// to <= 5.3e-6; images/s at batch 64 / 256 (default math): darts-v1 343 / 1370, gdas 1032 / 4083,
// tas 1865 / 5687, fbnet-v2 2797 / 7907, tunas 3288 / 9172 (run-to-run spread ~20%); the step time
// hardly changes from batch 64 to 256, so at these sizes a step is bound by host-side work (op
// dispatch, kernel launches, per-parameter optimizer loops, synchronizing .item() calls), not by the GPU.
//
// Exit status: 0 when every check passes, 1 on any mismatch or exception, 2 on bad arguments.
// Build: with the suite (target cuda_check), or its core alone against any LibTorch, e.g. the CUDA one
// inside a pip torch: see CMakeLists.txt beside this file.
#include <torch/torch.h>
#include <torch/version.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "nas/benchmark_api/error.h"
#include "nas/supernet/device.h"
#include "nas/supernet/operations.h"
#include "nas/supernet/size_supernet.h"
#include "nas/supernet/topology_supernet.h"
#include "nas/supernet/training.h"

namespace {

using namespace nas::supernet;
namespace bench = nas::bench;

constexpr int kBatch = 64;
constexpr int kImageSize = 32;
constexpr int kClasses = 10;
constexpr double kLogitTol = 1e-3;  // max |diff| / max(1, max |logit|)

int g_failures = 0;

void fail(const std::string& what) {
  ++g_failures;
  std::printf("  MISMATCH: %s\n", what.c_str());
}

void set_tf32(bool on) {
  at::globalContext().setAllowTF32CuDNN(on);
  at::globalContext().setAllowTF32CuBLAS(on);
}

double max_abs(const torch::Tensor& t) { return t.numel() ? t.abs().max().item<double>() : 0.0; }

struct Diff {
  double max_abs_diff = 0;  // max |a - b|
  double rel = 0;           // per the metric
};

/// Logits: max |a - b| / max(1, max |a|).
Diff logit_diff(const torch::Tensor& cpu, const torch::Tensor& dev) {
  const torch::Tensor b = dev.detach().to(torch::kCPU, torch::kDouble), a = cpu.detach().to(torch::kDouble);
  Diff d;
  d.max_abs_diff = max_abs(a - b);
  d.rel = d.max_abs_diff / std::max(1.0, max_abs(a));
  return d;
}

/// Gradients: relative L2 error over all given tensors (pairs with both undefined are skipped;
/// `defined_mismatch` counts pairs defined on one side only).
Diff grad_diff(const std::vector<torch::Tensor>& cpu, const std::vector<torch::Tensor>& dev, int* defined_mismatch,
               int* compared) {
  double num = 0, den = 0, max_diff = 0;
  *defined_mismatch = 0;
  *compared = 0;
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    const torch::Tensor& a = cpu[i];
    const torch::Tensor& b = dev[i];
    if (a.defined() != b.defined()) {
      ++*defined_mismatch;
      continue;
    }
    if (!a.defined()) continue;
    ++*compared;
    const torch::Tensor x = a.to(torch::kDouble), y = b.to(torch::kCPU, torch::kDouble);
    num += (x - y).pow(2).sum().item<double>();
    den += x.pow(2).sum().item<double>();
    max_diff = std::max(max_diff, max_abs(x - y));
  }
  Diff d;
  d.max_abs_diff = max_diff;
  d.rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  return d;
}

std::vector<torch::Tensor> grads_of(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.grad().defined() ? p.grad().detach().clone() : torch::Tensor());
  return out;
}

void clear_grads(torch::nn::Module& module) {
  for (auto& p : module.parameters()) {
    if (p.grad().defined()) p.mutable_grad() = torch::Tensor();
  }
}

bool on_device(const torch::Tensor& t, const torch::Device& device) {
  return t.device().type() == device.type() && (!device.has_index() || t.device().index() == device.index());
}

bool all_on(const std::vector<torch::Tensor>& ts, const torch::Device& device) {
  for (const auto& t : ts) {
    if (t.defined() && !on_device(t, device)) return false;
  }
  return true;
}

std::string arch_text(const bench::TssArch& a) {
  std::string s;
  for (auto op : a.ops) s += std::to_string(op);
  return s;
}

std::string samples_text(const std::array<LayerSample, kSizeSupernetLayers>& samples) {
  std::string s;
  for (const auto& l : samples) {
    if (!s.empty()) s += ",";
    s += std::to_string(l.candidate);
    if (l.second >= 0) s += "/" + std::to_string(l.second);
  }
  return s;
}

struct Batch {
  torch::Tensor images, labels;
};

Batch make_batch(std::uint64_t seed) {
  torch::Generator gen = make_cpu_generator(seed);
  Batch b;
  b.images = torch::randn({kBatch, 3, kImageSize, kImageSize}, gen, torch::kFloat);
  b.labels = torch::randint(0, kClasses, {kBatch}, gen, torch::kLong);
  return b;
}

/// Gradients of the device run against the CPU run, judged against an fp64 CPU reference: plain fp32
/// gradients through 17 batch-statistics BNs carry relative errors of 1e-3..1e-2 on either device
/// (cancellation in the BN backward; cuDNN and the CPU sum in different orders and may use other
/// convolution algorithms), while a device-handling bug gives O(1) errors. Passes when the device's
/// error against fp64 is at most max(kGradFloor, 10 x the CPU's own fp32 error); without a usable
/// reference, when the direct CPU-vs-device difference is at most kGradFloor.
constexpr double kGradFloor = 2e-2;

struct GradCheck {
  double direct = 0, dev_vs_ref = -1, cpu_vs_ref = -1;
  int defined_mismatch = 0, compared = 0;
  bool ok = true;
  std::string text() const {
    char buf[160];
    if (compared == 0) return defined_mismatch ? "defined on one side only" : "none";
    if (dev_vs_ref < 0) {
      std::snprintf(buf, sizeof buf, "cpu~dev %.1e", direct);
    } else {
      std::snprintf(buf, sizeof buf, "cpu~dev %.1e, vs fp64: cpu %.1e dev %.1e", direct, cpu_vs_ref, dev_vs_ref);
    }
    return buf;
  }
};

GradCheck check_grads(const std::vector<torch::Tensor>& cpu, const std::vector<torch::Tensor>& dev,
                      const std::vector<torch::Tensor>* ref) {
  GradCheck c;
  int m = 0, n = 0;
  c.direct = grad_diff(cpu, dev, &c.defined_mismatch, &c.compared).rel;
  if (ref != nullptr) {
    c.dev_vs_ref = grad_diff(*ref, dev, &m, &n).rel;
    c.defined_mismatch += m;
    c.cpu_vs_ref = grad_diff(*ref, cpu, &m, &n).rel;
    c.defined_mismatch += m;
    c.ok = c.dev_vs_ref <= std::max(kGradFloor, 10 * c.cpu_vs_ref);
  } else {
    c.ok = c.direct <= kGradFloor;
  }
  c.ok = c.ok && c.defined_mismatch == 0;
  return c;
}

/// One mode of one supernet: the fp32 CPU net, the device net and the fp64 CPU reference run forward
/// + backward on the same batch with identically seeded generators; everything is compared.
template <typename Net>
void compare_mode(const std::string& name, Net& cpu, Net& dev, Net& ref, const Batch& batch, const torch::Device& device,
                  std::uint64_t sample_seed, bool alpha_expected, const std::function<void(Net&)>& setup,
                  const std::function<torch::Tensor(Net&, const torch::Tensor&, const torch::Tensor&)>& loss_of,
                  const std::function<std::string(Net&)>& samples_of) {
  try {
    bool ok = true;
    for (Net* net : {&cpu, &dev, &ref}) {
      setup(*net);
      (*net)->set_generator(make_cpu_generator(sample_seed));
      clear_grads(**net);
    }
    const torch::Tensor logits_cpu = cpu->forward(batch.images);
    loss_of(cpu, logits_cpu, batch.labels).backward();
    const torch::Tensor labels_dev = batch.labels.to(device);
    const torch::Tensor logits_dev = dev->forward(batch.images.to(device));
    loss_of(dev, logits_dev, labels_dev).backward();
    const torch::Tensor logits_ref = ref->forward(batch.images.to(torch::kDouble));
    loss_of(ref, logits_ref, batch.labels).backward();

    if (!on_device(logits_dev, device)) {
      fail(name + ": logits not on the device (" + logits_dev.device().str() + ")");
      ok = false;
    }
    const std::string sc = samples_of(cpu), sd = samples_of(dev), sr = samples_of(ref);
    if (sc != sd) {
      fail(name + ": samples differ: cpu " + sc + " device " + sd);
      ok = false;
    }
    const bool ref_usable = sr == sc;
    if (!ref_usable) std::printf("  note: %s: the fp64 reference drew other samples (%s); judged without it\n",
                                 name.c_str(), sr.c_str());
    const Diff ld = logit_diff(logits_cpu, logits_dev);
    if (!(ld.rel <= kLogitTol)) {
      fail(name + ": logits differ (rel " + std::to_string(ld.rel) + ")");
      ok = false;
    }
    const std::vector<torch::Tensor> ac{cpu->alpha().grad()}, ad{dev->alpha().grad()}, ar{ref->alpha().grad()};
    const GradCheck alpha = check_grads(ac, ad, ref_usable ? &ar : nullptr);
    if (!alpha.ok) {
      fail(name + ": alpha gradients differ: " + alpha.text());
      ok = false;
    }
    if (alpha_expected != (alpha.compared > 0)) {
      fail(name + (alpha_expected ? ": alpha has no gradient" : ": alpha has an unexpected gradient"));
      ok = false;
    }
    if (!all_on(ad, device)) {
      fail(name + ": alpha gradient not on the device");
      ok = false;
    }
    const std::vector<torch::Tensor> wc = grads_of(cpu->weight_parameters()), wd = grads_of(dev->weight_parameters()),
                                     wr = grads_of(ref->weight_parameters());
    const GradCheck weights = check_grads(wc, wd, ref_usable ? &wr : nullptr);
    if (!weights.ok) {
      fail(name + ": weight gradients differ: " + weights.text() + " (" + std::to_string(weights.defined_mismatch) +
           " defined on one side only)");
      ok = false;
    }
    if (!all_on(wd, device)) {
      fail(name + ": weight gradients not on the device");
      ok = false;
    }
    const std::string shown = sc.size() > 26 ? sc.substr(0, 23) + "..." : sc;
    std::printf("  %-16s %-4s samples %-26s logits max|d| %.1e (rel %.1e)\n", name.c_str(), ok ? "ok" : "FAIL",
                shown.c_str(), ld.max_abs_diff, ld.rel);
    std::printf("  %-21s alpha grad: %s\n", "", alpha.text().c_str());
    std::printf("  %-21s weight grads (%d tensors): %s\n", "", weights.compared, weights.text().c_str());
    std::fflush(stdout);
  } catch (const std::exception& e) {
    fail(name + " threw: " + e.what());
  }
}

template <typename Net>
void check_initial_parameters(const std::string& name, Net& cpu, Net& dev, const torch::Device& device) {
  int mismatch = 0, compared = 0;
  std::vector<torch::Tensor> a, b;
  for (const auto& p : cpu->parameters()) a.push_back(p.detach());
  for (const auto& p : dev->parameters()) b.push_back(p.detach());
  for (const auto& t : cpu->buffers()) a.push_back(t.detach());
  for (const auto& t : dev->buffers()) b.push_back(t.detach());
  const Diff d = grad_diff(a, b, &mismatch, &compared);
  std::printf("  init: %d parameter and buffer tensors, max|cpu - device| %.1e, alpha on %s\n", compared, d.max_abs_diff,
              dev->alpha().device().str().c_str());
  if (d.max_abs_diff != 0 || mismatch != 0) fail(name + ": initial parameters differ between cpu and device");
  if (!all_on(b, device)) fail(name + ": a parameter or buffer is not on the device after ->to()");
}

// ---- Part 1a: topology supernet -------------------------------------------------------------------------

void compare_topology(const torch::Device& device, std::uint64_t seed) {
  std::printf("\n[compare] TopologySupernet C=16 N=5, %d classes, batch %d: cpu fp32 vs %s fp32 (TF32 off), fp64 cpu "
              "reference\n",
              kClasses, kBatch, device.str().c_str());
  const auto options = TopologySupernetOptions().channels(16).cells_per_stage(5).num_classes(kClasses);
  TopologySupernet cpu(options, make_cpu_generator(seed));
  TopologySupernet dev(options, make_cpu_generator(seed));
  TopologySupernet ref(options, make_cpu_generator(seed));
  dev->to(device);
  ref->to(torch::kDouble);
  check_initial_parameters("topology", cpu, dev, device);
  const Batch batch = make_batch(seed + 1);
  bench::TssArch dynamic_arch;
  dynamic_arch.ops = {3, 1, 4, 2, 0, 3};

  int mode_index = 0;
  for (SupernetMode mode :
       {SupernetMode::Joint, SupernetMode::Gdas, SupernetMode::Urs, SupernetMode::Dynamic, SupernetMode::Select}) {
    const std::string name = "tss/" + supernet_mode_name(mode);
    const std::uint64_t sample_seed = seed + 100 + static_cast<std::uint64_t>(mode_index++);
    const bool alpha_expected = mode == SupernetMode::Joint || mode == SupernetMode::Gdas;
    compare_mode<TopologySupernet>(
        name, cpu, dev, ref, batch, device, sample_seed, alpha_expected,
        [&](TopologySupernet& net) {
          net->set_mode(mode);
          net->set_tau(10.0);
          net->set_dynamic_arch(dynamic_arch);
        },
        [](TopologySupernet&, const torch::Tensor& logits, const torch::Tensor& labels) {
          return torch::nn::functional::cross_entropy(logits, labels);
        },
        [mode](TopologySupernet& net) -> std::string {
          if (mode == SupernetMode::Joint) return "-";
          if (mode == SupernetMode::Gdas) return net->last_gdas_sample() ? arch_text(net->last_gdas_sample()->chosen) : "none";
          std::string s = std::to_string(net->last_cell_archs().size()) + "cells:";
          for (const auto& a : net->last_cell_archs()) s += arch_text(a) + (mode == SupernetMode::Urs ? "," : "");
          if (mode != SupernetMode::Urs) s = std::to_string(net->last_cell_archs().size()) + "x" + arch_text(net->last_cell_archs().at(0));
          return s;
        });

    // arch_gradient (the searchers' architecture step) on the device gives alpha backward()'s gradient.
    if (alpha_expected) {
      try {
        const torch::Tensor reference = dev->alpha().grad().detach().cpu();
        dev->set_generator(make_cpu_generator(sample_seed));
        clear_grads(*dev);
        const torch::Tensor loss =
            torch::nn::functional::cross_entropy(dev->forward(batch.images.to(device)), batch.labels.to(device));
        const torch::Tensor g = arch_gradient(loss, dev->alpha());
        int m = 0, c = 0;
        const double rel = g.defined() ? grad_diff({reference}, {g}, &m, &c).rel : 1.0;
        std::printf("  %-21s arch_gradient vs backward on %s: alpha grad rel %.1e\n", "", device.str().c_str(), rel);
        if (!(rel <= 1e-4)) fail(name + ": arch_gradient disagrees with backward on the device");
      } catch (const std::exception& e) {
        fail(name + " arch_gradient threw: " + e.what());
      }
    }
  }
}

// ---- Part 1b: size supernet -----------------------------------------------------------------------------

void compare_size(const torch::Device& device, std::uint64_t seed) {
  std::printf("\n[compare] SizeSupernet (width 64), %d classes, batch %d: cpu fp32 vs %s fp32 (TF32 off), fp64 cpu "
              "reference\n",
              kClasses, kBatch, device.str().c_str());
  const auto options = SizeSupernetOptions().num_classes(kClasses);
  SizeSupernet cpu(options, make_cpu_generator(seed));
  SizeSupernet dev(options, make_cpu_generator(seed));
  SizeSupernet ref(options, make_cpu_generator(seed));
  dev->to(device);
  ref->to(torch::kDouble);
  check_initial_parameters("size", cpu, dev, device);
  const Batch batch = make_batch(seed + 2);
  bench::SssArch fixed;
  fixed.choice = {1, 3, 5, 7, 2};

  int mode_index = 0;
  for (ChannelSearchMode mode : {ChannelSearchMode::MaskGumbel, ChannelSearchMode::MaskRl, ChannelSearchMode::Tas,
                                 ChannelSearchMode::Warmup, ChannelSearchMode::Fixed}) {
    const std::string name = "sss/" + channel_search_mode_name(mode);
    const std::uint64_t sample_seed = seed + 200 + static_cast<std::uint64_t>(mode_index++);
    const bool alpha_expected =
        mode == ChannelSearchMode::MaskGumbel || mode == ChannelSearchMode::MaskRl || mode == ChannelSearchMode::Tas;
    compare_mode<SizeSupernet>(
        name, cpu, dev, ref, batch, device, sample_seed, alpha_expected,
        [&](SizeSupernet& net) {
          net->set_mode(mode);
          net->set_tau(10.0);
          net->set_warmup_probability(0.5);
          net->set_fixed_config(fixed);
        },
        [mode](SizeSupernet& net, const torch::Tensor& logits, const torch::Tensor& labels) {
          torch::Tensor loss = torch::nn::functional::cross_entropy(logits, labels);
          // TuNAS's REINFORCE term, so that alpha gets a gradient through last_log_prob.
          if (mode == ChannelSearchMode::MaskRl) loss = loss - 0.1 * net->last_log_prob();
          return loss;
        },
        [](SizeSupernet& net) { return samples_text(net->last_samples()); });
    if (mode == ChannelSearchMode::MaskRl) {
      const double a = cpu->last_log_prob().item<double>(), b = dev->last_log_prob().item<double>();
      std::printf("  %-21s last_log_prob cpu %.6f device %.6f\n", "", a, b);
      if (std::abs(a - b) > 1e-5 * std::max(1.0, std::abs(a))) fail(name + ": log-probabilities differ");
    }
  }
}

// ---- Part 2: timing -------------------------------------------------------------------------------------

void sync(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.has_index() ? device.index() : -1);
}

struct Timing {
  double images_per_s = 0;
  double ms_per_step = 0;
  int steps = 0;
};

Timing time_steps(const torch::Device& device, const std::function<void()>& step, double seconds, int warmup, int batch) {
  for (int i = 0; i < warmup; ++i) step();
  sync(device);
  const auto start = std::chrono::steady_clock::now();
  int steps = 0;
  double elapsed = 0;
  while (true) {
    step();
    ++steps;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed >= seconds && steps >= 5) break;
  }
  sync(device);
  elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Timing t;
  t.steps = steps;
  t.ms_per_step = 1e3 * elapsed / steps;
  t.images_per_s = static_cast<double>(batch) * steps / elapsed;
  return t;
}

/// bench_supernet.cpp's SearchStep, on `device`.
struct TopologyStep {
  TopologySupernet net;
  std::unique_ptr<torch::optim::SGD> w_optimizer;
  std::unique_ptr<torch::optim::Adam> a_optimizer;
  torch::Tensor train_images, train_labels, arch_images, arch_labels;

  TopologyStep(SupernetMode mode, bool channels_last, const torch::Device& device, int batch)
      : net(TopologySupernetOptions().num_classes(kClasses).channels_last_on_cpu(channels_last), make_cpu_generator(0)) {
    net->to(device);
    w_optimizer = std::make_unique<torch::optim::SGD>(
        net->weight_parameters(), torch::optim::SGDOptions(0.025).momentum(0.9).nesterov(true).weight_decay(5e-4));
    a_optimizer = std::make_unique<torch::optim::Adam>(
        net->arch_parameters(), torch::optim::AdamOptions(3e-4).betas({0.5, 0.999}).weight_decay(1e-3));
    net->set_mode(mode);
    net->set_tau(10.0);
    torch::Generator gen = make_cpu_generator(1);
    const auto format = channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    train_images = torch::randn({batch, 3, kImageSize, kImageSize}, gen, torch::kFloat).to(device).contiguous(format);
    arch_images = torch::randn({batch, 3, kImageSize, kImageSize}, gen, torch::kFloat).to(device).contiguous(format);
    train_labels = torch::randint(0, kClasses, {batch}, gen, torch::kLong).to(device);
    arch_labels = torch::randint(0, kClasses, {batch}, gen, torch::kLong).to(device);
    if (channels_last) to_channels_last(*net);
  }

  /// The searchers' step (supernet/training.h): weight step with clip 5, then alpha's step.
  void run() {
    supernet_weight_step(net, *w_optimizer, /*grad_clip=*/5.0, train_images, train_labels);
    supernet_arch_step(net, *a_optimizer, arch_images, arch_labels);
  }
};

/// bench_supernet.cpp's SizeSearchStep, on `device`.
struct SizeStep {
  SizeSupernet net;
  std::unique_ptr<torch::optim::SGD> w_optimizer;
  std::unique_ptr<torch::optim::Adam> a_optimizer;
  torch::Tensor train_images, train_labels, arch_images, arch_labels;

  SizeStep(ChannelSearchMode mode, const torch::Device& device, int batch)
      : net(SizeSupernetOptions().num_classes(kClasses), make_cpu_generator(0)) {
    net->to(device);
    w_optimizer = std::make_unique<torch::optim::SGD>(
        net->weight_parameters(), torch::optim::SGDOptions(0.025).momentum(0.9).nesterov(true).weight_decay(5e-4));
    a_optimizer = std::make_unique<torch::optim::Adam>(
        net->arch_parameters(), torch::optim::AdamOptions(3e-4).betas({0.5, 0.999}).weight_decay(1e-3));
    net->set_mode(mode);
    net->set_tau(10.0);
    torch::Generator gen = make_cpu_generator(1);
    train_images = torch::randn({batch, 3, kImageSize, kImageSize}, gen, torch::kFloat).to(device);
    arch_images = torch::randn({batch, 3, kImageSize, kImageSize}, gen, torch::kFloat).to(device);
    train_labels = torch::randint(0, kClasses, {batch}, gen, torch::kLong).to(device);
    arch_labels = torch::randint(0, kClasses, {batch}, gen, torch::kLong).to(device);
  }

  /// The searchers' step (supernet/training.h); TuNAS's REINFORCE loss against a fixed baseline.
  void run() {
    supernet_weight_step(net, *w_optimizer, /*grad_clip=*/0.0, train_images, train_labels);
    if (net->mode() != ChannelSearchMode::MaskRl) {
      supernet_arch_step(net, *a_optimizer, arch_images, arch_labels);
      return;
    }
    const torch::Tensor logits = net->forward(arch_images);
    const double top1 = top1_accuracy(logits, arch_labels);
    supernet_arch_update(-(top1 - 10.0) * net->last_log_prob(), net->alpha(), *a_optimizer);
  }
};

using StepFactory = std::function<std::function<void()>(const torch::Device&, int batch)>;

StepFactory topology_step(SupernetMode mode, bool channels_last) {
  return [=](const torch::Device& device, int batch) -> std::function<void()> {
    auto step = std::make_shared<TopologyStep>(mode, channels_last, device, batch);
    return [step] { step->run(); };
  };
}

StepFactory size_step(ChannelSearchMode mode) {
  return [=](const torch::Device& device, int batch) -> std::function<void()> {
    auto step = std::make_shared<SizeStep>(mode, device, batch);
    return [step] { step->run(); };
  };
}

struct StepKind {
  std::string name;
  StepFactory make;
};

/// The five method types, contiguous tensors.
std::vector<StepKind> primary_steps() {
  return {{"darts-v1 (joint)", topology_step(SupernetMode::Joint, false)},
          {"gdas", topology_step(SupernetMode::Gdas, false)},
          {"tas", size_step(ChannelSearchMode::Tas)},
          {"fbnet-v2 (mask_gumbel)", size_step(ChannelSearchMode::MaskGumbel)},
          {"tunas (mask_rl)", size_step(ChannelSearchMode::MaskRl)}};
}

void run_timing(const torch::Device& device, double seconds, bool cpu_timing, int cpu_threads) {
  std::printf("\n[timing] one search step (weight step + architecture step), %.1f s per row after warm-up\n", seconds);
  const std::vector<StepKind> steps = primary_steps();
  std::vector<double> summary_default(steps.size(), 0), summary_fp32(steps.size(), 0), summary_cpu(steps.size(), 0),
      summary_256(steps.size(), 0);
  const auto run_row = [&](const std::string& name, const std::string& setting, const torch::Device& dev,
                           const StepFactory& make, int batch, int warmup) -> double {
    try {
      const std::function<void()> step = make(dev, batch);
      const Timing t = time_steps(dev, step, seconds, warmup, batch);
      std::printf("  %-24s %-44s batch %3d %8.0f images/s %8.2f ms/step (%d steps)\n", name.c_str(), setting.c_str(),
                  batch, t.images_per_s, t.ms_per_step, t.steps);
      std::fflush(stdout);
      return t.images_per_s;
    } catch (const std::exception& e) {
      fail("timing " + name + " [" + setting + "] threw: " + e.what());
      return 0;
    }
  };
  const std::string dev_name = device.str();
  const bool cuda = device.is_cuda();
  if (cuda) set_tf32(true);  // LibTorch's default: cuDNN convolutions may use TF32
  const std::string default_setting = cuda ? dev_name + ", default math (cuDNN TF32 allowed)" : dev_name;
  for (std::size_t i = 0; i < steps.size(); ++i)
    summary_default[i] = run_row(steps[i].name, default_setting, device, steps[i].make, kBatch, 5);
  if (cuda) {
    set_tf32(false);
    for (std::size_t i = 0; i < steps.size(); ++i)
      summary_fp32[i] = run_row(steps[i].name, dev_name + ", TF32 off", device, steps[i].make, kBatch, 5);
    set_tf32(true);
    // Does the device saturate at batch 64? (images/s rising with the batch means per-step overhead dominates.)
    for (std::size_t i = 0; i < steps.size(); ++i)
      summary_256[i] = run_row(steps[i].name, default_setting, device, steps[i].make, 256, 3);
  }
  // The CPU benchmark's other topology variant (contiguous is in the rows above).
  for (SupernetMode mode : {SupernetMode::Joint, SupernetMode::Gdas}) {
    run_row(mode == SupernetMode::Joint ? "darts-v1 (joint)" : "gdas", dev_name + ", channels-last", device,
            topology_step(mode, true), kBatch, 5);
  }
  int threads = 0;
  if (cpu_timing && cuda) {
    threads = set_cpu_threads(cpu_threads);
    for (std::size_t i = 0; i < steps.size(); ++i)
      summary_cpu[i] = run_row(steps[i].name, "cpu, " + std::to_string(threads) + " threads", torch::kCPU, steps[i].make,
                               kBatch, 1);
  }

  std::printf("\n[summary] images/s, one search step%s\n", cuda ? "" : " (cpu)");
  if (cuda) {
    std::printf("  %-24s %14s %14s %14s %14s\n", "method", "cuda b64", "cuda b64 fp32", "cuda b256",
                threads > 0 ? ("cpu b64 " + std::to_string(threads) + "t").c_str() : "cpu");
    for (std::size_t i = 0; i < steps.size(); ++i)
      std::printf("  %-24s %14.0f %14.0f %14.0f %14.0f\n", steps[i].name.c_str(), summary_default[i], summary_fp32[i],
                  summary_256[i], summary_cpu[i]);
  } else {
    for (std::size_t i = 0; i < steps.size(); ++i)
      std::printf("  %-24s %14.0f\n", steps[i].name.c_str(), summary_default[i]);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string device_name = "cuda";
  double seconds = 2.0;
  std::uint64_t seed = 0;
  int cpu_threads = 0;
  bool timing = true, cpu_timing = true;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "error: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--device") {
      device_name = value();
    } else if (arg == "--seconds") {
      seconds = std::stod(value());
    } else if (arg == "--seed") {
      seed = std::stoull(value());
    } else if (arg == "--cpu-threads") {
      cpu_threads = std::stoi(value());
    } else if (arg == "--no-timing") {
      timing = false;
    } else if (arg == "--no-cpu-timing") {
      cpu_timing = false;
    } else {
      std::fprintf(stderr, "error: unknown argument '%s'\n", arg.c_str());
      return 2;
    }
  }
  torch::Device device = torch::kCPU;
  try {
    device = select_device(device_name);
  } catch (const nas::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  const int threads = set_cpu_threads(cpu_threads);
  std::printf("cuda_check: LibTorch %s, device %s, cuda available %d (%d devices), cuDNN %d, %d CPU threads\n",
              TORCH_VERSION, describe_device(device).c_str(), torch::cuda::is_available() ? 1 : 0,
              static_cast<int>(torch::cuda::device_count()), torch::cuda::cudnn_is_available() ? 1 : 0, threads);

  if (device.is_cuda()) set_tf32(false);
  compare_topology(device, seed);
  compare_size(device, seed);
  if (timing) run_timing(device, seconds, cpu_timing, cpu_threads);

  std::printf("\n%s: %d mismatch(es)\n", g_failures == 0 ? "PASS" : "FAIL", g_failures);
  return g_failures == 0 ? 0 : 1;
}

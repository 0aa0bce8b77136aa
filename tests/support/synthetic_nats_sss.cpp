// The synthetic size-space benchmark in the official format (test support; see the header).
#include "synthetic_nats_sss.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "nas/benchmark_api/cost_model.h"
#include "nas/benchmark_api/size_space.h"
#include "pickle_writer.h"

namespace nas::test {
namespace {

using bench::Dataset;
using bench::EvalSet;

/// The dataset keys in the order the official records list them.
constexpr std::array<Dataset, 4> kKeys{Dataset::Cifar10Valid, Dataset::Cifar10, Dataset::Cifar100,
                                       Dataset::ImageNet16_120};

/// The sets each key evaluates on, in the official records' order.
std::vector<EvalSet> eval_sets(Dataset key) {
  switch (key) {
    case Dataset::Cifar10Valid: return {EvalSet::XValid, EvalSet::OriTest};
    case Dataset::Cifar10: return {EvalSet::OriTest};
    default: return {EvalSet::XValid, EvalSet::XTest, EvalSet::OriTest};
  }
}

// ---- deterministic noise --------------------------------------------------------------------------

std::uint64_t mix(std::uint64_t z) {  // splitmix64's finalizer
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// A uniform number in (0, 1) that depends only on `parts`.
double uniform(std::initializer_list<std::uint64_t> parts) {
  std::uint64_t h = 0x5DEECE66DULL;
  for (std::uint64_t p : parts) h = mix(h ^ mix(p));
  return (static_cast<double>(h >> 11) + 0.5) * 0x1.0p-53;
}

/// A standard normal number that depends only on (stream, a, b, c, d, e) (Box-Muller).
double normal(std::uint64_t stream, std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0, std::uint64_t d = 0,
              std::uint64_t e = 0) {
  const double u1 = uniform({stream, a, b, c, d, e, 1});
  const double u2 = uniform({stream, a, b, c, d, e, 2});
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

enum Stream : std::uint64_t { kArchTerm = 11, kProxyError = 12, kTrialNoise = 13 };

// ---- the accuracy model ---------------------------------------------------------------------------

/// How good the widths are, in [-0.4, 1]: each layer's width w in [0, 1] (8 -> 0, 64 -> 1) counts
/// with diminishing returns, later cells most; neighbouring layers of very different widths cost.
double width_quality(std::uint32_t index) {
  const bench::SssArch arch = bench::sss_arch_at(index);
  constexpr std::array<double, bench::kSssNumLayers> kWeight{0.15, 0.15, 0.25, 0.15, 0.30};
  double quality = 0, imbalance = 0;
  for (int k = 0; k < bench::kSssNumLayers; ++k) {
    const double w = arch.choice[k] / 7.0;
    quality += kWeight[k] * (1 - (1 - w) * (1 - w));
    if (k + 1 < bench::kSssNumLayers) imbalance += std::pow(w - arch.choice[k + 1] / 7.0, 2);
  }
  return quality - 0.1 * imbalance;
}

/// hp-90 accuracy of a set at width quality 0 (`floor`) and what quality 1 adds (`gain`).
struct SetModel {
  double floor, gain;
};

SetModel set_model(Dataset key, EvalSet set) {
  switch (key) {
    case Dataset::Cifar10Valid: return set == EvalSet::XValid ? SetModel{76.5, 14.0} : SetModel{79.5, 13.5};
    case Dataset::Cifar10: return {80.0, 13.5};
    case Dataset::Cifar100: return set == EvalSet::XValid ? SetModel{48.0, 23.0} : SetModel{48.3, 23.0};
    case Dataset::ImageNet16_120: return set == EvalSet::XValid ? SetModel{24.0, 21.0} : SetModel{24.4, 21.0};
  }
  return {50.0, 10.0};
}

/// How far a schedule and epoch is from the full training: the share of the floor it has not reached
/// yet, how much of the width gain shows, and how noisy one trial is.
struct Fidelity {
  double deficit, gain_scale, trial_noise;
  bool proxy;  ///< short schedules carry the per-config proxy error
};

Fidelity fidelity(int hp, int epoch) {
  if (hp == 90) return {0.0, 1.0, 0.15, false};
  if (hp == 1) return {0.33, 0.55, 0.5, true};
  if (epoch >= 11) return {0.09, 0.9, 0.35, true};
  if (epoch >= 3) return {0.20, 0.75, 0.35, true};
  return {0.38, 0.5, 0.35, true};
}

double clamp_accuracy(double v) { return std::clamp(v, 1.0, 99.8); }

double eval_accuracy(std::uint32_t index, Dataset key, EvalSet set, int hp, int epoch, int seed) {
  const SetModel m = set_model(key, set);
  const Fidelity f = fidelity(hp, epoch);
  const auto k = static_cast<std::uint64_t>(key);
  double acc = m.floor * (1 - f.deficit) + m.gain * f.gain_scale * width_quality(index) + 0.6 * normal(kArchTerm, index);
  if (f.proxy) acc += 0.7 * normal(kProxyError, index, k);
  acc += f.trial_noise * normal(kTrialNoise, index, k, static_cast<std::uint64_t>(set), static_cast<std::uint64_t>(hp),
                                (static_cast<std::uint64_t>(epoch) << 20) | static_cast<std::uint64_t>(seed));
  return clamp_accuracy(acc);
}

double synthetic_loss(double accuracy) { return 0.02 + 1.1 * -std::log(std::clamp(accuracy / 100.0, 0.01, 0.999)); }
double synthetic_top5(double accuracy) { return 100.0 - (100.0 - accuracy) * 0.25; }

bench::NetworkCost cost_of(std::uint32_t index, Dataset key) {
  return bench::sss_network_cost(bench::sss_arch_at(index), bench::dataset_num_classes(key),
                                 bench::dataset_image_size(key));
}

// ---- the records ----------------------------------------------------------------------------------

std::string hp_key(int hp) {
  char text[8];
  std::snprintf(text, sizeof text, "%02d", hp);
  return text;
}

std::string seed_text(int seed) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d", seed);
  return text;
}

void write_record(PickleWriter& w, std::uint32_t index, const std::string& arch, Dataset key, int hp, int seed) {
  const std::vector<int> last{hp - 1};
  const std::vector<EvalSet> sets = eval_sets(key);
  const bench::NetworkCost cost = cost_of(index, key);
  const std::string name(bench::dataset_name(key));
  auto train_series = [&](const char* field, auto value_at) {
    w.string(field).begin_dict();
    for (int e : last) w.integer(e).floating(value_at(e));
    w.end_dict();
  };
  auto train_accuracy = [&](int e) {
    return std::min(99.9, synthetic_sss_accuracy(index, key, EvalSet::Train, hp, e, seed));
  };
  w.begin_dict();
  w.string("name").string(name);
  train_series("train_acc1es", train_accuracy);
  train_series("train_acc5es", [&](int e) { return synthetic_top5(train_accuracy(e)); });
  train_series("train_losses", [&](int e) { return synthetic_loss(train_accuracy(e)); });
  train_series("train_times", [&](int) { return synthetic_sss_train_seconds(index, key); });
  w.string("arch_config").begin_dict();
  w.string("name").string("infer.shape.tiny");
  w.string("channels").string(arch);
  w.string("arch_str").string(arch);
  w.string("genotype").string(bench::kSssCellArch);
  w.string("class_num").integer(bench::dataset_num_classes(key));
  w.end_dict();
  w.string("params").floating(cost.params_m);
  w.string("flop").floating(cost.flops_m);
  w.string("seed").string(seed_text(seed));
  w.string("epochs").integer(hp);
  w.string("latency").begin_list().floating(0.004 + 0.0002 * cost.flops_m).end_list();
  w.string("eval_names").begin_list();
  for (EvalSet set : sets) w.string(bench::eval_set_name(set));
  w.end_list();
  // The official keys: set-major, epochs ascending ("x-valid@0", "x-valid@3", "x-valid@11", "ori-test@11").
  auto eval_series = [&](const char* field, bool curves, auto value_at) {
    w.string(field).begin_dict();
    for (EvalSet set : sets) {
      for (int e : curves && set == EvalSet::XValid ? synthetic_sss_valid_epochs(hp) : last) {
        w.string(std::string(bench::eval_set_name(set)) + "@" + std::to_string(e)).floating(value_at(set, e));
      }
    }
    w.end_dict();
  };
  eval_series("eval_acc1es", true, [&](EvalSet set, int e) { return synthetic_sss_accuracy(index, key, set, hp, e, seed); });
  eval_series("eval_times", false, [&](EvalSet set, int) { return synthetic_sss_eval_seconds(index, key, set); });
  eval_series("eval_losses", false,
              [&](EvalSet set, int e) { return synthetic_loss(synthetic_sss_accuracy(index, key, set, hp, e, seed)); });
  w.string("net_state_dict").none();
  w.end_dict();
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string arch_file_name(std::uint32_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "%06u.pickle.pbz2", static_cast<unsigned>(index));
  return name;
}

}  // namespace

std::vector<int> synthetic_sss_seeds(int hp) {
  if (hp == 12) return {777, 888, 999};
  return {777};
}

std::vector<int> synthetic_sss_valid_epochs(int hp) {
  if (hp == 12) return {0, 3, 11};
  return {hp - 1};
}

double synthetic_sss_accuracy(std::uint32_t index, Dataset key, EvalSet set, int hp, int epoch, int seed) {
  if (set == EvalSet::Train) {
    // Training accuracy runs ahead of the first evaluation set's.
    return clamp_accuracy(eval_accuracy(index, key, eval_sets(key).front(), hp, epoch, seed) + 5.0);
  }
  if (set == EvalSet::OriTest && key != Dataset::Cifar10 && key != Dataset::Cifar10Valid) {
    return (eval_accuracy(index, key, EvalSet::XValid, hp, epoch, seed) +
            eval_accuracy(index, key, EvalSet::XTest, hp, epoch, seed)) / 2;
  }
  return eval_accuracy(index, key, set, hp, epoch, seed);
}

double synthetic_sss_train_seconds(std::uint32_t index, Dataset key) {
  return bench::dataset_num_train_images(key) / 25000.0 * (1.5 + 0.08 * cost_of(index, key).flops_m);
}

double synthetic_sss_eval_seconds(std::uint32_t index, Dataset key, EvalSet set) {
  return bench::eval_set_num_images(key, set) / 10000.0 * (0.3 + 0.015 * cost_of(index, key).flops_m);
}

std::string synthetic_sss_arch_pickle(std::uint32_t index) {
  const std::string arch = bench::format_sss_arch(bench::sss_arch_at(index));
  PickleWriter w;
  w.begin_dict();
  for (int hp : {1, 12, 90}) {
    w.string(hp_key(hp)).begin_dict();
    w.string("arch_index").integer(index);
    w.string("arch_str").string(arch);
    w.string("all_results").begin_dict();
    for (int seed : synthetic_sss_seeds(hp)) {
      for (Dataset key : kKeys) {
        w.begin_tuple().string(bench::dataset_name(key)).integer(seed).end_tuple();
        write_record(w, index, arch, key, hp, seed);
      }
    }
    w.end_dict();
    w.string("dataset_seed").begin_dict();
    for (Dataset key : kKeys) {
      w.string(bench::dataset_name(key)).begin_list();
      for (int seed : synthetic_sss_seeds(hp)) w.integer(seed);
      w.end_list();
    }
    w.end_dict();
    w.string("clear_net_done").boolean(true);
    w.end_dict();
  }
  w.end_dict();
  return w.finish();
}

std::string synthetic_sss_meta_pickle() {
  PickleWriter w;
  w.begin_dict();
  w.string("meta_archs").begin_list();
  for (std::uint32_t i = 0; i < bench::kSssNumArchs; ++i) w.string(bench::format_sss_arch(bench::sss_arch_at(i)));
  w.end_list();
  w.string("total_archs").integer(bench::kSssNumArchs);
  w.string("arch2infos").none();
  w.string("evaluated_indexes").empty_set();
  w.end_dict();
  return w.finish();
}

void write_synthetic_sss_directory(const std::string& dir, int threads) {
  std::filesystem::create_directories(dir);
  write_file(dir + "/meta.pickle.pbz2", bzip2_compress(synthetic_sss_meta_pickle()));
  std::atomic<std::uint32_t> next{0};
  std::mutex mutex;
  std::exception_ptr failure;
  auto worker = [&] {
    for (std::uint32_t i = next++; i < bench::kSssNumArchs; i = next++) {
      try {
        // Records are ~20 kB: the smallest bzip2 block size compresses them the same, much faster.
        write_file(dir + "/" + arch_file_name(i), bzip2_compress(synthetic_sss_arch_pickle(i), 1));
      } catch (...) {
        const std::lock_guard<std::mutex> lock(mutex);
        if (!failure) failure = std::current_exception();
        next = bench::kSssNumArchs;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(worker);
  worker();
  for (auto& thread : pool) thread.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace nas::test

// Image data for weight-sharing search: readers for the formats users have, the benchmark's splits
// and transforms, and batch streams that keep the next batch ready while the current one trains.
//
//   const SearchData data = load_search_data(DataName::Cifar10, "/data/cifar10");
//   SearchBatchStream stream(data, /*batch=*/64, torch::kCPU, /*seed=*/7);   // one epoch per reset()
//   while (auto batch = stream.next()) { batch->train_images; batch->arch_images; ... }
//   EvalBatchStream valid(data.arch_pool(), data.valid, data.normalization, 512, torch::kCPU);
//
// Formats (auto-detected under the data root, see README "Data sets"):
//   CIFAR-10   data_batch_{1..5}.bin + test_batch.bin (binary), or cifar-10-batches-py/ (pickles)
//   CIFAR-100  train.bin + test.bin (binary), or cifar-100-python/ (pickles; fine labels)
//   ImageNet16-120  train_data_batch_{1..10} + val_data (downsampled-ImageNet pickles, 1-based
//              labels, classes 1..120 kept)
//   Fashion-MNIST  {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz (Debian dataset-fashion-mnist),
//              or the same files gunzipped
// Each format is looked for in the root itself and in its usual folder name below it (for example
// ROOT/cifar-10-batches-py, ROOT/cifar-100-python, ROOT/fashion-mnist); when nothing is found the
// error lists every place tried. A missing or malformed file (truncated, wrong size, wrong magic, a
// label out of range, an unreadable pickle) is a nas::Error naming the file and what was expected.
// The readers accept any number of images in a well-formed file, not only the official counts.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nas/benchmark_api/datasets.h"
#include "nas/benchmark_api/space.h"

namespace nas::supernet {

enum class DataName { Cifar10, Cifar100, ImageNet16_120, FashionMnist };
/// "cifar10", "cifar100", "ImageNet16-120", "fashion-mnist"; parse throws nas::Error.
std::string data_name(DataName name);
DataName parse_data_name(const std::string& text);
/// The images a benchmark dataset key trains on (cifar10-valid and cifar10: CIFAR-10).
DataName data_of(bench::Dataset dataset);

/// Decoded images: uint8 [N, C, H, W] contiguous, labels int64 [N] in [0, num_classes).
struct LabeledImages {
  torch::Tensor images;
  torch::Tensor labels;
  int num_classes = 0;
  std::int64_t size() const { return labels.size(0); }
};

/// Per-channel mean and std (in [0, 1] units) and the training augmentation of a data set.
struct Normalization {
  std::vector<float> mean, std;
  int crop_padding = 4;  ///< random crop after zero padding (CIFAR 4, ImageNet16 2, Fashion-MNIST 2)
  bool horizontal_flip = true;
};
Normalization normalization_of(DataName name);

LabeledImages read_train_images(DataName name, const std::string& root);
LabeledImages read_test_images(DataName name, const std::string& root);

/// The three index sets of a search (reference §5.0), all into `pool`:
///   train: the weight-training part; arch: the architecture part (drawn with replacement, with the
///   training augmentation); valid: the set candidates are ranked on (test transform).
/// CIFAR-10: pool = train set, train / arch = NATS-Bench's cifar-split halves (random.seed(1021)),
/// valid = arch. CIFAR-100, ImageNet16-120: train = train set; arch = valid = x-valid half of the
/// test set. Fashion-MNIST (no benchmark): train = train set; arch = valid = a seeded half of test.
///
/// x-valid of CIFAR-100 / ImageNet16-120: read from NATS-Bench's own file when it is in the root
/// (ROOT/cifar100-test-split.txt, ROOT/imagenet-16-120-test-split.txt, JSON {"xvalid": ["int",
/// ["1", ...]], "xtest": [...]}); otherwise a reproducible stand-in that is NOT the official one: the
/// sorted first half of CPython's random.seed(0) shuffle of range(#test) (also Fashion-MNIST's half).
/// `split_source` says which was used, for result records.
struct SearchData {
  DataName name;
  LabeledImages train_pool, eval_pool;  ///< eval_pool holds the arch/valid images where they differ
  std::vector<std::int64_t> train, arch, valid;  ///< train indexes train_pool; arch/valid index arch_pool()
  bool arch_from_train_pool = false;             ///< CIFAR-10: arch/valid come from train_pool
  Normalization normalization;
  const LabeledImages& arch_pool() const { return arch_from_train_pool ? train_pool : eval_pool; }
  std::string split_source;  ///< where train/arch/valid came from (official file, NATS seed, derived)
};
SearchData load_search_data(DataName name, const std::string& root);

/// NATS-Bench's CIFAR-10 train/valid split (25k/25k): CPython random.seed(1021), shuffle
/// range(50000), first half sorted = train, second half sorted = valid. The indices refer to record
/// positions as stored: the shared CIFAR-10 copy (shared/data/cifar10) is not in the official record
/// order, so there they select different (equally random) images than NATS-Bench's halves.
std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> cifar10_search_split();

struct SearchBatch {
  torch::Tensor train_images, train_labels;  ///< float [B, C, H, W] normalized, augmented; int64 [B]
  torch::Tensor arch_images, arch_labels;
};

/// One epoch = the train indices shuffled, in batches (the last one may be smaller); each train
/// sample is paired with an arch sample drawn uniformly with replacement. Augmentation (flip, padded
/// random crop) runs as batched tensor ops; a background thread prepares the next batch.
/// Deterministic for a seed (independent of timing): epoch e's order and batch k's arch draws, flips
/// and crops derive from (seed, e, k) alone. The constructor starts the first epoch; `data` must
/// outlive the stream. Batches are contiguous float NCHW on `device`.
class SearchBatchStream {
 public:
  SearchBatchStream(const SearchData& data, int batch_size, torch::Device device, std::uint64_t seed);
  ~SearchBatchStream();
  /// Starts the next epoch.
  void reset();
  /// The next batch of the epoch, or nullopt at its end.
  std::optional<SearchBatch> next();
  std::int64_t batches_per_epoch() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Training a final network: one epoch = `indices` of `pool` shuffled, in batches with the training
/// augmentation (flip, padded random crop; as SearchBatchStream, deterministic for a seed, the next
/// batch prepared on a background thread). drop_last: an incomplete last batch is left out
/// (NAS-Bench-101's drop_remainder). One stream serves one epoch; `pool` must outlive it.
class TrainBatchStream {
 public:
  TrainBatchStream(const LabeledImages& pool, std::vector<std::int64_t> indices, const Normalization& norm,
                   int batch_size, bool drop_last, torch::Device device, std::uint64_t seed);
  ~TrainBatchStream();
  /// The next (images, labels) of the epoch, or nullopt at its end.
  std::optional<std::pair<torch::Tensor, torch::Tensor>> next();
  std::int64_t batches_per_epoch() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// What a benchmark trained a final network on for a dataset key, and the sets it evaluated:
///   NATS-Bench (tss, sss; reference §4.2): cifar10-valid = the 25k "train" half of the CIFAR-10
///     train records (cifar-split, CPython random.seed(1021)), x-valid = the other half, ori-test =
///     the test set; cifar10 = all 50k, ori-test; cifar100 and ImageNet16-120 = the whole train set,
///     x-valid and x-test = the halves of the test set (NATS's split file when in the data root,
///     else the stand-in of load_search_data), ori-test = the whole test set;
///   NAS-Bench-Macro: all 50k CIFAR-10 train images, ori-test = the test set;
///   NAS-Bench-101: train = records 0..39,999 (data_batch_1..4), x-valid = records 40,000..49,999
///     (data_batch_5), ori-test = the test set, and the "train accuracy" evaluation on records
///     0..9,999 (data_batch_1) with the test transform.
/// Record positions are as stored: the shared CIFAR-10 copy is not in the official order, so the
/// halves and batches hold other (equally random) images than the benchmarks'.
struct EvalSplit {
  std::string name;                ///< "x-valid", "x-test", "ori-test", "train-eval"
  std::optional<bench::EvalSet> set;  ///< the record's set (none for train-eval)
  const LabeledImages* pool = nullptr;
  std::vector<std::int64_t> indices;
};
struct TrainingData {
  DataName name = DataName::Cifar10;
  LabeledImages train_pool, test_pool;
  std::vector<std::int64_t> train;  ///< into train_pool
  std::vector<EvalSplit> eval;      ///< in the order the records list them; pools point into this object
  Normalization normalization;
  std::string split_source;
  std::uint64_t checksum = 0;  ///< XXH3-64 over the pixels and labels of both pools
  TrainingData() = default;
  TrainingData(const TrainingData&) = delete;  // eval pools point into the object
  TrainingData& operator=(const TrainingData&) = delete;
};
/// Reads the images under `root` (the readers above, errors naming the file) and builds the splits.
/// `normalization` replaces the data set's default (NAS-Bench-Macro and NAS-Bench-101 use their own).
std::unique_ptr<TrainingData> load_training_data(bench::Space space, bench::Dataset dataset, const std::string& root,
                                                 const std::optional<Normalization>& normalization = std::nullopt);

/// ToTensor + Normalize: uint8 [B, C, H, W] -> float (x / 255 - mean) / std, contiguous.
torch::Tensor normalize_images(const torch::Tensor& images, const Normalization& norm);

/// The training augmentation with explicit parameters (the streams draw them; exposed for tests and
/// custom pipelines): per image b, mirror left-right if flip[b] != 0, zero-pad by `padding`, and crop
/// H x W with the top-left corner at (offset_y[b], offset_x[b]), each in [0, 2 * padding]. Same
/// dtype and shape as `images` [B, C, H, W]; offsets (padding, padding) without flip is the identity.
torch::Tensor flip_and_crop(const torch::Tensor& images, const torch::Tensor& flip, const torch::Tensor& offset_y,
                            const torch::Tensor& offset_x, int padding);

/// The valid set with the test transform, in fixed order (batch 512 in the reference). `pool` must
/// outlive the stream.
class EvalBatchStream {
 public:
  EvalBatchStream(const LabeledImages& pool, std::vector<std::int64_t> indices, const Normalization& norm,
                  int batch_size, torch::Device device);
  std::int64_t num_batches() const;
  /// Batch k (images float normalized, labels int64); cycles when k >= num_batches().
  std::pair<torch::Tensor, torch::Tensor> batch(std::int64_t k) const;
  /// How many batches batch() has served so far: what an evaluation cost, in forward passes.
  std::int64_t batches_served() const { return served_; }

 private:
  const LabeledImages* pool_;
  std::vector<std::int64_t> indices_;
  Normalization norm_;
  int batch_size_;
  torch::Device device_;
  mutable std::int64_t served_ = 0;  // a count of calls, not state: batch() stays logically const
};

}  // namespace nas::supernet

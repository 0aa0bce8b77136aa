// The four training settings ("dataset keys") of NAS-Bench-201 / NATS-Bench and their evaluation sets.
//
// A benchmark record is always the result of training on one dataset key and evaluating on named
// sets. Getting these pairs wrong is the most common mistake with the Python API, so they are
// explicit enums here (see README "Datasets and splits"):
//
//   key            trained on                          eval sets recorded
//   cifar10-valid  CIFAR-10 train half "train" (25k)   x-valid (other 25k half), ori-test (10k)
//   cifar10        all 50k CIFAR-10 train images       ori-test (10k)
//   cifar100       all 50k CIFAR-100 train images      x-valid, x-test (5k halves of test), ori-test
//   ImageNet16-120 151,700 train images                x-valid, x-test (3k halves of val), ori-test
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace nas::bench {

enum class Dataset : std::uint8_t { Cifar10Valid = 0, Cifar10 = 1, Cifar100 = 2, ImageNet16_120 = 3 };
inline constexpr int kNumDatasets = 4;
inline constexpr std::array<Dataset, kNumDatasets> kAllDatasets{Dataset::Cifar10Valid, Dataset::Cifar10,
                                                                 Dataset::Cifar100, Dataset::ImageNet16_120};

/// The benchmark's name of a dataset key: "cifar10-valid", "cifar10", "cifar100", "ImageNet16-120".
std::string_view dataset_name(Dataset dataset);
/// Parses a dataset key name (exact, case-sensitive); throws nas::Error listing the valid names.
Dataset parse_dataset(std::string_view name);
int dataset_num_classes(Dataset dataset);
/// Input resolution: 32 for the CIFAR keys, 16 for ImageNet16-120.
int dataset_image_size(Dataset dataset);
/// Number of training images of the key (25,000 / 50,000 / 50,000 / 151,700).
int dataset_num_train_images(Dataset dataset);

/// The sets a trial records metrics on. `Train` holds the training loss/accuracy of each epoch.
enum class EvalSet : std::uint8_t { Train = 0, XValid = 1, XTest = 2, OriTest = 3 };
inline constexpr int kNumEvalSets = 4;

/// "train", "x-valid", "x-test", "ori-test" (the names used in the official records).
std::string_view eval_set_name(EvalSet set);
/// Parses one of the names above; throws nas::Error otherwise.
EvalSet parse_eval_set(std::string_view name);
/// Number of images in an evaluation set of a dataset key (0 if the key has no such set).
int eval_set_num_images(Dataset dataset, EvalSet set);

/// What a user means by "validation" and "test" accuracy, resolved to a (key, set) pair.
enum class Split : std::uint8_t { Valid = 0, Test = 1 };
struct MetricSource {
  Dataset dataset;
  EvalSet set;
};
// Which (key, set) a split of a dataset is read from is a fact of each space:
// SpaceDefinition::resolve_split (space.h).

}  // namespace nas::bench

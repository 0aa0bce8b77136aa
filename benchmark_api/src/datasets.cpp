// Dataset keys, evaluation sets and the valid/test resolution rule.
#include "nas/benchmark_api/datasets.h"

#include "nas/benchmark_api/error.h"

namespace nas::bench {
namespace {

constexpr std::array<std::string_view, kNumDatasets> kDatasetNames{"cifar10-valid", "cifar10", "cifar100",
                                                                   "ImageNet16-120"};
constexpr std::array<std::string_view, kNumEvalSets> kEvalSetNames{"train", "x-valid", "x-test", "ori-test"};

}  // namespace

std::string_view dataset_name(Dataset dataset) { return kDatasetNames[static_cast<int>(dataset)]; }

Dataset parse_dataset(std::string_view name) {
  for (int i = 0; i < kNumDatasets; ++i) {
    if (kDatasetNames[i] == name) return static_cast<Dataset>(i);
  }
  throw Error("unknown dataset '" + std::string(name) +
              "' (expected one of: cifar10, cifar10-valid, cifar100, ImageNet16-120)");
}

int dataset_num_classes(Dataset dataset) {
  switch (dataset) {
    case Dataset::Cifar10Valid:
    case Dataset::Cifar10: return 10;
    case Dataset::Cifar100: return 100;
    case Dataset::ImageNet16_120: return 120;
  }
  return 0;
}

int dataset_image_size(Dataset dataset) { return dataset == Dataset::ImageNet16_120 ? 16 : 32; }

int dataset_num_train_images(Dataset dataset) {
  switch (dataset) {
    case Dataset::Cifar10Valid: return 25000;
    case Dataset::Cifar10:
    case Dataset::Cifar100: return 50000;
    case Dataset::ImageNet16_120: return 151700;
  }
  return 0;
}

std::string_view eval_set_name(EvalSet set) { return kEvalSetNames[static_cast<int>(set)]; }

EvalSet parse_eval_set(std::string_view name) {
  for (int i = 0; i < kNumEvalSets; ++i) {
    if (kEvalSetNames[i] == name) return static_cast<EvalSet>(i);
  }
  throw Error("unknown evaluation set '" + std::string(name) + "' (expected train, x-valid, x-test or ori-test)");
}

int eval_set_num_images(Dataset dataset, EvalSet set) {
  if (set == EvalSet::Train) return dataset_num_train_images(dataset);
  switch (dataset) {
    case Dataset::Cifar10Valid:
      return set == EvalSet::XValid ? 25000 : set == EvalSet::OriTest ? 10000 : 0;
    case Dataset::Cifar10: return set == EvalSet::OriTest ? 10000 : 0;
    case Dataset::Cifar100: return set == EvalSet::OriTest ? 10000 : 5000;
    case Dataset::ImageNet16_120: return set == EvalSet::OriTest ? 6000 : 3000;
  }
  return 0;
}

}  // namespace nas::bench

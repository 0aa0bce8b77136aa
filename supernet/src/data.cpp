// Search splits, the benchmark's transforms as batched tensor ops, and the batch streams (the train
// stream prepares batch k+1 on a background thread while batch k trains). The file readers live in
// data_readers.cpp.
#include "nas/supernet/data.h"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>
#include <tuple>

#include "nas/benchmark_api/compressed_file.h"
#include "nas/benchmark_api/cpython_random.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/rng.h"
#include "nas/benchmark_api/store.h"

namespace nas::supernet {
namespace {

namespace fs = std::filesystem;

std::vector<std::int64_t> iota_indices(std::int64_t n) {
  std::vector<std::int64_t> indices(static_cast<std::size_t>(n));
  std::iota(indices.begin(), indices.end(), std::int64_t{0});
  return indices;
}

/// `random.seed(seed); random.shuffle(list(range(n)))`, split into the sorted first and second halves
/// (the first half has n / 2 elements), as NATS-Bench's generate_meta_info builds its split files.
std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> cpython_halves(std::int64_t n, std::uint32_t seed) {
  std::vector<std::int64_t> shuffled = iota_indices(n);
  bench::cpython_shuffle(shuffled, seed);
  const auto middle = shuffled.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::vector<std::int64_t> first(shuffled.begin(), middle), second(middle, shuffled.end());
  std::sort(first.begin(), first.end());
  std::sort(second.begin(), second.end());
  return {std::move(first), std::move(second)};
}

// ------------------------------------------------------------------------------------------------
// NATS-Bench split files: {"xvalid": ["int", ["1", "3", ...]], "xtest": ["int", [...]]} (JSON).

class SplitFileParser {
 public:
  SplitFileParser(std::string text, std::string path) : text_(std::move(text)), path_(std::move(path)) {}

  std::map<std::string, std::vector<std::int64_t>> parse() {
    std::map<std::string, std::vector<std::int64_t>> lists;
    expect('{');
    if (!accept('}')) {
      do {
        const std::string key = string();
        if (lists.count(key) != 0) fail("repeated key '" + key + "'");
        expect(':');
        expect('[');
        if (string() != "int") fail("the type of '" + key + "' is not \"int\"");
        expect(',');
        lists[key] = integers();
        expect(']');
      } while (accept(','));
      expect('}');
    }
    skip_space();
    if (pos_ != text_.size()) fail("trailing characters");
    return lists;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(path_ + ": malformed split file: " + what + " at byte " + std::to_string(pos_));
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])) != 0) ++pos_;
  }
  bool accept(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!accept(c)) fail(std::string("expected '") + c + "'");
  }
  std::string string() {
    expect('"');
    const std::size_t end = text_.find('"', pos_);
    if (end == std::string::npos) fail("unterminated string");
    std::string out = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return out;
  }
  /// A list of indices, each written as a string of digits (as NATS writes them) or as a number.
  std::vector<std::int64_t> integers() {
    std::vector<std::int64_t> out;
    expect('[');
    if (accept(']')) return out;
    do {
      skip_space();
      const bool quoted = accept('"');
      const std::size_t start = pos_;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_])) != 0) ++pos_;
      if (pos_ == start || pos_ - start > 12) fail("expected an index");
      out.push_back(std::stoll(text_.substr(start, pos_ - start)));
      if (quoted) expect('"');
    } while (accept(','));
    expect(']');
    return out;
  }

  std::string text_;
  std::string path_;
  std::size_t pos_ = 0;
};

/// The "xvalid" list of a NATS test-split file, checked against the test-set size.
std::vector<std::int64_t> read_xvalid(const std::string& path, std::int64_t test_size) {
  const auto lists = SplitFileParser(bench::read_file(path), path).parse();
  for (const auto& [key, values] : lists) {
    if (key != "xvalid" && key != "xtest") throw Error(path + ": unknown split '" + key + "' (expected xvalid, xtest)");
  }
  const auto xvalid = lists.find("xvalid");
  if (xvalid == lists.end() || xvalid->second.empty()) throw Error(path + ": no 'xvalid' indices");
  std::vector<char> seen(static_cast<std::size_t>(test_size), 0);
  for (const auto& [key, values] : lists) {
    for (const std::int64_t index : values) {
      if (index >= test_size) {
        throw Error(path + ": index " + std::to_string(index) + " in '" + key + "' is outside the " +
                    std::to_string(test_size) + " test images");
      }
      if (seen[static_cast<std::size_t>(index)]++ != 0) {
        throw Error(path + ": index " + std::to_string(index) + " appears twice");
      }
    }
  }
  std::vector<std::int64_t> sorted = xvalid->second;
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

/// The file NATS-Bench ships for a data set's x-valid / x-test halves, or "" (none for Fashion-MNIST).
std::string split_file_name(DataName name) {
  switch (name) {
    case DataName::Cifar100: return "cifar100-test-split.txt";
    case DataName::ImageNet16_120: return "imagenet-16-120-test-split.txt";
    default: return "";
  }
}

/// The x-valid / x-test halves of a test set (CIFAR-100, ImageNet16-120; Fashion-MNIST), sorted:
/// from NATS-Bench's split file in `root` when it is there, else the reproducible stand-in.
struct TestHalves {
  std::vector<std::int64_t> xvalid, xtest;
  std::string source;
};
TestHalves test_halves(DataName name, const std::string& root, std::int64_t test_size) {
  TestHalves halves;
  const std::string file = split_file_name(name);
  const fs::path split_path = fs::path(root) / file;
  std::error_code error;
  if (!file.empty() && fs::is_regular_file(split_path, error)) {
    halves.xvalid = read_xvalid(split_path.string(), test_size);
    halves.source = "x-valid from " + split_path.string();
  } else {
    // Without NATS's split file, a reproducible stand-in: NOT the official x-valid images.
    halves.xvalid = cpython_halves(test_size, 0).first;
    halves.source = "derived x-valid: first half of CPython random.seed(0) shuffle of the test set" +
                    (file.empty() ? std::string() : " (not NATS's " + file + "; put it in " + root + " to use it)");
  }
  std::vector<char> in_valid(static_cast<std::size_t>(test_size), 0);
  for (const std::int64_t i : halves.xvalid) in_valid[static_cast<std::size_t>(i)] = 1;
  for (std::int64_t i = 0; i < test_size; ++i) {
    if (in_valid[static_cast<std::size_t>(i)] == 0) halves.xtest.push_back(i);
  }
  return halves;
}

// ------------------------------------------------------------------------------------------------
// Seeds for the batch streams: every batch's randomness derives from (seed, epoch, batch) alone, so
// the result does not depend on when the background thread runs.

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::uint64_t derived_seed(std::uint64_t seed, std::uint64_t epoch, std::uint64_t stream) {
  return splitmix64(splitmix64(splitmix64(seed) ^ epoch) ^ stream);
}

constexpr std::uint64_t kOrderStream = ~std::uint64_t{0};  // the epoch's order; batches use their index

/// Makes this thread's ATen ops single-threaded. The batch worker runs beside the training thread,
/// which already keeps the intra-op threads busy; a second OpenMP team on the same cores cost more
/// than it saved (batch 64, 2 cores: +3.3 ms per training step with it, +1.5 ms without). OpenMP's
/// thread count is per calling thread, so this leaves the training thread's setting alone. A build
/// without OpenMP (no omp_set_num_threads loaded) keeps its shared pool.
void use_one_intra_op_thread() {
  (void)at::get_num_threads();  // ATen's per-thread initialisation first: it would reset the count set below
  void* const symbol = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
  if (symbol == nullptr) return;
  void (*set_threads)(int) = nullptr;
  std::memcpy(&set_threads, &symbol, sizeof set_threads);  // object to function pointer, without a cast
  set_threads(1);
}

torch::Tensor index_tensor(const std::vector<std::int64_t>& indices) {
  return torch::tensor(torch::ArrayRef<std::int64_t>(indices), torch::kLong);
}

/// Per-channel constants as float [1, C, 1, 1].
torch::Tensor channel_tensor(const std::vector<float>& values) {
  return torch::tensor(torch::ArrayRef<float>(values), torch::kFloat).view({1, -1, 1, 1});
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Splits

std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> cifar10_search_split() {
  constexpr std::int64_t kCifar10Train = 50000;
  constexpr std::uint32_t kNatsSplitSeed = 1021;
  return cpython_halves(kCifar10Train, kNatsSplitSeed);
}

SearchData load_search_data(DataName name, const std::string& root) {
  SearchData data;
  data.name = name;
  data.normalization = normalization_of(name);
  data.train_pool = read_train_images(name, root);
  if (name == DataName::Cifar10) {
    // NATS-Bench's cifar-split halves index the official record order. They are applied to the
    // records as stored: with a copy in another order (such as the shared one here, whose order is
    // documented as not the official one) the halves hold different, equally random images.
    if (data.train_pool.size() != 50000) {
      throw Error("CIFAR-10 under " + root + " has " + std::to_string(data.train_pool.size()) +
                  " train images; the NATS-Bench search split needs all 50,000");
    }
    auto [train, valid] = cifar10_search_split();
    data.train = std::move(train);
    data.arch = valid;
    data.valid = std::move(valid);
    data.arch_from_train_pool = true;
    data.eval_pool.images = torch::empty({0, 3, 32, 32}, torch::kUInt8);
    data.eval_pool.labels = torch::empty({0}, torch::kLong);
    data.eval_pool.num_classes = data.train_pool.num_classes;
    data.split_source = "NATS-Bench cifar-split halves (CPython random.seed(1021)) of the train records as stored";
    return data;
  }
  data.eval_pool = read_test_images(name, root);
  data.train = iota_indices(data.train_pool.size());
  TestHalves halves = test_halves(name, root, data.eval_pool.size());
  data.valid = std::move(halves.xvalid);
  data.split_source = std::move(halves.source);
  data.arch = data.valid;
  if (data.train.empty() || data.valid.empty()) throw Error(data_name(name) + " under " + root + ": too few images to search");
  return data;
}

DataName data_of(bench::Dataset dataset) {
  switch (dataset) {
    case bench::Dataset::Cifar10:
    case bench::Dataset::Cifar10Valid: return DataName::Cifar10;
    case bench::Dataset::Cifar100: return DataName::Cifar100;
    case bench::Dataset::ImageNet16_120: return DataName::ImageNet16_120;
  }
  return DataName::Cifar10;
}

namespace {

std::vector<std::int64_t> index_range(std::int64_t begin, std::int64_t end) {
  std::vector<std::int64_t> indices(static_cast<std::size_t>(end - begin));
  std::iota(indices.begin(), indices.end(), begin);
  return indices;
}

std::uint64_t pixels_checksum(const std::vector<const LabeledImages*>& pools) {
  std::string digests;
  for (const LabeledImages* pool : pools) {
    for (const torch::Tensor& t : {pool->images.contiguous(), pool->labels.contiguous()}) {
      const std::uint64_t h = bench::store_checksum(t.data_ptr(), static_cast<std::size_t>(t.nbytes()));
      digests.append(reinterpret_cast<const char*>(&h), sizeof h);
    }
  }
  return bench::store_checksum(digests.data(), digests.size());
}

}  // namespace

std::unique_ptr<TrainingData> load_training_data(bench::Space space, bench::Dataset dataset, const std::string& root,
                                                 const std::optional<Normalization>& normalization) {
  auto data = std::make_unique<TrainingData>();
  data->name = data_of(dataset);
  data->normalization = normalization ? *normalization : normalization_of(data->name);
  data->train_pool = read_train_images(data->name, root);
  data->test_pool = read_test_images(data->name, root);
  const std::int64_t train_size = data->train_pool.size(), test_size = data->test_pool.size();
  auto add = [&](const char* name, std::optional<bench::EvalSet> set, const LabeledImages& pool,
                 std::vector<std::int64_t> indices) {
    data->eval.push_back(EvalSplit{name, set, &pool, std::move(indices)});
  };
  auto require_train_size = [&](std::int64_t n, const char* why) {
    if (train_size != n) {
      throw Error(data_name(data->name) + " under " + root + " has " + std::to_string(train_size) + " train images; " +
                  why + " needs all " + std::to_string(n));
    }
  };
  if (space == bench::Space::Nb101) {
    require_train_size(50000, "NAS-Bench-101's split (data_batch_1..4 train, data_batch_5 valid)");
    data->train = index_range(0, 40000);
    add("train-eval", std::nullopt, data->train_pool, index_range(0, 10000));
    add("x-valid", bench::EvalSet::XValid, data->train_pool, index_range(40000, 50000));
    add("ori-test", bench::EvalSet::OriTest, data->test_pool, index_range(0, test_size));
    data->split_source = "NAS-Bench-101's batches by record position: train 0..39999, valid 40000..49999, train-eval 0..9999";
  } else if (dataset == bench::Dataset::Cifar10Valid) {
    require_train_size(50000, "the NATS-Bench cifar-split");
    auto [train, valid] = cifar10_search_split();
    data->train = std::move(train);
    add("x-valid", bench::EvalSet::XValid, data->train_pool, std::move(valid));
    add("ori-test", bench::EvalSet::OriTest, data->test_pool, index_range(0, test_size));
    data->split_source = "NATS-Bench cifar-split halves (CPython random.seed(1021)) of the train records as stored";
  } else if (dataset == bench::Dataset::Cifar10) {
    data->train = index_range(0, train_size);
    add("ori-test", bench::EvalSet::OriTest, data->test_pool, index_range(0, test_size));
    data->split_source = "all train records; the test set";
  } else {
    data->train = index_range(0, train_size);
    TestHalves halves = test_halves(data->name, root, test_size);
    add("x-valid", bench::EvalSet::XValid, data->test_pool, std::move(halves.xvalid));
    add("x-test", bench::EvalSet::XTest, data->test_pool, std::move(halves.xtest));
    add("ori-test", bench::EvalSet::OriTest, data->test_pool, index_range(0, test_size));
    data->split_source = "all train records; " + halves.source + ", x-test its complement";
  }
  if (data->train.empty()) throw Error(data_name(data->name) + " under " + root + ": no training images");
  for (const EvalSplit& split : data->eval) {
    if (split.indices.empty()) throw Error(data_name(data->name) + " under " + root + ": the " + split.name + " set is empty");
  }
  data->checksum = pixels_checksum({&data->train_pool, &data->test_pool});
  return data;
}

// ------------------------------------------------------------------------------------------------
// Transforms

torch::Tensor normalize_images(const torch::Tensor& images, const Normalization& norm) {
  TORCH_CHECK(images.dim() == 4 && images.scalar_type() == torch::kUInt8, "normalize_images: uint8 [B, C, H, W] expected");
  TORCH_CHECK(images.size(1) == static_cast<std::int64_t>(norm.mean.size()) && norm.mean.size() == norm.std.size(),
              "normalize_images: channel count differs from the normalization's");
  // ToTensor then Normalize, in torchvision's order of float operations.
  return images.to(torch::kFloat).div_(255.0).sub_(channel_tensor(norm.mean)).div_(channel_tensor(norm.std));
}

torch::Tensor flip_and_crop(const torch::Tensor& images, const torch::Tensor& flip, const torch::Tensor& offset_y,
                            const torch::Tensor& offset_x, int padding) {
  TORCH_CHECK(images.dim() == 4 && padding >= 0, "flip_and_crop: [B, C, H, W] images and padding >= 0 expected");
  const std::int64_t batch = images.size(0), channels = images.size(1), height = images.size(2), width = images.size(3);
  const std::int64_t padded_width = width + 2 * padding;
  TORCH_CHECK(flip.numel() == batch && offset_y.numel() == batch && offset_x.numel() == batch,
              "flip_and_crop: one flip and offset pair per image expected");
  // One gather does both: output (y, x) of image b is padded (oy + y, ox + x), or, when flipped,
  // padded (oy + y, Wp - 1 - (ox + x)): flipping then padding symmetrically then cropping equals
  // cropping the padded image at mirrored columns.
  const torch::Tensor padded = torch::constant_pad_nd(images, {padding, padding, padding, padding}, 0);
  const auto options = torch::TensorOptions().dtype(torch::kLong);
  const torch::Tensor rows = offset_y.to(torch::kLong).view({batch, 1}) + torch::arange(height, options).view({1, height});
  torch::Tensor columns = offset_x.to(torch::kLong).view({batch, 1}) + torch::arange(width, options).view({1, width});
  columns = torch::where(flip.to(torch::kBool).view({batch, 1}), (padded_width - 1) - columns, columns);
  const torch::Tensor index = (rows.view({batch, height, 1}) * padded_width + columns.view({batch, 1, width}))
                                  .view({batch, 1, height * width})
                                  .expand({batch, channels, height * width});
  return padded.view({batch, channels, -1}).gather(2, index).view({batch, channels, height, width});
}

// ------------------------------------------------------------------------------------------------
// SearchBatchStream

/// The worker behind both train streams: batch k+1 is prepared on a background thread while batch
/// k trains. Without arch indices (a TrainBatchStream) the batches have no arch part.
struct BatchWorker {
  using Order = std::shared_ptr<const std::vector<std::int64_t>>;
  struct Job {
    std::int64_t epoch = 0, batch = 0;
    Order order;
  };
  struct Result {
    std::int64_t epoch = 0, batch = 0;
    std::optional<SearchBatch> value;
    std::exception_ptr error;
  };

  BatchWorker(SearchData source, int size, bool drop_last, torch::Device target, std::uint64_t stream_seed)
      : data(std::move(source)), batch_size(size), device(target), seed(stream_seed) {
    const auto n = static_cast<std::int64_t>(data.train.size());
    num_batches = drop_last ? n / batch_size : (n + batch_size - 1) / batch_size;
    start_epoch(0);
    worker = std::thread([this] { work(); });
  }

  ~BatchWorker() {
    {
      const std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    worker.join();
  }

  /// The epoch's train order (a seeded Fisher-Yates shuffle) and the request for its first batch.
  void start_epoch(std::int64_t new_epoch) {
    auto shuffled = std::make_shared<std::vector<std::int64_t>>(data.train);
    Rng rng(derived_seed(seed, static_cast<std::uint64_t>(new_epoch), kOrderStream));
    for (std::size_t i = shuffled->size(); i > 1; --i) std::swap((*shuffled)[i - 1], (*shuffled)[rng.uniform_int(i)]);
    epoch = new_epoch;
    next_batch = 0;
    order = std::move(shuffled);
    request_batch(0);
  }

  void request_batch(std::int64_t batch) {
    if (batch >= num_batches) return;
    {
      const std::lock_guard<std::mutex> lock(mutex);
      request = Job{epoch, batch, order};
    }
    wake.notify_all();
  }

  std::optional<SearchBatch> take_next() {
    if (next_batch >= num_batches) return std::nullopt;
    Result result;
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] { return ready && ready->epoch == epoch && ready->batch == next_batch; });
      result = std::move(*ready);
      ready.reset();
    }
    ++next_batch;
    request_batch(next_batch);  // prepared while the caller trains on this one
    if (result.error) std::rethrow_exception(result.error);
    return std::move(result.value);
  }

  void work() {
    use_one_intra_op_thread();
    while (true) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return stopping || request.has_value(); });
        if (stopping) return;
        job = std::move(*request);
        request.reset();
      }
      Result result{job.epoch, job.batch, std::nullopt, nullptr};
      try {
        result.value = make_batch(job);
      } catch (...) {
        result.error = std::current_exception();
      }
      {
        const std::lock_guard<std::mutex> lock(mutex);
        ready = std::move(result);  // a stale result (the epoch was reset meanwhile) is simply replaced
      }
      wake.notify_all();
    }
  }

  /// Batch `job.batch` of the epoch: a pure function of (seed, epoch, batch, order).
  SearchBatch make_batch(const Job& job) const {
    const torch::NoGradGuard no_grad;
    const std::vector<std::int64_t>& all = *job.order;
    const auto start = static_cast<std::size_t>(job.batch * batch_size);
    const std::size_t count = std::min(all.size() - start, static_cast<std::size_t>(batch_size));
    Rng rng(derived_seed(seed, static_cast<std::uint64_t>(job.epoch), static_cast<std::uint64_t>(job.batch)));

    const std::vector<std::int64_t> train(all.begin() + static_cast<std::ptrdiff_t>(start),
                                          all.begin() + static_cast<std::ptrdiff_t>(start + count));
    std::vector<std::int64_t> arch(data.arch.empty() ? 0 : count);
    for (std::int64_t& index : arch) index = data.arch[rng.uniform_int(data.arch.size())];  // with replacement

    SearchBatch batch;
    std::tie(batch.train_images, batch.train_labels) = augmented(data.train_pool, train, rng);
    if (!data.arch.empty()) std::tie(batch.arch_images, batch.arch_labels) = augmented(data.arch_pool(), arch, rng);
    return batch;
  }

  /// Gathers the images, draws each one's flip and crop offsets, augments, normalizes, moves.
  std::pair<torch::Tensor, torch::Tensor> augmented(const LabeledImages& pool, const std::vector<std::int64_t>& indices,
                                                    Rng& rng) const {
    const Normalization& norm = data.normalization;
    const auto count = static_cast<std::int64_t>(indices.size());
    const std::uint64_t offsets = 2 * static_cast<std::uint64_t>(norm.crop_padding) + 1;
    std::vector<std::int64_t> flip(indices.size()), offset_y(indices.size()), offset_x(indices.size());
    for (std::size_t i = 0; i < indices.size(); ++i) {
      flip[i] = static_cast<std::int64_t>(rng.uniform_int(2));  // drawn even without flipping: same stream
      offset_y[i] = static_cast<std::int64_t>(rng.uniform_int(offsets));
      offset_x[i] = static_cast<std::int64_t>(rng.uniform_int(offsets));
      if (!norm.horizontal_flip) flip[i] = 0;
    }
    const torch::Tensor index = index_tensor(indices);
    torch::Tensor images = pool.images.index_select(0, index);
    if (norm.crop_padding > 0 || norm.horizontal_flip) {
      images = flip_and_crop(images, index_tensor(flip), index_tensor(offset_y), index_tensor(offset_x),
                             norm.crop_padding);
    }
    TORCH_CHECK(images.size(0) == count, "augmented: batch size changed");
    return {normalize_images(images, norm).to(device), pool.labels.index_select(0, index).to(device)};
  }

  const SearchData data;  // shallow: the image tensors are shared
  const int batch_size;
  const torch::Device device;
  const std::uint64_t seed;
  std::int64_t num_batches = 0;

  // The consumer's position (touched by the caller's thread only).
  std::int64_t epoch = 0;
  std::int64_t next_batch = 0;
  Order order;

  // Shared with the worker, under `mutex`.
  std::mutex mutex;
  std::condition_variable wake;
  std::optional<Job> request;
  std::optional<Result> ready;
  bool stopping = false;
  std::thread worker;  // started at the end of the constructor, when everything above exists
};

struct SearchBatchStream::Impl : BatchWorker {
  using BatchWorker::BatchWorker;
};

SearchBatchStream::SearchBatchStream(const SearchData& data, int batch_size, torch::Device device, std::uint64_t seed) {
  if (batch_size <= 0) throw Error("batch size must be positive, got " + std::to_string(batch_size));
  if (data.train.empty() || data.arch.empty()) throw Error("search data without train or arch samples");
  const std::int64_t pool = data.arch_pool().size();
  for (const std::int64_t index : data.arch) {
    if (index < 0 || index >= pool) throw Error("arch index " + std::to_string(index) + " outside its pool");
  }
  for (const std::int64_t index : data.train) {
    if (index < 0 || index >= data.train_pool.size()) throw Error("train index " + std::to_string(index) + " outside its pool");
  }
  impl_ = std::make_unique<Impl>(data, batch_size, /*drop_last=*/false, device, seed);
}

SearchBatchStream::~SearchBatchStream() = default;

void SearchBatchStream::reset() { impl_->start_epoch(impl_->epoch + 1); }

std::optional<SearchBatch> SearchBatchStream::next() { return impl_->take_next(); }

std::int64_t SearchBatchStream::batches_per_epoch() const { return impl_->num_batches; }

// ------------------------------------------------------------------------------------------------
// TrainBatchStream

struct TrainBatchStream::Impl : BatchWorker {
  using BatchWorker::BatchWorker;
};

TrainBatchStream::TrainBatchStream(const LabeledImages& pool, std::vector<std::int64_t> indices, const Normalization& norm,
                                   int batch_size, bool drop_last, torch::Device device, std::uint64_t seed) {
  if (batch_size <= 0) throw Error("batch size must be positive, got " + std::to_string(batch_size));
  if (indices.empty()) throw Error("training data without images");
  if (drop_last && static_cast<std::int64_t>(indices.size()) < batch_size) {
    throw Error("batch size " + std::to_string(batch_size) + " is larger than the " + std::to_string(indices.size()) +
                " training images, and incomplete batches are dropped");
  }
  for (const std::int64_t index : indices) {
    if (index < 0 || index >= pool.size()) throw Error("train index " + std::to_string(index) + " outside its pool");
  }
  SearchData data;
  data.train_pool = pool;
  data.train = std::move(indices);
  data.normalization = norm;
  impl_ = std::make_unique<Impl>(std::move(data), batch_size, drop_last, device, seed);
}

TrainBatchStream::~TrainBatchStream() = default;

std::optional<std::pair<torch::Tensor, torch::Tensor>> TrainBatchStream::next() {
  std::optional<SearchBatch> batch = impl_->take_next();
  if (!batch) return std::nullopt;
  return std::make_pair(std::move(batch->train_images), std::move(batch->train_labels));
}

std::int64_t TrainBatchStream::batches_per_epoch() const { return impl_->num_batches; }

// ------------------------------------------------------------------------------------------------
// EvalBatchStream

EvalBatchStream::EvalBatchStream(const LabeledImages& pool, std::vector<std::int64_t> indices,
                                 const Normalization& norm, int batch_size, torch::Device device)
    : pool_(&pool), indices_(std::move(indices)), norm_(norm), batch_size_(batch_size), device_(device) {
  if (batch_size <= 0) throw Error("batch size must be positive, got " + std::to_string(batch_size));
  for (const std::int64_t index : indices_) {
    if (index < 0 || index >= pool.size()) throw Error("eval index " + std::to_string(index) + " outside its pool");
  }
}

std::int64_t EvalBatchStream::num_batches() const {
  return (static_cast<std::int64_t>(indices_.size()) + batch_size_ - 1) / batch_size_;
}

std::pair<torch::Tensor, torch::Tensor> EvalBatchStream::batch(std::int64_t k) const {
  if (indices_.empty()) throw Error("the evaluation set is empty");
  const torch::NoGradGuard no_grad;
  const std::int64_t wrapped = ((k % num_batches()) + num_batches()) % num_batches();
  ++served_;
  const auto start = static_cast<std::size_t>(wrapped * batch_size_);
  const std::size_t end = std::min(indices_.size(), start + static_cast<std::size_t>(batch_size_));
  const torch::Tensor index =
      index_tensor(std::vector<std::int64_t>(indices_.begin() + static_cast<std::ptrdiff_t>(start),
                                             indices_.begin() + static_cast<std::ptrdiff_t>(end)));
  return {normalize_images(pool_->images.index_select(0, index), norm_).to(device_),
          pool_->labels.index_select(0, index).to(device_)};
}

}  // namespace nas::supernet

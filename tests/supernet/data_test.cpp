// Image data layer: readers (real CIFAR-10 and Fashion-MNIST where present; every format on tiny
// synthetic files written here), splits, transforms, and the batch streams' guarantees.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/rng.h"
#include "nas/supernet/data.h"

namespace {

namespace fs = std::filesystem;
using namespace nas::supernet;

// ------------------------------------------------------------------------------------------------
// Helpers

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("nas_data_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

void write_file(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// The nas::Error message `action` throws, or "(no error)".
template <typename Action>
std::string error_of(Action&& action) {
  try {
    action();
  } catch (const nas::Error& error) {
    return error.what();
  }
  return "(no error)";
}

void append_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}
void append_be32(std::string& out, std::uint32_t value) {
  for (int i = 3; i >= 0; --i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

/// A synthetic pixel: byte j of image i, distinct enough to catch misplaced planes or records.
std::uint8_t pixel(std::int64_t image, std::int64_t j) { return static_cast<std::uint8_t>((image * 37 + j * 11 + 5) % 256); }

std::string pixels_of(std::int64_t first_image, std::int64_t count, std::int64_t per_image) {
  std::string out;
  for (std::int64_t i = 0; i < count; ++i) {
    for (std::int64_t j = 0; j < per_image; ++j) out += static_cast<char>(pixel(first_image + i, j));
  }
  return out;
}

/// Checks image i of `images` holds pixels_of(first_image + i, ...).
void expect_pixels(const torch::Tensor& images, std::int64_t first_image) {
  const torch::Tensor flat = images.reshape({images.size(0), -1});
  for (std::int64_t i = 0; i < flat.size(0); ++i) {
    const auto* row = flat[i].contiguous().data_ptr<std::uint8_t>();
    for (std::int64_t j = 0; j < flat.size(1); j += 97) {
      ASSERT_EQ(row[j], pixel(first_image + i, j)) << "image " << i << " byte " << j;
    }
    ASSERT_EQ(row[flat.size(1) - 1], pixel(first_image + i, flat.size(1) - 1));
  }
}

std::vector<std::int64_t> to_vector(const torch::Tensor& tensor) {
  const torch::Tensor values = tensor.to(torch::kLong).contiguous();
  return {values.data_ptr<std::int64_t>(), values.data_ptr<std::int64_t>() + values.numel()};
}

/// CIFAR binary records (label byte(s) + 3,072 pixels); CIFAR-100 gets coarse = fine / 5.
std::string cifar_records(const std::vector<int>& labels, std::int64_t first_image, bool cifar100) {
  std::string out;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (cifar100) out += static_cast<char>(labels[i] / 5);
    out += static_cast<char>(labels[i]);
    out += pixels_of(first_image + static_cast<std::int64_t>(i), 1, 3072);
  }
  return out;
}

/// Writes a CIFAR-10 binary set with `per_file` records per file; image k of the train set is
/// pixels_of(k), test image k is pixels_of(1000 + k); label of image k = k % 10.
void write_cifar10_binary(const fs::path& dir, int per_file) {
  for (int file = 0; file < 6; ++file) {
    std::vector<int> labels;
    const int first = file < 5 ? file * per_file : 1000;
    for (int i = 0; i < per_file; ++i) labels.push_back((first + i) % 10);
    const std::string name = file < 5 ? "data_batch_" + std::to_string(file + 1) + ".bin" : "test_batch.bin";
    write_file(dir / name, cifar_records(labels, first, false));
  }
}

// ------------------------------------------------------------------------------------------------
// A pickle writer emitting the opcode sequences Python writes for dicts of lists, strings and numpy
// arrays: Python 2's cPickle protocol 2 (the official CIFAR and downsampled-ImageNet files), Python
// 3's protocol 4 (FRAME, SHORT_BINUNICODE, STACK_GLOBAL, MEMOIZE, BINBYTES) and Python 3's protocol 2
// (BINUNICODE, and bytes as _codecs.encode(latin-1 text, "latin1")). Python loads all three (checked
// with a stand-in numpy module) into the same dicts.

class PickleWriter {
 public:
  enum class Style { Python2, Python3, Python3Protocol2 };

  explicit PickleWriter(Style style) : style_(style) {
    op(0x80);
    op(style == Style::Python3 ? 4 : 2);
    if (style == Style::Python3) {
      op(0x95);  // FRAME: a size hint the reader skips
      append_le(out_, 0, 8);
    }
  }

  std::string finish() {
    op('.');
    return out_;
  }
  std::string& raw() { return out_; }

  void begin_dict() {
    op('}');
    memoize();
    op('(');
  }
  void end_dict() { op('u'); }

  void str(const std::string& text) {
    if (style_ == Style::Python2) {
      if (text.size() < 256) {
        op('U');
        append_le(out_, text.size(), 1);
      } else {
        op('T');
        append_le(out_, text.size(), 4);
      }
    } else if (style_ == Style::Python3) {
      op(0x8c);
      append_le(out_, text.size(), 1);
    } else {
      op('X');
      append_le(out_, text.size(), 4);
    }
    out_ += text;
    memoize();
  }

  void bytes(const std::string& data) {
    if (style_ == Style::Python3Protocol2) {
      global("_codecs", "encode");
      std::string utf8;
      for (const char c : data) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x80) {
          utf8 += c;
        } else {
          utf8 += static_cast<char>(0xc0 | (byte >> 6));
          utf8 += static_cast<char>(0x80 | (byte & 0x3f));
        }
      }
      str(utf8);
      str("latin1");
      op(0x86);
      op('R');
      memoize();
      return;
    }
    op(style_ == Style::Python2 ? 'T' : 'B');
    append_le(out_, data.size(), 4);
    out_ += data;
    memoize();
  }

  void integer(std::int64_t value) {
    if (value >= 0 && value < 256) {
      op('K');
      append_le(out_, static_cast<std::uint64_t>(value), 1);
    } else if (value >= 0 && value < 65536) {
      op('M');
      append_le(out_, static_cast<std::uint64_t>(value), 2);
    } else {
      op('J');
      append_le(out_, static_cast<std::uint64_t>(value), 4);
    }
  }

  /// As pickle batches list items: MARK ... APPENDS per 1,000.
  void int_list(const std::vector<std::int64_t>& values) {
    op(']');
    memoize();
    for (std::size_t start = 0; start < values.size(); start += 1000) {
      op('(');
      for (std::size_t i = start; i < std::min(values.size(), start + 1000); ++i) integer(values[i]);
      op('e');
    }
  }

  void global(const std::string& module, const std::string& name) {
    if (style_ != Style::Python3) {
      op('c');
      out_ += module + "\n" + name + "\n";
    } else {
      str(module);
      str(name);
      op(0x93);
    }
    memoize();
  }

  /// numpy's __reduce__: _reconstruct(ndarray, (0,), b'b') then BUILD (1, shape, dtype, False, raw).
  void array(const std::vector<std::int64_t>& shape, const std::string& dtype, const std::string& raw,
             char byte_order = '|') {
    global("numpy.core.multiarray", "_reconstruct");
    global("numpy", "ndarray");
    integer(0);
    op(0x85);
    if (style_ == Style::Python2) {
      str("b");
    } else if (style_ == Style::Python3Protocol2) {
      bytes("b");
    } else {
      op('C');
      out_ += std::string("\x01") + "b";
      memoize();
    }
    op(0x87);
    op('R');
    memoize();
    op('(');
    integer(1);
    op('(');
    for (const std::int64_t d : shape) integer(d);
    op('t');
    global("numpy", "dtype");
    str(dtype);
    if (style_ == Style::Python2) {
      integer(0);
      integer(1);
    } else {
      op(0x89);
      op(0x88);
    }
    op(0x87);
    op('R');
    memoize();
    op('(');
    integer(3);
    str(std::string(1, byte_order));
    op('N');
    op('N');
    op('N');
    op('J');
    append_le(out_, 0xffffffffU, 4);
    op('J');
    append_le(out_, 0xffffffffU, 4);
    integer(0);
    op('t');
    op('b');
    op(0x89);
    bytes(raw);
    op('t');
    op('b');
  }

 private:
  void op(int code) { out_ += static_cast<char>(code); }
  void memoize() {
    if (style_ != Style::Python3) {
      op('q');
      append_le(out_, static_cast<std::uint64_t>(memo_ % 256), 1);
    } else {
      op(0x94);
    }
    ++memo_;
  }

  Style style_;
  std::string out_;
  int memo_ = 1;
};

using Style = PickleWriter::Style;

/// A pickled batch dict {"batch_label": ..., label_key: [...], "data": uint8 (N, row) [, "mean"]}.
std::string pickled_batch(Style style, const std::vector<std::int64_t>& labels, std::int64_t first_image,
                          std::int64_t row, const std::string& label_key, bool with_mean = false) {
  PickleWriter writer(style);
  writer.begin_dict();
  writer.str("batch_label");
  writer.str("synthetic batch");
  writer.str(label_key);
  writer.int_list(labels);
  writer.str("data");
  writer.array({static_cast<std::int64_t>(labels.size()), row}, "u1",
               pixels_of(first_image, static_cast<std::int64_t>(labels.size()), row));
  if (with_mean) {  // downsampled ImageNet's train batches also hold a float64 mean image
    writer.str("mean");
    writer.array({row}, "f8", std::string(static_cast<std::size_t>(row) * 8, '\0'), '<');
  }
  writer.end_dict();
  return writer.finish();
}

// ------------------------------------------------------------------------------------------------
// gzip without zlib in the test: "stored" deflate blocks plus the CRC-32 trailer.

std::uint32_t crc32_of(const std::string& data) {
  std::uint32_t crc = 0xffffffffU;
  for (const char c : data) {
    crc ^= static_cast<unsigned char>(c);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320U & (0U - (crc & 1U)));
  }
  return ~crc;
}

std::string gzip_stored(const std::string& data) {
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min<std::size_t>(65535, data.size() - pos);
    out += static_cast<char>(pos + n == data.size() ? 1 : 0);
    append_le(out, n, 2);
    append_le(out, ~n & 0xffff, 2);
    out += data.substr(pos, n);
    pos += n;
  } while (pos < data.size());
  append_le(out, crc32_of(data), 4);
  append_le(out, data.size(), 4);
  return out;
}

std::string idx_images(std::uint32_t count, std::int64_t first_image, std::uint32_t magic = 2051) {
  std::string out;
  append_be32(out, magic);
  append_be32(out, count);
  append_be32(out, 28);
  append_be32(out, 28);
  return out + pixels_of(first_image, count, 28 * 28);
}

std::string idx_labels(const std::vector<int>& labels) {
  std::string out;
  append_be32(out, 2049);
  append_be32(out, static_cast<std::uint32_t>(labels.size()));
  for (const int label : labels) out += static_cast<char>(label);
  return out;
}

// ------------------------------------------------------------------------------------------------
// The real CIFAR-10 copy (shared/data/cifar10), loaded once.

std::string cifar10_root() { return std::string(NAS_SHARED_DATA) + "/cifar10"; }
bool have_cifar10() { return fs::exists(cifar10_root() + "/data_batch_1.bin"); }

const SearchData& real_cifar10() {
  static const SearchData data = load_search_data(DataName::Cifar10, cifar10_root());
  return data;
}

/// Record index of an original CIFAR file name, from train_order.tsv.
std::int64_t record_of(const std::string& filename) {
  std::ifstream in(cifar10_root() + "/train_order.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > filename.size() && line.compare(line.size() - filename.size(), filename.size(), filename) == 0) {
      return std::stoll(line.substr(0, line.find('\t')));
    }
  }
  return -1;
}

// ------------------------------------------------------------------------------------------------
// Names and constants

TEST(DataNames, RoundTripAndUnknown) {
  for (const DataName name : {DataName::Cifar10, DataName::Cifar100, DataName::ImageNet16_120, DataName::FashionMnist}) {
    EXPECT_EQ(parse_data_name(data_name(name)), name);
  }
  EXPECT_EQ(data_name(DataName::ImageNet16_120), "ImageNet16-120");
  EXPECT_EQ(parse_data_name("imagenet16-120"), DataName::ImageNet16_120);
  EXPECT_NE(error_of([] { parse_data_name("mnist"); }).find("unknown data set 'mnist'"), std::string::npos);
}

TEST(DataNormalization, ReferenceConstants) {
  const Normalization c10 = normalization_of(DataName::Cifar10);
  ASSERT_EQ(c10.mean.size(), 3U);
  EXPECT_FLOAT_EQ(c10.mean[0], 125.3F / 255.0F);
  EXPECT_FLOAT_EQ(c10.std[2], 66.7F / 255.0F);
  EXPECT_EQ(c10.crop_padding, 4);
  EXPECT_TRUE(c10.horizontal_flip);
  EXPECT_FLOAT_EQ(normalization_of(DataName::Cifar100).mean[1], 124.1F / 255.0F);
  EXPECT_FLOAT_EQ(normalization_of(DataName::ImageNet16_120).std[0], 63.22F / 255.0F);
  EXPECT_EQ(normalization_of(DataName::ImageNet16_120).crop_padding, 2);
  const Normalization fashion = normalization_of(DataName::FashionMnist);
  EXPECT_EQ(fashion.mean.size(), 1U);
  EXPECT_EQ(fashion.crop_padding, 2);
}

TEST(DataNormalization, ConstantImageGivesPerChannelValue) {
  const Normalization norm = normalization_of(DataName::Cifar10);
  for (const int value : {0, 128, 255}) {
    const torch::Tensor image = torch::full({2, 3, 4, 5}, value, torch::kUInt8);
    const torch::Tensor out = normalize_images(image, norm);
    ASSERT_EQ(out.scalar_type(), torch::kFloat);
    ASSERT_TRUE(out.is_contiguous());
    for (int c = 0; c < 3; ++c) {
      const float expected = (static_cast<float>(value) / 255.0F - norm.mean[static_cast<std::size_t>(c)]) /
                             norm.std[static_cast<std::size_t>(c)];
      EXPECT_TRUE(torch::allclose(out.select(1, c), torch::full({2, 4, 5}, expected), 1e-6, 1e-6)) << value << " " << c;
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Splits

TEST(DataSplit, Cifar10SearchSplitMatchesNats) {
  const auto [train, valid] = cifar10_search_split();
  ASSERT_EQ(train.size(), 25000U);
  ASSERT_EQ(valid.size(), 25000U);
  EXPECT_EQ(std::vector<std::int64_t>(train.begin(), train.begin() + 4), (std::vector<std::int64_t>{0, 5, 7, 11}));
  EXPECT_EQ(std::vector<std::int64_t>(valid.begin(), valid.begin() + 5), (std::vector<std::int64_t>{1, 2, 3, 4, 6}));
  EXPECT_TRUE(std::is_sorted(train.begin(), train.end()));
  EXPECT_TRUE(std::is_sorted(valid.begin(), valid.end()));
  std::vector<std::int64_t> all(train);
  all.insert(all.end(), valid.begin(), valid.end());
  std::sort(all.begin(), all.end());
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], static_cast<std::int64_t>(i));
}

// ------------------------------------------------------------------------------------------------
// Real CIFAR-10

TEST(DataCifar10, CountsShapesAndClassBalance) {
  if (!have_cifar10()) GTEST_SKIP() << "no CIFAR-10 at " << cifar10_root();
  const LabeledImages& train = real_cifar10().train_pool;
  const LabeledImages test = read_test_images(DataName::Cifar10, cifar10_root());
  EXPECT_EQ(train.size(), 50000);
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(train.images.sizes(), (std::vector<std::int64_t>{50000, 3, 32, 32}));
  EXPECT_EQ(train.images.scalar_type(), torch::kUInt8);
  EXPECT_TRUE(train.images.is_contiguous());
  EXPECT_EQ(train.labels.scalar_type(), torch::kLong);
  EXPECT_EQ(train.num_classes, 10);
  EXPECT_EQ(to_vector(torch::bincount(train.labels)), std::vector<std::int64_t>(10, 5000));
  EXPECT_EQ(to_vector(torch::bincount(test.labels)), std::vector<std::int64_t>(10, 1000));
}

TEST(DataCifar10, LabelsAndKnownPixelsAtTheirRecords) {
  if (!have_cifar10()) GTEST_SKIP() << "no CIFAR-10 at " << cifar10_root();
  const LabeledImages& train = real_cifar10().train_pool;
  // Every label agrees with train_order.tsv (record, file, index, label, ...).
  std::ifstream in(cifar10_root() + "/train_order.tsv");
  std::string line;
  std::getline(in, line);  // header
  const std::vector<std::int64_t> labels = to_vector(train.labels);
  std::int64_t rows = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::int64_t record = 0, index = 0, label = 0;
    std::string file;
    fields >> record >> file >> index >> label;
    ASSERT_EQ(labels[static_cast<std::size_t>(record)], label) << line;
    ++rows;
  }
  EXPECT_EQ(rows, 50000);
  // Pixel values printed from the official python batches (SOURCE.md): first and last 3 bytes of
  // the R, G, B planes.
  const struct {
    const char* file;
    std::vector<std::int64_t> first, last;
    std::int64_t label;
  } known[] = {{"leptodactylus_pentadactylus_s_000004.png", {59, 43, 50}, {140, 84, 72}, 6},
               {"camion_s_000148.png", {154, 126, 105}, {139, 142, 144}, 9}};
  for (const auto& image : known) {
    const std::int64_t record = record_of(image.file);
    ASSERT_GE(record, 0) << image.file;
    const torch::Tensor flat = train.images[record].flatten();
    EXPECT_EQ(to_vector(flat.slice(0, 0, 3)), image.first) << image.file;
    EXPECT_EQ(to_vector(flat.slice(0, 3069)), image.last) << image.file;
    EXPECT_EQ(train.labels[record].item<std::int64_t>(), image.label);
  }
}

TEST(DataCifar10, SearchDataUsesNatsHalvesOfTheTrainSet) {
  if (!have_cifar10()) GTEST_SKIP() << "no CIFAR-10 at " << cifar10_root();
  const SearchData& data = real_cifar10();
  EXPECT_TRUE(data.arch_from_train_pool);
  EXPECT_EQ(&data.arch_pool(), &data.train_pool);
  EXPECT_EQ(data.train, cifar10_search_split().first);
  EXPECT_EQ(data.arch, cifar10_search_split().second);
  EXPECT_EQ(data.valid, data.arch);
  EXPECT_EQ(data.eval_pool.size(), 0);
  EXPECT_FALSE(data.split_source.empty());

  SearchBatchStream stream(data, 64, torch::kCPU, 1);
  EXPECT_EQ(stream.batches_per_epoch(), 391);  // ceil(25,000 / 64)
  const auto batch = stream.next();
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->train_images.sizes(), (std::vector<std::int64_t>{64, 3, 32, 32}));
  EXPECT_EQ(batch->arch_images.sizes(), (std::vector<std::int64_t>{64, 3, 32, 32}));
  EXPECT_EQ(batch->train_images.scalar_type(), torch::kFloat);
  EXPECT_EQ(batch->train_labels.scalar_type(), torch::kLong);

  const EvalBatchStream valid(data.arch_pool(), data.valid, data.normalization, 512, torch::kCPU);
  EXPECT_EQ(valid.num_batches(), 49);
  EXPECT_EQ(valid.batch(48).first.size(0), 25000 - 48 * 512);
}

// ------------------------------------------------------------------------------------------------
// Formats on synthetic files, and their errors

TEST(DataCifarBinary, Cifar10SyntheticRecordsLandInPlace) {
  TempDir dir;
  write_cifar10_binary(dir.path(), 3);
  const LabeledImages train = read_train_images(DataName::Cifar10, dir.str());
  ASSERT_EQ(train.size(), 15);
  expect_pixels(train.images, 0);
  EXPECT_EQ(to_vector(train.labels), (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4}));
  const LabeledImages test = read_test_images(DataName::Cifar10, dir.str());
  ASSERT_EQ(test.size(), 3);
  expect_pixels(test.images, 1000);
}

TEST(DataCifarBinary, ErrorsNameTheFileAndTheProblem) {
  TempDir dir;
  EXPECT_NE(error_of([&] { read_train_images(DataName::Cifar10, (dir.path() / "absent").string()); })
                .find("does not exist"),
            std::string::npos);
  const std::string nothing = error_of([&] { read_train_images(DataName::Cifar10, dir.str()); });
  EXPECT_NE(nothing.find("no cifar10 data under " + dir.str()), std::string::npos) << nothing;
  EXPECT_NE(nothing.find("data_batch_1.bin"), std::string::npos) << nothing;
  EXPECT_NE(nothing.find("cifar-10-batches-py"), std::string::npos) << nothing;

  write_cifar10_binary(dir.path(), 2);
  fs::remove(dir.path() / "data_batch_4.bin");
  const std::string missing = error_of([&] { read_train_images(DataName::Cifar10, dir.str()); });
  EXPECT_NE(missing.find((dir.path() / "data_batch_4.bin").string() + ": missing"), std::string::npos) << missing;

  write_cifar10_binary(dir.path(), 2);
  const fs::path third = dir.path() / "data_batch_3.bin";
  write_file(third, read_bytes(third).substr(0, 3073 + 1000));  // truncated inside record 2
  const std::string truncated = error_of([&] { read_train_images(DataName::Cifar10, dir.str()); });
  EXPECT_NE(truncated.find(third.string() + ": wrong size, 4,073 bytes is not a whole number of 3073-byte records"),
            std::string::npos)
      << truncated;

  write_cifar10_binary(dir.path(), 2);
  std::string bad = read_bytes(dir.path() / "test_batch.bin");
  bad[3073] = 10;  // label of record 1
  write_file(dir.path() / "test_batch.bin", bad);
  const std::string label = error_of([&] { read_test_images(DataName::Cifar10, dir.str()); });
  EXPECT_NE(label.find("test_batch.bin: bad label 10 at record 1 (expected 0..9)"), std::string::npos) << label;

  write_file(dir.path() / "test_batch.bin", "");
  EXPECT_NE(error_of([&] { read_test_images(DataName::Cifar10, dir.str()); }).find("empty file"), std::string::npos);
}

TEST(DataCifarBinary, Cifar100UsesFineLabels) {
  TempDir dir;
  std::vector<int> train_labels, test_labels;
  for (int i = 0; i < 6; ++i) train_labels.push_back(17 * i % 100);
  for (int i = 0; i < 10; ++i) test_labels.push_back(99 - i);
  write_file(dir.path() / "cifar-100-binary" / "train.bin", cifar_records(train_labels, 0, true));
  write_file(dir.path() / "cifar-100-binary" / "test.bin", cifar_records(test_labels, 500, true));
  const LabeledImages train = read_train_images(DataName::Cifar100, dir.str());
  EXPECT_EQ(train.num_classes, 100);
  EXPECT_EQ(to_vector(train.labels), std::vector<std::int64_t>(train_labels.begin(), train_labels.end()));
  expect_pixels(train.images, 0);

  // No NATS split file: the derived half, CPython random.seed(0) shuffle of range(10), first 5 sorted.
  const SearchData derived = load_search_data(DataName::Cifar100, dir.str());
  EXPECT_FALSE(derived.arch_from_train_pool);
  EXPECT_EQ(derived.train, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(derived.valid, (std::vector<std::int64_t>{1, 3, 5, 7, 8}));
  EXPECT_EQ(derived.arch, derived.valid);
  EXPECT_EQ(derived.eval_pool.size(), 10);
  EXPECT_NE(derived.split_source.find("derived"), std::string::npos);
  expect_pixels(derived.arch_pool().images, 500);

  // With NATS's file (here with the official list's first indices), its x-valid half is used.
  const fs::path split = dir.path() / "cifar100-test-split.txt";
  write_file(split, R"({"xvalid": ["int", ["1", "3", "4", "5", "8"]], "xtest": ["int", ["0", "2", "6", "7", "9"]]})");
  const SearchData official = load_search_data(DataName::Cifar100, dir.str());
  EXPECT_EQ(official.valid, (std::vector<std::int64_t>{1, 3, 4, 5, 8}));
  EXPECT_NE(official.split_source.find(split.string()), std::string::npos);

  write_file(split, R"({"xvalid": ["int", ["1", "30"]]})");
  EXPECT_NE(error_of([&] { load_search_data(DataName::Cifar100, dir.str()); })
                .find(split.string() + ": index 30 in 'xvalid' is outside the 10 test images"),
            std::string::npos);
  write_file(split, R"({"xvalid": ["int", ["1", "3"]], "xtest": ["int", ["3"]]})");
  EXPECT_NE(error_of([&] { load_search_data(DataName::Cifar100, dir.str()); }).find("index 3 appears twice"),
            std::string::npos);
  write_file(split, R"({"xvalid": ["int", ["1", "3"]])");
  EXPECT_NE(error_of([&] { load_search_data(DataName::Cifar100, dir.str()); })
                .find(split.string() + ": malformed split file: expected '}'"),
            std::string::npos);
}

TEST(DataPickle, Cifar10PythonTwoBatches) {
  TempDir dir;
  const fs::path folder = dir.path() / "cifar-10-batches-py";
  for (int file = 0; file < 6; ++file) {
    const std::int64_t first = file < 5 ? file * 4 : 100;
    std::vector<std::int64_t> labels;
    for (std::int64_t i = 0; i < 4; ++i) labels.push_back((first + i) % 10);
    const std::string name = file < 5 ? "data_batch_" + std::to_string(file + 1) : "test_batch";
    write_file(folder / name, pickled_batch(Style::Python2, labels, first, 3072, "labels"));
  }
  const LabeledImages train = read_train_images(DataName::Cifar10, dir.str());
  ASSERT_EQ(train.size(), 20);
  expect_pixels(train.images, 0);
  EXPECT_EQ(train.labels[13].item<std::int64_t>(), 3);
  const LabeledImages test = read_test_images(DataName::Cifar10, dir.str());
  ASSERT_EQ(test.size(), 4);
  expect_pixels(test.images, 100);
  EXPECT_EQ(to_vector(test.labels), (std::vector<std::int64_t>{0, 1, 2, 3}));
}

TEST(DataPickle, Cifar100PythonThreeFineLabels) {
  TempDir dir;
  const fs::path folder = dir.path() / "cifar-100-python";
  std::vector<std::int64_t> train_labels;
  for (std::int64_t i = 0; i < 1500; ++i) train_labels.push_back(i % 100);  // > 1,000: two APPENDS batches
  PickleWriter writer(Style::Python3);
  writer.begin_dict();
  writer.str("coarse_labels");
  writer.int_list(std::vector<std::int64_t>(train_labels.size(), 3));
  writer.str("fine_labels");
  writer.int_list(train_labels);
  writer.str("data");
  writer.array({1500, 3072}, "u1", pixels_of(0, 1500, 3072));
  writer.end_dict();
  write_file(folder / "train", writer.finish());
  write_file(folder / "test", pickled_batch(Style::Python3, {5, 6}, 7, 3072, "fine_labels"));
  const LabeledImages train = read_train_images(DataName::Cifar100, dir.str());
  ASSERT_EQ(train.size(), 1500);
  EXPECT_EQ(to_vector(train.labels), train_labels);
  expect_pixels(train.images, 0);
  const LabeledImages test = read_test_images(DataName::Cifar100, dir.str());
  EXPECT_EQ(to_vector(test.labels), (std::vector<std::int64_t>{5, 6}));
  expect_pixels(test.images, 7);
}

TEST(DataPickle, ImageNet16KeepsTheFirst120Classes) {
  TempDir dir;
  const fs::path folder = dir.path() / "ImageNet16";
  std::vector<std::int64_t> expected_labels;
  for (int file = 1; file <= 10; ++file) {
    const std::int64_t first = 10 * file;
    const std::vector<std::int64_t> labels = {file, 121, 120, 1000};  // 1-based; 121 and 1000 dropped
    expected_labels.push_back(file - 1);
    expected_labels.push_back(119);
    write_file(folder / ("train_data_batch_" + std::to_string(file)),
               pickled_batch(Style::Python2, labels, first, 768, "labels", /*with_mean=*/true));
  }
  // val_data as Python 3 writes it with protocol 2 (pixels as _codecs.encode of latin-1 text).
  write_file(folder / "val_data", pickled_batch(Style::Python3Protocol2, {1, 2, 500, 3, 4}, 900, 768, "labels"));
  const LabeledImages train = read_train_images(DataName::ImageNet16_120, dir.str());
  EXPECT_EQ(train.num_classes, 120);
  EXPECT_EQ(train.images.sizes(), (std::vector<std::int64_t>{20, 3, 16, 16}));
  EXPECT_EQ(to_vector(train.labels), expected_labels);
  expect_pixels(train.images.slice(0, 0, 1), 10);   // batch 1, record 0
  expect_pixels(train.images.slice(0, 1, 2), 12);   // batch 1, record 2 (record 1 was class 121)
  expect_pixels(train.images.slice(0, 19, 20), 102);  // batch 10, record 2

  const SearchData data = load_search_data(DataName::ImageNet16_120, dir.str());
  EXPECT_EQ(data.eval_pool.size(), 4);
  EXPECT_EQ(to_vector(data.eval_pool.labels), (std::vector<std::int64_t>{0, 1, 2, 3}));
  expect_pixels(data.eval_pool.images.slice(0, 2, 3), 903);
  EXPECT_EQ(data.valid, (std::vector<std::int64_t>{0, 2}));  // random.seed(0) halves of range(4)
  write_file(dir.path() / "imagenet-16-120-test-split.txt", R"({"xvalid": ["int", ["1", "2"]], "xtest": ["int", ["0", "3"]]})");
  EXPECT_EQ(load_search_data(DataName::ImageNet16_120, dir.str()).valid, (std::vector<std::int64_t>{1, 2}));
}

TEST(DataPickle, MalformedPicklesAreErrors) {
  TempDir dir;
  const fs::path folder = dir.path() / "cifar-100-python";
  write_file(folder / "test", pickled_batch(Style::Python2, {1, 2}, 0, 3072, "fine_labels"));
  const fs::path train = folder / "train";
  const auto message = [&](const std::string& bytes) {
    write_file(train, bytes);
    return error_of([&] { read_train_images(DataName::Cifar100, dir.str()); });
  };
  const std::string good = pickled_batch(Style::Python2, {1, 2, 3}, 0, 3072, "fine_labels");
  EXPECT_EQ(message(good), "(no error)");

  const std::string truncated = message(good.substr(0, good.size() / 2));
  EXPECT_NE(truncated.find(train.string() + ": truncated pickle"), std::string::npos) << truncated;

  // Three labels but two images (shape and payload agree, the label list does not).
  PickleWriter mismatch(Style::Python2);
  mismatch.begin_dict();
  mismatch.str("fine_labels");
  mismatch.int_list({1, 2, 3});
  mismatch.str("data");
  mismatch.array({2, 3072}, "u1", pixels_of(0, 2, 3072));
  mismatch.end_dict();
  EXPECT_NE(message(mismatch.finish()).find(train.string() + ": 3 labels for 2 images"), std::string::npos);

  // A payload shorter than the array's shape.
  PickleWriter short_payload(Style::Python3);
  short_payload.begin_dict();
  short_payload.str("fine_labels");
  short_payload.int_list({1, 2});
  short_payload.str("data");
  short_payload.array({2, 3072}, "u1", pixels_of(0, 1, 3072));
  short_payload.end_dict();
  const std::string payload = message(short_payload.finish());
  EXPECT_NE(payload.find("'data' holds 3,072 bytes, its shape says 6,144"), std::string::npos) << payload;

  PickleWriter wrong_shape(Style::Python2);
  wrong_shape.begin_dict();
  wrong_shape.str("fine_labels");
  wrong_shape.int_list({1});
  wrong_shape.str("data");
  wrong_shape.array({1, 768}, "u1", pixels_of(0, 1, 768));
  wrong_shape.end_dict();
  EXPECT_NE(message(wrong_shape.finish()).find("has shape (1, 768), expected (N, 3072)"), std::string::npos);

  PickleWriter wrong_type(Style::Python2);
  wrong_type.begin_dict();
  wrong_type.str("fine_labels");
  wrong_type.int_list({1});
  wrong_type.str("data");
  wrong_type.array({1, 3072}, "f4", pixels_of(0, 4, 3072), '<');
  wrong_type.end_dict();
  EXPECT_NE(message(wrong_type.finish()).find("has dtype 'f4', expected uint8"), std::string::npos);

  PickleWriter no_labels(Style::Python2);
  no_labels.begin_dict();
  no_labels.str("data");
  no_labels.array({1, 3072}, "u1", pixels_of(0, 1, 3072));
  no_labels.end_dict();
  EXPECT_NE(message(no_labels.finish()).find("has no 'fine_labels' entry"), std::string::npos);

  EXPECT_NE(message(pickled_batch(Style::Python2, {1, 100}, 0, 3072, "fine_labels"))
                .find(train.string() + ": bad label 100 at record 1 (expected 0..99)"),
            std::string::npos);

  PickleWriter hostile(Style::Python2);
  hostile.global("os", "system");
  hostile.str("true");
  hostile.raw() += "\x85R";
  const std::string global = message(hostile.finish());
  EXPECT_NE(global.find(train.string() + ": malformed pickle: unsupported global os.system"), std::string::npos) << global;

  const std::string trailing = message(good + "x");
  EXPECT_NE(trailing.find("trailing bytes after STOP"), std::string::npos) << trailing;
}

TEST(DataFashionMnist, SyntheticIdxPlainAndGzipped) {
  TempDir dir;
  const std::vector<int> train_labels = {9, 0, 3};
  write_file(dir.path() / "train-images-idx3-ubyte.gz", gzip_stored(idx_images(3, 0)));
  write_file(dir.path() / "train-labels-idx1-ubyte.gz", gzip_stored(idx_labels(train_labels)));
  write_file(dir.path() / "t10k-images-idx3-ubyte.gz", gzip_stored(idx_images(4, 50)));
  write_file(dir.path() / "t10k-labels-idx1-ubyte.gz", gzip_stored(idx_labels({1, 2, 3, 4})));
  const LabeledImages train = read_train_images(DataName::FashionMnist, dir.str());
  EXPECT_EQ(train.images.sizes(), (std::vector<std::int64_t>{3, 1, 28, 28}));
  EXPECT_EQ(to_vector(train.labels), (std::vector<std::int64_t>{9, 0, 3}));
  expect_pixels(train.images, 0);
  const SearchData data = load_search_data(DataName::FashionMnist, dir.str());
  EXPECT_EQ(data.valid, (std::vector<std::int64_t>{0, 2}));  // random.seed(0) halves of range(4)
  expect_pixels(data.eval_pool.images, 50);

  // Gunzipped copies in a fashion-mnist/ folder work too.
  TempDir plain;
  write_file(plain.path() / "fashion-mnist" / "train-images-idx3-ubyte", idx_images(3, 0));
  write_file(plain.path() / "fashion-mnist" / "train-labels-idx1-ubyte", idx_labels(train_labels));
  EXPECT_EQ(to_vector(read_train_images(DataName::FashionMnist, plain.str()).labels),
            (std::vector<std::int64_t>{9, 0, 3}));
}

TEST(DataFashionMnist, ErrorsNameTheFileAndTheProblem) {
  TempDir dir;
  const fs::path images = dir.path() / "train-images-idx3-ubyte.gz";
  const fs::path labels = dir.path() / "train-labels-idx1-ubyte.gz";
  const auto message = [&](const std::string& image_bytes, const std::string& label_bytes) {
    write_file(images, image_bytes);
    write_file(labels, label_bytes);
    return error_of([&] { read_train_images(DataName::FashionMnist, dir.str()); });
  };
  const std::string good_images = gzip_stored(idx_images(3, 0)), good_labels = gzip_stored(idx_labels({1, 2, 3}));
  EXPECT_EQ(message(good_images, good_labels), "(no error)");
  EXPECT_NE(message(gzip_stored(idx_images(3, 0, 2049)), good_labels).find(images.string() + ": wrong magic 2049"),
            std::string::npos);
  const std::string short_images = idx_images(3, 0);
  EXPECT_NE(message(gzip_stored(short_images.substr(0, short_images.size() - 1)), good_labels)
                .find(images.string() + ": wrong size"),
            std::string::npos);
  EXPECT_NE(message(good_images, gzip_stored(idx_labels({1, 2}))).find(labels.string() + ": wrong size"),
            std::string::npos);
  EXPECT_NE(message(good_images, gzip_stored(idx_labels({1, 2, 10}))).find("bad label 10 at record 2"),
            std::string::npos);
  const std::string cut = message(good_images.substr(0, good_images.size() - 20), good_labels);
  EXPECT_NE(cut.find(images.string() + ": corrupt or truncated gzip data"), std::string::npos) << cut;
  write_file(images, good_images);
  fs::remove(labels);
  EXPECT_NE(error_of([&] { read_train_images(DataName::FashionMnist, dir.str()); }).find(labels.string() + ": missing"),
            std::string::npos);
}

TEST(DataFashionMnist, DebianFilesMatchTheirStatistics) {
  const std::string root = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(root + "/train-images-idx3-ubyte.gz")) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const LabeledImages train = read_train_images(DataName::FashionMnist, root);
  const LabeledImages test = read_test_images(DataName::FashionMnist, root);
  EXPECT_EQ(train.images.sizes(), (std::vector<std::int64_t>{60000, 1, 28, 28}));
  EXPECT_EQ(test.size(), 10000);
  EXPECT_EQ(to_vector(torch::bincount(train.labels)), std::vector<std::int64_t>(10, 6000));
  EXPECT_EQ(to_vector(train.labels.slice(0, 0, 4)), (std::vector<std::int64_t>{9, 0, 0, 3}));
  EXPECT_EQ(to_vector(test.labels.slice(0, 0, 4)), (std::vector<std::int64_t>{9, 2, 1, 1}));
  // The fixed normalization constants are the train set's statistics.
  const torch::Tensor scaled = train.images.to(torch::kDouble) / 255.0;
  EXPECT_NEAR(scaled.mean().item<double>(), normalization_of(DataName::FashionMnist).mean[0], 1e-4);
  EXPECT_NEAR(scaled.std(/*unbiased=*/false).item<double>(), normalization_of(DataName::FashionMnist).std[0], 1e-4);
}

// ------------------------------------------------------------------------------------------------
// Augmentation

/// Reference: mirror, zero-pad, crop, one pixel at a time.
torch::Tensor reference_flip_and_crop(const torch::Tensor& images, const std::vector<std::int64_t>& flip,
                                      const std::vector<std::int64_t>& oy, const std::vector<std::int64_t>& ox,
                                      int padding) {
  const std::int64_t height = images.size(2), width = images.size(3);
  torch::Tensor out = torch::zeros_like(images);
  auto in = images.accessor<std::uint8_t, 4>();
  auto result = out.accessor<std::uint8_t, 4>();
  for (std::int64_t b = 0; b < images.size(0); ++b) {
    const auto s = static_cast<std::size_t>(b);
    for (std::int64_t c = 0; c < images.size(1); ++c) {
      for (std::int64_t y = 0; y < height; ++y) {
        for (std::int64_t x = 0; x < width; ++x) {
          const std::int64_t source_y = oy[s] + y - padding, padded_x = ox[s] + x - padding;
          if (source_y < 0 || source_y >= height || padded_x < 0 || padded_x >= width) continue;
          const std::int64_t source_x = flip[s] != 0 ? width - 1 - padded_x : padded_x;
          result[b][c][y][x] = in[b][c][source_y][source_x];
        }
      }
    }
  }
  return out;
}

torch::Tensor random_images(std::int64_t count, std::int64_t channels, std::int64_t side, std::uint64_t seed) {
  torch::Generator generator = at::detail::createCPUGenerator(seed);
  return torch::randint(0, 256, {count, channels, side, side}, generator, torch::kUInt8);
}

torch::Tensor longs(const std::vector<std::int64_t>& values) { return torch::tensor(values, torch::kLong); }

TEST(DataAugment, FlipIsAnExactMirrorAndCenteredCropTheIdentity) {
  const torch::Tensor images = random_images(3, 3, 8, 1);
  const torch::Tensor centered = longs({4, 4, 4});
  EXPECT_TRUE(torch::equal(flip_and_crop(images, longs({1, 1, 1}), centered, centered, 4), images.flip(3)));
  EXPECT_TRUE(torch::equal(flip_and_crop(images, longs({0, 0, 0}), centered, centered, 4), images));
  EXPECT_TRUE(torch::equal(flip_and_crop(images, longs({0, 0, 0}), longs({0, 0, 0}), longs({0, 0, 0}), 0), images));
}

TEST(DataAugment, CropShiftsTheImageAndFillsWithZeros) {
  const torch::Tensor images = random_images(1, 3, 8, 2).clamp_min(1);  // no zero pixels of its own
  // Corner (0, 0) of the padded image: the image moves down-right by the padding.
  const torch::Tensor out = flip_and_crop(images, longs({0}), longs({0}), longs({0}), 2);
  EXPECT_TRUE(torch::equal(out.slice(2, 2).slice(3, 2), images.slice(2, 0, 6).slice(3, 0, 6)));
  EXPECT_EQ(out.slice(2, 0, 2).count_nonzero().item<std::int64_t>(), 0);
  EXPECT_EQ(out.slice(3, 0, 2).count_nonzero().item<std::int64_t>(), 0);
  // The interior kept is exactly the multiset of the source window.
  const torch::Tensor kept = std::get<0>(out.slice(2, 2).slice(3, 2).flatten().sort());
  const torch::Tensor window = std::get<0>(images.slice(2, 0, 6).slice(3, 0, 6).flatten().sort());
  EXPECT_TRUE(torch::equal(kept, window));
}

TEST(DataAugment, MatchesAPixelByPixelReferencePerSample) {
  const torch::Tensor images = random_images(40, 3, 8, 3);
  nas::Rng rng(5);
  std::vector<std::int64_t> flip, oy, ox;
  for (int b = 0; b < 40; ++b) {
    flip.push_back(static_cast<std::int64_t>(rng.uniform_int(2)));
    oy.push_back(static_cast<std::int64_t>(rng.uniform_int(5)));
    ox.push_back(static_cast<std::int64_t>(rng.uniform_int(5)));
  }
  const torch::Tensor out = flip_and_crop(images, longs(flip), longs(oy), longs(ox), 2);
  EXPECT_TRUE(out.is_contiguous());
  EXPECT_TRUE(torch::equal(out, reference_flip_and_crop(images, flip, oy, ox, 2)));
}

// ------------------------------------------------------------------------------------------------
// Streams on a synthetic pool whose labels are the image indices, so each output can be traced.

SearchData traceable_data() {
  SearchData data;
  data.name = DataName::Cifar10;
  data.normalization = normalization_of(DataName::Cifar10);
  data.normalization.crop_padding = 2;
  data.train_pool.images = random_images(100, 3, 8, 11);
  data.train_pool.labels = torch::arange(100, torch::kLong);
  data.train_pool.num_classes = 100;
  data.eval_pool.images = torch::empty({0, 3, 8, 8}, torch::kUInt8);
  data.eval_pool.labels = torch::empty({0}, torch::kLong);
  for (std::int64_t i = 0; i < 60; ++i) data.train.push_back(i);
  for (std::int64_t i = 60; i < 80; ++i) data.arch.push_back(i);
  data.valid = data.arch;
  data.arch_from_train_pool = true;
  return data;
}

/// Undoes the normalization: the uint8 images the network saw.
torch::Tensor denormalize(const torch::Tensor& images, const Normalization& norm) {
  const torch::Tensor mean = torch::tensor(norm.mean).view({1, -1, 1, 1});
  const torch::Tensor std = torch::tensor(norm.std).view({1, -1, 1, 1});
  return ((images * std + mean) * 255.0).round().to(torch::kUInt8);
}

/// Whether `image` is one of the 2 x 5 x 5 flips and crops (padding 2) of `source`.
bool is_augmented_copy(const torch::Tensor& image, const torch::Tensor& source) {
  std::vector<std::int64_t> flip, oy, ox;
  for (int f = 0; f < 2; ++f) {
    for (int y = 0; y < 5; ++y) {
      for (int x = 0; x < 5; ++x) {
        flip.push_back(f);
        oy.push_back(y);
        ox.push_back(x);
      }
    }
  }
  const torch::Tensor candidates =
      flip_and_crop(source.unsqueeze(0).expand({50, -1, -1, -1}).contiguous(), longs(flip), longs(oy), longs(ox), 2);
  return (candidates == image.unsqueeze(0)).flatten(1).all(1).any().item<bool>();
}

std::vector<SearchBatch> epoch_of(SearchBatchStream& stream) {
  std::vector<SearchBatch> batches;
  while (auto batch = stream.next()) batches.push_back(*batch);
  return batches;
}

void expect_same(const std::vector<SearchBatch>& a, const std::vector<SearchBatch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    ASSERT_TRUE(torch::equal(a[k].train_images, b[k].train_images)) << k;
    ASSERT_TRUE(torch::equal(a[k].train_labels, b[k].train_labels)) << k;
    ASSERT_TRUE(torch::equal(a[k].arch_images, b[k].arch_images)) << k;
    ASSERT_TRUE(torch::equal(a[k].arch_labels, b[k].arch_labels)) << k;
  }
}

TEST(DataStream, EpochVisitsEveryTrainIndexOnceInBatches) {
  const SearchData data = traceable_data();
  SearchBatchStream stream(data, 16, torch::kCPU, 3);
  EXPECT_EQ(stream.batches_per_epoch(), 4);  // ceil(60 / 16)
  for (int epoch = 0; epoch < 2; ++epoch) {
    const std::vector<SearchBatch> batches = epoch_of(stream);
    ASSERT_EQ(batches.size(), 4U);
    std::vector<std::int64_t> seen;
    for (std::size_t k = 0; k < batches.size(); ++k) {
      const std::int64_t size = k + 1 < batches.size() ? 16 : 12;
      const SearchBatch& batch = batches[k];
      EXPECT_EQ(batch.train_images.sizes(), (std::vector<std::int64_t>{size, 3, 8, 8}));
      EXPECT_EQ(batch.arch_images.sizes(), (std::vector<std::int64_t>{size, 3, 8, 8}));
      EXPECT_EQ(batch.train_images.scalar_type(), torch::kFloat);
      EXPECT_TRUE(batch.train_images.is_contiguous());
      EXPECT_TRUE(batch.arch_images.is_contiguous());
      EXPECT_EQ(batch.arch_labels.scalar_type(), torch::kLong);
      const std::vector<std::int64_t> labels = to_vector(batch.train_labels);
      seen.insert(seen.end(), labels.begin(), labels.end());
    }
    EXPECT_FALSE(stream.next().has_value());  // stays at the end until reset
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, data.train);
    stream.reset();
  }
}

TEST(DataStream, ImagesAreFlipsAndCropsOfTheirSources) {
  const SearchData data = traceable_data();
  SearchBatchStream stream(data, 16, torch::kCPU, 4);
  int changed = 0, total = 0;
  for (const SearchBatch& batch : epoch_of(stream)) {
    for (const auto& [images, labels] : {std::pair(batch.train_images, batch.train_labels),
                                         std::pair(batch.arch_images, batch.arch_labels)}) {
      const torch::Tensor seen = denormalize(images, data.normalization);
      for (std::int64_t b = 0; b < seen.size(0); ++b) {
        const torch::Tensor source = data.train_pool.images[labels[b].item<std::int64_t>()];
        ASSERT_TRUE(is_augmented_copy(seen[b], source)) << "sample " << b;
        changed += torch::equal(seen[b], source) ? 0 : 1;
        ++total;
      }
    }
  }
  EXPECT_GT(changed, total / 2);  // 49 of the 50 transforms change an image
}

TEST(DataStream, ArchSamplesAreDrawnWithReplacementFromTheArchSet) {
  const SearchData data = traceable_data();
  const std::set<std::int64_t> arch(data.arch.begin(), data.arch.end());
  SearchBatchStream stream(data, 16, torch::kCPU, 5);
  bool repeated = false;
  std::set<std::int64_t> drawn;
  for (const SearchBatch& batch : epoch_of(stream)) {
    const std::vector<std::int64_t> labels = to_vector(batch.arch_labels);
    for (const std::int64_t label : labels) EXPECT_EQ(arch.count(label), 1U) << label;
    drawn.insert(labels.begin(), labels.end());
    repeated = repeated || std::set<std::int64_t>(labels.begin(), labels.end()).size() < labels.size();
  }
  EXPECT_TRUE(repeated);  // 16 draws out of 20 repeat one with probability > 0.99
  EXPECT_GT(drawn.size(), 10U);
}

TEST(DataStream, DeterministicForASeedWhateverTheTiming) {
  const SearchData data = traceable_data();
  SearchBatchStream fast(data, 16, torch::kCPU, 9);
  SearchBatchStream slow(data, 16, torch::kCPU, 9);
  SearchBatchStream other(data, 16, torch::kCPU, 10);
  const std::vector<SearchBatch> first = epoch_of(fast);
  std::vector<SearchBatch> delayed;
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // the worker finishes first here
    auto batch = slow.next();
    if (!batch) break;
    delayed.push_back(*batch);
  }
  expect_same(first, delayed);
  const std::vector<SearchBatch> different = epoch_of(other);
  EXPECT_FALSE(torch::equal(first[0].train_labels, different[0].train_labels));

  fast.reset();
  slow.reset();
  const std::vector<SearchBatch> second = epoch_of(fast);
  expect_same(second, epoch_of(slow));
  EXPECT_FALSE(torch::equal(first[0].train_labels, second[0].train_labels));  // a new order each epoch
}

TEST(DataStream, ResetMidEpochStartsTheNextEpochCleanly) {
  const SearchData data = traceable_data();
  SearchBatchStream partial(data, 16, torch::kCPU, 12);
  SearchBatchStream full(data, 16, torch::kCPU, 12);
  ASSERT_TRUE(partial.next().has_value());  // the worker is now preparing batch 1 of epoch 0
  partial.reset();
  epoch_of(full);
  full.reset();
  expect_same(epoch_of(partial), epoch_of(full));
  // Leaving mid-epoch (the worker busy or done) must not hang or crash.
  SearchBatchStream abandoned(data, 16, torch::kCPU, 13);
  abandoned.next();
}

TEST(DataStream, RejectsBadArguments) {
  const SearchData data = traceable_data();
  EXPECT_NE(error_of([&] { SearchBatchStream(data, 0, torch::kCPU, 1); }).find("batch size must be positive"),
            std::string::npos);
  SearchData broken = data;
  broken.arch.push_back(100);
  EXPECT_NE(error_of([&] { SearchBatchStream(broken, 8, torch::kCPU, 1); }).find("arch index 100 outside its pool"),
            std::string::npos);
}

TEST(DataEvalStream, FixedOrderTestTransformAndCycling) {
  const SearchData data = traceable_data();
  const EvalBatchStream valid(data.arch_pool(), data.valid, data.normalization, 8, torch::kCPU);
  EXPECT_EQ(valid.num_batches(), 3);  // 20 images: 8, 8, 4
  std::vector<std::int64_t> labels;
  for (std::int64_t k = 0; k < valid.num_batches(); ++k) {
    const auto [images, batch_labels] = valid.batch(k);
    const std::vector<std::int64_t> part = to_vector(batch_labels);
    labels.insert(labels.end(), part.begin(), part.end());
    EXPECT_TRUE(torch::allclose(images, normalize_images(data.train_pool.images.index_select(0, batch_labels),
                                                         data.normalization)));
  }
  EXPECT_EQ(labels, data.valid);
  EXPECT_EQ(valid.batch(2).first.size(0), 4);
  EXPECT_TRUE(torch::equal(valid.batch(4).second, valid.batch(1).second));  // cycles
}

}  // namespace

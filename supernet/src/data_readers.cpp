// Readers for the image data sets: CIFAR-10 / CIFAR-100 (binary and Python pickles), ImageNet16-120
// (downsampled-ImageNet pickles) and Fashion-MNIST (gzipped IDX), plus the data set names and their
// normalization constants. Every split is decoded into one uint8 [N, C, H, W] tensor with whole-file
// reads and block copies: no per-pixel work, so all of CIFAR-10 loads in a fraction of a second.
//
// Strictness: a file must exist, have a whole number of records (or exactly the size its own header
// or array shape declares), and every label must be in range; a problem is a nas::Error that names
// the file. The readers do not insist on the official image counts, so a subset in the same format
// also loads (and the tests can use tiny synthetic files).
#include "nas/supernet/data.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "nas/benchmark_api/error.h"

namespace nas::supernet {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kCifarPixels = 3 * 32 * 32;  // one CIFAR image: R, G, B planes of 32x32
constexpr std::int64_t kImageNet16Pixels = 3 * 16 * 16;
constexpr int kImageNet16Classes = 120;    // NATS keeps the first 120 of the 1,000 classes
constexpr int kImageNetLabelsMax = 1000;   // the files' labels are 1-based, 1..1000

// ------------------------------------------------------------------------------------------------
// Files

/// 1234567 -> "1,234,567": byte counts in messages are easier to compare that way.
std::string with_commas(std::uint64_t n) {
  std::string digits = std::to_string(n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<std::size_t>(i), ",");
  return digits;
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

/// The size of a regular file; a missing file is "PATH: missing", a FIFO or device is refused (it
/// could block or never end).
std::uint64_t size_of_file(const std::string& path) {
  std::error_code error;
  if (!fs::exists(path, error)) throw Error(path + ": missing (no such file)");
  if (!fs::is_regular_file(path, error)) throw Error(path + ": not a regular file (a FIFO, device or folder)");
  const std::uint64_t size = fs::file_size(path, error);
  if (error) throw Error("cannot read " + path + ": " + error.message());
  return size;
}

/// Reads exactly `size` bytes of `path` into `destination` in one call.
void read_exactly(const std::string& path, void* destination, std::uint64_t size) {
  const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw Error("cannot open " + path + ": " + std::strerror(errno));
  if (size > 0 && std::fread(destination, 1, size, file.get()) != size) {
    throw Error("cannot read " + path + ": " +
                (std::ferror(file.get()) != 0 ? std::string(std::strerror(errno)) : "it shrank while being read"));
  }
}

std::string read_whole_file(const std::string& path) {
  std::string bytes(size_of_file(path), '\0');
  read_exactly(path, bytes.data(), bytes.size());
  return bytes;
}

/// The decompressed content of a gzip file (zlib reads a file that is not gzip as it is, so gunzipped
/// copies work too). A truncated or corrupt stream is an error, not a short result.
std::string gunzip_file(const std::string& path) {
  size_of_file(path);  // the "missing" message
  const gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) throw Error("cannot open " + path + ": " + std::strerror(errno));
  std::string out;
  constexpr std::size_t kChunk = std::size_t{1} << 22;
  std::size_t used = 0;
  int error = Z_OK;
  constexpr std::size_t kMaxBytes = std::size_t{4} << 30;  // the largest data file here is ~50 MB unpacked
  while (true) {
    if (used > kMaxBytes) {
      gzclose_r(gz);
      throw Error(path + ": decompresses to more than " + with_commas(kMaxBytes) + " bytes; not a data file of this kind");
    }
    out.resize(used + kChunk);
    const int got = gzread(gz, out.data() + used, static_cast<unsigned>(kChunk));
    if (got < 0) break;
    used += static_cast<std::size_t>(got);
    if (got == 0) break;
  }
  const char* message = gzerror(gz, &error);
  std::string reason = message != nullptr ? message : "";
  if (reason.rfind(path + ": ", 0) == 0) reason.erase(0, path.size() + 2);  // zlib prefixes the path
  gzclose_r(gz);
  if (error != Z_OK) throw Error(path + ": corrupt or truncated gzip data (" + reason + ")");
  out.resize(used);
  return out;
}

/// Throws "PATH: bad label V at record R (expected FIRST..LAST)" for the first label out of range.
void check_label_range(const torch::Tensor& labels, std::int64_t first, std::int64_t last, const std::string& path) {
  if (labels.numel() == 0) return;
  const torch::Tensor bad = ((labels < first) | (labels > last)).nonzero();
  if (bad.size(0) == 0) return;
  const std::int64_t record = bad[0][0].item<std::int64_t>();
  throw Error(path + ": bad label " + std::to_string(labels[record].item<std::int64_t>()) + " at record " +
              std::to_string(record) + " (expected " + std::to_string(first) + ".." + std::to_string(last) + ")");
}

LabeledImages concatenate(const std::vector<LabeledImages>& parts, int num_classes) {
  std::vector<torch::Tensor> images, labels;
  for (const LabeledImages& part : parts) {
    images.push_back(part.images);
    labels.push_back(part.labels);
  }
  LabeledImages all;
  all.images = parts.size() == 1 ? images[0] : torch::cat(images);
  all.labels = parts.size() == 1 ? labels[0] : torch::cat(labels);
  all.num_classes = num_classes;
  return all;
}

// ------------------------------------------------------------------------------------------------
// CIFAR binary: records of label byte(s) + 3,072 pixel bytes (R, G, B planes, 32x32 row-major).

/// One binary CIFAR file. CIFAR-10 records have one label byte; CIFAR-100 records have the coarse then
/// the fine label, and `label_byte` = 1 picks the fine one.
LabeledImages read_cifar_binary(const std::string& path, int label_bytes, int label_byte, int num_classes) {
  const std::int64_t record = label_bytes + kCifarPixels;
  const std::uint64_t size = size_of_file(path);
  if (size == 0) throw Error(path + ": empty file (expected records of " + std::to_string(record) + " bytes)");
  if (size % static_cast<std::uint64_t>(record) != 0) {
    throw Error(path + ": wrong size, " + with_commas(size) + " bytes is not a whole number of " +
                std::to_string(record) + "-byte records (truncated?)");
  }
  const auto count = static_cast<std::int64_t>(size / static_cast<std::uint64_t>(record));
  // Read the file straight into a tensor, then let one strided copy split labels from planes.
  const torch::Tensor raw = torch::empty({count, record}, torch::kUInt8);
  read_exactly(path, raw.data_ptr<std::uint8_t>(), size);
  LabeledImages out;
  out.images = raw.slice(1, label_bytes).reshape({count, 3, 32, 32}).contiguous();
  out.labels = raw.select(1, label_byte).to(torch::kLong);
  out.num_classes = num_classes;
  check_label_range(out.labels, 0, num_classes - 1, path);
  return out;
}

// ------------------------------------------------------------------------------------------------
// Pickles with numpy arrays (cifar-10-batches-py, cifar-100-python, ImageNet16-120).
//
// nas::bench::pickle deliberately refuses numpy arrays, so this small unpickler understands exactly
// what these files hold: dicts, lists, tuples, str / bytes, ints, floats, bools, None, and numpy
// arrays (numpy.core.multiarray._reconstruct(ndarray, (0,), b'b') then BUILD with the state
// (version, shape, dtype, fortran, raw bytes); numpy.dtype('u1', False, True) then BUILD). Protocols
// 1-5 and both Python 2 (BINSTRING) and Python 3 (BINBYTES, STACK_GLOBAL, FRAME) spellings are read,
// as is Python 3's protocol-2 spelling of bytes, _codecs.encode(latin-1 text, "latin1").
// Any other global or opcode is an error naming it. Array payloads and strings stay views into the
// file buffer, so a 150 MB batch is copied only once, into its tensor.

struct PyNode;
using PyRef = std::shared_ptr<PyNode>;

struct PyNode {
  enum class Kind { None, Bool, Int, Float, Text, List, Tuple, Dict, Global, Dtype, Array };
  Kind kind = Kind::None;
  std::int64_t integer = 0;      // Int, Bool
  double real = 0.0;             // Float
  std::string_view text;         // Text (bytes, or str as UTF-8); Array: the raw payload
  std::string owned;             // Text decoded from _codecs.encode (`text` views it)
  std::string name;              // Global: "module.name"; Dtype: e.g. "u1"
  char byte_order = '|';         // Dtype
  std::vector<PyRef> items;      // List, Tuple; Dict: key, value, key, value, ...
  std::vector<std::int64_t> shape;  // Array
  PyRef dtype;                      // Array
  PyRef payload;                    // Array: the Text node `text` views (it may own the bytes)
  bool fortran = false, built = false;  // Array
};

PyRef make_node(PyNode::Kind kind) {
  auto node = std::make_shared<PyNode>();
  node->kind = kind;
  return node;
}

class NumpyUnpickler {
 public:
  NumpyUnpickler(std::string_view bytes, std::string path) : bytes_(bytes), path_(std::move(path)) {}

  PyRef parse() {
    while (true) {
      const std::size_t at = pos_;
      const auto opcode = static_cast<unsigned char>(take(1)[0]);
      if (opcode == '.') {
        if (stack_.size() != 1 || !marks_.empty()) fail("STOP with a malformed stack", at);
        if (pos_ != bytes_.size()) fail("trailing bytes after STOP", pos_);
        return stack_.back();
      }
      step(opcode, at);
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what, std::size_t at) const {
    throw Error(path_ + ": malformed pickle: " + what + " at byte " + std::to_string(at));
  }

  std::string_view take(std::uint64_t n) {
    if (n > bytes_.size() - pos_) {
      throw Error(path_ + ": truncated pickle (needs " + with_commas(n) + " more bytes at byte " + std::to_string(pos_) +
                  ", " + with_commas(bytes_.size() - pos_) + " left)");
    }
    const std::string_view out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  std::uint64_t little_endian(int n) {
    const std::string_view raw = take(static_cast<std::uint64_t>(n));
    std::uint64_t value = 0;
    for (int i = n - 1; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(raw[static_cast<std::size_t>(i)]);
    return value;
  }
  std::string_view line() {
    const std::size_t end = bytes_.find('\n', pos_);
    if (end == std::string_view::npos) fail("unterminated line", pos_);
    const std::string_view out = bytes_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return out;
  }

  PyRef pop(std::size_t at) {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("stack underflow", at);
    PyRef top = stack_.back();
    stack_.pop_back();
    return top;
  }
  PyRef& top(std::size_t at) {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("stack underflow", at);
    return stack_.back();
  }
  std::vector<PyRef> pop_to_mark(std::size_t at) {
    if (marks_.empty()) fail("no MARK", at);
    const std::size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<PyRef> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  void push_text(std::uint64_t length) { push_text_view(take(length)); }
  void push_text_view(std::string_view text) {
    PyRef node = make_node(PyNode::Kind::Text);
    node->text = text;
    stack_.push_back(std::move(node));
  }
  void push_int(std::int64_t value, PyNode::Kind kind = PyNode::Kind::Int) {
    PyRef node = make_node(kind);
    node->integer = value;
    stack_.push_back(std::move(node));
  }
  void push_tuple(std::vector<PyRef> items) {
    PyRef node = make_node(PyNode::Kind::Tuple);
    node->items = std::move(items);
    stack_.push_back(std::move(node));
  }
  void memo_put(std::uint64_t index, std::size_t at) { memo_[index] = top(at); }
  void memo_get(std::uint64_t index, std::size_t at) {
    const auto found = memo_.find(index);
    if (found == memo_.end()) fail("memo key " + std::to_string(index) + " not defined", at);
    stack_.push_back(found->second);
  }
  void push_global(std::string module, std::string_view name, std::size_t at);
  void reduce(std::size_t at);
  PyRef latin1_bytes(const PyNode& args, std::size_t at) const;
  void build(std::size_t at);
  void step(unsigned char opcode, std::size_t at);

  std::string_view bytes_;
  std::string path_;
  std::size_t pos_ = 0;
  std::vector<PyRef> stack_;
  std::vector<std::size_t> marks_;
  std::unordered_map<std::uint64_t, PyRef> memo_;
};

void NumpyUnpickler::step(unsigned char opcode, std::size_t at) {
  using Kind = PyNode::Kind;
  switch (opcode) {
    case 0x80: {  // PROTO
      const auto protocol = static_cast<unsigned char>(take(1)[0]);
      if (protocol > 5) fail("unsupported pickle protocol " + std::to_string(protocol), at);
      return;
    }
    case 0x95: take(8); return;  // FRAME: a size hint only
    case '(': marks_.push_back(stack_.size()); return;
    case ')': push_tuple({}); return;
    case ']': stack_.push_back(make_node(Kind::List)); return;
    case '}': stack_.push_back(make_node(Kind::Dict)); return;
    case 'N': stack_.push_back(make_node(Kind::None)); return;
    case 0x88: push_int(1, Kind::Bool); return;
    case 0x89: push_int(0, Kind::Bool); return;
    case 't': push_tuple(pop_to_mark(at)); return;
    case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
      std::vector<PyRef> items(opcode - 0x84u);
      for (auto item = items.rbegin(); item != items.rend(); ++item) *item = pop(at);
      push_tuple(std::move(items));
      return;
    }
    case 'l': case 'd': {  // LIST, DICT from the items above MARK
      PyRef node = make_node(opcode == 'l' ? Kind::List : Kind::Dict);
      node->items = pop_to_mark(at);
      if (node->kind == Kind::Dict && node->items.size() % 2 != 0) fail("odd number of dict items", at);
      stack_.push_back(std::move(node));
      return;
    }
    case 'a': case 'e': case 's': case 'u': {  // APPEND, APPENDS, SETITEM, SETITEMS
      std::vector<PyRef> items;
      if (opcode == 'e' || opcode == 'u') {
        items = pop_to_mark(at);
      } else {
        items.resize(opcode == 'a' ? 1 : 2);
        for (auto item = items.rbegin(); item != items.rend(); ++item) *item = pop(at);
      }
      PyNode& container = *top(at);
      const Kind wanted = opcode == 'a' || opcode == 'e' ? Kind::List : Kind::Dict;
      if (container.kind != wanted) fail(wanted == Kind::List ? "APPEND to a non-list" : "SETITEM on a non-dict", at);
      if (wanted == Kind::Dict && items.size() % 2 != 0) fail("odd number of dict items", at);
      container.items.insert(container.items.end(), items.begin(), items.end());
      return;
    }
    case 'I': {  // INT as a text line; protocol 1 writes bools as I00 / I01
      const std::string_view digits = line();
      if (digits == "00" || digits == "01") {
        push_int(digits == "01" ? 1 : 0, Kind::Bool);
        return;
      }
      std::int64_t value = 0;
      const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (error != std::errc() || end != digits.data() + digits.size()) fail("malformed INT", at);
      push_int(value);
      return;
    }
    case 'J': push_int(static_cast<std::int32_t>(little_endian(4))); return;
    case 'K': push_int(static_cast<std::int64_t>(little_endian(1))); return;
    case 'M': push_int(static_cast<std::int64_t>(little_endian(2))); return;
    case 0x8a: {  // LONG1: little-endian two's complement of n bytes
      const auto n = static_cast<int>(little_endian(1));
      if (n > 8) fail("integer too large", at);
      std::uint64_t value = little_endian(n);
      if (n > 0 && n < 8 && (value >> (8 * n - 1)) != 0) value |= ~std::uint64_t{0} << (8 * n);  // sign-extend
      push_int(static_cast<std::int64_t>(value));
      return;
    }
    case 'G': {  // BINFLOAT, big-endian
      const std::string_view raw = take(8);
      std::uint64_t bits = 0;
      for (const char byte : raw) bits = (bits << 8) | static_cast<unsigned char>(byte);
      PyRef node = make_node(Kind::Float);
      std::memcpy(&node->real, &bits, sizeof bits);
      stack_.push_back(std::move(node));
      return;
    }
    case 'T': {  // BINSTRING: signed 4-byte length
      const auto length = static_cast<std::int32_t>(little_endian(4));
      if (length < 0) fail("negative string length", at);
      push_text(static_cast<std::uint64_t>(length));
      return;
    }
    case 'U': case 'C': case 0x8c: push_text(little_endian(1)); return;  // SHORT_BINSTRING/BINBYTES/BINUNICODE
    case 'B': case 'X': push_text(little_endian(4)); return;             // BINBYTES, BINUNICODE
    case 0x8e: case 0x8d: push_text(little_endian(8)); return;           // BINBYTES8, BINUNICODE8
    case 'q': memo_put(little_endian(1), at); return;                    // BINPUT
    case 'r': memo_put(little_endian(4), at); return;                    // LONG_BINPUT
    case 0x94: memo_put(memo_.size(), at); return;                       // MEMOIZE
    case 'h': memo_get(little_endian(1), at); return;                    // BINGET
    case 'j': memo_get(little_endian(4), at); return;                    // LONG_BINGET
    case 'c': {  // GLOBAL "module\nname\n"
      std::string module(line());
      push_global(std::move(module), line(), at);
      return;
    }
    case 0x93: {  // STACK_GLOBAL
      const PyRef name = pop(at);
      const PyRef module = pop(at);
      if (name->kind != Kind::Text || module->kind != Kind::Text) fail("STACK_GLOBAL of non-strings", at);
      push_global(std::string(module->text), name->text, at);
      return;
    }
    case 'R': reduce(at); return;
    case 'b': build(at); return;
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", opcode);
      fail(std::string("unsupported opcode ") + hex, at);
    }
  }
}

void NumpyUnpickler::push_global(std::string module, std::string_view name, std::size_t at) {
  const std::string full = module + "." + std::string(name);
  static const char* const kAllowed[] = {"numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct",
                                         "numpy.ndarray", "numpy.dtype", "_codecs.encode"};
  if (std::find(std::begin(kAllowed), std::end(kAllowed), full) == std::end(kAllowed)) {
    fail("unsupported global " + full + " (only plain data and numpy arrays are read)", at);
  }
  PyRef node = make_node(PyNode::Kind::Global);
  node->name = full;
  stack_.push_back(std::move(node));
}

void NumpyUnpickler::reduce(std::size_t at) {
  using Kind = PyNode::Kind;
  const PyRef args = pop(at);
  const PyRef callable = pop(at);
  if (callable->kind != Kind::Global || args->kind != Kind::Tuple) fail("REDUCE of a non-callable", at);
  if (callable->name == "numpy.dtype") {
    if (args->items.empty() || args->items[0]->kind != Kind::Text) fail("malformed numpy.dtype arguments", at);
    PyRef dtype = make_node(Kind::Dtype);
    dtype->name = std::string(args->items[0]->text);
    stack_.push_back(std::move(dtype));
    return;
  }
  if (callable->name == "_codecs.encode") {
    stack_.push_back(latin1_bytes(*args, at));
    return;
  }
  if (callable->name == "numpy.core.multiarray._reconstruct" || callable->name == "numpy._core.multiarray._reconstruct") {
    if (args->items.size() != 3 || args->items[0]->kind != Kind::Global || args->items[0]->name != "numpy.ndarray") {
      fail("malformed numpy _reconstruct arguments (expected numpy.ndarray)", at);
    }
    stack_.push_back(make_node(Kind::Array));
    return;
  }
  fail("cannot call " + callable->name, at);
}

/// _codecs.encode(text, "latin1"): Python 3 writes bytes this way at protocol 2; each character of
/// the (UTF-8) text is one byte, U+0000..U+00FF.
PyRef NumpyUnpickler::latin1_bytes(const PyNode& args, std::size_t at) const {
  using Kind = PyNode::Kind;
  if (args.items.size() != 2 || args.items[0]->kind != Kind::Text || args.items[1]->kind != Kind::Text ||
      (args.items[1]->text != "latin1" && args.items[1]->text != "latin-1")) {
    fail("unsupported _codecs.encode arguments (expected text and \"latin1\")", at);
  }
  const std::string_view utf8 = args.items[0]->text;
  PyRef node = make_node(Kind::Text);
  node->owned.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    if (lead < 0x80) {
      node->owned += static_cast<char>(lead);
      continue;
    }
    const auto next = i + 1 < utf8.size() ? static_cast<unsigned char>(utf8[i + 1]) : 0U;
    if ((lead != 0xc2 && lead != 0xc3) || (next & 0xc0U) != 0x80U) fail("_codecs.encode text is not latin-1", at);
    node->owned += static_cast<char>(((lead & 0x03U) << 6) | (next & 0x3fU));
    ++i;
  }
  node->text = node->owned;
  return node;
}

void NumpyUnpickler::build(std::size_t at) {
  using Kind = PyNode::Kind;
  const PyRef state = pop(at);
  PyNode& object = *top(at);
  if (state->kind != Kind::Tuple) fail("BUILD with a non-tuple state", at);
  const std::vector<PyRef>& s = state->items;
  if (object.kind == Kind::Dtype) {
    // (version, byte order, subarray, names, fields, elsize, alignment, flags)
    if (s.size() < 2 || s[1]->kind != Kind::Text || s[1]->text.size() != 1) fail("malformed numpy.dtype state", at);
    object.byte_order = s[1]->text[0];
    return;
  }
  if (object.kind != Kind::Array || object.built) fail("BUILD of an unsupported object", at);
  // (version, shape, dtype, is_fortran, raw data); numpy before 1.0 left the version out.
  const std::size_t first = s.size() == 5 ? 1 : 0;
  if (s.size() != 5 && s.size() != 4) fail("malformed numpy array state", at);
  const PyNode& shape = *s[first];
  const PyRef& dtype = s[first + 1];
  const PyNode& fortran = *s[first + 2];
  const PyNode& data = *s[first + 3];
  if (shape.kind != Kind::Tuple || dtype->kind != Kind::Dtype ||
      (fortran.kind != Kind::Bool && fortran.kind != Kind::Int)) {
    fail("malformed numpy array state", at);
  }
  if (data.kind != Kind::Text) fail("numpy array of Python objects (expected a raw buffer)", at);
  for (const PyRef& dimension : shape.items) {
    if (dimension->kind != Kind::Int || dimension->integer < 0) fail("malformed numpy array shape", at);
    object.shape.push_back(dimension->integer);
  }
  object.dtype = dtype;
  object.fortran = fortran.integer != 0;
  object.text = data.text;
  object.payload = s[first + 3];
  object.built = true;
}

/// The value of `key` (str or bytes) in a pickled dict, or "PATH: no 'KEY' entry".
const PyNode& dict_entry(const PyNode& dict, std::string_view key, const std::string& path) {
  if (dict.kind != PyNode::Kind::Dict) throw Error(path + ": the pickle does not hold a dict");
  for (std::size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    if (dict.items[i]->kind == PyNode::Kind::Text && dict.items[i]->text == key) return *dict.items[i + 1];
  }
  throw Error(path + ": the pickled dict has no '" + std::string(key) + "' entry");
}

/// A uint8 numpy array of shape [N, row] as a view (its bytes stay in the file buffer).
std::string_view uint8_rows(const PyNode& array, std::int64_t row, const std::string& path, std::int64_t* count) {
  const std::string where = path + ": 'data' ";
  if (array.kind != PyNode::Kind::Array || !array.built) throw Error(where + "is not a numpy array");
  if (array.dtype->name != "u1") throw Error(where + "has dtype '" + array.dtype->name + "', expected uint8 ('u1')");
  if (array.shape.size() != 2 || array.shape[1] != row) {
    std::string shape;
    for (const std::int64_t d : array.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    throw Error(where + "has shape (" + shape + "), expected (N, " + std::to_string(row) + ")");
  }
  if (array.fortran && array.shape[0] > 1) throw Error(where + "is in Fortran order, expected C order");
  const auto expected = static_cast<std::uint64_t>(array.shape[0]) * static_cast<std::uint64_t>(row);
  if (array.text.size() != expected) {
    throw Error(where + "holds " + with_commas(array.text.size()) + " bytes, its shape says " + with_commas(expected) +
                " (truncated?)");
  }
  *count = array.shape[0];
  return array.text;
}

/// Labels stored as a list of ints or as a 1-D little-endian integer numpy array.
std::vector<std::int64_t> integer_list(const PyNode& node, const std::string& key, const std::string& path) {
  std::vector<std::int64_t> values;
  if (node.kind == PyNode::Kind::List) {
    values.reserve(node.items.size());
    for (const PyRef& item : node.items) {
      if (item->kind != PyNode::Kind::Int) throw Error(path + ": '" + key + "' holds a non-integer");
      values.push_back(item->integer);
    }
    return values;
  }
  if (node.kind != PyNode::Kind::Array || !node.built || node.shape.size() != 1) {
    throw Error(path + ": '" + key + "' is neither a list of ints nor a 1-D numpy array");
  }
  const std::string& type = node.dtype->name;
  const bool is_signed = !type.empty() && type[0] == 'i';
  const int width = type.size() == 2 && (type[0] == 'i' || type[0] == 'u') ? type[1] - '0' : 0;
  if ((width != 1 && width != 2 && width != 4 && width != 8) || node.dtype->byte_order == '>') {
    throw Error(path + ": '" + key + "' has dtype '" + type + "', expected a little-endian integer type");
  }
  const auto count = static_cast<std::size_t>(node.shape[0]);
  if (node.text.size() != count * static_cast<std::size_t>(width)) throw Error(path + ": '" + key + "' is truncated");
  values.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::uint64_t raw = 0;
    for (int b = width - 1; b >= 0; --b) {
      raw = (raw << 8) | static_cast<unsigned char>(node.text[i * static_cast<std::size_t>(width) + static_cast<std::size_t>(b)]);
    }
    if (is_signed && width < 8 && (raw >> (8 * width - 1)) != 0) raw |= ~std::uint64_t{0} << (8 * width);
    values.push_back(static_cast<std::int64_t>(raw));
  }
  return values;
}

/// Reads one pickled batch: 'data' uint8 [N, row] and the `label_key` list, N of each.
struct PickledBatch {
  std::string bytes;  // the file; `pixels` points into it
  std::string_view pixels;
  std::int64_t count = 0;
  std::vector<std::int64_t> labels;
};

PickledBatch read_pickled_batch(const std::string& path, std::int64_t row, const std::string& label_key) {
  PickledBatch batch;
  batch.bytes = read_whole_file(path);
  const PyRef root = NumpyUnpickler(batch.bytes, path).parse();
  batch.pixels = uint8_rows(dict_entry(*root, "data", path), row, path, &batch.count);
  batch.labels = integer_list(dict_entry(*root, label_key, path), label_key, path);
  if (static_cast<std::int64_t>(batch.labels.size()) != batch.count) {
    throw Error(path + ": " + std::to_string(batch.labels.size()) + " labels for " + std::to_string(batch.count) +
                " images");
  }
  return batch;
}

/// A pickled CIFAR batch: rows are already the R, G, B planes, i.e. [N, 3, 32, 32].
LabeledImages read_cifar_pickle(const std::string& path, const std::string& label_key, int num_classes) {
  const PickledBatch batch = read_pickled_batch(path, kCifarPixels, label_key);
  LabeledImages out;
  out.images = torch::empty({batch.count, 3, 32, 32}, torch::kUInt8);
  std::memcpy(out.images.data_ptr<std::uint8_t>(), batch.pixels.data(), batch.pixels.size());
  out.labels = torch::tensor(batch.labels, torch::kLong);
  out.num_classes = num_classes;
  check_label_range(out.labels, 0, num_classes - 1, path);
  return out;
}

/// A downsampled-ImageNet 16x16 batch: keeps labels 1..120 as targets 0..119 (reference §4.2).
LabeledImages read_imagenet16_pickle(const std::string& path) {
  const PickledBatch batch = read_pickled_batch(path, kImageNet16Pixels, "labels");
  const torch::Tensor labels = torch::tensor(batch.labels, torch::kLong);
  check_label_range(labels, 1, kImageNetLabelsMax, path);
  const torch::Tensor kept = (labels <= kImageNet16Classes).nonzero().view({-1});
  const torch::Tensor pixels =
      torch::from_blob(const_cast<char*>(batch.pixels.data()), {batch.count, kImageNet16Pixels}, torch::kUInt8);
  LabeledImages out;
  out.images = pixels.index_select(0, kept).view({-1, 3, 16, 16});  // index_select copies out of the buffer
  out.labels = labels.index_select(0, kept) - 1;
  out.num_classes = kImageNet16Classes;
  return out;
}

// ------------------------------------------------------------------------------------------------
// Fashion-MNIST: IDX files (big-endian header: magic, dimensions), gzipped.

std::uint32_t big_endian32(const std::string& bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

LabeledImages read_idx_pair(const std::string& images_path, const std::string& labels_path) {
  constexpr std::uint32_t kImagesMagic = 2051, kLabelsMagic = 2049;
  constexpr std::uint32_t kSide = 28;
  const std::string images = gunzip_file(images_path);
  if (images.size() < 16) throw Error(images_path + ": truncated IDX header");
  if (big_endian32(images, 0) != kImagesMagic) {
    throw Error(images_path + ": wrong magic " + std::to_string(big_endian32(images, 0)) + " (expected 2051, IDX images)");
  }
  const std::uint32_t count = big_endian32(images, 4);
  if (big_endian32(images, 8) != kSide || big_endian32(images, 12) != kSide) {
    throw Error(images_path + ": images are " + std::to_string(big_endian32(images, 8)) + "x" +
                std::to_string(big_endian32(images, 12)) + ", expected 28x28");
  }
  const std::uint64_t pixels = std::uint64_t{count} * kSide * kSide;
  if (images.size() != 16 + pixels) {
    throw Error(images_path + ": wrong size, " + with_commas(images.size()) + " bytes after decompression, the header's " +
                with_commas(count) + " images need " + with_commas(16 + pixels) + " (truncated?)");
  }
  const std::string labels = gunzip_file(labels_path);
  if (labels.size() < 8) throw Error(labels_path + ": truncated IDX header");
  if (big_endian32(labels, 0) != kLabelsMagic) {
    throw Error(labels_path + ": wrong magic " + std::to_string(big_endian32(labels, 0)) + " (expected 2049, IDX labels)");
  }
  if (big_endian32(labels, 4) != count || labels.size() != 8 + std::uint64_t{count}) {
    throw Error(labels_path + ": wrong size, holds " + with_commas(labels.size() < 8 ? 0 : labels.size() - 8) +
                " labels (header: " + with_commas(big_endian32(labels, 4)) + ") for " + with_commas(count) + " images in " +
                images_path);
  }
  LabeledImages out;
  out.images = torch::empty({static_cast<std::int64_t>(count), 1, kSide, kSide}, torch::kUInt8);
  std::memcpy(out.images.data_ptr<std::uint8_t>(), images.data() + 16, pixels);
  out.labels = torch::from_blob(const_cast<char*>(labels.data() + 8), {static_cast<std::int64_t>(count)}, torch::kUInt8)
                   .to(torch::kLong);
  out.num_classes = 10;
  check_label_range(out.labels, 0, 9, labels_path);
  return out;
}

// ------------------------------------------------------------------------------------------------
// Finding the files under the data root.

/// One on-disk layout of a data set: the folders (relative to the root; "" = the root) tried in order,
/// and the train / test files it consists of. The layout counts as present where its first train
/// file exists; then every file must.
struct Layout {
  std::string description;
  std::vector<std::string> folders;
  std::vector<std::string> train_files, test_files;
};

std::vector<std::string> numbered(const std::string& prefix, int count, const std::string& suffix) {
  std::vector<std::string> names;
  for (int i = 1; i <= count; ++i) names.push_back(prefix + std::to_string(i) + suffix);
  return names;
}

std::vector<Layout> layouts_of(DataName name) {
  switch (name) {
    case DataName::Cifar10:
      return {{"binary", {"", "cifar-10-batches-bin", "cifar10"}, numbered("data_batch_", 5, ".bin"), {"test_batch.bin"}},
              {"Python pickles", {"cifar-10-batches-py", ""}, numbered("data_batch_", 5, ""), {"test_batch"}}};
    case DataName::Cifar100:
      return {{"binary", {"", "cifar-100-binary", "cifar100"}, {"train.bin"}, {"test.bin"}},
              {"Python pickles", {"cifar-100-python", ""}, {"train"}, {"test"}}};
    case DataName::ImageNet16_120:
      return {{"downsampled-ImageNet pickles", {"", "ImageNet16", "ImageNet16-120", "imagenet16-120"},
               numbered("train_data_batch_", 10, ""), {"val_data"}}};
    case DataName::FashionMnist:
      return {{"gzipped IDX", {"", "fashion-mnist"}, {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"},
               {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}},
              {"IDX", {"", "fashion-mnist"}, {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"},
               {"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}}};
  }
  throw Error("unknown data set");
}

struct Located {
  std::size_t layout = 0;  // index into layouts_of(name)
  fs::path folder;
};

std::string describe_files(const std::vector<std::string>& files) {
  if (files.size() > 2 && files[0].find("_1") != std::string::npos) return files.front() + " .. " + files.back();
  std::string text;
  for (const std::string& file : files) text += (text.empty() ? "" : ", ") + file;
  return text;
}

Located locate(DataName name, const std::string& root) {
  std::error_code error;
  if (!fs::is_directory(root, error)) throw Error("data folder " + root + " does not exist or is not a folder");
  const std::vector<Layout> layouts = layouts_of(name);
  std::string looked;
  for (std::size_t i = 0; i < layouts.size(); ++i) {
    const Layout& layout = layouts[i];
    std::string folders;
    for (const std::string& folder : layout.folders) {
      const fs::path dir = folder.empty() ? fs::path(root) : fs::path(root) / folder;
      if (fs::is_regular_file(dir / layout.train_files.front(), error)) return {i, dir};
      folders += (folders.empty() ? "" : ", ") + dir.string();
    }
    looked += "; " + layout.description + " (" + describe_files(layout.train_files) + ", " +
              describe_files(layout.test_files) + ") in " + folders;
  }
  throw Error("no " + data_name(name) + " data under " + root + ": looked for " + looked.substr(2));
}

LabeledImages read_split(DataName name, const std::string& root, bool train) {
  const Located where = locate(name, root);
  const Layout layout = layouts_of(name)[where.layout];
  const std::vector<std::string>& files = train ? layout.train_files : layout.test_files;
  const auto path = [&](const std::string& file) { return (where.folder / file).string(); };
  std::vector<LabeledImages> parts;
  switch (name) {
    case DataName::Cifar10:
      for (const std::string& file : files) {
        parts.push_back(where.layout == 0 ? read_cifar_binary(path(file), 1, 0, 10)
                                          : read_cifar_pickle(path(file), "labels", 10));
      }
      return concatenate(parts, 10);
    case DataName::Cifar100:
      return where.layout == 0 ? read_cifar_binary(path(files[0]), 2, 1, 100)
                               : read_cifar_pickle(path(files[0]), "fine_labels", 100);
    case DataName::ImageNet16_120:
      for (const std::string& file : files) parts.push_back(read_imagenet16_pickle(path(file)));
      return concatenate(parts, kImageNet16Classes);
    case DataName::FashionMnist:
      return read_idx_pair(path(files[0]), path(files[1]));
  }
  throw Error("unknown data set");
}

}  // namespace

// ------------------------------------------------------------------------------------------------

std::string data_name(DataName name) {
  switch (name) {
    case DataName::Cifar10: return "cifar10";
    case DataName::Cifar100: return "cifar100";
    case DataName::ImageNet16_120: return "ImageNet16-120";
    case DataName::FashionMnist: return "fashion-mnist";
  }
  throw Error("unknown data set");
}

DataName parse_data_name(const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const DataName name : {DataName::Cifar10, DataName::Cifar100, DataName::ImageNet16_120, DataName::FashionMnist}) {
    std::string canonical = data_name(name);
    std::transform(canonical.begin(), canonical.end(), canonical.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == canonical) return name;
  }
  throw Error("unknown data set '" + text + "' (expected cifar10, cifar100, ImageNet16-120 or fashion-mnist)");
}

Normalization normalization_of(DataName name) {
  // Reference §4.2 gives the means and stds in 0..255 units; ToTensor scales pixels to [0, 1].
  const auto scaled = [](std::initializer_list<double> values) {
    std::vector<float> out;
    for (const double v : values) out.push_back(static_cast<float>(v / 255.0));
    return out;
  };
  Normalization norm;
  switch (name) {
    case DataName::Cifar10:
      norm.mean = scaled({125.3, 123.0, 113.9});
      norm.std = scaled({63.0, 62.1, 66.7});
      norm.crop_padding = 4;
      return norm;
    case DataName::Cifar100:
      norm.mean = scaled({129.3, 124.1, 112.4});
      norm.std = scaled({68.2, 65.4, 70.4});
      norm.crop_padding = 4;
      return norm;
    case DataName::ImageNet16_120:
      norm.mean = scaled({122.68, 116.66, 104.01});
      norm.std = scaled({63.22, 61.26, 65.09});
      norm.crop_padding = 2;
      return norm;
    case DataName::FashionMnist:
      // Not part of NATS-Bench: the commonly quoted Fashion-MNIST train-set statistics (mean 0.2860,
      // std 0.3530), fixed here rather than computed at load time so every run normalizes alike.
      // Garments are roughly left-right symmetric, so the flip stays on; 28x28 images get padding 2.
      norm.mean = {0.2860F};
      norm.std = {0.3530F};
      norm.crop_padding = 2;
      return norm;
  }
  throw Error("unknown data set");
}

LabeledImages read_train_images(DataName name, const std::string& root) { return read_split(name, root, true); }
LabeledImages read_test_images(DataName name, const std::string& root) { return read_split(name, root, false); }

}  // namespace nas::supernet

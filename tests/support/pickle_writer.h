// Test support: writing Python pickles and bzip2 streams, so that tests can build benchmark files in
// the official NATS-Bench on-disk format (`*.pickle.pbz2`) and read them back through the real
// importer. Tests only: nas itself never writes pickles.
//
//   nas::test::PickleWriter w;
//   w.begin_dict().string("epochs").integer(12).string("seed").string("0777").end_dict();
//   const std::string file = nas::test::bzip2_compress(w.finish());
//
// The writer emits protocol-4 opcodes without framing (framing is optional for readers), like
// Python's own pickles minus the frames, for dict, list, tuple, str, int, float, None, bool and the
// empty set. Strings are memoized: a repeated string (a dict key such as "eval_acc1es" or
// "x-valid@11") costs a 2-5 byte memo reference, as in Python's pickles of shared string objects.
// OrderedDicts and numpy scalars of the official files are written as plain dicts and floats; the
// nas reader turns the official forms into exactly those values anyway.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace nas::test {

class PickleWriter {
 public:
  PickleWriter();

  PickleWriter& none();
  PickleWriter& boolean(bool value);
  PickleWriter& integer(std::int64_t value);
  PickleWriter& floating(double value);
  PickleWriter& string(std::string_view utf8);
  PickleWriter& empty_set();

  // Containers: values written between begin and end are the container's items (a dict's alternate
  // key, value, key, value, ...).
  PickleWriter& begin_list();
  PickleWriter& end_list();
  PickleWriter& begin_tuple();
  PickleWriter& end_tuple();
  PickleWriter& begin_dict();
  PickleWriter& end_dict();

  /// Ends the pickle (exactly one value at the top level) and returns its bytes. Unbalanced
  /// containers, a dict with a key lacking its value, or a second top-level value are
  /// std::logic_error: bugs in the test, not bad input.
  std::string finish();

 private:
  enum class Kind : char { kList, kTuple, kDict };
  struct Open {
    Kind kind;
    std::size_t items = 0;
  };
  void value_written();
  void begin(Kind kind);
  void end(Kind kind);

  std::string out_;
  std::unordered_map<std::string, std::uint32_t> memo_;  // string -> memo index
  std::vector<Open> open_;
  std::size_t top_level_values_ = 0;
};

/// A complete bzip2 stream of `data` (libbz2). The block size (1 = 100k ... 9 = 900k) only matters
/// for inputs larger than 100 kB; small ones compress identically with 1, which allocates far less.
std::string bzip2_compress(std::string_view data, int block_size_100k = 9);

}  // namespace nas::test

// A small, strict reader for Python pickles (protocols 0-4), enough for the NATS-Bench files.
//
// The official NATS-Bench archives store each record as a pickle of plain Python data: dicts,
// lists, tuples, sets, OrderedDicts, str, int, float, bool, None, plus numpy scalars such as
// `numpy.float64(0.129306)`. This reader turns such a pickle into a tree of `Value`s without Python:
//
//   const pickle::Value root = pickle::parse(bytes);          // throws nas::Error if malformed
//   const pickle::Value& run = root.at("200").at("all_results");
//   double params = run.find(pickle::Value::tuple({pickle::Value::string("cifar10"),
//                                                 pickle::Value::integer(777)}))
//                       ->at("params").as_double();
//
// It is deliberately not a general unpickler. Only these globals are accepted: collections.OrderedDict
// (becomes a plain Dict; insertion order is kept for every dict anyway), numpy.dtype and
// numpy.core.multiarray.scalar / numpy._core.multiarray.scalar (a numpy scalar becomes a Float, Int
// or Bool Value). Any other global, an unknown opcode, a malformed argument, a truncated input or a
// recursive structure is a nas::Error whose message names the problem and its byte offset.
// Values are immutable and cheap to copy: strings and containers are shared, so a pickle that refers
// to the same big object many times (memo GET) costs memory once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nas::bench::pickle {

namespace detail {
struct Container;  // the shared storage of List/Tuple/Dict/Set/FrozenSet (pickle.cpp)
struct Access;     // the parser's door to building Values (pickle.cpp)
}  // namespace detail

class Value {
 public:
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kBytes, kList, kTuple, kDict, kSet, kFrozenSet };
  using DictItem = std::pair<Value, Value>;

  /// None.
  Value();

  // Factories, mainly for building expected values and lookup keys. `dict` and `set` follow Python:
  // keys must be hashable (None, bool, int, float except NaN, str, bytes, tuples and frozensets of
  // those; else nas::Error), a repeated key keeps its first position and takes the last value.
  static Value none() { return Value(); }
  static Value boolean(bool value);
  static Value integer(std::int64_t value);
  static Value floating(double value);
  static Value string(std::string utf8);
  static Value bytes(std::string data);
  static Value list(std::vector<Value> elements);
  static Value tuple(std::vector<Value> elements);
  static Value dict(std::vector<DictItem> items);
  static Value set(std::vector<Value> elements);
  static Value frozenset(std::vector<Value> elements);

  Kind kind() const { return kind_; }
  /// Python's name for the kind ("None", "bool", "int", "float", "str", "bytes", "list", "tuple",
  /// "dict", "set", "frozenset"), for error messages.
  std::string kind_name() const;

  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  /// Int or Float (not Bool: the benchmark never stores metrics as bools).
  bool is_number() const { return is_int() || is_float(); }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_bytes() const { return kind_ == Kind::kBytes; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const { return kind_ == Kind::kTuple; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  /// Set or FrozenSet.
  bool is_set() const { return kind_ == Kind::kSet || kind_ == Kind::kFrozenSet; }

  // Typed access; each throws nas::Error("expected <kind>, got <kind>") on the wrong kind.
  bool as_bool() const;
  std::int64_t as_int() const;
  /// Int (converted) or Float.
  double as_double() const;
  /// The text of a String, UTF-8.
  const std::string& as_string() const;
  const std::string& as_bytes() const;

  /// Items of a List, Tuple, Set or FrozenSet (sets in insertion order).
  const std::vector<Value>& elements() const;
  /// Key/value pairs of a Dict, in insertion order.
  const std::vector<DictItem>& items() const;
  /// Element count of a container, byte count of a String or Bytes; nas::Error for scalars.
  std::size_t size() const;

  /// Dict lookup by key, Python equality (so integer(1) finds a key 1.0); nullptr when absent.
  /// nas::Error when this is not a Dict.
  const Value* find(std::string_view key) const;
  const Value* find(const Value& key) const;
  /// Like find, but a missing key is nas::Error("missing key 'x'").
  const Value& at(std::string_view key) const;
  const Value& at(const Value& key) const;

  /// A short Python-like repr, cut at about `max_chars` characters (ends with "..." when cut).
  std::string to_debug_string(std::size_t max_chars = 120) const;

 private:
  friend struct detail::Access;

  Kind kind_ = Kind::kNone;
  std::int64_t int_ = 0;                    // Bool (0/1) and Int
  double float_ = 0.0;                      // Float
  std::shared_ptr<const std::string> text_;  // String and Bytes
  std::shared_ptr<detail::Container> container_;  // List, Tuple, Dict, Set, FrozenSet
};

/// Bounds that keep a hostile pickle from exhausting memory or the C++ call stack.
struct ParseLimits {
  std::size_t max_depth = 200;           // container nesting (lists in dicts in tuples ...)
  std::size_t max_stack = std::size_t{1} << 20;  // values and marks on the unpickler stack
  std::size_t max_memo = std::size_t{1} << 22;   // memo entries (the largest NATS file uses 32,775)
};

/// Parses one complete pickle (exactly one STOP, nothing after it). Throws nas::Error on anything
/// malformed, unsupported or over the limits; the message starts with "pickle: ".
Value parse(std::string_view bytes, const ParseLimits& limits = ParseLimits{});

}  // namespace nas::bench::pickle

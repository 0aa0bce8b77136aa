// A strict pickle reader: Value storage, Python-style key hashing, and the unpickler loop.
//
// Three safety rules shape the code:
//   - Every read goes through Parser::take*, which bounds-checks against the input and the current
//     protocol-4 frame, so a truncated or lying input is an error, never an out-of-range read.
//   - Containers are shared (memo GET is a pointer copy), and a List/Dict/Set is "sealed" as soon as
//     it is stored inside another container; sealed containers refuse changes. Python's pickler
//     always fills a container before storing it, so real pickles never trip this, while it makes
//     reference cycles (and so leaks and infinite recursion) impossible.
//   - Nesting depth is tracked incrementally (an unsealed container has no parent to update), so
//     recursion in destructors, hashing, equality and printing is bounded by ParseLimits::max_depth.
#include "nas/benchmark_api/pickle.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <system_error>
#include <unordered_map>

#include "nas/benchmark_api/error.h"

namespace nas::bench::pickle {
namespace detail {

struct Container {
  std::vector<Value> elements;                              // List, Tuple, Set, FrozenSet
  std::vector<Value::DictItem> items;                       // Dict
  std::unordered_multimap<std::size_t, std::size_t> index;  // Dict/Set/FrozenSet: key hash -> position
  std::size_t depth = 1;  // 1 + the depth of the deepest member (scalars count 0)
  std::size_t hash = 0;   // Tuple/FrozenSet: structural hash, meaningful when `hashable`
  bool hashable = true;   // Tuple/FrozenSet: every member is hashable
  bool sealed = false;    // stored inside another container: no further changes allowed
};

// The only code allowed to create container Values and reach their storage.
struct Access {
  static Value make(Value::Kind kind, std::shared_ptr<Container> container) {
    Value value;
    value.kind_ = kind;
    value.container_ = std::move(container);
    return value;
  }
  static Container* container(const Value& value) { return value.container_.get(); }
};

}  // namespace detail

namespace {

using detail::Access;
using detail::Container;
using Kind = Value::Kind;

// ---------------------------------------------------------------------------------------------
// Hashing and equality of dict keys, with Python's rules: 1 == 1.0 == True, str != bytes.

constexpr std::uint64_t kNoneHash = 0x6e6f6e65ULL;
constexpr std::uint64_t kStringTag = 0x9e3779b97f4a7c15ULL;
constexpr std::uint64_t kBytesTag = 0xc2b2ae3d27d4eb4fULL;
constexpr std::uint64_t kTupleSeed = 0x165667b19e3779f9ULL;
constexpr std::uint64_t kFrozenSetSeed = 0x27d4eb2f165667c5ULL;

// splitmix64's finalizer: spreads small integers over all bits (std::hash<int> is the identity,
// which would let keys 0, p, 2p, ... pile into one bucket).
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// True when `d` is a whole number that an int64 holds exactly (then it equals that integer).
bool is_int64_valued(double d) { return d >= -0x1p63 && d < 0x1p63 && std::trunc(d) == d; }

bool is_numeric(Kind kind) { return kind == Kind::kBool || kind == Kind::kInt || kind == Kind::kFloat; }

std::int64_t integer_of(const Value& v) { return v.is_bool() ? static_cast<std::int64_t>(v.as_bool()) : v.as_int(); }

std::size_t hash_integer(std::int64_t i) { return static_cast<std::size_t>(mix(static_cast<std::uint64_t>(i))); }

std::size_t hash_text(std::string_view text, std::uint64_t tag) {
  return static_cast<std::size_t>(mix(std::hash<std::string_view>{}(text) ^ tag));
}

std::size_t hash_float(double d) {
  if (is_int64_valued(d)) return hash_integer(static_cast<std::int64_t>(d));
  std::uint64_t bits = 0;
  std::memcpy(&bits, &d, sizeof bits);
  return static_cast<std::size_t>(mix(bits ^ kBytesTag));
}

bool is_nan(const Value& v) { return v.is_float() && std::isnan(v.as_double()); }

// NaN is refused as a key: NaN != NaN, so every NaN key would be a new entry sharing one hash.
bool is_hashable(const Value& v) {
  switch (v.kind()) {
    case Kind::kFloat:
      return !is_nan(v);
    case Kind::kList:
    case Kind::kDict:
    case Kind::kSet:
      return false;
    case Kind::kTuple:
    case Kind::kFrozenSet:
      return Access::container(v)->hashable;
    default:
      return true;
  }
}

// Precondition: is_hashable(v).
std::size_t hash_key(const Value& v) {
  switch (v.kind()) {
    case Kind::kNone:
      return static_cast<std::size_t>(mix(kNoneHash));
    case Kind::kBool:
    case Kind::kInt:
      return hash_integer(integer_of(v));
    case Kind::kFloat:
      return hash_float(v.as_double());
    case Kind::kString:
      return hash_text(v.as_string(), kStringTag);
    case Kind::kBytes:
      return hash_text(v.as_bytes(), kBytesTag);
    default:
      return Access::container(v)->hash;
  }
}

bool numbers_equal(const Value& a, const Value& b) {
  if (a.is_float() && b.is_float()) return a.as_double() == b.as_double();
  if (!a.is_float() && !b.is_float()) return integer_of(a) == integer_of(b);
  const double d = a.is_float() ? a.as_double() : b.as_double();
  const std::int64_t i = a.is_float() ? integer_of(b) : integer_of(a);
  return is_int64_valued(d) && static_cast<std::int64_t>(d) == i;
}

// Pairs of distinct containers already found equal during one comparison. Without it, comparing
// two separately built but equal DAG-shaped tuples ((t, t), (t, t)) ... would take exponential time.
using EqualPairs = std::set<std::pair<const Container*, const Container*>>;

const Value* find_in(const Container& c, const Value& key, std::size_t hash, EqualPairs& seen);

bool keys_equal(const Value& a, const Value& b, EqualPairs& seen);

bool tuples_equal(const Container& a, const Container& b, EqualPairs& seen) {
  if (a.elements.size() != b.elements.size()) return false;
  for (std::size_t i = 0; i < a.elements.size(); ++i) {
    if (!keys_equal(a.elements[i], b.elements[i], seen)) return false;
  }
  return true;
}

bool frozensets_equal(const Container& a, const Container& b, EqualPairs& seen) {
  if (a.elements.size() != b.elements.size()) return false;
  for (const Value& element : a.elements) {
    if (find_in(b, element, hash_key(element), seen) == nullptr) return false;
  }
  return true;
}

bool keys_equal(const Value& a, const Value& b, EqualPairs& seen) {
  if (is_numeric(a.kind()) && is_numeric(b.kind())) return numbers_equal(a, b);
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kNone:
      return true;
    case Kind::kString:
      return a.as_string() == b.as_string();
    case Kind::kBytes:
      return a.as_bytes() == b.as_bytes();
    case Kind::kTuple:
    case Kind::kFrozenSet: {
      const Container* ca = Access::container(a);
      const Container* cb = Access::container(b);
      if (ca == cb) return true;
      if (ca->hash != cb->hash) return false;
      if (seen.count({ca, cb}) != 0) return true;
      const bool equal = a.is_tuple() ? tuples_equal(*ca, *cb, seen) : frozensets_equal(*ca, *cb, seen);
      if (equal) seen.insert({ca, cb});
      return equal;
    }
    default:
      return false;  // unhashable kinds never reach here as keys
  }
}

// Position of `key` in a Dict (index into items) or Set (index into elements), if present. A Dict
// keeps its entries in `items` and a Set in `elements`; an empty Dict has an empty index, so telling
// them apart by which vector is in use is safe.
std::optional<std::size_t> position_in(const Container& c, const Value& key, std::size_t hash, EqualPairs& seen) {
  const bool is_dict = !c.items.empty();
  auto [first, last] = c.index.equal_range(hash);
  for (auto it = first; it != last; ++it) {
    const Value& candidate = is_dict ? c.items[it->second].first : c.elements[it->second];
    if (keys_equal(candidate, key, seen)) return it->second;
  }
  return std::nullopt;
}

const Value* find_in(const Container& c, const Value& key, std::size_t hash, EqualPairs& seen) {
  const std::optional<std::size_t> position = position_in(c, key, hash, seen);
  if (!position) return nullptr;
  return c.items.empty() ? &c.elements[*position] : &c.items[*position].second;
}

// ---------------------------------------------------------------------------------------------
// Building containers. Callers check hashability and limits first; these only store.

std::size_t depth_of(const Value& v) {
  const Container* c = Access::container(v);
  return c == nullptr ? 0 : c->depth;
}

// Records that `child` now lives inside `parent` (for the depth; sealing is the parser's business,
// so the public factories never write to containers that other Values share).
void adopt(Container& parent, const Value& child) {
  parent.depth = std::max(parent.depth, depth_of(child) + 1);
}

// Python dict semantics: an existing key keeps its position and takes the new value.
void dict_insert(Container& dict, Value key, Value value) {
  adopt(dict, key);
  adopt(dict, value);
  const std::size_t hash = hash_key(key);
  EqualPairs seen;
  if (const std::optional<std::size_t> position = position_in(dict, key, hash, seen)) {
    dict.items[*position].second = std::move(value);
    return;
  }
  dict.index.emplace(hash, dict.items.size());
  dict.items.emplace_back(std::move(key), std::move(value));
}

// Python set semantics: an element already present is kept, the new one dropped.
void set_insert(Container& set, Value element) {
  adopt(set, element);
  const std::size_t hash = hash_key(element);
  EqualPairs seen;
  if (position_in(set, element, hash, seen)) return;
  set.index.emplace(hash, set.elements.size());
  set.elements.push_back(std::move(element));
}

std::uint64_t combine(std::uint64_t seed, std::uint64_t value) {
  return mix(seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2)));
}

Value make_tuple(std::vector<Value> elements) {
  auto c = std::make_shared<Container>();
  std::uint64_t hash = kTupleSeed;
  for (const Value& element : elements) {
    adopt(*c, element);
    c->hashable = c->hashable && is_hashable(element);
    if (c->hashable) hash = combine(hash, hash_key(element));
  }
  c->hash = static_cast<std::size_t>(mix(hash + elements.size()));
  c->elements = std::move(elements);
  return Access::make(Kind::kTuple, std::move(c));
}

Value make_list(std::vector<Value> elements) {
  auto c = std::make_shared<Container>();
  for (const Value& element : elements) adopt(*c, element);
  c->elements = std::move(elements);
  return Access::make(Kind::kList, std::move(c));
}

Value make_empty(Kind kind) { return Access::make(kind, std::make_shared<Container>()); }

// Precondition: every element is hashable. The hash is order-independent, like Python's.
Value make_frozenset(std::vector<Value> elements) {
  Value result = make_empty(Kind::kFrozenSet);
  Container& c = *Access::container(result);
  for (Value& element : elements) set_insert(c, std::move(element));
  std::uint64_t sum = 0;
  for (const Value& element : c.elements) sum += mix(hash_key(element));
  c.hash = static_cast<std::size_t>(mix(sum ^ kFrozenSetSeed));
  return result;
}

// ---------------------------------------------------------------------------------------------
// Printing (to_debug_string).

std::string format_double(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, d);
  std::string text(buffer, result.ptr);
  if (text.find_first_of(".en") == std::string::npos) text += ".0";  // Python prints 1.0, not 1
  return text;
}

void append_escaped_byte(std::string& out, unsigned char byte) {
  static const char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[byte >> 4];
  out += kHex[byte & 15];
}

// Quotes text like Python's repr; stops early once `out` is past `limit`.
void append_quoted(std::string& out, std::string_view text, bool is_bytes, std::size_t limit) {
  if (is_bytes) out += 'b';
  out += '\'';
  for (const char ch : text) {
    if (out.size() > limit) return;
    const auto byte = static_cast<unsigned char>(ch);
    if (ch == '\\' || ch == '\'') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f || (is_bytes && byte >= 0x80)) {
      append_escaped_byte(out, byte);
    } else {
      out += ch;  // printable ASCII, or part of a UTF-8 sequence in a str
    }
  }
  out += '\'';
}

void append_repr(std::string& out, const Value& v, std::size_t limit);

void append_sequence(std::string& out, const std::vector<Value>& elements, std::size_t limit) {
  for (std::size_t i = 0; i < elements.size() && out.size() <= limit; ++i) {
    if (i > 0) out += ", ";
    append_repr(out, elements[i], limit);
  }
}

void append_repr(std::string& out, const Value& v, std::size_t limit) {
  if (out.size() > limit) return;
  switch (v.kind()) {
    case Kind::kNone:
      out += "None";
      return;
    case Kind::kBool:
      out += v.as_bool() ? "True" : "False";
      return;
    case Kind::kInt:
      out += std::to_string(v.as_int());
      return;
    case Kind::kFloat:
      out += format_double(v.as_double());
      return;
    case Kind::kString:
      append_quoted(out, v.as_string(), false, limit);
      return;
    case Kind::kBytes:
      append_quoted(out, v.as_bytes(), true, limit);
      return;
    case Kind::kList:
      out += '[';
      append_sequence(out, v.elements(), limit);
      out += ']';
      return;
    case Kind::kTuple:
      out += '(';
      append_sequence(out, v.elements(), limit);
      out += v.elements().size() == 1 ? ",)" : ")";
      return;
    case Kind::kSet:
    case Kind::kFrozenSet: {
      const bool frozen = v.kind() == Kind::kFrozenSet;
      if (v.elements().empty()) {
        out += frozen ? "frozenset()" : "set()";
        return;
      }
      out += frozen ? "frozenset({" : "{";
      append_sequence(out, v.elements(), limit);
      out += frozen ? "})" : "}";
      return;
    }
    case Kind::kDict: {
      out += '{';
      const auto& items = v.items();
      for (std::size_t i = 0; i < items.size() && out.size() <= limit; ++i) {
        if (i > 0) out += ", ";
        append_repr(out, items[i].first, limit);
        out += ": ";
        append_repr(out, items[i].second, limit);
      }
      out += '}';
      return;
    }
  }
}

std::string name_of(Kind kind) {
  switch (kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kBytes:
      return "bytes";
    case Kind::kList:
      return "list";
    case Kind::kTuple:
      return "tuple";
    case Kind::kDict:
      return "dict";
    case Kind::kSet:
      return "set";
    case Kind::kFrozenSet:
      return "frozenset";
  }
  return "?";
}

[[noreturn]] void throw_wrong_kind(const char* expected, const Value& got) {
  throw Error(std::string("expected ") + expected + ", got " + got.kind_name());
}

}  // namespace

// -----------------------------------------------------------------------------------------------
// Value

Value::Value() = default;

Value Value::boolean(bool value) {
  Value v;
  v.kind_ = Kind::kBool;
  v.int_ = value ? 1 : 0;
  return v;
}

Value Value::integer(std::int64_t value) {
  Value v;
  v.kind_ = Kind::kInt;
  v.int_ = value;
  return v;
}

Value Value::floating(double value) {
  Value v;
  v.kind_ = Kind::kFloat;
  v.float_ = value;
  return v;
}

Value Value::string(std::string utf8) {
  Value v;
  v.kind_ = Kind::kString;
  v.text_ = std::make_shared<const std::string>(std::move(utf8));
  return v;
}

Value Value::bytes(std::string data) {
  Value v;
  v.kind_ = Kind::kBytes;
  v.text_ = std::make_shared<const std::string>(std::move(data));
  return v;
}

Value Value::list(std::vector<Value> elements) { return make_list(std::move(elements)); }

Value Value::tuple(std::vector<Value> elements) { return make_tuple(std::move(elements)); }

Value Value::dict(std::vector<DictItem> items) {
  Value result = make_empty(Kind::kDict);
  for (DictItem& item : items) {
    if (!is_hashable(item.first)) throw Error("unhashable dict key of type " + item.first.kind_name());
    dict_insert(*result.container_, std::move(item.first), std::move(item.second));
  }
  return result;
}

Value Value::set(std::vector<Value> elements) {
  Value result = make_empty(Kind::kSet);
  for (Value& element : elements) {
    if (!is_hashable(element)) throw Error("unhashable set element of type " + element.kind_name());
    set_insert(*result.container_, std::move(element));
  }
  return result;
}

Value Value::frozenset(std::vector<Value> elements) {
  for (const Value& element : elements) {
    if (!is_hashable(element)) throw Error("unhashable set element of type " + element.kind_name());
  }
  return make_frozenset(std::move(elements));
}

std::string Value::kind_name() const { return name_of(kind_); }

bool Value::as_bool() const {
  if (!is_bool()) throw_wrong_kind("bool", *this);
  return int_ != 0;
}

std::int64_t Value::as_int() const {
  if (!is_int()) throw_wrong_kind("int", *this);
  return int_;
}

double Value::as_double() const {
  if (is_float()) return float_;
  if (is_int()) return static_cast<double>(int_);
  throw_wrong_kind("a number", *this);
}

const std::string& Value::as_string() const {
  if (!is_string()) throw_wrong_kind("str", *this);
  return *text_;
}

const std::string& Value::as_bytes() const {
  if (!is_bytes()) throw_wrong_kind("bytes", *this);
  return *text_;
}

const std::vector<Value>& Value::elements() const {
  if (!is_list() && !is_tuple() && !is_set()) throw_wrong_kind("list, tuple or set", *this);
  return container_->elements;
}

const std::vector<Value::DictItem>& Value::items() const {
  if (!is_dict()) throw_wrong_kind("dict", *this);
  return container_->items;
}

std::size_t Value::size() const {
  if (is_string() || is_bytes()) return text_->size();
  if (is_dict()) return container_->items.size();
  return elements().size();
}

const Value* Value::find(std::string_view key) const {
  if (!is_dict()) throw_wrong_kind("dict", *this);
  const auto [first, last] = container_->index.equal_range(hash_text(key, kStringTag));
  for (auto it = first; it != last; ++it) {
    const DictItem& item = container_->items[it->second];
    if (item.first.is_string() && item.first.as_string() == key) return &item.second;
  }
  return nullptr;
}

const Value* Value::find(const Value& key) const {
  if (!is_dict()) throw_wrong_kind("dict", *this);
  if (!is_hashable(key)) throw Error("unhashable dict key of type " + key.kind_name());
  EqualPairs seen;
  return find_in(*container_, key, hash_key(key), seen);
}

const Value& Value::at(std::string_view key) const {
  const Value* value = find(key);
  if (value == nullptr) throw Error("missing key '" + std::string(key) + "'");
  return *value;
}

const Value& Value::at(const Value& key) const {
  const Value* value = find(key);
  if (value == nullptr) throw Error("missing key " + key.to_debug_string());
  return *value;
}

std::string Value::to_debug_string(std::size_t max_chars) const {
  std::string out;
  append_repr(out, *this, max_chars);
  if (out.size() > max_chars) {
    out.resize(max_chars);
    out += "...";
  }
  return out;
}

// -----------------------------------------------------------------------------------------------
// The unpickler

namespace {

// What the numpy.dtype global produced: only the simple numeric kinds are supported.
struct Dtype {
  std::string name;      // as pickled, e.g. "f8"
  char kind = 0;         // 'f', 'i', 'u' or 'b'
  std::size_t size = 0;  // bytes per value
  char byte_order = 0;   // '<' or '|' once known (the BUILD state carries it); 0 before
};

enum class Global { kOrderedDict, kNumpyScalar, kNumpyDtype };

// One entry of the unpickler stack or memo. Besides data Values it can hold the few Python objects
// that exist only while reading (a whitelisted global, a numpy dtype, or a tuple holding those, i.e.
// the arguments of a REDUCE); none of them may end up inside the returned data.
struct Item {
  enum class Tag { kValue, kGlobal, kDtype, kArgs };
  Tag tag = Tag::kValue;
  Value value;
  Global global = Global::kOrderedDict;
  std::shared_ptr<Dtype> dtype;                   // shared: BUILD fills it after memoization
  std::shared_ptr<const std::vector<Item>> args;  // kArgs
  std::size_t args_depth = 0;

  static Item of(Value v) {
    Item item;
    item.value = std::move(v);
    return item;
  }
};

std::size_t item_depth(const Item& item) {
  if (item.tag == Item::Tag::kValue) return depth_of(item.value);
  return item.tag == Item::Tag::kArgs ? item.args_depth : 0;
}

std::string describe(const Item& item) {
  switch (item.tag) {
    case Item::Tag::kValue:
      return item.value.kind_name();
    case Item::Tag::kGlobal:
      return item.global == Global::kOrderedDict  ? "the class collections.OrderedDict"
             : item.global == Global::kNumpyDtype ? "the class numpy.dtype"
                                                  : "the function numpy scalar";
    case Item::Tag::kDtype:
      return "a numpy.dtype";
    case Item::Tag::kArgs:
      return "a tuple of numpy objects";
  }
  return "?";
}

const char* opcode_name(std::uint8_t op) {
  switch (op) {
    case '(': return "MARK";
    case '.': return "STOP";
    case '0': return "POP";
    case '1': return "POP_MARK";
    case '2': return "DUP";
    case 'F': return "FLOAT";
    case 'I': return "INT";
    case 'J': return "BININT";
    case 'K': return "BININT1";
    case 'L': return "LONG";
    case 'M': return "BININT2";
    case 'N': return "NONE";
    case 'R': return "REDUCE";
    case 'S': return "STRING";
    case 'T': return "BINSTRING";
    case 'U': return "SHORT_BINSTRING";
    case 'V': return "UNICODE";
    case 'X': return "BINUNICODE";
    case 'a': return "APPEND";
    case 'b': return "BUILD";
    case 'c': return "GLOBAL";
    case 'd': return "DICT";
    case '}': return "EMPTY_DICT";
    case 'e': return "APPENDS";
    case 'g': return "GET";
    case 'h': return "BINGET";
    case 'j': return "LONG_BINGET";
    case 'l': return "LIST";
    case ']': return "EMPTY_LIST";
    case 'p': return "PUT";
    case 'q': return "BINPUT";
    case 'r': return "LONG_BINPUT";
    case 's': return "SETITEM";
    case 't': return "TUPLE";
    case ')': return "EMPTY_TUPLE";
    case 'u': return "SETITEMS";
    case 'G': return "BINFLOAT";
    case 'B': return "BINBYTES";
    case 'C': return "SHORT_BINBYTES";
    case 0x80: return "PROTO";
    case 0x81: return "NEWOBJ";
    case 0x85: return "TUPLE1";
    case 0x86: return "TUPLE2";
    case 0x87: return "TUPLE3";
    case 0x88: return "NEWTRUE";
    case 0x89: return "NEWFALSE";
    case 0x8a: return "LONG1";
    case 0x8b: return "LONG4";
    case 0x8c: return "SHORT_BINUNICODE";
    case 0x8d: return "BINUNICODE8";
    case 0x8e: return "BINBYTES8";
    case 0x8f: return "EMPTY_SET";
    case 0x90: return "ADDITEMS";
    case 0x91: return "FROZENSET";
    case 0x93: return "STACK_GLOBAL";
    case 0x94: return "MEMOIZE";
    case 0x95: return "FRAME";
    default: return nullptr;
  }
}

// Printable ASCII as is, anything else as \xNN, at most 80 bytes: safe to put in a message.
std::string printable(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < 80; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7f) {
      out += text[i];
    } else {
      append_escaped_byte(out, byte);
    }
  }
  if (text.size() > 80) out += "...";
  return out;
}

std::optional<Global> whitelisted_global(std::string_view module, std::string_view name) {
  if (module == "collections" && name == "OrderedDict") return Global::kOrderedDict;
  if (module == "numpy" && name == "dtype") return Global::kNumpyDtype;
  if ((module == "numpy.core.multiarray" || module == "numpy._core.multiarray") && name == "scalar") {
    return Global::kNumpyScalar;
  }
  return std::nullopt;
}

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t code = 0;
    std::uint32_t minimum = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xe0) == 0xc0) {
      length = 2, code = lead & 0x1f, minimum = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3, code = lead & 0x0f, minimum = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4, code = lead & 0x07, minimum = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < minimum || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += length;
  }
  return true;
}

void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xc0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xe0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  }
}

int hex_digit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x80; });
}

// Little-endian unsigned integer from up to 8 bytes.
std::uint64_t little_endian(std::string_view bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = bytes.size(); i-- > 0;) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

double double_from_bits(std::uint64_t bits) {
  double d = 0;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

float float_from_bits(std::uint32_t bits) {
  float f = 0;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

class Parser {
 public:
  Parser(std::string_view input, const ParseLimits& limits) : input_(input), limits_(limits) {}

  Value run() {
    while (!stopped_) step();
    if (pos_ != input_.size()) {
      fail(std::to_string(input_.size() - pos_) + " unexpected bytes after the STOP opcode");
    }
    return std::move(result_);
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw Error("pickle: " + message + " at offset " + std::to_string(op_offset_));
  }

  std::string op_name() const {
    const char* name = opcode_name(op_);
    return name == nullptr ? "?" : name;
  }

  // ---- Input: every byte read passes here.

  std::string_view take(std::size_t n) {
    const std::size_t left = input_.size() - pos_;
    if (n > left) {
      fail("truncated input (" + op_name() + " needs " + std::to_string(n) + " more bytes, " + std::to_string(left) +
           " left)");
    }
    if (pos_ < frame_end_ && n > frame_end_ - pos_) fail(op_name() + " runs past the end of its frame");
    const std::string_view bytes = input_.substr(pos_, n);
    pos_ += n;
    return bytes;
  }

  std::uint64_t take_uint(std::size_t n) { return little_endian(take(n)); }

  // A protocol-0 argument: the bytes up to the next newline (which is consumed, not returned).
  std::string_view take_line() {
    std::size_t end = input_.size();
    if (pos_ < frame_end_) end = frame_end_;
    const std::string_view rest = input_.substr(pos_, end - pos_);
    const std::size_t newline = rest.find('\n');
    if (newline == std::string_view::npos) fail("truncated input (" + op_name() + " argument has no newline)");
    pos_ += newline + 1;
    return rest.substr(0, newline);
  }

  // A payload whose length the opcode announced (up to 2^64 - 1, so compare before converting).
  std::string_view take_announced(std::uint64_t length) {
    const std::size_t left = input_.size() - pos_;
    if (length > left) {
      fail("truncated input (" + op_name() + " announces " + std::to_string(length) + " bytes, " +
           std::to_string(left) + " left)");
    }
    return take(static_cast<std::size_t>(length));
  }

  std::string_view take_sized(std::size_t size_bytes) { return take_announced(take_uint(size_bytes)); }

  // ---- Stack. Items below the top MARK (the "fence") are out of reach until POP_MARK/collection.

  std::size_t fence() const { return marks_.empty() ? 0 : marks_.back(); }

  void check_stack_room() const {
    if (stack_.size() + marks_.size() >= limits_.max_stack) {
      fail("the stack exceeds " + std::to_string(limits_.max_stack) + " entries");
    }
  }

  void push(Item item) {
    check_stack_room();
    stack_.push_back(std::move(item));
  }

  void push_value(Value value) { push(Item::of(std::move(value))); }

  Item& top() {
    if (stack_.size() <= fence()) fail(op_name() + " needs a stack item, found none");
    return stack_.back();
  }

  Item pop() {
    Item item = std::move(top());
    stack_.pop_back();
    return item;
  }

  std::vector<Item> pop_to_mark() {
    if (marks_.empty()) fail(op_name() + " without a MARK");
    const std::size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<Item> items(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(mark)),
                            std::make_move_iterator(stack_.end()));
    stack_.resize(mark);
    return items;
  }

  Value as_value(Item item, const char* where) const {
    if (item.tag != Item::Tag::kValue) fail(describe(item) + " cannot be stored " + where);
    return std::move(item.value);
  }

  std::vector<Value> as_values(std::vector<Item> items, const char* where) const {
    std::vector<Value> values;
    values.reserve(items.size());
    for (Item& item : items) values.push_back(as_value(std::move(item), where));
    return values;
  }

  // ---- Container rules (see the file comment).

  void check_depth(std::size_t depth) const {
    if (depth > limits_.max_depth) fail("containers nested deeper than " + std::to_string(limits_.max_depth));
  }

  Container& mutable_target(Item& item, Kind kind) {
    if (item.tag != Item::Tag::kValue || item.value.kind() != kind) {
      fail(op_name() + " needs a " + name_of(kind) + " below its arguments, found " + describe(item));
    }
    Container& target = *Access::container(item.value);
    if (target.sealed) {
      fail(op_name() + " changes a container already stored in another one (recursive structures are not supported)");
    }
    return target;
  }

  static void seal(const Value& value) {
    if (Container* c = Access::container(value)) c->sealed = true;
  }

  // Called before `child` is stored in `parent`: from now on the child may not change.
  void check_child(const Container& parent, const Value& child) const {
    if (Access::container(child) == &parent) fail("a container cannot contain itself");
    check_depth(depth_of(child) + 1);
    seal(child);
  }

  void check_key(const Value& key) const {
    if (!is_hashable(key)) fail("unhashable key of type " + key.kind_name() + " (or containing one, or NaN)");
  }

  void add_to_list(Container& list, Value value) {
    check_child(list, value);
    adopt(list, value);
    list.elements.push_back(std::move(value));
  }

  void add_to_dict(Container& dict, Value key, Value value) {
    check_key(key);
    check_child(dict, key);
    check_child(dict, value);
    dict_insert(dict, std::move(key), std::move(value));
  }

  void add_to_set(Container& set, Value element) {
    check_key(element);
    check_child(set, element);
    set_insert(set, std::move(element));
  }

  void add_pairs(Container& dict, std::vector<Item> items) {
    if (items.size() % 2 != 0) fail(op_name() + " has an odd number of items (a key without a value)");
    for (std::size_t i = 0; i < items.size(); i += 2) {
      Value key = as_value(std::move(items[i]), "as a dict key");
      add_to_dict(dict, std::move(key), as_value(std::move(items[i + 1]), "in a dict"));
    }
  }

  // A tuple of data is a Value; a tuple holding a global or dtype is only a REDUCE argument list.
  Item build_tuple(std::vector<Item> items) {
    std::size_t depth = 1;
    bool all_values = true;
    for (const Item& item : items) {
      depth = std::max(depth, item_depth(item) + 1);
      all_values = all_values && item.tag == Item::Tag::kValue;
    }
    check_depth(depth);
    for (const Item& item : items) {
      if (item.tag == Item::Tag::kValue) seal(item.value);
    }
    if (all_values) return Item::of(make_tuple(as_values(std::move(items), "in a tuple")));
    Item args;
    args.tag = Item::Tag::kArgs;
    args.args = std::make_shared<const std::vector<Item>>(std::move(items));
    args.args_depth = depth;
    return args;
  }

  // ---- Memo.

  void memo_put(std::uint64_t key) {
    const Item& item = top();
    if (memo_.size() >= limits_.max_memo && memo_.count(key) == 0) {
      fail("the memo exceeds " + std::to_string(limits_.max_memo) + " entries");
    }
    memo_[key] = item;
  }

  void memo_get(std::uint64_t key) {
    const auto it = memo_.find(key);
    if (it == memo_.end()) fail("memo key " + std::to_string(key) + " was never stored");
    push(it->second);
  }

  // ---- Protocol-0 text arguments.

  // Decimal integer as Python writes it: optional sign, digits, no leading zeros on non-zero values.
  std::int64_t parse_decimal(std::string_view text) const {
    std::string_view digits = text;
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      fail(op_name() + " argument '" + printable(text) + "' is not a decimal integer");
    }
    if (digits.size() > 1 && digits[0] == '0' && digits.find_first_not_of('0') != std::string_view::npos) {
      fail(op_name() + " argument '" + printable(text) + "' has leading zeros");
    }
    std::string_view number = text[0] == '+' ? text.substr(1) : text;
    std::int64_t value = 0;
    const auto result = std::from_chars(number.data(), number.data() + number.size(), value);
    if (result.ec != std::errc() || result.ptr != number.data() + number.size()) {
      fail(op_name() + " argument '" + printable(text) + "' does not fit in 64 bits");
    }
    return value;
  }

  std::uint64_t parse_memo_key(std::string_view text) const {
    const std::int64_t key = parse_decimal(text);
    if (key < 0) fail(op_name() + " has a negative memo key");
    return static_cast<std::uint64_t>(key);
  }

  double parse_float_text(std::string_view text) const {
    std::string_view number = text;
    if (!number.empty() && number[0] == '+') number.remove_prefix(1);
    double value = 0;
    const auto result = std::from_chars(number.data(), number.data() + number.size(), value);
    // out-of-range (e.g. 1e999) is reported by from_chars; Python would give inf, but no pickler writes it.
    if (number.empty() || result.ec != std::errc() || result.ptr != number.data() + number.size()) {
      fail("FLOAT argument '" + printable(text) + "' is not a number");
    }
    return value;
  }

  // Python 2 str literal with repr-style quotes and escapes (what codecs.escape_decode accepts).
  std::string parse_quoted_string(std::string_view line) const {
    if (line.size() < 2 || line.front() != line.back() || (line.front() != '\'' && line.front() != '"')) {
      fail("STRING argument must be quoted");
    }
    const std::string_view body = line.substr(1, line.size() - 2);
    std::string out;
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (body[i] != '\\') {
        out += body[i];
        continue;
      }
      if (++i == body.size()) fail("STRING argument ends with a lone backslash");
      i = decode_escape(body, i, out);
    }
    return out;
  }

  // Decodes the escape whose letter is at body[i]; returns the index of its last character.
  std::size_t decode_escape(std::string_view body, std::size_t i, std::string& out) const {
    const char ch = body[i];
    switch (ch) {
      case '\n': return i;  // line continuation
      case '\\': case '\'': case '"': out += ch; return i;
      case 'a': out += '\a'; return i;
      case 'b': out += '\b'; return i;
      case 'f': out += '\f'; return i;
      case 'n': out += '\n'; return i;
      case 'r': out += '\r'; return i;
      case 't': out += '\t'; return i;
      case 'v': out += '\v'; return i;
      case 'x': {
        if (i + 2 >= body.size() || hex_digit(body[i + 1]) < 0 || hex_digit(body[i + 2]) < 0) {
          fail("STRING argument has an invalid \\x escape");
        }
        out += static_cast<char>(hex_digit(body[i + 1]) * 16 + hex_digit(body[i + 2]));
        return i + 2;
      }
      default:
        break;
    }
    if (ch >= '0' && ch <= '7') {
      int code = 0;
      std::size_t end = i;
      while (end < body.size() && end < i + 3 && body[end] >= '0' && body[end] <= '7') {
        code = code * 8 + (body[end++] - '0');
      }
      out += static_cast<char>(code & 0xff);
      return end - 1;
    }
    out += '\\';  // unknown escapes stay as written, like Python
    out += ch;
    return i;
  }

  // Python's raw-unicode-escape: bytes are Latin-1 code points, except \uXXXX and \UXXXXXXXX
  // after an odd number of backslashes.
  std::string parse_raw_unicode(std::string_view line) const {
    std::string out;
    std::size_t i = 0;
    while (i < line.size()) {
      if (line[i] != '\\') {
        append_utf8(out, static_cast<unsigned char>(line[i++]));
        continue;
      }
      std::size_t run = 0;
      while (i < line.size() && line[i] == '\\') {
        out += '\\';
        ++i;
        ++run;
      }
      if (run % 2 == 0 || i == line.size() || (line[i] != 'u' && line[i] != 'U')) continue;
      out.pop_back();  // that backslash started an escape
      const std::size_t digits = line[i] == 'u' ? 4 : 8;
      ++i;
      std::uint32_t code = 0;
      for (std::size_t k = 0; k < digits; ++k, ++i) {
        if (i == line.size() || hex_digit(line[i]) < 0) fail("UNICODE argument has a truncated \\u escape");
        code = code * 16 + static_cast<std::uint32_t>(hex_digit(line[i]));
      }
      if (code > 0x10ffff) fail("UNICODE argument has an escape above U+10FFFF");
      if (code >= 0xd800 && code <= 0xdfff) fail("UNICODE argument has a surrogate code point");
      append_utf8(out, code);
    }
    return out;
  }

  // ---- Opcode handlers.

  void step() {
    op_offset_ = pos_;
    if (pos_ == input_.size()) fail("truncated input (ended before the STOP opcode)");
    op_ = static_cast<std::uint8_t>(take(1)[0]);
    switch (op_) {
      case 0x80: on_proto(); break;
      case 0x95: on_frame(); break;
      case '.': on_stop(); break;
      case '(': check_stack_room(); marks_.push_back(stack_.size()); break;
      case '0': on_pop(); break;
      case '1': pop_to_mark(); break;
      case '2': push(top()); break;
      case 'N': push_value(Value()); break;
      case 0x88: push_value(Value::boolean(true)); break;
      case 0x89: push_value(Value::boolean(false)); break;
      case 'I': on_int(); break;
      case 'L': on_long_text(); break;
      case 'J': on_binint(); break;
      case 'K': push_value(Value::integer(static_cast<std::int64_t>(take_uint(1)))); break;
      case 'M': push_value(Value::integer(static_cast<std::int64_t>(take_uint(2)))); break;
      case 0x8a: on_long_binary(1); break;
      case 0x8b: on_long_binary(4); break;
      case 'F': push_value(Value::floating(parse_float_text(take_line()))); break;
      case 'G': on_binfloat(); break;
      case 'S': on_python2_string(parse_quoted_string(take_line())); break;
      case 'T': on_binstring(4); break;
      case 'U': on_binstring(1); break;
      case 'V': push_value(Value::string(parse_raw_unicode(take_line()))); break;
      case 'X': on_unicode(take_sized(4)); break;
      case 0x8c: on_unicode(take_sized(1)); break;
      case 0x8d: on_unicode(take_sized(8)); break;
      case 'B': push_value(Value::bytes(std::string(take_sized(4)))); break;
      case 'C': push_value(Value::bytes(std::string(take_sized(1)))); break;
      case 0x8e: push_value(Value::bytes(std::string(take_sized(8)))); break;
      case ')': push_value(make_tuple({})); break;
      case ']': push_value(make_empty(Kind::kList)); break;
      case '}': push_value(make_empty(Kind::kDict)); break;
      case 0x8f: push_value(make_empty(Kind::kSet)); break;
      case 0x85: on_small_tuple(1); break;
      case 0x86: on_small_tuple(2); break;
      case 0x87: on_small_tuple(3); break;
      case 't': push(build_tuple(pop_to_mark())); break;
      case 'l': on_list(); break;
      case 'd': on_dict(); break;
      case 0x91: on_frozenset(); break;
      case 'a': on_append(); break;
      case 'e': on_appends(); break;
      case 's': on_setitem(); break;
      case 'u': on_setitems(); break;
      case 0x90: on_additems(); break;
      case 0x94: memo_put(memo_.size()); break;
      case 'p': memo_put(parse_memo_key(take_line())); break;
      case 'q': memo_put(take_uint(1)); break;
      case 'r': memo_put(take_uint(4)); break;
      case 'g': memo_get(parse_memo_key(take_line())); break;
      case 'h': memo_get(take_uint(1)); break;
      case 'j': memo_get(take_uint(4)); break;
      case 'c': on_global(); break;
      case 0x93: on_stack_global(); break;
      case 'R': on_reduce(); break;
      case 0x81: on_newobj(); break;
      case 'b': on_build(); break;
      default: {
        static const char kHex[] = "0123456789abcdef";
        fail(std::string("unsupported opcode 0x") + kHex[op_ >> 4] + kHex[op_ & 15]);
      }
    }
  }

  void on_proto() {
    const std::uint64_t version = take_uint(1);
    if (version > 5) fail("unsupported pickle protocol " + std::to_string(version));
  }

  // Protocol 4 groups opcodes into frames; the reader only checks that they are consistent.
  void on_frame() {
    if (pos_ < frame_end_) fail("FRAME starts before the previous frame ended");
    const std::uint64_t length = take_uint(8);
    const std::size_t left = input_.size() - pos_;
    if (length > left) {
      fail("truncated input (FRAME announces " + std::to_string(length) + " bytes, " + std::to_string(left) + " left)");
    }
    frame_end_ = pos_ + static_cast<std::size_t>(length);
  }

  void on_stop() {
    if (!marks_.empty()) fail("STOP with an unclosed MARK");
    if (stack_.size() != 1) fail("STOP with " + std::to_string(stack_.size()) + " items on the stack instead of 1");
    result_ = as_value(std::move(stack_.back()), "as the result of a data pickle");
    stack_.clear();
    stopped_ = true;
  }

  // POP discards the top item, or the top MARK when nothing was pushed after it (as CPython does).
  void on_pop() {
    if (!marks_.empty() && marks_.back() == stack_.size()) {
      marks_.pop_back();
      return;
    }
    pop();
  }

  void on_int() {
    const std::string_view text = take_line();
    if (text == "00" || text == "01") {  // protocol 0's spelling of False/True
      push_value(Value::boolean(text == "01"));
      return;
    }
    push_value(Value::integer(parse_decimal(text)));
  }

  void on_long_text() {
    std::string_view text = take_line();
    if (!text.empty() && text.back() == 'L') text.remove_suffix(1);  // Python 2 wrote 123L
    push_value(Value::integer(parse_decimal(text)));
  }

  void on_binint() {
    const auto value = static_cast<std::int64_t>(take_uint(4));
    push_value(Value::integer(value >= (std::int64_t{1} << 31) ? value - (std::int64_t{1} << 32) : value));
  }

  // LONG1/LONG4: little-endian two's complement of any length; only int64 values are accepted.
  void on_long_binary(std::size_t size_bytes) {
    std::uint64_t length = take_uint(size_bytes);
    if (size_bytes == 4 && length > 0x7fffffffULL) fail("LONG4 has a negative byte count");
    const std::string_view bytes = take_announced(length);
    if (bytes.empty()) {
      push_value(Value::integer(0));
      return;
    }
    const bool negative = (static_cast<unsigned char>(bytes.back()) & 0x80) != 0;
    const char sign_byte = negative ? '\xff' : '\x00';
    const std::size_t low = std::min<std::size_t>(bytes.size(), 8);
    const bool extra_is_sign = std::all_of(bytes.begin() + static_cast<std::ptrdiff_t>(low), bytes.end(),
                                           [sign_byte](char ch) { return ch == sign_byte; });
    std::uint64_t value = little_endian(bytes.substr(0, low));
    if (low < 8 && negative) value |= ~std::uint64_t{0} << (8 * low);  // sign-extend
    const bool top_bit_matches = ((value >> 63) != 0) == negative;
    if (!extra_is_sign || !top_bit_matches) fail(op_name() + " value does not fit in 64 bits");
    std::int64_t signed_value = 0;
    std::memcpy(&signed_value, &value, sizeof signed_value);
    push_value(Value::integer(signed_value));
  }

  void on_binfloat() {
    const std::string_view bytes = take(8);
    std::uint64_t bits = 0;
    for (const char ch : bytes) bits = (bits << 8) | static_cast<unsigned char>(ch);  // big-endian
    push_value(Value::floating(double_from_bits(bits)));
  }

  // Python 2 str objects are decoded with Python 3's default encoding for them, ASCII.
  void on_python2_string(std::string text) {
    if (!is_ascii(text)) fail(op_name() + " holds non-ASCII bytes (Python 2 str is read as ASCII)");
    push_value(Value::string(std::move(text)));
  }

  void on_binstring(std::size_t size_bytes) {
    const std::uint64_t length = take_uint(size_bytes);
    if (size_bytes == 4 && length > 0x7fffffffULL) fail("BINSTRING has a negative byte count");
    on_python2_string(std::string(take_announced(length)));
  }

  void on_unicode(std::string_view text) {
    if (!is_valid_utf8(text)) fail(op_name() + " holds invalid UTF-8");
    push_value(Value::string(std::string(text)));
  }

  void on_small_tuple(std::size_t count) {
    std::vector<Item> items(count);
    for (std::size_t i = count; i-- > 0;) items[i] = pop();
    push(build_tuple(std::move(items)));
  }

  void on_list() {
    Value list = make_empty(Kind::kList);
    Container& target = *Access::container(list);
    for (Value& element : as_values(pop_to_mark(), "in a list")) add_to_list(target, std::move(element));
    push_value(std::move(list));
  }

  void on_dict() {
    Value dict = make_empty(Kind::kDict);
    add_pairs(*Access::container(dict), pop_to_mark());
    push_value(std::move(dict));
  }

  void on_frozenset() {
    std::vector<Value> elements = as_values(pop_to_mark(), "in a frozenset");
    std::size_t depth = 1;
    for (const Value& element : elements) {
      check_key(element);
      depth = std::max(depth, depth_of(element) + 1);
      seal(element);
    }
    check_depth(depth);
    push_value(make_frozenset(std::move(elements)));
  }

  void on_append() {
    Value value = as_value(pop(), "in a list");
    add_to_list(mutable_target(top(), Kind::kList), std::move(value));
  }

  void on_appends() {
    std::vector<Value> values = as_values(pop_to_mark(), "in a list");
    Container& list = mutable_target(top(), Kind::kList);
    for (Value& value : values) add_to_list(list, std::move(value));
  }

  void on_setitem() {
    Value value = as_value(pop(), "in a dict");
    Value key = as_value(pop(), "as a dict key");
    add_to_dict(mutable_target(top(), Kind::kDict), std::move(key), std::move(value));
  }

  void on_setitems() {
    std::vector<Item> items = pop_to_mark();
    add_pairs(mutable_target(top(), Kind::kDict), std::move(items));
  }

  void on_additems() {
    std::vector<Value> elements = as_values(pop_to_mark(), "in a set");
    Container& set = mutable_target(top(), Kind::kSet);
    for (Value& element : elements) add_to_set(set, std::move(element));
  }

  // ---- Globals and object construction.

  void push_global(std::string_view module, std::string_view name) {
    const std::optional<Global> global = whitelisted_global(module, name);
    if (!global) {
      fail("global '" + printable(module) + "." + printable(name) +
           "' is not allowed (only collections.OrderedDict, numpy.dtype and numpy scalars)");
    }
    Item item;
    item.tag = Item::Tag::kGlobal;
    item.global = *global;
    push(std::move(item));
  }

  void on_global() {
    const std::string_view module = take_line();
    const std::string_view name = take_line();
    push_global(module, name);
  }

  void on_stack_global() {
    const Item name = pop();
    const Item module = pop();
    if (module.tag != Item::Tag::kValue || name.tag != Item::Tag::kValue || !module.value.is_string() ||
        !name.value.is_string()) {
      fail("STACK_GLOBAL needs two str items, found " + describe(module) + " and " + describe(name));
    }
    push_global(module.value.as_string(), name.value.as_string());
  }

  void on_reduce() {
    Item args = pop();
    const Item callable = pop();
    if (callable.tag != Item::Tag::kGlobal) fail("REDUCE needs a callable, found " + describe(callable));
    switch (callable.global) {
      case Global::kOrderedDict: push_value(new_ordered_dict(std::move(args))); break;
      case Global::kNumpyDtype: push(new_dtype(args)); break;
      case Global::kNumpyScalar: push_value(new_numpy_scalar(args)); break;
    }
  }

  // Only OrderedDict is ever created with NEWOBJ (cls.__new__(cls)), and then filled by SETITEMS.
  void on_newobj() {
    const Item args = pop();
    const Item cls = pop();
    if (cls.tag != Item::Tag::kGlobal || cls.global != Global::kOrderedDict) {
      fail("NEWOBJ is only supported for collections.OrderedDict, found " + describe(cls));
    }
    if (args.tag != Item::Tag::kValue || !args.value.is_tuple() || args.value.size() != 0) {
      fail("NEWOBJ of OrderedDict needs an empty argument tuple");
    }
    push_value(make_empty(Kind::kDict));
  }

  // OrderedDict() or OrderedDict(pairs) where pairs is a dict or a list/tuple of 2-item lists/tuples.
  Value new_ordered_dict(Item args) {
    if (args.tag != Item::Tag::kValue || !args.value.is_tuple() || args.value.size() > 1) {
      fail("OrderedDict needs () or (pairs,) as arguments, found " + describe(args));
    }
    Value dict = make_empty(Kind::kDict);
    Container& target = *Access::container(dict);
    if (args.value.size() == 0) return dict;
    const Value& source = args.value.elements()[0];
    if (source.is_dict()) {
      for (const Value::DictItem& item : source.items()) add_to_dict(target, item.first, item.second);
    } else if (source.is_list() || source.is_tuple()) {
      for (const Value& pair : source.elements()) {
        if (!(pair.is_list() || pair.is_tuple()) || pair.size() != 2) fail("OrderedDict pairs must have 2 items");
        add_to_dict(target, pair.elements()[0], pair.elements()[1]);
      }
    } else {
      fail("OrderedDict cannot be built from a " + source.kind_name());
    }
    return dict;
  }

  // numpy.dtype(name, align, copy): numpy pickles e.g. ('f8', False, True), then BUILD sets the byte order.
  Item new_dtype(const Item& args) {
    if (args.tag != Item::Tag::kValue || !args.value.is_tuple() || args.value.size() < 1 || args.value.size() > 3) {
      fail("numpy.dtype needs (name, align, copy) as arguments, found " + describe(args));
    }
    const std::vector<Value>& arguments = args.value.elements();
    if (!arguments[0].is_string()) fail("numpy.dtype name must be a str, found " + arguments[0].kind_name());
    for (std::size_t i = 1; i < arguments.size(); ++i) {
      if (!arguments[i].is_int() && !arguments[i].is_bool()) fail("numpy.dtype flags must be int or bool");
    }
    auto dtype = std::make_shared<Dtype>(parse_dtype_name(arguments[0].as_string()));
    Item item;
    item.tag = Item::Tag::kDtype;
    item.dtype = std::move(dtype);
    return item;
  }

  Dtype parse_dtype_name(const std::string& name) const {
    Dtype dtype;
    dtype.name = name;
    std::string_view code = name;
    if (!code.empty() && (code[0] == '<' || code[0] == '>' || code[0] == '|' || code[0] == '=')) {
      set_byte_order(dtype, code[0]);
      code.remove_prefix(1);
    }
    static const char* const kSupported[] = {"f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"};
    if (std::find(std::begin(kSupported), std::end(kSupported), code) == std::end(kSupported)) {
      fail("unsupported numpy dtype '" + printable(name) + "' (supported: f4 f8 i1-i8 u1-u8 b1)");
    }
    dtype.kind = code[0];
    dtype.size = static_cast<std::size_t>(code[1] - '0');
    return dtype;
  }

  void set_byte_order(Dtype& dtype, char order) const {
    if (order == '>') fail("big-endian numpy dtype '>" + printable(dtype.name) + "' is not supported");
    if (order != '<' && order != '|') fail(std::string("unexpected numpy byte order '") + order + "'");
    dtype.byte_order = order;
  }

  // BUILD applies a dtype's __setstate__ state: (version, byte order, subarray, names, fields,
  // elsize, alignment, flags[, metadata]); only plain scalar dtypes (no subarray/fields) are accepted.
  void on_build() {
    const Item state = pop();
    Item& target = top();
    if (target.tag != Item::Tag::kDtype) fail("BUILD is only supported on numpy.dtype, found " + describe(target));
    if (state.tag != Item::Tag::kValue || !state.value.is_tuple()) fail("numpy.dtype state must be a tuple");
    const std::vector<Value>& fields = state.value.elements();
    if (fields.size() != 8 && fields.size() != 9) fail("numpy.dtype state must have 8 or 9 items");
    if (!fields[0].is_int() || (fields[0].as_int() != 3 && fields[0].as_int() != 4)) {
      fail("unsupported numpy.dtype state version " + fields[0].to_debug_string(20));
    }
    if (!fields[1].is_string() || fields[1].size() != 1) fail("numpy.dtype byte order must be a 1-character str");
    if (!fields[2].is_none() || !fields[3].is_none() || !fields[4].is_none()) {
      fail("structured or subarray numpy dtypes are not supported");
    }
    set_byte_order(*target.dtype, fields[1].as_string()[0]);
  }

  // numpy.core.multiarray.scalar(dtype, raw bytes): the value is decoded now and the numpy type dropped.
  Value new_numpy_scalar(const Item& args) {
    if (args.tag != Item::Tag::kArgs || args.args->size() != 2 || (*args.args)[0].tag != Item::Tag::kDtype ||
        (*args.args)[1].tag != Item::Tag::kValue || !(*args.args)[1].value.is_bytes()) {
      fail("numpy scalar needs (dtype, bytes) as arguments, found " + describe(args));
    }
    const Dtype& dtype = *(*args.args)[0].dtype;
    const std::string& raw = (*args.args)[1].value.as_bytes();
    if (dtype.byte_order == 0) {
      fail("numpy.dtype '" + printable(dtype.name) + "' used before BUILD gave its byte order");
    }
    if (raw.size() != dtype.size) {
      fail("numpy scalar of dtype " + printable(dtype.name) + " needs " + std::to_string(dtype.size) +
           " bytes, found " + std::to_string(raw.size()));
    }
    return decode_scalar(dtype, little_endian(raw));
  }

  Value decode_scalar(const Dtype& dtype, std::uint64_t bits) const {
    const unsigned width = static_cast<unsigned>(dtype.size * 8);
    switch (dtype.kind) {
      case 'f':
        if (dtype.size == 4) return Value::floating(float_from_bits(static_cast<std::uint32_t>(bits)));
        return Value::floating(double_from_bits(bits));
      case 'i': {
        if (width < 64 && (bits >> (width - 1)) != 0) bits |= ~std::uint64_t{0} << width;  // sign-extend
        std::int64_t value = 0;
        std::memcpy(&value, &bits, sizeof value);
        return Value::integer(value);
      }
      case 'u':
        if (bits > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          fail("numpy uint64 value " + std::to_string(bits) + " does not fit in int64");
        }
        return Value::integer(static_cast<std::int64_t>(bits));
      default:
        if (bits > 1) fail("numpy bool holds byte " + std::to_string(bits) + ", not 0 or 1");
        return Value::boolean(bits == 1);
    }
  }

  std::string_view input_;
  ParseLimits limits_;
  std::size_t pos_ = 0;
  std::size_t op_offset_ = 0;
  std::uint8_t op_ = 0;
  std::size_t frame_end_ = 0;  // end of the current FRAME; reads may not cross it
  std::vector<Item> stack_;
  std::vector<std::size_t> marks_;  // stack sizes at each open MARK
  std::unordered_map<std::uint64_t, Item> memo_;
  bool stopped_ = false;
  Value result_;
};

}  // namespace

Value parse(std::string_view bytes, const ParseLimits& limits) { return Parser(bytes, limits).run(); }

}  // namespace nas::bench::pickle

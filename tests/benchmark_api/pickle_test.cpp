// Tests for the strict pickle reader and the bzip2 loader: hand-built opcode sequences, pickles made
// by CPython (protocols 0-4), malformed and hostile inputs, and the real NATS-Bench sample files
// checked leaf by leaf against their JSON conversion.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nas/benchmark_api/compressed_file.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/pickle.h"

namespace nas::bench::pickle {
namespace {

// ---------------------------------------------------------------------------------------------
// Byte-string builders.

std::string from_hex(std::string_view hex) {
  std::string out;
  int high = -1;
  for (const char ch : hex) {
    if (ch == ' ' || ch == '\n') continue;
    const int digit = (ch >= '0' && ch <= '9') ? ch - '0' : ch - 'a' + 10;
    if (high < 0) {
      high = digit;
    } else {
      out += static_cast<char>(high * 16 + digit);
      high = -1;
    }
  }
  return out;
}

std::string op(int code) { return std::string(1, static_cast<char>(code)); }

std::string le(std::uint64_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

// SHORT_BINUNICODE, BININT1 and BINGET with their arguments.
std::string str(std::string_view text) { return op(0x8c) + le(text.size(), 1) + std::string(text); }
std::string int1(int value) { return op('K') + le(static_cast<std::uint64_t>(value), 1); }
std::string get(int index) { return op('h') + le(static_cast<std::uint64_t>(index), 1); }

// PROTO 4, body, STOP.
std::string pk(const std::string& body) { return "\x80\x04" + body + "."; }

// `numpy.core.multiarray.scalar(numpy.dtype(name) + BUILD state with `order`, raw)`, as numpy pickles it.
std::string numpy_scalar(std::string_view name, std::string_view order, const std::string& raw,
                         std::string_view module = "numpy.core.multiarray") {
  return str(module) + str("scalar") + op(0x93) + str("numpy") + str("dtype") + op(0x93) + str(name) + int1(0) +
         int1(1) + op(0x87) + op('R') + op('(') + int1(3) + str(order) + "NNN" + op('J') + le(0xffffffff, 4) + op('J') +
         le(0xffffffff, 4) + int1(0) + op('t') + op('b') + op('C') + le(raw.size(), 1) + raw + op(0x86) + op('R');
}

std::uint64_t bits_of(double d) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &d, sizeof bits);
  return bits;
}

std::string raw_le(std::uint64_t value, int bytes) { return le(value, bytes); }

// Expects parse to throw nas::Error whose message contains `needle`.
void expect_error(const std::string& bytes, const std::string& needle, const ParseLimits& limits = ParseLimits{}) {
  try {
    (void)parse(bytes, limits);
    ADD_FAILURE() << "no error; expected one containing '" << needle << "'";
  } catch (const nas::Error& error) {
    EXPECT_NE(std::string(error.what()).find(needle), std::string::npos) << error.what();
    EXPECT_EQ(std::string(error.what()).rfind("pickle: ", 0), 0u) << error.what();
  }
}

// ---------------------------------------------------------------------------------------------
// Scalars.

TEST(PickleScalars, NoneAndBools) {
  EXPECT_TRUE(parse(pk("N")).is_none());
  EXPECT_TRUE(parse(pk(op(0x88))).as_bool());
  EXPECT_FALSE(parse(pk(op(0x89))).as_bool());
  EXPECT_TRUE(parse("I01\n.").as_bool());  // protocol 0 spelling
  EXPECT_FALSE(parse("I00\n.").as_bool());
}

TEST(PickleScalars, BinaryInts) {
  EXPECT_EQ(parse(pk(int1(200))).as_int(), 200);
  EXPECT_EQ(parse(pk(op('M') + le(65535, 2))).as_int(), 65535);
  EXPECT_EQ(parse(pk(op('J') + le(0xfffffffe, 4))).as_int(), -2);
  EXPECT_EQ(parse(pk(op('J') + le(0x7fffffff, 4))).as_int(), 2147483647);
}

TEST(PickleScalars, TextInts) {
  EXPECT_EQ(parse("I42\n.").as_int(), 42);
  EXPECT_EQ(parse("I-7\n.").as_int(), -7);
  EXPECT_EQ(parse("L123L\n.").as_int(), 123);
  EXPECT_EQ(parse("L-9223372036854775808L\n.").as_int(), INT64_MIN);
  expect_error("L9223372036854775808L\n.", "does not fit in 64 bits");
  expect_error("I0x10\n.", "not a decimal integer");
  expect_error("I012\n.", "leading zeros");
  expect_error("I\n.", "not a decimal integer");
}

TEST(PickleScalars, Long1AndLong4) {
  EXPECT_EQ(parse(pk(op(0x8a) + le(0, 1))).as_int(), 0);
  EXPECT_EQ(parse(pk(op(0x8a) + le(1, 1) + "\xff")).as_int(), -1);
  EXPECT_EQ(parse(pk(op(0x8a) + le(2, 1) + std::string("\x00\x80", 2))).as_int(), -32768);
  EXPECT_EQ(parse(pk(op(0x8a) + le(3, 1) + std::string("\x00\x80\x00", 3))).as_int(), 32768);
  EXPECT_EQ(parse(pk(op(0x8a) + le(8, 1) + le(INT64_MAX, 8))).as_int(), INT64_MAX);
  EXPECT_EQ(parse(pk(op(0x8a) + le(8, 1) + le(static_cast<std::uint64_t>(INT64_MIN), 8))).as_int(), INT64_MIN);
  // Redundant sign bytes beyond 8 are fine; real extra magnitude is not.
  EXPECT_EQ(parse(pk(op(0x8a) + le(9, 1) + std::string(9, '\xff'))).as_int(), -1);
  EXPECT_EQ(parse(pk(op(0x8b) + le(3, 4) + le(1, 3))).as_int(), 1);
  expect_error(pk(op(0x8a) + le(9, 1) + le(0, 8) + "\x01"), "does not fit in 64 bits");
  expect_error(pk(op(0x8a) + le(9, 1) + le(1ULL << 63, 8) + le(0, 1)), "does not fit in 64 bits");  // 2^63
  expect_error(pk(op(0x8b) + le(0xffffffff, 4)), "negative byte count");
}

TEST(PickleScalars, Floats) {
  const double tenth = parse(pk(op('G') + from_hex("3fb999999999999a"))).as_double();
  EXPECT_EQ(bits_of(tenth), bits_of(0.1));
  EXPECT_EQ(bits_of(parse(pk(op('G') + from_hex("8000000000000000"))).as_double()), bits_of(-0.0));
  EXPECT_TRUE(std::isnan(parse(pk(op('G') + from_hex("7ff8000000000000"))).as_double()));
  EXPECT_EQ(parse("F2.5\n.").as_double(), 2.5);
  EXPECT_EQ(bits_of(parse("F0.1\n.").as_double()), bits_of(0.1));
  EXPECT_EQ(parse("F-1e+100\n.").as_double(), -1e100);
  EXPECT_TRUE(std::isinf(parse("Finf\n.").as_double()));
  expect_error("F1.5x\n.", "not a number");
  EXPECT_EQ(parse(pk(int1(3))).as_double(), 3.0);  // as_double accepts ints
}

TEST(PickleScalars, UnicodeFamilies) {
  EXPECT_EQ(parse(pk(str("h\xc3\xa9"))).as_string(), "h\xc3\xa9");
  EXPECT_EQ(parse(pk(op('X') + le(2, 4) + "ab")).as_string(), "ab");
  EXPECT_EQ(parse(pk(op(0x8d) + le(3, 8) + "xyz")).as_string(), "xyz");
  // Protocol 0: raw-unicode-escape, Latin-1 bytes and \u escapes.
  EXPECT_EQ(parse("V\xe9\\u20ac\\U0001f600\\\\u0041\n.").as_string(),
            "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\\\u0041");
  expect_error(pk(str("\xc3")), "invalid UTF-8");
  expect_error(pk(str("\xed\xa0\x80")), "invalid UTF-8");  // a UTF-8-encoded surrogate
  expect_error(pk(str("\xc0\xaf")), "invalid UTF-8");      // overlong
  expect_error("V\\ud800\n.", "surrogate");
  expect_error("V\\u12\n.", "truncated \\u escape");
}

TEST(PickleScalars, Python2Strings) {
  EXPECT_EQ(parse("S'a\\nb\\x41\\'\\101\\\\'\n.").as_string(), "a\nbA'A\\");
  EXPECT_EQ(parse("S\"q\"\n.").as_string(), "q");
  EXPECT_EQ(parse(pk(op('T') + le(3, 4) + "abc")).as_string(), "abc");
  EXPECT_EQ(parse(pk(op('U') + le(1, 1) + "z")).as_string(), "z");
  expect_error("S'abc\n.", "must be quoted");
  expect_error("S'\\x4'\n.", "invalid \\x escape");
  expect_error(pk(op('U') + le(1, 1) + "\xe9"), "non-ASCII");
  expect_error(pk(op('T') + le(0x80000000, 4)), "negative byte count");
}

TEST(PickleScalars, Bytes) {
  EXPECT_EQ(parse(pk(op('C') + le(2, 1) + std::string("\x00\xff", 2))).as_bytes(), std::string("\x00\xff", 2));
  EXPECT_EQ(parse(pk(op('B') + le(1, 4) + "q")).as_bytes(), "q");
  EXPECT_EQ(parse(pk(op(0x8e) + le(0, 8))).as_bytes(), "");
  EXPECT_TRUE(parse(pk(op('C') + le(0, 1))).is_bytes());
}

// ---------------------------------------------------------------------------------------------
// Containers, stack and memo.

TEST(PickleContainers, ListsAndTuples) {
  const Value list = parse(pk("]" + int1(1) + "a(" + int1(2) + int1(3) + "e"));
  ASSERT_TRUE(list.is_list());
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list.elements()[2].as_int(), 3);
  EXPECT_EQ(parse(pk("(" + int1(4) + "Nl")).elements()[1].kind(), Value::Kind::kNone);
  EXPECT_EQ(parse(pk(")")).size(), 0u);
  EXPECT_EQ(parse(pk(int1(1) + op(0x85))).elements()[0].as_int(), 1);
  EXPECT_EQ(parse(pk(int1(1) + int1(2) + op(0x86))).elements()[1].as_int(), 2);
  const Value triple = parse(pk(int1(1) + int1(2) + int1(3) + op(0x87)));
  EXPECT_TRUE(triple.is_tuple());
  EXPECT_EQ(triple.elements()[2].as_int(), 3);
  EXPECT_EQ(parse(pk("(" + int1(5) + int1(6) + "t")).size(), 2u);
}

TEST(PickleContainers, DictsKeepInsertionOrderAndPythonKeyEquality) {
  const Value dict = parse(pk("}(" + str("b") + int1(1) + str("a") + int1(2) + "u" + int1(7) + str("x") + "s"));
  ASSERT_EQ(dict.size(), 3u);
  EXPECT_EQ(dict.items()[0].first.as_string(), "b");
  EXPECT_EQ(dict.items()[1].first.as_string(), "a");
  EXPECT_EQ(dict.items()[2].first.as_int(), 7);
  EXPECT_EQ(dict.at("a").as_int(), 2);
  EXPECT_EQ(dict.find(Value::integer(7))->as_string(), "x");
  EXPECT_EQ(dict.find(Value::floating(7.0))->as_string(), "x");  // 7 == 7.0 in Python
  EXPECT_EQ(dict.find("zz"), nullptr);
  // 1, 1.0 and True are one key: first position and key kept, last value wins.
  const Value merged = parse(pk("(" + int1(1) + str("a") + "G" + from_hex("3ff0000000000000") + str("b") + op(0x88) +
                                str("c") + "d"));
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_TRUE(merged.items()[0].first.is_int());
  EXPECT_EQ(merged.items()[0].second.as_string(), "c");
}

TEST(PickleContainers, TupleKeys) {
  const Value dict = parse(pk("}(" + str("cifar10") + "M" + le(777, 2) + op(0x86) + int1(1) + str("cifar10") + int1(5) +
                              op(0x86) + int1(2) + "u"));
  const Value key = Value::tuple({Value::string("cifar10"), Value::integer(777)});
  EXPECT_EQ(dict.at(key).as_int(), 1);
  EXPECT_EQ(dict.find(Value::tuple({Value::string("cifar10"), Value::integer(6)})), nullptr);
  EXPECT_THROW((void)dict.find(Value::list({})), nas::Error);
}

TEST(PickleContainers, SetsAndFrozensets) {
  const Value set = parse(pk(op(0x8f) + "(" + int1(3) + int1(1) + int1(3) + op(0x90)));
  ASSERT_EQ(set.kind(), Value::Kind::kSet);
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set.elements()[0].as_int(), 3);
  const Value frozen = parse(pk("(" + str("a") + str("a") + op(0x91)));
  EXPECT_EQ(frozen.kind(), Value::Kind::kFrozenSet);
  EXPECT_EQ(frozen.size(), 1u);
  // A frozenset is hashable; {frozenset({1, 2}): 0} is found with the elements in another order.
  const Value dict = parse(pk("}(" + int1(1) + int1(2) + op(0x91) + int1(0) + "s"));
  EXPECT_EQ(dict.at(Value::frozenset({Value::integer(2), Value::integer(1)})).as_int(), 0);
  expect_error(pk(op(0x8f) + "(]" + op(0x90)), "unhashable key of type list");
}

TEST(PickleStack, MarkPopDup) {
  EXPECT_EQ(parse(pk(int1(1) + int1(2) + "0")).as_int(), 1);             // POP
  EXPECT_EQ(parse(pk(int1(1) + "(" + int1(2) + int1(3) + "1")).as_int(), 1);  // POP_MARK
  EXPECT_EQ(parse(pk(int1(1) + "(0")).as_int(), 1);                       // POP of an empty mark
  const Value dup = parse(pk("]2" + op(0x86)));
  EXPECT_EQ(&dup.elements()[0].elements(), &dup.elements()[1].elements());  // DUP shares
  expect_error(pk("0"), "needs a stack item");
  expect_error(pk(int1(1) + "(a"), "needs a stack item");  // cannot reach below a MARK
  expect_error(pk("t"), "without a MARK");
  expect_error(pk(int1(1) + "("), "unclosed MARK");
  expect_error(pk(int1(1) + int1(2)), "2 items on the stack");
  expect_error(pk(""), "0 items on the stack");
}

TEST(PickleMemo, AllPutAndGetForms) {
  // MEMOIZE/BINGET, BINPUT/LONG_BINGET, LONG_BINPUT/GET, PUT/BINGET.
  const Value value = parse(pk("(" + str("a") + op(0x94) + "0" + get(0) + int1(5) + "q" + le(9, 1) + "0j" + le(9, 4) +
                               int1(6) + "r" + le(70000, 4) + "0g70000\n" + int1(7) + "p12\n0" + get(12) + "l"));
  ASSERT_EQ(value.size(), 4u);
  EXPECT_EQ(value.elements()[0].as_string(), "a");
  EXPECT_EQ(value.elements()[1].as_int(), 5);
  EXPECT_EQ(value.elements()[2].as_int(), 6);
  EXPECT_EQ(value.elements()[3].as_int(), 7);
  expect_error(pk(get(3)), "memo key 3 was never stored");
  expect_error(pk("N" + op(0x94) + "g-1\n"), "negative memo key");
  expect_error(pk(op(0x94)), "needs a stack item");
}

TEST(PickleMemo, GetSharesContainersInsteadOfCopying) {
  const Value value = parse(pk("(]" + op(0x94) + int1(1) + "a" + get(0) + "l"));
  ASSERT_EQ(value.size(), 2u);
  EXPECT_EQ(&value.elements()[0].elements(), &value.elements()[1].elements());
}

// ---------------------------------------------------------------------------------------------
// Globals, OrderedDict and numpy scalars.

TEST(PickleGlobals, OrderedDictThreeWays) {
  const Value reduced =
      parse(pk(str("collections") + str("OrderedDict") + op(0x93) + ")R(" + str("k") + int1(1) + "u"));
  EXPECT_TRUE(reduced.is_dict());
  EXPECT_EQ(reduced.at("k").as_int(), 1);
  const Value newobj = parse(pk("ccollections\nOrderedDict\n)" + op(0x81) + str("z") + int1(2) + "s"));
  EXPECT_EQ(newobj.at("z").as_int(), 2);
  const Value from_pairs =
      parse(pk("ccollections\nOrderedDict\n](" + str("p") + int1(3) + op(0x86) + str("q") + int1(4) + op(0x86) + "e" +
               op(0x85) + "R"));
  ASSERT_EQ(from_pairs.size(), 2u);
  EXPECT_EQ(from_pairs.items()[1].first.as_string(), "q");
  expect_error(pk("ccollections\nOrderedDict\n" + int1(1) + op(0x85) + op(0x81)), "empty argument tuple");
}

TEST(PickleGlobals, OnlyWhitelistedGlobals) {
  expect_error(pk("cos\nsystem\n"), "global 'os.system' is not allowed");
  expect_error(pk(str("builtins") + str("eval") + op(0x93)), "global 'builtins.eval' is not allowed");
  expect_error(pk("c__builtin__\nset\n"), "global '__builtin__.set' is not allowed");
  expect_error(pk(int1(1) + str("x") + op(0x93)), "STACK_GLOBAL needs two str items");
  expect_error(pk(int1(1) + ")R"), "REDUCE needs a callable");
  // A global or dtype is never data.
  expect_error(pk(str("collections") + str("OrderedDict") + op(0x93)), "cannot be stored as the result");
  expect_error(pk("](" + str("collections") + str("OrderedDict") + op(0x93) + "e"), "cannot be stored in a list");
  expect_error(pk("}" + int1(1) + ")b"), "BUILD is only supported on numpy.dtype");
}

TEST(PickleNumpy, ScalarsOfEachDtype) {
  EXPECT_EQ(bits_of(parse(pk(numpy_scalar("f8", "<", raw_le(bits_of(0.129306), 8)))).as_double()), bits_of(0.129306));
  std::uint32_t f32 = 0;
  const float quarter = 0.25F;
  std::memcpy(&f32, &quarter, 4);
  const Value f4 = parse(pk(numpy_scalar("f4", "<", raw_le(f32, 4))));
  EXPECT_TRUE(f4.is_float());
  EXPECT_EQ(f4.as_double(), 0.25);
  EXPECT_EQ(parse(pk(numpy_scalar("i8", "<", raw_le(static_cast<std::uint64_t>(-5), 8)))).as_int(), -5);
  EXPECT_EQ(parse(pk(numpy_scalar("i4", "<", raw_le(0xfffffff0, 4)))).as_int(), -16);
  EXPECT_EQ(parse(pk(numpy_scalar("i1", "|", raw_le(0x80, 1)))).as_int(), -128);
  EXPECT_EQ(parse(pk(numpy_scalar("u4", "<", raw_le(0xfffffff0, 4)))).as_int(), 0xfffffff0LL);
  EXPECT_EQ(parse(pk(numpy_scalar("u2", "<", raw_le(65535, 2)))).as_int(), 65535);
  EXPECT_EQ(parse(pk(numpy_scalar("u8", "<", raw_le(12345, 8)))).as_int(), 12345);
  EXPECT_TRUE(parse(pk(numpy_scalar("b1", "|", raw_le(1, 1)))).as_bool());
  EXPECT_FALSE(parse(pk(numpy_scalar("b1", "|", raw_le(0, 1)))).as_bool());
  EXPECT_EQ(parse(pk(numpy_scalar("f8", "<", raw_le(bits_of(2.0), 8), "numpy._core.multiarray"))).as_double(), 2.0);
}

TEST(PickleNumpy, RejectsWhatItCannotDecode) {
  expect_error(pk(numpy_scalar("f8", ">", raw_le(0, 8))), "big-endian numpy dtype");
  expect_error(pk(numpy_scalar(">f8", "<", raw_le(0, 8))), "big-endian numpy dtype");
  expect_error(pk(numpy_scalar("c16", "<", raw_le(0, 8))), "unsupported numpy dtype 'c16'");
  expect_error(pk(numpy_scalar("f8", "<", raw_le(0, 4))), "needs 8 bytes, found 4");
  expect_error(pk(numpy_scalar("u8", "<", raw_le(1ULL << 63, 8))), "does not fit in int64");
  expect_error(pk(numpy_scalar("b1", "|", raw_le(2, 1))), "not 0 or 1");
  // A dtype without its BUILD state has no known byte order.
  expect_error(pk(str("numpy.core.multiarray") + str("scalar") + op(0x93) + str("numpy") + str("dtype") + op(0x93) +
                  str("f8") + op(0x85) + "R" + op('C') + le(8, 1) + le(0, 8) + op(0x86) + "R"),
               "used before BUILD");
  expect_error(pk(str("numpy.core.multiarray") + str("scalar") + op(0x93) + int1(1) + op(0x85) + "R"),
               "numpy scalar needs (dtype, bytes)");
}

// ---------------------------------------------------------------------------------------------
// Pickles written by CPython 3.11: pickle.dumps(obj, protocol=p) for p = 0..4 of
// {'a': [1, 2.5, None, True, False], ('x', 1): 'yé€😀', 'c': (1,), 'f': -2**40, 'g': 2**63-1,
//  'n': -2**63, 'h': OrderedDict([('k', 1.0), ('j', [])]), 's': "quote' \\ \n end", 'e': ()}
const char* const kCpythonPickles[] = {
    "286470300a56610a70310a286c70320a49310a6146322e350a614e614930310a614930300a61732856780a70330a49310a7470340a5679e9"
    "5c75323061635c5530303031663630300a70350a7356630a70360a2849310a7470370a7356660a70380a4c2d313039393531313632373737"
    "364c0a7356670a70390a4c393232333337323033363835343737353830374c0a73566e0a7031300a4c2d3932323333373230333638353437"
    "37353830384c0a7356680a7031310a63636f6c6c656374696f6e730a4f726465726564446963740a7031320a2874527031330a566b0a7031"
    "340a46312e300a73566a0a7031350a286c7031360a737356730a7031370a5671756f746527205c7530303563205c753030306120656e640a"
    "7031380a7356650a7031390a2874732e",
    "7d71002858010000006171015d7102284b014740040000000000004e4930310a4930300a652858010000007871034b01747104580a000000"
    "79c3a9e282acf09f988071055801000000637106284b0174710758010000006671084c2d313039393531313632373737364c0a5801000000"
    "6771094c393232333337323033363835343737353830374c0a58010000006e710a4c2d393232333337323033363835343737353830384c0a"
    "580100000068710b63636f6c6c656374696f6e730a4f726465726564446963740a710c2952710d2858010000006b710e473ff00000000000"
    "0058010000006a710f5d7110755801000000737111580e00000071756f746527205c200a20656e647112580100000065711329752e",
    "80027d71002858010000006171015d7102284b014740040000000000004e88896558010000007871034b01867104580a00000079c3a9e282"
    "acf09f9880710558010000006371064b0185710758010000006671088a060000000000ff58010000006771098a08ffffffffffffff7f5801"
    "0000006e710a8a080000000000000080580100000068710b63636f6c6c656374696f6e730a4f726465726564446963740a710c2952710d28"
    "58010000006b710e473ff000000000000058010000006a710f5d7110755801000000737111580e00000071756f746527205c200a20656e64"
    "7112580100000065711329752e",
    "80037d71002858010000006171015d7102284b014740040000000000004e88896558010000007871034b01867104580a00000079c3a9e282"
    "acf09f9880710558010000006371064b0185710758010000006671088a060000000000ff58010000006771098a08ffffffffffffff7f5801"
    "0000006e710a8a080000000000000080580100000068710b63636f6c6c656374696f6e730a4f726465726564446963740a710c2952710d28"
    "58010000006b710e473ff000000000000058010000006a710f5d7110755801000000737111580e00000071756f746527205c200a20656e64"
    "7112580100000065711329752e",
    "800495b4000000000000007d94288c0161945d94284b014740040000000000004e8889658c0178944b0186948c0a79c3a9e282acf09f9880"
    "948c0163944b0185948c0166948a060000000000ff8c0167948a08ffffffffffffff7f8c016e948a0800000000000000808c0168948c0b63"
    "6f6c6c656374696f6e73948c0b4f72646572656444696374949394295294288c016b94473ff00000000000008c016a945d94758c0173948c"
    "0e71756f746527205c200a20656e64948c01659429752e",
};

// pickle.dumps({'set': {1, 2, 3}, 'fs': frozenset({'a'}), 'b': b'\x00\xff', 'shared': [l, l]}, 4), l = [1.5]
const char* const kCpythonSetsAndBytes =
    "80049545000000000000007d94288c03736574948f94284b014b024b03908c02667394288c01619491948c016294430200ff948c06736861"
    "726564945d94285d94473ff800000000000061680a65752e";

TEST(PickleCpython, EveryProtocolGivesTheSameData) {
  for (int protocol = 0; protocol <= 4; ++protocol) {
    SCOPED_TRACE("protocol " + std::to_string(protocol));
    const Value v = parse(from_hex(kCpythonPickles[protocol]));
    ASSERT_TRUE(v.is_dict());
    ASSERT_EQ(v.size(), 9u);
    const auto& a = v.at("a").elements();
    ASSERT_EQ(a.size(), 5u);
    EXPECT_EQ(a[0].as_int(), 1);
    EXPECT_EQ(a[1].as_double(), 2.5);
    EXPECT_TRUE(a[2].is_none());
    EXPECT_TRUE(a[3].as_bool());
    EXPECT_FALSE(a[4].as_bool());
    EXPECT_EQ(v.at(Value::tuple({Value::string("x"), Value::integer(1)})).as_string(),
              "y\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    EXPECT_TRUE(v.at("c").is_tuple());
    EXPECT_EQ(v.at("f").as_int(), -(std::int64_t{1} << 40));
    EXPECT_EQ(v.at("g").as_int(), INT64_MAX);
    EXPECT_EQ(v.at("n").as_int(), INT64_MIN);
    const Value& h = v.at("h");
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h.items()[0].first.as_string(), "k");
    EXPECT_EQ(h.at("k").as_double(), 1.0);
    EXPECT_TRUE(h.at("j").is_list());
    EXPECT_EQ(v.at("s").as_string(), "quote' \\ \n end");
    EXPECT_EQ(v.at("e").size(), 0u);
    EXPECT_EQ(v.items().back().first.as_string(), "e");  // insertion order kept
  }
}

TEST(PickleCpython, SetsBytesAndSharedLists) {
  const Value v = parse(from_hex(kCpythonSetsAndBytes));
  EXPECT_EQ(v.at("set").size(), 3u);
  EXPECT_EQ(v.at("fs").kind(), Value::Kind::kFrozenSet);
  EXPECT_EQ(v.at("b").as_bytes(), std::string("\x00\xff", 2));
  const auto& shared = v.at("shared").elements();
  EXPECT_EQ(&shared[0].elements(), &shared[1].elements());
}

// ---------------------------------------------------------------------------------------------
// Malformed and hostile input.

std::vector<std::string> valid_samples() {
  std::vector<std::string> samples;
  for (const char* hex : kCpythonPickles) samples.push_back(from_hex(hex));
  samples.push_back(from_hex(kCpythonSetsAndBytes));
  samples.push_back(pk(numpy_scalar("f8", "<", raw_le(bits_of(1.5), 8))));
  samples.push_back("S'a\\x41'\n.");
  return samples;
}

TEST(PickleMalformed, EveryTruncationIsAnError) {
  for (const std::string& sample : valid_samples()) {
    ASSERT_NO_THROW((void)parse(sample));
    for (std::size_t length = 0; length < sample.size(); ++length) {
      EXPECT_THROW((void)parse(std::string_view(sample).substr(0, length)), nas::Error) << "prefix " << length;
    }
  }
}

TEST(PickleMalformed, EverySingleByteChangeParsesOrThrowsNasError) {
  for (const std::string& sample : valid_samples()) {
    for (std::size_t i = 0; i < sample.size(); ++i) {
      for (int replacement : {0x00, 0x01, 0x28, 0x2e, 0x7f, 0x80, 0x94, 0xff, sample[i] ^ 0x01}) {
        std::string mutated = sample;
        mutated[i] = static_cast<char>(replacement);
        try {
          (void)parse(mutated);
        } catch (const nas::Error&) {
        }
      }
    }
  }
}

TEST(PickleMalformed, UnsupportedOpcodes) {
  expect_error(pk(op(0x92)), "unsupported opcode 0x92 at offset 2");  // NEWOBJ_EX
  expect_error(pk("i"), "unsupported opcode 0x69 at offset 2");       // INST
  expect_error(pk(op(0xff)), "unsupported opcode 0xff at offset 2");
  expect_error(std::string("\x80\x06N.", 4), "unsupported pickle protocol 6");
}

TEST(PickleMalformed, TruncationMessages) {
  expect_error(pk(op(0x8d) + le(~0ULL, 8)), "BINUNICODE8 announces 18446744073709551615 bytes");
  expect_error("\x80\x04\x8c\x05" "ab", "truncated input");
  expect_error("N", "ended before the STOP opcode");
  expect_error("I12", "has no newline");
  expect_error(pk("N") + "N", "1 unexpected bytes after the STOP opcode");
}

TEST(PickleMalformed, Frames) {
  EXPECT_TRUE(parse("\x80\x04\x95" + le(2, 8) + "N.").is_none());
  expect_error("\x80\x04\x95" + le(100, 8) + "N.", "FRAME announces 100 bytes");
  // Reading exactly up to the frame's end and on past it is fine (as in CPython); straddling it is not.
  EXPECT_EQ(parse("\x80\x04\x95" + le(2, 8) + "\x8c\x01" "a.").as_string(), "a");
  expect_error("\x80\x04\x95" + le(3, 8) + "\x8c\x02" "ab.", "runs past the end of its frame");
  expect_error("\x80\x04\x95" + le(3, 8) + "N\x95" + le(0, 8) + ".", "FRAME starts before the previous frame ended");
}

TEST(PickleMalformed, ContainerRules) {
  expect_error(pk("]" + op(0x94) + get(0) + "a"), "cannot contain itself");
  // L1 stored in L2, then L2 stored in L1 would be a cycle: L1 is sealed by then.
  expect_error(pk("]" + op(0x94) + "]" + get(0) + "aa"), "recursive structures are not supported");
  expect_error(pk(int1(1) + int1(2) + "a"), "APPEND needs a list below its arguments, found int");
  expect_error(pk("]" + int1(1) + int1(2) + "s"), "SETITEM needs a dict");
  expect_error(pk("}(" + int1(1) + "u"), "odd number of items");
  expect_error(pk("}]" + int1(1) + "s"), "unhashable key of type list");
  expect_error(pk("}]" + op(0x85) + int1(2) + "s"), "unhashable key of type tuple");
  expect_error(pk("}G" + from_hex("7ff8000000000000") + int1(2) + "s"), "unhashable key of type float");
}

TEST(PickleMalformed, Limits) {
  std::string deep = "\x80\x04";
  for (int i = 0; i < 300; ++i) deep += "]";
  for (int i = 0; i < 299; ++i) deep += "a";
  deep += ".";
  expect_error(deep, "nested deeper than 200");
  ParseLimits generous;
  generous.max_depth = 400;
  EXPECT_EQ(parse(deep, generous).size(), 1u);
  ParseLimits small;
  small.max_stack = 3;
  expect_error(pk(int1(1) + int1(2) + int1(3) + int1(4)), "stack exceeds 3 entries", small);
  small.max_memo = 2;
  expect_error(pk("N" + op(0x94) + op(0x94) + op(0x94)), "memo exceeds 2 entries", small);
}

// 100 rounds of DUP + TUPLE2 make a tuple with 2^100 paths; two separately built copies are then
// used as the same dict key. Anything that walks the tree instead of the DAG would never finish.
TEST(PickleMalformed, SharedStructureStaysLinear) {
  std::string doubled = ")";
  for (int i = 0; i < 100; ++i) doubled += "2" + op(0x86);
  const auto start = std::chrono::steady_clock::now();
  const Value dict = parse(pk("}(" + doubled + int1(1) + doubled + int1(2) + "u"));
  ASSERT_EQ(dict.size(), 1u);
  EXPECT_EQ(dict.items()[0].second.as_int(), 2);
  EXPECT_LE(dict.to_debug_string(200).size(), 203u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// ---------------------------------------------------------------------------------------------
// Value API.

TEST(PickleValue, AccessorsAndMessages) {
  const Value v = parse(pk("}(" + str("name") + str("n") + str("x") + "G" + from_hex("3ff8000000000000") + "u"));
  EXPECT_EQ(v.kind_name(), "dict");
  EXPECT_EQ(v.at("x").as_double(), 1.5);
  try {
    (void)v.at("missing");
    ADD_FAILURE();
  } catch (const nas::Error& error) {
    EXPECT_STREQ(error.what(), "missing key 'missing'");
  }
  try {
    (void)v.at("name").as_double();
    ADD_FAILURE();
  } catch (const nas::Error& error) {
    EXPECT_STREQ(error.what(), "expected a number, got str");
  }
  EXPECT_THROW((void)v.at("x").as_int(), nas::Error);
  EXPECT_THROW((void)v.at("x").as_string(), nas::Error);
  EXPECT_THROW((void)v.elements(), nas::Error);
  EXPECT_THROW((void)v.at("name").find("a"), nas::Error);
  EXPECT_THROW((void)Value::integer(1).size(), nas::Error);
  EXPECT_EQ(v.at("name").size(), 1u);
  EXPECT_THROW((void)Value::boolean(true).as_int(), nas::Error);
  EXPECT_THROW((void)Value::dict({{Value::list({}), Value()}}), nas::Error);
}

TEST(PickleValue, DebugString) {
  const Value v = Value::dict({{Value::string("a'b"), Value::list({Value::integer(1), Value::floating(2.0), Value()})},
                               {Value::tuple({Value::boolean(true)}), Value::bytes(std::string("\x00z", 2))},
                               {Value::integer(3), Value::set({})}});
  EXPECT_EQ(v.to_debug_string(), "{'a\\'b': [1, 2.0, None], (True,): b'\\x00z', 3: set()}");
  EXPECT_EQ(Value::string(std::string(500, 'x')).to_debug_string(10), "'xxxxxxxxx...");
  EXPECT_EQ(Value::frozenset({Value::floating(0.1)}).to_debug_string(), "frozenset({0.1})");
}

// ---------------------------------------------------------------------------------------------
// bzip2 and files.

TEST(Bzip2, RejectsBadInput) {
  EXPECT_THROW((void)bzip2_decompress(""), nas::Error);
  try {
    (void)bzip2_decompress("hello world");
    ADD_FAILURE();
  } catch (const nas::Error& error) {
    EXPECT_NE(std::string(error.what()).find("bad magic"), std::string::npos);
  }
  try {
    (void)read_file("/nonexistent/dir/file.pbz2");
    ADD_FAILURE();
  } catch (const nas::Error& error) {
    EXPECT_EQ(std::string(error.what()), "cannot read /nonexistent/dir/file.pbz2: No such file or directory");
  }
}

// ---------------------------------------------------------------------------------------------
// The real NATS-Bench sample files.

const std::string kFixtures = std::string(NAS_SHARED_DATA) + "/natsbench_fixtures";

bool have_fixtures() { return std::filesystem::is_directory(kFixtures); }

std::string tss_file(const std::string& name) {
  return kFixtures + "/NATS-tss-v1_0-3ffb9-simple/" + name + ".pickle.pbz2";
}
std::string sss_file(const std::string& name) {
  return kFixtures + "/NATS-sss-v1_0-50262-simple/" + name + ".pickle.pbz2";
}

TEST(NatsBenchFiles, TssMeta) {
  if (!have_fixtures()) GTEST_SKIP() << "no " << kFixtures;
  const Value meta = load_pickle_bz2(tss_file("meta"));
  const Value& archs = meta.at("meta_archs");
  ASSERT_EQ(archs.size(), 15625u);
  EXPECT_EQ(archs.elements()[0].as_string(),
            "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|");
  EXPECT_EQ(meta.at("total_archs").as_int(), 15625);
  EXPECT_TRUE(meta.at("arch2infos").is_none());
  EXPECT_EQ(meta.at("evaluated_indexes").kind(), Value::Kind::kSet);
  // The arch list agrees with the text copy made by the fixture's author.
  std::ifstream text(kFixtures + "/tss_arch_strings.txt");
  std::string line;
  for (std::size_t i = 0; std::getline(text, line); ++i) {
    ASSERT_LT(i, archs.size());
    ASSERT_EQ(archs.elements()[i].as_string(), line) << "index " << i;
  }
}

TEST(NatsBenchFiles, SssMeta) {
  if (!have_fixtures()) GTEST_SKIP() << "no " << kFixtures;
  const Value meta = load_pickle_bz2(sss_file("meta"));
  const Value& archs = meta.at("meta_archs");
  ASSERT_EQ(archs.size(), 32768u);
  EXPECT_EQ(archs.elements()[0].as_string(), "8:8:8:8:8");
  EXPECT_EQ(archs.elements().back().as_string(), "64:64:64:64:64");
  EXPECT_EQ(meta.at("total_archs").as_int(), 32768);
}

// JSON spelling of a dict key, following the fixture's SOURCE.md.
std::string json_key(const Value& key) {
  if (key.is_string()) return key.as_string();
  if (key.is_int()) return std::to_string(key.as_int());
  if (key.is_tuple() && key.size() == 2 && key.elements()[0].is_string() && key.elements()[1].is_int()) {
    return key.elements()[0].as_string() + "@" + std::to_string(key.elements()[1].as_int());
  }
  ADD_FAILURE() << "unexpected key " << key.to_debug_string();
  return "?";
}

struct LeafCounts {
  std::size_t floats = 0;
  std::size_t others = 0;
};

// Compares a pickle Value with its JSON conversion, every leaf, floats bit for bit.
void expect_same(const Value& value, const nlohmann::json& json, const std::string& path, LeafCounts& counts) {
  SCOPED_TRACE(path);
  switch (value.kind()) {
    case Value::Kind::kDict: {
      ASSERT_TRUE(json.is_object());
      ASSERT_EQ(value.size(), json.size());
      for (const auto& [key, member] : value.items()) {
        const std::string name = json_key(key);
        ASSERT_TRUE(json.contains(name)) << name;
        expect_same(member, json.at(name), path + "/" + name, counts);
      }
      return;
    }
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      ASSERT_TRUE(json.is_array());
      ASSERT_EQ(value.size(), json.size());
      for (std::size_t i = 0; i < value.size(); ++i) {
        expect_same(value.elements()[i], json[i], path + "[" + std::to_string(i) + "]", counts);
      }
      return;
    case Value::Kind::kFloat:
      ASSERT_TRUE(json.is_number_float());
      EXPECT_EQ(bits_of(value.as_double()), bits_of(json.get<double>()));
      ++counts.floats;
      return;
    case Value::Kind::kInt:
      ASSERT_TRUE(json.is_number_integer());
      EXPECT_EQ(value.as_int(), json.get<std::int64_t>());
      break;
    case Value::Kind::kString:
      ASSERT_TRUE(json.is_string());
      EXPECT_EQ(value.as_string(), json.get<std::string>());
      break;
    case Value::Kind::kBool:
      ASSERT_TRUE(json.is_boolean());
      EXPECT_EQ(value.as_bool(), json.get<bool>());
      break;
    case Value::Kind::kNone:
      ASSERT_TRUE(json.is_null());
      break;
    default:
      FAIL() << "unexpected " << value.kind_name();
  }
  ++counts.others;
}

void expect_file_matches_json(const std::string& pbz2, const std::string& json_name, std::size_t min_floats) {
  SCOPED_TRACE(pbz2);
  const Value value = load_pickle_bz2(pbz2);
  std::ifstream json_file(kFixtures + "/json/" + json_name);
  ASSERT_TRUE(json_file) << json_name;
  const nlohmann::json json = nlohmann::json::parse(json_file);
  LeafCounts counts;
  expect_same(value, json, "", counts);
  EXPECT_GE(counts.floats, min_floats);
  EXPECT_GT(counts.others, 100u);
}

TEST(NatsBenchFiles, ArchFilesMatchJsonExactly) {
  if (!have_fixtures()) GTEST_SKIP() << "no " << kFixtures;
  for (const char* index : {"000000", "000011", "000284"}) {
    expect_file_matches_json(tss_file(index), std::string("tss_") + index + ".json", 18000);
    expect_file_matches_json(sss_file(index), std::string("sss_") + index + ".json", 5000);
  }
}

TEST(NatsBenchFiles, SpotValues) {
  if (!have_fixtures()) GTEST_SKIP() << "no " << kFixtures;
  const Value tss0 = load_pickle_bz2(tss_file("000000"));
  const Value& run = tss0.at("200").at("all_results").at(Value::tuple({Value::string("cifar10"), Value::integer(777)}));
  EXPECT_EQ(run.at("params").as_double(), 0.129306);  // a numpy.float64 in the file
  EXPECT_EQ(run.at("flop").as_double(), 15.64737);
  EXPECT_EQ(run.at("eval_acc1es").at("ori-test@199").as_double(), 85.62);
  const Value& train_times = run.at("train_times");  // an OrderedDict in the file
  EXPECT_EQ(train_times.find(Value::integer(0))->as_double(), train_times.items()[0].second.as_double());
  const Value sss11 = load_pickle_bz2(sss_file("000011"));
  EXPECT_EQ(sss11.at("90").at("arch_str").as_string(), "8:8:8:16:32");
  EXPECT_TRUE(sss11.at("90").at("clear_net_done").as_bool());
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("nas_pickle_test_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string write(const std::string& name, const std::string& contents) const {
    const std::string file = (path_ / name).string();
    std::ofstream(file, std::ios::binary) << contents;
    return file;
  }

 private:
  std::filesystem::path path_;
};

void expect_load_error(const std::string& file, const std::string& needle) {
  try {
    (void)load_pickle_bz2(file);
    ADD_FAILURE() << "no error for " << file;
  } catch (const nas::Error& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.rfind(file + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(needle), std::string::npos) << message;
  }
}

TEST(NatsBenchFiles, CorruptAndTruncatedArchives) {
  if (!have_fixtures()) GTEST_SKIP() << "no " << kFixtures;
  const std::string original = read_file(tss_file("000011"));
  TempDir dir;
  std::string corrupt = original;
  for (std::size_t i = 1000; i < corrupt.size(); i += 7919) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  expect_load_error(dir.write("corrupt.pickle.pbz2", corrupt), "bzip2: corrupt data");
  expect_load_error(dir.write("truncated.pickle.pbz2", original.substr(0, original.size() / 2)), "bzip2: truncated");
  expect_load_error(dir.write("tail.pickle.pbz2", original.substr(0, original.size() - 1)), "bzip2: truncated");
  expect_load_error(dir.write("garbage.pickle.pbz2", original + "junk"), "trailing bytes");
  expect_load_error(dir.write("plain.pickle.pbz2", "not bzip2"), "bad magic");
  // Two concatenated streams are one file (Python's bz2 agrees), but their pickle has trailing bytes.
  expect_load_error(dir.write("twice.pickle.pbz2", original + original), "unexpected bytes after the STOP opcode");
  EXPECT_EQ(bzip2_decompress(original + original).size(), 2 * bzip2_decompress(original).size());
}

TEST(NatsBenchFiles, OutputLimit) {
  if (!have_fixtures()) GTEST_SKIP() << "no " << kFixtures;
  const std::string compressed = read_file(tss_file("meta"));
  const std::size_t full = bzip2_decompress(compressed).size();
  EXPECT_EQ(full, 1381555u);
  EXPECT_EQ(bzip2_decompress(compressed, full).size(), full);
  try {
    (void)bzip2_decompress(compressed, full - 1);
    ADD_FAILURE();
  } catch (const nas::Error& error) {
    EXPECT_NE(std::string(error.what()).find("exceeds the limit of 1381554 bytes"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace nas::bench::pickle

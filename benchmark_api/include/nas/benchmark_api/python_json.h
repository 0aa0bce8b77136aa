// The text Python's json.dumps(value, sort_keys=True) writes, byte for byte.
//
// Why byte for byte: NNI's benchmark databases store arch dicts as that text, and NNI's queries
// filter with `arch == json text`, so a database written with any other spacing, key order or
// number format answers no query (microsoft/nni#2721 was the key-order version of this bug).
// The rules (CPython's json encoder with its defaults, ensure_ascii=True):
//  - separators ", " between items and ": " after keys; no newlines; keys sorted by code point
//    (the UTF-8 byte order nlohmann::json's object keeps);
//  - strings: \" \\ \n \r \t \b \f escaped by name, every other character outside ' '..'~' (control
//    characters, DEL, non-ASCII) as \uXXXX (lowercase hex; above U+FFFF as a UTF-16 surrogate pair);
//  - integers as decimal; floats as Python's repr (python_float_repr); true, false, null.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace nas::bench {

/// Python's repr of a float: the shortest decimal that reads back as the same double, in fixed
/// notation with at least one digit after the point ("53.11", "106147.67578125", "1.0", "-0.0")
/// when the decimal exponent is in [-4, 16), else scientific with a signed, at least two-digit
/// exponent ("1e-05", "1.5e+16"). NaN and the infinities as json.dumps writes them ("NaN",
/// "Infinity", "-Infinity"), which NNI never stores (it writes NULL for a NaN).
std::string python_float_repr(double value);

/// json.dumps(value, sort_keys=True) of a JSON value. Strings must be valid UTF-8; throws nas::Error
/// otherwise (Python's str cannot hold invalid UTF-8 either).
std::string python_json_text(const nlohmann::json& value);

}  // namespace nas::bench

// Python's json.dumps(sort_keys=True) text (see python_json.h).
#include "nas/benchmark_api/python_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "nas/benchmark_api/error.h"

namespace nas::bench {
namespace {

/// The shortest round-trip digits of a finite, non-zero |value| and its decimal exponent:
/// |value| = d.ddd x 10^exponent. std::to_chars without a precision is the shortest round trip,
/// ties broken towards the closer decimal, which is what CPython's repr (dtoa mode 0) chooses.
void shortest_digits(double magnitude, std::string& digits, int& exponent) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, magnitude, std::chars_format::scientific);
  const std::string text(buffer, result.ptr);  // "d.ddde+XX" or "de-XX"
  const std::size_t e = text.find('e');
  digits.clear();
  for (std::size_t i = 0; i < e; ++i) {
    if (text[i] != '.') digits += text[i];
  }
  exponent = std::atoi(text.c_str() + e + 1);
}

void append_escaped_string(std::string& out, const std::string& text) {
  static const char* const kHex = "0123456789abcdef";
  auto append_unit = [&](std::uint32_t unit) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(unit >> shift) & 0xF];
  };
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      switch (byte) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (byte < 0x20 || byte == 0x7F) {  // Python keeps ' '..'~' only
            append_unit(byte);
          } else {
            out += static_cast<char>(byte);
          }
      }
      ++i;
      continue;
    }
    // A UTF-8 sequence: decode one code point (nlohmann::json has already checked the encoding
    // of text it parsed, but a value built in code may hold anything, so check again).
    const int length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 0;
    if (length == 0 || byte > 0xF4 || i + static_cast<std::size_t>(length) > text.size()) {
      throw Error("JSON text: a string is not valid UTF-8");
    }
    std::uint32_t code = byte & (0x7F >> length);
    for (int k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
      if ((next & 0xC0) != 0x80) throw Error("JSON text: a string is not valid UTF-8");
      code = code << 6 | (next & 0x3F);
    }
    const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < smallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      throw Error("JSON text: a string is not valid UTF-8");
    }
    if (code > 0xFFFF) {
      code -= 0x10000;
      append_unit(0xD800 | (code >> 10));
      append_unit(0xDC00 | (code & 0x3FF));
    } else {
      append_unit(code);
    }
    i += static_cast<std::size_t>(length);
  }
  out += '"';
}

void append_value(std::string& out, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null: out += "null"; break;
    case nlohmann::json::value_t::boolean: out += value.get<bool>() ? "true" : "false"; break;
    case nlohmann::json::value_t::number_integer: out += std::to_string(value.get<std::int64_t>()); break;
    case nlohmann::json::value_t::number_unsigned: out += std::to_string(value.get<std::uint64_t>()); break;
    case nlohmann::json::value_t::number_float: out += python_float_repr(value.get<double>()); break;
    case nlohmann::json::value_t::string: append_escaped_string(out, value.get_ref<const std::string&>()); break;
    case nlohmann::json::value_t::array: {
      out += '[';
      bool first = true;
      for (const nlohmann::json& element : value) {
        if (!first) out += ", ";
        first = false;
        append_value(out, element);
      }
      out += ']';
      break;
    }
    case nlohmann::json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, element] : value.items()) {  // std::map: sorted by UTF-8 bytes = code points
        if (!first) out += ", ";
        first = false;
        append_escaped_string(out, key);
        out += ": ";
        append_value(out, element);
      }
      out += '}';
      break;
    }
    default: throw Error("JSON text: a value of a type JSON has no text for (binary or discarded)");
  }
}

}  // namespace

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  const std::string sign = std::signbit(value) ? "-" : "";
  if (value == 0) return sign + "0.0";
  std::string digits;
  int exponent = 0;
  shortest_digits(std::fabs(value), digits, exponent);
  if (exponent < -4 || exponent >= 16) {  // CPython: decpt <= -4 or decpt > 16, decpt = exponent + 1
    std::string text = sign + digits.substr(0, 1);
    if (digits.size() > 1) text += "." + digits.substr(1);
    char tail[16];
    std::snprintf(tail, sizeof tail, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return text + tail;
  }
  std::string integer_part, fraction;
  if (exponent < 0) {
    integer_part = "0";
    fraction = std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
  } else {
    const auto point = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= point) {
      integer_part = digits + std::string(point - digits.size(), '0');
    } else {
      integer_part = digits.substr(0, point);
      fraction = digits.substr(point);
    }
  }
  return sign + integer_part + "." + (fraction.empty() ? "0" : fraction);
}

std::string python_json_text(const nlohmann::json& value) {
  std::string out;
  append_value(out, value);
  return out;
}

}  // namespace nas::bench

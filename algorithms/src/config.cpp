// Value ranges of searcher settings and the number text of resolved configs (see config.h).
#include "nas/algorithms/config.h"

#include <cmath>

namespace nas::algorithms {

bool ValueRange::contains(double value) const {
  if (!std::isfinite(value)) return false;
  if (min && (min_open ? !(value > *min) : !(value >= *min))) return false;
  if (max && (max_open ? !(value < *max) : !(value <= *max))) return false;
  return true;
}

std::string ValueRange::describe(const std::string& type) const {
  const std::string kind = type == "int" ? "an integer" : "a finite number";
  auto text = [](double bound) { return detail::readable_number(bound); };
  if (min && max) {
    return kind + " in " + (min_open ? "(" : "[") + text(*min) + ", " + text(*max) + (max_open ? ")" : "]");
  }
  if (min) return kind + (min_open ? " > " : " >= ") + text(*min);
  if (max) return kind + (max_open ? " < " : " <= ") + text(*max);
  return kind;
}

namespace range {

ValueRange positive() {
  ValueRange r;
  r.min = 0;
  r.min_open = true;
  return r;
}

ValueRange non_negative() { return at_least(0); }

ValueRange at_least(double min) {
  ValueRange r;
  r.min = min;
  return r;
}

ValueRange between(double min, double max) {
  ValueRange r;
  r.min = min;
  r.max = max;
  return r;
}

ValueRange below_one() {
  ValueRange r = between(0, 1);
  r.max_open = true;
  return r;
}

ValueRange finite() { return {}; }

}  // namespace range

namespace detail {

std::string number_text(double value) {
  char text[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}

std::string readable_number(double value) {
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 1e15) {
    char text[32];
    std::snprintf(text, sizeof text, "%.0f", value);
    return text;
  }
  return number_text(value);
}

}  // namespace detail
}  // namespace nas::algorithms

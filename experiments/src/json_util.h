// Small JSON helpers shared by the commands and the report.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

namespace nas::experiments {

/// A number, or null where the value is unknown (the JSON form of every optional metric).
inline nlohmann::ordered_json json_or_null(const std::optional<double>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

}  // namespace nas::experiments

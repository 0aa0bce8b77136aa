// Strict command-line values. CLI11 alone reads "0x10" as 16, "-1" as 2^64 - 1 for an unsigned
// option, "nan" and "inf" as numbers, and lets an empty string through as a path; each of those
// silently means something other than what was typed. Every numeric and path option of `nas` is
// declared through these helpers instead, so such values are refused with one error line.
#pragma once

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

#include "slurm.h"

namespace nas::cli {

/// A decimal integer in [min, max] (digits with an optional leading '-'; no hex, octal, exponent,
/// separators or spaces).
CLI::Validator decimal_integer(std::int64_t min, std::int64_t max);
/// A finite decimal number in [min, max] (no nan, inf, hex floats or empty text).
CLI::Validator finite_number(double min, double max);
/// A non-empty text (paths, names).
CLI::Validator non_empty();

/// Declares an integer option of any integral type (plain or std::optional) with strict parsing.
template <typename T>
CLI::Option* add_integer_option(CLI::App& cmd, const std::string& name, T& target, const std::string& help,
                                std::int64_t min, std::int64_t max) {
  return cmd.add_option(name, target, help)->check(decimal_integer(min, max));
}

/// Declares a floating-point option (plain or std::optional) with strict parsing.
template <typename T>
CLI::Option* add_number_option(CLI::App& cmd, const std::string& name, T& target, const std::string& help, double min,
                               double max) {
  return cmd.add_option(name, target, help)->check(finite_number(min, max));
}

/// Declares a text option (a path, a name) that must not be empty when given.
template <typename T>
CLI::Option* add_text_option(CLI::App& cmd, const std::string& name, T& target, const std::string& help) {
  return cmd.add_option(name, target, help)->check(non_empty());
}

/// The Slurm flags of the commands that submit job arrays (nas bench generate, nas run): --slurm,
/// --tasks, --partition, --time, --cpus-per-task, --gres, --mem, --account, --qos, --max-running.
void add_slurm_options(CLI::App& cmd, bool& slurm, experiments::SlurmOptions& options);

}  // namespace nas::cli

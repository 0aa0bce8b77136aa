// Loading YAML that a user wrote: experiment files, searcher configs, `--set` values.
//
// yaml-cpp alone accepts things that silently mean something else: a map that gives a key twice
// keeps the first value, a UTF-16 file is converted, and LoadFile blocks forever on a FIFO or reads
// /dev/zero until memory runs out. These functions are the one way nas reads YAML: a regular file
// of bounded size, UTF-8 text, parsed, and then checked for repeated keys, with every error naming
// the file and, where known, the line.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace nas::algorithms {

/// The most bytes a YAML file may hold (experiment files are a few kB).
inline constexpr std::uint64_t kMaxYamlFileBytes = 16 * 1024 * 1024;

/// Parses the YAML file at `path`; `what` names it in errors ("experiment file"). Throws
/// nas::Error if it is not a regular file, too large, not UTF-8 (or holds NUL bytes), not valid
/// YAML, or holds a map with a repeated key.
YAML::Node load_yaml_file(const std::string& path, std::string_view what);

/// Parses YAML text; `where` names its origin in errors (a file name, "--set epochs").
YAML::Node load_yaml_text(std::string_view text, const std::string& where);

}  // namespace nas::algorithms

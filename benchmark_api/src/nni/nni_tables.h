// What the NNI exporter and importer share besides the public pieces of nni_database.h: the
// tables' names and columns (from the one schema description in nni_format.cpp).
#pragma once

#include <string>
#include <vector>

#include "nas/benchmark_api/nni_database.h"

namespace nas::bench::nni {

/// The three tables of a benchmark, parents first: config, stats, intermediates.
std::vector<std::string> table_names(NniBenchmark benchmark);
/// Every column of a table ("id" first, then the fields in the model's order).
std::vector<std::string> required_columns(NniBenchmark benchmark, const std::string& table);

}  // namespace nas::bench::nni

// Reading whole files and bzip2 streams into memory, for the NATS-Bench `*.pickle.pbz2` archives.
//
// The official NATS-Bench "simple" archives hold one bzip2-compressed pickle per architecture plus
// a meta file. Loading one is a single call:
//
//   const pickle::Value record = load_pickle_bz2(dir + "/000011.pickle.pbz2");
//
// Every failure (missing file, not bzip2, corrupt or truncated stream, output over the size limit,
// malformed pickle) is a nas::Error whose message names the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nas/benchmark_api/pickle.h"

namespace nas::bench {

/// The whole file as bytes. Throws nas::Error ("cannot read FILE: reason") if it is missing, not a
/// regular file (a FIFO, a device such as /dev/zero) or larger than `max_bytes`.
std::string read_file(const std::string& path, std::uint64_t max_bytes = std::uint64_t{1} << 30);

/// Decompresses a complete bzip2 stream (or several concatenated ones, as Python's bz2 module
/// accepts). Throws nas::Error for a bad magic, corrupt data, a truncated stream, trailing bytes
/// that are not another stream, or more than `max_output_bytes` of output (checked as it goes, so a
/// small hostile input cannot make it allocate more).
std::string bzip2_decompress(std::string_view data, std::size_t max_output_bytes = std::size_t{1} << 30);

/// read_file + bzip2_decompress + pickle::parse; error messages start with the path.
pickle::Value load_pickle_bz2(const std::string& path);

}  // namespace nas::bench

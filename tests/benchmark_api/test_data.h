// Locating the shared benchmark data (../shared/data beside the checkout) from tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace nas::test {

/// Path of a file under the shared data folder (NAS_SHARED_DATA, set by the build; overridable with
/// the environment variable of the same name).
inline std::string shared_data(const std::string& relative) {
  const char* env = std::getenv("NAS_SHARED_DATA");
  const std::string root = env != nullptr ? env : NAS_SHARED_DATA;
  return root + "/" + relative;
}

inline bool shared_data_available() { return std::filesystem::exists(shared_data("nasbench201")); }

}  // namespace nas::test

/// Skips the current test when ../shared/data is absent (CI always has it).
#define NAS_REQUIRE_SHARED_DATA()                                                    \
  do {                                                                               \
    if (!nas::test::shared_data_available()) GTEST_SKIP() << "shared data absent"; \
  } while (0)

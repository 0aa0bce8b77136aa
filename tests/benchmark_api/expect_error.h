// One assertion the benchmark_api tests share: an action fails with a nas::Error that says a given
// thing (any other exception fails the test as usual).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "nas/benchmark_api/error.h"

namespace nas::test {

/// Runs `action`; fails the test unless it throws a nas::Error whose message contains `fragment`.
inline void expect_error(const std::function<void()>& action, const std::string& fragment) {
  try {
    action();
    ADD_FAILURE() << "no error; expected one mentioning '" << fragment << "'";
  } catch (const nas::Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

}  // namespace nas::test

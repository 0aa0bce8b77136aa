// nas::Error: the one exception type that carries a user-facing message.
//
// Every failure caused by bad input (a malformed arch string, an unknown dataset, a truncated file)
// is reported by throwing nas::Error with a message a user can act on. The `nas` command line catches
// it at the top and prints `error: <message>` on stderr with a non-zero exit. Programming errors are
// not nas::Error; they are bugs.
#pragma once

#include <stdexcept>
#include <string>

namespace nas {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace nas

// Running the `nas` program from tests: exit code, stdout and stderr captured separately.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace nas::test {

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

/// Runs a shell command line; its stdout and stderr are captured separately.
inline CommandResult shell(const std::string& command_line) {
  static int counter = 0;
  const std::string err_file = (std::filesystem::temp_directory_path() /
                                ("nas_cli_err_" + std::to_string(::getpid()) + "_" + std::to_string(counter++)))
                                   .string();
  const std::string command = "{ " + command_line + " ; } 2>" + err_file;
  CommandResult run;
  FILE* pipe = ::popen(command.c_str(), "r");
  char buffer[65536];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) run.out.append(buffer, n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_file);
  run.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  std::filesystem::remove(err_file);
  return run;
}

/// Runs `nas ARGS` through the shell (ARGS may contain quoting and redirections).
inline CommandResult nas(const std::string& args) { return shell(std::string(NAS_EXECUTABLE) + " " + args); }

/// The JSON a successful command printed (a test failure if it failed).
inline nlohmann::json json_of(const CommandResult& run) {
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return nlohmann::json::parse(run.out);
}

/// Bad input: exactly one line on stderr starting with "error: " and containing `fragment`, a
/// non-zero exit and nothing on stdout.
inline void expect_clean_error(const CommandResult& run, const std::string& args, const std::string& fragment) {
  EXPECT_NE(run.exit_code, 0) << args;
  EXPECT_TRUE(run.out.empty()) << args << " printed: " << run.out;
  EXPECT_EQ(run.err.rfind("error: ", 0), 0u) << args << " stderr: " << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << args << " stderr: " << run.err;
  EXPECT_NE(run.err.find(fragment), std::string::npos) << args << " stderr: " << run.err;
}
inline void expect_clean_error(const std::string& args, const std::string& fragment) {
  expect_clean_error(nas(args), args, fragment);
}

/// A fresh temporary directory removed at scope exit.
class TempDir {
 public:
  explicit TempDir(const std::string& tag)
      : path_(std::filesystem::temp_directory_path() / ("nas_" + tag + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace nas::test

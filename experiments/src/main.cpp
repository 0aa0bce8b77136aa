// nas: the command line of the NAS suite. See README.md for the commands.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <new>
#include <string>

#include "commands.h"
#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/text.h"

namespace {

/// The one way a failure reaches the user: `error: <message>` as a single line on stderr. Our own
/// messages may quote user input holding a newline: it is escaped. A foreign exception's text (a
/// library's, possibly with a stack trace) is cut to its first line.
int report_error(const std::string& message, int exit_code, bool first_line_only = false) {
  const std::string text = first_line_only ? message.substr(0, message.find('\n')) : message;
  std::fprintf(stderr, "error: %s\n", nas::one_line(text).c_str());
  return exit_code;
}

/// Flushes stdout and says whether everything written to it arrived (a full disk, a closed pipe
/// or /dev/full must not look like success).
/// On failure `cause` is the system's reason (strerror of the failed write), or "" if unknown.
bool stdout_ok(std::string& cause) {
  errno = 0;
  std::cout.flush();
  const bool ok = std::cout.good() && std::fflush(stdout) == 0 && std::ferror(stdout) == 0;
  // When this final flush is the write that fails, its errno is the cause (ENOSPC for /dev/full,
  // EPIPE for a closed pipe). A stream that failed at an earlier flush writes nothing now, and
  // that failure's errno is long gone: the message then says what failed without a cause.
  if (!ok && errno != 0) cause = std::strerror(errno);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nas: neural architecture search on tabular benchmarks and supernets", "nas"};
  app.set_version_flag("--version", std::string("nas ") + std::string(nas::bench::nas_version()));
  app.require_subcommand(1);
  nas::cli::add_list_command(app);
  nas::cli::add_bench_commands(app);
  nas::cli::add_search_command(app);
  nas::cli::add_run_command(app);
  nas::cli::add_train_command(app);
  nas::cli::add_report_command(app);
  int exit_code = 0;
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    exit_code = app.exit(e);  // --help, --version: printed to stdout, checked below
  } catch (const CLI::ParseError& e) {
    return report_error(std::string(e.what()) + " (see nas --help)", 2);
  } catch (const nas::Error& e) {
    return report_error(e.what(), 1);
  } catch (const std::bad_alloc&) {
    return report_error("out of memory", 1);
  } catch (const std::exception& e) {
    return report_error(e.what(), 1, /*first_line_only=*/true);
  }
  if (std::string cause; !stdout_ok(cause)) {
    return report_error("could not write the output to standard output" + (cause.empty() ? std::string(" (full or closed)") : ": " + cause), 1);
  }
  return exit_code;
}

// nas: the command line of the NAS suite. See README.md for the commands.
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>

#include "commands.h"
#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/error.h"

int main(int argc, char** argv) {
  CLI::App app{"nas: neural architecture search on tabular benchmarks and supernets", "nas"};
  app.set_version_flag("--version", std::string("nas ") + std::string(nas::bench::nas_version()));
  app.require_subcommand(1);
  nas::cli::add_list_command(app);
  nas::cli::add_bench_commands(app);
  nas::cli::add_search_command(app);
  nas::cli::add_run_command(app);
  nas::cli::add_report_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << " (see nas --help)\n";
    return 2;
  } catch (const nas::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "error: could not write the output\n";
    return 1;
  }
  return 0;
}

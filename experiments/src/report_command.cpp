// nas report DIR: writes the report of an experiment (report.md, summary.json, anytime plots) into
// its output folder. See report.h for what the report holds.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli_options.h"
#include "commands.h"
#include "nas/benchmark_api/error.h"
#include "report.h"

namespace nas::cli {

void add_report_command(CLI::App& app) {
  struct Options {
    std::string dir;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Write the report of an experiment: DIR/report.md, DIR/summary.json and anytime plots");
  add_text_option(*cmd, "dir", o->dir, "Output folder of `nas run` (holds results.sqlite)")->required();
  cmd->add_flag("--json", o->json, "Print summary.json instead of the path of report.md");
  cmd->callback([o] {
    experiments::write_report(o->dir);
    const std::filesystem::path dir(o->dir);
    if (!o->json) {
      std::cout << (dir / "report.md").string() << "\n";
      return;
    }
    // Print the file just written, so the output is byte for byte what scripts find on disk.
    const std::string path = (dir / "summary.json").string();
    std::ifstream summary(path, std::ios::binary);
    if (!summary) throw Error("cannot read " + path);
    std::cout << summary.rdbuf();
  });
}

}  // namespace nas::cli

// The `nas` subcommands. Each `add_*` function registers one command group on the CLI11 app and
// binds it to a handler; handlers throw nas::Error for bad input, which main() turns into one
// `error: ...` line and a non-zero exit.
#pragma once

#include <CLI/CLI.hpp>

namespace nas::cli {

/// nas list [--json]
void add_list_command(CLI::App& app);
/// nas bench info | export | best | import | verify
void add_bench_commands(CLI::App& app);
/// nas bench generate | collect (generate_command.cpp), under `bench`
void add_generate_commands(CLI::App& bench_cmd);
/// nas search --algo A --space S --dataset D ...
void add_search_command(CLI::App& app);
/// nas run EXPERIMENT.yaml --out DIR
void add_run_command(CLI::App& app);
/// nas train --space S (--arch A | --index I) --dataset D --out FILE ...
void add_train_command(CLI::App& app);
/// nas report DIR [--json]
void add_report_command(CLI::App& app);

}  // namespace nas::cli

#pragma once
// `galfriday run --mode paper|live --config FILE`: the trading process (main_app.hpp).
// Registered on the CLI by main.cpp.

#include <CLI/CLI.hpp>
#include <vector>

#include "cli_common.hpp"

namespace galfriday::app {

std::vector<CliCommand> register_run_commands(CLI::App& cli);

}  // namespace galfriday::app

#pragma once
// `galfriday sweep` and `galfriday walk-forward`: registered on the CLI by main.cpp.

#include <CLI/CLI.hpp>
#include <vector>

#include "cli_common.hpp"

namespace galfriday::app {

std::vector<CliCommand> register_sweep_commands(CLI::App& cli);

}  // namespace galfriday::app

#pragma once
// `galfriday ctl COMMAND [ARGS...] [--json]`: operator commands to a running instance over its
// control socket (docs/operations.md). Registered on the CLI by main.cpp.

#include <CLI/CLI.hpp>
#include <vector>

#include "cli_common.hpp"

namespace galfriday::app {

std::vector<CliCommand> register_ctl_commands(CLI::App& cli);

}  // namespace galfriday::app

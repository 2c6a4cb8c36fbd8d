#pragma once
// `galfriday history fetch|import|list`: historical bars from Kraken REST and Kraken's OHLCVT
// CSV files into the configured database (docs/history.md). Registered on the CLI by main.cpp.

#include <CLI/CLI.hpp>
#include <vector>

#include "cli_common.hpp"

namespace galfriday::app {

std::vector<CliCommand> register_history_commands(CLI::App& cli);

}  // namespace galfriday::app

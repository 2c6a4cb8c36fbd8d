#pragma once
// `galfriday kraken-sim` (the local Kraken simulator on loopback) and `galfriday record` (raw
// WebSocket v2 frames to a recording file): registered on the CLI by main.cpp.
// docs/market-data.md describes both.

#include <CLI/CLI.hpp>
#include <vector>

#include "cli_common.hpp"

namespace galfriday::app {

std::vector<CliCommand> register_market_commands(CLI::App& cli);

}  // namespace galfriday::app

#pragma once
// `galfriday model ...` and `galfriday experiment ...` (src/app/cli_model.cpp): the model
// registry, retraining and A/B experiments from the command line. Registered by main.cpp.

#include <CLI/CLI.hpp>
#include <vector>

#include "cli_common.hpp"

namespace galfriday::app {

std::vector<CliCommand> register_model_commands(CLI::App& cli);

}  // namespace galfriday::app

// `galfriday run`: parses the options and hands over to MainAppController. Exit codes: 0 shut
// down in order, 1 failed, 2 bad input, 3 another instance holds the data directory, 4 live
// reconciliation refused trading (main_app.hpp).

#include "cli_run.hpp"

#include <memory>
#include <string>

#include "galfriday/app/main_app.hpp"

namespace galfriday::app {
namespace {

static_assert(kRunExitOk == kExitOk && kRunExitFailure == kExitFailure &&
                  kRunExitBadInput == kExitBadInput,
              "`galfriday run` shares the exit codes 0-2 of every command");

struct RunCli {
  std::string mode;
  std::string config_path;
  bool no_console = false;
};

}  // namespace

std::vector<CliCommand> register_run_commands(CLI::App& cli) {
  auto options = std::make_shared<RunCli>();
  auto* run = cli.add_subcommand(
      "run",
      "Trade: live market data with the simulated exchange (paper) or on Kraken (live), until "
      "SIGINT/SIGTERM or `shutdown`");
  run->add_option("--mode,-m", options->mode, "paper | live")
      ->required()
      ->check(CLI::IsMember({"paper", "live"}));
  run->add_option("--config,-c", options->config_path, "config.yaml")
      ->required()
      ->check(CLI::ExistingFile);
  run->add_flag("--no-console", options->no_console,
                "no interactive console even when stdin is a terminal");
  return {CliCommand{run, [options] {
                       RunOptions run_options;
                       run_options.mode = *parse_run_mode(options->mode);
                       run_options.config_path = options->config_path;
                       run_options.no_console = options->no_console;
                       return MainAppController(run_options).run();
                     }}};
}

}  // namespace galfriday::app

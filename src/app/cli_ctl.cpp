// `galfriday ctl`: sends one operator command to the instance running on a data directory and
// prints its reply. Exit codes: the command's (0 done, 1 refused or failed, 2 bad input), 1 when
// no instance answers.

#include "cli_ctl.hpp"

#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>

#include "galfriday/config/config.hpp"
#include "galfriday/monitoring/control_socket.hpp"

namespace galfriday::app {
namespace {

struct CtlOptions {
  std::string config_path;
  std::string data_dir;
  std::string command;
  std::vector<std::string> args;
  bool json = false;
  bool yes = false;
  int timeout_seconds = 10;
};

// `halt` stops trading: ask on a terminal, require --yes otherwise.
bool confirm_halt(const CtlOptions& options) {
  if (options.yes) return true;
  if (::isatty(STDIN_FILENO) == 0) {
    std::cerr << "error: `halt` needs --yes when stdin is not a terminal\n";
    return false;
  }
  std::cerr << "Halt trading now? Open entry orders are cancelled. [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (answer == "y" || answer == "Y" || answer == "yes") return true;
  std::cerr << "not halted\n";
  return false;
}

int run_ctl(const CtlOptions& options) {
  std::filesystem::path data_dir = options.data_dir.empty() ? "data" : options.data_dir;
  if (!options.config_path.empty()) {
    auto loaded = config::load_config_file(options.config_path);
    for (const auto& error : loaded.errors) {
      std::cerr << options.config_path << ": error: " << error.to_string() << "\n";
    }
    if (!loaded.config) return kExitBadInput;
    data_dir = loaded.config->data_dir;
  }
  if (options.command == "halt" && !confirm_halt(options)) return kExitBadInput;
  auto reply = monitoring::send_control_command(data_dir, options.command, options.args,
                                                std::chrono::seconds(options.timeout_seconds));
  if (!reply) {
    std::cerr << "error: " << reply.status().message() << "\n";
    return kExitFailure;
  }
  if (options.json) {
    std::cout << reply->json << "\n";
  } else if (reply->exit_code == monitoring::kCommandOk) {
    std::cout << reply->text;
  } else {
    std::cerr << reply->text;
  }
  return reply->exit_code;
}

}  // namespace

std::vector<CliCommand> register_ctl_commands(CLI::App& cli) {
  auto options = std::make_shared<CtlOptions>();
  auto* ctl = cli.add_subcommand(
      "ctl",
      "Send an operator command to the running instance (status, positions, orders, pnl, "
      "halt [REASON], resume, recovery, complete ITEM, metrics, shutdown, help)");
  auto* config_option =
      ctl->add_option("--config,-c", options->config_path, "config.yaml (its data_dir is used)");
  ctl->add_option("--data-dir", options->data_dir, "data directory of the instance (default: data)")
      ->excludes(config_option);
  ctl->add_flag("--json", options->json, "print the JSON reply");
  ctl->add_flag("--yes,-y", options->yes, "do not ask before `halt`");
  ctl->add_option("--timeout", options->timeout_seconds, "seconds to wait for the reply")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  ctl->add_option("command", options->command, "the command")->required();
  ctl->add_option("args", options->args, "its arguments");
  return {CliCommand{ctl, [options] { return run_ctl(*options); }}};
}

}  // namespace galfriday::app

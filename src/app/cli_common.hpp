#pragma once
// What every `galfriday` subcommand shares: the exit codes, the mapping of a Status to one,
// and the registration record main.cpp runs once the command line is parsed.
// Exit codes: 0 success, 1 the operation failed, 2 bad input (arguments, config, data files).

#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>

#include "galfriday/core/status.hpp"

namespace galfriday::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

// The caller's input is at fault (2) or the operation failed (1).
inline int exit_code_for(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kOutOfRange:
    case StatusCode::kPermissionDenied:
      return kExitBadInput;
    default:
      return kExitFailure;
  }
}

// Prints "error: <message>" to stderr and returns the exit code for it.
inline int fail(const Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return exit_code_for(status);
}

// A registered subcommand and what runs it (returns the process exit code) once parsed.
struct CliCommand {
  CLI::App* command = nullptr;
  std::function<int()> run;
};

}  // namespace galfriday::app

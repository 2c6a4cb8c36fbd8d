// `galfriday kraken-sim` and `galfriday record`. Both run until SIGINT/SIGTERM (or --duration);
// the signals are blocked before any thread starts and taken with sigtimedwait on the main
// thread, so no handler runs inside library code.

#include "cli_market.hpp"

#include <csignal>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "galfriday/app/pipeline.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/core/clock.hpp"
#include "galfriday/feed/market_data_feed.hpp"
#include "galfriday/feed/recording.hpp"
#include "galfriday/ingest/sample_data.hpp"
#include "galfriday/kraken_sim/simulator.hpp"

namespace galfriday::app {
namespace {

// Blocks SIGINT and SIGTERM in this thread (and the threads it starts afterwards).
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// Waits for SIGINT/SIGTERM, or `seconds` when positive. Calls `tick` about once a second.
template <typename Tick>
void wait_for_stop(const sigset_t& signals, int seconds, Tick tick) {
  const timespec one_second{1, 0};
  for (int elapsed = 0; seconds <= 0 || elapsed < seconds; ++elapsed) {
    if (sigtimedwait(&signals, nullptr, &one_second) > 0) return;
    tick();
  }
}

std::optional<config::Config> load_config(const std::string& path) {
  auto loaded = config::load_config_file(path);
  for (const auto& warning : loaded.warnings)
    std::cerr << path << ": warning: " << warning.to_string() << "\n";
  for (const auto& error : loaded.errors)
    std::cerr << path << ": error: " << error.to_string() << "\n";
  return loaded.config;
}

struct SimCli {
  std::string config_path;
  uint16_t port = 0;
  uint64_t seed = 42;
  int tick_ms = 50;
  int duration_seconds = 0;
  std::string recording;
  uint64_t drop_every = 0;
  uint64_t corrupt_every = 0;
  uint64_t malformed_every = 0;
  uint64_t stall_every = 0;
  int stall_ms = 0;
  bool private_api = false;
  std::vector<std::string> balances{"ZUSD=10000"};
};

int run_kraken_sim(const SimCli& cli) {
  auto config = load_config(cli.config_path);
  if (!config) return kExitBadInput;
  auto instruments = build_instruments(*config);
  if (!instruments) return fail(instruments.status());

  kraken_sim::SimulatorOptions options;
  for (const InstrumentSpec& spec : instruments->all())
    options.pairs.push_back({spec, sample_start_price(spec), ""});
  options.seed = cli.seed;
  options.tick_interval = std::chrono::milliseconds(cli.tick_ms);
  options.server.port = cli.port;
  if (!cli.recording.empty()) options.recording = cli.recording;
  options.faults.drop_every_steps = cli.drop_every;
  options.faults.corrupt_checksum_every_steps = cli.corrupt_every;
  options.faults.malformed_every_steps = cli.malformed_every;
  options.faults.stall_every_steps = cli.stall_every;
  options.faults.stall = std::chrono::milliseconds(cli.stall_ms);
  LiveClock clock;
  if (cli.private_api) {
    // The same key and secret the bot reads (environment or kraken.credentials_file), so no
    // secret is ever on a command line.
    auto secrets = config::load_secrets(config->kraken);
    if (!secrets) return fail(secrets.status().with_context("kraken-sim --private"));
    kraken_sim::PrivateApiOptions api;
    api.api_key = secrets->api_key;
    api.api_secret = secrets->api_secret;
    api.clock = &clock;
    for (const std::string& entry : cli.balances) {
      const size_t eq = entry.find('=');
      if (eq == std::string::npos) {
        return fail(invalid_argument("--balance '" + entry + "': expected ASSET=AMOUNT"));
      }
      api.balances[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    options.private_api = std::move(api);
  }

  const sigset_t signals = block_stop_signals();
  auto sim = kraken_sim::KrakenSimulator::start(std::move(options));
  if (!sim) return fail(sim.status());
  // Scripts and tests read these two lines to find the OS-chosen port.
  std::cout << "kraken-sim websocket " << (*sim)->ws_url() << "\n"
            << "kraken-sim rest " << (*sim)->rest_url() << std::endl;
  if (cli.private_api) std::cout << "kraken-sim ws-auth " << (*sim)->ws_auth_url() << std::endl;
  wait_for_stop(signals, cli.duration_seconds, [] {});
  const kraken_sim::SimulatorStats stats = (*sim)->stats();
  (*sim)->stop();
  std::cout << "kraken-sim stopped: " << stats.steps << " steps, " << stats.sessions_opened
            << " sessions, " << stats.frames_sent << " frames, " << stats.connections_dropped
            << " drops, " << stats.checksums_corrupted << " corrupt checksums, "
            << stats.malformed_frames_sent << " malformed frames, " << stats.stalls << " stalls\n";
  return kExitOk;
}

struct RecordCli {
  std::string config_path;
  std::string out;
  std::string ws_url;
  int duration_seconds = 0;
};

int run_record(const RecordCli& cli) {
  auto config = load_config(cli.config_path);
  if (!config) return kExitBadInput;
  if (!cli.ws_url.empty()) config->kraken.ws_url = cli.ws_url;
  auto instruments = build_instruments(*config);
  if (!instruments) return fail(instruments.status());
  auto recorder = feed::RecordingWriter::open(cli.out);
  if (!recorder) return fail(recorder.status());

  const sigset_t signals = block_stop_signals();
  LiveClock clock;
  // Recording keeps the raw frames; the decoded events are not needed here.
  auto market_feed = feed::MarketDataFeed::create(
      feed::market_data_feed_options(*config, instruments->all()), clock, [](Event) {},
      std::move(*recorder));
  if (!market_feed) return fail(market_feed.status());
  (*market_feed)->start();
  std::cerr << "recording " << config->kraken.ws_url << " to " << cli.out << " (Ctrl-C to stop)\n";
  wait_for_stop(signals, cli.duration_seconds, [] {});
  (*market_feed)->stop();

  const feed::WsClientStats stats = (*market_feed)->client_stats();
  std::cout << "recorded " << stats.frames_received << " frames (" << stats.bytes_received
            << " bytes) over " << stats.connects << " connection(s) to " << cli.out << "\n";
  const Status recorded = (*market_feed)->recording_status();
  if (!recorded.is_ok()) return fail(recorded);
  if (stats.connects == 0) {
    return fail(unavailable("never connected to " + config->kraken.ws_url));
  }
  return kExitOk;
}

}  // namespace

std::vector<CliCommand> register_market_commands(CLI::App& cli) {
  auto sim_cli = std::make_shared<SimCli>();
  auto* sim = cli.add_subcommand(
      "kraken-sim", "Serve a simulated Kraken (WS v2 public channels + REST public) on loopback");
  sim->add_option("--config,-c", sim_cli->config_path, "config.yaml (its pairs are served)")
      ->required();
  sim->add_option("--port", sim_cli->port, "TCP port on 127.0.0.1; 0 lets the OS choose")
      ->capture_default_str();
  sim->add_option("--seed", sim_cli->seed, "seed of the generated feed")->capture_default_str();
  sim->add_option("--tick-ms", sim_cli->tick_ms, "milliseconds between feed steps")
      ->check(CLI::Range(1, 60000))
      ->capture_default_str();
  sim->add_option("--duration", sim_cli->duration_seconds,
                  "stop after this many seconds (0: on Ctrl-C)")
      ->check(CLI::Range(0, 31536000))
      ->capture_default_str();
  sim->add_option("--recording", sim_cli->recording,
                  "replay the frames of a `galfriday record` file instead of generating")
      ->check(CLI::ExistingFile);
  sim->add_option("--drop-every", sim_cli->drop_every, "drop all connections every N steps");
  sim->add_option("--corrupt-checksum-every", sim_cli->corrupt_every,
                  "corrupt a book checksum every N steps");
  sim->add_option("--malformed-every", sim_cli->malformed_every,
                  "send a malformed frame every N steps");
  sim->add_option("--stall-every", sim_cli->stall_every, "stall the feed every N steps");
  sim->add_flag("--private", sim_cli->private_api,
                "serve the private REST API and ws-auth for the key in KRAKEN_API_KEY/"
                "KRAKEN_API_SECRET or kraken.credentials_file");
  sim->add_option("--balance", sim_cli->balances,
                  "starting balance of the private account, ASSET=AMOUNT (REST asset code, "
                  "repeatable)")
      ->capture_default_str();
  sim->add_option("--stall-ms", sim_cli->stall_ms, "length of each stall")
      ->check(CLI::Range(0, 600000));

  auto record_cli = std::make_shared<RecordCli>();
  auto* record = cli.add_subcommand(
      "record", "Record Kraken's public WS v2 frames with receive times to a replayable file");
  record->add_option("--config,-c", record_cli->config_path, "config.yaml (pairs, market_data)")
      ->required();
  record->add_option("--out,-o", record_cli->out, "recording file (JSON lines)")->required();
  record->add_option("--ws-url", record_cli->ws_url, "override kraken.ws_url (e.g. kraken-sim's)");
  record
      ->add_option("--duration", record_cli->duration_seconds,
                   "stop after this many seconds (0: on Ctrl-C)")
      ->check(CLI::Range(0, 31536000))
      ->capture_default_str();

  return {{sim, [sim_cli] { return run_kraken_sim(*sim_cli); }},
          {record, [record_cli] { return run_record(*record_cli); }}};
}

}  // namespace galfriday::app

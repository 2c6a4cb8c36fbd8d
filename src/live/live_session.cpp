// LiveSession: the private REST client, the execution handler, the private WebSocket and
// reconciliation (at start and periodically) for `galfriday run --mode live`.

#include "galfriday/live/live_session.hpp"

#include <spdlog/spdlog.h>

#include <future>

#include "galfriday/live/assets.hpp"
#include "galfriday/live/nonce.hpp"
#include "galfriday/live/private_socket.hpp"
#include "galfriday/net/beast_http_transport.hpp"

namespace galfriday::live {
namespace {

constexpr std::string_view kSource = "live_session";

class LiveSessionImpl final : public LiveSession {
 public:
  LiveSessionImpl(const config::Config& config, const InstrumentRegistry& instruments,
                  PubSubManager& bus, Scheduler& scheduler)
      : instruments_(instruments),
        bus_(bus),
        scheduler_(scheduler),
        policy_(config.kraken.adopt_unknown_orders ? UnknownOrderPolicy::kAdopt
                                                   : UnknownOrderPolicy::kCancel),
        reconcile_interval_(std::chrono::seconds(config.kraken.reconcile_interval_seconds)),
        dead_mans_switch_enabled_(config.kraken.dead_mans_switch_timeout_seconds > 0) {}

  ~LiveSessionImpl() override {
    // A session create() gave up on half way has nothing running.
    const bool complete = client_ && handler_ && executor_ && socket_;
    if (complete && !stopped_) (void)stop(/*cancel_open_entries=*/false, /*cancel_all=*/false);
  }

  Result<ReconciliationReport> start() override {
    if (started_) return failed_precondition("live session: start() called twice");
    started_ = true;
    if (Status recovered = handler_->recover(); !recovered.is_ok()) {
      return recovered.with_context("live session: recovering stored orders");
    }
    auto report = run_on_executor([this] { return reconcile_round(/*at_start=*/true); });
    if (!report) return report.status();
    for (const std::string& line : report->discrepancies) {
      spdlog::warn("[{}] reconciliation: {}", kSource, line);
    }
    handler_->attach();
    dead_mans_switch_armed_ = dead_mans_switch_enabled_;
    socket_->start();
    reconcile_timer_ = scheduler_.schedule_every(reconcile_interval_, [this] {
      // Periodic rounds run on the executor so the engine thread never waits for Kraken.
      executor_->submit([this] {
        auto round = reconcile_round(/*at_start=*/false);
        if (!round) {
          spdlog::error("[{}] periodic reconciliation failed: {}", kSource,
                        round.status().to_string());
        }
      });
    });
    return report;
  }

  Status stop(bool cancel_open_entries, bool cancel_all) override {
    if (stopped_) return Status::ok();
    stopped_ = true;
    if (reconcile_timer_) scheduler_.cancel(*reconcile_timer_);
    handler_->detach();
    socket_->stop();
    Status result = Status::ok();
    if (cancel_all) {
      auto cancelled =
          run_on_executor([this]() -> Result<int64_t> { return client_->cancel_all(); });
      if (!cancelled) result = cancelled.status().with_context("live session: CancelAll at stop");
    } else {
      if (cancel_open_entries) report_shutdown_cancels(handler_->cancel_open_entries("shutdown"));
      // Protective orders stay after an orderly stop, so the dead man's switch must not cancel
      // them once its refreshes end (a crash keeps it armed: then it should).
      if (dead_mans_switch_armed_) {
        auto disarmed = run_on_executor([this]() -> Result<DeadMansSwitchState> {
          return client_->cancel_all_orders_after(0);
        });
        if (!disarmed) {
          result = disarmed.status().with_context("live session: disabling the dead man's switch");
        }
      }
    }
    // Drain: every task queued before this one (cancels, frames, reports) has run.
    (void)run_on_executor([]() -> Result<bool> { return true; });
    return result;
  }

  // The cancels Kraken confirmed are stored by now; the others are named, as they stay open in
  // the store (and perhaps on Kraken) until the next start reconciles them.
  static void report_shutdown_cancels(const ShutdownCancelReport& report) {
    if (!report.cancelled.empty() || !report.closed.empty()) {
      spdlog::info(
          "[{}] shutdown: {} entry order(s) cancelled on Kraken and stored cancelled, {} "
          "found filled or expired",
          kSource, report.cancelled.size(), report.closed.size());
    }
    for (const auto& open : report.unconfirmed) {
      spdlog::warn(
          "[{}] shutdown: the cancel of entry order {} is not confirmed by Kraken ({}); it stays "
          "open in the database until the next start reconciles it with Kraken",
          kSource, open.id.str(), open.why);
    }
  }

  bool private_socket_up() const override { return socket_->is_up(); }
  const KrakenExecutionHandler& handler() const override { return *handler_; }

  Result<ReconciliationReport> reconcile_now() override {
    return run_on_executor([this] { return reconcile_round(/*at_start=*/false); });
  }

  // Executor thread: the handler's reconciliation, then balances against holdings.
  Result<ReconciliationReport> reconcile_round(bool at_start) {
    auto report = handler_->reconcile_on_executor(policy_);
    if (!report) return report.status();
    auto balances = client_->balance();
    if (!balances) {
      post_health(HealthSignal::kBalanceQueryFailed,
                  "Balance at reconciliation: " + balances.status().message());
      const std::string reason =
          "balances could not be read from Kraken (" + balances.status().message() + ")";
      handler_->mark_unreconciled(reason);
      return Status(balances.status().code(),
                    "cannot reconcile positions with Kraken, new entries are refused: " + reason);
    }
    post_health(HealthSignal::kBalanceQuerySucceeded, "");
    const auto discrepancies =
        balance_discrepancies(handler_->holdings_to_cover(), *balances, instruments_);
    if (!discrepancies.empty()) {
      std::string message = "positions cannot be reconciled with Kraken's balances: ";
      for (size_t i = 0; i < discrepancies.size(); ++i) {
        message += (i == 0 ? "" : "; ") + discrepancies[i];
      }
      message += ". Refusing to trade until the account and the books agree.";
      handler_->mark_unreconciled(message);
      if (!at_start) {
        bus_.post(PotentialHaltTriggerEvent{{}, std::string(kSource), message, true});
      }
      return failed_precondition(message);
    }
    return report;
  }

  template <typename F>
  auto run_on_executor(F task) -> decltype(task()) {
    std::promise<decltype(task())> done;
    auto finished = done.get_future();
    executor_->submit([&] { done.set_value(task()); });
    return finished.get();
  }

  void post_health(HealthSignal signal, std::string detail) {
    HealthSignalEvent event;
    event.signal = signal;
    event.source = std::string(kSource);
    event.detail = std::move(detail);
    bus_.post(std::move(event));
  }

  const InstrumentRegistry& instruments_;
  PubSubManager& bus_;
  Scheduler& scheduler_;
  UnknownOrderPolicy policy_;
  Duration reconcile_interval_;
  bool dead_mans_switch_enabled_;
  bool dead_mans_switch_armed_ = false;  // attach() armed it
  bool started_ = false;
  bool stopped_ = false;
  std::optional<TimerId> reconcile_timer_;

  // Destroyed in reverse: the socket first (its I/O thread hands work to the executor), then
  // the executor (runs what is queued, joins), then what its tasks use.
  std::unique_ptr<net::BeastHttpTransport> transport_;
  std::unique_ptr<NonceGenerator> nonces_;
  ThreadSleeper sleeper_;
  std::unique_ptr<KrakenPrivateClient> client_;
  std::unique_ptr<KrakenExecutionHandler> handler_;
  std::unique_ptr<WorkerExecutor> executor_;
  std::unique_ptr<PrivateSocket> socket_;
};

}  // namespace

std::vector<std::string> balance_discrepancies(
    const std::map<InstrumentId, Quantity>& holdings,
    const std::map<std::string, std::string>& kraken_balances,
    const InstrumentRegistry& instruments) {
  std::vector<std::string> out;
  for (const auto& [instrument, needed] : holdings) {
    if (!needed.is_positive()) continue;
    const InstrumentSpec* spec = instruments.find(instrument);
    if (spec == nullptr) {
      out.push_back(instrument.str() + ": not a configured instrument");
      continue;
    }
    const std::string rest_asset = kraken_rest_asset(spec->base);
    auto it = kraken_balances.find(rest_asset);
    if (it == kraken_balances.end()) it = kraken_balances.find(spec->base);
    Money held;
    if (it != kraken_balances.end()) {
      auto parsed = Money::parse(it->second);
      if (!parsed) {
        out.push_back(instrument.str() + ": Kraken's balance of " + rest_asset + " '" + it->second +
                      "' does not parse: " + parsed.status().message());
        continue;
      }
      held = *parsed;
    }
    const Money expected = Money::from_raw(needed.raw(), needed.precision());
    if (held < expected) {
      out.push_back(instrument.str() + ": our books hold " + needed.to_string() + " " + spec->base +
                    " but Kraken's balance of " + rest_asset + " is " +
                    (it == kraken_balances.end() ? std::string("absent") : it->second));
    }
  }
  return out;
}

Result<std::unique_ptr<LiveSession>> LiveSession::create(const config::Config& config,
                                                         const InstrumentRegistry& instruments,
                                                         const config::Secrets& secrets,
                                                         persistence::Repositories& repositories,
                                                         PubSubManager& bus, const Clock& clock,
                                                         Scheduler& scheduler) {
  if (!repositories.orders || !repositories.fills) {
    return invalid_argument("live session: the order and fill repositories are required");
  }
  auto session = std::make_unique<LiveSessionImpl>(config, instruments, bus, scheduler);
  auto transport = net::BeastHttpTransport::create();
  if (!transport) return transport.status().with_context("live session: HTTP transport");
  session->transport_ = std::move(*transport);
  auto nonces = NonceGenerator::open(nonce_file_path(config), clock);
  if (!nonces) return nonces.status().with_context("live session: nonce file");
  session->nonces_ = std::move(*nonces);
  auto client = KrakenPrivateClient::create(*session->transport_, *session->nonces_, clock,
                                            session->sleeper_, secrets.api_key, secrets.api_secret,
                                            private_client_options(config));
  if (!client) return client.status().with_context("live session: Kraken private client");
  session->client_ = std::move(*client);
  session->executor_ = std::make_unique<WorkerExecutor>();
  session->handler_ = std::make_unique<KrakenExecutionHandler>(
      live_execution_options(config), instruments, *session->client_, *repositories.orders,
      *repositories.fills, bus, scheduler, *session->executor_, repositories.signals.get());
  PrivateSocketOptions socket_options;
  socket_options.url = config.kraken.ws_auth_url;
  auto socket = PrivateSocket::create(socket_options, clock, *session->client_, *session->executor_,
                                      *session->handler_, bus);
  if (!socket) return socket.status().with_context("live session");
  session->socket_ = std::move(*socket);
  return std::unique_ptr<LiveSession>(std::move(session));
}

}  // namespace galfriday::live

// A small engine with the operator front ends, for the tests that need a separate process:
// the halt coordinator, monitoring, activity log and CLI service on an engine thread (the main
// thread), over a portfolio with one position.
//
//   operator_harness                       dashboard on an OS-chosen loopback port; prints
//                                          "PORT <n>"; exits when stdin closes. Token from
//                                          GALFRIDAY_DASHBOARD_TOKEN. (dashboard_browser_test.py)
//   operator_harness --console DATA_DIR    takes the instance lock on DATA_DIR, serves the
//                                          control socket there and runs the interactive console
//                                          on stdin until `shutdown` or end of input; prints
//                                          "READY" first. (pty_test.cpp)
// Exit codes: 0 done, 1 could not start (the message says why).

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include "galfriday/monitoring/console.hpp"
#include "galfriday/monitoring/control_socket.hpp"
#include "galfriday/monitoring/dashboard.hpp"
#include "galfriday/monitoring/monitoring_service.hpp"
#include "memory_halt_repository.hpp"

namespace {

using namespace galfriday;
using namespace galfriday::monitoring;

using monitoring::test_support::MemoryHaltRepository;

constexpr Duration kCommandTimeout = std::chrono::seconds(10);

}  // namespace

int main(int argc, char** argv) {
  const bool console_mode = argc == 3 && std::strcmp(argv[1], "--console") == 0;
  if (argc != 1 && !console_mode) {
    std::cerr << "usage: operator_harness [--console DATA_DIR]\n";
    return 1;
  }
  LiveClock clock;
  Scheduler scheduler(clock);
  PubSubManager bus(clock);
  MemoryHaltRepository repository;
  PortfolioState portfolio;
  portfolio.valuation_currency = "USD";
  portfolio.equity = Money::parse("100250.00", 2).value();
  portfolio.initial_equity = Money::parse("100000.00", 2).value();
  PositionView position;
  position.instrument = InstrumentId("BTC/USD");
  position.qty = Quantity::parse("0.50000000", 8).value();
  position.mark_price = Price::parse("42000.0", 1).value();
  portfolio.positions.push_back(position);
  const auto probe = [&] { return portfolio; };

  HaltCoordinator coordinator(bus, clock, repository, HaltAction::kMaintainPositions, probe);
  config::MonitoringConfig config;
  MonitoringService monitoring(config, {InstrumentId("BTC/USD"), InstrumentId("ETH/USD")},
                               coordinator, scheduler, probe);
  ActivityLog activity(probe);
  std::atomic<bool> stop{false};
  CliService cli(coordinator, &monitoring, &activity, probe, clock, [&] { stop = true; });
  CommandGateway gateway(bus);
  monitoring.attach(bus);
  activity.attach(bus);
  cli.attach(bus, gateway);
  activity.sample_equity();

  std::unique_ptr<InstanceLock> lock;
  std::unique_ptr<ControlServer> control;
  std::unique_ptr<Dashboard> dashboard;
  std::unique_ptr<Console> console;
  std::thread input;
  if (console_mode) {
    auto locked = InstanceLock::acquire(argv[2]);
    if (!locked) {
      std::cerr << "error: " << locked.status().message() << "\n";
      return 1;
    }
    lock = std::move(*locked);
    auto server = ControlServer::start(argv[2], gateway, kCommandTimeout);
    if (!server) {
      std::cerr << "error: " << server.status().message() << "\n";
      return 1;
    }
    control = std::move(*server);
    std::cout << "READY" << std::endl;
    console = std::make_unique<Console>(gateway, STDIN_FILENO, std::cout, kCommandTimeout);
    input = std::thread([&] {
      console->run();
      stop = true;
      bus.wake();
    });
  } else {
    const char* token = std::getenv(std::string(kDashboardTokenEnv).c_str());
    auto started = Dashboard::start(DashboardOptions{}, gateway, token != nullptr ? token : "");
    if (!started) {
      std::cerr << "error: " << started.status().to_string() << "\n";
      return 1;
    }
    dashboard = std::move(*started);
    std::cout << "PORT " << dashboard->port() << std::endl;
    input = std::thread([&] {
      char buffer[64];
      while (::read(STDIN_FILENO, buffer, sizeof(buffer)) > 0) {
      }
      stop = true;
      bus.wake();
    });
  }
  while (!stop) {
    bus.wait_for_posted(std::chrono::milliseconds(100));
    scheduler.run_due();
    bus.run_until_idle();
  }
  // `shutdown` ends the engine while the console may still wait for input.
  if (console) console->stop();
  input.join();
  return 0;
}

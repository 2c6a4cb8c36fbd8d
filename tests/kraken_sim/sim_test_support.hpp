#pragma once
// Shared by the simulator and feed integration tests: the simulated pairs, and waiting on a
// condition (no sleeps as assertions: a generous deadline only bounds a hang).

#include <chrono>
#include <thread>

#include "galfriday/kraken_sim/simulator.hpp"

namespace galfriday::kraken_sim::testing {

inline InstrumentSpec make_spec(std::string symbol, std::string altname, std::string base,
                                std::string quote, int price_precision, int qty_precision) {
  InstrumentSpec spec;
  spec.id = InstrumentId(std::move(symbol));
  spec.altname = std::move(altname);
  spec.base = std::move(base);
  spec.quote = std::move(quote);
  spec.price_precision = price_precision;
  spec.qty_precision = qty_precision;
  spec.cost_precision = 5;
  spec.ordermin = Quantity::parse("0.0001", qty_precision).value();
  spec.costmin = Money::parse("0.5", 5).value();
  spec.tick_size = Price::parse(price_precision == 1 ? "0.1" : "0.01", price_precision).value();
  return spec;
}

// BTC/USD and ETH/USD with Kraken's precisions, stepped by hand (no ticker).
inline SimulatorOptions manual_options(uint64_t seed = 7) {
  SimulatorOptions options;
  options.pairs.push_back({make_spec("BTC/USD", "XBTUSD", "BTC", "USD", 1, 8),
                           Price::parse("42000", 1).value(), "XXBTZUSD"});
  options.pairs.push_back({make_spec("ETH/USD", "ETHUSD", "ETH", "USD", 2, 8),
                           Price::parse("2300", 2).value(), "XETHZUSD"});
  options.seed = seed;
  options.tick_interval = Duration::zero();
  return options;
}

// Steps until the pending corrupt checksum has gone out: a step that leaves every subscriber's
// top levels unchanged sends no book message.
inline void step_until_corrupted(KrakenSimulator& sim) {
  const uint64_t before = sim.stats().checksums_corrupted;
  for (int i = 0; i < 1000 && sim.stats().checksums_corrupted == before; ++i) sim.step();
}

template <typename Predicate>
bool wait_until(Predicate predicate, std::chrono::seconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace galfriday::kraken_sim::testing

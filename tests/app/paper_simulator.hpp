#pragma once
// The local Kraken simulator a `galfriday run --mode paper` test runs against: every pair of
// the default config, from the sample data's start prices, one simulated second per 20 ms (a
// one-minute bar closes about every 1.2 s).

#include <chrono>

#include "galfriday/app/pipeline.hpp"
#include "galfriday/config/config.hpp"
#include "galfriday/ingest/sample_data.hpp"
#include "galfriday/kraken_sim/simulator.hpp"

namespace galfriday::test {

inline Result<kraken_sim::SimulatorOptions> paper_simulator_options() {
  auto instruments = app::build_instruments(config::default_config());
  if (!instruments) return instruments.status();
  kraken_sim::SimulatorOptions options;
  for (const InstrumentSpec& spec : instruments->all()) {
    options.pairs.push_back({spec, sample_start_price(spec), ""});
  }
  options.tick_interval = std::chrono::milliseconds(20);
  return options;
}

}  // namespace galfriday::test

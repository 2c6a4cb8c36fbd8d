// Bus throughput: single-thread publish+dispatch, and cross-thread post into the engine.
// Target (DESIGN.md): >= 30 M events/s dispatch on this 2-core machine.

#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>

#include "galfriday/bus/pubsub.hpp"

namespace galfriday {
namespace {

MarketDataTradeEvent trade_event() {
  MarketDataTradeEvent e;
  e.instrument = InstrumentId("BTC/USD");
  e.price = Price::from_raw(303061, 1);
  e.qty = Quantity::from_raw(100000, 8);
  e.meta.ts_event = timestamp_from_seconds(1);
  e.meta.ts_init = timestamp_from_seconds(1);
  return e;
}

// Publish a batch of trade events and dispatch them to one handler.
void BM_BusDispatch(benchmark::State& state) {
  SimulatedClock clock(timestamp_from_seconds(1));
  PubSubManager bus(clock);
  int64_t sum = 0;
  bus.subscribe<MarketDataTradeEvent>([&](const MarketDataTradeEvent& e) { sum += e.price.raw(); });
  const auto event = trade_event();
  const int64_t batch = state.range(0);
  for (auto _ : state) {
    for (int64_t i = 0; i < batch; ++i) bus.publish(event);
    bus.run_until_idle();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_BusDispatch)->Arg(1024);

// Dispatch only (events already queued): the cost of the engine loop per event.
void BM_BusDispatchOnly(benchmark::State& state) {
  SimulatedClock clock(timestamp_from_seconds(1));
  PubSubManager bus(clock);
  int64_t sum = 0;
  bus.subscribe<SystemStateEvent>(
      [&](const SystemStateEvent& e) { sum += static_cast<int64_t>(e.meta.sequence); });
  const int64_t batch = state.range(0);
  for (auto _ : state) {
    state.PauseTiming();
    for (int64_t i = 0; i < batch; ++i) bus.publish(SystemStateEvent{});
    state.ResumeTiming();
    bus.run_until_idle();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_BusDispatchOnly)->Arg(4096);

// A producer thread posts; the engine thread drains. Measures end-to-end cross-thread rate.
void BM_BusCrossThreadPost(benchmark::State& state) {
  SimulatedClock clock(timestamp_from_seconds(1));
  PubSubManager bus(clock);
  int64_t received = 0;
  bus.subscribe<MarketDataTradeEvent>([&](const MarketDataTradeEvent&) { ++received; });
  const auto event = trade_event();
  const int64_t batch = state.range(0);
  for (auto _ : state) {
    received = 0;
    std::thread producer([&] {
      for (int64_t i = 0; i < batch; ++i) bus.post(event);
    });
    while (received < batch) {
      if (bus.run_until_idle() == 0) bus.wait_for_posted(std::chrono::microseconds(50));
    }
    producer.join();
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_BusCrossThreadPost)->Arg(100000)->UseRealTime();

}  // namespace
}  // namespace galfriday

BENCHMARK_MAIN();

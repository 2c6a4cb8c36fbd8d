// FeatureEngine update cost: per closed bar (the default indicator set), per L2 book event
// (real Kraken BTC/USD book, decoded and applied as the feed does) and per trade (a 60 s trade
// window over synthetic trades). Reports time per update; never passes or fails.

#include <benchmark/benchmark.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "galfriday/features/feature_engine.hpp"
#include "galfriday/kraken/ws_codec.hpp"
#include "galfriday/market/order_book.hpp"

namespace galfriday {
namespace {

constexpr int64_t kJan1 = 1704067200;

std::vector<MarketDataOHLCVEvent> make_bars(size_t count) {
  std::vector<MarketDataOHLCVEvent> out;
  std::mt19937_64 random(1);
  int64_t close = 420'000;
  for (size_t i = 0; i < count; ++i) {
    const int64_t open = close;
    close += static_cast<int64_t>(random() % 201) - 100;
    MarketDataOHLCVEvent bar;
    bar.instrument = InstrumentId("BTC/USD");
    bar.interval = std::chrono::minutes(1);
    bar.bar_start = timestamp_from_seconds(kJan1 + 60 * static_cast<int64_t>(i));
    bar.meta.ts_event = bar.bar_start + bar.interval;
    bar.open = Price::from_raw(open, 1);
    bar.close = Price::from_raw(close, 1);
    bar.high = Price::from_raw(std::max(open, close) + 7, 1);
    bar.low = Price::from_raw(std::min(open, close) - 5, 1);
    bar.volume = Quantity::from_raw(100'000'000 + static_cast<int64_t>(random() % 50'000'000), 8);
    out.push_back(bar);
  }
  return out;
}

// The book after each message of the recorded BTC/USD sample, as L2 events of `levels` levels.
std::vector<MarketDataL2Event> real_book_events(size_t levels) {
  std::ifstream in(std::string(GF_SAMPLES_DIR) + "/ws_v2_book_snapshot_and_updates.jsonl");
  kraken::WsDecoder decoder;
  auto book = OrderBook::create(InstrumentId("BTC/USD"), 1, 8, 10).value();
  std::vector<MarketDataL2Event> events;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto message = decoder.decode(line);
    if (!message) std::abort();
    const auto& m = std::get<kraken::BookMessage>(*message);
    const Status s =
        m.is_snapshot ? book.apply_snapshot(m.bids, m.asks) : book.apply_update(m.bids, m.asks);
    if (!s.is_ok()) std::abort();
    EventMeta meta;
    meta.ts_event = m.timestamp.value_or(timestamp_from_seconds(kJan1));
    events.push_back(book.to_event(levels, meta, m.is_snapshot, m.checksum));
  }
  return events;
}

void BM_FeaturesPerBar(benchmark::State& state) {
  const auto bars = make_bars(100'000);
  auto engine = FeatureEngine::create(config::FeaturesConfig{}).value();
  size_t i = 0;
  for (auto _ : state) {
    auto vector = engine->update(bars[i]);
    benchmark::DoNotOptimize(vector);
    if (++i == bars.size()) i = 0;  // restarts the price path: still one bar per update
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::to_string(engine->names()->size()) + " features");
}
BENCHMARK(BM_FeaturesPerBar);

// Book features only (state update), and with the full vector published on every update.
void BM_FeaturesPerBookUpdate(benchmark::State& state) {
  const bool emit = state.range(0) != 0;
  const auto events = real_book_events(10);
  config::FeaturesConfig config;
  config.indicators = {"book"};
  config.book_levels = 10;
  config.emit_on_book_update = emit;
  auto engine = FeatureEngine::create(config).value();
  size_t i = 0;
  for (auto _ : state) {
    auto vector = engine->update_book(events[i]);
    benchmark::DoNotOptimize(vector);
    if (++i == events.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(emit ? "10 levels, vector per update" : "10 levels, state only");
}
BENCHMARK(BM_FeaturesPerBookUpdate)->Arg(0)->Arg(1);

void BM_FeaturesPerTrade(benchmark::State& state) {
  config::FeaturesConfig config;
  config.indicators = {"trades"};
  config.trade_window_seconds = 60;
  auto engine = FeatureEngine::create(config).value();
  std::mt19937_64 random(3);
  std::vector<MarketDataTradeEvent> trades(1 << 16);
  int64_t time_us = kJan1 * 1'000'000;
  for (auto& t : trades) {
    time_us += static_cast<int64_t>(random() % 200'000);  // ~10 trades/s: ~600 in the window
    t.instrument = InstrumentId("BTC/USD");
    t.meta.ts_event = Timestamp(std::chrono::microseconds(time_us));
    t.price = Price::from_raw(420'000 + static_cast<int64_t>(random() % 100), 1);
    t.qty = Quantity::from_raw(1 + static_cast<int64_t>(random() % 100'000'000), 8);
    t.aggressor = random() % 2 ? Side::kBuy : Side::kSell;
  }
  size_t i = 0;
  int64_t shift_us = 0;
  const int64_t span_us = time_us - kJan1 * 1'000'000 + 1;
  for (auto _ : state) {
    MarketDataTradeEvent trade = trades[i];
    trade.meta.ts_event += std::chrono::microseconds(shift_us);  // time keeps moving forward
    engine->update_trade(trade);
    if (++i == trades.size()) {
      i = 0;
      shift_us += span_us;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("60 s window, ~600 trades in it");
}
BENCHMARK(BM_FeaturesPerTrade);

}  // namespace
}  // namespace galfriday

BENCHMARK_MAIN();

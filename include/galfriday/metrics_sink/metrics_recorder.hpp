#pragma once
// MetricsRecorder: turns bus events into InfluxDB points (on the engine thread: formatting a
// line and a buffer push per event; the network is the InfluxWriter's thread).
//
// Measurements (tags in brackets; prices, quantities and money are exact decimal floats):
//   market_book   [pair]               best_bid, best_ask, best_bid_qty, best_ask_qty,
//                                      bid_levels, ask_levels          (MarketDataL2Event)
//   market_trade  [pair, side]         price, qty                       (MarketDataTradeEvent)
//   market_bar    [pair, interval]     open, high, low, close, volume, trade_count
//   features      [pair]               one float field per feature      (FeatureEvent)
//   prediction    [pair, model, target] value, confidence               (PredictionEvent)
//   latency       [pair, event]        ingest_ns: ts_init - ts_event of market data events,
//                                      i.e. exchange time to our receipt
//   portfolio     [currency]           equity, cash, drawdown_pct      (record_equity)
//   queue_depth   [queue]              depth, capacity                  (record_queue_depth)
// Points are timestamped with the event's ts_event (or the given time).
//
// A point the writer drops (buffer full) is counted by the writer; write errors here are
// counted in failed().

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/core/fixed_point.hpp"
#include "galfriday/metrics_sink/influx_writer.hpp"

namespace galfriday::metrics_sink {

class MetricsRecorder {
 public:
  // Subscribes to the bus; the bus and the writer must outlive the recorder.
  MetricsRecorder(PubSubManager& bus, InfluxWriter& writer);
  ~MetricsRecorder();
  MetricsRecorder(const MetricsRecorder&) = delete;
  MetricsRecorder& operator=(const MetricsRecorder&) = delete;

  // Not on the bus: the app reports these periodically.
  void record_equity(Timestamp time, std::string_view currency, const Money& equity,
                     const Money& cash, double drawdown_pct);
  void record_queue_depth(Timestamp time, std::string_view queue, size_t depth, size_t capacity);

  uint64_t recorded() const { return recorded_; }
  uint64_t failed() const { return failed_; }

  // The points for one event, without writing them (for tests and for other sinks).
  static std::vector<Point> points_for(const Event& event);

 private:
  void write(const Point& point);

  PubSubManager& bus_;
  InfluxWriter& writer_;
  std::vector<SubscriptionId> subscriptions_;
  uint64_t recorded_ = 0;
  uint64_t failed_ = 0;
};

}  // namespace galfriday::metrics_sink

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
//   fill          [pair, side, purpose, fee_currency] price, qty, fee (ExecutionReportEvent
//                                      carrying a fill)
//   latency       [pair, event]        event book|trade|bar: ingest_ns = ts_init - ts_event,
//                                      exchange time to our receipt;
//                                      event prediction: inference_ns = the prediction's
//                                      ts_init - its FeatureEvent's ts_init, feature vector
//                                      published to prediction back on the engine thread
//   portfolio     [currency]           equity, cash, drawdown_pct      (record_equity)
//   position      [pair]               qty, market_value, unrealized_pnl (record_position)
//   queue_depth   [queue]              depth, capacity (when bounded)   (record_queue_depth,
//                                      record_engine_queue)
//   metrics_writer                     accepted, written, dropped, rejected, invalid,
//                                      retries, buffered: the InfluxWriter's own counters
//                                      (record_writer_stats)
// Points are timestamped with the event's ts_event (or the given time).
//
// A point the writer drops (buffer full) is counted by the writer; write errors here are
// counted in failed().

#include <cstdint>
#include <map>
#include <optional>
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

  // Not on the bus: the app reports these periodically (engine thread).
  void record_equity(Timestamp time, std::string_view currency, const Money& equity,
                     const Money& cash, double drawdown_pct);
  void record_position(Timestamp time, std::string_view pair, const Quantity& qty,
                       const Money& market_value, const Money& unrealized_pnl);
  // `capacity` is left out for an unbounded queue.
  void record_queue_depth(Timestamp time, std::string_view queue, size_t depth,
                          std::optional<size_t> capacity);
  // queue_depth [queue=engine]: the most events that waited in the bus's engine queue behind
  // an event this recorder handled, since the previous call. Sampled inside event handlers,
  // where the backlog is visible (between dispatch rounds the queue is always empty).
  void record_engine_queue(Timestamp time);
  void record_writer_stats(Timestamp time, const InfluxWriterStats& stats);

  uint64_t recorded() const { return recorded_; }
  uint64_t failed() const { return failed_; }

  // The points for one event, without writing them (for tests and for other sinks). Stateless:
  // the inference latency, which pairs a prediction with its feature event, is not included.
  static std::vector<Point> points_for(const Event& event);

 private:
  void write(const Point& point);
  void note_engine_backlog();
  void remember_features(const FeatureEvent& event);
  void record_inference_latency(const PredictionEvent& event);

  PubSubManager& bus_;
  InfluxWriter& writer_;
  std::vector<SubscriptionId> subscriptions_;
  uint64_t recorded_ = 0;
  uint64_t failed_ = 0;
  size_t peak_engine_backlog_ = 0;
  // ts_init of recent feature events by sequence, for the inference latency; the oldest are
  // forgotten beyond kRememberedFeatureEvents (a prediction that late gets no latency point).
  std::map<uint64_t, Timestamp> feature_times_;
};

}  // namespace galfriday::metrics_sink

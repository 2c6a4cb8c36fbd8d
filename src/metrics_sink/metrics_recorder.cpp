#include "galfriday/metrics_sink/metrics_recorder.hpp"

#include <algorithm>
#include <type_traits>

namespace galfriday::metrics_sink {
namespace {

// Feature events remembered for the inference latency: predictions come back within a few
// events, so this bounds memory without losing any in practice.
constexpr size_t kRememberedFeatureEvents = 1024;

Point at(std::string measurement, Timestamp time) {
  Point point;
  point.measurement = std::move(measurement);
  point.time = time;
  return point;
}

// Exchange time to our receipt, for market data.
Point latency(std::string_view event, const InstrumentId& pair, const EventMeta& meta) {
  Point point = at("latency", meta.ts_event);
  point.tag("pair", pair.str()).tag("event", std::string(event));
  point.field("ingest_ns", int64_t{to_nanos(meta.ts_init) - to_nanos(meta.ts_event)});
  return point;
}

std::string interval_tag(Duration interval) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(interval).count()) + "s";
}

void add_points(const MarketDataL2Event& e, std::vector<Point>& out) {
  Point point = at("market_book", e.meta.ts_event);
  point.tag("pair", e.instrument.str());
  if (!e.bids.empty()) point.field("best_bid", e.bids.front().price);
  if (!e.bids.empty()) point.field("best_bid_qty", e.bids.front().qty);
  if (!e.asks.empty()) point.field("best_ask", e.asks.front().price);
  if (!e.asks.empty()) point.field("best_ask_qty", e.asks.front().qty);
  point.field("bid_levels", static_cast<int64_t>(e.bids.size()));
  point.field("ask_levels", static_cast<int64_t>(e.asks.size()));
  out.push_back(std::move(point));
  out.push_back(latency("book", e.instrument, e.meta));
}

void add_points(const MarketDataTradeEvent& e, std::vector<Point>& out) {
  Point point = at("market_trade", e.meta.ts_event);
  point.tag("pair", e.instrument.str()).tag("side", std::string(to_string(e.aggressor)));
  point.field("price", e.price).field("qty", e.qty);
  out.push_back(std::move(point));
  out.push_back(latency("trade", e.instrument, e.meta));
}

void add_points(const MarketDataOHLCVEvent& e, std::vector<Point>& out) {
  Point point = at("market_bar", e.bar_start);
  point.tag("pair", e.instrument.str()).tag("interval", interval_tag(e.interval));
  point.field("open", e.open).field("high", e.high).field("low", e.low).field("close", e.close);
  point.field("volume", e.volume).field("trade_count", e.trade_count);
  out.push_back(std::move(point));
  out.push_back(latency("bar", e.instrument, e.meta));
}

void add_points(const FeatureEvent& e, std::vector<Point>& out) {
  if (e.features.names == nullptr) return;
  Point point = at("features", e.meta.ts_event);
  point.tag("pair", e.instrument.str());
  const auto& names = *e.features.names;
  for (size_t i = 0; i < names.size() && i < e.features.values.size(); ++i) {
    point.field(names[i], e.features.values[i]);
  }
  out.push_back(std::move(point));
}

void add_points(const PredictionEvent& e, std::vector<Point>& out) {
  Point point = at("prediction", e.meta.ts_event);
  point.tag("pair", e.instrument.str()).tag("model", e.model_id).tag("target", e.target);
  point.field("value", e.value);
  if (e.confidence) point.field("confidence", *e.confidence);
  out.push_back(std::move(point));
}

void add_points(const ExecutionReportEvent& e, std::vector<Point>& out) {
  if (!e.last_fill) return;
  Point point = at("fill", e.meta.ts_event);
  point.tag("pair", e.instrument.str())
      .tag("side", std::string(to_string(e.side)))
      .tag("purpose", std::string(to_string(e.purpose)))
      .tag("fee_currency", e.last_fill->fee_currency);
  point.field("price", e.last_fill->price).field("qty", e.last_fill->qty);
  point.field("fee", e.last_fill->fee);
  out.push_back(std::move(point));
}

}  // namespace

std::vector<Point> MetricsRecorder::points_for(const Event& event) {
  std::vector<Point> points;
  std::visit(
      [&](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, MarketDataL2Event> ||
                      std::is_same_v<E, MarketDataTradeEvent> ||
                      std::is_same_v<E, MarketDataOHLCVEvent> || std::is_same_v<E, FeatureEvent> ||
                      std::is_same_v<E, PredictionEvent> ||
                      std::is_same_v<E, ExecutionReportEvent>) {
          add_points(e, points);
        }
      },
      event);
  return points;
}

MetricsRecorder::MetricsRecorder(PubSubManager& bus, InfluxWriter& writer)
    : bus_(bus), writer_(writer) {
  auto on = [this](const auto& e) {
    note_engine_backlog();
    std::vector<Point> points;
    add_points(e, points);
    for (const Point& point : points) write(point);
    using E = std::decay_t<decltype(e)>;
    if constexpr (std::is_same_v<E, FeatureEvent>) remember_features(e);
    if constexpr (std::is_same_v<E, PredictionEvent>) record_inference_latency(e);
  };
  subscriptions_.push_back(bus_.subscribe<MarketDataL2Event>(on, "metrics.book"));
  subscriptions_.push_back(bus_.subscribe<MarketDataTradeEvent>(on, "metrics.trade"));
  subscriptions_.push_back(bus_.subscribe<MarketDataOHLCVEvent>(on, "metrics.bar"));
  subscriptions_.push_back(bus_.subscribe<FeatureEvent>(on, "metrics.features"));
  subscriptions_.push_back(bus_.subscribe<PredictionEvent>(on, "metrics.prediction"));
  subscriptions_.push_back(bus_.subscribe<ExecutionReportEvent>(on, "metrics.fill"));
}

MetricsRecorder::~MetricsRecorder() {
  for (const SubscriptionId id : subscriptions_) bus_.unsubscribe(id);
}

void MetricsRecorder::record_equity(Timestamp time, std::string_view currency, const Money& equity,
                                    const Money& cash, double drawdown_pct) {
  Point point = at("portfolio", time);
  point.tag("currency", std::string(currency));
  point.field("equity", equity).field("cash", cash).field("drawdown_pct", drawdown_pct);
  write(point);
}

void MetricsRecorder::record_position(Timestamp time, std::string_view pair, const Quantity& qty,
                                      const Money& market_value, const Money& unrealized_pnl) {
  Point point = at("position", time);
  point.tag("pair", std::string(pair));
  point.field("qty", qty).field("market_value", market_value);
  point.field("unrealized_pnl", unrealized_pnl);
  write(point);
}

void MetricsRecorder::record_queue_depth(Timestamp time, std::string_view queue, size_t depth,
                                         std::optional<size_t> capacity) {
  Point point = at("queue_depth", time);
  point.tag("queue", std::string(queue));
  point.field("depth", static_cast<int64_t>(depth));
  if (capacity) point.field("capacity", static_cast<int64_t>(*capacity));
  write(point);
}

void MetricsRecorder::record_engine_queue(Timestamp time) {
  record_queue_depth(time, "engine", peak_engine_backlog_, std::nullopt);
  peak_engine_backlog_ = 0;
}

void MetricsRecorder::record_writer_stats(Timestamp time, const InfluxWriterStats& stats) {
  Point point = at("metrics_writer", time);
  point.field("accepted", static_cast<int64_t>(stats.accepted_points));
  point.field("written", static_cast<int64_t>(stats.written_points));
  point.field("dropped", static_cast<int64_t>(stats.dropped_points));
  point.field("rejected", static_cast<int64_t>(stats.rejected_points));
  point.field("invalid", static_cast<int64_t>(stats.invalid_points));
  point.field("retries", static_cast<int64_t>(stats.retries));
  point.field("buffered", static_cast<int64_t>(stats.buffered_points));
  write(point);
}

void MetricsRecorder::note_engine_backlog() {
  peak_engine_backlog_ = std::max(peak_engine_backlog_, bus_.queued());
}

void MetricsRecorder::remember_features(const FeatureEvent& event) {
  feature_times_[event.meta.sequence] = event.meta.ts_init;
  while (feature_times_.size() > kRememberedFeatureEvents) {
    feature_times_.erase(feature_times_.begin());
  }
}

void MetricsRecorder::record_inference_latency(const PredictionEvent& event) {
  // Several models may answer the same feature event, so the entry stays until it ages out.
  const auto features = feature_times_.find(event.feature_event_sequence);
  if (features == feature_times_.end()) return;
  Point point = at("latency", event.meta.ts_event);
  point.tag("pair", event.instrument.str()).tag("event", "prediction");
  point.field("inference_ns", int64_t{to_nanos(event.meta.ts_init) - to_nanos(features->second)});
  write(point);
}

void MetricsRecorder::write(const Point& point) {
  if (writer_.write(point).is_ok()) {
    ++recorded_;
  } else {
    ++failed_;
  }
}

}  // namespace galfriday::metrics_sink

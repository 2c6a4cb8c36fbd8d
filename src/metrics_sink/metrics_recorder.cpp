#include "galfriday/metrics_sink/metrics_recorder.hpp"

#include <type_traits>

namespace galfriday::metrics_sink {
namespace {

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

}  // namespace

std::vector<Point> MetricsRecorder::points_for(const Event& event) {
  std::vector<Point> points;
  std::visit(
      [&](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, MarketDataL2Event> ||
                      std::is_same_v<E, MarketDataTradeEvent> ||
                      std::is_same_v<E, MarketDataOHLCVEvent> || std::is_same_v<E, FeatureEvent> ||
                      std::is_same_v<E, PredictionEvent>) {
          add_points(e, points);
        }
      },
      event);
  return points;
}

MetricsRecorder::MetricsRecorder(PubSubManager& bus, InfluxWriter& writer)
    : bus_(bus), writer_(writer) {
  auto on = [this](const auto& e) {
    std::vector<Point> points;
    add_points(e, points);
    for (const Point& point : points) write(point);
  };
  subscriptions_.push_back(bus_.subscribe<MarketDataL2Event>(on, "metrics.book"));
  subscriptions_.push_back(bus_.subscribe<MarketDataTradeEvent>(on, "metrics.trade"));
  subscriptions_.push_back(bus_.subscribe<MarketDataOHLCVEvent>(on, "metrics.bar"));
  subscriptions_.push_back(bus_.subscribe<FeatureEvent>(on, "metrics.features"));
  subscriptions_.push_back(bus_.subscribe<PredictionEvent>(on, "metrics.prediction"));
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

void MetricsRecorder::record_queue_depth(Timestamp time, std::string_view queue, size_t depth,
                                         size_t capacity) {
  Point point = at("queue_depth", time);
  point.tag("queue", std::string(queue));
  point.field("depth", static_cast<int64_t>(depth))
      .field("capacity", static_cast<int64_t>(capacity));
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

#include "galfriday/events/event_json.hpp"

#include <gtest/gtest.h>

namespace galfriday {
namespace {

Price px(std::string_view text) { return Price::parse(text).value(); }
Quantity qty(std::string_view text) { return Quantity::parse(text).value(); }
Money money(std::string_view text) { return Money::parse(text).value(); }

EventMeta meta(uint64_t sequence) {
  return EventMeta{sequence, timestamp_from_nanos(1700000000123456789),
                   timestamp_from_nanos(1700000000200000000)};
}

// One filled-in instance of every event type.
std::vector<Event> sample_events() {
  std::vector<Event> events;
  events.push_back(
      MarketDataL2Event{meta(1),
                        InstrumentId("BTC/USD"),
                        {{px("45283.5"), qty("0.10000000")}},
                        {{px("45285.2"), qty("0.00100000")}, {px("45286.4"), qty("1.54571953")}},
                        true,
                        3310070434U});
  events.push_back(MarketDataTradeEvent{meta(2), InstrumentId("ETH/USD"), px("1650.12"),
                                        qty("0.25000000"), Side::kSell, TradeId("12345")});
  events.push_back(MarketDataOHLCVEvent{
      meta(3), InstrumentId("BTC/USD"), timestamp_from_seconds(1700000000), std::chrono::minutes(1),
      px("100.1"), px("101.0"), px("99.5"), px("100.7"), qty("12.50000000"), 42});
  auto names = std::make_shared<const std::vector<std::string>>(
      std::vector<std::string>{"sma_fast", "ret_5", "a_last"});
  FeatureVector features{names, {1.5, -0.001, 3.0}};
  events.push_back(FeatureEvent{meta(4), InstrumentId("BTC/USD"), features});
  events.push_back(PredictionEvent{meta(5), InstrumentId("BTC/USD"), "momentum_v1", "prob_price_up",
                                   0.71, 0.42, 4, features});
  events.push_back(TradeSignalProposedEvent{meta(6), SignalId("sig-1"), InstrumentId("BTC/USD"),
                                            "default", Side::kBuy, OrderType::kLimit, px("30000.0"),
                                            px("30001.5"), px("29400.0"), px("31200.0"), 5, 0.71});
  events.push_back(TradeSignalApprovedEvent{meta(7), SignalId("sig-1"), InstrumentId("BTC/USD"),
                                            "default", Side::kBuy, OrderType::kMarket,
                                            qty("0.01666666"), std::nullopt, px("29400.0"),
                                            std::nullopt, money("500.00")});
  events.push_back(TradeSignalRejectedEvent{meta(8), SignalId("sig-2"), InstrumentId("ETH/USD"),
                                            Side::kSell, RejectReason::kFatFinger, "5.2% away"});
  events.push_back(ExecutionReportEvent{
      meta(9), InstrumentId("BTC/USD"), ClientOrderId("gf-sig-1-e"),
      ExchangeOrderId("OU22CG-KLAF2-FWUDD7"), SignalId("sig-1"), OrderPurpose::kEntry,
      OrderStatus::kPartiallyFilled, OrderType::kLimit, Side::kBuy, qty("1.25000000"),
      qty("0.50000000"), px("37500.0"), px("37500.0"), std::nullopt,
      Fill{TradeId("T1"), px("37500.0"), qty("0.50000000"), money("48.75000"), "USD",
           Liquidity::kMaker},
      ""});
  events.push_back(ClosePositionCommand{meta(10), InstrumentId("BTC/USD"), std::nullopt,
                                        "prediction reversal", "strategy"});
  events.push_back(SystemStateEvent{meta(11), SystemState::kHalted, "daily drawdown 2.1%",
                                    HaltAction::kClosePositions});
  events.push_back(PotentialHaltTriggerEvent{meta(12), "ingest", "BTC/USD stale for 120s", false});
  events.push_back(SystemErrorEvent{meta(13), "risk", "handler threw", true});
  events.push_back(LogEvent{meta(14), LogSeverity::kWarning, "config", "unknown key"});
  events.push_back(HealthSignalEvent{meta(15), HealthSignal::kChecksumFailure, "feed",
                                     InstrumentId("BTC/USD"), 0.0, "crc mismatch"});
  events.push_back(OperatorCommandEvent{meta(16), 42, "halt", {"manual", "review"}, "ctl"});
  return events;
}

TEST(EventJson, EveryEventTypeRoundTrips) {
  const auto events = sample_events();
  ASSERT_EQ(events.size(), kEventTypeCount);
  for (const Event& event : events) {
    const std::string json = event_to_json(event);
    auto back = event_from_json(json);
    ASSERT_TRUE(back.is_ok()) << json << "\n" << back.status().to_string();
    EXPECT_EQ(back->index(), event.index()) << json;
    EXPECT_TRUE(*back == event) << json << "\n" << event_to_json(*back);
  }
}

TEST(EventJson, MoneyIsWrittenAsExactDecimalText) {
  const std::string json = event_to_json(sample_events()[8]);
  EXPECT_NE(json.find(R"("quantity_ordered":"1.25000000")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("fee":"48.75000")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("ts_event":"2023-11-14T22:13:20.123456789Z")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("status":"partially_filled")"), std::string::npos) << json;
}

TEST(EventJson, MalformedInputNamesTheProblem) {
  EXPECT_EQ(event_from_json("{not json").status().message(), "event is not valid JSON");
  EXPECT_EQ(event_from_json(R"({"type":"NoSuchEvent"})").status().message(),
            "unknown event type 'NoSuchEvent'");
  auto missing = event_from_json(
      R"({"type":"LogEvent","sequence":1,"ts_event":"2024-01-01T00:00:00Z","ts_init":"2024-01-01T00:00:00Z","severity":"info","source":"x"})");
  EXPECT_EQ(missing.status().message(), "missing field 'message'");
  auto bad_price = event_from_json(
      R"({"type":"MarketDataTradeEvent","sequence":1,"ts_event":"2024-01-01T00:00:00Z","ts_init":"2024-01-01T00:00:00Z","instrument":"BTC/USD","price":"12x","qty":"1","aggressor":"buy","trade_id":"1"})");
  EXPECT_NE(bad_price.status().message().find("field 'price'"), std::string::npos)
      << bad_price.status().message();
  auto bad_enum = event_from_json(
      R"({"type":"MarketDataTradeEvent","sequence":1,"ts_event":"2024-01-01T00:00:00Z","ts_init":"2024-01-01T00:00:00Z","instrument":"BTC/USD","price":"1","qty":"1","aggressor":"sideways","trade_id":"1"})");
  EXPECT_NE(bad_enum.status().message().find("field 'aggressor'"), std::string::npos);
  auto bad_nested = event_from_json(
      R"({"type":"MarketDataL2Event","sequence":1,"ts_event":"2024-01-01T00:00:00Z","ts_init":"2024-01-01T00:00:00Z","instrument":"BTC/USD","bids":[{"price":"1"}],"asks":[],"is_snapshot":true})");
  EXPECT_EQ(bad_nested.status().message(), "missing field 'bids[0].qty'");
}

TEST(EventJson, FeatureLookupByName) {
  const auto events = sample_events();
  const auto& features = std::get<FeatureEvent>(events[3]).features;
  EXPECT_EQ(features.get("ret_5"), -0.001);
  EXPECT_EQ(features.get("missing"), std::nullopt);
}

}  // namespace
}  // namespace galfriday

#include "galfriday/live/executions.hpp"

#include <gtest/gtest.h>

#include "../support/kraken_account.hpp"
#include "live_test_support.hpp"

namespace galfriday::live {
namespace {

TEST(ExecutionsDecoder, DecodesKrakensDocumentedSequence) {
  const auto lines = test_support::sample_lines("ws_v2_executions.jsonl");
  ASSERT_EQ(lines.size(), 6u) << "sample file changed";
  ExecutionsDecoder decoder;

  auto request = decoder.decode(lines[0]);  // our own subscribe request
  ASSERT_TRUE(request) << request.status().to_string();
  EXPECT_TRUE(std::holds_alternative<OtherPrivateFrame>(*request));

  auto ack = decoder.decode(lines[1]);
  ASSERT_TRUE(ack) << ack.status().to_string();
  const auto* subscribed = std::get_if<ExecutionsSubscribed>(&*ack);
  ASSERT_NE(subscribed, nullptr);
  EXPECT_TRUE(subscribed->success);
  EXPECT_EQ(subscribed->max_rate_count, 125);

  auto pending = decoder.decode(lines[2]);
  ASSERT_TRUE(pending) << pending.status().to_string();
  const auto& pending_message = std::get<ExecutionsMessage>(*pending);
  EXPECT_EQ(pending_message.sequence, 8u);
  ASSERT_EQ(pending_message.executions.size(), 1u);
  const Execution& first = pending_message.executions[0];
  EXPECT_EQ(first.order_id, "OK4GJX-KSTLS-7DZZO5");
  EXPECT_EQ(first.exec_type, "pending_new");
  EXPECT_EQ(first.order_status, OrderStatus::kPendingNew);
  EXPECT_EQ(first.order_userref, 3);
  EXPECT_EQ(first.side, Side::kSell);
  EXPECT_EQ(first.order_qty->view(), "0.005");
  EXPECT_EQ(first.limit_price->view(), "26500.0");
  EXPECT_EQ(format_iso8601(*first.timestamp), "2023-09-22T10:33:05.70995Z");

  auto trade = decoder.decode(lines[4]);
  ASSERT_TRUE(trade) << trade.status().to_string();
  const auto& trade_message = std::get<ExecutionsMessage>(*trade);
  EXPECT_EQ(trade_message.sequence, 10u);
  const Execution& fill = trade_message.executions[0];
  EXPECT_EQ(fill.exec_type, "trade");
  EXPECT_EQ(fill.exec_id, "TGBB7L-HT5LX-J3BZ4A");
  EXPECT_EQ(fill.trade_id, 62887576u);
  EXPECT_EQ(fill.last_qty->view(), "0.005");
  EXPECT_EQ(fill.last_price->view(), "26599.9");
  EXPECT_EQ(fill.liquidity, Liquidity::kTaker);
  ASSERT_EQ(fill.fees.size(), 1u);
  EXPECT_EQ(fill.fees[0].asset, "USD");
  EXPECT_EQ(fill.fees[0].qty.view(), "0.3458");
}

TEST(ExecutionsDecoder, SampleSequenceDrivesTheStateMachineToFilledOnce) {
  const auto lines = test_support::sample_lines("ws_v2_executions.jsonl");
  const InstrumentSpec spec = galfriday::test::btc_usd_spec();
  ExecutionsDecoder decoder;
  OrderStateMachine order(*spec.parse_qty("0.005"), spec.price_precision);
  std::vector<UpdateOutcome> outcomes;
  for (size_t i = 2; i <= 4; ++i) {
    auto frame = decoder.decode(lines[i]);
    ASSERT_TRUE(frame) << frame.status().to_string();
    for (const Execution& execution : std::get<ExecutionsMessage>(*frame).executions) {
      auto update = to_order_update(execution, spec);
      ASSERT_TRUE(update) << update.status().to_string();
      auto outcome = order.apply(*update);
      ASSERT_TRUE(outcome) << outcome.status().to_string();
      outcomes.push_back(*outcome);
    }
  }
  // pending_new repeats the initial state; new and the trade change it.
  EXPECT_EQ(outcomes,
            (std::vector<UpdateOutcome>{UpdateOutcome::kDuplicate, UpdateOutcome::kApplied,
                                        UpdateOutcome::kApplied}));
  // The only fill covers the whole order, so it is filled although the message says
  // partially_filled.
  EXPECT_EQ(order.status(), OrderStatus::kFilled);
  EXPECT_EQ(order.filled().to_string(), "0.00500000");
  EXPECT_EQ(order.average_price()->to_string(), "26599.90000");
  EXPECT_EQ(order.exchange_order_id()->str(), "OK4GJX-KSTLS-7DZZO5");

  // The same trade frame again (a replay after a reconnect) books nothing.
  auto replay = decoder.decode(lines[4]);
  ASSERT_TRUE(replay);
  auto update = to_order_update(std::get<ExecutionsMessage>(*replay).executions[0], spec);
  ASSERT_TRUE(update);
  EXPECT_EQ(*order.apply(*update), UpdateOutcome::kDuplicate);
  EXPECT_EQ(order.filled().to_string(), "0.00500000");
}

TEST(ExecutionsDecoder, TradeCarriesTheFillWithItsFee) {
  const auto lines = test_support::sample_lines("ws_v2_executions.jsonl");
  ExecutionsDecoder decoder;
  auto frame = decoder.decode(lines[4]);
  ASSERT_TRUE(frame);
  auto update = to_order_update(std::get<ExecutionsMessage>(*frame).executions[0],
                                galfriday::test::btc_usd_spec());
  ASSERT_TRUE(update) << update.status().to_string();
  ASSERT_TRUE(update->fill);
  EXPECT_EQ(update->fill->exec_id, "TGBB7L-HT5LX-J3BZ4A");
  EXPECT_EQ(update->fill->trade_id.str(), "TGBB7L-HT5LX-J3BZ4A");
  EXPECT_EQ(update->fill->fee.to_string(), "0.3458");
  EXPECT_EQ(update->fill->fee_currency, "USD");
  EXPECT_EQ(update->cum_qty->to_string(), "0.00500000");
}

TEST(ExecutionsDecoder, MinimalCancelElementFromTheSampleMapsToCanceled) {
  const auto lines = test_support::sample_lines("ws_v2_executions.jsonl");
  // The sample is one element of data[]; wrap it in a frame as Kraken sends it.
  const std::string frame =
      R"({"channel":"executions","type":"update","data":[)" + lines[5] + R"(],"sequence":11})";
  ExecutionsDecoder decoder;
  auto decoded = decoder.decode(frame);
  ASSERT_TRUE(decoded) << decoded.status().to_string();
  const Execution& cancel = std::get<ExecutionsMessage>(*decoded).executions.at(0);
  auto update = to_order_update(cancel, galfriday::test::btc_usd_spec());
  ASSERT_TRUE(update) << update.status().to_string();
  EXPECT_EQ(update->status, OrderStatus::kCanceled);
  EXPECT_FALSE(update->fill);
  EXPECT_EQ(update->exchange_order_id->str(), "O-1");
}

TEST(ExecutionsDecoder, BadFramesAreErrorsNamingTheField) {
  ExecutionsDecoder decoder;
  EXPECT_FALSE(decoder.decode(R"({"channel":"executions","data":[{"order_id":"O1"}]})"));
  auto bad_status = decoder.decode(
      R"({"channel":"executions","data":[{"order_id":"O1","exec_type":"new","order_status":"zombie"}]})");
  ASSERT_FALSE(bad_status);
  EXPECT_NE(bad_status.status().message().find("zombie"), std::string::npos);
  auto string_qty = decoder.decode(
      R"({"channel":"executions","data":[{"order_id":"O1","exec_type":"trade","last_qty":"1"}]})");
  ASSERT_FALSE(string_qty);
  EXPECT_NE(string_qty.status().message().find("last_qty"), std::string::npos);
  EXPECT_FALSE(decoder.decode(R"({"channel":"executions","data":[)"));
  EXPECT_FALSE(decoder.decode("not json"));
  auto heartbeat = decoder.decode(R"({"channel":"heartbeat"})");
  ASSERT_TRUE(heartbeat);
  EXPECT_TRUE(std::holds_alternative<OtherPrivateFrame>(*heartbeat));
}

TEST(ExecutionsDecoder, TradeWithTooManyDecimalsForThePairIsRefused) {
  ExecutionsDecoder decoder;
  auto frame = decoder.decode(
      R"({"channel":"executions","type":"update","data":[{"order_id":"O1","exec_type":"trade","exec_id":"T1","last_qty":0.1,"last_price":100.05}],"sequence":1})");
  ASSERT_TRUE(frame) << frame.status().to_string();
  auto update = to_order_update(std::get<ExecutionsMessage>(*frame).executions[0],
                                galfriday::test::btc_usd_spec());
  ASSERT_FALSE(update);
  EXPECT_NE(update.status().message().find("last_price"), std::string::npos);
}

}  // namespace
}  // namespace galfriday::live

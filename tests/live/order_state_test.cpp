#include "galfriday/live/order_state.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "galfriday/live/client_order_id.hpp"

namespace galfriday::live {
namespace {

constexpr int kPricePrecision = 1;
constexpr int kQtyPrecision = 8;

Quantity qty(const char* text) { return *Quantity::parse(text, kQtyPrecision); }
Price price(const char* text) { return *Price::parse(text, kPricePrecision); }

OrderUpdateMessage status_only(OrderStatus status) {
  OrderUpdateMessage message;
  message.status = status;
  return message;
}

OrderUpdateMessage fill_message(const std::string& exec_id, const char* fill_price,
                                const char* fill_qty,
                                std::optional<OrderStatus> status = std::nullopt) {
  OrderUpdateMessage message;
  message.status = status;
  message.fill = FillUpdate{exec_id,          TradeId("T-" + exec_id),  price(fill_price),
                            qty(fill_qty),    *Money::parse("0.01", 2), "USD",
                            Liquidity::kTaker};
  return message;
}

constexpr std::array<OrderStatus, 7> kAllStatuses = {
    OrderStatus::kPendingNew, OrderStatus::kNew,      OrderStatus::kPartiallyFilled,
    OrderStatus::kFilled,     OrderStatus::kCanceled, OrderStatus::kExpired,
    OrderStatus::kRejected};

enum class Expect { kApplied, kDuplicate, kStale, kIllegal };

// Expected outcome of a status-only message `to` on an order in status `from` (rows: from,
// columns: to, both in kAllStatuses order).
constexpr Expect A = Expect::kApplied, D = Expect::kDuplicate, S = Expect::kStale,
                 I = Expect::kIllegal;
constexpr std::array<std::array<Expect, 7>, 7> kTransitionTable = {{
    //            pend new pf  fill canc exp rej
    /* pend */ {{D, A, A, A, A, A, A}},
    /* new  */ {{S, D, A, A, A, A, I}},
    /* pf   */ {{S, S, D, A, A, A, I}},
    /* fill */ {{S, S, S, D, I, I, I}},
    /* canc */ {{S, S, S, I, D, I, I}},
    /* exp  */ {{S, S, S, I, I, D, I}},
    /* rej  */ {{I, I, I, I, I, I, D}},
}};

TEST(OrderStateMachine, EveryStatusPairFollowsTheTransitionTable) {
  for (size_t from = 0; from < kAllStatuses.size(); ++from) {
    for (size_t to = 0; to < kAllStatuses.size(); ++to) {
      OrderStateMachine order(qty("1"), kPricePrecision, kAllStatuses[from]);
      const auto outcome = order.apply(status_only(kAllStatuses[to]));
      const std::string label = std::string(to_string(kAllStatuses[from])) + " -> " +
                                std::string(to_string(kAllStatuses[to]));
      switch (kTransitionTable[from][to]) {
        case Expect::kApplied:
          ASSERT_TRUE(outcome) << label << ": " << outcome.status().to_string();
          EXPECT_EQ(*outcome, UpdateOutcome::kApplied) << label;
          EXPECT_EQ(order.status(), kAllStatuses[to]) << label;
          EXPECT_TRUE(is_transition_allowed(kAllStatuses[from], kAllStatuses[to])) << label;
          break;
        case Expect::kDuplicate:
        case Expect::kStale:
          ASSERT_TRUE(outcome) << label << ": " << outcome.status().to_string();
          EXPECT_EQ(*outcome, kTransitionTable[from][to] == Expect::kDuplicate
                                  ? UpdateOutcome::kDuplicate
                                  : UpdateOutcome::kStale)
              << label;
          EXPECT_EQ(order.status(), kAllStatuses[from]) << label;
          EXPECT_FALSE(is_transition_allowed(kAllStatuses[from], kAllStatuses[to])) << label;
          break;
        case Expect::kIllegal:
          ASSERT_FALSE(outcome) << label;
          EXPECT_EQ(outcome.status().code(), StatusCode::kFailedPrecondition) << label;
          EXPECT_NE(outcome.status().message().find(label), std::string::npos)
              << outcome.status().message();
          EXPECT_EQ(order.status(), kAllStatuses[from]) << label << " changed the state";
          break;
      }
    }
  }
}

TEST(OrderStateMachine, FillsAccumulateExactlyWithAnExactAveragePrice) {
  OrderStateMachine order(qty("0.3"), kPricePrecision);
  ASSERT_EQ(*order.apply(status_only(OrderStatus::kNew)), UpdateOutcome::kApplied);
  ASSERT_EQ(*order.apply(fill_message("E1", "100.1", "0.1")), UpdateOutcome::kApplied);
  EXPECT_EQ(order.status(), OrderStatus::kPartiallyFilled);
  ASSERT_EQ(*order.apply(fill_message("E2", "100.2", "0.2")), UpdateOutcome::kApplied);
  EXPECT_EQ(order.status(), OrderStatus::kFilled);
  EXPECT_EQ(order.filled().to_string(), "0.30000000");
  // (0.1 × 100.1 + 0.2 × 100.2) / 0.3 = 100.1666…, half-even at 1 + 4 decimals.
  ASSERT_TRUE(order.average_price());
  EXPECT_EQ(order.average_price()->to_string(), "100.16667");
  EXPECT_TRUE(order.remaining().is_zero());
}

TEST(OrderStateMachine, DuplicateFillIsNeverCountedTwice) {
  OrderStateMachine order(qty("1"), kPricePrecision, OrderStatus::kNew);
  ASSERT_EQ(*order.apply(fill_message("E1", "50000.0", "0.25")), UpdateOutcome::kApplied);
  // The same execution again: from a WS replay after reconnect, or from REST polling.
  EXPECT_EQ(*order.apply(fill_message("E1", "50000.0", "0.25")), UpdateOutcome::kDuplicate);
  EXPECT_EQ(*order.apply(fill_message("E1", "50000.0", "0.25", OrderStatus::kPartiallyFilled)),
            UpdateOutcome::kDuplicate);
  EXPECT_EQ(order.filled(), qty("0.25"));
}

TEST(OrderStateMachine, OutOfOrderFillsGiveTheSameBooks) {
  OrderStateMachine in_order(qty("1"), kPricePrecision, OrderStatus::kNew);
  OrderStateMachine reversed(qty("1"), kPricePrecision, OrderStatus::kNew);
  ASSERT_TRUE(in_order.apply(fill_message("E1", "100.0", "0.4")));
  ASSERT_TRUE(in_order.apply(fill_message("E2", "101.0", "0.6")));
  ASSERT_TRUE(reversed.apply(fill_message("E2", "101.0", "0.6")));
  ASSERT_TRUE(reversed.apply(fill_message("E1", "100.0", "0.4")));
  EXPECT_EQ(in_order.filled(), reversed.filled());
  EXPECT_EQ(in_order.average_price(), reversed.average_price());
  EXPECT_EQ(in_order.average_price()->to_string(), "100.60000");
  EXPECT_EQ(in_order.status(), OrderStatus::kFilled);
  EXPECT_EQ(reversed.status(), OrderStatus::kFilled);
}

TEST(OrderStateMachine, LateNewAfterAFillIsStale) {
  OrderStateMachine order(qty("1"), kPricePrecision);
  ASSERT_TRUE(order.apply(fill_message("E1", "100.0", "0.5", OrderStatus::kPartiallyFilled)));
  EXPECT_EQ(*order.apply(status_only(OrderStatus::kNew)), UpdateOutcome::kStale);
  EXPECT_EQ(*order.apply(status_only(OrderStatus::kPendingNew)), UpdateOutcome::kStale);
  EXPECT_EQ(order.status(), OrderStatus::kPartiallyFilled);
}

TEST(OrderStateMachine, FillReportedAfterTheCancelIsBookedAndTheOrderStaysCanceled) {
  OrderStateMachine order(qty("1"), kPricePrecision, OrderStatus::kNew);
  ASSERT_TRUE(order.apply(status_only(OrderStatus::kCanceled)));
  const auto late = order.apply(fill_message("E1", "100.0", "0.3", OrderStatus::kPartiallyFilled));
  ASSERT_TRUE(late) << late.status().to_string();
  EXPECT_EQ(*late, UpdateOutcome::kApplied);
  EXPECT_EQ(order.status(), OrderStatus::kCanceled);
  EXPECT_EQ(order.filled(), qty("0.3"));
}

TEST(OrderStateMachine, OverfillIsDataLossAndChangesNothing) {
  OrderStateMachine order(qty("0.5"), kPricePrecision, OrderStatus::kNew);
  ASSERT_TRUE(order.apply(fill_message("E1", "100.0", "0.4")));
  const auto over = order.apply(fill_message("E2", "100.0", "0.2"));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(order.filled(), qty("0.4"));
  EXPECT_FALSE(order.has_fill("E2"));
  EXPECT_EQ(order.status(), OrderStatus::kPartiallyFilled);
}

TEST(OrderStateMachine, FillOnARejectedOrderIsIllegal) {
  OrderStateMachine order(qty("1"), kPricePrecision, OrderStatus::kRejected);
  const auto outcome = order.apply(fill_message("E1", "100.0", "0.1"));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.status().code(), StatusCode::kFailedPrecondition);
}

TEST(OrderStateMachine, FillWithMoreDecimalsThanThePairIsRefused) {
  OrderStateMachine order(qty("1"), kPricePrecision, OrderStatus::kNew);
  OrderUpdateMessage message;
  message.fill = FillUpdate{"E1",    TradeId("T1"), *Price::parse("100.05", 2), qty("0.1"),
                            Money(), "USD",         Liquidity::kMaker};
  const auto outcome = order.apply(message);
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(order.filled().is_zero());
}

TEST(OrderStateMachine, FilledStatusWithoutItsFillsShowsTheUnbookedQuantity) {
  // REST polling says closed with vol_exec = 1 before the WS fills arrive.
  OrderStateMachine order(qty("1"), kPricePrecision, OrderStatus::kNew);
  OrderUpdateMessage closed = status_only(OrderStatus::kFilled);
  closed.cum_qty = qty("1");
  ASSERT_EQ(*order.apply(closed), UpdateOutcome::kApplied);
  EXPECT_EQ(order.unbooked(), qty("1"));
  ASSERT_EQ(*order.apply(fill_message("E1", "100.0", "0.6", OrderStatus::kPartiallyFilled)),
            UpdateOutcome::kApplied);
  EXPECT_EQ(order.unbooked(), qty("0.4"));
  ASSERT_EQ(*order.apply(fill_message("E2", "100.0", "0.4")), UpdateOutcome::kApplied);
  EXPECT_TRUE(order.unbooked().is_zero());
  EXPECT_EQ(order.status(), OrderStatus::kFilled);
}

TEST(OrderStateMachine, CumulativeQuantityGoingBackIsStale) {
  OrderStateMachine order(qty("1"), kPricePrecision, OrderStatus::kPartiallyFilled);
  OrderUpdateMessage newer = status_only(OrderStatus::kPartiallyFilled);
  newer.cum_qty = qty("0.6");
  EXPECT_EQ(*order.apply(newer), UpdateOutcome::kDuplicate);  // status unchanged, cum noted
  OrderUpdateMessage older = status_only(OrderStatus::kPartiallyFilled);
  older.cum_qty = qty("0.2");
  EXPECT_EQ(*order.apply(older), UpdateOutcome::kStale);
  OrderUpdateMessage impossible = status_only(OrderStatus::kPartiallyFilled);
  impossible.cum_qty = qty("1.5");
  EXPECT_EQ(order.apply(impossible).status().code(), StatusCode::kDataLoss);
}

TEST(OrderStateMachine, ADifferentExchangeOrderIdIsDataLoss) {
  OrderStateMachine order(qty("1"), kPricePrecision);
  OrderUpdateMessage first = status_only(OrderStatus::kNew);
  first.exchange_order_id = ExchangeOrderId("OK4GJX-KSTLS-7DZZO5");
  ASSERT_TRUE(order.apply(first));
  EXPECT_EQ(order.exchange_order_id()->str(), "OK4GJX-KSTLS-7DZZO5");
  OrderUpdateMessage other = status_only(OrderStatus::kCanceled);
  other.exchange_order_id = ExchangeOrderId("OU22CG-KLAF2-FWUDD7");
  EXPECT_EQ(order.apply(other).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(order.status(), OrderStatus::kNew);
}

// ---- cl_ord_id ----------------------------------------------------------------------------

TEST(ClientOrderId, SameSignalAndLegAlwaysGiveTheSameKrakenUuid) {
  const SignalId signal("sig-2024-05-01T12:00:00Z-BTC/USD-strategyA-000042");
  const ClientOrderId entry = derive_client_order_id(signal, OrderPurpose::kEntry);
  EXPECT_EQ(entry, derive_client_order_id(signal, OrderPurpose::kEntry));
  EXPECT_EQ(entry.str().size(), 36u);
  EXPECT_TRUE(is_valid_kraken_cl_ord_id(entry.str())) << entry.str();
  EXPECT_EQ(entry.str()[14], '8');                                          // version 8 (custom)
  EXPECT_NE(std::string("89ab").find(entry.str()[19]), std::string::npos);  // RFC variant
}

TEST(ClientOrderId, LegsRevisionsAndSignalsAreDistinct) {
  const SignalId signal("s1");
  const ClientOrderId entry = derive_client_order_id(signal, OrderPurpose::kEntry);
  const ClientOrderId stop = derive_client_order_id(signal, OrderPurpose::kStopLoss);
  const ClientOrderId target = derive_client_order_id(signal, OrderPurpose::kTakeProfit);
  const ClientOrderId stop_again = derive_client_order_id(signal, OrderPurpose::kStopLoss, 1);
  EXPECT_NE(entry, stop);
  EXPECT_NE(entry, target);
  EXPECT_NE(stop, target);
  EXPECT_NE(stop, stop_again);
  EXPECT_NE(entry, derive_client_order_id(SignalId("s2"), OrderPurpose::kEntry));
}

TEST(ClientOrderId, ValidatesKrakensThreeForms) {
  EXPECT_TRUE(is_valid_kraken_cl_ord_id("6d1b345e-2821-40e2-ad83-4ecb18a06876"));  // docs example
  EXPECT_TRUE(is_valid_kraken_cl_ord_id("6d1b345e282140e2ad834ecb18a06876"));
  EXPECT_TRUE(is_valid_kraken_cl_ord_id("my-order-123"));
  EXPECT_TRUE(is_valid_kraken_cl_ord_id("abcdefghijklmnopqr"));    // 18
  EXPECT_FALSE(is_valid_kraken_cl_ord_id("abcdefghijklmnopqrs"));  // 19
  EXPECT_FALSE(is_valid_kraken_cl_ord_id(""));
  EXPECT_FALSE(is_valid_kraken_cl_ord_id("has space"));
  EXPECT_FALSE(is_valid_kraken_cl_ord_id("6d1b345e-2821-40e2-ad83-4ecb18a0687z"));
}

}  // namespace
}  // namespace galfriday::live

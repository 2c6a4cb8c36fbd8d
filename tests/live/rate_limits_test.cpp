#include "galfriday/live/rate_limits.hpp"

#include <gtest/gtest.h>

namespace galfriday::live {
namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;

const Timestamp kStart = timestamp_from_seconds(1'700'000'000);

TEST(RestRateCounter, StarterAllowsFifteenCallsThenWaitsForTheDecay) {
  SimulatedClock clock(kStart);
  RestRateCounter counter(VerificationTier::kStarter, clock);
  for (int i = 0; i < 15; ++i) EXPECT_TRUE(counter.try_acquire("Balance").allowed) << i;
  const RateDecision refused = counter.try_acquire("Balance");
  EXPECT_FALSE(refused.allowed);
  // One count at 0.33 per second: ceil(1 / 0.33 s) in nanoseconds.
  EXPECT_EQ(refused.wait, nanoseconds(3'030'303'031));
  EXPECT_EQ(counter.level_centi(), 1500) << "a refused call is not counted";

  clock.advance_to(kStart + refused.wait - nanoseconds(1));
  EXPECT_FALSE(counter.try_acquire("Balance").allowed);
  clock.advance_to(kStart + refused.wait);
  EXPECT_TRUE(counter.try_acquire("Balance").allowed);
}

TEST(RestRateCounter, TiersHaveKrakensMaximaAndDecay) {
  struct Case {
    VerificationTier tier;
    int max;
    Duration wait_for_one;
  };
  for (const Case& c : {Case{VerificationTier::kStarter, 15, nanoseconds(3'030'303'031)},
                        Case{VerificationTier::kIntermediate, 20, seconds(2)},
                        Case{VerificationTier::kPro, 20, seconds(1)}}) {
    SimulatedClock clock(kStart);
    RestRateCounter counter(c.tier, clock);
    for (int i = 0; i < c.max; ++i) ASSERT_TRUE(counter.try_acquire("OpenOrders").allowed);
    const RateDecision refused = counter.try_acquire("OpenOrders");
    EXPECT_FALSE(refused.allowed) << to_string(c.tier);
    EXPECT_EQ(refused.wait, c.wait_for_one) << to_string(c.tier);
  }
}

TEST(RestRateCounter, TradeHistoryCostsTwoAndOrderEntryCountsOnTheMatchingEngine) {
  EXPECT_EQ(RestRateCounter::call_cost("TradesHistory"), 2);
  EXPECT_EQ(RestRateCounter::call_cost("Ledgers"), 2);
  EXPECT_EQ(RestRateCounter::call_cost("QueryTrades"), 2);
  EXPECT_EQ(RestRateCounter::call_cost("AddOrder"), 0);
  EXPECT_EQ(RestRateCounter::call_cost("CancelOrder"), 0);
  EXPECT_EQ(RestRateCounter::call_cost("CancelAll"), 1);
  EXPECT_EQ(RestRateCounter::call_cost("GetWebSocketsToken"), 1);

  SimulatedClock clock(kStart);
  RestRateCounter counter(VerificationTier::kPro, clock);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(counter.try_acquire("TradesHistory").allowed);
  EXPECT_EQ(counter.level_centi(), 2000);
  EXPECT_FALSE(counter.try_acquire("TradesHistory").allowed);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(counter.try_acquire("AddOrder").allowed);
}

TEST(RestRateCounter, DecaysContinuouslyAndExactly) {
  SimulatedClock clock(kStart);
  RestRateCounter counter(VerificationTier::kIntermediate, clock);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(counter.try_acquire("Balance").allowed);
  clock.advance_to(kStart + seconds(3));  // -1.5
  EXPECT_EQ(counter.level_centi(), 850);
  clock.advance_to(kStart + seconds(3) + std::chrono::milliseconds(500));  // -0.25
  EXPECT_EQ(counter.level_centi(), 825);
  // A very long idle period empties it without overflowing.
  clock.advance_to(kStart + std::chrono::hours(24 * 365 * 100));
  EXPECT_EQ(counter.level_centi(), 0);
}

TEST(RestRateCounter, KrakenSayingRateLimitExceededSaturatesTheCounter) {
  SimulatedClock clock(kStart);
  RestRateCounter counter(VerificationTier::kPro, clock);
  ASSERT_TRUE(counter.try_acquire("Balance").allowed);
  counter.on_rate_limit_exceeded();  // e.g. another process uses the same key
  const RateDecision refused = counter.try_acquire("Balance");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.wait, seconds(1));
}

TEST(OrderRateCounter, CancelPenaltyFollowsKrakensAgeTable) {
  struct Case {
    Duration age;
    int penalty;
  };
  for (const Case& c : {Case{seconds(0), 8}, Case{nanoseconds(4'999'999'999), 8},
                        Case{seconds(5), 6}, Case{seconds(10), 5}, Case{seconds(15), 4},
                        Case{seconds(44), 4}, Case{seconds(45), 2}, Case{seconds(90), 1},
                        Case{seconds(299), 1}, Case{seconds(300), 0}, Case{seconds(3600), 0}}) {
    EXPECT_EQ(OrderRateCounter::cancel_penalty(c.age), c.penalty) << c.age.count();
  }
}

TEST(OrderRateCounter, StarterThresholdIsSixtyPerPairAndPairsAreIndependent) {
  SimulatedClock clock(kStart);
  OrderRateCounter counter(VerificationTier::kStarter, clock);
  const InstrumentId btc("BTC/USD");
  const InstrumentId eth("ETH/USD");
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(counter.try_add(btc).allowed) << i;
  const RateDecision refused = counter.try_add(btc);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.wait, seconds(1));  // decay 1 per second
  EXPECT_TRUE(counter.try_add(eth).allowed);
  EXPECT_EQ(counter.level_centi(eth), 100);
  EXPECT_EQ(counter.max_open_orders_per_pair(), 60);
}

TEST(OrderRateCounter, CancellingAYoungOrderCostsMoreAndWaitsOnTheDecay) {
  SimulatedClock clock(kStart);
  OrderRateCounter counter(VerificationTier::kIntermediate, clock);
  const InstrumentId btc("BTC/USD");
  ASSERT_TRUE(counter.try_add(btc).allowed);
  clock.advance_to(kStart + seconds(2));
  ASSERT_TRUE(counter.try_cancel(btc, kStart).allowed);  // +8: placed 2 s ago
  // The +1 of the add decayed away (2 s × 2.34 > 1; the level never goes below zero), then +8.
  EXPECT_EQ(counter.level_centi(btc), 800);
  clock.advance_to(kStart + seconds(3));
  EXPECT_EQ(counter.level_centi(btc), 566);  // 8 - 2.34

  counter.on_rate_limit_exceeded(btc);
  const RateDecision refused = counter.try_cancel(btc, kStart);  // +8: still under 5 s old
  EXPECT_FALSE(refused.allowed);
  // 8 counts over the threshold at 2.34 per second.
  EXPECT_EQ(refused.wait, nanoseconds((800'000'000'000LL + 233) / 234));
}

}  // namespace
}  // namespace galfriday::live

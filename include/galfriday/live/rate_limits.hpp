#pragma once
// Kraken rate counters, kept locally so we wait or refuse before Kraken rejects (docs:
// spot-rest-ratelimits, spot-ratelimits; numbers in ../shared/kraken/PROTOCOL.md §3).
//
//  - RestRateCounter: one per API key. Every private call adds +1 (ledger and trade-history
//    calls +2; AddOrder and CancelOrder 0, they count on the matching engine instead). The
//    counter decays continuously by the tier's rate; a call that would take it above the
//    tier's maximum must wait.
//  - OrderRateCounter: the matching engine's counter, one per pair. AddOrder +1; CancelOrder
//    adds a penalty that shrinks with the age of the cancelled order (+8 under 5 s ... +1 under
//    300 s); it decays by the tier's rate and above the threshold Kraken answers
//    "EOrder:Rate limit exceeded".
//
// Levels are exact integers (1 count = 10^11 units, so the decay rates 0.33, 2.34 or 3.75 per
// second are whole units per nanosecond): no drift from floating point however long it runs.
// Decisions read the injected Clock, so a SimulatedClock drives them in tests and backtests.
// Thread-safe: a mutex per counter (calls are rare, microseconds apart at most).

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>

#include "galfriday/config/config.hpp"
#include "galfriday/core/clock.hpp"
#include "galfriday/core/ids.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/core/time.hpp"

namespace galfriday::live {

// Kraken account verification tier (kraken.verification_tier in the config).
using VerificationTier = config::VerificationTier;
std::string_view to_string(VerificationTier tier);

// Limits in hundredths of a count (decay 0.33/s is 33).
struct RestLimits {
  int64_t max_centi;
  int64_t decay_centi_per_second;
};
struct MatchingEngineLimits {
  int64_t threshold_centi;
  int64_t decay_centi_per_second;
  int max_open_orders_per_pair;
};
RestLimits rest_limits(VerificationTier tier);                       // 15/0.33, 20/0.5, 20/1
MatchingEngineLimits matching_engine_limits(VerificationTier tier);  // 60/1, 125/2.34, 180/3.75

// What a counter says about one call: go now (and it has been counted), or wait this long
// before it fits (nothing was counted).
struct RateDecision {
  bool allowed = false;
  Duration wait{};
};

// A continuously decaying counter (the shared mechanics of both Kraken counters).
class DecayingCounter {
 public:
  DecayingCounter(int64_t max_centi, int64_t decay_centi_per_second);
  // Adds `cost_centi` if the level after adding stays <= max; otherwise says how long to wait.
  RateDecision try_add(int64_t cost_centi, Timestamp now);
  // Sets the level to the maximum: Kraken said we are over, whatever we counted.
  void saturate(Timestamp now);
  // The level at `now`, in hundredths of a count (rounded up).
  int64_t level_centi(Timestamp now);

 private:
  void decay_to(Timestamp now);
  int64_t max_units_;
  int64_t decay_units_per_ns_;
  int64_t level_units_ = 0;
  Timestamp updated_{};
};

class RestRateCounter {
 public:
  RestRateCounter(VerificationTier tier, const Clock& clock);

  // Counter cost of a private method by its Kraken name: 2 for Ledgers, QueryLedgers,
  // TradesHistory and QueryTrades; 0 for AddOrder, CancelOrder (and the other order-entry
  // calls, which the matching engine counts); 1 for everything else.
  static int call_cost(std::string_view method);

  RateDecision try_acquire(std::string_view method);
  void on_rate_limit_exceeded();
  int64_t level_centi();

 private:
  const Clock& clock_;
  std::mutex mutex_;
  DecayingCounter counter_;
};

class OrderRateCounter {
 public:
  OrderRateCounter(VerificationTier tier, const Clock& clock);

  // Penalty of cancelling an order placed `age` ago, in counts (+8 under 5 s ... 0 from 300 s).
  static int cancel_penalty(Duration age);

  // AddOrder on `pair`: +1. Kraken charges the fixed cost even when the order then fails
  // validation, so an allowed add stays counted whatever the answer.
  RateDecision try_add(const InstrumentId& pair);
  // CancelOrder of an order placed at `placed_at`. Cancels are how risk is reduced, so callers
  // should wait (not give up) on a refusal.
  RateDecision try_cancel(const InstrumentId& pair, Timestamp placed_at);
  // Kraken answered "EOrder:Rate limit exceeded" for `pair`.
  void on_rate_limit_exceeded(const InstrumentId& pair);
  int64_t level_centi(const InstrumentId& pair);
  int max_open_orders_per_pair() const { return limits_.max_open_orders_per_pair; }

 private:
  DecayingCounter& counter_for(const InstrumentId& pair);

  const Clock& clock_;
  MatchingEngineLimits limits_;
  std::mutex mutex_;
  std::map<InstrumentId, DecayingCounter> counters_;
};

}  // namespace galfriday::live

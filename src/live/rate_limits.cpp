// Kraken REST and matching-engine rate counters with exact integer decay.

#include "galfriday/live/rate_limits.hpp"

#include <algorithm>
#include <string>

namespace galfriday::live {
namespace {

// 1 count = 100 centi = 10^11 units: a decay of d centi per second is d units per nanosecond.
constexpr int64_t kUnitsPerCenti = 1'000'000'000;
constexpr int64_t kCentiPerCount = 100;

int64_t units_from_centi(int64_t centi) { return centi * kUnitsPerCenti; }

}  // namespace

std::string_view to_string(VerificationTier tier) {
  switch (tier) {
    case VerificationTier::kStarter:
      return "starter";
    case VerificationTier::kIntermediate:
      return "intermediate";
    case VerificationTier::kPro:
      return "pro";
  }
  return "unknown";
}

RestLimits rest_limits(VerificationTier tier) {
  switch (tier) {
    case VerificationTier::kStarter:
      return {15 * kCentiPerCount, 33};
    case VerificationTier::kIntermediate:
      return {20 * kCentiPerCount, 50};
    case VerificationTier::kPro:
      return {20 * kCentiPerCount, 100};
  }
  return {15 * kCentiPerCount, 33};
}

MatchingEngineLimits matching_engine_limits(VerificationTier tier) {
  switch (tier) {
    case VerificationTier::kStarter:
      return {60 * kCentiPerCount, 100, 60};
    case VerificationTier::kIntermediate:
      return {125 * kCentiPerCount, 234, 80};
    case VerificationTier::kPro:
      return {180 * kCentiPerCount, 375, 225};
  }
  return {60 * kCentiPerCount, 100, 60};
}

DecayingCounter::DecayingCounter(int64_t max_centi, int64_t decay_centi_per_second)
    : max_units_(units_from_centi(max_centi)), decay_units_per_ns_(decay_centi_per_second) {}

void DecayingCounter::decay_to(Timestamp now) {
  if (now <= updated_) return;  // a clock that stepped back decays nothing
  const int64_t elapsed_ns = (now - updated_).count();
  updated_ = now;
  if (level_units_ == 0) return;
  // elapsed × rate may overflow for long idle periods; the level only needs to reach zero.
  if (elapsed_ns >= level_units_ / decay_units_per_ns_ + 1) {
    level_units_ = 0;
    return;
  }
  level_units_ = std::max<int64_t>(0, level_units_ - elapsed_ns * decay_units_per_ns_);
}

RateDecision DecayingCounter::try_add(int64_t cost_centi, Timestamp now) {
  decay_to(now);
  const int64_t cost_units = units_from_centi(cost_centi);
  const int64_t excess = level_units_ + cost_units - max_units_;
  if (excess <= 0) {
    level_units_ += cost_units;
    return {true, Duration::zero()};
  }
  const int64_t wait_ns = (excess + decay_units_per_ns_ - 1) / decay_units_per_ns_;
  return {false, Duration(wait_ns)};
}

void DecayingCounter::saturate(Timestamp now) {
  decay_to(now);
  level_units_ = std::max(level_units_, max_units_);
}

int64_t DecayingCounter::level_centi(Timestamp now) {
  decay_to(now);
  return (level_units_ + kUnitsPerCenti - 1) / kUnitsPerCenti;
}

RestRateCounter::RestRateCounter(VerificationTier tier, const Clock& clock)
    : clock_(clock),
      counter_(rest_limits(tier).max_centi, rest_limits(tier).decay_centi_per_second) {}

int RestRateCounter::call_cost(std::string_view method) {
  if (method == "Ledgers" || method == "QueryLedgers" || method == "TradesHistory" ||
      method == "QueryTrades") {
    return 2;
  }
  if (method == "AddOrder" || method == "CancelOrder" || method == "AddOrderBatch" ||
      method == "CancelOrderBatch" || method == "AmendOrder" || method == "EditOrder") {
    return 0;
  }
  return 1;
}

RateDecision RestRateCounter::try_acquire(std::string_view method) {
  std::lock_guard lock(mutex_);
  return counter_.try_add(call_cost(method) * kCentiPerCount, clock_.now());
}

void RestRateCounter::on_rate_limit_exceeded() {
  std::lock_guard lock(mutex_);
  counter_.saturate(clock_.now());
}

int64_t RestRateCounter::level_centi() {
  std::lock_guard lock(mutex_);
  return counter_.level_centi(clock_.now());
}

OrderRateCounter::OrderRateCounter(VerificationTier tier, const Clock& clock)
    : clock_(clock), limits_(matching_engine_limits(tier)) {}

int OrderRateCounter::cancel_penalty(Duration age) {
  using std::chrono::seconds;
  if (age < seconds(5)) return 8;
  if (age < seconds(10)) return 6;
  if (age < seconds(15)) return 5;
  if (age < seconds(45)) return 4;
  if (age < seconds(90)) return 2;
  if (age < seconds(300)) return 1;
  return 0;
}

DecayingCounter& OrderRateCounter::counter_for(const InstrumentId& pair) {
  auto it = counters_.find(pair);
  if (it == counters_.end()) {
    it =
        counters_
            .emplace(pair, DecayingCounter(limits_.threshold_centi, limits_.decay_centi_per_second))
            .first;
  }
  return it->second;
}

RateDecision OrderRateCounter::try_add(const InstrumentId& pair) {
  std::lock_guard lock(mutex_);
  return counter_for(pair).try_add(kCentiPerCount, clock_.now());
}

RateDecision OrderRateCounter::try_cancel(const InstrumentId& pair, Timestamp placed_at) {
  std::lock_guard lock(mutex_);
  const Timestamp now = clock_.now();
  return counter_for(pair).try_add(cancel_penalty(now - placed_at) * kCentiPerCount, now);
}

void OrderRateCounter::on_rate_limit_exceeded(const InstrumentId& pair) {
  std::lock_guard lock(mutex_);
  counter_for(pair).saturate(clock_.now());
}

int64_t OrderRateCounter::level_centi(const InstrumentId& pair) {
  std::lock_guard lock(mutex_);
  return counter_for(pair).level_centi(clock_.now());
}

}  // namespace galfriday::live

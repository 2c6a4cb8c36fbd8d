#include "galfriday/risk/risk_manager.hpp"

#include <cmath>
#include <cstdio>

namespace galfriday {
namespace {

// A percentage for a message. Two decimals suit limits written as whole percents; the stop
// distance check compares against hundredths of a percent and needs more.
std::string pct(double value, int decimals = 2) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.*f%%", decimals, value);
  return buffer;
}

// amount × percent / 100, exactly (percent to four decimals), rounded down.
Money percent_of(Money amount, double percent) {
  return amount.scaled(percent_to_ppm(percent), kPartsPerMillion, amount.precision(),
                       Rounding::kFloor);
}

}  // namespace

RiskManager::RiskManager(const config::RiskConfig& risk, const config::ExecutionConfig& execution,
                         const InstrumentRegistry& instruments, const MarketPriceService& prices,
                         const PortfolioManager& portfolio)
    : risk_(risk),
      execution_(execution),
      instruments_(instruments),
      prices_(prices),
      portfolio_(portfolio) {}

void RiskManager::attach(PubSubManager& bus) {
  bus.subscribe<SystemStateEvent>(
      [this](const SystemStateEvent& e) { halted_ = e.state != SystemState::kRunning; },
      "risk.state");
  bus.subscribe<TradeSignalProposedEvent>(
      [this, &bus](const TradeSignalProposedEvent& signal) {
        auto decision = evaluate(signal);
        if (const auto* rejected = std::get_if<TradeSignalRejectedEvent>(&decision)) {
          ++rejected_;
          ++rejections_by_reason_[rejected->reason];
        } else {
          ++approved_;
        }
        std::visit([&](auto& event) { bus.publish(std::move(event)); }, decision);
      },
      "risk.proposed");
}

std::variant<TradeSignalApprovedEvent, TradeSignalRejectedEvent> RiskManager::evaluate(
    const TradeSignalProposedEvent& signal) const {
  auto reject = [&](RejectReason reason, std::string message) {
    TradeSignalRejectedEvent rejected;
    rejected.meta.ts_event = signal.meta.ts_event;
    rejected.signal_id = signal.signal_id;
    rejected.instrument = signal.instrument;
    rejected.side = signal.side;
    rejected.reason = reason;
    rejected.message = std::move(message);
    return rejected;
  };

  if (halted_) return reject(RejectReason::kHalted, "trading is halted");
  const InstrumentSpec* spec = instruments_.find(signal.instrument);
  if (spec == nullptr)
    return reject(RejectReason::kUnknownInstrument,
                  "unknown instrument " + signal.instrument.str());
  if (signal.side != Side::kBuy) {
    return reject(RejectReason::kInvalidSignal, "short entries are not enabled for spot trading");
  }
  if (signal.entry_type == OrderType::kLimit && !signal.limit_price) {
    return reject(RejectReason::kInvalidSignal, "limit entry without a limit price");
  }
  const auto market = prices_.reference_price(signal.instrument);
  if (!market || !market->is_positive()) {
    return reject(RejectReason::kNoMarketPrice, "no market price for " + signal.instrument.str());
  }
  if (prices_.is_stale(signal.instrument)) {
    return reject(RejectReason::kNoMarketPrice,
                  "the market price for " + signal.instrument.str() + " is stale");
  }
  const Price entry = signal.entry_type == OrderType::kLimit ? *signal.limit_price : *market;
  if (!entry.is_positive())
    return reject(RejectReason::kInvalidSignal, "entry price must be positive");

  const double deviation_pct = std::abs(ratio(entry - *market, *market)) * 100.0;
  if (deviation_pct > risk_.fat_finger_max_deviation_pct) {
    return reject(RejectReason::kFatFinger, "entry " + entry.to_string() + " is " +
                                                pct(deviation_pct) + " from the market " +
                                                market->to_string() + " (limit " +
                                                pct(risk_.fat_finger_max_deviation_pct) + ")");
  }
  if (!(signal.stop_loss < entry) || !signal.stop_loss.is_positive()) {
    return reject(RejectReason::kInvalidStopLoss, "stop-loss " + signal.stop_loss.to_string() +
                                                      " must be positive and below the entry " +
                                                      entry.to_string());
  }
  const Price stop_distance = entry - signal.stop_loss;
  const double stop_distance_pct = ratio(stop_distance, entry) * 100.0;
  if (stop_distance_pct < risk_.min_sl_distance_pct) {
    // Four decimals: at two, a 0.008 % distance would read "0.01%, below the minimum 0.01%".
    return reject(RejectReason::kInvalidStopLoss,
                  "stop-loss " + signal.stop_loss.to_string() + " is " + pct(stop_distance_pct, 4) +
                      " from the entry " + entry.to_string() + ", below the minimum " +
                      pct(risk_.min_sl_distance_pct, 4));
  }
  if (signal.take_profit && !(*signal.take_profit > entry)) {
    return reject(RejectReason::kInvalidSignal, "take-profit " + signal.take_profit->to_string() +
                                                    " must be above the entry " +
                                                    entry.to_string());
  }

  const PortfolioState state = portfolio_.state();
  if (!state.equity.is_positive())
    return reject(RejectReason::kInsufficientBalance, "equity is not positive");
  if (state.drawdown_pct >= risk_.max_total_drawdown_pct) {
    return reject(RejectReason::kDrawdownLimit, "total drawdown " + pct(state.drawdown_pct) +
                                                    " reached the limit " +
                                                    pct(risk_.max_total_drawdown_pct));
  }
  if (state.daily_drawdown_pct >= risk_.max_daily_drawdown_pct) {
    return reject(RejectReason::kDrawdownLimit, "daily drawdown " + pct(state.daily_drawdown_pct) +
                                                    " reached the limit " +
                                                    pct(risk_.max_daily_drawdown_pct));
  }
  if (state.weekly_drawdown_pct >= risk_.max_weekly_drawdown_pct) {
    return reject(RejectReason::kDrawdownLimit,
                  "weekly drawdown " + pct(state.weekly_drawdown_pct) + " reached the limit " +
                      pct(risk_.max_weekly_drawdown_pct));
  }
  if (state.consecutive_losses >= risk_.max_consecutive_losses) {
    return reject(RejectReason::kConsecutiveLosses,
                  std::to_string(state.consecutive_losses) + " consecutive losing trades (limit " +
                      std::to_string(risk_.max_consecutive_losses) + ")");
  }
  if (portfolio_.position_qty(signal.instrument).is_positive()) {
    return reject(RejectReason::kExistingPosition,
                  "a position in " + signal.instrument.str() + " is already open");
  }

  // Fixed-fractional size, then each cap in turn; every cap only ever lowers it.
  const Money risk_amount = percent_of(state.equity, risk_.risk_per_trade_pct);
  Quantity qty =
      quantity_for(risk_amount, stop_distance, spec->qty_precision, Rounding::kTowardZero);
  std::string capped_by;
  auto cap_to_value = [&](Money allowed, const char* why) {
    if (!allowed.is_positive()) {
      qty = Quantity::from_raw(0, spec->qty_precision);
      capped_by = why;
      return;
    }
    const Quantity most = quantity_for(allowed, entry, spec->qty_precision, Rounding::kTowardZero);
    if (most < qty) {
      qty = most;
      capped_by = why;
    }
  };
  cap_to_value(risk_.max_order_value, "max order value");
  const Money pair_room = percent_of(state.equity, risk_.max_exposure_per_pair_pct) -
                          portfolio_.exposure(signal.instrument);
  cap_to_value(pair_room, "per-pair exposure limit");
  const Money total_room =
      percent_of(state.equity, risk_.max_total_exposure_pct) - state.total_exposure;
  cap_to_value(total_room, "total exposure limit");
  // Cash must cover the cost and the taker fee.
  const Money cash_for_cost = state.cash.scaled(
      kPartsPerMillion, kPartsPerMillion + percent_to_ppm(execution_.taker_fee_pct),
      state.cash.precision(), Rounding::kFloor);
  cap_to_value(cash_for_cost, "available cash");

  const Money cost = spec->cost(entry, qty);
  if (qty < spec->ordermin || cost < spec->costmin) {
    const RejectReason reason =
        capped_by == "available cash"
            ? RejectReason::kInsufficientBalance
            : (capped_by.empty() || capped_by == "max order value" ? RejectReason::kPositionTooSmall
                                                                   : RejectReason::kExposureLimit);
    return reject(reason, "size " + qty.to_string() + " " + spec->base + " (cost " +
                              cost.to_string() + " " + spec->quote +
                              ") is below the minimum order " + spec->ordermin.to_string() + " / " +
                              spec->costmin.to_string() +
                              (capped_by.empty() ? "" : " after the " + capped_by));
  }

  TradeSignalApprovedEvent approved;
  approved.meta.ts_event = signal.meta.ts_event;
  approved.signal_id = signal.signal_id;
  approved.instrument = signal.instrument;
  approved.strategy_id = signal.strategy_id;
  approved.side = signal.side;
  approved.order_type = signal.entry_type;
  approved.quantity = qty;
  approved.limit_price = signal.limit_price;
  approved.stop_loss = signal.stop_loss;
  approved.take_profit = signal.take_profit;
  approved.risk_amount = notional(stop_distance, qty, spec->cost_precision, Rounding::kHalfEven);
  return approved;
}

}  // namespace galfriday

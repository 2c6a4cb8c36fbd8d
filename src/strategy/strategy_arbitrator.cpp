#include "galfriday/strategy/strategy_arbitrator.hpp"

#include <algorithm>
#include <cmath>

namespace galfriday {
StrategyArbitrator::StrategyArbitrator(const config::StrategyConfig& config,
                                       const InstrumentRegistry& instruments,
                                       const MarketPriceService& prices,
                                       const PortfolioManager& portfolio)
    : config_(config), instruments_(instruments), prices_(prices), portfolio_(portfolio) {}

void StrategyArbitrator::attach(PubSubManager& bus) {
  bus_ = &bus;
  bus.subscribe<PredictionEvent>([this](const PredictionEvent& e) { on_prediction(e); },
                                 "strategy.prediction");
  bus.subscribe<TradeSignalRejectedEvent>(
      [this](const TradeSignalRejectedEvent& e) { on_rejected(e); }, "strategy.rejected");
  bus.subscribe<ExecutionReportEvent>([this](const ExecutionReportEvent& e) { on_report(e); },
                                      "strategy.report");
}

Status StrategyArbitrator::check_features(const config::StrategyConfig& config,
                                          const std::vector<std::string>& feature_names) {
  const auto produced = [&](const std::string& name) {
    return std::find(feature_names.begin(), feature_names.end(), name) != feature_names.end();
  };
  if (config.stop_mode == config::StopMode::kAtr && !produced(config.atr_feature)) {
    return invalid_argument(
        "strategy.atr_feature '" + config.atr_feature +
        "' is not produced by the feature engine (add atr to features.indicators)");
  }
  for (const auto& rule : config.confirmation_rules) {
    if (!produced(rule.feature)) {
      return invalid_argument("strategy.confirmation_rules: feature '" + rule.feature +
                              "' is not produced by the feature engine");
    }
  }
  return Status::ok();
}

void StrategyArbitrator::on_prediction(const PredictionEvent& prediction) {
  const InstrumentSpec* spec = instruments_.find(prediction.instrument);
  if (spec == nullptr) return;  // not a pair this strategy trades
  PairState& state = pairs_[prediction.instrument];
  const bool has_position = portfolio_.position_qty(prediction.instrument).is_positive();

  if (has_position) {
    ++state.bars_held;
    if (state.exit_requested) return;
    if (prediction.value <= config_.sell_threshold) {
      request_exit(prediction, state,
                   "prediction " + std::to_string(prediction.value) +
                       " at or below sell threshold " + std::to_string(config_.sell_threshold));
    } else if (config_.max_holding_bars > 0 && state.bars_held >= config_.max_holding_bars) {
      request_exit(prediction, state,
                   "time stop: held for " + std::to_string(state.bars_held) + " bars");
    }
    return;
  }
  state.exit_requested = false;
  state.bars_held = 0;
  if (state.cooldown_remaining > 0) {
    --state.cooldown_remaining;
    return;
  }
  if (state.pending_entry || prediction.value < config_.buy_threshold) return;
  if (!confirmed(prediction.features)) return;
  const auto price = prices_.reference_price(prediction.instrument);
  if (!price) return;  // no market yet: nothing to anchor the stop to
  propose_entry(prediction, *spec, *price);
}

void StrategyArbitrator::request_exit(const PredictionEvent& prediction, PairState& state,
                                      std::string reason) {
  ClosePositionCommand command;
  command.meta.ts_event = prediction.meta.ts_event;
  command.instrument = prediction.instrument;
  command.reason = std::move(reason);
  command.requested_by = "strategy:" + config_.id;
  state.exit_requested = true;
  ++exits_;
  bus_->publish(std::move(command));
}

bool StrategyArbitrator::confirmed(const FeatureVector& features) const {
  using Op = config::ConfirmationRule::Op;
  for (const auto& rule : config_.confirmation_rules) {
    const auto value = features.get(rule.feature);
    if (!value) return false;  // a rule that cannot be evaluated does not hold
    const bool holds = rule.op == Op::kGreater          ? *value > rule.value
                       : rule.op == Op::kGreaterOrEqual ? *value >= rule.value
                       : rule.op == Op::kLess           ? *value < rule.value
                                                        : *value <= rule.value;
    if (!holds) return false;
  }
  return true;
}

void StrategyArbitrator::propose_entry(const PredictionEvent& prediction,
                                       const InstrumentSpec& spec, Price price) {
  TradeSignalProposedEvent signal;
  signal.meta.ts_event = prediction.meta.ts_event;
  signal.signal_id = SignalId(config_.id + "-" + std::to_string(next_signal_));
  signal.instrument = prediction.instrument;
  signal.strategy_id = config_.id;
  signal.side = Side::kBuy;
  signal.reference_price = price;
  signal.prediction_sequence = prediction.meta.sequence;
  signal.prediction_value = prediction.value;
  const int precision = spec.price_precision;
  Price entry = price;
  if (config_.entry_type == config::EntryType::kLimit) {
    const Price touch = prices_.ask(prediction.instrument).value_or(price);
    entry =
        spec.round_to_tick(touch.scaled(kPartsPerMillion - percent_to_ppm(config_.limit_offset_pct),
                                        kPartsPerMillion, precision, Rounding::kFloor),
                           Rounding::kFloor);
    signal.entry_type = OrderType::kLimit;
    signal.limit_price = entry;
  }
  // Stops below and targets above a long entry, rounded away from the entry onto the tick grid.
  if (config_.stop_mode == config::StopMode::kAtr) {
    const auto atr = prediction.features.get(config_.atr_feature);
    if (!atr || !(*atr > 0.0)) return;  // no volatility estimate yet: no stop, no entry
    // The ATR is a feature (double); the distance becomes a price at the pair's precision,
    // rounded up so the stop is never tighter than asked.
    const auto distance = [&](double multiple) {
      const double ticks = std::ceil(*atr * multiple * std::pow(10.0, precision));
      return Price::from_raw(static_cast<int64_t>(ticks), precision);
    };
    signal.stop_loss =
        spec.round_to_tick(entry - distance(config_.sl_atr_multiple), Rounding::kFloor);
    signal.take_profit =
        spec.round_to_tick(entry + distance(config_.tp_atr_multiple), Rounding::kCeiling);
  } else {
    signal.stop_loss =
        spec.round_to_tick(entry.scaled(kPartsPerMillion - percent_to_ppm(config_.sl_pct),
                                        kPartsPerMillion, precision, Rounding::kFloor),
                           Rounding::kFloor);
    signal.take_profit =
        spec.round_to_tick(entry.scaled(kPartsPerMillion + percent_to_ppm(config_.tp_pct),
                                        kPartsPerMillion, precision, Rounding::kCeiling),
                           Rounding::kCeiling);
  }
  ++next_signal_;
  pairs_[prediction.instrument].pending_entry = signal.signal_id;
  ++proposals_;
  bus_->publish(std::move(signal));
}

void StrategyArbitrator::on_rejected(const TradeSignalRejectedEvent& rejected) {
  auto it = pairs_.find(rejected.instrument);
  if (it == pairs_.end() || it->second.pending_entry != rejected.signal_id) return;
  it->second.pending_entry.reset();
  // Conditions that caused a rejection rarely clear on the next bar; wait before re-proposing.
  it->second.cooldown_remaining = config_.cooldown_bars;
}

void StrategyArbitrator::on_report(const ExecutionReportEvent& report) {
  auto it = pairs_.find(report.instrument);
  if (it == pairs_.end()) return;
  PairState& state = it->second;
  if (report.purpose == OrderPurpose::kEntry && is_terminal(report.status) &&
      report.signal_id == state.pending_entry) {
    state.pending_entry.reset();
  }
  if (report.purpose != OrderPurpose::kEntry && report.status == OrderStatus::kFilled) {
    state.cooldown_remaining = config_.cooldown_bars;
  }
}

}  // namespace galfriday

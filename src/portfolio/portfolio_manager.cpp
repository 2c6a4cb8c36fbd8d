#include "galfriday/portfolio/portfolio_manager.hpp"

#include <chrono>

namespace galfriday {
namespace {

double percent_below(Money reference, Money value) {
  if (!reference.is_positive() || value >= reference) return 0.0;
  return ratio(reference - value, reference) * 100.0;
}

}  // namespace

Result<std::unique_ptr<PortfolioManager>> PortfolioManager::create(
    const config::PortfolioConfig& config, const InstrumentRegistry& instruments,
    const MarketPriceService& prices, const Clock& clock) {
  for (const auto& spec : instruments.all()) {
    if (spec.quote != config.valuation_currency) {
      return invalid_argument("pair " + spec.id.str() + " is quoted in " + spec.quote +
                              ", but only pairs quoted in the valuation currency " +
                              config.valuation_currency + " are supported");
    }
  }
  const auto it = config.initial_capital.find(config.valuation_currency);
  if (it == config.initial_capital.end()) {
    return invalid_argument("portfolio.initial_capital has no " + config.valuation_currency +
                            " balance");
  }
  if (config.initial_capital.size() > 1) {
    return invalid_argument("portfolio.initial_capital may only hold the valuation currency " +
                            config.valuation_currency + " for now");
  }
  return std::unique_ptr<PortfolioManager>(
      new PortfolioManager(config, instruments, prices, clock, it->second));
}

PortfolioManager::PortfolioManager(const config::PortfolioConfig& config,
                                   const InstrumentRegistry& instruments,
                                   const MarketPriceService& prices, const Clock& clock,
                                   Money initial)
    : valuation_currency_(config.valuation_currency),
      instruments_(instruments),
      prices_(prices),
      clock_(clock),
      initial_equity_(initial),
      cash_(initial),
      peak_equity_(initial),
      day_start_equity_(initial),
      week_start_equity_(initial),
      last_marked_equity_(initial) {}

void PortfolioManager::attach(PubSubManager& bus) {
  bus_ = &bus;
  bus.subscribe<ExecutionReportEvent>(
      [this](const ExecutionReportEvent& report) {
        const Status status = apply(report);
        if (status.is_ok()) return;
        // The books no longer match the exchange: a critical error, so trading halts.
        SystemErrorEvent error;
        error.source = "portfolio";
        error.message = status.to_string();
        error.critical = true;
        bus_->publish(std::move(error));
      },
      "portfolio.fills");
  bus.subscribe<MarketDataOHLCVEvent>([this](const MarketDataOHLCVEvent&) { mark_to_market(); },
                                      "portfolio.mark");
}

Status PortfolioManager::apply(const ExecutionReportEvent& report) {
  if (!report.last_fill) return Status::ok();
  const Fill& fill = *report.last_fill;
  if (booked_trade_ids_.contains(fill.trade_id.str())) {
    ++duplicate_fills_;
    return Status::ok();
  }
  // Every check comes before anything is booked: a fill that fails leaves the books as they
  // were (no fee counted, no empty position created).
  const InstrumentSpec* spec = instruments_.find(report.instrument);
  if (spec == nullptr)
    return failed_precondition("fill for unknown instrument " + report.instrument.str());
  if (!fill.qty.is_positive())
    return failed_precondition("fill " + fill.trade_id.str() + " has no quantity");
  if (fill.fee_currency != spec->quote) {
    return failed_precondition("fill " + fill.trade_id.str() + " charged its fee in " +
                               fill.fee_currency +
                               "; only fees in the quote currency are supported");
  }
  if (report.side == Side::kSell && fill.qty > position_qty(report.instrument)) {
    return failed_precondition("sell fill " + fill.trade_id.str() + " of " + fill.qty.to_string() +
                               " " + spec->base + " exceeds the position of " +
                               position_qty(report.instrument).to_string());
  }
  booked_trade_ids_.insert(fill.trade_id.str());
  const Money value = spec->cost(fill.price, fill.qty);
  Position& position = positions_[report.instrument];
  fees_paid_ += fill.fee;
  if (report.side == Side::kBuy) {
    if (position.qty.is_zero()) {
      position.opened = report.meta.ts_event;
      position.round_trip =
          ClosedTrade{report.instrument, report.meta.ts_event, {}, {}, {}, {}, {}, {}};
    }
    cash_ -= value + fill.fee;
    position.qty += fill.qty;
    position.cost_basis += value + fill.fee;
    position.round_trip.qty += fill.qty;
    position.round_trip.cost += value + fill.fee;
    position.round_trip.fees += fill.fee;
  } else {
    // The share of the cost basis the sold quantity carries; the remainder stays exact.
    const Money released =
        fill.qty == position.qty
            ? position.cost_basis
            : position.cost_basis.scaled(
                  fill.qty.raw(),
                  position.qty.rescaled(fill.qty.precision(), Rounding::kTowardZero).raw(),
                  position.cost_basis.precision(), Rounding::kHalfEven);
    const Money proceeds = value - fill.fee;
    cash_ += proceeds;
    realized_pnl_ += proceeds - released;
    position.qty -= fill.qty;
    position.cost_basis -= released;
    position.round_trip.proceeds += proceeds;
    position.round_trip.fees += fill.fee;
    if (position.qty.is_zero()) {
      ClosedTrade trade = position.round_trip;
      trade.exit_time = report.meta.ts_event;
      trade.pnl = trade.proceeds - trade.cost;
      if (trade.pnl.is_negative()) {
        ++consecutive_losses_;
      } else {
        consecutive_losses_ = 0;
        if (trade.pnl.is_positive()) ++winning_trades_;
      }
      closed_.push_back(std::move(trade));
      positions_.erase(report.instrument);
    }
  }
  mark_to_market();
  return Status::ok();
}

Money PortfolioManager::market_value(const InstrumentId& id, const Position& position) const {
  const auto price = prices_.reference_price(id);
  if (!price) return Money{};
  const InstrumentSpec* spec = instruments_.find(id);
  return notional(*price, position.qty, spec ? spec->cost_precision + 1 : kMaxPrecision / 2,
                  Rounding::kHalfEven);
}

Money PortfolioManager::equity() const {
  Money total = cash_;
  for (const auto& [id, position] : positions_) total += market_value(id, position);
  return total;
}

void PortfolioManager::roll_periods(Timestamp now, Money current_equity) {
  using namespace std::chrono;
  const int64_t day = floor<days>(now).time_since_epoch().count();
  if (day != current_day_) {
    current_day_ = day;
    day_start_equity_ = current_equity;
  }
  // ISO weeks start on Monday; 1970-01-01 was a Thursday, so shift by 3 days.
  const int64_t week = (day + 3) >= 0 ? (day + 3) / 7 : ((day + 3) - 6) / 7;
  if (week != current_week_) {
    current_week_ = week;
    week_start_equity_ = current_equity;
  }
}

void PortfolioManager::mark_to_market() {
  const Money current = equity();
  // A new day or week starts from the equity at its boundary, which is the equity of the last
  // mark before it. Starting from `current` would hide the move of the period's first bar from
  // its drawdown (all of it with daily bars, which close at the next midnight).
  roll_periods(clock_.now(), last_marked_equity_);
  last_marked_equity_ = current;
  if (current > peak_equity_) peak_equity_ = current;
}

Quantity PortfolioManager::position_qty(const InstrumentId& id) const {
  const auto it = positions_.find(id);
  return it == positions_.end() ? Quantity{} : it->second.qty;
}

Money PortfolioManager::exposure(const InstrumentId& id) const {
  const auto it = positions_.find(id);
  return it == positions_.end() ? Money{} : market_value(id, it->second).abs();
}

Money PortfolioManager::total_exposure() const {
  Money total;
  for (const auto& [id, position] : positions_) total += market_value(id, position).abs();
  return total;
}

PortfolioState PortfolioManager::state() const {
  PortfolioState state;
  state.as_of = clock_.now();
  state.valuation_currency = valuation_currency_;
  state.initial_equity = initial_equity_;
  state.cash = cash_;
  state.realized_pnl = realized_pnl_;
  state.fees_paid = fees_paid_;
  state.consecutive_losses = consecutive_losses_;
  state.closed_trades = static_cast<int64_t>(closed_.size());
  state.winning_trades = winning_trades_;
  Money equity = cash_;
  for (const auto& [id, position] : positions_) {
    PositionView view;
    view.instrument = id;
    view.qty = position.qty;
    view.cost_basis = position.cost_basis;
    view.mark_price = prices_.reference_price(id);
    view.market_value = market_value(id, position);
    view.unrealized_pnl = view.mark_price ? view.market_value - position.cost_basis : Money{};
    view.opened = position.opened;
    equity += view.market_value;
    state.unrealized_pnl += view.unrealized_pnl;
    state.total_exposure += view.market_value.abs();
    state.positions.push_back(std::move(view));
  }
  state.equity = equity;
  state.peak_equity = peak_equity_ > equity ? peak_equity_ : equity;
  state.drawdown_pct = percent_below(state.peak_equity, equity);
  state.daily_drawdown_pct = percent_below(day_start_equity_, equity);
  state.weekly_drawdown_pct = percent_below(week_start_equity_, equity);
  return state;
}

}  // namespace galfriday

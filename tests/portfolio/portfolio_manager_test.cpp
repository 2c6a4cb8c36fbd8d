#include "galfriday/portfolio/portfolio_manager.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace galfriday {

// Fixed-point values print as their exact decimal text in failure messages.
template <typename Tag>
void PrintTo(const FixedPoint<Tag>& value, std::ostream* os) {
  *os << value.to_string();
}

namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr int64_t kMonday = 1704067200;  // 2024-01-01T00:00:00Z, a Monday
constexpr int64_t kDay = 86400;
constexpr int kCostPrecision = 5;
constexpr int64_t kTakerFeePpm = 2600;  // 0.26 %
constexpr int64_t kMakerFeePpm = 1600;  // 0.16 %

const InstrumentId kBtc{"BTC/USD"};
const InstrumentId kEth{"ETH/USD"};

Price btc_price(const std::string& text) { return Price::parse(text, 1).value(); }
Price eth_price(const std::string& text) { return Price::parse(text, 2).value(); }
Quantity qty(const std::string& text) { return Quantity::parse(text, 8).value(); }
Money usd(const std::string& text) { return Money::parse(text).value(); }

InstrumentSpec spec(const std::string& symbol, const std::string& base, const std::string& quote,
                    int price_precision) {
  InstrumentSpec s;
  s.id = InstrumentId(symbol);
  s.altname = base + quote;
  s.base = base;
  s.quote = quote;
  s.price_precision = price_precision;
  s.qty_precision = 8;
  s.cost_precision = kCostPrecision;
  s.ordermin = Quantity::parse("0.0001", 8).value();
  s.costmin = Money::parse("0.5", kCostPrecision).value();
  s.tick_size = Price::from_raw(1, price_precision);
  return s;
}

// Kraken's fee: value × rate, rounded up at the cost precision.
Money fee_for(Price price, Quantity quantity, int64_t fee_ppm) {
  return notional(price, quantity, kCostPrecision, Rounding::kHalfEven)
      .scaled(fee_ppm, kPartsPerMillion, kCostPrecision, Rounding::kAwayFromZero);
}

class PortfolioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(instruments_.add(spec("BTC/USD", "BTC", "USD", 1)).is_ok());
    ASSERT_TRUE(instruments_.add(spec("ETH/USD", "ETH", "USD", 2)).is_ok());
    auto created =
        PortfolioManager::create(config::default_config().portfolio, instruments_, prices_, clock_);
    ASSERT_TRUE(created.is_ok()) << created.status().to_string();
    portfolio_ = std::move(*created);
  }

  void set_price(const InstrumentId& id, Price close) {
    MarketDataOHLCVEvent bar;
    bar.meta.ts_event = clock_.now();
    bar.instrument = id;
    bar.open = bar.high = bar.low = bar.close = close;
    prices_.on_bar(bar);
    portfolio_->mark_to_market();
  }

  ExecutionReportEvent report(const InstrumentId& id, Side side, Price price, Quantity quantity,
                              Money fee, const std::string& trade_id) {
    ExecutionReportEvent r;
    r.meta.ts_event = clock_.now();
    r.instrument = id;
    r.client_order_id = ClientOrderId("order-" + trade_id);
    r.side = side;
    r.status = OrderStatus::kFilled;
    r.quantity_ordered = quantity;
    r.quantity_filled = quantity;
    r.last_fill = Fill{TradeId(trade_id), price, quantity, fee, "USD", Liquidity::kTaker};
    return r;
  }

  Status fill(const InstrumentId& id, Side side, Price price, Quantity quantity, Money fee) {
    return portfolio_->apply(
        report(id, side, price, quantity, fee, "T" + std::to_string(next_trade_++)));
  }

  void advance_to(int64_t unix_seconds) { clock_.advance_to(timestamp_from_seconds(unix_seconds)); }

  SimulatedClock clock_{timestamp_from_seconds(kMonday + 9 * 3600)};
  InstrumentRegistry instruments_;
  MarketPriceService prices_{clock_, std::chrono::hours(1)};
  std::unique_ptr<PortfolioManager> portfolio_;
  int next_trade_ = 1;
};

TEST_F(PortfolioTest, StartsWithTheInitialCapital) {
  const PortfolioState state = portfolio_->state();
  EXPECT_EQ(state.valuation_currency, "USD");
  EXPECT_EQ(state.initial_equity, usd("100000"));
  EXPECT_EQ(state.cash, usd("100000"));
  EXPECT_EQ(state.equity, usd("100000"));
  EXPECT_EQ(state.peak_equity, usd("100000"));
  EXPECT_TRUE(state.realized_pnl.is_zero());
  EXPECT_TRUE(state.positions.empty());
  EXPECT_EQ(state.drawdown_pct, 0.0);
}

TEST_F(PortfolioTest, CreateRejectsPairsNotQuotedInTheValuationCurrency) {
  InstrumentRegistry euro;
  ASSERT_TRUE(euro.add(spec("BTC/EUR", "BTC", "EUR", 1)).is_ok());
  auto created =
      PortfolioManager::create(config::default_config().portfolio, euro, prices_, clock_);
  ASSERT_FALSE(created.is_ok());
  EXPECT_EQ(created.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(created.status().message(), AllOf(HasSubstr("BTC/EUR"), HasSubstr("EUR")));

  config::PortfolioConfig no_usd;
  no_usd.initial_capital = {{"EUR", usd("1000")}};
  EXPECT_FALSE(PortfolioManager::create(no_usd, instruments_, prices_, clock_).is_ok());
}

TEST_F(PortfolioTest, BuyThenSellBooksFeesAndRealizedPnlExactly) {
  const Quantity size = qty("0.12345678");
  // Buy at 43210.7: value 5334.653883546 -> 5334.65388; fee 0.26 % = 13.870100... -> 13.87011.
  const Price buy = btc_price("43210.7");
  ASSERT_EQ(fee_for(buy, size, kTakerFeePpm), usd("13.87011"));
  ASSERT_TRUE(fill(kBtc, Side::kBuy, buy, size, usd("13.87011")).is_ok());
  set_price(kBtc, buy);
  PortfolioState state = portfolio_->state();
  EXPECT_EQ(state.cash, usd("94651.47601"));  // 100000 − 5334.65388 − 13.87011
  ASSERT_EQ(state.positions.size(), 1u);
  EXPECT_EQ(state.positions[0].qty, size);
  EXPECT_EQ(state.positions[0].cost_basis, usd("5348.52399"));
  EXPECT_EQ(state.positions[0].market_value, usd("5334.653884"));  // at cost precision + 1
  EXPECT_EQ(state.unrealized_pnl, usd("-13.870106"));
  EXPECT_EQ(state.fees_paid, usd("13.87011"));

  // Sell at 44444.4: value 5486.962513032 -> 5486.96251; fee 14.266102... -> 14.26611.
  const Price sell = btc_price("44444.4");
  ASSERT_EQ(fee_for(sell, size, kTakerFeePpm), usd("14.26611"));
  ASSERT_TRUE(fill(kBtc, Side::kSell, sell, size, usd("14.26611")).is_ok());
  state = portfolio_->state();
  // (5486.96251 − 14.26611) − (5334.65388 + 13.87011) = 5472.69640 − 5348.52399
  EXPECT_EQ(state.realized_pnl, usd("124.17241"));
  EXPECT_EQ(state.cash, usd("100124.17241"));
  EXPECT_EQ(state.equity, usd("100124.17241"));
  EXPECT_EQ(state.fees_paid, usd("28.13622"));
  EXPECT_TRUE(state.unrealized_pnl.is_zero());
  EXPECT_TRUE(state.positions.empty());
  EXPECT_TRUE(portfolio_->position_qty(kBtc).is_zero());
}

TEST_F(PortfolioTest, PartialSellsReleaseCostBasisProportionally) {
  const Quantity size = qty("0.12345678");
  ASSERT_TRUE(fill(kBtc, Side::kBuy, btc_price("43210.7"), size, usd("13.87011")).is_ok());
  // Sell 0.05 at 44444.4: value 2222.22, fee 5.77778; released basis
  // 5348.52399 × 0.05 / 0.12345678 = 2166.152393... -> 2166.15239.
  ASSERT_TRUE(fill(kBtc, Side::kSell, btc_price("44444.4"), qty("0.05"), usd("5.77778")).is_ok());
  set_price(kBtc, btc_price("44000.0"));
  PortfolioState state = portfolio_->state();
  EXPECT_EQ(state.realized_pnl, usd("50.28983"));
  EXPECT_EQ(state.cash, usd("96867.91823"));
  ASSERT_EQ(state.positions.size(), 1u);
  EXPECT_EQ(state.positions[0].qty, qty("0.07345678"));
  EXPECT_EQ(state.positions[0].cost_basis, usd("3182.37160"));
  EXPECT_EQ(state.positions[0].mark_price, btc_price("44000.0"));
  EXPECT_EQ(state.positions[0].market_value, usd("3232.098320"));
  EXPECT_EQ(state.unrealized_pnl, usd("49.726720"));
  EXPECT_EQ(state.equity, state.initial_equity + state.realized_pnl + state.unrealized_pnl);
  EXPECT_EQ(portfolio_->exposure(kBtc), usd("3232.09832"));
  EXPECT_EQ(state.total_exposure, usd("3232.09832"));

  // The rest at 44444.4: value 3264.74251, fee 8.48834; the last sell releases what is left.
  ASSERT_TRUE(
      fill(kBtc, Side::kSell, btc_price("44444.4"), qty("0.07345678"), usd("8.48834")).is_ok());
  state = portfolio_->state();
  EXPECT_EQ(state.realized_pnl, usd("124.17240"));
  EXPECT_EQ(state.cash, usd("100124.17240"));
  EXPECT_TRUE(state.positions.empty());
  ASSERT_EQ(portfolio_->closed_trades().size(), 1u);
  EXPECT_EQ(portfolio_->closed_trades()[0].pnl, usd("124.17240"));
}

TEST_F(PortfolioTest, DuplicateTradeIdIsBookedOnce) {
  const auto buy = report(kBtc, Side::kBuy, btc_price("40000.0"), qty("0.1"), usd("10.4"), "TX-1");
  ASSERT_TRUE(portfolio_->apply(buy).is_ok());
  ASSERT_TRUE(portfolio_->apply(buy).is_ok());
  // Same trade id on another report (e.g. a replayed execution) is still the same fill.
  auto replayed = buy;
  replayed.client_order_id = ClientOrderId("other");
  ASSERT_TRUE(portfolio_->apply(replayed).is_ok());
  EXPECT_EQ(portfolio_->position_qty(kBtc), qty("0.1"));
  EXPECT_EQ(portfolio_->cash(), usd("95989.6"));
  EXPECT_EQ(portfolio_->state().fees_paid, usd("10.4"));
  EXPECT_EQ(portfolio_->duplicate_fills(), 2u);
}

TEST_F(PortfolioTest, ReportsWithoutAFillChangeNothing) {
  ExecutionReportEvent acknowledged;
  acknowledged.instrument = kBtc;
  acknowledged.status = OrderStatus::kNew;
  ASSERT_TRUE(portfolio_->apply(acknowledged).is_ok());
  EXPECT_EQ(portfolio_->cash(), usd("100000"));
  EXPECT_TRUE(portfolio_->state().positions.empty());
}

TEST_F(PortfolioTest, SellingMoreThanHeldFailsAndChangesNothing) {
  ASSERT_TRUE(fill(kBtc, Side::kBuy, btc_price("40000.0"), qty("0.1"), usd("10.4")).is_ok());
  set_price(kBtc, btc_price("40000.0"));
  const PortfolioState before = portfolio_->state();
  const Status status =
      fill(kBtc, Side::kSell, btc_price("41000.0"), qty("0.10000001"), usd("10.66"));
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), AllOf(HasSubstr("0.10000001"), HasSubstr("0.10000000")));
  const PortfolioState after = portfolio_->state();
  EXPECT_EQ(after.cash, before.cash);
  EXPECT_EQ(after.fees_paid, before.fees_paid);
  EXPECT_EQ(after.equity, before.equity);
  EXPECT_EQ(portfolio_->position_qty(kBtc), qty("0.1"));

  // Selling a pair never bought leaves no empty position behind.
  const Status none = fill(kEth, Side::kSell, eth_price("2000.00"), qty("1"), usd("5.2"));
  EXPECT_EQ(none.code(), StatusCode::kFailedPrecondition);
  ASSERT_EQ(portfolio_->state().positions.size(), 1u);
  EXPECT_EQ(portfolio_->state().positions[0].instrument, kBtc);
  EXPECT_EQ(portfolio_->state().fees_paid, before.fees_paid);
}

TEST_F(PortfolioTest, RejectsFillsItCannotBook) {
  auto unknown =
      report(InstrumentId("DOGE/USD"), Side::kBuy, btc_price("1.0"), qty("1"), usd("0"), "T-a");
  EXPECT_EQ(portfolio_->apply(unknown).code(), StatusCode::kFailedPrecondition);
  auto foreign_fee =
      report(kBtc, Side::kBuy, btc_price("40000.0"), qty("0.1"), usd("0.0001"), "T-b");
  foreign_fee.last_fill->fee_currency = "BTC";
  const Status status = portfolio_->apply(foreign_fee);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("BTC"));
  EXPECT_EQ(portfolio_->cash(), usd("100000"));
  EXPECT_TRUE(portfolio_->state().fees_paid.is_zero());
  EXPECT_TRUE(portfolio_->state().positions.empty());
}

TEST_F(PortfolioTest, BusFillsAreBookedAndBadFillsRaiseACriticalError) {
  PubSubManager bus(clock_);
  portfolio_->attach(bus);
  std::vector<SystemErrorEvent> errors;
  bus.subscribe<SystemErrorEvent>([&](const SystemErrorEvent& e) { errors.push_back(e); });
  bus.publish(report(kBtc, Side::kBuy, btc_price("40000.0"), qty("0.1"), usd("10.4"), "B-1"));
  bus.run_until_idle();
  EXPECT_EQ(portfolio_->position_qty(kBtc), qty("0.1"));
  EXPECT_TRUE(errors.empty());

  bus.publish(report(kBtc, Side::kSell, btc_price("40000.0"), qty("1"), usd("104"), "B-2"));
  bus.run_until_idle();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].critical);
  EXPECT_EQ(errors[0].source, "portfolio");
  EXPECT_THAT(errors[0].message, HasSubstr("FAILED_PRECONDITION"));
}

// The books of the randomized sequence, kept by the test from the fills it makes.
struct Book {
  Money cash;
  Money fees;
  std::map<InstrumentId, Quantity> held;
};

TEST_F(PortfolioTest, BooksBalanceExactlyAfterEveryFillOfARandomSequence) {
  std::mt19937_64 random(20240101);
  const std::vector<InstrumentId> pairs = {kBtc, kEth};
  std::map<InstrumentId, int64_t> price_raw = {{kBtc, 420'000}, {kEth, 230'000}};
  const std::map<InstrumentId, int> price_precision = {{kBtc, 1}, {kEth, 2}};
  auto price_of = [&](const InstrumentId& id) {
    return Price::from_raw(price_raw[id], price_precision.at(id));
  };
  for (const auto& id : pairs) set_price(id, price_of(id));
  Book book{usd("100000"), Money{}, {}};
  int fills = 0;

  auto check_books = [&](int step) {
    const PortfolioState state = portfolio_->state();
    ASSERT_EQ(state.cash, book.cash) << "step " << step;
    ASSERT_EQ(state.fees_paid, book.fees) << "step " << step;
    Money marked = state.cash;  // cash + Σ qty × mark, from the test's own quantities
    for (const auto& [id, held] : book.held) {
      ASSERT_EQ(portfolio_->position_qty(id), held) << "step " << step;
      if (held.is_zero()) continue;
      const Money exact = notional(price_of(id), held, 18 - 6, Rounding::kHalfEven);
      const Money valued = notional(price_of(id), held, kCostPrecision + 1, Rounding::kHalfEven);
      // Positions are valued at one decimal past the cost precision, rounded half-even.
      ASSERT_LE((exact - valued).abs(), Money::from_raw(5, kCostPrecision + 2)) << "step " << step;
      marked += valued;
    }
    ASSERT_EQ(marked, state.equity) << "step " << step;
    ASSERT_EQ(portfolio_->equity(), state.equity) << "step " << step;
    ASSERT_EQ(state.equity, state.initial_equity + state.realized_pnl + state.unrealized_pnl)
        << "step " << step << ": realized " << state.realized_pnl.to_string() << ", unrealized "
        << state.unrealized_pnl.to_string();
  };

  for (int step = 0; step < 4000; ++step) {
    clock_.advance_to(clock_.now() + std::chrono::seconds(1 + random() % 600));
    const InstrumentId& id = pairs[random() % pairs.size()];
    const Quantity held = book.held[id];
    const uint64_t action = random() % 10;
    if (action < 4) {
      // The price moves up to ±1 %.
      const int64_t range = price_raw[id] / 100;
      price_raw[id] +=
          static_cast<int64_t>(random() % static_cast<uint64_t>(2 * range + 1)) - range;
      set_price(id, price_of(id));
      ASSERT_NO_FATAL_FAILURE(check_books(step));
      continue;
    }
    const Price price = price_of(id);
    Quantity size;
    Side side = Side::kBuy;
    if (action < 7 || held.is_zero()) {
      // Buy up to a tenth of the cash, at any number of decimals the lot allows.
      const Money budget = book.cash.scaled(1, 10, kCostPrecision, Rounding::kTowardZero);
      const Quantity most = quantity_for(budget, price, 8, Rounding::kTowardZero);
      if (!most.is_positive()) continue;
      size = Quantity::from_raw(
          1 + static_cast<int64_t>(random() % static_cast<uint64_t>(most.raw())), 8);
    } else {
      side = Side::kSell;
      size = action == 9
                 ? held
                 : Quantity::from_raw(
                       1 + static_cast<int64_t>(random() % static_cast<uint64_t>(held.raw())), 8);
    }
    const int64_t fee_ppm = random() % 3 == 0 ? kMakerFeePpm : kTakerFeePpm;
    const Money fee = fee_for(price, size, fee_ppm);
    const Money value = notional(price, size, kCostPrecision, Rounding::kHalfEven);
    const Status status = fill(id, side, price, size, fee);
    ASSERT_TRUE(status.is_ok()) << "step " << step << ": " << status.to_string();
    ++fills;
    book.fees += fee;
    if (side == Side::kBuy) {
      book.cash -= value + fee;
      book.held[id] += size;
    } else {
      book.cash += value - fee;
      book.held[id] -= size;
    }
    ASSERT_NO_FATAL_FAILURE(check_books(step));
  }
  EXPECT_GT(fills, 1000);
  EXPECT_GT(portfolio_->closed_trades().size(), 50u);

  // Flat again: every cost basis is released, so realized P&L is the change in cash, and the
  // closed trades add up to it.
  for (const auto& id : pairs) {
    const Quantity held = book.held[id];
    if (held.is_zero()) continue;
    ASSERT_TRUE(fill(id, Side::kSell, price_of(id), held, fee_for(price_of(id), held, kTakerFeePpm))
                    .is_ok());
  }
  const PortfolioState state = portfolio_->state();
  EXPECT_TRUE(state.positions.empty());
  EXPECT_TRUE(state.unrealized_pnl.is_zero());
  EXPECT_EQ(state.equity, state.cash);
  EXPECT_EQ(state.realized_pnl, state.cash - state.initial_equity);
  Money trade_pnl;
  Money trade_fees;
  for (const ClosedTrade& trade : portfolio_->closed_trades()) {
    EXPECT_EQ(trade.pnl, trade.proceeds - trade.cost);
    trade_pnl += trade.pnl;
    trade_fees += trade.fees;
  }
  EXPECT_EQ(trade_pnl, state.realized_pnl);
  EXPECT_EQ(trade_fees, state.fees_paid);
}

TEST_F(PortfolioTest, DailyAndWeeklyDrawdownsRollAtUtcMidnightAndMonday) {
  // Wednesday 2024-01-03, 10:00 UTC.
  const int64_t wednesday = kMonday + 2 * kDay;
  advance_to(wednesday + 10 * 3600);
  set_price(kBtc, btc_price("50000.0"));
  ASSERT_TRUE(fill(kBtc, Side::kBuy, btc_price("50000.0"), qty("1"), usd("0")).is_ok());

  advance_to(wednesday + kDay - 1);  // 23:59:59
  set_price(kBtc, btc_price("49000.0"));
  PortfolioState state = portfolio_->state();
  EXPECT_DOUBLE_EQ(state.daily_drawdown_pct, 1.0);
  EXPECT_DOUBLE_EQ(state.weekly_drawdown_pct, 1.0);

  // Thursday 00:00:00: the day starts again from 99000; the week does not.
  advance_to(wednesday + kDay);
  set_price(kBtc, btc_price("48000.0"));
  state = portfolio_->state();
  EXPECT_DOUBLE_EQ(state.daily_drawdown_pct, 100.0 * 1000.0 / 99000.0);
  EXPECT_DOUBLE_EQ(state.weekly_drawdown_pct, 2.0);
  EXPECT_DOUBLE_EQ(state.drawdown_pct, 2.0);

  // Sunday 2024-01-07 23:59:59 is still the same ISO week.
  const int64_t next_monday = kMonday + 7 * kDay;
  advance_to(next_monday - 1);
  set_price(kBtc, btc_price("47000.0"));
  state = portfolio_->state();
  EXPECT_DOUBLE_EQ(state.daily_drawdown_pct, 100.0 * 1000.0 / 98000.0);
  EXPECT_DOUBLE_EQ(state.weekly_drawdown_pct, 3.0);

  // Monday 00:00:00: both periods start from 97000.
  advance_to(next_monday);
  set_price(kBtc, btc_price("46000.0"));
  state = portfolio_->state();
  EXPECT_DOUBLE_EQ(state.daily_drawdown_pct, 100.0 * 1000.0 / 97000.0);
  EXPECT_DOUBLE_EQ(state.weekly_drawdown_pct, 100.0 * 1000.0 / 97000.0);
  EXPECT_DOUBLE_EQ(state.drawdown_pct, 4.0);
  EXPECT_EQ(state.peak_equity, usd("100000"));

  // A recovery above the peak raises it and clears every drawdown.
  set_price(kBtc, btc_price("51000.0"));
  state = portfolio_->state();
  EXPECT_EQ(state.peak_equity, usd("101000"));
  EXPECT_EQ(state.drawdown_pct, 0.0);
  EXPECT_EQ(state.daily_drawdown_pct, 0.0);
  set_price(kBtc, btc_price("50495.0"));
  EXPECT_DOUBLE_EQ(portfolio_->state().drawdown_pct, 100.0 * 505.0 / 101000.0);
}

TEST_F(PortfolioTest, ConsecutiveLossesCountAndResetOnAWin) {
  auto round_trip = [&](const std::string& sell_price) {
    ASSERT_TRUE(fill(kBtc, Side::kBuy, btc_price("50000.0"), qty("0.01"), usd("1.3")).is_ok());
    ASSERT_TRUE(fill(kBtc, Side::kSell, btc_price(sell_price), qty("0.01"), usd("1.3")).is_ok());
  };
  round_trip("49000.0");
  round_trip("50000.0");  // loses the fees
  round_trip("49999.9");
  EXPECT_EQ(portfolio_->state().consecutive_losses, 3);
  EXPECT_EQ(portfolio_->state().winning_trades, 0);
  round_trip("50300.0");  // 503 − 1.3 > 501.3
  EXPECT_EQ(portfolio_->state().consecutive_losses, 0);
  EXPECT_EQ(portfolio_->state().winning_trades, 1);
  round_trip("40000.0");
  EXPECT_EQ(portfolio_->state().consecutive_losses, 1);
  // Exactly break-even (the price covers both fees) is not a loss.
  round_trip("50260.0");
  EXPECT_EQ(portfolio_->closed_trades().back().pnl, usd("0"));
  EXPECT_EQ(portfolio_->state().consecutive_losses, 0);
  EXPECT_EQ(portfolio_->state().winning_trades, 1);
  EXPECT_EQ(portfolio_->state().closed_trades, 6);
}

TEST_F(PortfolioTest, RecordsClosedRoundTrips) {
  const Timestamp opened = clock_.now();
  ASSERT_TRUE(fill(kEth, Side::kBuy, eth_price("2250.55"), qty("1.5"), usd("8.77715")).is_ok());
  advance_to(kMonday + 10 * 3600);
  ASSERT_TRUE(fill(kEth, Side::kBuy, eth_price("2240.00"), qty("0.5"), usd("2.912")).is_ok());
  advance_to(kMonday + 11 * 3600);
  ASSERT_TRUE(fill(kEth, Side::kSell, eth_price("2300.00"), qty("1"), usd("5.98")).is_ok());
  EXPECT_TRUE(portfolio_->closed_trades().empty());
  advance_to(kMonday + 12 * 3600);
  const Timestamp closed = clock_.now();
  ASSERT_TRUE(fill(kEth, Side::kSell, eth_price("2310.00"), qty("1"), usd("6.006")).is_ok());

  ASSERT_EQ(portfolio_->closed_trades().size(), 1u);
  const ClosedTrade& trade = portfolio_->closed_trades()[0];
  EXPECT_EQ(trade.instrument, kEth);
  EXPECT_EQ(trade.entry_time, opened);
  EXPECT_EQ(trade.exit_time, closed);
  EXPECT_EQ(trade.qty, qty("2"));
  // 3375.825 + 8.77715 + 1120 + 2.912
  EXPECT_EQ(trade.cost, usd("4507.51415"));
  // 2300 − 5.98 + 2310 − 6.006
  EXPECT_EQ(trade.proceeds, usd("4598.014"));
  EXPECT_EQ(trade.pnl, usd("90.49985"));
  EXPECT_EQ(trade.fees, usd("23.67515"));
  EXPECT_EQ(portfolio_->state().realized_pnl, trade.pnl);
  EXPECT_EQ(portfolio_->state().winning_trades, 1);
}

}  // namespace
}  // namespace galfriday

// Indicators over trades and the L2 book (declared in indicators.hpp with the bar indicators).

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <limits>
#include <optional>

#include "galfriday/features/indicators.hpp"

namespace galfriday::features {
namespace {

using fixed_point_detail::Int128;

double to_units(Int128 raw, int precision) {
  return static_cast<double>(raw) / static_cast<double>(fixed_point_detail::pow10(precision));
}

class TradeFlow final : public Indicator {
 public:
  explicit TradeFlow(int window_seconds) : window_(std::chrono::seconds(window_seconds)) {}

  void on_trade(const MarketDataTradeEvent& trade) override {
    if (!first_trade_) {
      first_trade_ = trade.meta.ts_event;
      now_ = trade.meta.ts_event;
      // Sums are kept at the first trade's precisions; Kraken prints a pair's trades at its
      // pair precisions, so later trades normally need no rescaling.
      price_precision_ = trade.price.precision();
      qty_precision_ = trade.qty.precision();
    }
    advance_to(trade.meta.ts_event);
    // A trade stamped before one already seen counts as of the latest time seen, so the
    // window's entries stay in time order and each leaves it exactly once.
    Entry entry{now_, raw_at(trade.price, price_precision_), raw_at(trade.qty, qty_precision_),
                trade.aggressor == Side::kBuy};
    sum_price_qty_ += static_cast<Int128>(entry.price) * entry.qty;
    sum_qty_ += entry.qty;
    net_qty_ += entry.buy ? entry.qty : -static_cast<Int128>(entry.qty);
    entries_.push_back(entry);
    last_price_ = trade.price.to_double();
  }

  void advance_to(Timestamp now) override {
    if (!first_trade_ || now <= now_) return;
    now_ = now;
    // Keep trades with time in (now - window, now].
    while (!entries_.empty() && entries_.front().time <= now_ - window_) {
      const Entry& old = entries_.front();
      sum_price_qty_ -= static_cast<Int128>(old.price) * old.qty;
      sum_qty_ -= old.qty;
      net_qty_ -= old.buy ? old.qty : -static_cast<Int128>(old.qty);
      entries_.pop_front();
    }
  }

  bool ready() const override { return first_trade_ && now_ - *first_trade_ >= window_; }

  void append_values(std::vector<double>& out) const override {
    out.push_back(sum_qty_ == 0
                      ? last_price_
                      : static_cast<double>(sum_price_qty_) / static_cast<double>(sum_qty_) /
                            static_cast<double>(fixed_point_detail::pow10(price_precision_)));
    out.push_back(to_units(net_qty_, qty_precision_));
    out.push_back(static_cast<double>(entries_.size()));
  }

 private:
  struct Entry {
    Timestamp time;
    int64_t price;  // raw at price_precision_
    int64_t qty;    // raw at qty_precision_
    bool buy;
  };

  template <typename Tag>
  static int64_t raw_at(FixedPoint<Tag> value, int precision) {
    return value.precision() == precision ? value.raw()
                                          : value.rescaled(precision, Rounding::kHalfEven).raw();
  }

  Duration window_;
  std::optional<Timestamp> first_trade_;
  Timestamp now_{};
  int price_precision_ = 0;
  int qty_precision_ = 0;
  std::deque<Entry> entries_;
  Int128 sum_price_qty_ = 0;
  Int128 sum_qty_ = 0;
  Int128 net_qty_ = 0;
  double last_price_ = 0.0;
};

class BookFeatures final : public Indicator {
 public:
  explicit BookFeatures(int levels) : levels_(static_cast<size_t>(levels)) {}

  void on_book(const MarketDataL2Event& book) override {
    if (book.bids.empty() || book.asks.empty()) {
      values_.fill(std::numeric_limits<double>::quiet_NaN());
      return;
    }
    ready_ = true;
    const BookLevel& bid = book.bids.front();
    const BookLevel& ask = book.asks.front();
    const double bid_price = bid.price.to_double();
    const double ask_price = ask.price.to_double();
    const double bid_qty = bid.qty.to_double();
    const double ask_qty = ask.qty.to_double();
    const double mid = (bid_price + ask_price) / 2.0;
    const double spread = (ask.price - bid.price).to_double();  // exact difference
    const double bid_depth = depth(book.bids);
    const double ask_depth = depth(book.asks);
    values_ = {mid,
               spread,
               spread / mid,
               (bid_price * ask_qty + ask_price * bid_qty) / (bid_qty + ask_qty),
               (bid_depth - ask_depth) / (bid_depth + ask_depth),
               bid_depth,
               ask_depth};
  }

  bool ready() const override { return ready_; }

  void append_values(std::vector<double>& out) const override {
    out.insert(out.end(), values_.begin(), values_.end());
  }

 private:
  double depth(const std::vector<BookLevel>& side) const {
    Quantity total = side.front().qty;
    const size_t n = std::min(levels_, side.size());
    for (size_t i = 1; i < n; ++i) total += side[i].qty;  // exact, then one rounding
    return total.to_double();
  }

  size_t levels_;
  bool ready_ = false;
  std::array<double, 7> values_{};
};

}  // namespace

IndicatorSpec trade_flow(int window_seconds) {
  const std::string suffix = "_" + std::to_string(window_seconds) + "s";
  IndicatorSpec spec{{"trade_vwap" + suffix, "trade_net_volume" + suffix, "trade_count" + suffix},
                     0,
                     [](const std::vector<int>& p, double) -> std::unique_ptr<Indicator> {
                       return std::make_unique<TradeFlow>(p[0]);
                     },
                     {window_seconds}};
  spec.source = IndicatorSource::kTrades;
  return spec;
}

IndicatorSpec book(int levels) {
  const std::string n = std::to_string(levels);
  IndicatorSpec spec{{"book_mid", "book_spread", "book_spread_rel", "book_microprice",
                      "book_imbalance_" + n, "book_bid_depth_" + n, "book_ask_depth_" + n},
                     0,
                     [](const std::vector<int>& p, double) -> std::unique_ptr<Indicator> {
                       return std::make_unique<BookFeatures>(p[0]);
                     },
                     {levels}};
  spec.source = IndicatorSource::kBook;
  return spec;
}

}  // namespace galfriday::features

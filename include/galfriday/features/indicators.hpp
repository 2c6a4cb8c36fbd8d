#pragma once
// Incremental technical indicators: each update is O(1) in the window length, and the values
// follow the textbook definitions the tests re-compute independently:
//   SMA / rolling stddev over a window; EMA with α = 2/(n+1) seeded by the SMA of its first n
//   inputs (as TA-Lib); Wilder's smoothing (RSI, ATR) seeded by the mean of the first n inputs,
//   then avg = (avg·(n−1) + x)/n.
// Values are doubles: features are model inputs, not money.

#include <memory>
#include <string>
#include <vector>

#include "galfriday/events/events.hpp"

namespace galfriday::features {

struct BarInput {
  double open = 0;
  double high = 0;
  double low = 0;
  double close = 0;
  double volume = 0;
};

// Sum and sum of squares over the last `window` values. Values are stored relative to the
// first value seen, so squares stay small and the variance keeps its precision for prices in
// the tens of thousands; the sums are re-added from the buffer once per window to stop drift
// (amortised O(1)).
class RollingWindow {
 public:
  explicit RollingWindow(int window);
  void add(double value);
  bool full() const { return count_ >= values_.size(); }
  size_t size() const { return count_ < values_.size() ? count_ : values_.size(); }
  double mean() const;
  double population_variance() const;
  double sample_variance() const;
  // The value added `age` updates ago (0 = newest); age < size().
  double at(size_t age) const;

 private:
  void recompute();

  std::vector<double> values_;  // relative to origin_
  size_t next_ = 0;
  size_t count_ = 0;
  size_t since_recompute_ = 0;
  bool has_origin_ = false;
  double origin_ = 0.0;
  double sum_ = 0.0;
  double sum_squares_ = 0.0;
};

class Ema {
 public:
  explicit Ema(int period) : period_(period), alpha_(2.0 / (period + 1.0)) {}
  void add(double value);
  bool ready() const { return count_ >= period_; }
  double value() const { return value_; }

 private:
  int period_;
  double alpha_;
  int count_ = 0;
  double seed_sum_ = 0.0;
  double value_ = 0.0;
};

class WilderAverage {
 public:
  explicit WilderAverage(int period) : period_(period) {}
  void add(double value);
  bool ready() const { return count_ >= period_; }
  double value() const { return value_; }

 private:
  int period_;
  int count_ = 0;
  double seed_sum_ = 0.0;
  double value_ = 0.0;
};

// What an indicator is computed over. Bar indicators update on closed bars; trade and book
// indicators update on every trade / L2 book event and ignore bars.
enum class IndicatorSource { kBars, kTrades, kBook };

// One indicator for one pair: its own state, and values in the order of its names. An
// indicator overrides the update of its source; the others do nothing.
class Indicator {
 public:
  virtual ~Indicator() = default;
  virtual void update(const BarInput& /*bar*/) {}
  virtual void on_trade(const MarketDataTradeEvent& /*trade*/) {}
  virtual void on_book(const MarketDataL2Event& /*book*/) {}
  // Moves a time-windowed indicator's clock forward to `now` (what fell out of the window is
  // dropped); called before ready() and append_values() at a bar close or a book update. A
  // `now` earlier than one already seen is ignored (the window never moves backwards).
  virtual void advance_to(Timestamp /*now*/) {}
  virtual bool ready() const = 0;
  virtual void append_values(std::vector<double>& out) const = 0;
};

// A configured indicator: its feature names, the bars it needs before its first value, and a
// factory for per-pair state.
struct IndicatorSpec {
  std::vector<std::string> names;
  int warmup_bars = 0;
  std::unique_ptr<Indicator> (*make)(const std::vector<int>& params, double real_param) = nullptr;
  std::vector<int> params;
  double real_param = 0.0;
  IndicatorSource source = IndicatorSource::kBars;
};

// sma_<fast>, sma_<slow>, ma_spread_<fast>_<slow> = sma_fast / sma_slow − 1.
IndicatorSpec moving_average_spread(int fast, int slow);
// return_<h> = close / close h bars ago − 1, for each horizon.
IndicatorSpec returns(const std::vector<int>& horizons);
// rsi_<n>: Wilder RSI in [0, 100]; 50 while prices have not moved at all.
IndicatorSpec rsi(int period);
// macd_<f>_<s>_<g>, macd_signal_<f>_<s>_<g>, macd_hist_<f>_<s>_<g>.
IndicatorSpec macd(int fast, int slow, int signal);
// bb_pctb_<n>_<k> = (close − lower) / (upper − lower) (0.5 when the band is flat) and
// bb_width_<n>_<k> = (upper − lower) / middle, with a population stddev as TA-Lib.
IndicatorSpec bollinger(int period, double stddevs);
// atr_<n> (Wilder, price units) and natr_<n> = atr / close × 100.
IndicatorSpec atr(int period);
// roc_<n> = (close / close n bars ago − 1) × 100.
IndicatorSpec rate_of_change(int period);
// volatility_<n>: sample stddev of the last n log returns.
IndicatorSpec volatility(int window);
// vwap_dev_<n> = close / VWAP − 1, VWAP over n bars of typical price (h+l+c)/3 × volume
// (close itself when the window traded nothing).
IndicatorSpec vwap(int window);

// Over the trades of the last `window_seconds` (trade times in (now − window, now]):
// trade_vwap_<w>s = Σ price·qty / Σ qty (the last trade's price when the window is empty),
// trade_net_volume_<w>s = buy-aggressor volume − sell-aggressor volume (base units),
// trade_count_<w>s = number of trades. Sums are kept exactly in integers (fixed-point raw
// values), so adding and dropping trades never drifts. Ready once `window_seconds` have passed
// since the pair's first trade. Amortised O(1) per trade: each trade enters and leaves once.
IndicatorSpec trade_flow(int window_seconds);
// Over the latest L2 book event: book_mid = (bid + ask) / 2, book_spread = ask − bid,
// book_spread_rel = spread / mid, book_microprice = (bid·ask_qty + ask·bid_qty) /
// (bid_qty + ask_qty) on the best levels, book_imbalance_<n> = (B − A) / (B + A) and
// book_bid_depth_<n> = B, book_ask_depth_<n> = A, the base quantity on the top n levels of each
// side (fewer when the book holds fewer). Ready after the first event with both sides; an event
// with an empty side yields non-finite values (the engine then publishes nothing). O(n).
IndicatorSpec book(int levels);

}  // namespace galfriday::features

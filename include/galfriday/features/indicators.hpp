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

// One indicator for one pair: its own state, and values in the order of its names.
class Indicator {
 public:
  virtual ~Indicator() = default;
  virtual void update(const BarInput& bar) = 0;
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

}  // namespace galfriday::features

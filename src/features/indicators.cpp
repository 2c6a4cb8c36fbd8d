#include "galfriday/features/indicators.hpp"

#include <algorithm>
#include <cmath>

namespace galfriday::features {

RollingWindow::RollingWindow(int window) : values_(static_cast<size_t>(std::max(window, 1)), 0.0) {}

void RollingWindow::add(double value) {
  if (!has_origin_) {
    origin_ = value;
    has_origin_ = true;
  }
  const double relative = value - origin_;
  if (count_ >= values_.size()) {
    const double old = values_[next_];
    sum_ -= old;
    sum_squares_ -= old * old;
  }
  values_[next_] = relative;
  sum_ += relative;
  sum_squares_ += relative * relative;
  next_ = (next_ + 1) % values_.size();
  ++count_;
  if (++since_recompute_ >= values_.size()) recompute();
}

void RollingWindow::recompute() {
  since_recompute_ = 0;
  sum_ = 0.0;
  sum_squares_ = 0.0;
  const size_t n = size();
  for (size_t age = 0; age < n; ++age) {
    const double v = values_[(next_ + values_.size() - 1 - age) % values_.size()];
    sum_ += v;
    sum_squares_ += v * v;
  }
}

double RollingWindow::mean() const { return origin_ + sum_ / static_cast<double>(size()); }

double RollingWindow::population_variance() const {
  const double n = static_cast<double>(size());
  const double m = sum_ / n;
  return std::max(0.0, sum_squares_ / n - m * m);
}

double RollingWindow::sample_variance() const {
  const double n = static_cast<double>(size());
  if (n < 2) return 0.0;
  return std::max(0.0, (sum_squares_ - sum_ * sum_ / n) / (n - 1.0));
}

double RollingWindow::at(size_t age) const {
  return origin_ + values_[(next_ + values_.size() - 1 - age) % values_.size()];
}

void Ema::add(double value) {
  if (count_ < period_) {
    seed_sum_ += value;
    ++count_;
    if (count_ == period_) value_ = seed_sum_ / period_;
    return;
  }
  value_ += alpha_ * (value - value_);
}

void WilderAverage::add(double value) {
  if (count_ < period_) {
    seed_sum_ += value;
    ++count_;
    if (count_ == period_) value_ = seed_sum_ / period_;
    return;
  }
  value_ = (value_ * (period_ - 1) + value) / period_;
}

namespace {

std::string fmt_number(double value) {
  // "2" for 2.0, "2.5" for 2.5: names stay short and stable.
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", value);
  return buffer;
}

class MovingAverageSpread final : public Indicator {
 public:
  MovingAverageSpread(int fast, int slow) : fast_(fast), slow_(slow) {}
  void update(const BarInput& bar) override {
    fast_.add(bar.close);
    slow_.add(bar.close);
  }
  bool ready() const override { return slow_.full() && fast_.full(); }
  void append_values(std::vector<double>& out) const override {
    const double fast = fast_.mean();
    const double slow = slow_.mean();
    out.push_back(fast);
    out.push_back(slow);
    out.push_back(fast / slow - 1.0);
  }

 private:
  RollingWindow fast_;
  RollingWindow slow_;
};

class Returns final : public Indicator {
 public:
  explicit Returns(std::vector<int> horizons)
      : horizons_(std::move(horizons)),
        closes_(*std::max_element(horizons_.begin(), horizons_.end()) + 1) {}
  void update(const BarInput& bar) override { closes_.add(bar.close); }
  bool ready() const override { return closes_.full(); }
  void append_values(std::vector<double>& out) const override {
    for (int h : horizons_) out.push_back(closes_.at(0) / closes_.at(static_cast<size_t>(h)) - 1.0);
  }

 private:
  std::vector<int> horizons_;
  RollingWindow closes_;
};

class Rsi final : public Indicator {
 public:
  explicit Rsi(int period) : gains_(period), losses_(period) {}
  void update(const BarInput& bar) override {
    if (has_previous_) {
      const double change = bar.close - previous_;
      gains_.add(change > 0 ? change : 0.0);
      losses_.add(change < 0 ? -change : 0.0);
    }
    previous_ = bar.close;
    has_previous_ = true;
  }
  bool ready() const override { return gains_.ready(); }
  void append_values(std::vector<double>& out) const override {
    const double gain = gains_.value();
    const double loss = losses_.value();
    if (loss == 0.0) {
      out.push_back(gain == 0.0 ? 50.0 : 100.0);
    } else {
      out.push_back(100.0 - 100.0 / (1.0 + gain / loss));
    }
  }

 private:
  WilderAverage gains_;
  WilderAverage losses_;
  double previous_ = 0.0;
  bool has_previous_ = false;
};

class Macd final : public Indicator {
 public:
  Macd(int fast, int slow, int signal) : fast_(fast), slow_(slow), signal_(signal) {}
  void update(const BarInput& bar) override {
    fast_.add(bar.close);
    slow_.add(bar.close);
    if (slow_.ready() && fast_.ready()) signal_.add(fast_.value() - slow_.value());
  }
  bool ready() const override { return signal_.ready(); }
  void append_values(std::vector<double>& out) const override {
    const double line = fast_.value() - slow_.value();
    out.push_back(line);
    out.push_back(signal_.value());
    out.push_back(line - signal_.value());
  }

 private:
  Ema fast_;
  Ema slow_;
  Ema signal_;
};

class Bollinger final : public Indicator {
 public:
  Bollinger(int period, double stddevs) : closes_(period), stddevs_(stddevs) {}
  void update(const BarInput& bar) override {
    closes_.add(bar.close);
    last_ = bar.close;
  }
  bool ready() const override { return closes_.full(); }
  void append_values(std::vector<double>& out) const override {
    const double middle = closes_.mean();
    const double half_width = stddevs_ * std::sqrt(closes_.population_variance());
    const double lower = middle - half_width;
    out.push_back(half_width > 0 ? (last_ - lower) / (2 * half_width) : 0.5);
    out.push_back(middle != 0 ? 2 * half_width / middle : 0.0);
  }

 private:
  RollingWindow closes_;
  double stddevs_;
  double last_ = 0.0;
};

class Atr final : public Indicator {
 public:
  explicit Atr(int period) : ranges_(period) {}
  void update(const BarInput& bar) override {
    if (has_previous_) {
      ranges_.add(std::max({bar.high - bar.low, std::abs(bar.high - previous_close_),
                            std::abs(bar.low - previous_close_)}));
    }
    previous_close_ = bar.close;
    has_previous_ = true;
  }
  bool ready() const override { return ranges_.ready(); }
  void append_values(std::vector<double>& out) const override {
    out.push_back(ranges_.value());
    out.push_back(previous_close_ != 0 ? ranges_.value() / previous_close_ * 100.0 : 0.0);
  }

 private:
  WilderAverage ranges_;
  double previous_close_ = 0.0;
  bool has_previous_ = false;
};

class RateOfChange final : public Indicator {
 public:
  explicit RateOfChange(int period) : closes_(period + 1), period_(period) {}
  void update(const BarInput& bar) override { closes_.add(bar.close); }
  bool ready() const override { return closes_.full(); }
  void append_values(std::vector<double>& out) const override {
    out.push_back((closes_.at(0) / closes_.at(static_cast<size_t>(period_)) - 1.0) * 100.0);
  }

 private:
  RollingWindow closes_;
  int period_;
};

class Volatility final : public Indicator {
 public:
  explicit Volatility(int window) : log_returns_(window) {}
  void update(const BarInput& bar) override {
    if (has_previous_ && previous_ > 0 && bar.close > 0)
      log_returns_.add(std::log(bar.close / previous_));
    previous_ = bar.close;
    has_previous_ = true;
  }
  bool ready() const override { return log_returns_.full(); }
  void append_values(std::vector<double>& out) const override {
    out.push_back(std::sqrt(log_returns_.sample_variance()));
  }

 private:
  RollingWindow log_returns_;
  double previous_ = 0.0;
  bool has_previous_ = false;
};

class Vwap final : public Indicator {
 public:
  explicit Vwap(int window) : price_volume_(window), volume_(window) {}
  void update(const BarInput& bar) override {
    price_volume_.add((bar.high + bar.low + bar.close) / 3.0 * bar.volume);
    volume_.add(bar.volume);
    last_ = bar.close;
  }
  bool ready() const override { return volume_.full(); }
  void append_values(std::vector<double>& out) const override {
    const double volume = volume_.mean();
    const double vwap = volume > 0 ? price_volume_.mean() / volume : last_;
    out.push_back(last_ / vwap - 1.0);
  }

 private:
  RollingWindow price_volume_;
  RollingWindow volume_;
  double last_ = 0.0;
};

}  // namespace

IndicatorSpec moving_average_spread(int fast, int slow) {
  const std::string f = std::to_string(fast), s = std::to_string(slow);
  return {{"sma_" + f, "sma_" + s, "ma_spread_" + f + "_" + s},
          std::max(fast, slow),
          [](const std::vector<int>& p, double) -> std::unique_ptr<Indicator> {
            return std::make_unique<MovingAverageSpread>(p[0], p[1]);
          },
          {fast, slow}};
}

IndicatorSpec returns(const std::vector<int>& horizons) {
  IndicatorSpec spec;
  for (int h : horizons) spec.names.push_back("return_" + std::to_string(h));
  spec.warmup_bars = *std::max_element(horizons.begin(), horizons.end()) + 1;
  spec.make = [](const std::vector<int>& p, double) -> std::unique_ptr<Indicator> {
    return std::make_unique<Returns>(p);
  };
  spec.params = horizons;
  return spec;
}

IndicatorSpec rsi(int period) {
  return {{"rsi_" + std::to_string(period)},
          period + 1,
          [](const std::vector<int>& p, double) -> std::unique_ptr<Indicator> {
            return std::make_unique<Rsi>(p[0]);
          },
          {period}};
}

IndicatorSpec macd(int fast, int slow, int signal) {
  const std::string suffix =
      std::to_string(fast) + "_" + std::to_string(slow) + "_" + std::to_string(signal);
  return {{"macd_" + suffix, "macd_signal_" + suffix, "macd_hist_" + suffix},
          std::max(fast, slow) + signal - 1,
          [](const std::vector<int>& p, double) -> std::unique_ptr<Indicator> {
            return std::make_unique<Macd>(p[0], p[1], p[2]);
          },
          {fast, slow, signal}};
}

IndicatorSpec bollinger(int period, double stddevs) {
  const std::string suffix = std::to_string(period) + "_" + fmt_number(stddevs);
  return {{"bb_pctb_" + suffix, "bb_width_" + suffix},
          period,
          [](const std::vector<int>& p, double k) -> std::unique_ptr<Indicator> {
            return std::make_unique<Bollinger>(p[0], k);
          },
          {period},
          stddevs};
}

IndicatorSpec atr(int period) {
  const std::string n = std::to_string(period);
  return {{"atr_" + n, "natr_" + n},
          period + 1,
          [](const std::vector<int>& p, double) -> std::unique_ptr<Indicator> {
            return std::make_unique<Atr>(p[0]);
          },
          {period}};
}

IndicatorSpec rate_of_change(int period) {
  return {{"roc_" + std::to_string(period)},
          period + 1,
          [](const std::vector<int>& p, double) -> std::unique_ptr<Indicator> {
            return std::make_unique<RateOfChange>(p[0]);
          },
          {period}};
}

IndicatorSpec volatility(int window) {
  return {{"volatility_" + std::to_string(window)},
          window + 1,
          [](const std::vector<int>& p, double) -> std::unique_ptr<Indicator> {
            return std::make_unique<Volatility>(p[0]);
          },
          {window}};
}

IndicatorSpec vwap(int window) {
  return {{"vwap_dev_" + std::to_string(window)},
          window,
          [](const std::vector<int>& p, double) -> std::unique_ptr<Indicator> {
            return std::make_unique<Vwap>(p[0]);
          },
          {window}};
}

}  // namespace galfriday::features

#include "galfriday/ingest/sample_data.hpp"

#include <cmath>
#include <fstream>
#include <map>

#include "galfriday/ingest/ohlcvt_csv.hpp"

namespace galfriday {
namespace {

// splitmix64: tiny, fast and identical on every platform, unlike std:: distributions.
class DeterministicRandom {
 public:
  explicit DeterministicRandom(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in (0, 1).
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }
  double normal() {
    const double u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

 private:
  uint64_t state_;
};

constexpr int kStepsPerBar = 6;

}  // namespace

Status write_sample_ohlcvt(const std::filesystem::path& file, const InstrumentSpec& spec,
                           Price start_price, const SampleDataOptions& options) {
  if (options.bars <= 0) return invalid_argument("sample data needs at least one bar");
  if (!start_price.is_positive())
    return invalid_argument("sample data start price must be positive");
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  if (ec)
    return permission_denied("cannot create directory " + file.parent_path().string() + ": " +
                             ec.message());
  const std::filesystem::path temporary = file.string() + ".tmp";
  std::ofstream out(temporary, std::ios::trunc);
  if (!out) return permission_denied("cannot write " + temporary.string());

  DeterministicRandom random(options.seed);
  const double tick = spec.tick_size.is_positive() ? spec.tick_size.to_double()
                                                   : std::pow(10.0, -spec.price_precision);
  double log_price = std::log(start_price.to_double());
  double drift = 0.0;
  const double step_sigma =
      options.volatility_per_bar / std::sqrt(static_cast<double>(kStepsPerBar));
  const auto to_price = [&](double log_value) {
    // Snap to the tick grid; the text then parses exactly at the pair's precision.
    const double ticks = std::max(1.0, std::round(std::exp(log_value) / tick));
    const auto raw = static_cast<int64_t>(ticks) *
                     spec.tick_size.rescaled(spec.price_precision, Rounding::kHalfEven).raw();
    return Price::from_raw(raw > 0 ? raw : 1, spec.price_precision);
  };

  for (int64_t i = 0; i < options.bars; ++i) {
    if (random.uniform() < 1.0 / static_cast<double>(options.mean_regime_bars)) {
      const double pick = random.uniform();
      drift = pick < 0.35 ? options.trend_drift_per_bar
                          : (pick < 0.7 ? -options.trend_drift_per_bar : 0.0);
    }
    MarketDataOHLCVEvent bar;
    bar.bar_start = options.start + options.interval * i;
    bar.open = to_price(log_price);
    bar.high = bar.open;
    bar.low = bar.open;
    for (int step = 0; step < kStepsPerBar; ++step) {
      log_price += drift / kStepsPerBar + step_sigma * random.normal();
      const Price p = to_price(log_price);
      if (p > bar.high) bar.high = p;
      if (p < bar.low) bar.low = p;
    }
    bar.close = to_price(log_price);
    if (bar.close > bar.high) bar.high = bar.close;
    if (bar.close < bar.low) bar.low = bar.close;
    // Volume in base units: about 20 000 quote units a bar, more when the bar moves a lot.
    const double move = std::abs(bar.close.to_double() / bar.open.to_double() - 1.0);
    const double quote_volume = 20000.0 * (0.5 + random.uniform()) * (1.0 + 200.0 * move);
    const double base_volume = quote_volume / bar.close.to_double();
    const auto volume_raw =
        static_cast<int64_t>(std::llround(base_volume * std::pow(10.0, spec.qty_precision)));
    bar.volume = Quantity::from_raw(std::max<int64_t>(volume_raw, 1), spec.qty_precision);
    bar.trade_count = 1 + static_cast<int64_t>(random.uniform() * 200.0);
    out << format_ohlcvt_row(bar) << '\n';
  }
  out.close();
  if (!out) return data_loss("writing " + temporary.string() + " failed (disk full?)");
  std::filesystem::rename(temporary, file, ec);
  if (ec)
    return data_loss("cannot rename " + temporary.string() + " to " + file.string() + ": " +
                     ec.message());
  return Status::ok();
}

Price sample_start_price(const InstrumentSpec& spec) {
  static const std::map<std::string, std::string> kStartPrices = {
      {"BTC", "42000"}, {"ETH", "2300"}, {"SOL", "100"}};
  const auto it = kStartPrices.find(spec.base);
  return Price::parse(it == kStartPrices.end() ? "100" : it->second, spec.price_precision).value();
}

}  // namespace galfriday

#include "galfriday/backtest/bar_replay.hpp"

namespace galfriday::backtest {
namespace {

// Close time first; bars closing together go in pair order, then interval order, so the result
// never depends on the order the files were named on the command line.
bool replays_before(const MarketDataOHLCVEvent& a, const MarketDataOHLCVEvent& b) {
  if (a.meta.ts_event != b.meta.ts_event) return a.meta.ts_event < b.meta.ts_event;
  if (a.instrument != b.instrument) return a.instrument < b.instrument;
  return a.interval < b.interval;
}

}  // namespace

Result<BarReplay> BarReplay::open(std::vector<OhlcvtCsvReader> readers) {
  BarReplay replay(std::move(readers));
  for (auto& reader : replay.readers_) {
    auto head = reader.next();
    if (!head) return head.status();
    replay.heads_.push_back(std::move(*head));
  }
  return replay;
}

Result<std::optional<MarketDataOHLCVEvent>> BarReplay::next() {
  size_t best = heads_.size();
  for (size_t i = 0; i < heads_.size(); ++i) {
    if (!heads_[i]) continue;
    if (best == heads_.size() || replays_before(*heads_[i], *heads_[best])) best = i;
  }
  if (best == heads_.size()) return std::optional<MarketDataOHLCVEvent>{};
  std::optional<MarketDataOHLCVEvent> bar = std::move(heads_[best]);
  auto refill = readers_[best].next();
  if (!refill) return refill.status();
  heads_[best] = std::move(*refill);
  return bar;
}

}  // namespace galfriday::backtest

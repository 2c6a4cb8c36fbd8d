#include "galfriday/backtest/bar_replay.hpp"

namespace galfriday::backtest {

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
    if (best == heads_.size() || heads_[i]->meta.ts_event < heads_[best]->meta.ts_event) best = i;
  }
  if (best == heads_.size()) return std::optional<MarketDataOHLCVEvent>{};
  std::optional<MarketDataOHLCVEvent> bar = std::move(heads_[best]);
  auto refill = readers_[best].next();
  if (!refill) return refill.status();
  heads_[best] = std::move(*refill);
  return bar;
}

}  // namespace galfriday::backtest

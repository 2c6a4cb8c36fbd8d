#pragma once
// MarketPriceService: the latest bid, ask, mid and last price per pair, from whatever market
// data flows on the bus (book tops, trades, closed bars), with staleness. Engine thread only.

#include <optional>
#include <unordered_map>

#include "galfriday/bus/pubsub.hpp"

namespace galfriday {

struct MarketQuote {
  std::optional<Price> bid;
  std::optional<Price> ask;
  std::optional<Price> last;
  Timestamp updated{};  // ts_event of the newest data
};

class MarketPriceService {
 public:
  MarketPriceService(const Clock& clock, Duration stale_after)
      : clock_(clock), stale_after_(stale_after) {}

  void attach(PubSubManager& bus);

  void on_book(const MarketDataL2Event& event);
  void on_trade(const MarketDataTradeEvent& event);
  void on_bar(const MarketDataOHLCVEvent& event);

  std::optional<Price> bid(const InstrumentId& id) const;
  std::optional<Price> ask(const InstrumentId& id) const;
  std::optional<Price> last(const InstrumentId& id) const;
  // (bid + ask) / 2 at one more decimal than the pair's prices, exact; nullopt without both.
  std::optional<Price> mid(const InstrumentId& id) const;
  // The best single price to value a position at: mid when the book is known, else last.
  std::optional<Price> reference_price(const InstrumentId& id) const;
  // True when nothing arrived for the pair within stale_after (or nothing ever arrived).
  bool is_stale(const InstrumentId& id) const;

 private:
  const MarketQuote* find(const InstrumentId& id) const;

  const Clock& clock_;
  Duration stale_after_;
  std::unordered_map<InstrumentId, MarketQuote> quotes_;
};

}  // namespace galfriday

#include "galfriday/ingest/market_price_service.hpp"

namespace galfriday {

void MarketPriceService::attach(PubSubManager& bus) {
  bus.subscribe<MarketDataL2Event>([this](const MarketDataL2Event& e) { on_book(e); },
                                   "market_price.book");
  bus.subscribe<MarketDataTradeEvent>([this](const MarketDataTradeEvent& e) { on_trade(e); },
                                      "market_price.trade");
  bus.subscribe<MarketDataOHLCVEvent>([this](const MarketDataOHLCVEvent& e) { on_bar(e); },
                                      "market_price.bar");
}

void MarketPriceService::on_book(const MarketDataL2Event& event) {
  MarketQuote& quote = quotes_[event.instrument];
  quote.bid = event.bids.empty() ? std::nullopt : std::optional<Price>(event.bids.front().price);
  quote.ask = event.asks.empty() ? std::nullopt : std::optional<Price>(event.asks.front().price);
  quote.updated = event.meta.ts_event;
}

void MarketPriceService::on_trade(const MarketDataTradeEvent& event) {
  MarketQuote& quote = quotes_[event.instrument];
  quote.last = event.price;
  quote.updated = event.meta.ts_event;
}

void MarketPriceService::on_bar(const MarketDataOHLCVEvent& event) {
  MarketQuote& quote = quotes_[event.instrument];
  quote.last = event.close;
  quote.updated = event.meta.ts_event;
}

const MarketQuote* MarketPriceService::find(const InstrumentId& id) const {
  const auto it = quotes_.find(id);
  return it == quotes_.end() ? nullptr : &it->second;
}

std::optional<Price> MarketPriceService::bid(const InstrumentId& id) const {
  const MarketQuote* quote = find(id);
  return quote ? quote->bid : std::nullopt;
}

std::optional<Price> MarketPriceService::ask(const InstrumentId& id) const {
  const MarketQuote* quote = find(id);
  return quote ? quote->ask : std::nullopt;
}

std::optional<Price> MarketPriceService::last(const InstrumentId& id) const {
  const MarketQuote* quote = find(id);
  return quote ? quote->last : std::nullopt;
}

std::optional<Price> MarketPriceService::mid(const InstrumentId& id) const {
  const MarketQuote* quote = find(id);
  if (!quote || !quote->bid || !quote->ask) return std::nullopt;
  const Price sum = *quote->bid + *quote->ask;
  return sum.scaled(1, 2, sum.precision() + 1, Rounding::kHalfEven);
}

std::optional<Price> MarketPriceService::reference_price(const InstrumentId& id) const {
  if (auto m = mid(id)) return m;
  return last(id);
}

bool MarketPriceService::is_stale(const InstrumentId& id) const {
  const MarketQuote* quote = find(id);
  return !quote || clock_.now() - quote->updated > stale_after_;
}

}  // namespace galfriday

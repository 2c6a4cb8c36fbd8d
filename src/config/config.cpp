#include "galfriday/config/config.hpp"

#include <cstdio>
#include <cstdlib>

namespace galfriday::config {
namespace {

// Built-in values are literals of this file: failing to parse one is a programming error.
template <typename Tag>
FixedPoint<Tag> literal(std::string_view text, int precision) {
  auto value = FixedPoint<Tag>::parse(text, precision);
  if (!value) {
    std::fprintf(stderr, "galfriday: bad built-in config literal: %s\n",
                 value.status().to_string().c_str());
    std::abort();
  }
  return *value;
}

// Kraken's AssetPairs values for the two default pairs.
PairConfig default_btc_usd() {
  PairConfig pair;
  pair.symbol = "BTC/USD";
  pair.altname = "XBTUSD";
  pair.base = "BTC";
  pair.quote = "USD";
  pair.price_precision = 1;
  pair.qty_precision = 8;
  pair.cost_precision = 5;
  pair.ordermin = literal<QuantityTag>("0.0001", pair.qty_precision);
  pair.costmin = literal<MoneyTag>("0.5", pair.cost_precision);
  pair.tick_size = literal<PriceTag>("0.1", pair.price_precision);
  return pair;
}

PairConfig default_eth_usd() {
  PairConfig pair;
  pair.symbol = "ETH/USD";
  pair.altname = "ETHUSD";
  pair.base = "ETH";
  pair.quote = "USD";
  pair.price_precision = 2;
  pair.qty_precision = 8;
  pair.cost_precision = 5;
  pair.ordermin = literal<QuantityTag>("0.002", pair.qty_precision);
  pair.costmin = literal<MoneyTag>("0.5", pair.cost_precision);
  pair.tick_size = literal<PriceTag>("0.01", pair.price_precision);
  return pair;
}

}  // namespace

const PairConfig* Config::find_pair(std::string_view symbol) const {
  for (const auto& pair : pairs) {
    if (pair.symbol == symbol) return &pair;
  }
  return nullptr;
}

std::string ConfigIssue::to_string() const {
  std::string out;
  if (line > 0) out += "line " + std::to_string(line) + ": ";
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

Config default_config() {
  Config config;
  config.pairs = {default_btc_usd(), default_eth_usd()};
  config.portfolio.initial_capital = {{"USD", literal<MoneyTag>("100000", kAmountPrecision)}};
  config.risk.max_order_value = literal<MoneyTag>("10000", kAmountPrecision);
  config.models.experiment_max_loss = literal<MoneyTag>("1000", kAmountPrecision);
  return config;
}

}  // namespace galfriday::config

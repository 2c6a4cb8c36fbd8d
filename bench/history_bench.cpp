// Kraken REST parsing and trade aggregation throughput: a 720-row OHLC response and a 1000-row
// Trades page (synthetic bodies in Kraken's format), and trades through TradeBarAggregator.
// Reports rows per second; no pass/fail.

#include <benchmark/benchmark.h>

#include <string>

#include "galfriday/history/trade_bar_aggregator.hpp"
#include "galfriday/kraken_rest/public_client.hpp"

namespace {

using namespace galfriday;

net::HttpResponse ohlc_body(int rows) {
  std::string body = R"({"error":[],"result":{"XXBTZUSD":[)";
  for (int i = 0; i < rows; ++i) {
    if (i) body += ',';
    body += "[" + std::to_string(1688671200 + 60 * i) +
            R"(,"30306.1","30306.2","30305.7","30305.7","30306.1","3.39243896",23])";
  }
  body += R"(],"last":1688672160}})";
  return {200, {}, body};
}

net::HttpResponse trades_body(int rows) {
  std::string body = R"({"error":[],"result":{"XXBTZUSD":[)";
  for (int i = 0; i < rows; ++i) {
    if (i) body += ',';
    body += R"(["30243.40000","0.34507674",)" + std::to_string(1688669597 + i) +
            R"(.8277369,"b","m","",)" + std::to_string(61044952 + i) + "]";
  }
  body += R"(],"last":"1688671969993150842"}})";
  return {200, {}, body};
}

void BM_ParseOhlc720(benchmark::State& state) {
  const auto response = ohlc_body(720);
  for (auto _ : state) {
    auto page = kraken_rest::parse_ohlc_response(response);
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations() * 720);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(response.body.size()));
}
BENCHMARK(BM_ParseOhlc720);

void BM_ParseTrades1000(benchmark::State& state) {
  const auto response = trades_body(1000);
  for (auto _ : state) {
    auto page = kraken_rest::parse_trades_response(response);
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(response.body.size()));
}
BENCHMARK(BM_ParseTrades1000);

void BM_AggregateTrades(benchmark::State& state) {
  InstrumentSpec spec;
  spec.id = InstrumentId("BTC/USD");
  spec.price_precision = 1;
  spec.qty_precision = 8;
  const Price price = Price::parse("30243.4", 1).value();
  const Quantity qty = Quantity::parse("0.34507674", 8).value();
  int64_t nanos = 1688669597'000000000;
  history::TradeBarAggregator aggregator(spec, std::chrono::minutes(1));
  for (auto _ : state) {
    nanos += 250'000'000;  // four trades a second
    auto closed = aggregator.add(timestamp_from_nanos(nanos), price, qty);
    benchmark::DoNotOptimize(closed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AggregateTrades);

}  // namespace

BENCHMARK_MAIN();

#pragma once
// Kraken public REST endpoints (Time, AssetPairs, Ticker, OHLC, Trades) over an HttpTransport.
// Decimal values stay exact text as Kraken sent them ("30306.1", "0.00160710"); converting
// them to Price/Quantity needs the instrument's precision (to_instrument_spec, history).
// Results are keyed by Kraken's pair key ("XXBTZUSD"), not by the name asked for.
//
// Each call is one GET with the configured timeout; failures are the transport's codes or the
// mapped Kraken errors (errors.hpp), and kDataLoss for a response of the wrong shape (the
// message names the endpoint and the field). Thread-safe if the transport is.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/core/status.hpp"
#include "galfriday/core/time.hpp"
#include "galfriday/market/instrument.hpp"
#include "galfriday/net/http.hpp"

namespace galfriday::kraken_rest {

struct KrakenServerTime {
  int64_t unixtime = 0;
  std::string rfc1123;  // "Thu, 06 Jul 23 18:50:48 +0000"
};

struct KrakenAssetPair {
  std::string key;      // result key: "XXBTZUSD", "XBTUSDT"
  std::string altname;  // "XBTUSD"
  std::string wsname;   // WS v1 style: "XBT/USD"
  std::string base;     // "XXBT"
  std::string quote;    // "ZUSD"
  int pair_decimals = 0;
  int lot_decimals = 0;
  int cost_decimals = 0;
  std::string ordermin;   // exact text; empty when Kraken omits it
  std::string costmin;    // exact text; empty when Kraken omits it
  std::string tick_size;  // exact text; empty when Kraken omits it
  std::string status;     // "online", "cancel_only", ...; empty when omitted
};

// The WS v2 symbol of a pair ("XBT/USD" -> "BTC/USD", "XDG/USD" -> "DOGE/USD"): v2 uses the
// ISO-style names where the v1 wsname keeps Kraken's legacy ones.
std::string ws_v2_symbol(std::string_view wsname);

// The instrument spec of a pair: id = ws_v2_symbol(wsname), precisions, minimums (zero when
// Kraken omits them) and tick size (one unit of pair_decimals when omitted). kDataLoss when a
// minimum or the tick does not parse at the pair's precision or wsname is not "BASE/QUOTE".
Result<InstrumentSpec> to_instrument_spec(const KrakenAssetPair& pair);

struct KrakenTicker {
  std::string key;  // "XBTUSDT"
  std::string ask, ask_whole_lot_volume, ask_lot_volume;
  std::string bid, bid_whole_lot_volume, bid_lot_volume;
  std::string last_price, last_volume;
  std::string volume_today, volume_24h;
  std::string vwap_today, vwap_24h;
  int64_t trades_today = 0, trades_24h = 0;
  std::string low_today, low_24h;
  std::string high_today, high_24h;
  std::string open_today;
};

// One OHLC row: [time, open, high, low, close, vwap, volume, count].
struct KrakenOhlcRow {
  int64_t time = 0;  // bar start, Unix seconds
  std::string open, high, low, close, vwap, volume;
  int64_t count = 0;
  friend bool operator==(const KrakenOhlcRow&, const KrakenOhlcRow&) = default;
};

struct KrakenOhlcPage {
  std::string key;
  // Oldest first. The last row is the current, not yet closed interval: Kraken always sends
  // it, whatever `since` says.
  std::vector<KrakenOhlcRow> rows;
  int64_t last = 0;  // pass as `since` to get the bars after these
};

// One trade row: [price, volume, time, "b"|"s", "m"|"l", misc, trade_id, ...]; extra elements
// (seen in live responses) are ignored.
struct KrakenTradeRow {
  std::string price;
  std::string volume;
  std::string time;     // exact text, Unix seconds with a fraction: "1688669597.8277369"
  bool buy = false;     // 'b' (aggressor bought) or 's'
  bool market = false;  // 'm' (market order) or 'l' (limit)
  std::string misc;
  std::optional<int64_t> trade_id;  // absent in older responses
  friend bool operator==(const KrakenTradeRow&, const KrakenTradeRow&) = default;
};

struct KrakenTradesPage {
  std::string key;
  std::vector<KrakenTradeRow> rows;  // oldest first
  std::string last;  // nanosecond id ("1688671969993150842"): pass as `since` for the next page
};

// Kraken's "seconds.fraction" time text as a Timestamp, exactly (digits beyond nanoseconds are
// truncated). kInvalidArgument for anything else.
Result<Timestamp> parse_kraken_time(std::string_view text);

// Response parsers, exposed so tests and the simulator can run them on recorded bodies. Each
// checks the envelope first (check_kraken_response rules) then the shape of the result.
Result<KrakenServerTime> parse_time_response(const net::HttpResponse& response);
Result<std::vector<KrakenAssetPair>> parse_asset_pairs_response(const net::HttpResponse& response);
Result<std::vector<KrakenTicker>> parse_ticker_response(const net::HttpResponse& response);
Result<KrakenOhlcPage> parse_ohlc_response(const net::HttpResponse& response);
Result<KrakenTradesPage> parse_trades_response(const net::HttpResponse& response);

struct KrakenPublicClientOptions {
  std::string base_url = "https://api.kraken.com";  // KrakenConfig::rest_url
  std::chrono::milliseconds timeout{10'000};
};

class KrakenPublicClient {
 public:
  // The transport must outlive the client.
  KrakenPublicClient(net::HttpTransport& transport, KrakenPublicClientOptions options);

  Result<KrakenServerTime> time();
  // All pairs when `pairs` is empty; otherwise those named (altname or WS name).
  Result<std::vector<KrakenAssetPair>> asset_pairs(const std::vector<std::string>& pairs = {});
  Result<std::vector<KrakenTicker>> ticker(const std::vector<std::string>& pairs);
  // interval in minutes (1, 5, 15, 30, 60, 240, 1440, 10080, 21600); at most the 720 most
  // recent bars are available.
  Result<KrakenOhlcPage> ohlc(std::string_view pair, int interval_minutes,
                              std::optional<int64_t> since = std::nullopt);
  // count 1..1000 (Kraken's default 1000 when nullopt); since = a previous page's `last`.
  Result<KrakenTradesPage> trades(std::string_view pair, std::optional<std::string> since,
                                  std::optional<int> count = std::nullopt);

 private:
  Result<net::HttpResponse> get(std::string_view endpoint, const std::string& query);

  net::HttpTransport& transport_;
  KrakenPublicClientOptions options_;
};

}  // namespace galfriday::kraken_rest

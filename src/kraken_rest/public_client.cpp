#include "galfriday/kraken_rest/public_client.hpp"

#include <functional>
#include <initializer_list>

#include "galfriday/core/encoding.hpp"
#include "galfriday/kraken_rest/envelope.hpp"
#include "json_reader.hpp"

namespace galfriday::kraken_rest {

namespace {

namespace od = json::od;

// Checks the envelope, then hands the parsed "result" object to `read`.
template <typename T>
Result<T> with_result(std::string_view endpoint, const net::HttpResponse& response,
                      const std::function<Result<T>(od::object&)>& read) {
  auto envelope = check_kraken_response(endpoint, response);
  if (!envelope) return envelope.status();
  simdjson::padded_string padded(*envelope->result_json);
  od::parser parser;
  od::document doc;
  if (auto error = parser.iterate(padded).get(doc))
    return json::json_error(endpoint, "result", error);
  od::object result;
  if (auto error = doc.get_object().get(result))
    return json::json_error(endpoint, "result (expected an object)", error);
  return read(result);
}

// Reads a JSON array of decimals into the given strings, in order; extra elements are an
// error only when `exact` is set.
Status read_decimals(od::value value, std::string_view endpoint, const std::string& where,
                     std::initializer_list<std::string*> outputs) {
  od::array array;
  if (auto error = value.get_array().get(array)) return json::json_error(endpoint, where, error);
  auto output = outputs.begin();
  for (auto element_result : array) {
    if (auto error = element_result.error()) return json::json_error(endpoint, where, error);
    od::value& element = element_result.value_unsafe();
    if (output == outputs.end()) continue;  // tolerate extra elements
    auto text = json::decimal_text(element, endpoint, where);
    if (!text) return text.status();
    **output++ = std::move(text).value();
  }
  if (output != outputs.end())
    return json::shape_error(endpoint, where,
                             "expected " + std::to_string(outputs.size()) + " elements");
  return Status::ok();
}

Status read_integers(od::value value, std::string_view endpoint, const std::string& where,
                     std::initializer_list<int64_t*> outputs) {
  od::array array;
  if (auto error = value.get_array().get(array)) return json::json_error(endpoint, where, error);
  auto output = outputs.begin();
  for (auto element_result : array) {
    if (auto error = element_result.error()) return json::json_error(endpoint, where, error);
    od::value& element = element_result.value_unsafe();
    if (output == outputs.end()) continue;
    auto number = json::integer(element, endpoint, where);
    if (!number) return number.status();
    **output++ = *number;
  }
  if (output != outputs.end())
    return json::shape_error(endpoint, where,
                             "expected " + std::to_string(outputs.size()) + " elements");
  return Status::ok();
}

Result<int> small_int(od::value value, std::string_view endpoint, const std::string& where) {
  auto number = json::integer(value, endpoint, where);
  if (!number) return number.status();
  if (*number < 0 || *number > 64)
    return json::shape_error(endpoint, where,
                             "value " + std::to_string(*number) + " is out of range");
  return static_cast<int>(*number);
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += ',';
    out += part;
  }
  return out;
}

Result<KrakenOhlcRow> read_ohlc_row(od::value value, std::string_view endpoint,
                                    const std::string& where) {
  od::array array;
  if (auto error = value.get_array().get(array)) return json::json_error(endpoint, where, error);
  KrakenOhlcRow row;
  size_t index = 0;
  for (auto element_result : array) {
    if (auto error = element_result.error()) return json::json_error(endpoint, where, error);
    od::value& element = element_result.value_unsafe();
    const std::string at = where + "[" + std::to_string(index) + "]";
    if (index == 0 || index == 7) {
      auto number = json::integer(element, endpoint, at);
      if (!number) return number.status();
      (index == 0 ? row.time : row.count) = *number;
    } else if (index < 7) {
      auto text = json::decimal_text(element, endpoint, at);
      if (!text) return text.status();
      std::string* fields[] = {nullptr,    &row.open, &row.high,  &row.low,
                               &row.close, &row.vwap, &row.volume};
      *fields[index] = std::move(text).value();
    }
    ++index;
  }
  if (index < 8) return json::shape_error(endpoint, where, "expected 8 elements");
  return row;
}

Result<KrakenTradeRow> read_trade_row(od::value value, std::string_view endpoint,
                                      const std::string& where) {
  od::array array;
  if (auto error = value.get_array().get(array)) return json::json_error(endpoint, where, error);
  KrakenTradeRow row;
  size_t index = 0;
  for (auto element_result : array) {
    if (auto error = element_result.error()) return json::json_error(endpoint, where, error);
    od::value& element = element_result.value_unsafe();
    const std::string at = where + "[" + std::to_string(index) + "]";
    switch (index) {
      case 0:
      case 1:
      case 2: {
        auto text = json::decimal_text(element, endpoint, at);
        if (!text) return text.status();
        (index == 0 ? row.price : index == 1 ? row.volume : row.time) = std::move(text).value();
        break;
      }
      case 3:
      case 4: {
        auto text = json::string(element, endpoint, at);
        if (!text) return text.status();
        const std::string_view allowed = index == 3 ? "bs" : "ml";
        if (text->size() != 1 || allowed.find(text->front()) == std::string_view::npos)
          return json::shape_error(endpoint, at, "unexpected '" + *text + "'");
        (index == 3 ? row.buy : row.market) = text->front() == allowed.front();
        break;
      }
      case 5: {
        auto text = json::string(element, endpoint, at);
        if (!text) return text.status();
        row.misc = std::move(text).value();
        break;
      }
      case 6: {
        auto number = json::integer(element, endpoint, at);
        if (!number) return number.status();
        row.trade_id = *number;
        break;
      }
      default:
        break;  // newer responses carry more elements
    }
    ++index;
  }
  if (index < 6) return json::shape_error(endpoint, where, "expected at least 6 elements");
  auto time = parse_kraken_time(row.time);
  if (!time) return json::shape_error(endpoint, where + "[2]", time.status().message());
  return row;
}

}  // namespace

// ---- Conversions --------------------------------------------------------------------------

std::string ws_v2_symbol(std::string_view wsname) {
  const auto rename = [](std::string_view asset) -> std::string {
    if (asset == "XBT") return "BTC";
    if (asset == "XDG") return "DOGE";
    return std::string(asset);
  };
  const size_t slash = wsname.find('/');
  if (slash == std::string_view::npos) return std::string(wsname);
  return rename(wsname.substr(0, slash)) + "/" + rename(wsname.substr(slash + 1));
}

Result<InstrumentSpec> to_instrument_spec(const KrakenAssetPair& pair) {
  const auto fail = [&](const std::string& problem) {
    return data_loss("Kraken AssetPairs " + pair.key + ": " + problem);
  };
  const size_t slash = pair.wsname.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == pair.wsname.size())
    return fail("wsname '" + pair.wsname + "' is not BASE/QUOTE");
  InstrumentSpec spec;
  spec.id = InstrumentId(ws_v2_symbol(pair.wsname));
  spec.altname = pair.altname;
  const std::string symbol = ws_v2_symbol(pair.wsname);
  spec.base = symbol.substr(0, symbol.find('/'));
  spec.quote = symbol.substr(symbol.find('/') + 1);
  spec.price_precision = pair.pair_decimals;
  spec.qty_precision = pair.lot_decimals;
  spec.cost_precision = pair.cost_decimals;
  spec.ordermin = Quantity::from_raw(0, pair.lot_decimals);
  spec.costmin = Money::from_raw(0, pair.cost_decimals);
  spec.tick_size = Price::from_raw(1, pair.pair_decimals);
  if (!pair.ordermin.empty()) {
    auto value = Quantity::parse(pair.ordermin, pair.lot_decimals);
    if (!value) return fail("ordermin: " + value.status().message());
    spec.ordermin = *value;
  }
  if (!pair.costmin.empty()) {
    auto value = Money::parse(pair.costmin, pair.cost_decimals);
    if (!value) return fail("costmin: " + value.status().message());
    spec.costmin = *value;
  }
  if (!pair.tick_size.empty()) {
    auto value = Price::parse(pair.tick_size, pair.pair_decimals);
    if (!value) return fail("tick_size: " + value.status().message());
    if (!value->is_positive()) return fail("tick_size must be positive");
    spec.tick_size = *value;
  }
  return spec;
}

Result<Timestamp> parse_kraken_time(std::string_view text) {
  const auto fail = [&] {
    return invalid_argument("'" + std::string(text) + "' is not a Kraken time (seconds.fraction)");
  };
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  // Up to year 2286 in seconds keeps the nanoseconds inside int64.
  constexpr int64_t kMaxSeconds = 9'999'999'999;
  if (whole.empty() || ec != std::errc{} || end != whole.data() + whole.size() || seconds < 0 ||
      seconds > kMaxSeconds)
    return fail();
  int64_t nanos = 0;
  if (dot != std::string_view::npos) {
    const std::string_view fraction = text.substr(dot + 1);
    if (fraction.empty()) return fail();
    int digits = 0;
    for (char c : fraction) {
      if (c < '0' || c > '9') return fail();
      if (digits < 9) {
        nanos = nanos * 10 + (c - '0');
        ++digits;
      }
    }
    for (; digits < 9; ++digits) nanos *= 10;
  }
  return timestamp_from_nanos(seconds * 1'000'000'000 + nanos);
}

// ---- Response parsers ---------------------------------------------------------------------

Result<KrakenServerTime> parse_time_response(const net::HttpResponse& response) {
  constexpr std::string_view kEndpoint = "Time";
  return with_result<KrakenServerTime>(
      kEndpoint, response, [&](od::object& result) -> Result<KrakenServerTime> {
        KrakenServerTime time;
        bool saw_unixtime = false;
        for (auto field_result : result) {
          if (auto error = field_result.error())
            return json::json_error(kEndpoint, "result", error);
          od::field& field = field_result.value_unsafe();
          std::string_view key;
          if (auto error = field.unescaped_key().get(key))
            return json::json_error(kEndpoint, "result", error);
          if (key == "unixtime") {
            auto value = json::integer(field.value(), kEndpoint, "unixtime");
            if (!value) return value.status();
            time.unixtime = *value;
            saw_unixtime = true;
          } else if (key == "rfc1123") {
            auto value = json::string(field.value(), kEndpoint, "rfc1123");
            if (!value) return value.status();
            time.rfc1123 = std::move(value).value();
          }
        }
        if (!saw_unixtime) return json::shape_error(kEndpoint, "result", "no unixtime");
        return time;
      });
}

Result<std::vector<KrakenAssetPair>> parse_asset_pairs_response(const net::HttpResponse& response) {
  constexpr std::string_view kEndpoint = "AssetPairs";
  using Pairs = std::vector<KrakenAssetPair>;
  return with_result<Pairs>(kEndpoint, response, [&](od::object& result) -> Result<Pairs> {
    Pairs pairs;
    for (auto pair_result : result) {
      if (auto error = pair_result.error()) return json::json_error(kEndpoint, "result", error);
      od::field& pair_field = pair_result.value_unsafe();
      std::string_view pair_key;
      if (auto error = pair_field.unescaped_key().get(pair_key))
        return json::json_error(kEndpoint, "result", error);
      KrakenAssetPair pair;
      pair.key = std::string(pair_key);
      od::object fields;
      if (auto error = pair_field.value().get_object().get(fields))
        return json::json_error(kEndpoint, pair.key, error);
      bool saw_decimals[3] = {false, false, false};
      for (auto field_result : fields) {
        if (auto error = field_result.error()) return json::json_error(kEndpoint, pair.key, error);
        od::field& field = field_result.value_unsafe();
        std::string_view key;
        if (auto error = field.unescaped_key().get(key))
          return json::json_error(kEndpoint, pair.key, error);
        const std::string where = pair.key + "." + std::string(key);
        std::string* text_field = nullptr;
        if (key == "altname") text_field = &pair.altname;
        if (key == "wsname") text_field = &pair.wsname;
        if (key == "base") text_field = &pair.base;
        if (key == "quote") text_field = &pair.quote;
        if (key == "status") text_field = &pair.status;
        if (text_field) {
          auto value = json::string(field.value(), kEndpoint, where);
          if (!value) return value.status();
          *text_field = std::move(value).value();
          continue;
        }
        std::string* decimal_field = nullptr;
        if (key == "ordermin") decimal_field = &pair.ordermin;
        if (key == "costmin") decimal_field = &pair.costmin;
        if (key == "tick_size") decimal_field = &pair.tick_size;
        if (decimal_field) {
          auto value = json::decimal_text(field.value(), kEndpoint, where);
          if (!value) return value.status();
          *decimal_field = std::move(value).value();
          continue;
        }
        int* int_field = nullptr;
        int index = -1;
        if (key == "pair_decimals") int_field = &pair.pair_decimals, index = 0;
        if (key == "lot_decimals") int_field = &pair.lot_decimals, index = 1;
        if (key == "cost_decimals") int_field = &pair.cost_decimals, index = 2;
        if (int_field) {
          auto value = small_int(field.value(), kEndpoint, where);
          if (!value) return value.status();
          if (*value > kMaxPrecision)
            return json::shape_error(kEndpoint, where, "more decimals than supported");
          *int_field = *value;
          saw_decimals[index] = true;
        }
      }
      if (pair.altname.empty() || pair.wsname.empty())
        return json::shape_error(kEndpoint, pair.key, "missing altname or wsname");
      if (!saw_decimals[0] || !saw_decimals[1])
        return json::shape_error(kEndpoint, pair.key, "missing pair_decimals or lot_decimals");
      // Older responses have no cost_decimals; the quote is then priced at pair_decimals.
      if (!saw_decimals[2]) pair.cost_decimals = pair.pair_decimals;
      pairs.push_back(std::move(pair));
    }
    return pairs;
  });
}

Result<std::vector<KrakenTicker>> parse_ticker_response(const net::HttpResponse& response) {
  constexpr std::string_view kEndpoint = "Ticker";
  using Tickers = std::vector<KrakenTicker>;
  return with_result<Tickers>(kEndpoint, response, [&](od::object& result) -> Result<Tickers> {
    Tickers tickers;
    for (auto pair_result : result) {
      if (auto error = pair_result.error()) return json::json_error(kEndpoint, "result", error);
      od::field& pair_field = pair_result.value_unsafe();
      std::string_view pair_key;
      if (auto error = pair_field.unescaped_key().get(pair_key))
        return json::json_error(kEndpoint, "result", error);
      KrakenTicker t;
      t.key = std::string(pair_key);
      od::object fields;
      if (auto error = pair_field.value().get_object().get(fields))
        return json::json_error(kEndpoint, t.key, error);
      for (auto field_result : fields) {
        if (auto error = field_result.error()) return json::json_error(kEndpoint, t.key, error);
        od::field& field = field_result.value_unsafe();
        std::string_view key;
        if (auto error = field.unescaped_key().get(key))
          return json::json_error(kEndpoint, t.key, error);
        const std::string where = t.key + "." + std::string(key);
        Status status = Status::ok();
        if (key == "a") {
          status = read_decimals(field.value(), kEndpoint, where,
                                 {&t.ask, &t.ask_whole_lot_volume, &t.ask_lot_volume});
        } else if (key == "b") {
          status = read_decimals(field.value(), kEndpoint, where,
                                 {&t.bid, &t.bid_whole_lot_volume, &t.bid_lot_volume});
        } else if (key == "c") {
          status = read_decimals(field.value(), kEndpoint, where, {&t.last_price, &t.last_volume});
        } else if (key == "v") {
          status = read_decimals(field.value(), kEndpoint, where, {&t.volume_today, &t.volume_24h});
        } else if (key == "p") {
          status = read_decimals(field.value(), kEndpoint, where, {&t.vwap_today, &t.vwap_24h});
        } else if (key == "t") {
          status = read_integers(field.value(), kEndpoint, where, {&t.trades_today, &t.trades_24h});
        } else if (key == "l") {
          status = read_decimals(field.value(), kEndpoint, where, {&t.low_today, &t.low_24h});
        } else if (key == "h") {
          status = read_decimals(field.value(), kEndpoint, where, {&t.high_today, &t.high_24h});
        } else if (key == "o") {
          auto value = json::decimal_text(field.value(), kEndpoint, where);
          if (!value) return value.status();
          t.open_today = std::move(value).value();
        }
        if (!status.is_ok()) return status;
      }
      if (t.ask.empty() || t.bid.empty() || t.last_price.empty())
        return json::shape_error(kEndpoint, t.key, "missing a, b or c");
      tickers.push_back(std::move(t));
    }
    return tickers;
  });
}

// OHLC and Trades share one result shape: {"<pair key>": [rows...], "last": <cursor>}.
// `read_row` parses one row; `set_last` stores the cursor in the page's own representation.
template <typename Page, typename ReadRow, typename SetLast>
Result<Page> parse_pair_rows_page(std::string_view endpoint, const net::HttpResponse& response,
                                  ReadRow read_row, SetLast set_last) {
  return with_result<Page>(endpoint, response, [&](od::object& result) -> Result<Page> {
    Page page;
    bool saw_last = false;
    bool saw_pair = false;
    for (auto field_result : result) {
      if (auto error = field_result.error()) return json::json_error(endpoint, "result", error);
      od::field& field = field_result.value_unsafe();
      std::string_view key;
      if (auto error = field.unescaped_key().get(key))
        return json::json_error(endpoint, "result", error);
      if (key == "last") {
        auto last = json::integer(field.value(), endpoint, "last");
        if (!last) return last.status();
        set_last(page, *last);
        saw_last = true;
        continue;
      }
      if (saw_pair)
        return json::shape_error(endpoint, "result",
                                 "more than one pair (" + page.key + ", " + std::string(key) + ")");
      saw_pair = true;
      page.key = std::string(key);
      od::array rows;
      if (auto error = field.value().get_array().get(rows))
        return json::json_error(endpoint, page.key, error);
      for (auto row_result : rows) {
        if (auto error = row_result.error()) return json::json_error(endpoint, page.key, error);
        od::value& row_value = row_result.value_unsafe();
        auto row =
            read_row(row_value, endpoint, page.key + "[" + std::to_string(page.rows.size()) + "]");
        if (!row) return row.status();
        page.rows.push_back(std::move(row).value());
      }
    }
    if (!saw_pair) return json::shape_error(endpoint, "result", "no pair");
    if (!saw_last) return json::shape_error(endpoint, "result", "no last");
    return page;
  });
}

Result<KrakenOhlcPage> parse_ohlc_response(const net::HttpResponse& response) {
  return parse_pair_rows_page<KrakenOhlcPage>(
      "OHLC", response,
      [](od::value& row, std::string_view endpoint, const std::string& where) {
        return read_ohlc_row(row, endpoint, where);
      },
      [](KrakenOhlcPage& page, int64_t last) { page.last = last; });
}

Result<KrakenTradesPage> parse_trades_response(const net::HttpResponse& response) {
  return parse_pair_rows_page<KrakenTradesPage>(
      "Trades", response,
      [](od::value& row, std::string_view endpoint, const std::string& where) {
        return read_trade_row(row, endpoint, where);
      },
      // A nanosecond id; kept as its digits.
      [](KrakenTradesPage& page, int64_t last) { page.last = std::to_string(last); });
}

// ---- Client -------------------------------------------------------------------------------

KrakenPublicClient::KrakenPublicClient(net::HttpTransport& transport,
                                       KrakenPublicClientOptions options)
    : transport_(transport), options_(std::move(options)) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/')
    options_.base_url.pop_back();
}

Result<net::HttpResponse> KrakenPublicClient::get(std::string_view endpoint,
                                                  const std::string& query) {
  net::HttpRequest request;
  request.method = net::HttpMethod::kGet;
  request.url =
      options_.base_url + "/0/public/" + std::string(endpoint) + (query.empty() ? "" : "?" + query);
  auto response = transport_.send(request, options_.timeout);
  if (!response) return response.status().with_context("Kraken " + std::string(endpoint));
  return response;
}

Result<KrakenServerTime> KrakenPublicClient::time() {
  auto response = get("Time", "");
  if (!response) return response.status();
  return parse_time_response(*response);
}

Result<std::vector<KrakenAssetPair>> KrakenPublicClient::asset_pairs(
    const std::vector<std::string>& pairs) {
  auto response = get("AssetPairs", pairs.empty() ? "" : "pair=" + percent_encode(join(pairs)));
  if (!response) return response.status();
  return parse_asset_pairs_response(*response);
}

Result<std::vector<KrakenTicker>> KrakenPublicClient::ticker(
    const std::vector<std::string>& pairs) {
  auto response = get("Ticker", pairs.empty() ? "" : "pair=" + percent_encode(join(pairs)));
  if (!response) return response.status();
  return parse_ticker_response(*response);
}

Result<KrakenOhlcPage> KrakenPublicClient::ohlc(std::string_view pair, int interval_minutes,
                                                std::optional<int64_t> since) {
  std::string query =
      "pair=" + percent_encode(pair) + "&interval=" + std::to_string(interval_minutes);
  if (since) query += "&since=" + std::to_string(*since);
  auto response = get("OHLC", query);
  if (!response) return response.status();
  return parse_ohlc_response(*response);
}

Result<KrakenTradesPage> KrakenPublicClient::trades(std::string_view pair,
                                                    std::optional<std::string> since,
                                                    std::optional<int> count) {
  std::string query = "pair=" + percent_encode(pair);
  if (since) query += "&since=" + percent_encode(*since);
  if (count) query += "&count=" + std::to_string(*count);
  auto response = get("Trades", query);
  if (!response) return response.status();
  return parse_trades_response(*response);
}

}  // namespace galfriday::kraken_rest

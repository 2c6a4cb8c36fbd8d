#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "fake_transport.hpp"
#include "galfriday/kraken_rest/envelope.hpp"
#include "galfriday/kraken_rest/errors.hpp"
#include "galfriday/kraken_rest/public_client.hpp"

namespace galfriday::kraken_rest {
namespace {

using test_support::FakeTransport;
using test_support::ok_response;

// The JSON documents of a samples file: one per line, comment lines ('#', '//') skipped.
std::vector<std::string> sample_lines(const std::string& name) {
  std::ifstream in(std::string(GF_SAMPLES_DIR) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.starts_with('#') || line.starts_with("//")) continue;
    lines.push_back(line);
  }
  return lines;
}

// A whole-file JSON sample with its '//' comment lines removed.
std::string sample_document(const std::string& name) {
  std::string out;
  for (const auto& line : sample_lines(name)) out += line + "\n";
  return out;
}

std::string line_containing(const std::string& file, std::string_view needle) {
  for (const auto& line : sample_lines(file))
    if (line.find(needle) != std::string::npos) return line;
  ADD_FAILURE() << "no line with " << needle << " in " << file;
  return {};
}

// ---- Error vocabulary ---------------------------------------------------------------------

TEST(KrakenErrors, RealErrorSamplesMapToStatusCodes) {
  const auto lines = sample_lines("rest_error_responses.jsonl");
  ASSERT_EQ(lines.size(), 6u);
  struct Expected {
    StatusCode code;
    KrakenErrorKind kind;
    std::string detail;
  };
  const std::vector<Expected> expected = {
      {StatusCode::kInvalidArgument, KrakenErrorKind::kInvalidArguments, "ordertype"},
      {StatusCode::kPermissionDenied, KrakenErrorKind::kInvalidKey, ""},
      {StatusCode::kFailedPrecondition, KrakenErrorKind::kInvalidNonce, ""},
      {StatusCode::kInvalidArgument, KrakenErrorKind::kInvalidPrice,
       "XXBTZEUR price can only be specified up to 1 decimals."},
      {StatusCode::kInvalidArgument, KrakenErrorKind::kInvalidArguments, "volume"},
  };
  for (size_t i = 0; i < expected.size(); ++i) {
    auto envelope = parse_kraken_envelope("AddOrder", lines[i]);
    ASSERT_TRUE(envelope.is_ok()) << lines[i] << ": " << envelope.status().to_string();
    ASSERT_EQ(envelope->errors.size(), 1u) << lines[i];
    const KrakenError& error = envelope->errors.front();
    EXPECT_EQ(error.code, expected[i].code) << lines[i];
    EXPECT_EQ(error.kind, expected[i].kind) << lines[i];
    EXPECT_EQ(error.detail, expected[i].detail) << lines[i];

    auto checked = check_kraken_response("AddOrder", ok_response(lines[i]));
    ASSERT_FALSE(checked.is_ok());
    EXPECT_EQ(checked.status().code(), expected[i].code);
    EXPECT_NE(checked.status().message().find("Kraken AddOrder: " + error.text), std::string::npos)
        << checked.status().message();
  }
  // The "result":{} next to an error does not make the call a success.
  EXPECT_TRUE(parse_kraken_envelope("X", lines[1])->result_json.has_value());
  EXPECT_FALSE(parse_kraken_envelope("X", lines[0])->result_json.has_value());
  // The WS v2 form (error is one string) is not a REST envelope.
  auto ws = parse_kraken_envelope("AddOrder", lines[5]);
  ASSERT_FALSE(ws.is_ok());
  EXPECT_EQ(ws.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(ws.status().message().find("Kraken AddOrder response: error"), std::string::npos)
      << ws.status().message();
}

TEST(KrakenErrors, DocumentedVocabularyIsClassified) {
  struct Case {
    const char* text;
    KrakenErrorKind kind;
    StatusCode code;
    bool safe_to_retry;
    bool rate_limited;
  };
  using K = KrakenErrorKind;
  using C = StatusCode;
  const Case cases[] = {
      {"EGeneral:Invalid arguments", K::kInvalidArguments, C::kInvalidArgument, false, false},
      {"EGeneral:Invalid arguments:Index unavailable", K::kInvalidArguments, C::kInvalidArgument,
       false, false},
      {"EGeneral:Temporary lockout", K::kTemporaryLockout, C::kPermissionDenied, false, false},
      {"EService:Unavailable", K::kServiceUnavailable, C::kUnavailable, true, false},
      {"EService:Busy", K::kServiceUnavailable, C::kUnavailable, true, false},
      {"EService:Market in cancel_only mode", K::kMarketRestricted, C::kFailedPrecondition, false,
       false},
      {"EService:Market in post_only mode", K::kMarketRestricted, C::kFailedPrecondition, false,
       false},
      {"EService:Deadline elapsed", K::kDeadlineElapsed, C::kDeadlineExceeded, true, false},
      {"EAPI:Invalid key", K::kInvalidKey, C::kPermissionDenied, false, false},
      {"EAPI:Invalid signature", K::kInvalidSignature, C::kPermissionDenied, false, false},
      {"EAPI:Invalid nonce", K::kInvalidNonce, C::kFailedPrecondition, true, false},
      {"EGeneral:Permission denied", K::kPermissionDenied, C::kPermissionDenied, false, false},
      {"EGeneral:Internal error", K::kInternalError, C::kUnavailable, false, false},
      {"EGeneral:Internal error:1234", K::kInternalError, C::kUnavailable, false, false},
      {"EOrder:Insufficient funds", K::kInsufficientFunds, C::kFailedPrecondition, false, false},
      {"EOrder:Order minimum not met", K::kOrderMinimum, C::kInvalidArgument, false, false},
      {"EOrder:Cost minimum not met", K::kCostMinimum, C::kInvalidArgument, false, false},
      {"EOrder:Tick size check failed", K::kTickSize, C::kInvalidArgument, false, false},
      {"EOrder:Orders limit exceeded", K::kOrdersLimit, C::kResourceExhausted, false, false},
      {"EOrder:Rate limit exceeded", K::kRateLimit, C::kResourceExhausted, true, true},
      {"EOrder:Domain rate limit exceeded", K::kRateLimit, C::kResourceExhausted, true, true},
      {"EOrder:Invalid price", K::kInvalidPrice, C::kInvalidArgument, false, false},
      {"EOrder:Margin allowance exceeded", K::kMargin, C::kFailedPrecondition, false, false},
      {"EOrder:Margin level too low", K::kMargin, C::kFailedPrecondition, false, false},
      {"EOrder:Margin position size exceeded", K::kMargin, C::kFailedPrecondition, false, false},
      {"EOrder:Insufficient margin", K::kMargin, C::kFailedPrecondition, false, false},
      {"EOrder:Cannot open position", K::kMargin, C::kFailedPrecondition, false, false},
      {"EOrder:Cannot open opposing position", K::kMargin, C::kFailedPrecondition, false, false},
      {"EOrder:Reduce only:Non-PC", K::kReduceOnly, C::kFailedPrecondition, false, false},
      {"EOrder:Positions limit exceeded", K::kOrdersLimit, C::kResourceExhausted, false, false},
      {"EOrder:Scheduled orders limit exceeded", K::kOrdersLimit, C::kResourceExhausted, false,
       false},
      {"EOrder:Unknown position", K::kUnknownPosition, C::kNotFound, false, false},
      {"EOrder:Unknown order", K::kUnknownOrder, C::kNotFound, false, false},
      {"EQuery:Unknown asset pair", K::kUnknownAssetPair, C::kNotFound, false, false},
      {"EAccount:Invalid permissions", K::kPermissionDenied, C::kPermissionDenied, false, false},
      {"EAuth:Account temporary disabled", K::kAccountDisabled, C::kPermissionDenied, false, false},
      {"EAuth:Account unconfirmed", K::kAccountDisabled, C::kPermissionDenied, false, false},
      {"EAuth:Rate limit exceeded", K::kRateLimit, C::kResourceExhausted, true, true},
      {"EAuth:Too many requests", K::kRateLimit, C::kResourceExhausted, true, true},
      {"ETrade:Invalid request", K::kInvalidArguments, C::kInvalidArgument, false, false},
      {"EBM:limit exceeded:CAL", K::kOrdersLimit, C::kResourceExhausted, false, false},
      {"EFunding:Max fee exceeded", K::kFundingError, C::kFailedPrecondition, false, false},
      {"EAPI:Rate limit exceeded", K::kRateLimit, C::kResourceExhausted, true, true},
      {"EService: Throttled: 1700000000", K::kThrottled, C::kResourceExhausted, true, true},
      {"ESomething:Never seen before", K::kUnrecognized, C::kFailedPrecondition, false, false},
  };
  for (const Case& c : cases) {
    const KrakenError error = classify_kraken_error(c.text);
    EXPECT_EQ(error.kind, c.kind) << c.text << " -> " << to_string(error.kind);
    EXPECT_EQ(error.code, c.code) << c.text;
    EXPECT_EQ(error.safe_to_retry, c.safe_to_retry) << c.text;
    EXPECT_EQ(error.rate_limited, c.rate_limited) << c.text;
    EXPECT_EQ(error.outcome_unknown, c.kind == K::kInternalError) << c.text;
    EXPECT_EQ(error.text, c.text);
  }
  EXPECT_EQ(classify_kraken_error("EService: Throttled: 1700000000").retry_at_unix, 1700000000);
  EXPECT_FALSE(classify_kraken_error("EService: Throttled").retry_at_unix.has_value());
  EXPECT_EQ(classify_kraken_error("EBM:limit exceeded:CAL").detail, "CAL");
}

TEST(KrakenEnvelope, WarningsRideAlongAResult) {
  auto envelope = check_kraken_response(
      "Ticker", ok_response(R"({"error":["WGeneral:Danger"],"result":{"x":1}})"));
  ASSERT_TRUE(envelope.is_ok()) << envelope.status().to_string();
  EXPECT_EQ(envelope->warnings, std::vector<std::string>{"WGeneral:Danger"});
  EXPECT_EQ(envelope->result_json, std::optional<std::string>(R"({"x":1})"));
}

TEST(KrakenEnvelope, HttpStatusAndShapeFailures) {
  net::HttpResponse response = ok_response("<html>bad gateway</html>");
  response.status = 502;
  EXPECT_EQ(check_kraken_response("Time", response).status().code(), StatusCode::kUnavailable);
  response.status = 429;
  EXPECT_EQ(check_kraken_response("Time", response).status().code(),
            StatusCode::kResourceExhausted);
  response.status = 403;
  EXPECT_EQ(check_kraken_response("Time", response).status().code(), StatusCode::kPermissionDenied);
  response.status = 503;
  response.body = R"({"error":["EService:Unavailable"]})";
  auto with_errors = check_kraken_response("Time", response);
  EXPECT_EQ(with_errors.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(with_errors.status().message().find("EService:Unavailable"), std::string::npos);

  for (const char* body : {"<html>oops</html>", "[]", R"({"result":{}})", R"({"error":[]})",
                           R"({"error":[1],"result":{}})", R"({"error":[],"result":{}} x)"}) {
    auto checked = check_kraken_response("Time", ok_response(body));
    ASSERT_FALSE(checked.is_ok()) << body;
    EXPECT_EQ(checked.status().code(), StatusCode::kDataLoss) << body;
    EXPECT_NE(checked.status().message().find("Kraken Time response"), std::string::npos)
        << checked.status().message();
  }
}

// ---- Public endpoints on the real samples ---------------------------------------------------

TEST(KrakenPublic, AssetPairsSampleGivesInstrumentSpec) {
  auto pairs =
      parse_asset_pairs_response(ok_response(sample_document("rest_assetpairs_response.json")));
  ASSERT_TRUE(pairs.is_ok()) << pairs.status().to_string();
  ASSERT_EQ(pairs->size(), 1u);
  const KrakenAssetPair& pair = pairs->front();
  EXPECT_EQ(pair.key, "XBTUSDT");
  EXPECT_EQ(pair.altname, "XBTUSDT");
  EXPECT_EQ(pair.wsname, "XBT/USDT");
  EXPECT_EQ(pair.base, "XXBT");
  EXPECT_EQ(pair.quote, "USDT");
  EXPECT_EQ(pair.pair_decimals, 1);
  EXPECT_EQ(pair.lot_decimals, 8);
  EXPECT_EQ(pair.cost_decimals, 5);
  EXPECT_EQ(pair.ordermin, "0.00005");
  EXPECT_EQ(pair.costmin, "0.5");
  EXPECT_EQ(pair.tick_size, "0.1");
  EXPECT_EQ(pair.status, "online");

  auto spec = to_instrument_spec(pair);
  ASSERT_TRUE(spec.is_ok()) << spec.status().to_string();
  EXPECT_EQ(spec->id, InstrumentId("BTC/USDT"));
  EXPECT_EQ(spec->altname, "XBTUSDT");
  EXPECT_EQ(spec->base, "BTC");
  EXPECT_EQ(spec->quote, "USDT");
  EXPECT_EQ(spec->price_precision, 1);
  EXPECT_EQ(spec->qty_precision, 8);
  EXPECT_EQ(spec->cost_precision, 5);
  EXPECT_EQ(spec->ordermin.raw(), 5000);  // 0.00005 at 8 decimals
  EXPECT_EQ(spec->ordermin.to_string(), "0.00005000");
  EXPECT_EQ(spec->costmin.to_string(), "0.50000");
  EXPECT_EQ(spec->tick_size.to_string(), "0.1");
}

TEST(KrakenPublic, InstrumentSpecRejectsValuesFinerThanThePairPrecision) {
  KrakenAssetPair pair;
  pair.key = "XXBTZUSD";
  pair.altname = "XBTUSD";
  pair.wsname = "XBT/USD";
  pair.pair_decimals = 1;
  pair.lot_decimals = 8;
  pair.cost_decimals = 5;
  pair.tick_size = "0.05";
  auto spec = to_instrument_spec(pair);
  ASSERT_FALSE(spec.is_ok());
  EXPECT_EQ(spec.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(spec.status().message().find("XXBTZUSD: tick_size"), std::string::npos);
  pair.tick_size.clear();
  pair.wsname = "XDGUSD";
  EXPECT_FALSE(to_instrument_spec(pair).is_ok());
  pair.wsname = "XDG/USD";
  auto doge = to_instrument_spec(pair);
  ASSERT_TRUE(doge.is_ok());
  EXPECT_EQ(doge->id, InstrumentId("DOGE/USD"));
  EXPECT_EQ(doge->tick_size.to_string(), "0.1");  // one unit of pair_decimals when omitted
}

TEST(KrakenPublic, OhlcSamplesKeepExactText) {
  const auto lines = sample_lines("rest_ohlc_response.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  auto recorded = parse_ohlc_response(ok_response(lines[0]));
  ASSERT_TRUE(recorded.is_ok()) << recorded.status().to_string();
  EXPECT_EQ(recorded->key, "XBTUSDT");
  EXPECT_EQ(recorded->last, 1706796000);  // sent as a string here
  ASSERT_EQ(recorded->rows.size(), 6u);
  EXPECT_EQ(recorded->rows[0], (KrakenOhlcRow{1706626800, "43437.5", "43593.7", "43355.5",
                                              "43361.1", "43511.3", "18.75430110", 162}));
  EXPECT_EQ(recorded->rows[5].time, 1706799600);
  EXPECT_EQ(recorded->rows[5].count, 612);

  auto official = parse_ohlc_response(ok_response(lines[1]));
  ASSERT_TRUE(official.is_ok()) << official.status().to_string();
  EXPECT_EQ(official->key, "XXBTZUSD");
  EXPECT_EQ(official->last, 1688672160);  // sent as an integer here
  ASSERT_EQ(official->rows.size(), 4u);
  EXPECT_EQ(official->rows[3], (KrakenOhlcRow{1688671380, "30291.8", "30295.1", "30291.8",
                                              "30295.0", "30293.8", "1.01836275", 9}));
}

TEST(KrakenPublic, TradesSamplesKeepExactTextAndTolerateExtraElements) {
  auto recorded = parse_trades_response(
      ok_response(line_containing("rest_public_market_data.jsonl", "6324366")));
  ASSERT_TRUE(recorded.is_ok()) << recorded.status().to_string();
  EXPECT_EQ(recorded->key, "XBTUSDT");
  EXPECT_EQ(recorded->last, "1710327959173746878");
  ASSERT_EQ(recorded->rows.size(), 1u);
  EXPECT_EQ(recorded->rows[0], (KrakenTradeRow{"73324.40000", "0.01030900", "1710327959.1733468",
                                               true, true, "", 6324366}));

  auto official = parse_trades_response(
      ok_response(line_containing("rest_public_market_data.jsonl", "61044952")));
  ASSERT_TRUE(official.is_ok()) << official.status().to_string();
  EXPECT_EQ(official->last, "1688671969993150842");
  ASSERT_EQ(official->rows.size(), 3u);
  EXPECT_EQ(official->rows[1].price, "30243.30000");
  EXPECT_EQ(official->rows[1].volume, "0.00376960");
  EXPECT_EQ(official->rows[1].time, "1688669598.2804112");
  EXPECT_FALSE(official->rows[1].buy);
  EXPECT_FALSE(official->rows[1].market);
  EXPECT_EQ(official->rows[2].trade_id, 61044956);
}

TEST(KrakenPublic, TickerSample) {
  auto tickers = parse_ticker_response(
      ok_response(line_containing("rest_public_market_data.jsonl", "\"a\":[")));
  ASSERT_TRUE(tickers.is_ok()) << tickers.status().to_string();
  ASSERT_EQ(tickers->size(), 1u);
  const KrakenTicker& t = tickers->front();
  EXPECT_EQ(t.key, "XBTUSDT");
  EXPECT_EQ(t.ask, "73380.70000");
  EXPECT_EQ(t.ask_whole_lot_volume, "1");
  EXPECT_EQ(t.ask_lot_volume, "1.000");
  EXPECT_EQ(t.bid, "73380.60000");
  EXPECT_EQ(t.last_price, "73380.60000");
  EXPECT_EQ(t.last_volume, "0.00160710");
  EXPECT_EQ(t.volume_24h, "598.03698452");
  EXPECT_EQ(t.vwap_today, "72647.97204");
  EXPECT_EQ(t.trades_today, 6405);
  EXPECT_EQ(t.trades_24h, 21103);
  EXPECT_EQ(t.low_24h, "68666.00000");
  EXPECT_EQ(t.high_today, "73580.00000");
  EXPECT_EQ(t.open_today, "71450.70000");
}

TEST(KrakenPublic, KrakenTimeTextIsExact) {
  EXPECT_EQ(to_nanos(*parse_kraken_time("1688669597.8277369")), 1688669597827736900);
  EXPECT_EQ(to_nanos(*parse_kraken_time("1710327959.1733468")), 1710327959173346800);
  EXPECT_EQ(to_nanos(*parse_kraken_time("1688669602.698379")), 1688669602698379000);
  EXPECT_EQ(to_nanos(*parse_kraken_time("1688669602")), 1688669602000000000);
  EXPECT_EQ(to_nanos(*parse_kraken_time("1.1234567891")), 1123456789);  // truncated
  for (const char* bad : {"", ".5", "1.", "1e9", "-1.5", "abc", "1.2.3", "99999999999"})
    EXPECT_FALSE(parse_kraken_time(bad).is_ok()) << bad;
}

TEST(KrakenPublicClient, BuildsRequestsAndParsesAnswers) {
  FakeTransport transport([](const net::HttpRequest& request) -> Result<net::HttpResponse> {
    if (request.url.find("/Time") != std::string::npos)
      return ok_response(
          R"({"error":[],"result":{"unixtime":1688669448,"rfc1123":"Thu, 06 Jul 23 18:50:48 +0000"}})");
    if (request.url.find("/OHLC") != std::string::npos)
      return ok_response(sample_lines("rest_ohlc_response.jsonl")[1]);
    if (request.url.find("/Trades") != std::string::npos)
      return ok_response(line_containing("rest_public_market_data.jsonl", "61044952"));
    if (request.url.find("/AssetPairs") != std::string::npos)
      return ok_response(sample_document("rest_assetpairs_response.json"));
    return unavailable("no route");
  });
  KrakenPublicClient client(transport, {"http://127.0.0.1:9/", std::chrono::milliseconds(500)});
  auto time = client.time();
  ASSERT_TRUE(time.is_ok()) << time.status().to_string();
  EXPECT_EQ(time->unixtime, 1688669448);
  EXPECT_EQ(time->rfc1123, "Thu, 06 Jul 23 18:50:48 +0000");
  ASSERT_TRUE(client.ohlc("XBTUSD", 60, 1688671200).is_ok());
  ASSERT_TRUE(client.trades("XBTUSD", std::string("1688671969993150842"), 1000).is_ok());
  ASSERT_TRUE(client.asset_pairs({"BTC/USD", "ETH/BTC"}).is_ok());
  auto ticker = client.ticker({"XBTUSD"});
  ASSERT_FALSE(ticker.is_ok());
  EXPECT_EQ(ticker.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(ticker.status().message().find("Kraken Ticker"), std::string::npos)
      << ticker.status().message();

  const auto requests = transport.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[0].url, "http://127.0.0.1:9/0/public/Time");
  EXPECT_EQ(requests[1].url,
            "http://127.0.0.1:9/0/public/OHLC?pair=XBTUSD&interval=60&since=1688671200");
  EXPECT_EQ(requests[2].url,
            "http://127.0.0.1:9/0/public/Trades?pair=XBTUSD&since=1688671969993150842&count=1000");
  EXPECT_EQ(requests[3].url, "http://127.0.0.1:9/0/public/AssetPairs?pair=BTC%2FUSD%2CETH%2FBTC");
  for (const auto& request : requests) EXPECT_EQ(request.method, net::HttpMethod::kGet);
}

// ---- Robustness: mutated samples never crash and fail with a clear error ----------------------

TEST(KrakenPublicRobustness, MutatedSamplesFailCleanly) {
  std::vector<std::string> bodies = sample_lines("rest_ohlc_response.jsonl");
  for (const auto& line : sample_lines("rest_public_market_data.jsonl")) bodies.push_back(line);
  for (const auto& line : sample_lines("rest_error_responses.jsonl")) bodies.push_back(line);
  bodies.push_back(sample_document("rest_assetpairs_response.json"));

  const auto run_all = [](const std::string& body) {
    const auto response = ok_response(body);
    const auto check = [&](const Status& status) {
      if (status.is_ok()) return;
      EXPECT_FALSE(status.message().empty());
      EXPECT_NE(status.code(), StatusCode::kInternal) << status.message();
    };
    check(parse_time_response(response).status());
    check(parse_asset_pairs_response(response).status());
    check(parse_ticker_response(response).status());
    check(parse_ohlc_response(response).status());
    check(parse_trades_response(response).status());
  };

  std::mt19937 rng(20260525);  // fixed seed: the same mutations on every run
  const std::string interesting = "{}[]\",:0-.eE\\ \x01\xff";
  int mutations = 0;
  for (const auto& body : bodies) {
    run_all(body);
    for (size_t cut = 0; cut < body.size(); cut += 7) run_all(body.substr(0, cut));
    for (int round = 0; round < 200; ++round) {
      std::string mutated = body;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !mutated.empty(); ++e) {
        const size_t at = rng() % mutated.size();
        const char c = interesting[rng() % interesting.size()];
        switch (rng() % 3) {
          case 0:
            mutated[at] = c;
            break;
          case 1:
            mutated.insert(mutated.begin() + static_cast<std::ptrdiff_t>(at), c);
            break;
          default:
            mutated.erase(at, 1);
            break;
        }
      }
      run_all(mutated);
      ++mutations;
    }
  }
  EXPECT_GT(mutations, 1000);
  // Deep nesting is refused, not recursed into.
  run_all(std::string(100000, '[') + std::string(100000, ']'));
}

}  // namespace
}  // namespace galfriday::kraken_rest

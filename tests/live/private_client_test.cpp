#include "galfriday/live/private_client.hpp"

#include <gtest/gtest.h>

#include <map>

#include "fake_kraken.hpp"
#include "live_test_support.hpp"

namespace galfriday::live {
namespace {

using test_support::FakeKrakenTransport;
using test_support::sample_lines;
using test_support::TempDir;

// Kraken's documented example secret (rest_auth_test_vector.txt).
constexpr std::string_view kSecret =
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";
constexpr std::string_view kApiKey = "test-api-key-0123456789";

// Advances the simulated clock instead of sleeping, and remembers each wait.
class ClockSleeper final : public Sleeper {
 public:
  explicit ClockSleeper(SimulatedClock& clock) : clock_(clock) {}
  void sleep_for(Duration duration) override {
    waits.push_back(duration);
    clock_.advance_to(clock_.now() + duration);
  }
  std::vector<Duration> waits;

 private:
  SimulatedClock& clock_;
};

struct Harness {
  explicit Harness(PrivateClientOptions options = {},
                   Timestamp start = timestamp_from_seconds(1'700'000'000))
      : clock(start), sleeper(clock), transport(std::string(kApiKey), std::string(kSecret)) {
    nonces = NonceGenerator::open(dir.file("kraken_nonce"), clock).value();
    options.base_url = "https://api.kraken.com";
    client = KrakenPrivateClient::create(transport, *nonces, clock, sleeper, std::string(kApiKey),
                                         kSecret, options)
                 .value();
  }
  TempDir dir;
  SimulatedClock clock;
  ClockSleeper sleeper;
  FakeKrakenTransport transport;
  std::unique_ptr<NonceGenerator> nonces;
  std::unique_ptr<KrakenPrivateClient> client;
};

AddOrderRequest limit_buy() {
  AddOrderRequest request;
  request.pair = "XBTUSD";
  request.side = Side::kBuy;
  request.ordertype = "limit";
  request.volume = "1.25000000";
  request.price = "27500.0";
  request.cl_ord_id = ClientOrderId("6d1b345e-2821-40e2-ad83-4ecb18a06876");
  return request;
}

TEST(PrivateClient, SignedRequestReproducesKrakensDocumentedExampleByteForByte) {
  // At this clock the nanosecond nonce equals the example's nonce, so the whole wire request
  // (path, body, API-Sign) must be Kraken's example.
  Harness h({}, timestamp_from_nanos(1616492376594));
  auto request = h.client->build_request("AddOrder", {{"ordertype", "limit"},
                                                      {"pair", "XBTUSD"},
                                                      {"price", "37500"},
                                                      {"type", "buy"},
                                                      {"volume", "1.25"}});
  ASSERT_TRUE(request) << request.status().to_string();
  EXPECT_EQ(request->url, "https://api.kraken.com/0/private/AddOrder");
  EXPECT_EQ(request->body,
            "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25");
  std::map<std::string, std::string> headers;
  for (const auto& header : request->headers) headers[header.name] = header.value;
  EXPECT_EQ(
      headers["API-Sign"],
      "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ==");
  EXPECT_EQ(headers["API-Key"], kApiKey);
  EXPECT_EQ(headers["Content-Type"], "application/x-www-form-urlencoded");
}

TEST(PrivateClient, AddOrderSendsClOrdIdAndParsesTheRealResponse) {
  Harness h;
  const auto samples = sample_lines("rest_addorder_response.jsonl");
  h.transport.answer("AddOrder", samples.at(0));
  auto added = h.client->add_order(limit_buy());
  ASSERT_TRUE(added) << added.status().to_string();
  ASSERT_EQ(added->txids.size(), 1u);
  EXPECT_EQ(added->txids[0].str(), "OL7LNO-R4SAD-6UINEU");
  EXPECT_EQ(added->description, "buy 0.10000000 LTCUSDT @ market");
  EXPECT_FALSE(added->recovered_by_query);
  ASSERT_EQ(h.transport.requests.size(), 1u);
  const auto& sent = h.transport.requests[0];
  EXPECT_TRUE(sent.authenticated);
  EXPECT_EQ(sent.params.front().first, "nonce");
  EXPECT_EQ(sent.param("cl_ord_id"), "6d1b345e-2821-40e2-ad83-4ecb18a06876");
  EXPECT_EQ(sent.param("volume"), "1.25000000");
  EXPECT_EQ(sent.param("price"), "27500.0");
  EXPECT_EQ(sent.param("type"), "buy");
  EXPECT_EQ(sent.param("validate"), "");
}

TEST(PrivateClient, ValidateOnlyAddOrderNeedsNoTxid) {
  Harness h;
  h.transport.answer(
      "AddOrder",
      R"({"error":[],"result":{"descr":{"order":"buy 1.25000000 XBTUSD @ limit 27500.0"}}})");
  AddOrderRequest request = limit_buy();
  request.validate = true;
  auto added = h.client->add_order(request);
  ASSERT_TRUE(added) << added.status().to_string();
  EXPECT_TRUE(added->txids.empty());
  EXPECT_EQ(h.transport.requests.at(0).param("validate"), "true");
}

TEST(PrivateClient, AddOrderTimeoutAfterKrakenAcceptedItYieldsExactlyOneOrder) {
  Harness h;
  h.transport.fail("AddOrder", Status(StatusCode::kDeadlineExceeded, "no response in 10000 ms"));
  h.transport.answer("OpenOrders", R"({"error":[],"result":{"open":{"OU22CG-KLAF2-FWUDD7":{
      "refid":null,"userref":0,"cl_ord_id":"6d1b345e-2821-40e2-ad83-4ecb18a06876","status":"open",
      "opentm":1688666559.8974,"starttm":0,"expiretm":0,
      "descr":{"pair":"XBTUSD","type":"buy","ordertype":"limit","price":"27500.0","price2":"0",
               "leverage":"none","order":"buy 1.25000000 XBTUSD @ limit 27500.0","close":""},
      "vol":"1.25000000","vol_exec":"0.00000000","cost":"0.00000","fee":"0.00000",
      "price":"0.00000","stopprice":"0.00000","limitprice":"0.00000","misc":"","oflags":"fciq"}}}})");
  auto added = h.client->add_order(limit_buy());
  ASSERT_TRUE(added) << added.status().to_string();
  EXPECT_TRUE(added->recovered_by_query);
  EXPECT_EQ(added->txids.at(0).str(), "OU22CG-KLAF2-FWUDD7");
  EXPECT_EQ(h.transport.count("AddOrder"), 1) << "the order must not be sent twice";
  EXPECT_EQ(h.transport.requests.at(1).param("cl_ord_id"), "6d1b345e-2821-40e2-ad83-4ecb18a06876");
}

TEST(PrivateClient, AddOrderWithUnknownOutcomeIsResentOnlyWhenKrakenHasNoSuchOrder) {
  Harness h;
  h.transport.fail("AddOrder", Status(StatusCode::kUnavailable, "connection reset after write"));
  h.transport.answer("OpenOrders", R"({"error":[],"result":{"open":{}}})");
  h.transport.answer("ClosedOrders", R"({"error":[],"result":{"closed":{},"count":0}})");
  h.transport.answer("AddOrder", sample_lines("rest_addorder_response.jsonl").at(1));
  auto added = h.client->add_order(limit_buy());
  ASSERT_TRUE(added) << added.status().to_string();
  EXPECT_FALSE(added->recovered_by_query);
  EXPECT_EQ(added->txids.at(0).str(), "OUF4EM-FRGI2-MQMWZD");
  ASSERT_EQ(h.transport.count("AddOrder"), 2);
  std::vector<std::string> sequence;
  for (const auto& request : h.transport.requests) sequence.push_back(request.method);
  EXPECT_EQ(sequence,
            (std::vector<std::string>{"AddOrder", "OpenOrders", "ClosedOrders", "AddOrder"}));
  // Same cl_ord_id both times, so Kraken itself could refuse a duplicate.
  EXPECT_EQ(h.transport.requests[0].param("cl_ord_id"), h.transport.requests[3].param("cl_ord_id"));
  EXPECT_NE(h.transport.requests[0].param("nonce"), h.transport.requests[3].param("nonce"));
}

TEST(PrivateClient, AddOrderInternalErrorIsTreatedAsUnknownOutcome) {
  Harness h;
  h.transport.answer("AddOrder", R"({"error":["EGeneral:Internal error"]})");
  h.transport.answer("OpenOrders", R"({"error":[],"result":{"open":{}}})");
  h.transport.answer("ClosedOrders", R"({"error":[],"result":{"closed":{"OU22CG-KLAF2-FWUDD7":{
      "cl_ord_id":"6d1b345e-2821-40e2-ad83-4ecb18a06876","status":"closed","reason":null,
      "descr":{"pair":"XBTUSD","type":"buy","ordertype":"limit","price":"27500.0"},
      "vol":"1.25000000","vol_exec":"1.25000000","cost":"34375.00000","fee":"89.37500","price":"27500.0"}},"count":1}})");
  auto added = h.client->add_order(limit_buy());
  ASSERT_TRUE(added) << added.status().to_string();
  EXPECT_TRUE(added->recovered_by_query);
  EXPECT_EQ(h.transport.count("AddOrder"), 1);
}

TEST(PrivateClient, AddOrderWhoseLookupAlsoFailsIsNotResent) {
  Harness h;
  h.transport.fail("AddOrder", Status(StatusCode::kDeadlineExceeded, "timeout"));
  for (int i = 0; i < 4; ++i)
    h.transport.fail("OpenOrders", Status(StatusCode::kUnavailable, "down"));
  auto added = h.client->add_order(limit_buy());
  ASSERT_FALSE(added);
  EXPECT_EQ(added.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(h.transport.count("AddOrder"), 1);
}

TEST(PrivateClient, RealErrorSamplesMapToStatusCodesAndOnlySafeOnesAreRetried) {
  struct Case {
    std::string body;
    StatusCode code;
    int attempts;  // calls sent for one balance() with max_attempts 4
  };
  const auto samples = sample_lines("rest_error_responses.jsonl");
  ASSERT_GE(samples.size(), 6u);
  const std::vector<Case> cases = {
      {samples[0], StatusCode::kInvalidArgument, 1},     // EGeneral:Invalid arguments:ordertype
      {samples[1], StatusCode::kPermissionDenied, 1},    // EAPI:Invalid key
      {samples[2], StatusCode::kFailedPrecondition, 4},  // EAPI:Invalid nonce: new nonce, retried
      {samples[3], StatusCode::kInvalidArgument, 1},     // EOrder:Invalid price:...
      {samples[4], StatusCode::kInvalidArgument, 1},     // EGeneral:Invalid arguments:volume
  };
  for (const Case& c : cases) {
    Harness h;
    for (int i = 0; i < 4; ++i) h.transport.answer("Balance", c.body);
    auto balance = h.client->balance();
    ASSERT_FALSE(balance) << c.body;
    EXPECT_EQ(balance.status().code(), c.code) << c.body << " -> " << balance.status().to_string();
    EXPECT_EQ(h.transport.count("Balance"), c.attempts) << c.body;
    const std::string message = balance.status().to_string();
    EXPECT_EQ(message.find(kSecret), std::string::npos);
    EXPECT_EQ(message.find(kApiKey), std::string::npos);
  }
}

TEST(PrivateClient, TransientErrorsAreRetriedWithExponentialBackoff) {
  Harness h;
  h.transport.answer("Balance", R"({"error":["EService:Unavailable"]})");
  h.transport.fail("Balance", Status(StatusCode::kDeadlineExceeded, "timeout"));
  h.transport.answer_http("Balance", 503, "Service Unavailable");
  h.transport.answer("Balance",
                     R"({"error":[],"result":{"ZUSD":"171288.6158","XXBT":"1011.1908877900"}})");
  auto balance = h.client->balance();
  ASSERT_TRUE(balance) << balance.status().to_string();
  EXPECT_EQ(balance->at("ZUSD"), "171288.6158");
  EXPECT_EQ(balance->at("XXBT"), "1011.1908877900");
  EXPECT_EQ(h.sleeper.waits,
            (std::vector<Duration>{std::chrono::milliseconds(250), std::chrono::milliseconds(500),
                                   std::chrono::milliseconds(1000)}));
}

TEST(PrivateClient, ThrottledWaitsUntilTheTimeKrakenNames) {
  Harness h;
  const int64_t now_s = to_seconds(h.clock.now());
  h.transport.answer("OpenOrders",
                     R"({"error":["EService: Throttled: )" + std::to_string(now_s + 7) + R"("]})");
  h.transport.answer("OpenOrders", R"({"error":[],"result":{"open":{}}})");
  auto open = h.client->open_orders();
  ASSERT_TRUE(open) << open.status().to_string();
  EXPECT_TRUE(open->empty());
  ASSERT_EQ(h.sleeper.waits.size(), 1u);
  EXPECT_EQ(h.sleeper.waits[0], std::chrono::seconds(7));
}

TEST(PrivateClient, LocalRestCounterWaitsOnTheClockThenRefuses) {
  PrivateClientOptions options;
  options.tier = VerificationTier::kStarter;
  options.max_rate_wait = std::chrono::seconds(4);
  Harness h(options);
  for (int i = 0; i < 17; ++i) {
    h.transport.answer("Balance", R"({"error":[],"result":{}})");
  }
  for (int i = 0; i < 15; ++i) ASSERT_TRUE(h.client->balance());
  EXPECT_TRUE(h.sleeper.waits.empty());
  ASSERT_TRUE(h.client->balance());  // waits 1 / 0.33 s on the counter
  ASSERT_EQ(h.sleeper.waits.size(), 1u);
  EXPECT_EQ(h.sleeper.waits[0], std::chrono::nanoseconds(3'030'303'031));

  PrivateClientOptions strict = options;
  strict.max_rate_wait = std::chrono::seconds(1);
  Harness s(strict);
  for (int i = 0; i < 16; ++i) s.transport.answer("Balance", R"({"error":[],"result":{}})");
  for (int i = 0; i < 15; ++i) ASSERT_TRUE(s.client->balance());
  auto refused = s.client->balance();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(s.transport.count("Balance"), 15) << "a refused call is not sent";
}

TEST(PrivateClient, CancelDeadMansSwitchAndTokenParseTheRealSamples) {
  Harness h;
  const auto samples = sample_lines("rest_addorder_response.jsonl");
  h.transport.answer("CancelOrder", samples.at(2));
  h.transport.answer("CancelAll", samples.at(2));
  h.transport.answer("CancelAllOrdersAfter", samples.at(3));
  h.transport.answer("GetWebSocketsToken", samples.at(4));
  auto cancel = h.client->cancel_order(ClientOrderId("6d1b345e-2821-40e2-ad83-4ecb18a06876"));
  ASSERT_TRUE(cancel) << cancel.status().to_string();
  EXPECT_EQ(cancel->count, 1);
  EXPECT_EQ(h.transport.requests.back().param("cl_ord_id"), "6d1b345e-2821-40e2-ad83-4ecb18a06876");
  auto all = h.client->cancel_all();
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, 1);
  auto dms = h.client->cancel_all_orders_after(60);
  ASSERT_TRUE(dms) << dms.status().to_string();
  EXPECT_EQ(dms->current_time, "2023-03-24T17:41:56Z");
  EXPECT_EQ(dms->trigger_time, "2023-03-24T17:42:56Z");
  EXPECT_EQ(h.transport.requests.back().param("timeout"), "60");
  auto token = h.client->get_websockets_token();
  ASSERT_TRUE(token) << token.status().to_string();
  EXPECT_EQ(token->token, "1Dwc4lzSwNWOAwkMdqhssNNFhs1ed606d1WcF3XfEMw");
  EXPECT_EQ(token->expires_s, 900);
  EXPECT_EQ(h.client->cancel_all_orders_after(86'400).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(PrivateClient, TradesHistoryAndQueryOrdersKeepExactText) {
  Harness h;
  h.transport.answer("TradesHistory", R"({"error":[],"result":{"trades":{
      "THVRQM-33VKH-UCI7BS":{"ordertxid":"OQCLML-BW3P3-BUCMWZ","postxid":"TKH2SE-M7IF5-CFI7LT",
        "pair":"XXBTZUSD","time":1688667796.8802,"type":"buy","ordertype":"limit","price":"30010.00000",
        "cost":"600.20000","fee":"0.00000","vol":"0.02000000","margin":"0.00000","misc":"","trade_id":93748276,"maker":true},
      "TCWJEG-FL4SZ-3FKGH6":{"ordertxid":"OQCLML-BW3P3-BUCMWZ","pair":"XXBTZUSD","time":1688667769.6396,
        "type":"buy","ordertype":"limit","price":"30010.00000","cost":"300.10000","fee":"0.00000",
        "vol":"0.01000000","trade_id":93748275,"maker":false}},"count":2}})");
  auto trades = h.client->trades_history({});
  ASSERT_TRUE(trades) << trades.status().to_string();
  ASSERT_EQ(trades->trades.size(), 2u);
  EXPECT_EQ(trades->count, 2);
  // Oldest first.
  EXPECT_EQ(trades->trades[0].txid.str(), "TCWJEG-FL4SZ-3FKGH6");
  EXPECT_EQ(trades->trades[1].vol, "0.02000000");
  EXPECT_TRUE(trades->trades[1].maker);
  EXPECT_EQ(format_iso8601(trades->trades[1].time), "2023-07-06T18:23:16.8802Z");

  h.transport.answer("QueryOrders", R"({"error":[],"result":{"OBCMZD-JIEE7-77TH3F":{"refid":null,
      "userref":0,"status":"open","opentm":1688665496.7808,"descr":{"pair":"XBTUSD","type":"sell",
      "ordertype":"limit","price":"31000.0"},"vol":"0.50000000","vol_exec":"0.20000000",
      "cost":"6200.00000","fee":"16.12000","price":"31000.0","trades":["TZX2WP-XSEOP-FP7WYR"]}}})");
  auto orders = h.client->query_orders({ExchangeOrderId("OBCMZD-JIEE7-77TH3F")}, true);
  ASSERT_TRUE(orders) << orders.status().to_string();
  ASSERT_EQ(orders->size(), 1u);
  const KrakenOrder& order = orders->front();
  EXPECT_EQ(order.side, Side::kSell);
  EXPECT_EQ(order.vol_exec, "0.20000000");
  EXPECT_EQ(*to_order_status(order), OrderStatus::kPartiallyFilled);
  ASSERT_EQ(order.trades.size(), 1u);
  EXPECT_EQ(h.transport.requests.back().param("txid"), "OBCMZD-JIEE7-77TH3F");
  EXPECT_EQ(h.transport.count("TradesHistory"), 1);
}

TEST(PrivateClient, BalanceExKeepsNumbersAsExactText) {
  Harness h;
  h.transport.answer(
      "BalanceEx",
      R"({"error":[],"result":{"ZUSD":{"balance":25435.21,"hold_trade":8249.76},"XXBT":{"balance":"1.1234567890"}}})");
  auto balances = h.client->balance_ex();
  ASSERT_TRUE(balances) << balances.status().to_string();
  ASSERT_EQ(balances->size(), 2u);
  EXPECT_EQ((*balances)[0].balance, "25435.21");
  EXPECT_EQ((*balances)[0].hold_trade, "8249.76");
  EXPECT_EQ((*balances)[1].balance, "1.1234567890");
  EXPECT_EQ((*balances)[1].hold_trade, "0");
}

TEST(PrivateClient, MalformedResultIsDataLossNamingTheEndpoint) {
  Harness h;
  h.transport.answer("OpenOrders", R"({"error":[],"result":{"closed":{}}})");
  auto open = h.client->open_orders();
  ASSERT_FALSE(open);
  EXPECT_EQ(open.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(open.status().message().find("OpenOrders"), std::string::npos);
}

TEST(PrivateClient, OrderStatusMappingCoversKrakenRestStatuses) {
  KrakenOrder order;
  order.txid = ExchangeOrderId("O1");
  order.vol_exec = "0.00000000";
  const std::vector<std::pair<std::string, OrderStatus>> cases = {
      {"pending", OrderStatus::kPendingNew},
      {"open", OrderStatus::kNew},
      {"closed", OrderStatus::kFilled},
      {"canceled", OrderStatus::kCanceled},
      {"expired", OrderStatus::kExpired}};
  for (const auto& [text, status] : cases) {
    order.status = text;
    EXPECT_EQ(*to_order_status(order), status) << text;
  }
  order.status = "weird";
  EXPECT_EQ(to_order_status(order).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace galfriday::live

// The simulator's private REST side over real loopback HTTP: Kraken's authentication errors,
// the request/response shapes KrakenPrivateClient parses, matching and balances, and faults.

#include "galfriday/kraken_sim/private_exchange.hpp"

#include <gtest/gtest.h>

#include "../live/live_test_support.hpp"
#include "../support/kraken_account.hpp"
#include "galfriday/kraken_sim/simulator.hpp"
#include "galfriday/live/client_order_id.hpp"
#include "galfriday/live/private_client.hpp"
#include "galfriday/net/beast_http_transport.hpp"

namespace galfriday::kraken_sim {
namespace {

using live::test_support::TempDir;

constexpr std::string_view kSecret = test::kKrakenExampleSecret;
// Another valid base64 secret: signatures made with it are wrong for the simulator's key.
constexpr std::string_view kOtherSecret =
    "c2VjcmV0LXRoYXQtaXMtbm90LXRoZS1rZXlzLXNlY3JldC1idXQtaXMtdmFsaWQtYmFzZTY0IQ==";
constexpr std::string_view kApiKey = "sim-test-key";

using test::btc_usd_spec;

class PrivateExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SimulatorOptions options;
    options.pairs.push_back({btc_usd_spec(), *Price::parse("50000.0", 1), "XXBTZUSD"});
    options.tick_interval = Duration::zero();
    PrivateApiOptions api;
    api.api_key = std::string(kApiKey);
    api.api_secret = std::string(kSecret);
    api.balances = {{"ZUSD", "10000.0000"}};
    api.clock = &clock;
    options.private_api = api;
    sim = KrakenSimulator::start(options).value();
    transport = net::BeastHttpTransport::create().value();
    nonces = live::NonceGenerator::open(dir.file("nonce"), clock).value();
    client = make_client(std::string(kApiKey), kSecret);
  }

  std::unique_ptr<live::KrakenPrivateClient> make_client(std::string key, std::string_view secret) {
    live::PrivateClientOptions options;
    options.base_url = sim->rest_url();
    options.tier = config::VerificationTier::kPro;
    options.initial_backoff = std::chrono::milliseconds(10);
    return live::KrakenPrivateClient::create(*transport, *nonces, clock, sleeper, std::move(key),
                                             secret, options)
        .value();
  }

  // The raw answer to one signed request as `signer` builds it.
  std::string send(live::KrakenPrivateClient& signer, const std::string& method,
                   std::function<void(net::HttpRequest&)> tamper = {}) {
    auto request = signer.build_request(method, {});
    EXPECT_TRUE(request.is_ok());
    if (tamper) tamper(*request);
    auto response = transport->send(*request, std::chrono::milliseconds(5000));
    EXPECT_TRUE(response.is_ok()) << response.status().to_string();
    return response ? response->body : std::string();
  }

  TempDir dir;
  LiveClock clock;
  live::ThreadSleeper sleeper;
  std::unique_ptr<KrakenSimulator> sim;
  std::unique_ptr<net::BeastHttpTransport> transport;
  std::unique_ptr<live::NonceGenerator> nonces;
  std::unique_ptr<live::KrakenPrivateClient> client;
};

TEST_F(PrivateExchangeTest, RejectsBadKeySignatureAndNonceWithKrakensErrors) {
  // The documented error strings, each in Kraken's envelope with HTTP 200.
  auto wrong_key = make_client("not-the-key", kSecret);
  EXPECT_EQ(send(*wrong_key, "Balance"), R"({"error":["EAPI:Invalid key"]})");
  auto wrong_secret = make_client(std::string(kApiKey), kOtherSecret);
  EXPECT_EQ(send(*wrong_secret, "Balance"), R"({"error":["EAPI:Invalid signature"]})");
  // A body changed after signing (here: a parameter appended) fails the signature too.
  EXPECT_EQ(send(*client, "Balance", [](net::HttpRequest& r) { r.body += "&asset=ZUSD"; }),
            R"({"error":["EAPI:Invalid signature"]})");

  // A replayed request: valid signature, but its nonce is not above the last accepted one.
  auto request = client->build_request("Balance", {}).value();
  auto first = transport->send(request, std::chrono::milliseconds(5000)).value();
  EXPECT_EQ(first.body.rfind(R"({"error":[],"result":{)", 0), 0u) << first.body;
  auto replay = transport->send(request, std::chrono::milliseconds(5000)).value();
  EXPECT_EQ(replay.body, R"({"error":["EAPI:Invalid nonce"]})");
  // An older nonce that was never used is stale as well.
  auto older = client->build_request("Balance", {}).value();
  auto newer = client->build_request("Balance", {}).value();
  EXPECT_TRUE(transport->send(newer, std::chrono::milliseconds(5000)).is_ok());
  EXPECT_EQ(transport->send(older, std::chrono::milliseconds(5000)).value().body,
            R"({"error":["EAPI:Invalid nonce"]})");
  EXPECT_EQ(sim->private_exchange()->stats().rejected_auth, 5u);

  // The client surfaces them as errors that are not retried into success.
  auto refused = wrong_secret->balance();
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("EAPI:Invalid signature"), std::string::npos);
}

TEST_F(PrivateExchangeTest, OrdersMatchAgainstTheBookAndMoveBalances) {
  const InstrumentId btc("BTC/USD");
  const auto book = sim->book(btc, 1).value();
  // A limit buy far below the book rests; OpenOrders finds it by cl_ord_id.
  live::AddOrderRequest resting;
  resting.pair = "XBTUSD";
  resting.side = Side::kBuy;
  resting.ordertype = "limit";
  resting.volume = "0.01000000";
  resting.price = (book.bids.front().price - *Price::parse("1000.0", 1)).to_string();
  resting.cl_ord_id = live::derive_client_order_id("sim-test", OrderPurpose::kEntry);
  auto added = client->add_order(resting);
  ASSERT_TRUE(added.is_ok()) << added.status().to_string();
  ASSERT_EQ(added->txids.size(), 1u);
  EXPECT_EQ(added->txids.front().str().size(), 19u);  // "OXXXXX-XXXXX-XXXXXX"
  auto found = client->find_order(resting.cl_ord_id).value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->status, "open");
  EXPECT_EQ(found->txid, added->txids.front());
  auto balances = client->balance_ex().value();
  ASSERT_EQ(balances.size(), 1u);
  EXPECT_EQ(balances.front().asset, "ZUSD");
  EXPECT_NE(balances.front().hold_trade, "0") << "the resting buy holds quote";

  // Cancelled by cl_ord_id; ClosedOrders then reports it with its reason.
  auto cancelled = client->cancel_order(resting.cl_ord_id);
  ASSERT_TRUE(cancelled.is_ok());
  EXPECT_EQ(cancelled->count, 1);
  auto closed = client->find_order(resting.cl_ord_id).value();
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(closed->status, "canceled");
  EXPECT_EQ(client->cancel_order(resting.cl_ord_id).status().code(), StatusCode::kNotFound);

  // A market buy fills at the best ask (taker fee 0.40 %); the balances follow.
  live::AddOrderRequest market;
  market.pair = "XBTUSD";
  market.side = Side::kBuy;
  market.ordertype = "market";
  market.volume = "0.01000000";
  market.cl_ord_id = live::derive_client_order_id("sim-test", OrderPurpose::kExit);
  ASSERT_TRUE(client->add_order(market).is_ok());
  auto trades = client->trades_history({}).value();
  ASSERT_GE(trades.trades.size(), 1u);
  Quantity bought;
  Money paid;
  for (const auto& trade : trades.trades) {
    EXPECT_EQ(trade.pair, "XXBTZUSD");
    EXPECT_FALSE(trade.maker);
    bought += *Quantity::parse(trade.vol, 8);
    paid += *Money::parse(trade.cost, 5) + *Money::parse(trade.fee, 5);
  }
  EXPECT_EQ(bought, *Quantity::parse("0.01", 8));
  EXPECT_EQ(trades.trades.front().price, book.asks.front().price.to_string());
  const auto after = sim->private_exchange()->balances();
  EXPECT_EQ(*Money::parse(after.at("XXBT")), *Money::parse("0.01"));
  EXPECT_EQ(*Money::parse(after.at("ZUSD")), *Money::parse("10000") - paid);

  // Kraken's order checks.
  live::AddOrderRequest tiny = market;
  tiny.volume = "0.00001000";
  tiny.cl_ord_id = live::derive_client_order_id("sim-test-tiny", OrderPurpose::kEntry);
  auto refused = client->add_order(tiny);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("EOrder:Order minimum not met"), std::string::npos);
  live::AddOrderRequest rich = market;
  rich.volume = "5.00000000";
  rich.cl_ord_id = live::derive_client_order_id("sim-test-rich", OrderPurpose::kEntry);
  auto broke = client->add_order(rich);
  ASSERT_FALSE(broke.is_ok());
  EXPECT_NE(broke.status().message().find("EOrder:Insufficient funds"), std::string::npos);
}

TEST_F(PrivateExchangeTest, InjectedFaultsLookLikeKrakens) {
  PrivateExchange& exchange = *sim->private_exchange();
  // Rate limit and 5xx are not executed: a query is retried into success.
  exchange.inject("Balance", PrivateFault::kRateLimit);
  exchange.inject("Balance", PrivateFault::kServerError);
  auto balance = client->balance();
  ASSERT_TRUE(balance.is_ok()) << balance.status().to_string();
  EXPECT_EQ(balance->at("ZUSD"), "10000.0000");
  EXPECT_EQ(exchange.stats().faults_injected, 2u);
  EXPECT_EQ(exchange.stats().requests_by_method.at("Balance"), 3u);

  // A lost answer to AddOrder: the order exists once and the client finds it by cl_ord_id.
  exchange.inject("AddOrder", PrivateFault::kDropResponseAfterAccept);
  live::AddOrderRequest order;
  order.pair = "XBTUSD";
  order.side = Side::kBuy;
  order.ordertype = "limit";
  order.volume = "0.01000000";
  order.price = "40000.0";
  order.cl_ord_id = live::derive_client_order_id("sim-fault", OrderPurpose::kEntry);
  auto added = client->add_order(order);
  ASSERT_TRUE(added.is_ok()) << added.status().to_string();
  EXPECT_TRUE(added->recovered_by_query);
  EXPECT_EQ(exchange.orders().size(), 1u);
  EXPECT_EQ(exchange.stats().requests_by_method.at("AddOrder"), 1u);
}

}  // namespace
}  // namespace galfriday::kraken_sim

// The Kraken simulator: checksums, determinism, the WS v2 protocol seen by a plain Beast
// client, and the REST endpoints read back with kraken_rest's parsers.

#include "galfriday/kraken_sim/simulator.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <fstream>

#include "galfriday/kraken/ws_codec.hpp"
#include "galfriday/kraken_rest/public_client.hpp"
#include "galfriday/market/order_book.hpp"
#include "galfriday/net/beast_http_transport.hpp"
#include "sim_test_support.hpp"

namespace galfriday::kraken_sim {
namespace {

using ::testing::HasSubstr;
using testing::manual_options;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

TEST(KrakenSimChecksum, MatchesKrakensDocumentedExample) {
  std::ifstream in(std::string(GF_SAMPLES_DIR) + "/ws_v2_book_docs_examples.jsonl");
  ASSERT_TRUE(in.is_open());
  kraken::WsDecoder decoder;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line.find("\"BTC/USD\"") == std::string::npos) continue;
    auto message = decoder.decode(line);
    ASSERT_TRUE(message.is_ok());
    const auto& book_message = std::get<kraken::BookMessage>(*message);
    auto book = OrderBook::create(InstrumentId("BTC/USD"), 1, 8, 10).value();
    ASSERT_TRUE(book.apply_snapshot(book_message.bids, book_message.asks).is_ok());
    std::vector<BookLevel> bids(book.bids().begin(), book.bids().end());
    std::vector<BookLevel> asks(book.asks().begin(), book.asks().end());
    EXPECT_EQ(kraken_book_checksum(bids, asks), 3310070434u);
    return;
  }
  FAIL() << "no BTC/USD example in the samples";
}

TEST(KrakenSimWire, NumbersAreTrimmedLikeKrakens) {
  EXPECT_EQ(wire_number(Quantity::parse("4", 8).value()), "4.0");
  EXPECT_EQ(wire_number(Price::parse("0.566", 5).value()), "0.566");
  EXPECT_EQ(wire_number(Price::parse("30306.1", 1).value()), "30306.1");
  EXPECT_EQ(wire_number(Price::parse("42000", 0).value()), "42000.0");
}

TEST(KrakenSim, SameSeedSameFeed) {
  auto a = KrakenSimulator::start(manual_options(11));
  auto b = KrakenSimulator::start(manual_options(11));
  auto c = KrakenSimulator::start(manual_options(12));
  ASSERT_TRUE(a.is_ok() && b.is_ok() && c.is_ok());
  (*a)->step(200);
  (*b)->step(200);
  (*c)->step(200);
  const InstrumentId btc("BTC/USD");
  const auto book_a = (*a)->book(btc, 25).value();
  const auto book_b = (*b)->book(btc, 25).value();
  EXPECT_EQ(book_a.bids, book_b.bids);
  EXPECT_EQ(book_a.asks, book_b.asks);
  EXPECT_EQ(book_a.checksum, book_b.checksum);
  EXPECT_NE(book_a.checksum, (*c)->book(btc, 25)->checksum);
  EXPECT_EQ(book_a.bids.size(), 25u);
  EXPECT_LT(book_a.bids.front().price, book_a.asks.front().price);  // never crossed
  EXPECT_EQ((*a)->exchange_time(), manual_options().start_time + std::chrono::seconds(200));
}

// A synchronous WebSocket client for protocol checks.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : ws_(ioc_) {
    ws_.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    ws_.next_layer().set_option(tcp::no_delay(true));
    ws_.handshake("127.0.0.1", "/v2");
  }
  void send(const std::string& text) { ws_.write(asio::buffer(text)); }
  std::string read() {
    beast::flat_buffer buffer;
    ws_.read(buffer);
    return beast::buffers_to_string(buffer.data());
  }

 private:
  asio::io_context ioc_;
  websocket::stream<tcp::socket> ws_;
};

TEST(KrakenSim, BookUpdatesKeepEverySubscriberChecksumCorrect) {
  auto sim = KrakenSimulator::start(manual_options());
  ASSERT_TRUE(sim.is_ok());
  RawClient client((*sim)->port());
  EXPECT_THAT(client.read(), HasSubstr(R"("channel":"status")"));
  client.send(
      R"({"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10},"req_id":7})");
  const std::string ack = client.read();
  EXPECT_THAT(ack, HasSubstr(R"("success":true)"));
  EXPECT_THAT(ack, HasSubstr(R"("req_id":7)"));

  kraken::WsDecoder decoder;
  auto book = OrderBook::create(InstrumentId("BTC/USD"), 1, 8, 10).value();
  auto apply = [&](const std::string& frame) {
    auto message = decoder.decode(frame);
    ASSERT_TRUE(message.is_ok()) << frame;
    auto* book_message = std::get_if<kraken::BookMessage>(&*message);
    ASSERT_NE(book_message, nullptr) << frame;
    const Status applied = book_message->is_snapshot
                               ? book.apply_snapshot(book_message->bids, book_message->asks)
                               : book.apply_update(book_message->bids, book_message->asks);
    ASSERT_TRUE(applied.is_ok()) << applied.to_string();
    ASSERT_TRUE(book.verify(book_message->checksum).is_ok()) << frame;
  };
  apply(client.read());
  // 300 steps of inserts, deletes and trades: every update must verify against the book the
  // client holds, including levels pushed out of the depth without a delete.
  // A ping after each step marks the end of what the step sent (a step may leave the top 10
  // unchanged and send no book message).
  int book_updates = 0;
  for (int i = 0; i < 300; ++i) {
    (*sim)->step();
    client.send(R"({"method":"ping"})");
    for (std::string frame = client.read(); frame.find(R"("method":"pong")") == std::string::npos;
         frame = client.read()) {
      if (frame.find(R"("channel":"book")") == std::string::npos) continue;
      apply(frame);
      if (HasFatalFailure()) return;
      ++book_updates;
    }
  }
  EXPECT_GT(book_updates, 200);
  const auto view = (*sim)->book(InstrumentId("BTC/USD"), 10).value();
  EXPECT_EQ(view.checksum, book.checksum());
  EXPECT_EQ(view.bids, std::vector<BookLevel>(book.bids().begin(), book.bids().end()));
}

TEST(KrakenSim, AnswersPingErrorsAndFaults) {
  auto sim = KrakenSimulator::start(manual_options());
  ASSERT_TRUE(sim.is_ok());
  RawClient client((*sim)->port());
  client.read();  // status
  client.send(R"({"method":"ping","req_id":101})");
  EXPECT_THAT(client.read(), HasSubstr(R"("method":"pong","req_id":101)"));
  client.send(R"({"method":"subscribe","params":{"channel":"book","symbol":["XBT/EUR"]}})");
  EXPECT_THAT(client.read(), HasSubstr(R"("error":"Currency pair not supported XBT/EUR")"));
  client.send(R"({"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD"]}})");
  EXPECT_THAT(client.read(), HasSubstr(R"("success":false)"));
  client.send("not json");
  EXPECT_THAT(client.read(), HasSubstr(R"("success":false)"));

  client.send(
      R"({"method":"subscribe","params":{"channel":"book","symbol":["ETH/USD"],"depth":25}})");
  client.read();  // ack
  const std::string snapshot = client.read();
  (*sim)->corrupt_next_checksum();
  std::string update;
  while (update.empty()) {  // a step may leave the top 25 unchanged
    (*sim)->step();
    client.send(R"({"method":"ping"})");
    for (std::string frame = client.read(); frame.find(R"("method":"pong")") == std::string::npos;
         frame = client.read()) {
      if (frame.find(R"("channel":"book")") != std::string::npos) update = frame;
    }
  }
  kraken::WsDecoder decoder;
  auto book = OrderBook::create(InstrumentId("ETH/USD"), 2, 8, 25).value();
  auto first = decoder.decode(snapshot);
  ASSERT_TRUE(first.is_ok());
  const auto& snap = std::get<kraken::BookMessage>(*first);
  ASSERT_TRUE(book.apply_snapshot(snap.bids, snap.asks).is_ok());
  auto second = decoder.decode(update);
  ASSERT_TRUE(second.is_ok());
  const auto& upd = std::get<kraken::BookMessage>(*second);
  ASSERT_TRUE(book.apply_update(upd.bids, upd.asks).is_ok());
  EXPECT_EQ(book.verify(upd.checksum).code(), StatusCode::kDataLoss);
  EXPECT_EQ((*sim)->stats().checksums_corrupted, 1u);

  (*sim)->send_malformed_frame();
  const std::string malformed = client.read();  // the step's frames were read up to the pong
  EXPECT_EQ(malformed.find(R"({"channel":"book")"), 0u);
  EXPECT_FALSE(decoder.decode(malformed).is_ok());
  EXPECT_EQ(decoder.last_error_kind(), kraken::WsDecodeErrorKind::kMalformedJson);

  (*sim)->drop_connections();
  EXPECT_TRUE(testing::wait_until([&] { return (*sim)->open_sessions() == 0; }));
  EXPECT_EQ((*sim)->stats().connections_dropped, 1u);
}

TEST(KrakenSim, RestEndpointsParseWithTheRestClientsParsers) {
  auto sim = KrakenSimulator::start(manual_options());
  ASSERT_TRUE(sim.is_ok());
  (*sim)->step(300);  // five minutes of exchange time
  auto transport = net::BeastHttpTransport::create();
  ASSERT_TRUE(transport.is_ok());
  kraken_rest::KrakenPublicClient client(**transport,
                                         {(*sim)->rest_url(), std::chrono::seconds(10)});

  auto time = client.time();
  ASSERT_TRUE(time.is_ok()) << time.status().to_string();
  EXPECT_EQ(time->unixtime, to_seconds((*sim)->exchange_time()));
  EXPECT_EQ(time->rfc1123, "Mon, 01 Jan 24 00:05:00 +0000");

  auto pairs = client.asset_pairs();
  ASSERT_TRUE(pairs.is_ok()) << pairs.status().to_string();
  ASSERT_EQ(pairs->size(), 2u);
  const auto btc = std::find_if(pairs->begin(), pairs->end(),
                                [](const auto& pair) { return pair.key == "XXBTZUSD"; });
  ASSERT_NE(btc, pairs->end());
  EXPECT_EQ(btc->altname, "XBTUSD");
  EXPECT_EQ(btc->wsname, "XBT/USD");
  EXPECT_EQ(btc->pair_decimals, 1);
  EXPECT_EQ(btc->lot_decimals, 8);
  EXPECT_EQ(btc->ordermin, "0.00010000");
  EXPECT_EQ(client.asset_pairs({"NOPE"}).status().code(), StatusCode::kNotFound);

  auto ticker = client.ticker({"XBTUSD"});
  ASSERT_TRUE(ticker.is_ok()) << ticker.status().to_string();
  const auto view = (*sim)->book(InstrumentId("BTC/USD"), 1).value();
  EXPECT_EQ((*ticker)[0].ask, view.asks[0].price.to_string());
  EXPECT_EQ((*ticker)[0].bid, view.bids[0].price.to_string());

  auto ohlc = client.ohlc("XBTUSD", 1);
  ASSERT_TRUE(ohlc.is_ok()) << ohlc.status().to_string();
  ASSERT_GE(ohlc->rows.size(), 5u);
  EXPECT_EQ(ohlc->rows.front().time % 60, 0);
  auto after = client.ohlc("XBTUSD", 1, ohlc->rows[ohlc->rows.size() - 3].time);
  ASSERT_TRUE(after.is_ok());
  ASSERT_EQ(after->rows.size(), 2u);  // newer than `since`, the open one included
  EXPECT_EQ(after->rows.back(), ohlc->rows.back());

  // Trades pages: following `last` walks every trade exactly once.
  std::vector<kraken_rest::KrakenTradeRow> all;
  std::optional<std::string> since;
  for (int page = 0; page < 100; ++page) {
    auto trades = client.trades("XBTUSD", since, 50);
    ASSERT_TRUE(trades.is_ok()) << trades.status().to_string();
    if (trades->rows.empty()) break;
    all.insert(all.end(), trades->rows.begin(), trades->rows.end());
    since = trades->last;
  }
  int64_t ohlc_trades = 0;
  for (const auto& row : ohlc->rows) ohlc_trades += row.count;
  EXPECT_EQ(static_cast<int64_t>(all.size()), ohlc_trades);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_EQ(*all[i].trade_id, *all[i - 1].trade_id + 1);
}

TEST(KrakenSim, ExtraRoutesCanBeAdded) {
  auto sim = KrakenSimulator::start(manual_options());
  ASSERT_TRUE(sim.is_ok());
  (*sim)->add_route("POST", "/0/private/Balance", [](const net::HttpServerRequest& request) {
    net::HttpResponse response;
    response.status = 200;
    response.body = R"({"error":[],"result":{"ZUSD":"100.0"}})" + request.body.substr(0, 0);
    return response;
  });
  auto transport = net::BeastHttpTransport::create();
  ASSERT_TRUE(transport.is_ok());
  net::HttpRequest request;
  request.method = net::HttpMethod::kPost;
  request.url = (*sim)->rest_url() + "/0/private/Balance";
  request.body = "nonce=1";
  auto response = (*transport)->send(request, std::chrono::seconds(10));
  ASSERT_TRUE(response.is_ok());
  EXPECT_THAT(response->body, HasSubstr("ZUSD"));
  request.url = (*sim)->rest_url() + "/0/private/Nope";
  response = (*transport)->send(request, std::chrono::seconds(10));
  ASSERT_TRUE(response.is_ok());
  EXPECT_EQ(response->status, 404);
}

TEST(KrakenSim, RefusesBadOptions) {
  SimulatorOptions none;
  EXPECT_EQ(KrakenSimulator::start(none).status().code(), StatusCode::kInvalidArgument);
  auto twice = manual_options();
  twice.pairs.push_back(twice.pairs.front());
  EXPECT_EQ(KrakenSimulator::start(twice).status().code(), StatusCode::kInvalidArgument);
  auto missing = manual_options();
  missing.recording = "/nonexistent/recording.jsonl";
  EXPECT_EQ(KrakenSimulator::start(missing).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace galfriday::kraken_sim

// HttpServer over real loopback sockets, driven by synchronous Beast clients.

#include "galfriday/net/http_server.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "galfriday/net/beast_http_transport.hpp"
#include "test_http_server.hpp"

namespace galfriday::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

http::response<http::string_body> http_get(uint16_t port, const std::string& target,
                                           const std::string& body = {}) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> request(body.empty() ? http::verb::get : http::verb::post,
                                           target, 11);
  request.set(http::field::host, "127.0.0.1");
  request.set("X-Probe", "yes");
  request.body() = body;
  request.prepare_payload();
  http::write(socket, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  return response;
}

TEST(HttpServer, ServesRequestsOnAnOsChosenPort) {
  auto server = HttpServer::start({}, [](const HttpServerRequest& request) {
    HttpResponse response;
    response.status = request.path() == "/echo" ? 200 : 404;
    response.headers.push_back({"Content-Type", "application/json"});
    response.body = request.method + " " + std::string(request.path()) +
                    " pair=" + request.query_param("pair").value_or("-") +
                    " probe=" + request.header("x-probe").value_or("-") + " body=" + request.body;
    return response;
  });
  ASSERT_TRUE(server.is_ok()) << server.status().to_string();
  const uint16_t port = (*server)->port();
  ASSERT_NE(port, 0);

  auto response = http_get(port, "/echo?since=5&pair=XBT%2FUSD");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response.body(), "GET /echo pair=XBT/USD probe=yes body=");
  EXPECT_EQ(response[http::field::content_type], "application/json");

  auto posted = http_get(port, "/echo", "nonce=1");
  EXPECT_EQ(posted.body(), "POST /echo pair=- probe=yes body=nonce=1");
  EXPECT_EQ(http_get(port, "/other").result_int(), 404u);
}

TEST(HttpServer, BindingATakenPortIsUnavailable) {
  auto first = HttpServer::start({}, nullptr);
  ASSERT_TRUE(first.is_ok());
  HttpServerOptions options;
  options.port = (*first)->port();
  auto second = HttpServer::start(options, nullptr);
  ASSERT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  options.bind_address = "not-an-ip";
  EXPECT_EQ(HttpServer::start(options, nullptr).status().code(), StatusCode::kInvalidArgument);
}

// Collects what the WebSocket callbacks saw, for the test thread to wait on.
struct WsLog {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> texts;
  int opened = 0;
  int closed = 0;

  template <typename Predicate>
  bool wait(Predicate predicate) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(20), [&] { return predicate(*this); });
  }
};

TEST(HttpServer, WebSocketEchoCloseAndAbort) {
  WsLog log;
  WebSocketHandler handler;
  handler.on_open = [&](const std::shared_ptr<WebSocketSession>& session) {
    session->send_text("hello " + session->target());
    std::lock_guard lock(log.mutex);
    ++log.opened;
    log.changed.notify_all();
  };
  handler.on_text = [&](const std::shared_ptr<WebSocketSession>& session, std::string_view text) {
    if (text == "bye") {
      session->close();
    } else if (text == "drop") {
      session->abort();
    } else {
      session->send_text("echo:" + std::string(text));
    }
    std::lock_guard lock(log.mutex);
    log.texts.emplace_back(text);
    log.changed.notify_all();
  };
  handler.on_close = [&](const std::shared_ptr<WebSocketSession>&) {
    std::lock_guard lock(log.mutex);
    ++log.closed;
    log.changed.notify_all();
  };
  auto server = HttpServer::start({}, nullptr, {{"/v2", handler}});
  ASSERT_TRUE(server.is_ok());
  const uint16_t port = (*server)->port();

  asio::io_context ioc;
  websocket::stream<tcp::socket> ws(ioc);
  ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  ws.handshake("127.0.0.1", "/v2");
  beast::flat_buffer buffer;
  ws.read(buffer);
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "hello /v2");
  buffer.clear();
  ws.write(asio::buffer(std::string("ping")));
  ws.read(buffer);
  EXPECT_EQ(beast::buffers_to_string(buffer.data()), "echo:ping");
  buffer.clear();
  EXPECT_TRUE(log.wait([](WsLog& l) { return l.opened == 1; }));
  EXPECT_EQ((*server)->websocket_sessions().size(), 1u);

  // Server-initiated close: the client sees a normal close.
  ws.write(asio::buffer(std::string("bye")));
  beast::error_code error;
  ws.read(buffer, error);
  EXPECT_EQ(error, websocket::error::closed);
  EXPECT_TRUE(log.wait([](WsLog& l) { return l.closed == 1; }));

  // Abort: the client sees the connection drop without a close frame.
  websocket::stream<tcp::socket> second(ioc);
  second.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  second.handshake("127.0.0.1", "/v2");
  second.read(buffer);
  buffer.clear();
  second.write(asio::buffer(std::string("drop")));
  second.read(buffer, error);
  EXPECT_TRUE(error);
  EXPECT_NE(error, websocket::error::closed);
  EXPECT_TRUE(log.wait([](WsLog& l) { return l.closed == 2; }));
  EXPECT_TRUE((*server)->websocket_sessions().empty());
}

TEST(HttpServer, UpgradeToAnUnknownPathIsAnHttpRequest) {
  auto server = HttpServer::start({}, [](const HttpServerRequest&) {
    HttpResponse response;
    response.status = 404;
    return response;
  });
  ASSERT_TRUE(server.is_ok());
  asio::io_context ioc;
  websocket::stream<tcp::socket> ws(ioc);
  ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), (*server)->port()));
  beast::error_code error;
  ws.handshake("127.0.0.1", "/nope", error);
  EXPECT_TRUE(error);
}

TEST(HttpServer, StopClosesOpenSessionsAndIsIdempotent) {
  WebSocketHandler handler;
  auto server = HttpServer::start({}, nullptr, {{"/v2", handler}});
  ASSERT_TRUE(server.is_ok());
  asio::io_context ioc;
  websocket::stream<tcp::socket> ws(ioc);
  ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), (*server)->port()));
  ws.handshake("127.0.0.1", "/v2");
  (*server)->stop();
  beast::flat_buffer buffer;
  beast::error_code error;
  ws.read(buffer, error);
  EXPECT_TRUE(error);
  (*server)->stop();
}

// A directory with a self-signed certificate for 127.0.0.1 and localhost, made at test time.
class HttpServerTls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gf_http_server_tls_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    cert_ = std::make_unique<test_support::SelfSignedCert>(dir_);
  }
  void TearDown() override {
    cert_.reset();
    std::filesystem::remove_all(dir_);
  }
  HttpServerOptions tls_options() const {
    HttpServerOptions options;
    options.tls_certificate_file = cert_->cert_path().string();
    options.tls_private_key_file = cert_->key_path().string();
    return options;
  }
  std::filesystem::path dir_;
  std::unique_ptr<test_support::SelfSignedCert> cert_;
};

TEST_F(HttpServerTls, ServesHttpsToAClientThatTrustsItsCertificate) {
  auto server = HttpServer::start(tls_options(), [](const HttpServerRequest& request) {
    HttpResponse response;
    response.status = 200;
    response.body = request.method + " " + request.target;
    return response;
  });
  ASSERT_TRUE(server.is_ok()) << server.status().to_string();
  EXPECT_TRUE((*server)->tls());
  BeastHttpTransportOptions client_options;
  client_options.ca_file = cert_->cert_path().string();
  auto client = BeastHttpTransport::create(client_options);
  ASSERT_TRUE(client.is_ok()) << client.status().to_string();
  const std::string base = "https://127.0.0.1:" + std::to_string((*server)->port());
  for (int i = 0; i < 2; ++i) {  // the second request reuses the TLS connection
    auto response = (*client)->send({HttpMethod::kGet, base + "/0/public/Time?x=1", {}, ""},
                                    std::chrono::seconds(10));
    ASSERT_TRUE(response.is_ok()) << response.status().to_string();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "GET /0/public/Time?x=1");
  }

  // A plain-HTTP client gets no answer from a TLS server.
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), (*server)->port()));
  http::request<http::string_body> request(http::verb::get, "/", 11);
  request.set(http::field::host, "127.0.0.1");
  http::write(socket, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  beast::error_code error;
  http::read(socket, buffer, response, error);
  EXPECT_TRUE(error);
}

TEST_F(HttpServerTls, ClientsWithoutTheCertificateAreRefused) {
  auto server = HttpServer::start(tls_options(), nullptr);
  ASSERT_TRUE(server.is_ok()) << server.status().to_string();
  auto client = BeastHttpTransport::create();  // the system CAs do not know the certificate
  ASSERT_TRUE(client.is_ok());
  auto response = (*client)->send(
      {HttpMethod::kGet, "https://127.0.0.1:" + std::to_string((*server)->port()) + "/", {}, ""},
      std::chrono::seconds(10));
  ASSERT_FALSE(response.is_ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(response.status().message().find("TLS handshake"), std::string::npos)
      << response.status().message();
}

TEST_F(HttpServerTls, RefusesIncompleteOrUnreadableTlsFiles) {
  HttpServerOptions only_certificate;
  only_certificate.tls_certificate_file = cert_->cert_path().string();
  auto server = HttpServer::start(only_certificate, nullptr);
  ASSERT_FALSE(server.is_ok());
  EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("both a certificate file and a private key file"),
            std::string::npos);

  HttpServerOptions missing_key = tls_options();
  missing_key.tls_private_key_file = (dir_ / "missing.pem").string();
  server = HttpServer::start(missing_key, nullptr);
  ASSERT_FALSE(server.is_ok());
  EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("missing.pem"), std::string::npos)
      << server.status().message();

  HttpServerOptions key_as_certificate = tls_options();
  key_as_certificate.tls_certificate_file = cert_->key_path().string();
  server = HttpServer::start(key_as_certificate, nullptr);
  ASSERT_FALSE(server.is_ok());
  EXPECT_NE(server.status().message().find("certificate chain"), std::string::npos)
      << server.status().message();
}

}  // namespace
}  // namespace galfriday::net

#pragma once
// A loopback HTTP(S) server for the transport tests, with the misbehaviours the transport must
// survive: a reply that never comes, a connection closed right after a keep-alive response.
// (net::HttpServer serves the simulator and has no stalling on purpose, so the transport tests
// carry their own.) Also makes a self-signed certificate at test time.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace galfriday::net::test_support {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

struct TestReply {
  unsigned status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool stall = false;        // never answer (until the server stops)
  bool close_after = false;  // close the socket right after answering, without saying so
};

using TestHandler = std::function<TestReply(const bhttp::request<bhttp::string_body>&)>;

// Files of a self-signed certificate for 127.0.0.1 / localhost (or the names given, in
// X509v3 subjectAltName syntax: "DNS:other.example"), removed on destruction.
class SelfSignedCert {
 public:
  explicit SelfSignedCert(const std::filesystem::path& dir,
                          const std::string& subject_alt_names = "DNS:localhost,IP:127.0.0.1") {
    cert_path_ = dir / "cert.pem";
    key_path_ = dir / "key.pem";
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, subject_alt_names.c_str());
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    X509_EXTENSION* basic = X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, "CA:TRUE");
    X509_add_ext(cert, basic, -1);
    X509_EXTENSION_free(basic);
    X509_sign(cert, key, EVP_sha256());
    FILE* f = std::fopen(cert_path_.c_str(), "w");
    PEM_write_X509(f, cert);
    std::fclose(f);
    f = std::fopen(key_path_.c_str(), "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  ~SelfSignedCert() {
    std::error_code ignored;
    std::filesystem::remove(cert_path_, ignored);
    std::filesystem::remove(key_path_, ignored);
  }
  const std::filesystem::path& cert_path() const { return cert_path_; }
  const std::filesystem::path& key_path() const { return key_path_; }

 private:
  std::filesystem::path cert_path_;
  std::filesystem::path key_path_;
};

class TestHttpServer {
 public:
  // Plain HTTP when cert is null, HTTPS otherwise.
  explicit TestHttpServer(TestHandler handler, const SelfSignedCert* cert = nullptr)
      : handler_(std::move(handler)),
        acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    if (cert) {
      tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      tls_->use_certificate_chain_file(cert->cert_path().string());
      tls_->use_private_key_file(cert->key_path().string(), asio::ssl::context::pem);
    }
    asio::co_spawn(ioc_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~TestHttpServer() {
    ioc_.stop();
    thread_.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url(std::string_view target) const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port()) +
           std::string(target);
  }
  int accepted() const { return accepted_.load(); }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      tcp::socket socket = co_await acceptor_.async_accept(asio::use_awaitable);
      accepted_.fetch_add(1);
      if (tls_) {
        asio::co_spawn(ioc_, tls_session(std::move(socket)), asio::detached);
      } else {
        asio::co_spawn(ioc_, plain_session(std::move(socket)), asio::detached);
      }
    }
  }

  asio::awaitable<void> plain_session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve(stream);
  }

  asio::awaitable<void> tls_session(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls_);
    co_await stream.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
    co_await serve(stream);
  }

  template <typename Stream>
  asio::awaitable<void> serve(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> request;
      co_await bhttp::async_read(stream, buffer, request, asio::use_awaitable);
      TestReply reply = handler_(request);
      if (reply.stall) {
        asio::steady_timer forever(ioc_, std::chrono::hours(1));
        co_await forever.async_wait(asio::use_awaitable);
      }
      bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(reply.status), 11};
      for (const auto& [name, value] : reply.headers) response.set(name, value);
      response.body() = reply.body;
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      co_await bhttp::async_write(stream, response, asio::use_awaitable);
      if (reply.close_after || !request.keep_alive()) {
        beast::get_lowest_layer(stream).socket().close();
        co_return;
      }
    }
  }

  TestHandler handler_;
  // Declared before the I/O context so TLS sessions still alive in it are destroyed first.
  std::unique_ptr<asio::ssl::context> tls_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

}  // namespace galfriday::net::test_support

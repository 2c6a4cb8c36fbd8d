// The dashboard over real HTTP on loopback: open reads, token-protected actions, the metrics
// format, and the token sources.

#include "galfriday/monitoring/dashboard.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "galfriday/net/beast_http_transport.hpp"
#include "memory_halt_repository.hpp"

namespace galfriday::monitoring {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

constexpr const char* kToken = "s3cret-token-for-tests";
constexpr std::chrono::milliseconds kTimeout{10000};

using test_support::MemoryHaltRepository;

class DashboardTest : public ::testing::Test {
 protected:
  DashboardTest()
      : coordinator_(bus_, clock_, repository_, HaltAction::kMaintainPositions,
                     [this] { return portfolio_; }),
        monitoring_(config_, {InstrumentId("BTC/USD")}, coordinator_, scheduler_,
                    [this] { return portfolio_; }),
        activity_([this] { return portfolio_; }),
        cli_(coordinator_, &monitoring_, &activity_, [this] { return portfolio_; }, clock_, {}),
        gateway_(bus_) {
    portfolio_.valuation_currency = "USD";
    portfolio_.equity = Money::parse("1000.50", 2).value();
    monitoring_.attach(bus_);
    activity_.attach(bus_);
    cli_.attach(bus_, gateway_);
    engine_ = std::thread([this] {
      while (!stop_) {
        bus_.wait_for_posted(std::chrono::milliseconds(50));
        bus_.run_until_idle();
      }
    });
    auto dashboard = Dashboard::start(DashboardOptions{}, gateway_, kToken);
    EXPECT_TRUE(dashboard.is_ok()) << dashboard.status().to_string();
    if (dashboard) dashboard_ = std::move(*dashboard);
    transport_ = std::move(net::BeastHttpTransport::create().value());
  }
  ~DashboardTest() override {
    dashboard_.reset();
    stop_ = true;
    bus_.wake();
    engine_.join();
  }

  net::HttpResponse get(const std::string& path) {
    net::HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(dashboard_->port()) + path;
    auto response = transport_->send(request, kTimeout);
    EXPECT_TRUE(response.is_ok()) << response.status().to_string();
    return response.is_ok() ? *response : net::HttpResponse{};
  }

  net::HttpResponse post(const std::string& path, const std::string& body,
                         std::optional<std::string> authorization) {
    net::HttpRequest request;
    request.method = net::HttpMethod::kPost;
    request.url = "http://127.0.0.1:" + std::to_string(dashboard_->port()) + path;
    request.body = body;
    request.headers.push_back({"Content-Type", "application/json"});
    if (authorization) request.headers.push_back({"Authorization", *authorization});
    auto response = transport_->send(request, kTimeout);
    EXPECT_TRUE(response.is_ok()) << response.status().to_string();
    return response.is_ok() ? *response : net::HttpResponse{};
  }

  std::string state() { return Json::parse(get("/api/status").body)["state"]; }

  LiveClock clock_;
  Scheduler scheduler_{clock_};
  PubSubManager bus_{clock_};
  MemoryHaltRepository repository_;
  PortfolioState portfolio_;
  config::MonitoringConfig config_;
  HaltCoordinator coordinator_;
  MonitoringService monitoring_;
  ActivityLog activity_;
  CliService cli_;
  CommandGateway gateway_;
  std::atomic<bool> stop_{false};
  std::thread engine_;
  std::unique_ptr<Dashboard> dashboard_;
  std::unique_ptr<net::BeastHttpTransport> transport_;
};

TEST_F(DashboardTest, ServesTheSelfContainedPage) {
  const auto page = get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.header("Content-Type"), HasSubstr("text/html"));
  EXPECT_THAT(page.body, HasSubstr("id=\"halt-button\""));
  // Self-contained: nothing is loaded from another origin.
  for (const char* external : {"src=\"http", "href=\"http", "src=\"//", "@import", "url(http"}) {
    EXPECT_EQ(page.body.find(external), std::string::npos) << external;
  }
  EXPECT_EQ(get("/nope").status, 404);
}

TEST_F(DashboardTest, StatusIsOpenJson) {
  const auto response = get("/api/status");
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.header("Content-Type"), HasSubstr("application/json"));
  const Json status = Json::parse(response.body);
  EXPECT_EQ(status["state"], "RUNNING");
  EXPECT_EQ(status["portfolio"]["equity"], "1000.50");
  EXPECT_EQ(status["feeds"][0]["instrument"], "BTC/USD");
  EXPECT_EQ(status["conditions"][0]["name"], "total_drawdown");
}

TEST_F(DashboardTest, ActionsNeedTheToken) {
  EXPECT_EQ(post("/api/halt", "{}", std::nullopt).status, 401);
  EXPECT_EQ(post("/api/halt", "{}", "Basic abc").status, 401);
  const auto wrong = post("/api/halt", "{}", std::string("Bearer ") + kToken + "x");
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(post("/api/halt", "{}", "Bearer ").status, 401);  // trailing blank trimmed: no token
  EXPECT_EQ(state(), "RUNNING");

  const std::string bearer = std::string("Bearer ") + kToken;
  EXPECT_EQ(post("/api/halt", "not json", bearer).status, 400);
  const auto halted = post("/api/halt", R"({"reason":"spread blew out"})", bearer);
  EXPECT_EQ(halted.status, 200) << halted.body;
  EXPECT_EQ(state(), "HALTED");
  const Json status = Json::parse(get("/api/status").body);
  EXPECT_EQ(status["reasons"][0]["detail"], "spread blew out");
  EXPECT_EQ(status["reasons"][0]["source"], "operator:dashboard");

  EXPECT_EQ(post("/api/resume", "", bearer).status, 409);  // checklist open
  EXPECT_EQ(post("/api/complete", R"({"item":"nonsense"})", bearer).status, 400);
  for (RecoveryItem item : kRecoveryItems) {
    const std::string body =
        std::string(R"({"item":")") + std::string(recovery_item_id(item)) + "\"}";
    EXPECT_EQ(post("/api/complete", body, std::nullopt).status, 401);
    EXPECT_EQ(post("/api/complete", body, bearer).status, 200);
  }
  EXPECT_EQ(post("/api/resume", "", bearer).status, 200);
  EXPECT_EQ(state(), "RUNNING");
  EXPECT_EQ(get("/api/halt").status, 404);
}

TEST_F(DashboardTest, MetricsAreInPrometheusTextFormat) {
  const auto response = get("/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.header("Content-Type"), HasSubstr("text/plain; version=0.0.4"));
  // Exposition format 0.0.4: comments (# HELP / # TYPE) or `name{labels} value` samples.
  const std::regex help(R"(# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+)");
  const std::regex type(R"(# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (gauge|counter))");
  const std::regex sample(
      R"([a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? -?[0-9]+(\.[0-9]+)?)");
  std::istringstream lines(response.body);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    const bool ok = std::regex_match(line, help) || std::regex_match(line, type) ||
                    std::regex_match(line, sample);
    EXPECT_TRUE(ok) << "not exposition format: " << line;
    samples += line.rfind('#', 0) == 0 ? 0 : 1;
  }
  EXPECT_GT(samples, 10);
  EXPECT_THAT(response.body, HasSubstr("\ngalfriday_halted 0\n"));
  EXPECT_THAT(response.body, HasSubstr("\ngalfriday_equity 1000.50\n"));
  EXPECT_THAT(response.body, HasSubstr("galfriday_feed_stale{instrument=\"BTC/USD\"} 0\n"));
}

TEST(DashboardToken, ComparisonIsExact) {
  EXPECT_TRUE(tokens_equal("abc", "abc"));
  EXPECT_FALSE(tokens_equal("abc", "abd"));
  EXPECT_FALSE(tokens_equal("abc", "abcd"));
  EXPECT_FALSE(tokens_equal("", "a"));
  EXPECT_TRUE(tokens_equal("", ""));
}

TEST(DashboardToken, FromEnvironmentFileOrCreatedOwnerOnly) {
  std::string pattern = "/tmp/gfdash-XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(pattern.data());
  config::MonitoringConfig config;
  EXPECT_EQ(load_dashboard_token(config, dir, "from-env").value(), "from-env");

  auto created = load_dashboard_token(config, dir, nullptr);
  ASSERT_TRUE(created.is_ok()) << created.status().to_string();
  EXPECT_EQ(created->size(), 64u);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "dashboard.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(load_dashboard_token(config, dir, nullptr).value(), *created);  // read back

  const auto file = dir / "token";
  std::ofstream(file) << "configured-token\n";
  config.dashboard_token_file = file;
  ::chmod(file.c_str(), 0644);
  const auto readable = load_dashboard_token(config, dir, nullptr);
  EXPECT_EQ(readable.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(readable.status().message(), HasSubstr("mode 0644"));
  EXPECT_THAT(readable.status().message(), ::testing::Not(HasSubstr("configured-token")));
  ::chmod(file.c_str(), 0600);
  EXPECT_EQ(load_dashboard_token(config, dir, nullptr).value(), "configured-token");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace galfriday::monitoring

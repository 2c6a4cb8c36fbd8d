#pragma once
// The operator dashboard: an HTTP server on a loopback port (net::HttpServer) with
//
//   GET  /              one self-contained page (inline CSS, JS and SVG; no external request):
//                       state, equity curve, drawdown, positions, open orders, recent fills and
//                       signals, halt reasons, recovery checklist, feed health, halt conditions
//   GET  /api/status    the `status` command's JSON
//   GET  /metrics       Prometheus text exposition format 0.0.4 (the `metrics` command)
//   POST /api/halt      {"reason": TEXT}         } need "Authorization: Bearer TOKEN";
//   POST /api/resume                             } 401 without it, 403 with a wrong one
//   POST /api/complete  {"item": ITEM}           }
//
// Reads are open (loopback only); every state change needs the token. Tokens are compared in
// constant time and never logged. Requests run as operator commands on the engine thread
// through the CommandGateway, like the console and `galfriday ctl`.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "galfriday/config/config.hpp"
#include "galfriday/monitoring/cli_service.hpp"

namespace galfriday::net {
class HttpServer;
}

namespace galfriday::monitoring {

inline constexpr std::string_view kDashboardTokenEnv = "GALFRIDAY_DASHBOARD_TOKEN";

// The token, from (first found): `env_token` (the GALFRIDAY_DASHBOARD_TOKEN value, may be
// null), monitoring.dashboard.token_file (must be a regular file of this user with mode 0600),
// or <data_dir>/dashboard.token, created 0600 with 32 random bytes in hex when missing.
// kPermissionDenied for a token file readable by others; kInvalidArgument for an empty one.
Result<std::string> load_dashboard_token(const config::MonitoringConfig& config,
                                         const std::filesystem::path& data_dir,
                                         const char* env_token);

// Equal strings, in time that depends only on their lengths.
bool tokens_equal(std::string_view a, std::string_view b);

struct DashboardOptions {
  std::string bind_address = "127.0.0.1";
  uint16_t port = 0;  // 0: the OS chooses
  Duration command_timeout = std::chrono::seconds(5);
};

class Dashboard {
 public:
  // kInvalidArgument for an empty token; the server's errors (kUnavailable: port taken).
  static Result<std::unique_ptr<Dashboard>> start(const DashboardOptions& options,
                                                  CommandGateway& gateway, std::string token);
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  uint16_t port() const;

 private:
  Dashboard() = default;
  std::unique_ptr<net::HttpServer> server_;
};

// The page served at "/" (exposed for tests).
std::string_view dashboard_page();

}  // namespace galfriday::monitoring

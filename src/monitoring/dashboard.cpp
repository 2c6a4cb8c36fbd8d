#include "galfriday/monitoring/dashboard.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "galfriday/net/http_server.hpp"

namespace galfriday::monitoring {
namespace {

using Json = nlohmann::json;

constexpr size_t kTokenBytes = 32;
constexpr mode_t kTokenFileMode = 0600;
constexpr const char* kBearer = "Bearer ";

net::HttpResponse respond(int status, std::string content_type, std::string body) {
  net::HttpResponse response;
  response.status = status;
  response.headers.push_back({"Content-Type", std::move(content_type)});
  // The page and the API are live state: never cached, never framed by another site.
  response.headers.push_back({"Cache-Control", "no-store"});
  response.headers.push_back({"X-Frame-Options", "DENY"});
  response.headers.push_back({"X-Content-Type-Options", "nosniff"});
  response.body = std::move(body);
  return response;
}

net::HttpResponse json_error(int status, const std::string& message) {
  return respond(status, "application/json", Json{{"ok", false}, {"error", message}}.dump());
}

// The command's JSON reply with an HTTP status for its exit code.
net::HttpResponse command_response(const Result<CommandReply>& reply) {
  if (!reply) return json_error(503, reply.status().message());
  const int status = reply->exit_code == kCommandOk       ? 200
                     : reply->exit_code == kCommandFailed ? 409
                                                          : 400;
  return respond(status, "application/json", reply->json);
}

Result<std::string> read_token_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return Status(
        errno == ENOENT ? StatusCode::kNotFound : StatusCode::kPermissionDenied,
        "cannot open dashboard token file " + path.string() + ": " + std::strerror(errno));
  }
  struct stat st {};
  const bool stat_ok = ::fstat(fd, &st) == 0;
  std::string text;
  char buffer[256];
  ssize_t n = 0;
  while (stat_ok && (n = ::read(fd, buffer, sizeof(buffer))) > 0) {
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  if (!stat_ok || !S_ISREG(st.st_mode)) {
    return permission_denied("dashboard token file " + path.string() + " is not a regular file");
  }
  if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return permission_denied("dashboard token file " + path.string() + " has mode " + mode +
                             " (owner uid " + std::to_string(st.st_uid) +
                             "); it must be this user's with mode 0600 (chmod 600)");
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  if (text.empty()) return invalid_argument("dashboard token file " + path.string() + " is empty");
  return text;
}

Result<std::string> create_token_file(const std::filesystem::path& path) {
  unsigned char random[kTokenBytes];
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  if (!urandom.read(reinterpret_cast<char*>(random), sizeof(random))) {
    return unavailable("cannot read /dev/urandom for a dashboard token");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char byte : random) {
    token += kHex[byte >> 4];
    token += kHex[byte & 0x0f];
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kTokenFileMode);
  if (fd < 0) {
    return unavailable("cannot create dashboard token file " + path.string() + ": " +
                       std::strerror(errno));
  }
  const std::string line = token + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) return unavailable("cannot write dashboard token file " + path.string());
  spdlog::info("dashboard: created a new token in {} (mode 0600)", path.string());
  return token;
}

// The body's JSON object, or an empty one for an empty body; nullopt when malformed.
std::optional<Json> body_json(const net::HttpServerRequest& request) {
  if (request.body.empty()) return Json::object();
  Json json = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  return json;
}

}  // namespace

bool tokens_equal(std::string_view a, std::string_view b) {
  // Every byte of the longer string is visited whatever the contents, so the time says
  // nothing about where the first difference is.
  const size_t length = std::max(a.size(), b.size());
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < length; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    difference = static_cast<unsigned char>(difference | (x ^ y));
  }
  return difference == 0;
}

Result<std::string> load_dashboard_token(const config::MonitoringConfig& config,
                                         const std::filesystem::path& data_dir,
                                         const char* env_token) {
  if (env_token != nullptr && *env_token != '\0') return std::string(env_token);
  if (config.dashboard_token_file) return read_token_file(*config.dashboard_token_file);
  const std::filesystem::path path = data_dir / "dashboard.token";
  auto existing = read_token_file(path);
  if (existing || existing.status().code() != StatusCode::kNotFound) return existing;
  return create_token_file(path);
}

Result<std::unique_ptr<Dashboard>> Dashboard::start(const DashboardOptions& options,
                                                    CommandGateway& gateway, std::string token) {
  if (token.empty()) return invalid_argument("the dashboard token is empty");
  const Duration timeout = options.command_timeout;
  auto handler = [&gateway, token = std::move(token),
                  timeout](const net::HttpServerRequest& request) -> net::HttpResponse {
    const std::string_view path = request.path();
    const auto run = [&](std::string command, std::vector<std::string> args) {
      return gateway.execute(std::move(command), std::move(args), "dashboard", timeout);
    };
    if (request.method == "GET") {
      if (path == "/") {
        return respond(200, "text/html; charset=utf-8", std::string(dashboard_page()));
      }
      if (path == "/api/status") return command_response(run("status", {}));
      if (path == "/metrics") {
        auto reply = run("metrics", {});
        if (!reply) return respond(503, "text/plain", reply.status().message() + "\n");
        return respond(200, "text/plain; version=0.0.4; charset=utf-8", reply->text);
      }
      return json_error(404, "no such page: " + std::string(path));
    }
    if (request.method != "POST") return json_error(405, "use GET or POST");
    if (path != "/api/halt" && path != "/api/resume" && path != "/api/complete") {
      return json_error(404, "no such action: " + std::string(path));
    }
    const auto authorization = request.header("Authorization");
    if (!authorization || authorization->rfind(kBearer, 0) != 0) {
      return json_error(401, "this action needs the header 'Authorization: Bearer <token>'");
    }
    if (!tokens_equal(std::string_view(*authorization).substr(std::strlen(kBearer)), token)) {
      spdlog::warn("dashboard: refused {} with a wrong token", std::string(path));
      return json_error(403, "wrong token");
    }
    const auto body = body_json(request);
    if (!body) return json_error(400, "the body must be a JSON object");
    if (path == "/api/halt") {
      std::vector<std::string> args;
      if (body->contains("reason") && (*body)["reason"].is_string()) {
        const std::string reason = (*body)["reason"].get<std::string>();
        if (!reason.empty()) args.push_back(reason);
      }
      return command_response(run("halt", std::move(args)));
    }
    if (path == "/api/resume") return command_response(run("resume", {}));
    if (!body->contains("item") || !(*body)["item"].is_string()) {
      return json_error(400, "complete needs {\"item\": ITEM}");
    }
    return command_response(run("complete", {(*body)["item"].get<std::string>()}));
  };
  net::HttpServerOptions server_options;
  server_options.bind_address = options.bind_address;
  server_options.port = options.port;
  auto server = net::HttpServer::start(server_options, std::move(handler));
  if (!server) return server.status().with_context("starting the dashboard");
  std::unique_ptr<Dashboard> dashboard(new Dashboard());
  dashboard->server_ = std::move(*server);
  spdlog::info("dashboard on http://{}/", dashboard->server_->host_port());
  return dashboard;
}

Dashboard::~Dashboard() {
  if (server_) server_->stop();
}

uint16_t Dashboard::port() const { return server_->port(); }

}  // namespace galfriday::monitoring

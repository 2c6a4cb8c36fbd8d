#include "galfriday/monitoring/control_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace galfriday::monitoring {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxRequestBytes = 64 * 1024;
constexpr size_t kMaxResponseBytes = 16 * 1024 * 1024;
constexpr int kRequestReadTimeoutMs = 5000;
constexpr mode_t kRunDirMode = 0700;
constexpr mode_t kSocketMode = 0600;
constexpr mode_t kLockFileMode = 0600;
constexpr int kListenBacklog = 16;

std::string errno_text(int error) { return std::strerror(error); }

// Closes a descriptor when it leaves scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// The path must be a directory (not a symlink) owned by this user.
Status check_owned_directory(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return unavailable("cannot stat " + path.string() + ": " + errno_text(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return permission_denied(path.string() +
                             " is not a directory (a symlink or a file); refusing "
                             "to put the control socket there");
  }
  if (st.st_uid != ::geteuid()) {
    return permission_denied(path.string() + " belongs to uid " + std::to_string(st.st_uid) +
                             ", not to this user (uid " + std::to_string(::geteuid()) +
                             "); refusing to use it");
  }
  return Status::ok();
}

Result<sockaddr_un> socket_address(const std::filesystem::path& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string text = path.string();
  if (text.size() >= sizeof(address.sun_path)) {
    return invalid_argument("control socket path " + text + " is " + std::to_string(text.size()) +
                            " bytes; UNIX sockets allow at most " +
                            std::to_string(sizeof(address.sun_path) - 1) +
                            " (use a shorter data_dir)");
  }
  std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
  return address;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads until a newline, EOF, `max_bytes` or the deadline. kDeadlineExceeded on timeout,
// kResourceExhausted when too long.
Result<std::string> read_line(int fd, size_t max_bytes, int timeout_ms) {
  std::string data;
  char buffer[4096];
  while (data.find('\n') == std::string::npos) {
    pollfd poll_fd{fd, POLLIN, 0};
    const int ready = ::poll(&poll_fd, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return Status(StatusCode::kDeadlineExceeded, "no complete line in time");
    if (ready < 0) return unavailable("poll: " + errno_text(errno));
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unavailable("recv: " + errno_text(errno));
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
    if (data.size() > max_bytes) {
      return Status(StatusCode::kResourceExhausted,
                    "message longer than " + std::to_string(max_bytes) + " bytes");
    }
  }
  if (const size_t newline = data.find('\n'); newline != std::string::npos) data.resize(newline);
  return data;
}

std::string response_line(const CommandReply& reply) {
  Json data = Json::parse(reply.json, nullptr, /*allow_exceptions=*/false);
  Json response = {{"exit_code", reply.exit_code}, {"text", reply.text}, {"data", data}};
  return response.dump() + "\n";
}

CommandReply bad_request(const std::string& message) {
  Json data = {{"ok", false}, {"error", message}};
  return CommandReply{kCommandBadInput, "error: " + message + "\n", data.dump()};
}

}  // namespace

std::filesystem::path control_socket_path(const std::filesystem::path& data_dir) {
  return data_dir / "run" / "control.sock";
}

// --- InstanceLock ------------------------------------------------------------------------------

Result<std::unique_ptr<InstanceLock>> InstanceLock::acquire(const std::filesystem::path& data_dir) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    return unavailable("cannot create data directory " + data_dir.string() + ": " +
                       error.message());
  }
  const std::filesystem::path path = data_dir / "galfriday.lock";
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kLockFileMode));
  if (fd.get() < 0) {
    return unavailable("cannot open lock file " + path.string() + ": " + errno_text(errno));
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      return unavailable("cannot lock " + path.string() + ": " + errno_text(errno));
    }
    char buffer[32] = {};
    const ssize_t n = ::pread(fd.get(), buffer, sizeof(buffer) - 1, 0);
    std::string pid = n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return failed_precondition("another galfriday instance" +
                               (pid.empty() ? std::string() : " (PID " + pid + ")") +
                               " is using data directory " + data_dir.string() + " (lock " +
                               path.string() + "); stop it or use another data_dir");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0) {
    return unavailable("cannot write the PID to " + path.string() + ": " + errno_text(errno));
  }
  return std::unique_ptr<InstanceLock>(new InstanceLock(fd.release()));
}

InstanceLock::~InstanceLock() { ::close(fd_); }

// --- ControlServer -----------------------------------------------------------------------------

Result<std::unique_ptr<ControlServer>> ControlServer::start(const std::filesystem::path& data_dir,
                                                            CommandGateway& gateway,
                                                            Duration command_timeout) {
  GF_RETURN_IF_ERROR(check_owned_directory(data_dir));
  const std::filesystem::path path = control_socket_path(data_dir);
  const std::filesystem::path run_dir = path.parent_path();
  if (::mkdir(run_dir.c_str(), kRunDirMode) != 0 && errno != EEXIST) {
    return unavailable("cannot create " + run_dir.string() + ": " + errno_text(errno));
  }
  GF_RETURN_IF_ERROR(check_owned_directory(run_dir));
  if (::chmod(run_dir.c_str(), kRunDirMode) != 0) {
    return unavailable("cannot chmod " + run_dir.string() + ": " + errno_text(errno));
  }
  auto address = socket_address(path);
  if (!address) return address.status();

  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return permission_denied(path.string() + " exists and is not a socket; not removing it");
    }
    if (st.st_uid != ::geteuid()) {
      return permission_denied("control socket " + path.string() + " belongs to uid " +
                               std::to_string(st.st_uid) + ", not to this user (uid " +
                               std::to_string(::geteuid()) + "); not removing it");
    }
    // Ours and left behind by a process that died: the instance lock says no one else runs.
    if (::unlink(path.c_str()) != 0) {
      return unavailable("cannot remove stale socket " + path.string() + ": " + errno_text(errno));
    }
  }

  Fd listen_fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listen_fd.get() < 0) return unavailable("socket: " + errno_text(errno));
  if (::bind(listen_fd.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof(*address)) !=
      0) {
    return unavailable("cannot bind " + path.string() + ": " + errno_text(errno));
  }
  // run/ is 0700 already, so no one else could reach the socket before this chmod.
  if (::chmod(path.c_str(), kSocketMode) != 0 || ::listen(listen_fd.get(), kListenBacklog) != 0) {
    const int saved = errno;
    ::unlink(path.c_str());
    return unavailable("cannot set up " + path.string() + ": " + errno_text(saved));
  }
  Fd wake_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (wake_fd.get() < 0) {
    ::unlink(path.c_str());
    return unavailable("eventfd: " + errno_text(errno));
  }
  spdlog::info("control socket listening on {}", path.string());
  return std::unique_ptr<ControlServer>(
      new ControlServer(path, listen_fd.release(), wake_fd.release(), gateway, command_timeout));
}

ControlServer::ControlServer(std::filesystem::path path, int listen_fd, int wake_fd,
                             CommandGateway& gateway, Duration command_timeout)
    : path_(std::move(path)),
      listen_fd_(listen_fd),
      wake_fd_(wake_fd),
      gateway_(gateway),
      command_timeout_(command_timeout) {
  thread_ = std::thread([this] { serve(); });
}

ControlServer::~ControlServer() {
  const uint64_t one = 1;
  if (::write(wake_fd_, &one, sizeof(one)) < 0) {
    spdlog::error("control socket: cannot wake the server thread: {}", errno_text(errno));
  }
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  ::close(wake_fd_);
  ::unlink(path_.c_str());
}

void ControlServer::serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int ready = ::poll(fds, 2, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      spdlog::error("control socket: poll failed: {}", errno_text(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    Fd client(::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC));
    if (client.get() < 0) continue;
    handle(client.get());
  }
}

void ControlServer::handle(int fd) {
  ucred peer{};
  socklen_t length = sizeof(peer);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 ||
      (peer.uid != ::geteuid() && peer.uid != 0)) {
    spdlog::warn("control socket: refused a connection from uid {}", peer.uid);
    write_all(fd, response_line(bad_request("permission denied")));
    return;
  }
  auto line = read_line(fd, kMaxRequestBytes, kRequestReadTimeoutMs);
  if (!line) {
    write_all(fd, response_line(bad_request("bad request: " + line.status().message())));
    return;
  }
  const Json request = Json::parse(*line, nullptr, /*allow_exceptions=*/false);
  if (!request.is_object() || !request.contains("command") || !request["command"].is_string()) {
    write_all(fd, response_line(bad_request(
                      "bad request: expected {\"command\": NAME, \"args\": [STRING...]}")));
    return;
  }
  std::vector<std::string> args;
  if (request.contains("args")) {
    if (!request["args"].is_array()) {
      write_all(fd, response_line(bad_request("bad request: args must be a list of strings")));
      return;
    }
    for (const auto& arg : request["args"]) {
      if (!arg.is_string()) {
        write_all(fd, response_line(bad_request("bad request: args must be a list of strings")));
        return;
      }
      args.push_back(arg.get<std::string>());
    }
  }
  auto reply = gateway_.execute(request["command"].get<std::string>(), std::move(args),
                                "ctl(pid " + std::to_string(peer.pid) + ")", command_timeout_);
  if (!reply) {
    Json data = {{"ok", false}, {"error", reply.status().message()}};
    write_all(fd, response_line(CommandReply{
                      kCommandFailed, "error: " + reply.status().message() + "\n", data.dump()}));
    return;
  }
  write_all(fd, response_line(*reply));
}

// --- Client ------------------------------------------------------------------------------------

Result<CommandReply> send_control_command(const std::filesystem::path& data_dir,
                                          const std::string& command,
                                          const std::vector<std::string>& args, Duration timeout) {
  const std::filesystem::path path = control_socket_path(data_dir);
  auto address = socket_address(path);
  if (!address) return address.status();
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return unavailable("socket: " + errno_text(errno));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof(*address)) != 0) {
    return unavailable("no galfriday instance is answering on " + path.string() + " (" +
                       errno_text(errno) + "); is `galfriday run` running with this data_dir?");
  }
  Json request = {{"command", command}, {"args", args}};
  if (!write_all(fd.get(), request.dump() + "\n")) {
    return unavailable("cannot send the request to " + path.string() + ": " + errno_text(errno));
  }
  const auto timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
  auto line = read_line(fd.get(), kMaxResponseBytes, static_cast<int>(timeout_ms));
  if (!line) return line.status().with_context("reading the reply from " + path.string());
  const Json response = Json::parse(*line, nullptr, /*allow_exceptions=*/false);
  if (!response.is_object() || !response.contains("exit_code") ||
      !response["exit_code"].is_number_integer() || !response.contains("text") ||
      !response["text"].is_string()) {
    return data_loss("malformed reply from " + path.string() + ": " + line->substr(0, 200));
  }
  CommandReply reply;
  reply.exit_code = response["exit_code"].get<int>();
  reply.text = response["text"].get<std::string>();
  reply.json = response.contains("data") ? response["data"].dump() : "{}";
  return reply;
}

}  // namespace galfriday::monitoring

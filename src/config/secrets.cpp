// Kraken API credentials and the InfluxDB password from the environment or a mode-0600 YAML
// file. No message built here may contain a key, secret or password, nor text derived from the
// file's contents: only names, paths and modes.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "galfriday/config/config.hpp"

namespace galfriday::config {
namespace {

constexpr const char* kKeyVariable = "KRAKEN_API_KEY";
constexpr const char* kSecretVariable = "KRAKEN_API_SECRET";
constexpr mode_t kGroupOtherBits = 077;
constexpr mode_t kPermissionBits = 0777;
constexpr size_t kReadChunk = 4096;
constexpr off_t kMaxCredentialsFileBytes = 64 * 1024;  // two short strings; more is not ours

// A secrets file as messages name it.
struct SecretFile {
  std::filesystem::path path;
  const char* kind;        // "credentials file"
  const char* config_key;  // the setting that names the file: "kraken.credentials_file"
  const char* contents;    // what it must hold: "api_key and api_secret"
};

std::string env_value(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string octal_mode(mode_t mode) {
  char buffer[8];
  std::snprintf(buffer, sizeof(buffer), "%04o", static_cast<unsigned>(mode & kPermissionBits));
  return buffer;
}

std::string errno_text(int error) { return std::generic_category().message(error); }

// Closes the descriptor on every return path.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status check_file_status(const SecretFile& file, const struct stat& info) {
  const std::string name = std::string(file.kind) + " " + file.path.string();
  if (!S_ISREG(info.st_mode)) {
    return permission_denied(name + " is not a regular file (symlinks are refused); point " +
                             file.config_key + " at the file itself");
  }
  if ((info.st_mode & kGroupOtherBits) != 0) {
    return permission_denied(name + " has mode " + octal_mode(info.st_mode) + "; run chmod 600 " +
                             file.path.string());
  }
  if (info.st_size > kMaxCredentialsFileBytes) {
    return invalid_argument(name + " is larger than " + std::to_string(kMaxCredentialsFileBytes) +
                            " bytes; it should hold only " + file.contents);
  }
  return Status::ok();
}

// Reads the file after checking it. The check is on lstat (so a symlink is refused by name)
// and again on the opened descriptor, so a file swapped in between is not read.
Result<std::string> read_checked_file(const SecretFile& file) {
  const std::string path = file.path.string();
  const std::string name = std::string(file.kind) + " " + path;
  struct stat link_info {};
  if (::lstat(path.c_str(), &link_info) != 0) {
    const int error = errno;
    if (error == ENOENT) {
      return not_found(name + " does not exist; create it (mode 0600) with " + file.contents +
                       ", or unset " + file.config_key);
    }
    return permission_denied("cannot stat " + name + ": " + errno_text(error));
  }
  GF_RETURN_IF_ERROR(check_file_status(file, link_info));

  const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    return permission_denied("cannot open " + name + ": " + errno_text(errno));
  }
  struct stat open_info {};
  if (::fstat(fd.get(), &open_info) != 0) {
    return permission_denied("cannot stat " + name + ": " + errno_text(errno));
  }
  if (open_info.st_dev != link_info.st_dev || open_info.st_ino != link_info.st_ino) {
    return permission_denied(name + " changed while being opened; retry");
  }
  GF_RETURN_IF_ERROR(check_file_status(file, open_info));

  std::string contents;
  char buffer[kReadChunk];
  for (;;) {
    const ssize_t count = ::read(fd.get(), buffer, sizeof(buffer));
    if (count == 0) break;
    if (count < 0) {
      if (errno == EINTR) continue;
      return unavailable("cannot read " + name + ": " + errno_text(errno));
    }
    contents.append(buffer, static_cast<size_t>(count));
  }
  return contents;
}

// The file's top-level YAML map, after the checks of read_checked_file.
Result<YAML::Node> read_secret_map(const SecretFile& file) {
  auto contents = read_checked_file(file);
  if (!contents) return contents.status();
  const std::string name = std::string(file.kind) + " " + file.path.string();
  YAML::Node root;
  try {
    root = YAML::Load(*contents);
  } catch (const YAML::Exception& e) {
    // e.msg could quote the file; the line alone is safe to show.
    const std::string where =
        e.mark.is_null() ? "" : " (line " + std::to_string(e.mark.line + 1) + ")";
    return invalid_argument(name + " is not valid YAML" + where);
  }
  if (!root.IsMap()) {
    return invalid_argument(name + " must be a YAML map with " + file.contents);
  }
  return root;
}

// The non-empty scalar at `key`, or an error naming only the key and file.
Result<std::string> required_string(const YAML::Node& root, const char* key,
                                    const SecretFile& file) {
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (!it->first.IsScalar() || it->first.Scalar() != key) continue;
    if (it->second.IsScalar() && !it->second.Scalar().empty()) return it->second.Scalar();
    break;
  }
  return invalid_argument(std::string(file.kind) + " " + file.path.string() + ": " + key +
                          " is missing or empty; it needs non-empty " + file.contents);
}

Result<Secrets> secrets_from_file(const std::filesystem::path& path) {
  const SecretFile file{path, "credentials file", "kraken.credentials_file",
                        "api_key and api_secret"};
  auto root = read_secret_map(file);
  if (!root) return root.status();
  auto key = required_string(*root, "api_key", file);
  if (!key) return key.status();
  auto secret = required_string(*root, "api_secret", file);
  if (!secret) return secret.status();
  return Secrets{std::move(key).value(), std::move(secret).value()};
}

Result<std::string> influx_password_from_file(const std::filesystem::path& path) {
  const SecretFile file{path, "InfluxDB password file", "influxdb.password_file", "password"};
  auto root = read_secret_map(file);
  if (!root) return root.status();
  return required_string(*root, "password", file);
}

}  // namespace

Result<Secrets> load_secrets(const KrakenConfig& kraken) {
  std::string key = env_value(kKeyVariable);
  std::string secret = env_value(kSecretVariable);
  if (!key.empty() && !secret.empty()) return Secrets{std::move(key), std::move(secret)};
  if (!key.empty() || !secret.empty()) {
    const std::string set = key.empty() ? kSecretVariable : kKeyVariable;
    const std::string unset = key.empty() ? kKeyVariable : kSecretVariable;
    return invalid_argument(set + " is set but " + unset + " is not; set both or neither");
  }
  if (kraken.credentials_file) return secrets_from_file(*kraken.credentials_file);
  return not_found(
      "no Kraken API credentials: set KRAKEN_API_KEY and KRAKEN_API_SECRET in the environment, "
      "or set kraken.credentials_file to a YAML file (mode 0600) with api_key and api_secret");
}

Result<InfluxSecrets> load_influx_secrets(const InfluxConfig& influx) {
  InfluxSecrets secrets;
  secrets.token = env_value(kInfluxTokenVariable);
  std::string password = env_value(kInfluxPasswordVariable);
  if (influx.username.empty()) {
    if (!password.empty()) {
      return invalid_argument(std::string(kInfluxPasswordVariable) +
                              " is set but influxdb.username is empty; set both or neither");
    }
    return secrets;
  }
  // Two ways to authenticate would leave it unclear which one InfluxDB checks.
  if (!secrets.token.empty()) {
    return invalid_argument(std::string(kInfluxTokenVariable) +
                            " and influxdb.username are both set; use the token (InfluxDB 2.x) "
                            "or influxdb.username with " +
                            kInfluxPasswordVariable + " (InfluxDB 1.x), not both");
  }
  if (password.empty() && influx.password_file) {
    auto from_file = influx_password_from_file(*influx.password_file);
    if (!from_file) return from_file.status();
    password = std::move(from_file).value();
  }
  if (password.empty()) {
    return not_found("influxdb.username is set but there is no password: set " +
                     std::string(kInfluxPasswordVariable) +
                     " or influxdb.password_file (a YAML file of mode 0600 with the key password)");
  }
  secrets.password = std::move(password);
  return secrets;
}

}  // namespace galfriday::config

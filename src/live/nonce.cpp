// NonceGenerator: atomic nonce with a durable high-water mark written ahead in blocks.

#include "galfriday/live/nonce.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace galfriday::live {
namespace {

constexpr mode_t kMarkFileMode = 0600;
constexpr mode_t kGroupOtherBits = 077;

std::string errno_text() { return std::strerror(errno); }

Status write_all(int fd, const std::string& data, const std::filesystem::path& path) {
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return unavailable("writing nonce mark " + path.string() + ": " + errno_text());
    }
    written += static_cast<size_t>(n);
  }
  return Status::ok();
}

Status fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return unavailable("opening directory " + dir.string() + ": " + errno_text());
  const int rc = ::fsync(fd);
  const std::string error = rc != 0 ? errno_text() : std::string();
  ::close(fd);
  if (rc != 0) return unavailable("fsync of directory " + dir.string() + ": " + error);
  return Status::ok();
}

uint64_t clock_floor(const Clock& clock) {
  const int64_t nanos = to_nanos(clock.now());
  return nanos > 0 ? static_cast<uint64_t>(nanos) : 0;
}

}  // namespace

Result<uint64_t> read_nonce_mark(const std::filesystem::path& mark_file) {
  std::error_code ec;
  if (!std::filesystem::exists(mark_file, ec)) {
    return not_found("nonce mark " + mark_file.string() + " does not exist");
  }
  std::ifstream in(mark_file);
  if (!in) return unavailable("cannot read nonce mark " + mark_file.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  uint64_t mark = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), mark);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return data_loss("nonce mark " + mark_file.string() +
                     " does not hold a decimal unsigned 64-bit number (got '" + text.substr(0, 40) +
                     "'); fix or delete it only if no request with this API key can have used a "
                     "higher nonce");
  }
  return mark;
}

Result<std::unique_ptr<NonceGenerator>> NonceGenerator::open(const std::filesystem::path& mark_file,
                                                             const Clock& clock,
                                                             NonceOptions options) {
  if (options.reservation_block == 0) {
    return invalid_argument("nonce reservation_block must be positive");
  }
  std::error_code ec;
  if (mark_file.has_parent_path()) {
    std::filesystem::create_directories(mark_file.parent_path(), ec);
    if (ec) {
      return unavailable("creating directory " + mark_file.parent_path().string() +
                         " for the nonce mark: " + ec.message());
    }
  }
  uint64_t mark = 0;
  auto existing = read_nonce_mark(mark_file);
  if (existing) {
    struct stat info {};
    if (::stat(mark_file.c_str(), &info) != 0) {
      return unavailable("stat of nonce mark " + mark_file.string() + ": " + errno_text());
    }
    if ((info.st_mode & kGroupOtherBits) != 0) {
      std::ostringstream mode;
      mode << std::oct << (info.st_mode & 0777);
      return permission_denied("nonce mark " + mark_file.string() + " has mode 0" + mode.str() +
                               "; it must be 0600 (chmod 600 " + mark_file.string() + ")");
    }
    mark = *existing;
  } else if (existing.status().code() != StatusCode::kNotFound) {
    return existing.status();
  }
  std::unique_ptr<NonceGenerator> generator(new NonceGenerator(mark_file, clock, options, mark));
  // Create the file now so a wrong directory shows at start, not on the first order.
  if (!existing) GF_RETURN_IF_ERROR(generator->persist(mark));
  return generator;
}

NonceGenerator::NonceGenerator(std::filesystem::path path, const Clock& clock, NonceOptions options,
                               uint64_t mark)
    : path_(std::move(path)), clock_(clock), options_(options), last_(mark), reserved_(mark) {}

Status NonceGenerator::persist(uint64_t mark) {
  const std::filesystem::path temp = path_.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, kMarkFileMode);
  if (fd < 0) return unavailable("creating " + temp.string() + ": " + errno_text());
  // O_CREAT's mode is filtered by the umask and ignored for an existing file.
  Status status = ::fchmod(fd, kMarkFileMode) == 0
                      ? write_all(fd, std::to_string(mark) + "\n", temp)
                      : unavailable("chmod of " + temp.string() + ": " + errno_text());
  if (status.is_ok() && ::fsync(fd) != 0) {
    status = unavailable("fsync of " + temp.string() + ": " + errno_text());
  }
  ::close(fd);
  GF_RETURN_IF_ERROR(status);
  if (::rename(temp.c_str(), path_.c_str()) != 0) {
    return unavailable("renaming " + temp.string() + " to " + path_.string() + ": " + errno_text());
  }
  return fsync_directory(path_.has_parent_path() ? path_.parent_path() : ".");
}

Result<uint64_t> NonceGenerator::next() {
  for (;;) {
    uint64_t last = last_.load(std::memory_order_acquire);
    if (last == UINT64_MAX) return out_of_range("Kraken nonce space exhausted");
    const uint64_t candidate = std::max(last + 1, clock_floor(clock_));
    if (candidate > reserved_.load(std::memory_order_acquire)) {
      std::lock_guard lock(reserve_mutex_);
      if (candidate > reserved_.load(std::memory_order_acquire)) {
        const uint64_t block = options_.reservation_block;
        const uint64_t mark = candidate > UINT64_MAX - block ? UINT64_MAX : candidate + block;
        GF_RETURN_IF_ERROR(persist(mark).with_context("reserving Kraken nonces"));
        reserved_.store(mark, std::memory_order_release);
      }
      continue;  // re-read `last`: another thread may have moved on meanwhile
    }
    if (last_.compare_exchange_weak(last, candidate, std::memory_order_acq_rel)) return candidate;
  }
}

}  // namespace galfriday::live

#include "files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace galfriday::prediction_internal {
namespace {

Status io_error(const std::string& what, const std::filesystem::path& path, int error) {
  const StatusCode code = error == EACCES || error == EPERM ? StatusCode::kPermissionDenied
                          : error == ENOENT                 ? StatusCode::kNotFound
                                                            : StatusCode::kUnavailable;
  return {code, what + " " + path.string() + ": " + std::strerror(error)};
}

Status write_and_sync(const std::filesystem::path& path, std::string_view contents) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot create", path, errno);
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return io_error("cannot write", path, error);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    return io_error("cannot flush", path, error);
  }
  if (::close(fd) != 0) return io_error("cannot close", path, errno);
  return Status::ok();
}

void sync_directory(const std::filesystem::path& directory) {
  // Best effort: the renames are already atomic; this makes them durable across a power loss.
  const int fd =
      ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

std::filesystem::path temporary_path_for(const std::filesystem::path& path) {
  static std::atomic<uint64_t> counter{0};
  std::ostringstream name;
  name << path.filename().string() << ".tmp." << ::getpid() << '.' << counter.fetch_add(1);
  return path.parent_path() / name.str();
}

}  // namespace

Result<std::string> read_whole_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return not_found(path.string() + " does not exist");
  if (std::filesystem::is_directory(path, ec)) {
    return invalid_argument(path.string() + " is a directory, not a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot open", path, errno);
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return io_error("cannot read", path, errno);
  return std::move(contents).str();
}

Status replace_files_atomically(
    const std::vector<std::pair<std::filesystem::path, std::string_view>>& files) {
  std::vector<std::filesystem::path> temporaries;
  auto remove_temporaries = [&temporaries] {
    std::error_code ignored;
    for (const auto& temporary : temporaries) std::filesystem::remove(temporary, ignored);
  };
  for (const auto& [path, contents] : files) {
    temporaries.push_back(temporary_path_for(path));
    if (Status status = write_and_sync(temporaries.back(), contents); !status.is_ok()) {
      remove_temporaries();
      return status;
    }
  }
  std::set<std::filesystem::path> directories;
  for (size_t i = 0; i < files.size(); ++i) {
    std::error_code ec;
    std::filesystem::rename(temporaries[i], files[i].first, ec);
    if (ec) {
      const Status status{StatusCode::kUnavailable, "cannot rename " + temporaries[i].string() +
                                                        " to " + files[i].first.string() + ": " +
                                                        ec.message()};
      temporaries.erase(temporaries.begin(), temporaries.begin() + static_cast<ptrdiff_t>(i));
      remove_temporaries();
      return status;
    }
    directories.insert(files[i].first.parent_path());
  }
  for (const auto& directory : directories) sync_directory(directory);
  return Status::ok();
}

}  // namespace galfriday::prediction_internal

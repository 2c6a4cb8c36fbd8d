#pragma once
// NonceGenerator: Kraken's per-key nonce, strictly increasing across threads and across
// restarts of the process.
//
// A nonce is max(last + 1, clock.now() in nanoseconds since the epoch). Nanoseconds are what
// Kraken now recommends for bursts (time.time_ns()), and a key that has seen nanosecond nonces
// can never go back to a smaller format, so the format is fixed here. The clock only sets a
// floor: when it goes backwards, nonces keep counting up from the last one.
//
// Restarts: the generator persists a high-water mark in a file (default <data_dir>/kraken_nonce,
// mode 0600) and never hands out a nonce above the persisted mark. When a nonce would pass it,
// the mark is first moved a whole block ahead (written to a temporary file, fsync'ed, renamed
// over the old one, directory fsync'ed), so writes are rare and a crash at any point leaves a
// mark at or above every nonce ever sent. On start the generator continues above the mark.
// Why a file and not a database table: the mark must be durable before the request leaves, on
// the order path, while database writes go through the asynchronous writer; and a nonce must
// not depend on which database backend is configured.
//
// Thread-safety: next() may be called from any thread; the common case is one compare-and-swap,
// the rare block reservation takes a mutex.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>

#include "galfriday/core/clock.hpp"
#include "galfriday/core/status.hpp"

namespace galfriday::live {

struct NonceOptions {
  // How far ahead of the nonce in use the persisted mark is moved. At nanosecond nonces,
  // 60 s of clock time: one durable write per minute in steady state.
  uint64_t reservation_block = 60'000'000'000ULL;
};

class NonceGenerator {
 public:
  // Opens or creates the mark file. kPermissionDenied when an existing file is readable by
  // group or others (it is not a secret, but a wider mode means someone else may write it);
  // kDataLoss when its content is not a decimal uint64; kUnavailable on I/O errors. Missing
  // directories are created.
  static Result<std::unique_ptr<NonceGenerator>> open(const std::filesystem::path& mark_file,
                                                      const Clock& clock,
                                                      NonceOptions options = {});

  // The next nonce, strictly greater than every nonce this generator (in this or an earlier
  // process with the same file) returned. kUnavailable when the mark cannot be persisted: no
  // nonce is handed out that a restart could repeat.
  Result<uint64_t> next();

  // The persisted high-water mark (for tests and `galfriday` diagnostics).
  uint64_t persisted_mark() const { return reserved_.load(std::memory_order_acquire); }
  const std::filesystem::path& path() const { return path_; }

 private:
  NonceGenerator(std::filesystem::path path, const Clock& clock, NonceOptions options,
                 uint64_t mark);
  Status persist(uint64_t mark);

  std::filesystem::path path_;
  const Clock& clock_;
  NonceOptions options_;
  std::atomic<uint64_t> last_;      // the last nonce handed out
  std::atomic<uint64_t> reserved_;  // durable high-water mark: every nonce is <= this
  std::mutex reserve_mutex_;
};

// Reads a mark file: kNotFound when absent, kDataLoss when malformed.
Result<uint64_t> read_nonce_mark(const std::filesystem::path& mark_file);

}  // namespace galfriday::live

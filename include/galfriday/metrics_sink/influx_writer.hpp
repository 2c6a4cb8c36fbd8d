#pragma once
// InfluxWriter: metrics to InfluxDB over HTTP, off the engine thread.
//
// write() (any thread, never blocks on the network) formats the point and appends its line to
// a bounded buffer. A background thread sends the buffer in batches of up to batch_points
// lines, when a batch is full or flush_interval after the oldest buffered line:
//   1.x: POST {url}/write?db={database}&precision=ns, with a username
//        Authorization: Basic base64({username}:{password})
//   2.x: POST {url}/api/v2/write?org={org}&bucket={bucket}&precision=ns,
//        Authorization: Token {token}
// 1.x with create_database: before its first write the writer sends
//   POST {url}/query  q=CREATE DATABASE "{database}"
// (a no-op when the database exists). Unreachable, 429 or 5xx: retried with the batch's
// backoff before the write. Any other refusal (401, 403 for a non-admin user) is reported to
// on_error and writes go on: the database may exist already.
// Outcomes of a batch:
//   204                          written
//   429, 5xx, transport failure  retried with exponential backoff (retry_backoff_initial ..
//                                retry_backoff_max) until it succeeds or stop() gives up;
//                                the batch keeps its place, newer lines wait behind it
//   other 4xx (bad line, auth, unknown database)  dropped: counted in stats().rejected_points
//                                and reported to on_error with what to do (401: check the
//                                credentials; 404 database not found: create it, or with
//                                create_database it is created again before the next batch
//                                when it was dropped after the writer created it)
// Back-pressure: when max_buffered_points lines are waiting, write() drops the new point and
// counts it (stats().dropped_points) and on_error hears of the first drop of a run of drops.
// Metrics are not worth stalling trading for; the count makes the loss visible.
//
// stop() (and the destructor) sends what is buffered, giving up after stop_timeout when
// InfluxDB is unreachable (what is left is counted as dropped).
//
// The token and password are never logged and never part of an error message or URL.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "galfriday/config/config.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/metrics_sink/line_protocol.hpp"
#include "galfriday/net/http.hpp"

namespace galfriday::metrics_sink {

struct InfluxWriterOptions {
  std::string url = "http://127.0.0.1:8086";  // no trailing path
  int api_version = 1;                        // 1 or 2
  std::string database = "galfriday";         // 1.x
  std::string org;                            // 2.x
  std::string bucket;                         // 2.x
  std::string token;                          // 2.x; from GALFRIDAY_INFLUX_TOKEN
  std::string username;                       // 1.x; empty: no credentials (excludes token)
  std::string password;                       // 1.x, with username
  // 1.x: CREATE DATABASE before the first write. The config section defaults it to true;
  // here it is opt-in so a writer does nothing but write unless asked.
  bool create_database = false;
  size_t batch_points = 5000;
  std::chrono::milliseconds flush_interval{1000};
  size_t max_buffered_points = 100000;
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds retry_backoff_initial{100};
  std::chrono::milliseconds retry_backoff_max{10000};
  std::chrono::milliseconds stop_timeout{5000};
  // Writer thread (or the writing thread for drops). Must not call into the writer.
  std::function<void(const Status&)> on_error;
};

struct InfluxWriterStats {
  uint64_t accepted_points = 0;  // buffered by write()
  uint64_t written_points = 0;   // acknowledged by InfluxDB (204)
  uint64_t dropped_points = 0;   // buffer full, or left over at stop
  uint64_t rejected_points = 0;  // in batches InfluxDB refused (4xx)
  uint64_t invalid_points = 0;   // could not be formatted (write() returned an error)
  uint64_t requests = 0;         // HTTP requests sent
  uint64_t retries = 0;          // batches sent again after a transient failure
  size_t buffered_points = 0;
};

// The options for the config's influxdb section and its secrets (config::load_influx_secrets).
InfluxWriterOptions influx_options(const config::InfluxConfig& config,
                                   const config::InfluxSecrets& secrets);

// The write URL for the options ("http://h:8086/write?db=galfriday&precision=ns").
// kInvalidArgument when a required setting is missing or the credentials do not fit the
// version (a username without password, a username and a token).
Result<std::string> influx_write_url(const InfluxWriterOptions& options);

class InfluxWriter {
 public:
  // The transport must outlive the writer. Fails (kInvalidArgument) on bad options.
  static Result<std::unique_ptr<InfluxWriter>> create(net::HttpTransport& transport,
                                                      InfluxWriterOptions options);
  ~InfluxWriter();
  InfluxWriter(const InfluxWriter&) = delete;
  InfluxWriter& operator=(const InfluxWriter&) = delete;

  // Any thread. kInvalidArgument for a point that cannot be written (counted as invalid),
  // kResourceExhausted when the buffer is full (counted as dropped), kFailedPrecondition after
  // stop().
  Status write(const Point& point);

  // Blocks until every line buffered before the call is written, rejected or dropped, or
  // `timeout` passes (false).
  bool flush(std::chrono::milliseconds timeout);

  void stop();
  InfluxWriterStats stats() const;

 private:
  InfluxWriter(net::HttpTransport& transport, InfluxWriterOptions options, std::string write_url);
  void run();
  // Sends one batch until it is written, refused, or the writer gives up (stopping and past
  // the deadline). Returns the outcome for the counters.
  enum class Outcome { kWritten, kRejected, kAbandoned };
  Outcome send_batch(const std::string& body, size_t points);
  // Writer thread. CREATE DATABASE; an error only when it is worth trying again (unreachable,
  // 429, 5xx). A refusal is reported and settles it.
  Status create_database();
  // Writer thread. What the user can do about a refused batch ("" when nothing specific).
  std::string rejection_advice(const net::HttpResponse& response);
  void report(const Status& status);

  net::HttpTransport& transport_;
  const InfluxWriterOptions options_;
  const std::string write_url_;
  const std::string query_url_;      // 1.x /query, for CREATE DATABASE
  const std::string authorization_;  // the Authorization header's value; empty: none

  // Writer thread only.
  bool database_pending_ = false;  // CREATE DATABASE still to send
  bool database_created_ = false;  // this writer created it (or found it): a later "database
                                   // not found" means it was dropped since

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<std::string> lines_;
  bool stopping_ = false;
  int flush_waiters_ = 0;
  bool dropping_ = false;  // in a run of drops: on_error heard of its first
  uint64_t accepted_ = 0;
  uint64_t completed_ = 0;  // lines written, rejected or dropped after acceptance
  uint64_t dropped_ = 0;
  uint64_t invalid_ = 0;
  std::chrono::steady_clock::time_point stop_deadline_{};

  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> rejected_{0};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> retries_{0};

  std::thread thread_;
};

}  // namespace galfriday::metrics_sink

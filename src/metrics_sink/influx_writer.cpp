#include "galfriday/metrics_sink/influx_writer.hpp"

#include <algorithm>

#include "galfriday/core/encoding.hpp"

namespace galfriday::metrics_sink {
namespace {

bool is_transient(int http_status) { return http_status == 429 || http_status >= 500; }

// The base URL without trailing slashes, or an error for a non-HTTP URL.
Result<std::string> base_url(const InfluxWriterOptions& options) {
  std::string base = options.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (!base.starts_with("http://") && !base.starts_with("https://")) {
    return invalid_argument("influxdb.url must be an http:// or https:// URL, got '" + base + "'");
  }
  return base;
}

// An InfluxQL identifier in double quotes, so any database name works.
std::string quoted_identifier(std::string_view name) {
  std::string quoted = "\"";
  for (const char c : name) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + '"';
}

std::string authorization(const InfluxWriterOptions& options) {
  if (options.api_version == 2) return "Token " + options.token;
  if (!options.username.empty()) {
    return "Basic " + base64_encode(options.username + ":" + options.password);
  }
  return "";
}

std::string excerpt(std::string_view body) {
  constexpr size_t kMax = 300;
  // InfluxDB ends its JSON errors with a newline; it would show as a stray space.
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  std::string text(body.substr(0, kMax));
  std::replace(text.begin(), text.end(), '\n', ' ');
  if (body.size() > kMax) text += "...";
  return text;
}

}  // namespace

InfluxWriterOptions influx_options(const config::InfluxConfig& config,
                                   const config::InfluxSecrets& secrets) {
  InfluxWriterOptions options;
  options.url = config.url;
  options.api_version = config.api_version;
  options.database = config.database;
  options.org = config.org;
  options.bucket = config.bucket;
  options.token = secrets.token;
  options.username = config.username;
  options.password = secrets.password;
  options.create_database = config.create_database;
  options.batch_points = static_cast<size_t>(config.batch_points);
  options.flush_interval = std::chrono::milliseconds(config.flush_interval_ms);
  options.max_buffered_points = static_cast<size_t>(config.max_buffered_points);
  options.stop_timeout = std::chrono::milliseconds(config.stop_timeout_ms);
  return options;
}

Result<std::string> influx_write_url(const InfluxWriterOptions& options) {
  auto base_or = base_url(options);
  if (!base_or) return base_or.status();
  const std::string& base = *base_or;
  if (!options.username.empty() && !options.token.empty()) {
    return invalid_argument(std::string(config::kInfluxTokenVariable) +
                            " and influxdb.username are both set; use one way to authenticate");
  }
  if (options.api_version == 1) {
    if (options.database.empty()) return invalid_argument("influxdb.database is empty");
    if (!options.username.empty() && options.password.empty()) {
      return invalid_argument("influxdb.username needs a password: set " +
                              std::string(config::kInfluxPasswordVariable) +
                              " or influxdb.password_file");
    }
    return base + "/write?db=" + percent_encode(options.database) + "&precision=ns";
  }
  if (options.api_version == 2) {
    if (options.org.empty() || options.bucket.empty()) {
      return invalid_argument("InfluxDB 2.x needs influxdb.org and influxdb.bucket");
    }
    if (!options.username.empty()) {
      return invalid_argument(
          "InfluxDB 2.x authenticates with the token only: leave influxdb.username empty");
    }
    if (options.token.empty()) {
      return invalid_argument("InfluxDB 2.x needs a token: set " +
                              std::string(config::kInfluxTokenVariable));
    }
    return base + "/api/v2/write?org=" + percent_encode(options.org) +
           "&bucket=" + percent_encode(options.bucket) + "&precision=ns";
  }
  return invalid_argument("influxdb.api_version must be 1 or 2, got " +
                          std::to_string(options.api_version));
}

Result<std::unique_ptr<InfluxWriter>> InfluxWriter::create(net::HttpTransport& transport,
                                                           InfluxWriterOptions options) {
  auto url = influx_write_url(options);
  if (!url) return url.status();
  options.batch_points = std::max<size_t>(options.batch_points, 1);
  options.max_buffered_points = std::max<size_t>(options.max_buffered_points, 1);
  return std::unique_ptr<InfluxWriter>(
      new InfluxWriter(transport, std::move(options), std::move(*url)));
}

InfluxWriter::InfluxWriter(net::HttpTransport& transport, InfluxWriterOptions options,
                           std::string write_url)
    : transport_(transport),
      options_(std::move(options)),
      write_url_(std::move(write_url)),
      query_url_(base_url(options_).value() + "/query"),
      authorization_(authorization(options_)),
      database_pending_(options_.api_version == 1 && options_.create_database) {
  thread_ = std::thread([this] { run(); });
}

InfluxWriter::~InfluxWriter() { stop(); }

Status InfluxWriter::write(const Point& point) {
  std::string line;
  const Status formatted = append_line(point, line);
  bool first_drop = false;
  Status result;
  {
    std::lock_guard lock(mutex_);
    if (!formatted.is_ok()) {
      ++invalid_;
      return formatted;
    }
    if (stopping_) return failed_precondition("metrics: the InfluxDB writer is stopped");
    if (lines_.size() >= options_.max_buffered_points) {
      ++dropped_;
      first_drop = !dropping_;
      dropping_ = true;
      result = Status(StatusCode::kResourceExhausted,
                      "metrics: the InfluxDB buffer is full (" +
                          std::to_string(options_.max_buffered_points) + " points); " +
                          std::to_string(dropped_) + " point(s) dropped so far");
    } else {
      line.pop_back();  // the newline; batches join lines with one
      lines_.push_back(std::move(line));
      ++accepted_;
      dropping_ = false;
      // The writer waits without a timeout while the buffer is empty: the first line wakes it
      // (it then lingers up to flush_interval for more), a full batch ends the linger.
      if (lines_.size() == 1 || lines_.size() >= options_.batch_points) work_cv_.notify_one();
    }
  }
  if (first_drop) report(result);
  return result;
}

bool InfluxWriter::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const uint64_t target = accepted_;
  ++flush_waiters_;
  work_cv_.notify_one();
  const bool done = done_cv_.wait_for(lock, timeout, [&] { return completed_ >= target; });
  --flush_waiters_;
  return done;
}

void InfluxWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = std::chrono::steady_clock::now() + options_.stop_timeout;
    }
  }
  work_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

InfluxWriterStats InfluxWriter::stats() const {
  InfluxWriterStats stats;
  {
    std::lock_guard lock(mutex_);
    stats.accepted_points = accepted_;
    stats.dropped_points = dropped_;
    stats.invalid_points = invalid_;
    stats.buffered_points = lines_.size();
  }
  stats.written_points = written_.load(std::memory_order_relaxed);
  stats.rejected_points = rejected_.load(std::memory_order_relaxed);
  stats.requests = requests_.load(std::memory_order_relaxed);
  stats.retries = retries_.load(std::memory_order_relaxed);
  return stats;
}

void InfluxWriter::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    work_cv_.wait(lock, [&] { return !lines_.empty() || stopping_; });
    if (lines_.empty()) break;  // stopping with nothing left
    // Linger for a full batch unless someone waits for the data or the writer is stopping.
    if (lines_.size() < options_.batch_points && !stopping_ && flush_waiters_ == 0) {
      work_cv_.wait_for(lock, options_.flush_interval, [&] {
        return lines_.size() >= options_.batch_points || stopping_ || flush_waiters_ > 0;
      });
    }
    const size_t count = std::min(lines_.size(), options_.batch_points);
    std::string body;
    for (size_t i = 0; i < count; ++i) {
      body += lines_.front();
      body += '\n';
      lines_.pop_front();
    }
    lock.unlock();
    const Outcome outcome = send_batch(body, count);
    lock.lock();
    if (outcome == Outcome::kAbandoned) {
      // Stopping and InfluxDB stayed away: this batch and everything behind it is lost.
      const uint64_t lost = count + lines_.size();
      dropped_ += lost;
      completed_ += lost;
      lines_.clear();
      lock.unlock();
      report(unavailable("metrics: InfluxDB unreachable at shutdown; " + std::to_string(lost) +
                         " point(s) dropped"));
      lock.lock();
    } else {
      completed_ += count;
    }
    done_cv_.notify_all();
  }
}

InfluxWriter::Outcome InfluxWriter::send_batch(const std::string& body, size_t points) {
  net::HttpRequest request;
  request.method = net::HttpMethod::kPost;
  request.url = write_url_;
  request.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
  if (!authorization_.empty()) request.headers.push_back({"Authorization", authorization_});
  request.body = body;
  auto backoff = options_.retry_backoff_initial;
  while (true) {
    // The database first, on the first connection: its transient failure is this attempt's.
    Status failure = database_pending_ ? create_database() : Status::ok();
    if (failure.is_ok()) {
      requests_.fetch_add(1, std::memory_order_relaxed);
      auto response = transport_.send(request, options_.request_timeout);
      if (response && (response->status == 204 || response->status == 200)) {
        written_.fetch_add(points, std::memory_order_relaxed);
        return Outcome::kWritten;
      }
      if (response && !is_transient(response->status)) {
        rejected_.fetch_add(points, std::memory_order_relaxed);
        report(invalid_argument("metrics: InfluxDB refused a batch of " + std::to_string(points) +
                                " point(s) with HTTP " + std::to_string(response->status) + ": " +
                                excerpt(response->body) + rejection_advice(*response)));
        return Outcome::kRejected;
      }
      failure = response
                    ? unavailable("metrics: InfluxDB answered HTTP " +
                                  std::to_string(response->status) + ": " + excerpt(response->body))
                    : response.status();
    }
    std::unique_lock lock(mutex_);
    const auto past_deadline = [&] {
      return stopping_ && std::chrono::steady_clock::now() >= stop_deadline_;
    };
    if (past_deadline()) return Outcome::kAbandoned;
    const bool first_retry = backoff == options_.retry_backoff_initial;
    lock.unlock();
    if (first_retry) report(failure.with_context("metrics: retrying"));
    lock.lock();
    work_cv_.wait_for(lock, backoff, past_deadline);
    if (past_deadline()) return Outcome::kAbandoned;
    retries_.fetch_add(1, std::memory_order_relaxed);
    backoff = std::min(backoff * 2, options_.retry_backoff_max);
  }
}

Status InfluxWriter::create_database() {
  const std::string statement = "CREATE DATABASE " + quoted_identifier(options_.database);
  net::HttpRequest request;
  request.method = net::HttpMethod::kPost;
  request.url = query_url_;
  request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  if (!authorization_.empty()) request.headers.push_back({"Authorization", authorization_});
  request.body = "q=" + percent_encode(statement);
  requests_.fetch_add(1, std::memory_order_relaxed);
  auto response = transport_.send(request, options_.request_timeout);
  if (!response) return response.status().with_context("metrics: " + statement);
  if (is_transient(response->status)) {
    return unavailable("metrics: InfluxDB answered HTTP " + std::to_string(response->status) +
                       " to " + statement + ": " + excerpt(response->body));
  }
  database_pending_ = false;
  // A statement InfluxDB refuses can still come back as 200 with an "error" in the results.
  const bool success = response->status >= 200 && response->status < 300;
  if (success && response->body.find("\"error\"") == std::string::npos) {
    database_created_ = true;
    return Status::ok();
  }
  const bool auth = response->status == 401 || response->status == 403;
  report(Status(
      auth ? StatusCode::kPermissionDenied : StatusCode::kFailedPrecondition,
      "metrics: could not create the InfluxDB database (influxdb.create_database): " + statement +
          " answered HTTP " + std::to_string(response->status) + ": " + excerpt(response->body) +
          (auth ? "; it needs an admin user (or create the database as one and set "
                  "influxdb.create_database: false)"
                : "") +
          "; writes go on"));
  return Status::ok();
}

std::string InfluxWriter::rejection_advice(const net::HttpResponse& response) {
  if (response.status == 401 || response.status == 403) {
    if (options_.api_version == 2) {
      return std::string("; check ") + config::kInfluxTokenVariable +
             " (and that it may write to the bucket)";
    }
    if (options_.username.empty()) {
      return std::string("; InfluxDB checks authentication: set influxdb.username and ") +
             config::kInfluxPasswordVariable + " (or influxdb.password_file)";
    }
    return std::string("; check influxdb.username and its password (") +
           config::kInfluxPasswordVariable +
           " or influxdb.password_file) and that the user may write to the database";
  }
  if (options_.api_version != 1 || response.status != 404 ||
      response.body.find("database not found") == std::string::npos) {
    return "";
  }
  const std::string create = "CREATE DATABASE " + quoted_identifier(options_.database);
  if (!options_.create_database) {
    return "; create it (influx -execute '" + create + "') or set influxdb.create_database: true";
  }
  if (database_created_) {
    // Dropped while we write: make it again rather than refuse every batch from now on.
    database_pending_ = true;
    return "; it was dropped after the writer created it and is created again before the "
           "next batch";
  }
  return "; influxdb.create_database could not create it (see the earlier warning): run " + create +
         " as an admin user";
}

void InfluxWriter::report(const Status& status) {
  if (!options_.on_error) return;
  try {
    options_.on_error(status);
  } catch (...) {  // a failing observer must not stop the writer
  }
}

}  // namespace galfriday::metrics_sink

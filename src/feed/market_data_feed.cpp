#include "galfriday/feed/market_data_feed.hpp"

#include <spdlog/spdlog.h>

namespace galfriday::feed {

MarketDataFeedOptions market_data_feed_options(const config::Config& config,
                                               std::vector<InstrumentSpec> pairs) {
  const config::MarketDataConfig& market_data = config.market_data;
  MarketDataFeedOptions options;
  options.client.url = config.kraken.ws_url;
  options.client.max_frame_bytes = static_cast<size_t>(market_data.max_frame_bytes);
  options.client.idle_timeout = std::chrono::seconds(market_data.idle_timeout_seconds);
  options.client.reconnect.min_backoff =
      std::chrono::milliseconds(market_data.reconnect_min_backoff_ms);
  options.client.reconnect.max_backoff =
      std::chrono::milliseconds(market_data.reconnect_max_backoff_ms);
  options.client.reconnect.jitter = market_data.reconnect_jitter;
  options.ingestor.pairs = std::move(pairs);
  options.ingestor.book_depth = static_cast<size_t>(market_data.book_depth);
  options.ingestor.ohlc_interval_minutes = market_data.ohlc_interval_minutes;
  options.ingestor.staleness = std::chrono::seconds(market_data.staleness_seconds);
  options.ingestor.max_frame_bytes = static_cast<size_t>(market_data.max_frame_bytes);
  return options;
}

MarketDataFeed::MarketDataFeed(const Clock& clock, std::unique_ptr<RecordingWriter> recorder)
    : clock_(clock), recorder_(std::move(recorder)) {}

Result<std::unique_ptr<MarketDataFeed>> MarketDataFeed::create(
    MarketDataFeedOptions options, const Clock& clock, DataIngestor::EventSink sink,
    std::unique_ptr<RecordingWriter> recorder) {
  std::unique_ptr<MarketDataFeed> feed(new MarketDataFeed(clock, std::move(recorder)));
  MarketDataFeed* raw = feed.get();
  // The client exists before the ingestor can send: sends happen only from on_connected on.
  auto ingestor = DataIngestor::create(
      std::move(options.ingestor), std::move(sink),
      [raw](std::string frame) { return raw->client_->send(std::move(frame)); });
  if (!ingestor) return ingestor.status();
  feed->ingestor_ = std::move(*ingestor);
  auto client = WsClient::create(std::move(options.client), clock, *feed);
  if (!client) return client.status();
  feed->client_ = std::move(*client);
  return feed;
}

MarketDataFeed::~MarketDataFeed() {
  stop();
  if (scheduler_ && timer_) scheduler_->cancel(*timer_);
}

void MarketDataFeed::start() { client_->start(); }

void MarketDataFeed::stop() {
  // create() destroys a half-built feed (bad URL) before it has a client.
  if (client_) client_->stop();
  std::lock_guard lock(recording_mutex_);
  if (recorder_ && recording_status_.is_ok()) recording_status_ = recorder_->flush();
}

void MarketDataFeed::attach_timer(Scheduler& scheduler, Duration period) {
  if (scheduler_ && timer_) scheduler_->cancel(*timer_);
  scheduler_ = &scheduler;
  timer_ = scheduler.schedule_every(period, [this] { ingestor_->on_timer(clock_.now()); });
}

Status MarketDataFeed::recording_status() const {
  std::lock_guard lock(recording_mutex_);
  return recording_status_;
}

void MarketDataFeed::record(const Status& written) {
  if (written.is_ok() || !recording_status_.is_ok()) return;
  recording_status_ = written;
  spdlog::error("market data: recording stopped: {}", written.to_string());
}

void MarketDataFeed::on_connected(uint64_t connection) {
  const Timestamp now = clock_.now();
  spdlog::info("market data: connected (connection {})", connection);
  {
    std::lock_guard lock(recording_mutex_);
    if (recorder_ && recording_status_.is_ok()) record(recorder_->write_connected(now));
  }
  ingestor_->on_connected(now);
}

void MarketDataFeed::on_text(std::string_view frame, Timestamp received) {
  {
    std::lock_guard lock(recording_mutex_);
    if (recorder_ && recording_status_.is_ok()) record(recorder_->write_frame(frame, received));
  }
  ingestor_->on_frame(frame, received);
}

void MarketDataFeed::on_disconnected(const Status& reason) {
  const Timestamp now = clock_.now();
  spdlog::warn("market data: disconnected: {}", reason.to_string());
  {
    std::lock_guard lock(recording_mutex_);
    if (recorder_ && recording_status_.is_ok()) record(recorder_->write_disconnected(now));
  }
  ingestor_->on_disconnected(now);
}

void MarketDataFeed::on_connect_failed(const Status& reason) {
  spdlog::warn("market data: connection attempt failed: {}", reason.to_string());
  ingestor_->on_connect_failed(clock_.now(), reason.message());
}

}  // namespace galfriday::feed

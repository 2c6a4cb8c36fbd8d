#pragma once
// MarketDataFeed: the live market data path. A WsClient connection to Kraken's public
// WebSocket v2 feeds a DataIngestor; its events go to the sink (PubSubManager::post in the
// engine, so handlers run on the engine thread); every frame can also be written to a
// recording with its receive time.
//
// Threading: frames are decoded and books kept on the client's I/O thread; attach_timer()
// schedules the ingestor's bar-closing and staleness checks on the engine's Scheduler.

#include <memory>
#include <mutex>
#include <optional>

#include "galfriday/config/config.hpp"
#include "galfriday/core/scheduler.hpp"
#include "galfriday/feed/data_ingestor.hpp"
#include "galfriday/feed/recording.hpp"
#include "galfriday/feed/ws_client.hpp"

namespace galfriday::feed {

struct MarketDataFeedOptions {
  WsClientOptions client;
  DataIngestorOptions ingestor;
};

// The feed's options from the config's kraken.ws_url and market_data section, for `pairs`.
MarketDataFeedOptions market_data_feed_options(const config::Config& config,
                                               std::vector<InstrumentSpec> pairs);

class MarketDataFeed final : public WsClientListener {
 public:
  // `recorder` (optional) receives every connection event and frame. kInvalidArgument for bad
  // options. Does not connect until start().
  static Result<std::unique_ptr<MarketDataFeed>> create(
      MarketDataFeedOptions options, const Clock& clock, DataIngestor::EventSink sink,
      std::unique_ptr<RecordingWriter> recorder = nullptr);
  ~MarketDataFeed() override;  // stop()

  void start();
  // Stops the connection, then flushes the recording. Idempotent.
  void stop();

  // Engine thread: on_timer(clock.now()) every `period` until the feed is destroyed.
  void attach_timer(Scheduler& scheduler, Duration period = std::chrono::seconds(1));

  DataIngestor& ingestor() { return *ingestor_; }
  const DataIngestor& ingestor() const { return *ingestor_; }
  WsClientStats client_stats() const { return client_->stats(); }
  // First error writing the recording (it stops recording then); OK otherwise.
  Status recording_status() const;

  // WsClientListener (the I/O thread).
  void on_connected(uint64_t connection) override;
  void on_text(std::string_view frame, Timestamp received) override;
  void on_disconnected(const Status& reason) override;
  void on_connect_failed(const Status& reason) override;

 private:
  MarketDataFeed(const Clock& clock, std::unique_ptr<RecordingWriter> recorder);
  void record(const Status& written);

  const Clock& clock_;
  std::unique_ptr<DataIngestor> ingestor_;
  std::unique_ptr<WsClient> client_;
  std::unique_ptr<RecordingWriter> recorder_;
  mutable std::mutex recording_mutex_;
  Status recording_status_;
  std::optional<TimerId> timer_;
  Scheduler* scheduler_ = nullptr;
};

}  // namespace galfriday::feed

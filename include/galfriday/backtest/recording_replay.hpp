#pragma once
// Replays a recording of Kraken's public WebSocket stream (written by `galfriday record`, format
// in feed/recording.hpp) as market data events, for backtests on recorded books, trades and
// bars.
//
// The frames go through a DataIngestor, the same decoder, books (with checksum checks) and bar
// closing as the live feed, so the events are those the live run published: L2 books after
// every clean book message, trades, and closed bars as the ingestor closes them. The ingestor's
// periodic timer (bar closing in quiet markets, staleness) runs on recorded time, every
// `timer_period` from the first entry, as the live feed's engine timer does. The file is read
// line by line, so memory stays flat however long the recording is.

#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "galfriday/core/status.hpp"
#include "galfriday/events/events.hpp"
#include "galfriday/feed/data_ingestor.hpp"

namespace galfriday::backtest {

struct ReplayedEvent {
  Timestamp received{};  // local time the frame was received (or the timer ran): the clock
  Event event;           // ts_init is `received`; ts_event the exchange time
};

class RecordingReplay {
 public:
  // kNotFound when the file cannot be opened; kInvalidArgument for bad ingestor options.
  static Result<RecordingReplay> open(const std::filesystem::path& path,
                                      feed::DataIngestorOptions options,
                                      Duration timer_period = std::chrono::seconds(1));

  ~RecordingReplay();
  RecordingReplay(RecordingReplay&&) noexcept;
  RecordingReplay& operator=(RecordingReplay&&) noexcept;

  // The next event in receive order; nullopt at the end. kInvalidArgument naming file and line
  // for an entry that is not a recording entry, or a receive time earlier than the previous
  // entry's (the simulated clock only moves forward).
  Result<std::optional<ReplayedEvent>> next();

  // What the ingestor saw so far (frames, decode errors, checksum mismatches, ...).
  feed::FeedCounters counters() const;

 private:
  struct State;
  explicit RecordingReplay(std::unique_ptr<State> state);
  // Reads entries until the ingestor has emitted something or the file ends.
  Status refill();

  std::unique_ptr<State> state_;
};

}  // namespace galfriday::backtest

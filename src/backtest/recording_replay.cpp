#include "galfriday/backtest/recording_replay.hpp"

#include <string>

#include "galfriday/feed/recording.hpp"

namespace galfriday::backtest {

struct RecordingReplay::State {
  std::filesystem::path path;
  std::ifstream in;
  int line_number = 0;
  Duration timer_period{};
  std::unique_ptr<feed::DataIngestor> ingestor;
  std::deque<ReplayedEvent> pending;
  Timestamp current{};  // receive time of the entry being fed; events emitted now carry it
  std::optional<Timestamp> last_received;
  std::optional<Timestamp> next_timer;
  bool finished = false;
};

RecordingReplay::RecordingReplay(std::unique_ptr<State> state) : state_(std::move(state)) {}
RecordingReplay::~RecordingReplay() = default;
RecordingReplay::RecordingReplay(RecordingReplay&&) noexcept = default;
RecordingReplay& RecordingReplay::operator=(RecordingReplay&&) noexcept = default;

Result<RecordingReplay> RecordingReplay::open(const std::filesystem::path& path,
                                              feed::DataIngestorOptions options,
                                              Duration timer_period) {
  if (timer_period <= Duration::zero()) {
    return invalid_argument("replay of " + path.string() + ": timer period must be positive");
  }
  auto state = std::make_unique<State>();
  state->path = path;
  state->timer_period = timer_period;
  state->in.open(path, std::ios::binary);
  if (!state->in) return not_found("recording file " + path.string() + " cannot be opened");
  State* raw = state.get();
  auto ingestor = feed::DataIngestor::create(
      std::move(options),
      [raw](Event event) {
        raw->pending.push_back({raw->current, std::move(event)});
      },
      // A replay answers nobody: the subscribe requests the ingestor sends on a connection go
      // nowhere (the recording already holds what Kraken answered).
      [](std::string) { return true; });
  if (!ingestor) return ingestor.status().with_context("replay of " + path.string());
  state->ingestor = std::move(*ingestor);
  return RecordingReplay(std::move(state));
}

Status RecordingReplay::refill() {
  State& state = *state_;
  std::string line;
  while (state.pending.empty() && !state.finished) {
    if (!std::getline(state.in, line)) {
      if (state.in.bad()) return data_loss("reading " + state.path.string() + " failed");
      state.finished = true;
      break;
    }
    ++state.line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = state.path.string() + ":" + std::to_string(state.line_number);
    auto entry = feed::parse_recorded_entry(line);
    if (!entry) return entry.status().with_context(where);
    if (state.last_received && entry->received < *state.last_received) {
      return invalid_argument(where + ": receive time " + format_iso8601(entry->received) +
                              " is before the previous entry's " +
                              format_iso8601(*state.last_received));
    }
    state.last_received = entry->received;
    // The live feed's timer fires on the engine clock between frames; here on recorded time.
    if (!state.next_timer) state.next_timer = entry->received + state.timer_period;
    while (*state.next_timer <= entry->received) {
      state.current = *state.next_timer;
      state.ingestor->on_timer(state.current);
      *state.next_timer += state.timer_period;
    }
    state.current = entry->received;
    switch (entry->type) {
      case feed::RecordedEntry::Type::kConnected:
        state.ingestor->on_connected(entry->received);
        break;
      case feed::RecordedEntry::Type::kFrame:
        state.ingestor->on_frame(entry->frame, entry->received);
        break;
      case feed::RecordedEntry::Type::kDisconnected:
        state.ingestor->on_disconnected(entry->received);
        break;
    }
  }
  return Status::ok();
}

Result<std::optional<ReplayedEvent>> RecordingReplay::next() {
  GF_RETURN_IF_ERROR(refill());
  if (state_->pending.empty()) return std::optional<ReplayedEvent>();
  ReplayedEvent event = std::move(state_->pending.front());
  state_->pending.pop_front();
  return std::optional<ReplayedEvent>(std::move(event));
}

feed::FeedCounters RecordingReplay::counters() const { return state_->ingestor->counters(); }

}  // namespace galfriday::backtest

#include "galfriday/persistence/event_log.hpp"

#include <limits>

#include "galfriday/events/event_json.hpp"
#include "galfriday/persistence/sql_repositories.hpp"

namespace galfriday::persistence {

EventLogRecorder::EventLogRecorder(PubSubManager& bus, AsyncWriter& writer, std::string run_id)
    : bus_(bus), writer_(writer), run_id_(std::make_shared<const std::string>(std::move(run_id))) {
  bus_.set_event_hook([this](const Event& event) { on_event(event); });
}

EventLogRecorder::~EventLogRecorder() { bus_.set_event_hook({}); }

void EventLogRecorder::on_event(const Event& event) {
  // The bus does not guard its hook: nothing may escape from here into dispatch. Copying the
  // event can only fail for lack of memory, which then counts as a dropped event.
  try {
    Status queued = writer_.enqueue(append_event_command(run_id_, event));
    if (queued.is_ok()) {
      ++recorded_;
    } else {
      ++dropped_;
    }
  } catch (...) {
    ++dropped_;
  }
}

Result<std::vector<Event>> read_event_log(Database& db, std::string_view run_id,
                                          uint64_t from_sequence) {
  auto entries =
      SqlEventLogRepository(db).read(run_id, from_sequence, std::numeric_limits<int64_t>::max());
  if (!entries) return entries.status();
  std::vector<Event> events;
  events.reserve(entries->size());
  for (const EventLogEntry& entry : *entries) {
    auto event = event_from_json(entry.json);
    if (!event) {
      return data_loss("event log of run " + std::string(run_id) + ", sequence " +
                       std::to_string(entry.sequence) + ": " + event.status().message());
    }
    events.push_back(std::move(*event));
  }
  return events;
}

}  // namespace galfriday::persistence

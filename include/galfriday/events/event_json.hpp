#pragma once
// JSON form of events, for the event log and replay. Money is written as exact decimal
// strings, timestamps as RFC 3339 with nanoseconds; reading back gives an equal event.

#include <string>
#include <string_view>

#include "galfriday/core/status.hpp"
#include "galfriday/events/events.hpp"

namespace galfriday {

// {"type":"ExecutionReportEvent","sequence":..,"ts_event":"..","ts_init":"..", ...fields}
std::string event_to_json(const Event& event);

// Errors name the field that is missing or malformed.
Result<Event> event_from_json(std::string_view json);

}  // namespace galfriday

#include "galfriday/history/bar_catalog.hpp"

namespace galfriday::history {

std::vector<TimeRange> find_gaps(const std::vector<Timestamp>& bar_starts, Duration interval,
                                 Timestamp from, Timestamp to) {
  std::vector<TimeRange> gaps;
  Timestamp expected = from;
  for (const Timestamp start : bar_starts) {
    if (start < from) continue;
    if (start >= to) break;
    if (start > expected) gaps.push_back({expected, start});
    if (start + interval > expected) expected = start + interval;
  }
  if (expected < to) gaps.push_back({expected, to});
  return gaps;
}

namespace {

constexpr persistence::Statement kSeries{
    "list stored bar series",
    "SELECT instrument, interval_ns, COUNT(*), MIN(bar_start_ns), MAX(bar_start_ns) "
    "FROM historical_bars GROUP BY instrument, interval_ns ORDER BY instrument, interval_ns"};

constexpr persistence::Statement kBarStarts{
    "list stored bar starts",
    "SELECT bar_start_ns FROM historical_bars WHERE instrument = ? AND interval_ns = ? "
    "AND bar_start_ns >= ? AND bar_start_ns < ? ORDER BY bar_start_ns"};

Status bad_row(std::string_view what) {
  return data_loss("historical_bars: " + std::string(what) + " is NULL or not an integer");
}

}  // namespace

Result<std::vector<StoredSeries>> SqlBarCatalog::series() {
  auto rows = db_.query(kSeries);
  if (!rows) return rows.status();
  std::vector<StoredSeries> out;
  for (const auto& row : *rows) {
    const auto instrument = row.text(0);
    const auto interval = row.integer(1);
    const auto count = row.integer(2);
    const auto first = row.integer(3);
    const auto last = row.integer(4);
    if (!instrument) return data_loss("historical_bars: instrument is NULL");
    if (!interval || !count || !first || !last) return bad_row("interval or bar_start_ns");
    out.push_back({InstrumentId(*instrument), Duration(*interval), *count,
                   timestamp_from_nanos(*first), timestamp_from_nanos(*last)});
  }
  return out;
}

Result<std::vector<Timestamp>> SqlBarCatalog::bar_starts(const InstrumentId& instrument,
                                                         Duration interval, Timestamp from,
                                                         Timestamp to) {
  auto rows =
      db_.query(kBarStarts, {instrument.str(), interval.count(), to_nanos(from), to_nanos(to)});
  if (!rows) return rows.status();
  std::vector<Timestamp> out;
  out.reserve(rows->size());
  for (const auto& row : *rows) {
    const auto start = row.integer(0);
    if (!start) return bad_row("bar_start_ns");
    out.push_back(timestamp_from_nanos(*start));
  }
  return out;
}

}  // namespace galfriday::history

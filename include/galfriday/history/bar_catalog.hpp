#pragma once
// What historical bars are stored, and where the holes are. The catalog reads the
// `historical_bars` table that persistence::BarRepository writes (migration 003); it adds no
// table of its own.

#include <cstdint>
#include <vector>

#include "galfriday/core/ids.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/core/time.hpp"
#include "galfriday/persistence/database.hpp"

namespace galfriday::history {

// A half-open time range [from, to).
struct TimeRange {
  Timestamp from{};
  Timestamp to{};
  friend bool operator==(const TimeRange&, const TimeRange&) = default;
};

// One stored series: a pair at one interval.
struct StoredSeries {
  InstrumentId instrument;
  Duration interval{};
  int64_t bars = 0;
  Timestamp first_bar_start{};
  Timestamp last_bar_start{};
  friend bool operator==(const StoredSeries&, const StoredSeries&) = default;
};

// The missing bars between `from` and `to` as ranges of bar starts [from, to): each range
// is one or more consecutive intervals with no bar. `bar_starts` must be sorted ascending;
// starts outside [from, to) are ignored. from/to are taken as bar-aligned.
std::vector<TimeRange> find_gaps(const std::vector<Timestamp>& bar_starts, Duration interval,
                                 Timestamp from, Timestamp to);

class BarCatalog {
 public:
  virtual ~BarCatalog() = default;
  // Every stored (instrument, interval), ordered by instrument then interval.
  virtual Result<std::vector<StoredSeries>> series() = 0;
  // Bar starts of one series with from <= start < to, ascending.
  virtual Result<std::vector<Timestamp>> bar_starts(const InstrumentId& instrument,
                                                    Duration interval, Timestamp from,
                                                    Timestamp to) = 0;
};

// The catalog over a Database (any backend: plain SQL). The database must outlive it.
class SqlBarCatalog final : public BarCatalog {
 public:
  explicit SqlBarCatalog(persistence::Database& db) : db_(db) {}
  Result<std::vector<StoredSeries>> series() override;
  Result<std::vector<Timestamp>> bar_starts(const InstrumentId& instrument, Duration interval,
                                            Timestamp from, Timestamp to) override;

 private:
  persistence::Database& db_;
};

}  // namespace galfriday::history

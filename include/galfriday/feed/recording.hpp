#pragma once
// Recordings of the raw Kraken WebSocket stream, for exact replays (backtests, tests, the
// simulator).
//
// File format: JSON lines, one entry per line, in receive order:
//   {"ts":1704067200123456789,"type":"connected"}
//   {"ts":1704067200125000000,"type":"frame","msg":"{\"channel\":\"book\",...}"}
//   {"ts":1704067260000000000,"type":"disconnected"}
// ts is the local receive time in nanoseconds since the Unix epoch (UTC); msg is the frame's
// text exactly as received, as a JSON string (so a malformed frame is kept too; only invalid
// UTF-8 bytes, which Kraken never sends, are replaced by U+FFFD).
// Replaying the entries through a DataIngestor (replay_recording) reproduces the live run's
// events, because the ingestor stamps events with these receive times.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/core/status.hpp"
#include "galfriday/core/time.hpp"

namespace galfriday::feed {

class DataIngestor;

struct RecordedEntry {
  enum class Type { kConnected, kFrame, kDisconnected };
  Type type = Type::kFrame;
  Timestamp received{};
  std::string frame;  // kFrame only
  friend bool operator==(const RecordedEntry&, const RecordedEntry&) = default;
};

// Appends entries to a recording file. One thread at a time (the feed thread).
class RecordingWriter {
 public:
  // Creates or truncates `path`. kUnavailable when it cannot be opened.
  static Result<std::unique_ptr<RecordingWriter>> open(const std::filesystem::path& path);

  Status write_connected(Timestamp received);
  Status write_frame(std::string_view frame, Timestamp received);
  Status write_disconnected(Timestamp received);
  // Flushes buffered lines to the file.
  Status flush();
  uint64_t entries_written() const { return entries_; }

 private:
  RecordingWriter(std::filesystem::path path, std::ofstream out)
      : path_(std::move(path)), out_(std::move(out)) {}
  Status write_line(const std::string& line);

  std::filesystem::path path_;
  std::ofstream out_;
  uint64_t entries_ = 0;
};

// The JSON line of one entry (without the newline).
std::string format_recorded_entry(const RecordedEntry& entry);
// One line back into an entry. kInvalidArgument naming what is wrong.
Result<RecordedEntry> parse_recorded_entry(std::string_view line);

// Every entry of a recording. kNotFound for a missing file; kInvalidArgument naming the line
// of the first bad entry (blank lines are skipped).
Result<std::vector<RecordedEntry>> read_recording(const std::filesystem::path& path);

// Feeds a recording through `ingestor` in order: connected/disconnected entries become
// on_connected/on_disconnected, frames on_frame with their receive times. The ingestor's
// sender sees the subscribe requests; nothing is sent anywhere by the replay itself.
void replay_recording(const std::vector<RecordedEntry>& entries, DataIngestor& ingestor);

}  // namespace galfriday::feed

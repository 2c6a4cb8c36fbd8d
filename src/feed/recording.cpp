#include "galfriday/feed/recording.hpp"

#include <nlohmann/json.hpp>

#include "galfriday/feed/data_ingestor.hpp"

namespace galfriday::feed {

namespace {

std::string_view type_name(RecordedEntry::Type type) {
  switch (type) {
    case RecordedEntry::Type::kConnected:
      return "connected";
    case RecordedEntry::Type::kFrame:
      return "frame";
    case RecordedEntry::Type::kDisconnected:
      return "disconnected";
  }
  return "frame";
}

}  // namespace

std::string format_recorded_entry(const RecordedEntry& entry) {
  std::string line = "{\"ts\":" + std::to_string(to_nanos(entry.received)) + ",\"type\":\"" +
                     std::string(type_name(entry.type)) + "\"";
  if (entry.type == RecordedEntry::Type::kFrame) {
    // Kraken sends UTF-8 JSON, kept byte for byte; a frame with invalid UTF-8 (which dump()
    // would refuse) is recorded with those bytes replaced by U+FFFD.
    line +=
        ",\"msg\":" +
        nlohmann::json(entry.frame).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  line += "}";
  return line;
}

Result<RecordedEntry> parse_recorded_entry(std::string_view line) {
  const nlohmann::json json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return invalid_argument("recording entry is not a JSON object");
  }
  RecordedEntry entry;
  const auto ts = json.find("ts");
  if (ts == json.end() || !ts->is_number_integer()) {
    return invalid_argument("recording entry needs an integer \"ts\" (nanoseconds)");
  }
  entry.received = timestamp_from_nanos(ts->get<int64_t>());
  const auto type = json.find("type");
  if (type == json.end() || !type->is_string()) {
    return invalid_argument("recording entry needs a \"type\"");
  }
  const std::string& name = type->get_ref<const std::string&>();
  if (name == "connected") {
    entry.type = RecordedEntry::Type::kConnected;
  } else if (name == "disconnected") {
    entry.type = RecordedEntry::Type::kDisconnected;
  } else if (name == "frame") {
    entry.type = RecordedEntry::Type::kFrame;
    const auto msg = json.find("msg");
    if (msg == json.end() || !msg->is_string()) {
      return invalid_argument("recording frame entry needs a string \"msg\"");
    }
    entry.frame = msg->get<std::string>();
  } else {
    return invalid_argument("recording entry type '" + name +
                            "' is not connected, frame or disconnected");
  }
  return entry;
}

Result<std::unique_ptr<RecordingWriter>> RecordingWriter::open(const std::filesystem::path& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return unavailable("cannot open recording file " + path.string() + " for writing");
  return std::unique_ptr<RecordingWriter>(new RecordingWriter(path, std::move(out)));
}

Status RecordingWriter::write_line(const std::string& line) {
  out_ << line << '\n';
  if (!out_) return unavailable("writing recording file " + path_.string() + " failed");
  ++entries_;
  return Status::ok();
}

Status RecordingWriter::write_connected(Timestamp received) {
  return write_line(format_recorded_entry({RecordedEntry::Type::kConnected, received, {}}));
}

Status RecordingWriter::write_frame(std::string_view frame, Timestamp received) {
  return write_line(
      format_recorded_entry({RecordedEntry::Type::kFrame, received, std::string(frame)}));
}

Status RecordingWriter::write_disconnected(Timestamp received) {
  return write_line(format_recorded_entry({RecordedEntry::Type::kDisconnected, received, {}}));
}

Status RecordingWriter::flush() {
  out_.flush();
  if (!out_) return unavailable("flushing recording file " + path_.string() + " failed");
  return Status::ok();
}

Result<std::vector<RecordedEntry>> read_recording(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("recording file " + path.string() + " cannot be opened");
  std::vector<RecordedEntry> entries;
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto entry = parse_recorded_entry(line);
    if (!entry) {
      return entry.status().with_context(path.string() + ":" + std::to_string(line_number));
    }
    entries.push_back(std::move(*entry));
  }
  return entries;
}

void replay_recording(const std::vector<RecordedEntry>& entries, DataIngestor& ingestor) {
  for (const RecordedEntry& entry : entries) {
    switch (entry.type) {
      case RecordedEntry::Type::kConnected:
        ingestor.on_connected(entry.received);
        break;
      case RecordedEntry::Type::kFrame:
        ingestor.on_frame(entry.frame, entry.received);
        break;
      case RecordedEntry::Type::kDisconnected:
        ingestor.on_disconnected(entry.received);
        break;
    }
  }
}

}  // namespace galfriday::feed

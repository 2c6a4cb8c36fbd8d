#pragma once
// Shared by the live tests: temporary directories, a clock that can be moved backwards, and
// reading the real Kraken samples.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "galfriday/core/clock.hpp"

namespace galfriday::live::test_support {

using TempDir = ::galfriday::test::TempDir;

// A clock a test sets to any time, including backwards (an NTP step), which SimulatedClock
// refuses by design.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : nanos_(to_nanos(start)) {}
  Timestamp now() const override { return timestamp_from_nanos(nanos_.load()); }
  void set(Timestamp ts) { nanos_.store(to_nanos(ts)); }

 private:
  std::atomic<int64_t> nanos_;
};

// The JSON lines of a sample file, without its '#' comment lines.
inline std::vector<std::string> sample_lines(const std::string& name) {
  std::ifstream in(std::string(GF_SAMPLES_DIR) + "/" + name);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    lines.push_back(line);
  }
  return lines;
}

}  // namespace galfriday::live::test_support

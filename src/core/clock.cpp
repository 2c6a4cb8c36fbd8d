#include "galfriday/core/clock.hpp"

namespace galfriday {

Timestamp LiveClock::now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

}  // namespace galfriday

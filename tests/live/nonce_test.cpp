#include "galfriday/live/nonce.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <thread>
#include <vector>

#include "live_test_support.hpp"

namespace galfriday::live {
namespace {

using test_support::ManualClock;
using test_support::TempDir;

const Timestamp kStart = timestamp_from_seconds(1'700'000'000);

TEST(Nonce, FollowsTheClockInNanosecondsAndNeverRepeatsWithinOneInstant) {
  TempDir dir;
  ManualClock clock(kStart);
  auto generator = NonceGenerator::open(dir.file("kraken_nonce"), clock);
  ASSERT_TRUE(generator) << generator.status().to_string();
  auto first = (*generator)->next();
  auto second = (*generator)->next();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, static_cast<uint64_t>(to_nanos(kStart)));
  EXPECT_EQ(*second, *first + 1);  // same clock instant: counts up
  clock.set(kStart + std::chrono::seconds(1));
  auto third = (*generator)->next();
  ASSERT_TRUE(third);
  EXPECT_EQ(*third, static_cast<uint64_t>(to_nanos(kStart + std::chrono::seconds(1))));
}

TEST(Nonce, ClockGoingBackwardsNeverLowersTheNonce) {
  TempDir dir;
  ManualClock clock(kStart);
  auto generator = NonceGenerator::open(dir.file("kraken_nonce"), clock);
  ASSERT_TRUE(generator);
  auto before = (*generator)->next();
  ASSERT_TRUE(before);
  clock.set(kStart - std::chrono::hours(1));  // an NTP step back
  uint64_t previous = *before;
  for (int i = 0; i < 100; ++i) {
    auto nonce = (*generator)->next();
    ASSERT_TRUE(nonce);
    EXPECT_EQ(*nonce, previous + 1);
    previous = *nonce;
  }
}

TEST(Nonce, PersistedMarkIsAlwaysAtOrAboveEveryNonceHandedOut) {
  TempDir dir;
  ManualClock clock(kStart);
  NonceOptions options;
  options.reservation_block = 10;  // small blocks: many reservations
  auto generator = NonceGenerator::open(dir.file("kraken_nonce"), clock, options);
  ASSERT_TRUE(generator);
  for (int i = 0; i < 50; ++i) {
    auto nonce = (*generator)->next();
    ASSERT_TRUE(nonce);
    auto on_disk = read_nonce_mark(dir.file("kraken_nonce"));
    ASSERT_TRUE(on_disk);
    EXPECT_GE(*on_disk, *nonce);
    EXPECT_EQ(*on_disk, (*generator)->persisted_mark());
  }
}

TEST(Nonce, RestartContinuesAboveEverythingUsedEvenWithTheClockBehind) {
  TempDir dir;
  ManualClock clock(kStart);
  uint64_t highest = 0;
  {
    auto generator = NonceGenerator::open(dir.file("kraken_nonce"), clock);
    ASSERT_TRUE(generator);
    for (int i = 0; i < 1000; ++i) {
      auto nonce = (*generator)->next();
      ASSERT_TRUE(nonce);
      highest = *nonce;
    }
  }  // no clean shutdown step exists: destroying it is the same as a crash
  clock.set(kStart - std::chrono::hours(24));  // restarted on a machine whose clock is behind
  auto restarted = NonceGenerator::open(dir.file("kraken_nonce"), clock);
  ASSERT_TRUE(restarted) << restarted.status().to_string();
  auto nonce = (*restarted)->next();
  ASSERT_TRUE(nonce);
  EXPECT_GT(*nonce, highest);
}

TEST(Nonce, StrictlyIncreasingAndUniqueAcrossThreads) {
  TempDir dir;
  ManualClock clock(kStart);
  NonceOptions options;
  options.reservation_block = 1000;  // contention on reservations too
  auto opened = NonceGenerator::open(dir.file("kraken_nonce"), clock, options);
  ASSERT_TRUE(opened);
  NonceGenerator& generator = **opened;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5000;
  std::vector<std::vector<uint64_t>> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (i % 500 == 0 && t == 0) clock.set(clock.now() + std::chrono::microseconds(3));
        auto nonce = generator.next();
        if (nonce) seen[t].push_back(*nonce);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::vector<uint64_t> all;
  for (const auto& per_thread : seen) {
    ASSERT_EQ(per_thread.size(), static_cast<size_t>(kPerThread));
    EXPECT_TRUE(std::is_sorted(per_thread.begin(), per_thread.end()));
    EXPECT_EQ(std::adjacent_find(per_thread.begin(), per_thread.end()), per_thread.end());
    all.insert(all.end(), per_thread.begin(), per_thread.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end())
      << "a nonce was handed out twice";
  EXPECT_GE(generator.persisted_mark(), all.back());
}

TEST(Nonce, MarkFileIsCreatedWithMode0600) {
  TempDir dir;
  ManualClock clock(kStart);
  auto generator = NonceGenerator::open(dir.file("sub/kraken_nonce"), clock);
  ASSERT_TRUE(generator);
  ASSERT_TRUE((*generator)->next());
  struct stat info {};
  ASSERT_EQ(::stat(dir.file("sub/kraken_nonce").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST(Nonce, RefusesAMarkFileReadableByOthers) {
  TempDir dir;
  ManualClock clock(kStart);
  std::ofstream(dir.file("kraken_nonce")) << "123\n";
  ::chmod(dir.file("kraken_nonce").c_str(), 0644);
  auto generator = NonceGenerator::open(dir.file("kraken_nonce"), clock);
  ASSERT_FALSE(generator);
  EXPECT_EQ(generator.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(generator.status().message().find("0644"), std::string::npos);
}

TEST(Nonce, RefusesAMalformedMarkInsteadOfStartingFromZero) {
  TempDir dir;
  ManualClock clock(kStart);
  std::ofstream(dir.file("kraken_nonce")) << "12x3\n";
  ::chmod(dir.file("kraken_nonce").c_str(), 0600);
  auto generator = NonceGenerator::open(dir.file("kraken_nonce"), clock);
  ASSERT_FALSE(generator);
  EXPECT_EQ(generator.status().code(), StatusCode::kDataLoss);
}

TEST(Nonce, ExistingMarkAheadOfTheClockIsRespected) {
  TempDir dir;
  ManualClock clock(kStart);
  const uint64_t mark = static_cast<uint64_t>(to_nanos(kStart)) * 10;
  std::ofstream(dir.file("kraken_nonce")) << mark << "\n";
  ::chmod(dir.file("kraken_nonce").c_str(), 0600);
  auto generator = NonceGenerator::open(dir.file("kraken_nonce"), clock);
  ASSERT_TRUE(generator);
  auto nonce = (*generator)->next();
  ASSERT_TRUE(nonce);
  EXPECT_EQ(*nonce, mark + 1);
}

TEST(Nonce, FailsWithoutHandingOutANonceWhenTheMarkCannotBeWritten) {
  TempDir dir;
  ManualClock clock(kStart);
  NonceOptions options;
  options.reservation_block = 5;
  auto generator = NonceGenerator::open(dir.file("kraken_nonce"), clock, options);
  ASSERT_TRUE(generator);
  ASSERT_TRUE((*generator)->next());
  // The temporary file the mark is written through cannot be created (a directory is in the
  // way; this fails for root too, unlike a permission change).
  std::filesystem::create_directory(dir.file("kraken_nonce.tmp"));
  const uint64_t mark_before = (*generator)->persisted_mark();
  Result<uint64_t> nonce = uint64_t{0};
  uint64_t last_ok = 0;
  for (int i = 0; i < 10 && nonce; ++i) {
    nonce = (*generator)->next();
    if (nonce) last_ok = *nonce;
  }
  EXPECT_LE(last_ok, mark_before) << "a nonce above the persisted mark was handed out";
  ASSERT_FALSE(nonce);
  EXPECT_EQ(nonce.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace galfriday::live

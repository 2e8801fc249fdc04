#include "common/clock.h"

#include "common/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace karst {
namespace {

TEST(SystemClock, MonotonicNeverGoesBack) {
  SystemClock& clock = SystemClock::Get();
  absl::Duration last = clock.Monotonic();
  for (int i = 0; i < 1000; ++i) {
    const absl::Duration now = clock.Monotonic();
    ASSERT_GE(now, last);
    last = now;
  }
}

TEST(FakeClock, MovesOnlyWhenTold) {
  testing::FakeClock clock(absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Monotonic(), absl::ZeroDuration());
  clock.Advance(absl::Seconds(3));
  clock.SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100) + absl::Milliseconds(3500));
  EXPECT_EQ(clock.Monotonic(), absl::Milliseconds(3500));
}

TEST(FakeClock, WallStepLeavesMonotonicAlone) {
  testing::FakeClock clock;
  clock.Advance(absl::Seconds(1));
  clock.SetWallTime(absl::FromUnixSeconds(5));
  clock.Advance(absl::Seconds(-10));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(5));
  EXPECT_EQ(clock.Monotonic(), absl::Seconds(1));
}

}  // namespace
}  // namespace karst

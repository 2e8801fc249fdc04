// FakeClock: a Clock that moves only when a test says so. SleepFor advances it, so code that
// waits finishes at once in tests. Thread-safe.
#ifndef KARST_COMMON_TESTING_FAKE_CLOCK_H_
#define KARST_COMMON_TESTING_FAKE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace karst::testing {

class FakeClock final : public Clock {
 public:
  // Starts at `start` (wall) and monotonic zero.
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000)) : now_(start) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  absl::Duration Monotonic() const override {
    absl::MutexLock lock(&mu_);
    return monotonic_;
  }
  void SleepFor(absl::Duration duration) override { Advance(duration); }

  // Moves both clocks forward. REQUIRES: duration >= 0 (monotonic never goes back).
  void Advance(absl::Duration duration) {
    absl::MutexLock lock(&mu_);
    if (duration < absl::ZeroDuration()) duration = absl::ZeroDuration();
    now_ += duration;
    monotonic_ += duration;
  }

  // Sets the wall clock only (as an NTP step would); the monotonic clock is untouched.
  void SetWallTime(absl::Time now) {
    absl::MutexLock lock(&mu_);
    now_ = now;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  absl::Duration monotonic_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
};

}  // namespace karst::testing

#endif  // KARST_COMMON_TESTING_FAKE_CLOCK_H_

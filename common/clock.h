// Clock: the one way Karst code reads time or waits. Production code gets SystemClock; tests get
// FakeClock (common/testing/fake_clock.h), which only moves when told to. Implementations are
// thread-safe.
#ifndef KARST_COMMON_CLOCK_H_
#define KARST_COMMON_CLOCK_H_

#include "absl/time/time.h"

namespace karst {

class Clock {
 public:
  virtual ~Clock() = default;

  // Wall-clock time, for timestamps that leave the process (record timestamps, logs).
  virtual absl::Time Now() const = 0;

  // A monotonic reading for measuring intervals and deadlines; never goes backwards. Only
  // differences between two readings mean anything.
  virtual absl::Duration Monotonic() const = 0;

  // Blocks the calling thread for `duration` (FakeClock: advances time instead).
  virtual void SleepFor(absl::Duration duration) = 0;
};

// Reads the system clocks (CLOCK_REALTIME and CLOCK_MONOTONIC).
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override;
  absl::Duration Monotonic() const override;
  void SleepFor(absl::Duration duration) override;

  // A process-wide instance, for main() to hand down. Library code takes a Clock& instead.
  static SystemClock& Get();
};

}  // namespace karst

#endif  // KARST_COMMON_CLOCK_H_

#include "common/clock.h"

#include <time.h>

#include "absl/time/clock.h"

namespace karst {

absl::Time SystemClock::Now() const { return absl::Now(); }

absl::Duration SystemClock::Monotonic() const {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return absl::DurationFromTimespec(ts);
}

void SystemClock::SleepFor(absl::Duration duration) { absl::SleepFor(duration); }

SystemClock& SystemClock::Get() {
  static SystemClock* clock = new SystemClock();
  return *clock;
}

}  // namespace karst

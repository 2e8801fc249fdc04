// Polling with a deadline: the one way integration tests wait for another process. Tests never
// sleep a fixed time to synchronize; they wait for the condition they need. Thread-safe (no
// shared state); the condition runs on the calling thread. Time comes from a common Clock
// (SystemClock by default; a FakeClock makes WaitFor's own tests instant).
#ifndef KARST_TESTS_HARNESS_WAIT_H_
#define KARST_TESTS_HARNESS_WAIT_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace karst::testing {

// Calls `condition` until it returns true or `timeout` (measured on the clock's monotonic
// time) passes, sleeping with a short exponential backoff (1 ms doubling up to 100 ms) between
// calls. The condition is always called at least once, and once more at the deadline.
// Returns OK when the condition held, or kDeadlineExceeded "timed out after <d> waiting for
// <description>".
absl::Status WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
                     absl::string_view description, Clock& clock = SystemClock::Get());
// As above, until the wall-clock `deadline` (converted to a timeout on entry).
absl::Status WaitFor(const std::function<bool()>& condition, absl::Time deadline,
                     absl::string_view description, Clock& clock = SystemClock::Get());

// As WaitFor, for a condition that explains itself: waits until `attempt` returns OK. On
// timeout the kDeadlineExceeded message ends with the last error ("...: last error: ...").
absl::Status WaitForOk(const std::function<absl::Status()>& attempt, absl::Duration timeout,
                       absl::string_view description, Clock& clock = SystemClock::Get());
absl::Status WaitForOk(const std::function<absl::Status()>& attempt, absl::Time deadline,
                       absl::string_view description, Clock& clock = SystemClock::Get());

}  // namespace karst::testing

#endif  // KARST_TESTS_HARNESS_WAIT_H_

#include "tests/harness/wait.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace karst::testing {
namespace {

constexpr absl::Duration kFirstBackoff = absl::Milliseconds(1);
constexpr absl::Duration kMaxBackoff = absl::Milliseconds(100);

// Polls `attempt`; on timeout returns its last error and sets `waited`.
absl::Status Poll(const std::function<absl::Status()>& attempt, absl::Duration timeout,
                  Clock& clock, absl::Duration& waited) {
  const absl::Duration start = clock.Monotonic();
  absl::Duration backoff = kFirstBackoff;
  for (;;) {
    absl::Status status = attempt();
    if (status.ok()) return status;
    waited = clock.Monotonic() - start;
    if (waited >= timeout) return status;
    // Polling another process is the harness's job; the sleep never stands in for a condition.
    clock.SleepFor(std::min(backoff, timeout - waited));
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

absl::Status TimedOut(absl::Duration waited, absl::string_view description) {
  return absl::DeadlineExceededError(
      absl::StrCat("timed out after ", absl::FormatDuration(waited), " waiting for ", description));
}

}  // namespace

absl::Status WaitForOk(const std::function<absl::Status()>& attempt, absl::Duration timeout,
                       absl::string_view description, Clock& clock) {
  absl::Duration waited;
  absl::Status last = Poll(attempt, timeout, clock, waited);
  if (last.ok()) return last;
  return absl::DeadlineExceededError(
      absl::StrCat(TimedOut(waited, description).message(), ": last error: ", last.ToString()));
}

absl::Status WaitFor(const std::function<bool()>& condition, absl::Duration timeout,
                     absl::string_view description, Clock& clock) {
  absl::Duration waited;
  absl::Status last = Poll(
      [&condition] {
        return condition() ? absl::OkStatus() : absl::UnavailableError("condition false");
      },
      timeout, clock, waited);
  return last.ok() ? last : TimedOut(waited, description);
}

absl::Status WaitForOk(const std::function<absl::Status()>& attempt, absl::Time deadline,
                       absl::string_view description, Clock& clock) {
  return WaitForOk(attempt, deadline - clock.Now(), description, clock);
}

absl::Status WaitFor(const std::function<bool()>& condition, absl::Time deadline,
                     absl::string_view description, Clock& clock) {
  return WaitFor(condition, deadline - clock.Now(), description, clock);
}

}  // namespace karst::testing

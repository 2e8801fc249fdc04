#include "broker/replication/purgatory.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace karst::broker::replication {
namespace {

const TopicPartition kKey{"orders", 0};

// A fetch that moves the high watermark notifies its own partition from inside its callback.
TEST(Purgatory, CallbackThatNotifiesItsOwnKeyCompletesOnceWithoutDeadlock) {
  SystemClock clock;
  Purgatory purgatory(clock);
  purgatory.Start();
  std::atomic<bool> ready{false};
  std::atomic<int> tries{0};
  std::atomic<int> answers{0};
  purgatory.Add({kKey}, absl::Seconds(30),
                {.try_complete =
                     [&] {
                       ++tries;
                       if (!ready) return false;  // Nothing yet: wait.
                       purgatory.Notify(kKey);    // Re-enters for this operation.
                       ++answers;
                       return true;
                     },
                 .expire = [&] { ++answers; }});
  EXPECT_EQ(purgatory.size(), 1u);
  ready = true;
  purgatory.Notify(kKey);
  EXPECT_EQ(answers.load(), 1);
  EXPECT_EQ(purgatory.size(), 0u);
  const int tries_when_done = tries.load();
  purgatory.Notify(kKey);  // Completed operations are not tried again.
  EXPECT_EQ(tries.load(), tries_when_done);
  purgatory.Stop();
  EXPECT_EQ(answers.load(), 1);
}

// The change an operation waits for can land (and be notified) after Add's first try but
// before the operation watches its keys; that Notify finds no watcher. Add must not lose it.
TEST(Purgatory, NotifyBetweenTheFirstTryAndTheWatchIsNotLost) {
  SystemClock clock;
  Purgatory purgatory(clock);
  purgatory.Start();
  std::atomic<bool> ready{false};
  std::atomic<int> answers{0};
  purgatory.Add({kKey}, absl::Seconds(30),
                {.try_complete =
                     [&] {
                       if (ready) {
                         ++answers;
                         return true;
                       }
                       // Another thread makes the operation completable and notifies right
                       // after this check, before Add watches the key.
                       std::thread other([&] {
                         ready = true;
                         purgatory.Notify(kKey);
                       });
                       other.join();
                       return false;
                     },
                 .expire = [&] { ++answers; }});
  // Answered within Add, not at the 30 s deadline.
  EXPECT_EQ(answers.load(), 1);
  EXPECT_EQ(purgatory.size(), 0u);
  purgatory.Stop();
  EXPECT_EQ(answers.load(), 1);
}

TEST(Purgatory, ExpiryThatNotifiesItsOwnKeyDoesNotDeadlock) {
  SystemClock clock;
  Purgatory purgatory(clock);
  purgatory.Start();
  absl::Notification expired;
  std::atomic<int> answers{0};
  purgatory.Add({kKey}, absl::Milliseconds(10),
                {.try_complete = [] { return false; },
                 .expire =
                     [&] {
                       purgatory.Notify(kKey);
                       ++answers;
                       expired.Notify();
                     }});
  ASSERT_TRUE(expired.WaitForNotificationWithTimeout(absl::Seconds(5)));
  purgatory.Stop();
  EXPECT_EQ(answers.load(), 1);
}

TEST(Purgatory, StopExpiresWhatIsStillWaiting) {
  SystemClock clock;
  Purgatory purgatory(clock);
  purgatory.Start();
  std::atomic<int> expired{0};
  for (int i = 0; i < 3; ++i) {
    purgatory.Add({kKey}, absl::Hours(1),
                  {.try_complete = [] { return false; }, .expire = [&] { ++expired; }});
  }
  purgatory.Stop();
  EXPECT_EQ(expired.load(), 3);
}

}  // namespace
}  // namespace karst::broker::replication

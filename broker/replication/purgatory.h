// Purgatory: requests that wait for something to happen to partitions (Kafka's
// DelayedOperationPurgatory): an acks=all produce waiting for the high watermark, a fetch
// long poll waiting for data. An operation watches partitions; whoever changes one calls
// Notify, which retries the operations watching it; at its deadline an operation expires.
// Each operation completes or expires exactly once.
//
// Thread-safety: Add and Notify from any thread; an operation's callbacks run on the calling
// thread (Add, Notify) or the purgatory's timer thread (expiry), never under a purgatory
// lock, and never two at a time for one operation. A callback may call Notify (even for its
// own key): the nested try is recorded, not run, so it neither deadlocks nor answers twice.
// Start/Stop belong to the owner; Stop expires everything still waiting.
#ifndef KARST_BROKER_REPLICATION_PURGATORY_H_
#define KARST_BROKER_REPLICATION_PURGATORY_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "broker/replication/partition.h"
#include "common/clock.h"

namespace karst::broker::replication {

class Purgatory {
 public:
  struct Callbacks {
    // True once the operation completed (it has responded); false to keep waiting.
    std::function<bool()> try_complete;
    // The deadline passed (or the purgatory stopped) first.
    std::function<void()> expire;
  };

  // `clock` must outlive the purgatory.
  explicit Purgatory(Clock& clock) : clock_(clock) {}
  ~Purgatory() { Stop(); }

  void Start();
  void Stop();

  // Tries the operation once now; if it is not complete, watches `keys` until `timeout`.
  void Add(const std::vector<TopicPartition>& keys, absl::Duration timeout, Callbacks callbacks);
  // Retries every operation watching `key`.
  void Notify(const TopicPartition& key);

  // Operations waiting (a gauge).
  size_t size() const;

 private:
  struct Operation {
    Callbacks callbacks;
    std::mutex mu;                         // Held while a callback runs: one at a time.
    std::atomic<std::thread::id> owner{};  // The thread holding mu, if any.
    std::atomic<bool> pending{false};      // A try arrived while mu was held: try again.
    std::atomic<bool> done{false};         // Set (under mu) once a callback answered.
    bool TryComplete();
    void Expire();
  };

  void TimerLoop();

  Clock& clock_;
  mutable absl::Mutex mu_;
  std::multimap<TopicPartition, std::weak_ptr<Operation>> watchers_ ABSL_GUARDED_BY(mu_);
  std::multimap<absl::Duration, std::shared_ptr<Operation>> deadlines_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread timer_;
};

}  // namespace karst::broker::replication

#endif  // KARST_BROKER_REPLICATION_PURGATORY_H_

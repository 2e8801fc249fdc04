#include "broker/replication/purgatory.h"

namespace karst::broker::replication {

// Kafka's DelayedOperation.maybeTryComplete: whoever holds the operation's lock tries; a
// caller that finds it held marks a retry for the holder instead of waiting. A callback that
// notifies its own key (a fetch that moves the high watermark) re-enters on its own thread:
// that call only marks the retry, so nothing deadlocks and nothing answers twice.
bool Purgatory::Operation::TryComplete() {
  if (owner.load() == std::this_thread::get_id()) {
    pending = true;
    return false;
  }
  bool retry = false;
  do {
    if (done) return true;
    if (mu.try_lock()) {
      owner = std::this_thread::get_id();
      pending = false;
      if (!done && callbacks.try_complete()) done = true;
      owner = std::thread::id();
      mu.unlock();
      retry = !done && pending.exchange(false);
    } else {
      retry = !pending.exchange(true);
    }
  } while (retry);
  return done;
}

void Purgatory::Operation::Expire() {
  std::lock_guard<std::mutex> lock(mu);
  if (done) return;
  owner = std::this_thread::get_id();
  done = true;
  callbacks.expire();
  owner = std::thread::id();
}

void Purgatory::Start() {
  absl::MutexLock lock(&mu_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  timer_ = std::thread([this] { TimerLoop(); });
}

void Purgatory::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!running_) return;
    stopping_ = true;
  }
  timer_.join();
  std::multimap<absl::Duration, std::shared_ptr<Operation>> left;
  {
    absl::MutexLock lock(&mu_);
    left.swap(deadlines_);
    watchers_.clear();
    running_ = false;
  }
  for (auto& [deadline, op] : left) op->Expire();
}

void Purgatory::Add(const std::vector<TopicPartition>& keys, absl::Duration timeout,
                    Callbacks callbacks) {
  auto op = std::make_shared<Operation>();
  op->callbacks = std::move(callbacks);
  if (op->TryComplete()) return;
  bool watching = false;
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_ && running_) {
      for (const TopicPartition& key : keys) watchers_.emplace(key, op);
      deadlines_.emplace(clock_.Monotonic() + timeout, op);
      watching = true;
    }
  }
  if (!watching) {
    op->Expire();
    return;
  }
  // Kafka's tryCompleteElseWatch tries again once watching: a Notify that came between the
  // first try and the watch found nobody to retry, and without this second try the operation
  // would wait for the next change of its partitions or its deadline (an acks=all produce
  // whose producer sends nothing more to the partition until it is answered: a 30 s stall).
  if (!op->TryComplete()) return;
  absl::MutexLock lock(&mu_);
  for (auto it = deadlines_.begin(); it != deadlines_.end(); ++it) {
    if (it->second == op) {
      deadlines_.erase(it);
      break;
    }
  }
}

void Purgatory::Notify(const TopicPartition& key) {
  std::vector<std::shared_ptr<Operation>> ops;
  {
    absl::MutexLock lock(&mu_);
    auto [begin, end] = watchers_.equal_range(key);
    for (auto it = begin; it != end;) {
      std::shared_ptr<Operation> op = it->second.lock();
      if (op != nullptr && !op->done) {
        ops.push_back(std::move(op));
        ++it;
      } else {
        it = watchers_.erase(it);
      }
    }
  }
  bool any_done = false;
  for (const std::shared_ptr<Operation>& op : ops) any_done |= op->TryComplete();
  if (!any_done) return;
  // Completed operations leave the deadline queue, which releases them (their watcher
  // entries expire with the weak pointers). `done` is atomic: no operation lock is taken
  // under mu_, so a callback that notifies (and takes mu_) cannot deadlock with this.
  absl::MutexLock lock(&mu_);
  for (auto it = deadlines_.begin(); it != deadlines_.end();) {
    it = it->second->done ? deadlines_.erase(it) : std::next(it);
  }
}

size_t Purgatory::size() const {
  absl::MutexLock lock(&mu_);
  return deadlines_.size();
}

void Purgatory::TimerLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Duration now = clock_.Monotonic();
    std::vector<std::shared_ptr<Operation>> expired;
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      expired.push_back(std::move(deadlines_.begin()->second));
      deadlines_.erase(deadlines_.begin());
    }
    if (!expired.empty()) {
      mu_.Unlock();
      for (const std::shared_ptr<Operation>& op : expired) op->Expire();
      mu_.Lock();
      continue;
    }
    // Wake at the next deadline, or within 100 ms to notice new earlier ones.
    absl::Duration wait = absl::Milliseconds(100);
    if (!deadlines_.empty()) wait = std::min(wait, deadlines_.begin()->first - now);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
  }
}

}  // namespace karst::broker::replication

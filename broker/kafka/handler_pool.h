// HandlerPool: a fixed set of threads running tasks from one FIFO queue, the broker's request
// handler pool (Kafka's num.io.threads). Used by Server to run RequestDispatcher::Dispatch off
// the network threads. Thread-safe: Submit from any thread; Start/Stop from the owner.
#ifndef KARST_BROKER_KAFKA_HANDLER_POOL_H_
#define KARST_BROKER_KAFKA_HANDLER_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace karst::broker::kafka {

class HandlerPool {
 public:
  // REQUIRES: threads >= 1.
  explicit HandlerPool(int threads);
  ~HandlerPool();  // Stop().
  HandlerPool(const HandlerPool&) = delete;
  HandlerPool& operator=(const HandlerPool&) = delete;

  // Starts the threads. REQUIRES: not started.
  void Start();

  // Queues `task`; tasks start in the order submitted. Before Start() tasks wait; after Stop()
  // they are destroyed without running.
  void Submit(std::function<void()> task);

  // Lets running tasks finish, joins the threads and destroys the tasks not started.
  // Idempotent.
  void Stop();

 private:
  void Run();

  const int thread_count_;
  // std::mutex rather than absl::Mutex: Debian's Abseil is not built for ThreadSanitizer, which
  // then cannot see its synchronisation (CI runs broker/ tests under tsan).
  std::mutex mu_;
  std::condition_variable work_or_stop_;
  std::deque<std::function<void()>> queue_;  // Guarded by mu_.
  bool stopping_ = false;                    // Guarded by mu_.
  std::vector<std::thread> threads_;
};

}  // namespace karst::broker::kafka

#endif  // KARST_BROKER_KAFKA_HANDLER_POOL_H_

#include "broker/kafka/handler_pool.h"

#include <utility>

namespace karst::broker::kafka {

HandlerPool::HandlerPool(int threads) : thread_count_(threads) {}

HandlerPool::~HandlerPool() { Stop(); }

void HandlerPool::Start() {
  threads_.reserve(thread_count_);
  for (int i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { Run(); });
}

void HandlerPool::Submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;  // `task` is destroyed after the lock is released.
    queue_.push_back(std::move(task));
  }
  work_or_stop_.notify_one();
}

void HandlerPool::Stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_or_stop_.notify_all();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    dropped.swap(queue_);
  }
  // `dropped` is destroyed here, outside the lock: destroying a task may run arbitrary code.
}

void HandlerPool::Run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_or_stop_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace karst::broker::kafka

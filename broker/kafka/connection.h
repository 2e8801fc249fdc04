// Connection: one accepted Kafka client socket of Server, from accept to close. It reads
// size-prefixed request frames, hands each to the handler pool, and writes the responses in
// request order. Each connection runs on its own strand: its state is touched only there;
// Responders reach it by posting to the strand. Internal to Server.
//
//   reading ──(in flight == max)──> muted ──(a response written or dropped)──> reading
//      │ EOF, I/O error, bad size prefix, idle timeout, kClose reached
//      v
//   closed (socket closed, Server forgets it; later responses are dropped)
#ifndef KARST_BROKER_KAFKA_CONNECTION_H_
#define KARST_BROKER_KAFKA_CONNECTION_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "asio.hpp"
#include "broker/kafka/handler_pool.h"
#include "broker/kafka/server.h"

namespace karst::broker::kafka {

// Whether the server still runs. Responders post to a connection's strand only under a reader
// lock while it runs, so one called during or after Server::Stop() never touches an io_context
// being destroyed. Thread-safe.
class Liveness {
 public:
  // Runs `fn` while holding the reader lock if the server still runs; false otherwise.
  bool IfRunning(const std::function<void()>& fn);
  // Waits for running IfRunning calls, then makes every later one a no-op.
  void MarkStopped();

 private:
  std::shared_mutex mu_;  // Not absl::Mutex: see HandlerPool::mu_.
  bool stopped_ = false;  // Guarded by mu_.
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  struct Options {
    int32_t max_request_bytes = 0;
    absl::Duration max_idle;
    int max_queued_requests = 1;
  };
  // What a connection needs from its server. The pointees outlive every strand handler.
  struct Context {
    HandlerPool* handler_pool = nullptr;
    RequestDispatcher* dispatcher = nullptr;
    std::shared_ptr<Liveness> liveness;
    std::function<void(uint64_t id)> on_closed;  // Called once, on the strand, at close.
  };

  // REQUIRES: `socket`'s executor is a strand of its own.
  Connection(asio::ip::tcp::socket socket, ConnectionInfo info, Options options, Context context);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts reading and the idle timer. Any thread; call once.
  void Start();

 private:
  // Everything below runs on the strand.
  void MaybeStartRead();
  void OnRead(const asio::error_code& error, size_t bytes);
  void ProcessInput();
  void DispatchFrame(std::string frame);
  void DispatchNext();
  Responder MakeResponder(uint64_t sequence);
  void OnResponse(uint64_t sequence, Response response);
  void Flush();
  void OnWritten(const asio::error_code& error);
  void AfterSlotFreed();
  void RestartIdleTimer();
  void Close(const char* why);
  size_t InFlight() const { return slots_.size() + writing_.size(); }

  asio::ip::tcp::socket socket_;
  const asio::ip::tcp::socket::executor_type strand_;
  asio::steady_timer idle_timer_;
  const std::shared_ptr<const ConnectionInfo> info_;
  const Options options_;
  const Context context_;

  std::vector<char> read_buffer_;
  std::string input_;  // Received bytes not yet split into frames.
  bool reading_ = false;
  // slots_[i] holds the response to request first_sequence_ + i once its Responder ran.
  std::deque<std::optional<Response>> slots_;
  // Frames not yet handed to the pool (sequence, frame), and whether one is in Dispatch.
  std::deque<std::pair<uint64_t, std::string>> undispatched_;
  bool dispatching_ = false;
  uint64_t first_sequence_ = 0;
  std::vector<std::string> writing_;  // Frames of the write in progress.
  bool close_after_write_ = false;    // A kClose reached the front: nothing more is read.
  bool closed_ = false;
  uint64_t idle_generation_ = 0;  // Tells a stale idle-timer completion from the current one.
};

}  // namespace karst::broker::kafka

#endif  // KARST_BROKER_KAFKA_CONNECTION_H_

#include "broker/kafka/connection.h"

#include <algorithm>
#include <utility>

#include "absl/strings/string_view.h"
#include "common/logging.h"
#include "kafka/protocol/header.h"
#include "spdlog/spdlog.h"

namespace karst::broker::kafka {
namespace {

constexpr size_t kReadChunkBytes = 32 * 1024;

}  // namespace

bool Liveness::IfRunning(const std::function<void()>& fn) {
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (stopped_) return false;
  fn();
  return true;
}

void Liveness::MarkStopped() {
  std::lock_guard<std::shared_mutex> lock(mu_);
  stopped_ = true;
}

Connection::Connection(asio::ip::tcp::socket socket, ConnectionInfo info, Options options,
                       Context context)
    : socket_(std::move(socket)),
      strand_(socket_.get_executor()),
      idle_timer_(strand_),
      info_(std::make_shared<const ConnectionInfo>(std::move(info))),
      options_(options),
      context_(std::move(context)),
      read_buffer_(kReadChunkBytes) {}

void Connection::Start() {
  asio::post(strand_, [self = shared_from_this()] {
    self->RestartIdleTimer();
    self->MaybeStartRead();
  });
}

// Kafka mutes a channel while its requests await responses (back-pressure) and after a
// response asked it to close; reading resumes in AfterSlotFreed().
void Connection::MaybeStartRead() {
  if (reading_ || closed_ || close_after_write_ ||
      InFlight() >= static_cast<size_t>(options_.max_queued_requests)) {
    return;
  }
  reading_ = true;
  socket_.async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this()](const asio::error_code& error, size_t bytes) {
                            self->OnRead(error, bytes);
                          });
}

void Connection::OnRead(const asio::error_code& error, size_t bytes) {
  reading_ = false;
  if (closed_) return;
  if (error) {
    Close(error == asio::error::eof ? "closed by peer" : "read failed");
    return;
  }
  input_.append(read_buffer_.data(), bytes);
  ProcessInput();
  MaybeStartRead();
  RestartIdleTimer();
}

// Splits complete frames off `input_` while the connection may take more requests. The size
// prefix is checked before anything is allocated for the frame (socket.request.max.bytes).
void Connection::ProcessInput() {
  size_t offset = 0;
  while (!closed_ && !close_after_write_ &&
         InFlight() < static_cast<size_t>(options_.max_queued_requests)) {
    const absl::string_view rest = absl::string_view(input_).substr(offset);
    absl::StatusOr<std::optional<int32_t>> size =
        karst::kafka::protocol::FrameSize(rest, options_.max_request_bytes);
    if (!size.ok()) {
      spdlog::warn("kafka listener {}: closing connection {} from {}: {}", info_->listener_name,
                   info_->id, info_->peer, size.status().message());
      Close("invalid frame size");
      return;
    }
    if (!size->has_value() || rest.size() - 4 < static_cast<size_t>(**size)) {
      // Reserve once for a frame whose valid size is known, rather than growing per chunk.
      if (size->has_value()) input_.reserve(input_.size() - offset + 4 + **size);
      break;
    }
    std::string frame(rest.substr(4, **size));
    offset += 4 + **size;
    DispatchFrame(std::move(frame));
  }
  input_.erase(0, offset);
}

void Connection::DispatchFrame(std::string frame) {
  const uint64_t sequence = first_sequence_ + slots_.size();
  slots_.emplace_back();
  undispatched_.emplace_back(sequence, std::move(frame));
  DispatchNext();
}

// One Dispatch at a time per connection, in arrival order: two pipelined produces must append
// in the order the client sent them (Kafka handles a connection's requests one by one). A
// request that waits (acks=all, a fetch long poll) returns from Dispatch at once, so waits
// still overlap.
void Connection::DispatchNext() {
  if (dispatching_ || undispatched_.empty() || closed_) return;
  auto [sequence, frame] = std::move(undispatched_.front());
  undispatched_.pop_front();
  dispatching_ = true;
  context_.handler_pool->Submit([weak = weak_from_this(), dispatcher = context_.dispatcher,
                                 info = info_, frame = std::move(frame),
                                 respond = MakeResponder(sequence)]() mutable {
    dispatcher->Dispatch(*info, std::move(frame), std::move(respond));
    if (std::shared_ptr<Connection> self = weak.lock()) {
      asio::post(self->strand_, [self] {
        self->dispatching_ = false;
        self->DispatchNext();
      });
    }
  });
}

// The Responder holds the connection weakly: after close the connection is gone (or closed_)
// and the response is dropped; after Server::Stop() Liveness turns the call into a no-op.
Responder Connection::MakeResponder(uint64_t sequence) {
  return [weak = weak_from_this(), liveness = context_.liveness, sequence](Response response) {
    liveness->IfRunning([&] {
      std::shared_ptr<Connection> self = weak.lock();
      if (self == nullptr) return;
      asio::post(self->strand_, [self, sequence, response = std::move(response)]() mutable {
        self->OnResponse(sequence, std::move(response));
      });
    });
  };
}

void Connection::OnResponse(uint64_t sequence, Response response) {
  if (closed_ || close_after_write_) return;
  if (sequence < first_sequence_ || sequence - first_sequence_ >= slots_.size() ||
      slots_[sequence - first_sequence_].has_value()) {
    spdlog::error("kafka listener {}: connection {} from {}: request {} answered twice",
                  info_->listener_name, info_->id, info_->peer, sequence);
    return;
  }
  slots_[sequence - first_sequence_] = std::move(response);
  Flush();
}

// Writes the answered responses at the front, in request order; a response that is not yet
// answered holds back every later one (Kafka sends responses in request order).
void Connection::Flush() {
  if (!writing_.empty() || closed_) return;
  bool freed = false;
  while (!close_after_write_ && !slots_.empty() && slots_.front().has_value()) {
    Response response = std::move(*slots_.front());
    slots_.pop_front();
    ++first_sequence_;
    switch (response.kind) {
      case Response::Kind::kSend:
        writing_.push_back(std::move(response.frame));
        break;
      case Response::Kind::kNoResponse:
        freed = true;
        break;
      case Response::Kind::kClose:
        close_after_write_ = true;
        break;
    }
  }
  if (!writing_.empty()) {
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(writing_.size());
    for (const std::string& frame : writing_) buffers.push_back(asio::buffer(frame));
    asio::async_write(socket_, buffers,
                      [self = shared_from_this()](const asio::error_code& error, size_t) {
                        self->OnWritten(error);
                      });
    return;
  }
  if (close_after_write_) {
    Close("closed by the request handler");
    return;
  }
  if (freed) AfterSlotFreed();
}

void Connection::OnWritten(const asio::error_code& error) {
  writing_.clear();
  if (closed_) return;
  if (error) {
    Close("write failed");
    return;
  }
  Flush();
  AfterSlotFreed();
}

void Connection::AfterSlotFreed() {
  if (closed_) return;
  ProcessInput();
  MaybeStartRead();
  RestartIdleTimer();
}

// connections.max.idle.ms: the timer runs only while nothing is in flight, and restarts on
// every read and write, so it fires after that long without traffic.
void Connection::RestartIdleTimer() {
  ++idle_generation_;
  if (closed_ || InFlight() > 0) {
    idle_timer_.cancel();
    return;
  }
  idle_timer_.expires_after(absl::ToChronoNanoseconds(options_.max_idle));
  idle_timer_.async_wait(
      [self = shared_from_this(), generation = idle_generation_](const asio::error_code& error) {
        if (!error && generation == self->idle_generation_ && !self->closed_) {
          self->Close("idle");
        }
      });
}

void Connection::Close(const char* why) {
  if (closed_) return;
  closed_ = true;
  // A peer hanging up is routine; any other reason is worth seeing at info level.
  spdlog::log(
      absl::string_view(why) == "closed by peer" ? spdlog::level::debug : spdlog::level::info,
      "kafka listener {}: connection {} from {} closed: {}", info_->listener_name, info_->id,
      info_->peer, why);
  asio::error_code ignored;
  idle_timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  slots_.clear();
  input_.clear();
  context_.on_closed(info_->id);
}

}  // namespace karst::broker::kafka

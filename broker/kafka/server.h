// Server: the broker's Kafka network server. It accepts connections on each listener, reads
// size-prefixed request frames, hands them to a RequestDispatcher on a fixed handler pool, and
// writes responses back in request order (Kafka's pipelining). Thread-safe: Start/Stop/port
// from the owner; Responders may be called from any thread, even after Stop().
#ifndef KARST_BROKER_KAFKA_SERVER_H_
#define KARST_BROKER_KAFKA_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace karst::broker::kafka {

class HandlerPool;
class Liveness;

// The connection a request frame arrived on.
struct ConnectionInfo {
  uint64_t id = 0;            // Unique per connection within one Server.
  std::string listener_name;  // e.g. "PLAINTEXT".
  std::string peer;           // "127.0.0.5:41234", or "[::1]:41234".
};

// The answer to one request frame.
struct Response {
  enum class Kind {
    kSend,        // Write `frame`.
    kNoResponse,  // Write nothing (produce with acks=0); later responses still go out in order.
    kClose,       // Write the responses before this one, then close the connection.
  };
  Kind kind = Kind::kSend;
  std::string frame;  // kSend: a complete response frame INCLUDING its 4-byte size prefix.
};

// Call exactly once, from any thread, possibly long after Dispatch returned (long polls).
// Calls after the connection closed or the server stopped are harmless no-ops; a second call
// for the same request is ignored (and logged).
using Responder = std::function<void(Response)>;

class RequestDispatcher {
 public:
  virtual ~RequestDispatcher() = default;

  // `frame` is one request as received, without its 4-byte size prefix. Runs on a handler-pool
  // thread, never on a network thread, so it may block briefly (disk, an RPC with a deadline);
  // it must not wait on another request of the same pool. Must call `respond` exactly once,
  // now or later from any thread. Requests not yet started when the server stops are dropped
  // without a call.
  virtual void Dispatch(const ConnectionInfo& connection, std::string frame, Responder respond) = 0;
};

struct ListenerSpec {
  std::string name;   // e.g. "PLAINTEXT"; unique within ServerOptions::listeners.
  std::string host;   // An IP address or a resolvable name; empty: every IPv4 interface.
  uint16_t port = 0;  // 0: an ephemeral port (see Server::port()).
};

struct ServerOptions {
  std::vector<ListenerSpec> listeners;
  // socket.request.max.bytes: a larger (or negative) size prefix closes the connection before
  // anything is allocated for the frame.
  int32_t max_request_bytes = 100 * 1024 * 1024;
  // connections.max.idle.ms: a connection with nothing received or written for this long, and
  // no request awaiting its response, is closed.
  absl::Duration connections_max_idle = absl::Minutes(10);
  int network_threads = 3;  // num.network.threads: threads running the socket I/O.
  int handler_threads = 8;  // num.io.threads: the handler pool running Dispatch.
  // Back-pressure: while this many of a connection's requests await their written response,
  // the server stops reading from that connection (Kafka mutes the channel).
  int max_queued_requests_per_connection = 100;
};

class Server {
 public:
  // `dispatcher` must outlive the Server (or at least its Stop()).
  Server(ServerOptions options, RequestDispatcher& dispatcher);
  ~Server();  // Stop().
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listener and starts the network threads and the handler pool. Errors name the
  // listener and host:port: kInvalidArgument for bad options or a host that does not resolve,
  // kUnavailable for an address that cannot be bound (in use, not local). On error nothing
  // keeps running. REQUIRES: not started.
  absl::Status Start();

  // Closes the listeners and every connection, then joins all threads. Requests queued but not
  // started are dropped; Responders called later do nothing. Idempotent. REQUIRES: not called
  // from Dispatch or a network thread (it joins them).
  void Stop();

  // The bound port of `listener_name`; 0 if there is no such listener or the server is not
  // running.
  uint16_t port(const std::string& listener_name) const;

 private:
  struct Io;  // The asio state, kept out of this header.

  const ServerOptions options_;
  RequestDispatcher& dispatcher_;
  std::shared_ptr<Liveness> liveness_;
  std::unique_ptr<HandlerPool> handler_pool_;
  std::unique_ptr<Io> io_;
};

}  // namespace karst::broker::kafka

#endif  // KARST_BROKER_KAFKA_SERVER_H_

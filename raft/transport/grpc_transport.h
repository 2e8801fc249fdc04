// GrpcTransport: carries Raft messages between the nodes of one cluster over gRPC (the `Raft`
// service in proto/raft.proto). Sending is one-way and lossy, as Raft allows: Send() queues
// without blocking, a per-peer sender thread batches consecutive messages into one Send RPC and
// streams snapshots in chunks, and messages beyond a peer's limit or in a failed RPC are
// dropped and counted. Received messages go to `on_message` on gRPC's threads.
// Used by the Raft node driver. Thread-safe: Start/Stop from the owner, the rest from any
// thread.
#ifndef KARST_RAFT_TRANSPORT_GRPC_TRANSPORT_H_
#define KARST_RAFT_TRANSPORT_GRPC_TRANSPORT_H_

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "raft/core/types.h"
#include "raft/node/state_machine.h"
#include "raft/transport/transport_counters.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace karst::raft {

class PeerClient;
class RaftService;

class GrpcTransport : public Transport {
 public:
  struct Options {
    NodeId self = kNoNode;
    std::string cluster_id;  // Both ends must agree; other clusters' RPCs are refused.
    std::string listen_address = "127.0.0.2:9093";  // host:port; port 0 picks a free one.
    std::map<NodeId, std::string> peers;            // id -> host:port; see also AddPeer().
    // If set (a dotted-quad IPv4 host, no port), outgoing connections bind to it before
    // connecting, so peers (and firewall rules) see this node's own address as the source;
    // otherwise the kernel picks one (127.0.0.1 for any loopback peer). Implemented with a
    // gRPC socket mutator that mirrors a private gRPC 1.51 struct layout: see
    // source_address_mutator.h for that ABI coupling and the test that guards it.
    std::string local_address;
    // Per peer, messages queued plus in flight; beyond it new messages are dropped.
    size_t max_inflight_per_peer = 256;
    size_t max_batch_bytes = 1 << 20;  // A Send RPC's payload, roughly (at least one message).
    size_t max_receive_message_bytes = 64 << 20;          // The server's limit per gRPC message.
    uint64_t max_snapshot_bytes = uint64_t{1} << 30;      // The largest snapshot accepted.
    absl::Duration rpc_deadline = absl::Seconds(2);       // Each Send RPC.
    absl::Duration snapshot_deadline = absl::Minutes(5);  // A whole InstallSnapshot stream.
    // The wait after a failed RPC (and gRPC's reconnect backoff): doubling from initial to max.
    absl::Duration initial_backoff = absl::Milliseconds(50);
    absl::Duration max_backoff = absl::Seconds(2);
    size_t snapshot_chunk_bytes = 1 << 20;
    // How long Stop() lets incoming RPCs finish before cancelling them.
    absl::Duration shutdown_grace = absl::Milliseconds(500);
    // Peers becoming unreachable or reachable again; may be empty.
    std::function<void(const std::string&)> log;
    // More gRPC services to serve on the same listener (e.g. the controller service); not
    // owned, must outlive the transport.
    std::vector<grpc::Service*> extra_services;
  };
  using MessageHandler = std::function<void(Message)>;

  // `on_message` runs on gRPC threads, possibly concurrently for different senders (in order
  // for each sender); it should hand the message off quickly. It is not called after Stop().
  GrpcTransport(Options options, MessageHandler on_message);
  ~GrpcTransport() override;  // Stops.
  GrpcTransport(const GrpcTransport&) = delete;
  GrpcTransport& operator=(const GrpcTransport&) = delete;

  // Binds listen_address and starts serving and sending. kUnavailable naming the address if it
  // cannot be bound (in use, not local, malformed); kInvalidArgument if local_address is set
  // but not IPv4; kFailedPrecondition if started or stopped before (a transport runs once).
  absl::Status Start();

  // Stops sending (cancelling RPCs in flight and dropping what is queued) and serving, and
  // joins every thread. Returns within about shutdown_grace plus gRPC's cancellation time,
  // even when peers are down or silent. Idempotent. REQUIRES: not called from on_message
  // (it waits for running handlers).
  void Stop();

  // The bound port. REQUIRES: Start() returned OK.
  int port() const;

  // Adds or readdresses a peer: this node accepts messages from it and sends to `address`
  // (host:port). A readdressed peer's queued messages are dropped.
  void AddPeer(NodeId id, std::string address);
  // Forgets a peer: its queued messages are dropped and its messages refused from now on.
  void RemovePeer(NodeId id);

  // Queues messages for their `to` node without blocking. Messages to an unknown node, while
  // not running, or beyond max_inflight_per_peer are dropped and counted. A kSnapshot message
  // carries its data; it is streamed in order with the peer's other messages.
  void Send(Message message) override;
  void Send(std::vector<Message> messages);

  TransportCounts counters() const;
  // Blocks until `done(counters())` holds or `timeout` passes; returns whether it holds.
  bool AwaitCounters(const std::function<bool(const TransportCounts&)>& done,
                     absl::Duration timeout) const;

 private:
  bool IsPeer(NodeId id) const;
  // A started client for one peer.
  std::shared_ptr<PeerClient> NewClient(NodeId id, const std::string& address);

  const Options options_;
  const MessageHandler on_message_;
  TransportCounters counters_;
  std::unique_ptr<RaftService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;

  mutable absl::Mutex mu_;
  std::map<NodeId, std::string> peers_ ABSL_GUARDED_BY(mu_);
  std::map<NodeId, std::shared_ptr<PeerClient>> clients_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace karst::raft

#endif  // KARST_RAFT_TRANSPORT_GRPC_TRANSPORT_H_

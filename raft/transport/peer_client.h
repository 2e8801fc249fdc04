// PeerClient: carries one peer's outgoing Raft messages for GrpcTransport, in order, over one
// gRPC channel. Its sender thread packs consecutive non-snapshot messages into one Send RPC
// and streams a kSnapshot message through InstallSnapshot; one RPC is in flight at a time.
// Raft tolerates loss, so a failed RPC's messages are dropped (and counted), and the sender
// waits out an exponential backoff before its next RPC.
//
//   idle --message--> sending --OK--> idle
//                        |  failed
//                        v
//                     backoff --(initial doubling to max, or Stop)--> idle
//
// Thread-safe: Enqueue from any thread; Start and Stop from the owner.
#ifndef KARST_RAFT_TRANSPORT_PEER_CLIENT_H_
#define KARST_RAFT_TRANSPORT_PEER_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "proto/raft.grpc.pb.h"
#include "raft/core/types.h"
#include "raft/transport/transport_counters.h"

namespace karst::raft {

class PeerClient {
 public:
  struct Options {
    NodeId self = kNoNode;
    NodeId peer = kNoNode;
    std::string address;        // host:port
    std::string local_address;  // IPv4 host to bind outgoing sockets to; empty: any.
    std::string cluster_id;
    size_t max_pending = 256;  // Messages queued plus in flight.
    size_t max_batch_bytes = 1 << 20;
    absl::Duration rpc_deadline = absl::Seconds(2);
    absl::Duration snapshot_deadline = absl::Minutes(5);
    absl::Duration initial_backoff = absl::Milliseconds(50);
    absl::Duration max_backoff = absl::Seconds(2);
    size_t snapshot_chunk_bytes = 1 << 20;
    std::function<void(const std::string&)> log;  // May be empty.
  };

  // `counters` must outlive this client.
  PeerClient(Options options, TransportCounters& counters);
  ~PeerClient();  // Stops.
  PeerClient(const PeerClient&) = delete;
  PeerClient& operator=(const PeerClient&) = delete;

  // Creates the channel (it connects lazily) and starts the sender thread. REQUIRES: once.
  void Start();

  // Cancels the RPC in flight, drops (and counts) what is queued and joins the sender thread.
  // Bounded by gRPC's cancellation, not by the RPC deadline. Idempotent.
  void Stop();

  // Queues `messages` (all to this peer) without blocking. Those that would take the pending
  // count past max_pending, and all of them once stopped, are dropped and counted.
  void Enqueue(std::vector<Message> messages);

 private:
  void Run();
  // Blocks until there is work or Stop; moves the next RPC's messages into `batch`. Returns
  // false on Stop.
  bool TakeBatch(std::vector<Message>& batch);
  grpc::Status SendBatch(std::vector<Message> batch);
  grpc::Status SendSnapshot(Message message);
  // Registers `context` for cancellation by Stop; false (and no RPC) once stopping.
  bool BeginRpc(grpc::ClientContext* context);
  void EndRpc();
  // Records an RPC's outcome: counters, reachability log lines (none when `quiet`, as on
  // Stop) and the backoff to wait before the next RPC.
  void Finish(const grpc::Status& status, size_t messages, bool quiet, absl::Duration& backoff);
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !queue_.empty();
  }
  void Log(const std::string& line) const;

  const Options options_;
  TransportCounters& counters_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<proto::Raft::Stub> stub_;
  std::thread thread_;
  bool reachable_ = true;  // Sender thread only: whether the last RPC succeeded.

  absl::Mutex mu_;
  std::deque<Message> queue_ ABSL_GUARDED_BY(mu_);
  size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_ ABSL_GUARDED_BY(mu_) = nullptr;  // The RPC in flight.
};

}  // namespace karst::raft

#endif  // KARST_RAFT_TRANSPORT_PEER_CLIENT_H_

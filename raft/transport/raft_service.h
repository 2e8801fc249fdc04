// RaftService: the server side of GrpcTransport. Checks each incoming RPC's sender (cluster id,
// receiver, known peer), converts its messages, reassembles streamed snapshots and hands every
// message to the transport's handler. Thread-safe: gRPC calls it from its own threads, several
// at a time, so the handler may run concurrently for different senders; messages from one
// sender arrive in order because its PeerClient has one RPC in flight at a time.
#ifndef KARST_RAFT_TRANSPORT_RAFT_SERVICE_H_
#define KARST_RAFT_TRANSPORT_RAFT_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <string>

#include "proto/raft.grpc.pb.h"
#include "raft/core/types.h"
#include "raft/transport/transport_counters.h"

namespace karst::raft {

class RaftService final : public proto::Raft::Service {
 public:
  struct Options {
    NodeId self = kNoNode;
    std::string cluster_id;
    uint64_t max_snapshot_bytes = uint64_t{1} << 30;
  };

  // `is_peer` says whether a node may send to this one; `on_message` takes each message.
  // Both are called on gRPC threads and must be thread-safe. `counters` must outlive this.
  RaftService(Options options, std::function<bool(NodeId)> is_peer,
              std::function<void(Message)> on_message, TransportCounters& counters);

  // FAILED_PRECONDITION: another cluster, another receiver or an unknown sender.
  // INVALID_ARGUMENT: a message whose from/to differs from the batch's, an unknown type, or a
  // snapshot message (those go through InstallSnapshot). Refused batches deliver nothing.
  grpc::Status Send(grpc::ServerContext* context, const proto::MessageBatch* batch,
                    proto::SendResponse* response) override;

  // As Send for the header; INVALID_ARGUMENT for a stream without a header first, a header
  // that is not a snapshot message or whose data_bytes exceed max_snapshot_bytes, or data that
  // does not add up to data_bytes. Delivers the one message only when all its data arrived.
  grpc::Status InstallSnapshot(grpc::ServerContext* context,
                               grpc::ServerReader<proto::SnapshotChunk>* reader,
                               proto::SendResponse* response) override;

 private:
  // The checks every RPC passes first; FAILED_PRECONDITION naming what is wrong.
  grpc::Status CheckSender(const std::string& cluster_id, int32_t from, int32_t to) const;
  // Counts a refused RPC and returns its status.
  grpc::Status Refuse(grpc::Status status);
  void Deliver(Message message);

  const Options options_;
  const std::function<bool(NodeId)> is_peer_;
  const std::function<void(Message)> on_message_;
  TransportCounters& counters_;
};

}  // namespace karst::raft

#endif  // KARST_RAFT_TRANSPORT_RAFT_SERVICE_H_

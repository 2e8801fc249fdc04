// DescribeQuorum (key 55, KIP-595; v1 contact times KIP-836; v2 nodes KIP-853): the metadata
// Raft quorum, asked of the active controller over gRPC. KRaft has one Raft partition,
// __cluster_metadata-0; a request for anything else is INVALID_REQUEST, as Kafka answers it.
// A failed controller call is a partition-level error (NOT_CONTROLLER, REQUEST_TIMED_OUT), as
// Kafka's DescribeQuorumRequest.getPartitionLevelErrorResponse puts NOT_LEADER_OR_FOLLOWER.
#include "broker/kafka/handlers/handlers.h"

namespace karst::broker::kafka {
namespace {

constexpr char kMetadataTopic[] = "__cluster_metadata";
constexpr int16_t kErrorMessageVersion = 2;

bool IsMetadataPartition(const kp::DescribeQuorumRequest& request) {
  return request.topics.size() == 1 && request.topics[0].topic_name == kMetadataTopic &&
         request.topics[0].partitions.size() == 1 &&
         request.topics[0].partitions[0].partition_index == 0;
}

kp::DescribeQuorumResponse::ReplicaState ToReplicaState(const controller_rpc::QuorumReplica& r) {
  kp::DescribeQuorumResponse::ReplicaState out;
  out.replica_id = r.replica_id();
  out.log_end_offset = r.log_end_offset();
  out.last_fetch_timestamp = r.last_fetch_timestamp_ms();
  out.last_caught_up_timestamp = r.last_caught_up_timestamp_ms();
  return out;
}

// v2's Nodes: each voter's controller listener (the address controller.quorum.voters gives).
void FillNodes(const BrokerContext& ctx, kp::DescribeQuorumResponse& response) {
  for (const ControllerVoter& voter : ctx.controller->voters()) {
    auto& node = response.nodes.emplace_back();
    node.node_id = voter.id.value();
    auto& listener = node.listeners.emplace_back();
    listener.name = ctx.settings.controller_listener_name;
    listener.host = voter.host;
    listener.port = voter.port;
  }
}

}  // namespace

void HandleDescribeQuorum(BrokerContext& ctx, const RequestInfo& info,
                          const kp::DescribeQuorumRequest& request,
                          const Reply<kp::DescribeQuorumResponse>& reply) {
  const bool messages = info.version >= kErrorMessageVersion;
  kp::DescribeQuorumResponse response;
  response.error_message = std::nullopt;
  if (!IsMetadataPartition(request)) {
    response.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
    if (messages) response.error_message = "DescribeQuorum serves only __cluster_metadata-0";
    reply(response);
    return;
  }
  auto& topic = response.topics.emplace_back();
  topic.topic_name = kMetadataTopic;
  auto& partition = topic.partitions.emplace_back();
  partition.partition_index = 0;
  partition.error_message = std::nullopt;
  partition.leader_id = -1;
  partition.leader_epoch = -1;
  partition.high_watermark = -1;
  absl::StatusOr<controller_rpc::DescribeQuorumResponse> quorum =
      ctx.controller->DescribeQuorum({}, ctx.settings.admin_timeout);
  if (!quorum.ok() || quorum->error().code() != 0) {
    partition.error_code = static_cast<int16_t>(
        quorum.ok() ? quorum->error().code()
                    : static_cast<int32_t>(ControllerCallError(quorum.status())));
    if (messages) {
      partition.error_message =
          std::string(quorum.ok() ? quorum->error().message() : quorum.status().message());
    }
    reply(response);
    return;
  }
  partition.leader_id = quorum->leader_id();
  partition.leader_epoch = quorum->leader_epoch();
  partition.high_watermark = quorum->high_watermark();
  for (const auto& v : quorum->voters()) partition.current_voters.push_back(ToReplicaState(v));
  for (const auto& o : quorum->observers()) partition.observers.push_back(ToReplicaState(o));
  if (messages) FillNodes(ctx, response);
  reply(response);
}

}  // namespace karst::broker::kafka

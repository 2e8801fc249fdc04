// AlterPartitionReassignments (key 45, KIP-455): forwarded to the active controller, which
// answers per partition (UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT,
// NO_REASSIGNMENT_IN_PROGRESS). Null replicas cancel a partition's reassignment. The data
// moves through the metadata image: PartitionTable opens and follows added replicas and
// deletes removed ones once the controller completes the reassignment.
#include "broker/kafka/handlers/handlers.h"

namespace karst::broker::kafka {
namespace {

std::optional<std::string> MessageOrNull(const std::string& message) {
  return message.empty() ? std::nullopt : std::optional<std::string>(message);
}

}  // namespace

void HandleAlterPartitionReassignments(
    BrokerContext& ctx, const RequestInfo& /*info*/,
    const kp::AlterPartitionReassignmentsRequest& request,
    const Reply<kp::AlterPartitionReassignmentsResponse>& reply) {
  kp::AlterPartitionReassignmentsResponse response;
  response.error_message = std::nullopt;
  controller_rpc::AlterPartitionReassignmentsRequest forward;
  for (const auto& topic : request.topics) {
    for (const auto& p : topic.partitions) {
      auto* out = forward.add_partitions();
      out->set_topic(topic.name);
      out->set_partition(p.partition_index);
      if (p.replicas.has_value()) {
        out->mutable_replicas()->mutable_values()->Add(p.replicas->begin(), p.replicas->end());
      }
    }
  }
  absl::StatusOr<controller_rpc::AlterPartitionReassignmentsResponse> altered =
      ctx.controller->AlterPartitionReassignments(forward, ctx.settings.admin_timeout);
  if (!altered.ok() || altered->error().code() != 0) {
    // As Kafka's getErrorResponse: the error at the top and on every partition.
    response.error_code = static_cast<int16_t>(
        altered.ok() ? altered->error().code()
                     : static_cast<int32_t>(ControllerCallError(altered.status())));
    response.error_message = MessageOrNull(altered.ok() ? altered->error().message()
                                                        : std::string(altered.status().message()));
    for (const auto& topic : request.topics) {
      auto& t = response.responses.emplace_back();
      t.name = topic.name;
      for (const auto& p : topic.partitions) {
        auto& out = t.partitions.emplace_back();
        out.partition_index = p.partition_index;
        out.error_code = response.error_code;
        out.error_message = response.error_message;
      }
    }
    reply(response);
    return;
  }
  for (const auto& r : altered->results()) {
    if (response.responses.empty() || response.responses.back().name != r.topic()) {
      response.responses.emplace_back().name = r.topic();
    }
    auto& out = response.responses.back().partitions.emplace_back();
    out.partition_index = r.partition();
    out.error_code = static_cast<int16_t>(r.error().code());
    out.error_message = MessageOrNull(r.error().message());
  }
  reply(response);
}

}  // namespace karst::broker::kafka

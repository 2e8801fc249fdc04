// ListPartitionReassignments (key 46, KIP-455): the reassignments in progress, answered from
// this broker's metadata image (which may trail the controller by a moment). Null topics
// mean every partition; unknown topics and partitions are left out, as Kafka does.
#include "broker/kafka/handlers/handlers.h"
#include "controller/metadata/partition_reassignments.h"

namespace karst::broker::kafka {

void HandleListPartitionReassignments(BrokerContext& ctx, const RequestInfo& /*info*/,
                                      const kp::ListPartitionReassignmentsRequest& request,
                                      const Reply<kp::ListPartitionReassignmentsResponse>& reply) {
  std::optional<controller::ReassignmentFilter> filter;
  if (request.topics.has_value()) {
    filter.emplace();
    for (const auto& topic : *request.topics) {
      filter->emplace_back(topic.name, topic.partition_indexes);
    }
  }
  kp::ListPartitionReassignmentsResponse response;
  response.error_message = std::nullopt;
  for (controller::OngoingReassignment& r :
       controller::ListPartitionReassignments(*ctx.image(), filter)) {
    if (response.topics.empty() || response.topics.back().name != r.topic) {
      response.topics.emplace_back().name = r.topic;
    }
    auto& out = response.topics.back().partitions.emplace_back();
    out.partition_index = r.partition;
    out.replicas = std::move(r.replicas);
    out.adding_replicas = std::move(r.adding_replicas);
    out.removing_replicas = std::move(r.removing_replicas);
  }
  reply(response);
}

}  // namespace karst::broker::kafka

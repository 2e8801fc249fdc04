#include "tests/groups/coordinator_lookup.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kafka/protocol/messages/all.h"
#include "tests/harness/kafka_connection.h"

namespace karst::testing {

namespace kp = ::karst::kafka::protocol;

absl::StatusOr<int32_t> FindCoordinator(Node& node, const std::string& group) {
  ASSIGN_OR_RETURN(std::unique_ptr<KafkaConnection> c,
                   KafkaConnection::Open(node, "groups-test", absl::Seconds(3)));
  kp::FindCoordinatorRequest request;
  request.key = group;
  request.key_type = 0;  // a group
  kp::FindCoordinatorResponse response;
  RETURN_IF_ERROR(c->Call(request, 2, &response));
  if (response.error_code != 0) {
    return absl::UnavailableError(
        absl::StrCat(node.name(), ": FindCoordinator error ", response.error_code));
  }
  return response.node_id;
}

absl::StatusOr<PartitionView> DescribePartition(Node& node, const std::string& topic,
                                                int32_t partition) {
  ASSIGN_OR_RETURN(std::unique_ptr<KafkaConnection> c,
                   KafkaConnection::Open(node, "groups-test", absl::Seconds(3)));
  kp::MetadataRequest request;
  request.topics = std::vector<kp::MetadataRequest::MetadataRequestTopic>{{.name = topic}};
  kp::MetadataResponse response;
  RETURN_IF_ERROR(c->Call(request, 1, &response));
  for (const auto& t : response.topics) {
    for (const auto& p : t.partitions) {
      if (t.error_code == 0 && p.partition_index == partition && p.leader_id >= 0) {
        return PartitionView{
            .leader = p.leader_id, .replicas = p.replica_nodes, .isr = p.isr_nodes};
      }
    }
  }
  return absl::UnavailableError(
      absl::StrCat(node.name(), ": no leader for ", topic, "-", partition));
}

Node* NodeWithId(Cluster& cluster, int32_t id) {
  for (int i = 0; i < cluster.size(); ++i) {
    if (cluster.node(i).node_id() == id) return &cluster.node(i);
  }
  return nullptr;
}

}  // namespace karst::testing

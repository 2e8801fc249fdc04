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

Node* NodeWithId(Cluster& cluster, int32_t id) {
  for (int i = 0; i < cluster.size(); ++i) {
    if (cluster.node(i).node_id() == id) return &cluster.node(i);
  }
  return nullptr;
}

}  // namespace karst::testing

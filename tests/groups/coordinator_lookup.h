// Finding a consumer group's coordinator from a test: FindCoordinator over a raw
// KafkaConnection, and a Cluster's node by node.id. Thread-compatible.
#ifndef KARST_TESTS_GROUPS_COORDINATOR_LOOKUP_H_
#define KARST_TESTS_GROUPS_COORDINATOR_LOOKUP_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "tests/harness/cluster.h"

namespace karst::testing {

// The node.id `node` names as `group`'s coordinator (FindCoordinator v2). Errors: the
// connection's; kUnavailable naming a Kafka error code (COORDINATOR_NOT_AVAILABLE, ...).
absl::StatusOr<int32_t> FindCoordinator(Node& node, const std::string& group);

// The node with node.id `id`, or nullptr.
Node* NodeWithId(Cluster& cluster, int32_t id);

}  // namespace karst::testing

#endif  // KARST_TESTS_GROUPS_COORDINATOR_LOOKUP_H_

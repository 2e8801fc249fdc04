// Finding a consumer group's coordinator and a partition's leader from a test, over a raw
// KafkaConnection (FindCoordinator, Metadata), and a Cluster's node by node.id.
// Thread-compatible.
#ifndef KARST_TESTS_GROUPS_COORDINATOR_LOOKUP_H_
#define KARST_TESTS_GROUPS_COORDINATOR_LOOKUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/harness/cluster.h"

namespace karst::testing {

// The node.id `node` names as `group`'s coordinator (FindCoordinator v2). Errors: the
// connection's; kUnavailable naming a Kafka error code (COORDINATOR_NOT_AVAILABLE, ...).
absl::StatusOr<int32_t> FindCoordinator(Node& node, const std::string& group);

// The leader, replicas and ISR of `topic`'s `partition`, as `node`'s Metadata v1 answers. Errors:
// the connection's; kUnavailable if the partition is not described (yet) or has no leader.
struct PartitionView {
  int32_t leader = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
};
absl::StatusOr<PartitionView> DescribePartition(Node& node, const std::string& topic,
                                                int32_t partition);

// The node with node.id `id`, or nullptr.
Node* NodeWithId(Cluster& cluster, int32_t id);

}  // namespace karst::testing

#endif  // KARST_TESTS_GROUPS_COORDINATOR_LOOKUP_H_

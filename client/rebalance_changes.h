// The member side of a rebalance: which partitions to revoke before JoinGroup and which to
// revoke and add after SyncGroup, for the onPartitionsRevoked / onPartitionsAssigned
// callbacks, under the eager or cooperative protocol (Java's ConsumerCoordinator
// onJoinPrepare and onJoinComplete); and the leader's check that a cooperative assignment
// never hands a partition to a new owner in the generation that revokes it. Pure functions.
#ifndef KARST_CLIENT_REBALANCE_CHANGES_H_
#define KARST_CLIENT_REBALANCE_CHANGES_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/assignor.h"
#include "client/topic_partition.h"

namespace karst::client {

// Before JoinGroup: eager revokes everything owned; cooperative only the partitions of
// topics no longer in `subscribed_topics`. In `owned` order.
std::vector<TopicPartition> PartitionsToRevokeBeforeJoin(
    RebalanceProtocol protocol, const std::vector<TopicPartition>& owned,
    const std::set<std::string>& subscribed_topics);

struct AssignmentChanges {
  std::vector<TopicPartition> revoked;  // Call onPartitionsRevoked first, if any.
  std::vector<TopicPartition> added;    // Then onPartitionsAssigned (even if empty).
  // Cooperative: something was revoked, so rejoin for the next generation to hand it over.
  bool rejoin = false;
};

// After SyncGroup, with `owned` what the member holds now (empty under eager, which revoked
// it all before joining). Eager revokes nothing here; cooperative revokes owned - assigned.
// Both add assigned - owned. Lists keep the order of `owned` and `assigned`.
AssignmentChanges ComputeAssignmentChanges(RebalanceProtocol protocol,
                                           const std::vector<TopicPartition>& owned,
                                           const std::vector<TopicPartition>& assigned);

// The leader's check after a cooperative assignment (ConsumerCoordinator.
// validateCooperativeAssignment): no partition may be added to one member while another
// member, which owned it, is losing it. `owned` is each member's owned_partitions.
// Errors: kInternal naming the partitions.
absl::Status ValidateCooperativeAssignment(
    const std::map<std::string, std::vector<TopicPartition>>& owned,
    const GroupAssignment& assignment);

}  // namespace karst::client

#endif  // KARST_CLIENT_REBALANCE_CHANGES_H_

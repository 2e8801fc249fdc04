// The consumer side of the classic group protocol's payloads (Java's ConsumerCoordinator
// metadata() and onLeaderElected()): the protocols a member offers in JoinGroup, and the
// leader's assignment of the members' subscriptions into SyncGroup's assignments. Pure
// functions; thread-safe.
#ifndef KARST_CLIENT_GROUP_PROTOCOL_H_
#define KARST_CLIENT_GROUP_PROTOCOL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/assignor.h"
#include "client/topic_partition.h"

namespace karst::client {

// One entry of JoinGroup's protocols: an assignor's name and the encoded Subscription.
struct JoinProtocol {
  std::string name;
  std::string metadata;
};

// One protocol per assignor, in `assignors` order (the preference order): the Subscription
// lists `topics` (sorted), the partitions owned and the generation they were owned in
// (ConsumerProtocol v1+, for sticky and cooperative assignors), with each assignor's user data.
std::vector<JoinProtocol> BuildJoinProtocols(
    const std::vector<std::unique_ptr<Assignor>>& assignors, const std::set<std::string>& topics,
    const std::vector<TopicPartition>& owned, int32_t generation_id);

// A member as JoinGroup's response lists it to the leader.
struct JoinedMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string metadata;  // The Subscription of the chosen protocol.
};

// Decodes every member's Subscription (group_instance_id from the member list). Errors:
// kInvalidArgument naming a member whose metadata does not decode.
absl::StatusOr<GroupSubscription> DecodeMembers(const std::vector<JoinedMember>& members);

// The topics any member subscribes to: the leader needs their partition counts.
std::set<std::string> SubscribedTopics(const GroupSubscription& subscriptions);

// The leader's work: runs `assignor` over `subscriptions` and `partitions_per_topic`, checks
// a cooperative assignment (ValidateCooperativeAssignment), and encodes one Assignment per
// member (member id -> SyncGroup assignment bytes). Errors from the assignor or the check.
absl::StatusOr<std::map<std::string, std::string>> PerformAssignment(
    const Assignor& assignor, RebalanceProtocol protocol, const GroupSubscription& subscriptions,
    const PartitionsPerTopic& partitions_per_topic);

}  // namespace karst::client

#endif  // KARST_CLIENT_GROUP_PROTOCOL_H_

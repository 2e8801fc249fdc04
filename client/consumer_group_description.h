// The AdminClient's consumer group results (Kafka's ConsumerGroupListing,
// ConsumerGroupDescription, MemberDescription and OffsetAndMetadata) and the pure conversions
// from the wire answers that carry them. Plain values and pure functions; thread-compatible.
#ifndef KARST_CLIENT_CONSUMER_GROUP_DESCRIPTION_H_
#define KARST_CLIENT_CONSUMER_GROUP_DESCRIPTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/topic_partition.h"
#include "kafka/protocol/messages/describe_groups.h"

namespace karst::client {

// Kafka's group states, as the coordinator names them on the wire.
inline constexpr const char* kGroupStates[] = {"PreparingRebalance", "CompletingRebalance",
                                               "Stable", "Dead", "Empty"};

// One group of ListGroups.
struct ConsumerGroupListing {
  std::string group_id;
  // "consumer", or "" for a group that only stores offsets (Kafka's "simple" groups).
  std::string protocol_type;
  // One of kGroupStates; "" when the broker is older than ListGroups v4.
  std::string state;
};

struct GroupMemberDescription {
  std::string member_id;
  std::optional<std::string> group_instance_id;  // KIP-345 static members.
  std::string client_id;
  std::string host;  // As the coordinator saw it: "/127.0.0.1".
  // From the member's ConsumerProtocol Subscription and Assignment; empty before it synced.
  std::vector<std::string> subscribed_topics;
  std::vector<TopicPartition> assignment;
};

// The coordinator of a group, as FindCoordinator names it.
struct GroupCoordinatorNode {
  int32_t id = -1;
  std::string host;
  int32_t port = 0;
};

struct ConsumerGroupDescription {
  std::string group_id;
  // One of kGroupStates. "Dead" means the group does not exist (Kafka answers an unknown group
  // that way, or with GROUP_ID_NOT_FOUND from DescribeGroups v6).
  std::string state;
  std::string protocol_type;  // "consumer" or "" (see ConsumerGroupListing).
  std::string protocol;       // The partition assignor ("range"), once the group is Stable.
  std::vector<GroupMemberDescription> members;
  GroupCoordinatorNode coordinator;
};

// A group's committed offset of one partition.
struct CommittedOffset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;  // -1: none committed.
  std::string metadata;
};

// One DescribeGroups entry as a description (without its coordinator). Decodes each member's
// Subscription and Assignment when the protocol type is "consumer" (zero bytes: none).
// Errors: the group's Kafka error (GROUP_ID_NOT_FOUND excepted: a Dead group);
// kInvalidArgument for a group of another protocol type ("connect") or a member whose
// Subscription or Assignment does not decode, naming the group and the member.
absl::StatusOr<ConsumerGroupDescription> ToConsumerGroupDescription(
    const ::karst::kafka::protocol::DescribeGroupsResponse::DescribedGroup& group);

// Whether a Kafka error code means "ask the coordinator again": NOT_COORDINATOR,
// COORDINATOR_NOT_AVAILABLE or COORDINATOR_LOAD_IN_PROGRESS.
bool IsCoordinatorError(int16_t error_code);

}  // namespace karst::client

#endif  // KARST_CLIENT_CONSUMER_GROUP_DESCRIPTION_H_

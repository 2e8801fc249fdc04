// Assignor: a consumer group's partition assignment strategy, as Kafka's
// ConsumerPartitionAssignor. Every member offers its assignors' names in JoinGroup in
// preference order, with a Subscription each (SubscriptionUserData fills its user data); the
// leader runs Assign() of the protocol the coordinator picked. Assignors are stateless and
// Assign() is deterministic: the same inputs always give the same assignment. Thread-safe
// (const methods only).
//
// MakeAssignor() knows Kafka's four: "range", "roundrobin", "sticky", "cooperative-sticky".
#ifndef KARST_CLIENT_ASSIGNOR_H_
#define KARST_CLIENT_ASSIGNOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/consumer_protocol.h"
#include "client/topic_partition.h"

namespace karst::client {

// Kafka's ConsumerPartitionAssignor.RebalanceProtocol. EAGER revokes every partition before
// rejoining; COOPERATIVE (KIP-429) keeps them and revokes only what moves, over two rebalances.
enum class RebalanceProtocol { kEager = 0, kCooperative = 1 };

absl::string_view RebalanceProtocolName(RebalanceProtocol protocol);  // "EAGER", "COOPERATIVE"

// Partition count of every topic the leader found in metadata. Topics that no member
// subscribes to are ignored; subscribed topics missing here get no partitions.
using PartitionsPerTopic = std::map<std::string, int32_t>;
// Member id -> that member's Subscription / Assignment.
using GroupSubscription = std::map<std::string, Subscription>;
using GroupAssignment = std::map<std::string, Assignment>;

class Assignor {
 public:
  virtual ~Assignor() = default;

  // The protocol name in JoinGroup, as Kafka spells it.
  virtual absl::string_view name() const = 0;
  // The protocols this assignor can run, preferred first. Default: EAGER only.
  virtual std::vector<RebalanceProtocol> supported_protocols() const;
  // The user data for this member's Subscription, given the partitions it was assigned in
  // the last rebalance it completed and that generation (kDefaultGeneration before any).
  // Default: none (null).
  virtual std::optional<std::string> SubscriptionUserData(
      const std::vector<TopicPartition>& assigned, int32_t generation_id) const;

  // Leader side: one Assignment per member of `subscriptions` (possibly empty). Each
  // partition of a subscribed topic goes to at most one member that subscribes to its topic.
  // Errors: kInvalidArgument for a negative partition count; kInternal if the algorithm
  // breaks its own invariants (a bug).
  absl::StatusOr<GroupAssignment> Assign(const PartitionsPerTopic& partitions_per_topic,
                                         const GroupSubscription& subscriptions) const;

 protected:
  using MemberPartitions = std::map<std::string, std::vector<TopicPartition>>;
  // Kafka's AbstractPartitionAssignor.assign(partitionsPerTopic, subscriptions):
  // `partitions_per_topic` holds only subscribed topics with metadata.
  virtual absl::StatusOr<MemberPartitions> AssignPartitions(
      const PartitionsPerTopic& partitions_per_topic,
      const GroupSubscription& subscriptions) const = 0;
};

// The assignor for a partition.assignment.strategy entry: a protocol name above or Kafka's
// class name ("org.apache.kafka.clients.consumer.RangeAssignor"). Errors: kInvalidArgument
// for an unknown name.
absl::StatusOr<std::unique_ptr<Assignor>> MakeAssignor(absl::string_view name);

// As Java's ConsumerCoordinator: the newest protocol every assignor supports.
// Errors: kInvalidArgument for no assignors or none in common.
absl::StatusOr<RebalanceProtocol> CommonRebalanceProtocol(
    const std::vector<std::unique_ptr<Assignor>>& assignors);

}  // namespace karst::client

#endif  // KARST_CLIENT_ASSIGNOR_H_

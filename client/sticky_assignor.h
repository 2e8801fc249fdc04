// StickyAssignor ("sticky", EAGER) and CooperativeStickyAssignor ("cooperative-sticky",
// COOPERATIVE then EAGER): Kafka's AbstractStickyAssignor, for Assignor's users through
// MakeAssignor(). Stateless; thread-safe.
//
// The assignment is balanced (when every member subscribes to the same topics, partition
// counts differ by at most one; otherwise as balanced as the subscriptions allow) and keeps
// as many partitions as it can with their previous owners. Previous owners come from each
// member's MemberData: the sticky assignor's user data (its last assignment and generation),
// or for cooperative-sticky the subscription's owned_partitions and generation_id (v2+, else
// a generation in the user data). A claim from an older generation loses to a newer one; two
// claims in the same generation both lose. Rack-aware assignment (Kafka 3.5) is not done:
// Assign() has no replica racks.
//
// cooperative-sticky then follows KIP-429: a partition moving to a new owner is left out of
// this generation's assignment, so its old owner revokes it and rejoins, and the next
// rebalance assigns it.
#ifndef KARST_CLIENT_STICKY_ASSIGNOR_H_
#define KARST_CLIENT_STICKY_ASSIGNOR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/assignor.h"

namespace karst::client {

// Kafka's AbstractStickyAssignor.MemberData: what a member owned and in which generation.
struct StickyMemberData {
  std::vector<TopicPartition> partitions;
  std::optional<int32_t> generation;
  bool operator==(const StickyMemberData&) const = default;
};

class AbstractStickyAssignor : public Assignor {
 public:
  struct Result {
    MemberPartitions assignment;
    // Partitions that move between members, with their new owner; Kafka computes it in the
    // all-subscriptions-equal case only, and nullopt means "not computed".
    std::optional<std::map<TopicPartition, std::string>> partitions_transferring_ownership;
  };

  virtual StickyMemberData MemberData(const Subscription& subscription) const = 0;

  // The sticky assignment before any cooperative adjustment. REQUIRES: partitions_per_topic
  // holds only subscribed topics (Assign() ensures it).
  absl::StatusOr<Result> AssignSticky(const PartitionsPerTopic& partitions_per_topic,
                                      const GroupSubscription& subscriptions) const;

 protected:
  absl::StatusOr<MemberPartitions> AssignPartitions(
      const PartitionsPerTopic& partitions_per_topic,
      const GroupSubscription& subscriptions) const override;
};

class StickyAssignor final : public AbstractStickyAssignor {
 public:
  absl::string_view name() const override { return "sticky"; }
  // StickyAssignorUserData v1 with `assigned` and the generation; null before any assignment.
  std::optional<std::string> SubscriptionUserData(const std::vector<TopicPartition>& assigned,
                                                  int32_t generation_id) const override;
  // From the user data only (eager members own nothing when they join).
  StickyMemberData MemberData(const Subscription& subscription) const override;
};

class CooperativeStickyAssignor final : public AbstractStickyAssignor {
 public:
  absl::string_view name() const override { return "cooperative-sticky"; }
  std::vector<RebalanceProtocol> supported_protocols() const override;
  // The generation as an int32 (CooperativeStickyAssignorUserData), for v0/v1 subscriptions.
  std::optional<std::string> SubscriptionUserData(const std::vector<TopicPartition>& assigned,
                                                  int32_t generation_id) const override;
  StickyMemberData MemberData(const Subscription& subscription) const override;

 protected:
  absl::StatusOr<MemberPartitions> AssignPartitions(
      const PartitionsPerTopic& partitions_per_topic,
      const GroupSubscription& subscriptions) const override;
};

// StickyAssignorUserData: [](topic, []int32) then, in v1, an int32 generation. Decoding
// falls back to v0 (no generation) and, as Kafka does, to nothing owned in
// kDefaultGeneration when neither parses.
std::string EncodeStickyUserData(const std::vector<TopicPartition>& partitions,
                                 int32_t generation_id);
StickyMemberData DecodeStickyUserData(absl::string_view data);

}  // namespace karst::client

#endif  // KARST_CLIENT_STICKY_ASSIGNOR_H_

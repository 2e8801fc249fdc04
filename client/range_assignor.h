// RangeAssignor and RoundRobinAssignor: Kafka's "range" and "roundrobin" assignors (EAGER),
// for Assignor's users through MakeAssignor(). Stateless; thread-safe.
//
// range: per topic, the members subscribed to it are sorted (static members by
// group.instance.id first, then by member id); partition p of n goes to the members in
// contiguous ranges of n / members, the first n % members members taking one extra.
// roundrobin: every subscribed partition, topics sorted, then partitions, is dealt in turn to
// the sorted members, skipping members not subscribed to its topic.
#ifndef KARST_CLIENT_RANGE_ASSIGNOR_H_
#define KARST_CLIENT_RANGE_ASSIGNOR_H_

#include <string>
#include <vector>

#include "client/assignor.h"

namespace karst::client {

class RangeAssignor final : public Assignor {
 public:
  absl::string_view name() const override { return "range"; }

 protected:
  absl::StatusOr<MemberPartitions> AssignPartitions(
      const PartitionsPerTopic& partitions_per_topic,
      const GroupSubscription& subscriptions) const override;
};

class RoundRobinAssignor final : public Assignor {
 public:
  absl::string_view name() const override { return "roundrobin"; }

 protected:
  absl::StatusOr<MemberPartitions> AssignPartitions(
      const PartitionsPerTopic& partitions_per_topic,
      const GroupSubscription& subscriptions) const override;
};

// Kafka's MemberInfo order: members with a group.instance.id first, by it; then by member id.
std::vector<std::string> SortedMembers(const GroupSubscription& subscriptions,
                                       const std::vector<std::string>& members);

}  // namespace karst::client

#endif  // KARST_CLIENT_RANGE_ASSIGNOR_H_

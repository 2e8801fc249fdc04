// Internal to the sticky assignors: the two assignment builders of Kafka's
// AbstractStickyAssignor (ConstrainedAssignmentBuilder when all members subscribe to the same
// topics, GeneralAssignmentBuilder otherwise) and the member order they walk. Pure functions.
#ifndef KARST_CLIENT_STICKY_BUILDERS_H_
#define KARST_CLIENT_STICKY_BUILDERS_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/assignor.h"
#include "client/sticky_assignor.h"

namespace karst::client::sticky_internal {

using MemberPartitions = std::map<std::string, std::vector<TopicPartition>>;

// The iteration order of a java.util.HashMap<String, ?> filled with `keys` by put(): by
// bucket of String.hashCode() (spread as HashMap.hash does) in the table a default HashMap
// grows to, ties by key. Kafka's builders walk HashMaps where the order decides who keeps
// what (e.g. which member may keep maxQuota partitions); walking the same order makes the
// result equal Kafka's. Keys are taken as Latin-1 (exact for ASCII member ids).
std::vector<std::string> JavaHashMapOrder(std::vector<std::string> keys);

// REQUIRES: every member subscribes to all topics of `partitions_per_topic`; `owned` has an
// entry (maybe empty) per member, with partitions that exist and have one claimant each.
absl::StatusOr<AbstractStickyAssignor::Result> ConstrainedAssign(
    const PartitionsPerTopic& partitions_per_topic, const MemberPartitions& owned,
    const std::set<TopicPartition>& partitions_with_multiple_previous_owners);

struct GeneralInput {
  const PartitionsPerTopic& partitions_per_topic;
  const GroupSubscription& subscriptions;
  MemberPartitions owned;  // As for ConstrainedAssign.
  std::map<std::string, StickyMemberData> member_data;
  int32_t max_generation = kDefaultGeneration;
};
absl::StatusOr<MemberPartitions> GeneralAssign(GeneralInput input);

}  // namespace karst::client::sticky_internal

#endif  // KARST_CLIENT_STICKY_BUILDERS_H_

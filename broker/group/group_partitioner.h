// Which __consumer_offsets partition coordinates a group, computed exactly as Kafka does
// (GroupMetadataManager.partitionFor): Utils.abs(groupId.hashCode()) %
// offsets.topic.num.partitions, with Java's String.hashCode over UTF-16 code units. Pure functions,
// safe from any thread.
#ifndef KARST_BROKER_GROUP_GROUP_PARTITIONER_H_
#define KARST_BROKER_GROUP_GROUP_PARTITIONER_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "common/strong_id.h"

namespace karst::broker::group {

// Java's String.hashCode() of the string whose UTF-8 bytes are `utf8`: s[0]*31^(n-1) + ... +
// s[n-1] over UTF-16 code units, wrapping at 32 bits. Code points above U+FFFF count as two
// surrogate units. A malformed byte counts as one U+FFFD, as Java's replacing decoder does for
// the common cases (group ids are in practice ASCII).
int32_t JavaStringHashCode(absl::string_view utf8);

// Kafka's Utils.abs: |n|, except that Integer.MIN_VALUE maps to 0 (not to itself).
int32_t JavaUtilsAbs(int32_t n);

// The offsets partition of `group_id`. REQUIRES: num_partitions > 0.
PartitionIndex PartitionForGroup(absl::string_view group_id, int32_t num_partitions);

}  // namespace karst::broker::group

#endif  // KARST_BROKER_GROUP_GROUP_PARTITIONER_H_

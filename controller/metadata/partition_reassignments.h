// ListPartitionReassignments: the reassignments in progress in a MetadataImage (KIP-455's
// ListPartitionReassignments), for brokers answering from their own image and for the
// controller. A pure function of the image; thread-safe as the image is immutable.
#ifndef KARST_CONTROLLER_METADATA_PARTITION_REASSIGNMENTS_H_
#define KARST_CONTROLLER_METADATA_PARTITION_REASSIGNMENTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controller/metadata/metadata_image.h"

namespace karst::controller {

struct OngoingReassignment {
  std::string topic;
  int32_t partition = 0;
  std::vector<int32_t> replicas;
  std::vector<int32_t> adding_replicas;
  std::vector<int32_t> removing_replicas;
  bool operator==(const OngoingReassignment&) const = default;
};

// Partitions to look at: topic name and partition indexes.
using ReassignmentFilter = std::vector<std::pair<std::string, std::vector<int32_t>>>;

// Every partition with adding or removing replicas, by topic name then partition; with a
// filter, only those it names (unknown topics and partitions are skipped, as Kafka does).
std::vector<OngoingReassignment> ListPartitionReassignments(
    const MetadataImage& image, const std::optional<ReassignmentFilter>& filter);

}  // namespace karst::controller

#endif  // KARST_CONTROLLER_METADATA_PARTITION_REASSIGNMENTS_H_

#include "controller/metadata/partition_reassignments.h"

#include <map>
#include <set>

namespace karst::controller {

std::vector<OngoingReassignment> ListPartitionReassignments(
    const MetadataImage& image, const std::optional<ReassignmentFilter>& filter) {
  // By name, so the answer is ordered the same on every broker.
  std::map<std::string, std::set<int32_t>> wanted;
  if (filter.has_value()) {
    for (const auto& [topic, partitions] : *filter) {
      wanted[topic].insert(partitions.begin(), partitions.end());
    }
  } else {
    for (const auto& [name, id] : image.topic_ids) wanted[name];
  }
  std::vector<OngoingReassignment> out;
  for (const auto& [name, partitions] : wanted) {
    const TopicImage* topic = image.FindTopic(name);
    if (topic == nullptr) continue;
    for (const auto& [index, p] : topic->partitions) {
      if (filter.has_value() && !partitions.contains(index)) continue;
      if (p.adding_replicas.empty() && p.removing_replicas.empty()) continue;
      out.push_back({name, index, p.replicas, p.adding_replicas, p.removing_replicas});
    }
  }
  return out;
}

}  // namespace karst::controller

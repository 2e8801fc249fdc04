#include "client/range_assignor.h"

#include <algorithm>
#include <map>
#include <set>

namespace karst::client {

std::vector<std::string> SortedMembers(const GroupSubscription& subscriptions,
                                       const std::vector<std::string>& members) {
  std::vector<std::string> sorted = members;
  std::sort(sorted.begin(), sorted.end(), [&](const std::string& a, const std::string& b) {
    const std::optional<std::string>& ia = subscriptions.at(a).group_instance_id;
    const std::optional<std::string>& ib = subscriptions.at(b).group_instance_id;
    if (ia.has_value() != ib.has_value()) return ia.has_value();
    if (ia.has_value() && *ia != *ib) return *ia < *ib;
    return a < b;
  });
  return sorted;
}

absl::StatusOr<Assignor::MemberPartitions> RangeAssignor::AssignPartitions(
    const PartitionsPerTopic& partitions_per_topic, const GroupSubscription& subscriptions) const {
  std::map<std::string, std::vector<std::string>> members_per_topic;
  MemberPartitions assignment;
  for (const auto& [member, subscription] : subscriptions) {
    assignment[member];
    for (const std::string& topic : subscription.topics) {
      std::vector<std::string>& members = members_per_topic[topic];
      if (std::find(members.begin(), members.end(), member) == members.end()) {
        members.push_back(member);
      }
    }
  }
  // Topics in name order: Kafka walks a HashMap here, so only the order inside each member's
  // list may differ from Java, never which member gets a partition.
  for (const auto& [topic, members] : members_per_topic) {
    auto count = partitions_per_topic.find(topic);
    if (count == partitions_per_topic.end()) continue;
    std::vector<std::string> sorted = SortedMembers(subscriptions, members);
    const int32_t n = count->second;
    const int32_t per_member = n / static_cast<int32_t>(sorted.size());
    const int32_t extra = n % static_cast<int32_t>(sorted.size());
    for (int32_t i = 0; i < static_cast<int32_t>(sorted.size()); ++i) {
      const int32_t start = per_member * i + std::min(i, extra);
      const int32_t length = per_member + (i < extra ? 1 : 0);
      for (int32_t p = start; p < start + length; ++p) assignment[sorted[i]].push_back({topic, p});
    }
  }
  return assignment;
}

absl::StatusOr<Assignor::MemberPartitions> RoundRobinAssignor::AssignPartitions(
    const PartitionsPerTopic& partitions_per_topic, const GroupSubscription& subscriptions) const {
  MemberPartitions assignment;
  std::vector<std::string> members;
  std::map<std::string, std::set<std::string>> topics_of;
  for (const auto& [member, subscription] : subscriptions) {
    assignment[member];
    members.push_back(member);
    topics_of[member].insert(subscription.topics.begin(), subscription.topics.end());
  }
  members = SortedMembers(subscriptions, members);
  // Kafka's CircularIterator: the next member is the one after the last that received a
  // partition; members not subscribed to the partition's topic are skipped.
  size_t next = 0;
  for (const auto& [topic, count] : partitions_per_topic) {
    for (int32_t p = 0; p < count; ++p) {
      while (!topics_of[members[next]].contains(topic)) next = (next + 1) % members.size();
      assignment[members[next]].push_back({topic, p});
      next = (next + 1) % members.size();
    }
  }
  return assignment;
}

}  // namespace karst::client

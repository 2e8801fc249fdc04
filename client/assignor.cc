#include "client/assignor.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/range_assignor.h"
#include "client/sticky_assignor.h"
#include "common/status_macros.h"

namespace karst::client {

absl::string_view RebalanceProtocolName(RebalanceProtocol protocol) {
  return protocol == RebalanceProtocol::kCooperative ? "COOPERATIVE" : "EAGER";
}

std::vector<RebalanceProtocol> Assignor::supported_protocols() const {
  return {RebalanceProtocol::kEager};
}

std::optional<std::string> Assignor::SubscriptionUserData(
    const std::vector<TopicPartition>& /*assigned*/, int32_t /*generation_id*/) const {
  return std::nullopt;
}

absl::StatusOr<GroupAssignment> Assignor::Assign(const PartitionsPerTopic& partitions_per_topic,
                                                 const GroupSubscription& subscriptions) const {
  // As AbstractPartitionAssignor.assign(Cluster, ...): only subscribed topics with metadata.
  PartitionsPerTopic subscribed;
  for (const auto& [member, subscription] : subscriptions) {
    for (const std::string& topic : subscription.topics) {
      auto it = partitions_per_topic.find(topic);
      if (it == partitions_per_topic.end()) continue;
      if (it->second < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("topic ", topic, ": negative partition count ", it->second));
      }
      subscribed[topic] = it->second;
    }
  }
  ASSIGN_OR_RETURN(MemberPartitions partitions, AssignPartitions(subscribed, subscriptions));
  GroupAssignment assignment;
  for (const auto& entry : subscriptions) assignment[entry.first];
  for (auto& [member, list] : partitions) {
    if (!subscriptions.contains(member)) {
      return absl::InternalError(
          absl::StrCat(name(), " assignor: assigned partitions to unknown member ", member));
    }
    assignment[member].partitions = std::move(list);
  }
  return assignment;
}

absl::StatusOr<std::unique_ptr<Assignor>> MakeAssignor(absl::string_view name) {
  constexpr absl::string_view kPackage = "org.apache.kafka.clients.consumer.";
  if (name == "range" || name == absl::StrCat(kPackage, "RangeAssignor")) {
    return std::make_unique<RangeAssignor>();
  }
  if (name == "roundrobin" || name == absl::StrCat(kPackage, "RoundRobinAssignor")) {
    return std::make_unique<RoundRobinAssignor>();
  }
  if (name == "sticky" || name == absl::StrCat(kPackage, "StickyAssignor")) {
    return std::make_unique<StickyAssignor>();
  }
  if (name == "cooperative-sticky" || name == absl::StrCat(kPackage, "CooperativeStickyAssignor")) {
    return std::make_unique<CooperativeStickyAssignor>();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown partition assignor \"", name, "\" (range, roundrobin, sticky, cooperative-sticky)"));
}

absl::StatusOr<RebalanceProtocol> CommonRebalanceProtocol(
    const std::vector<std::unique_ptr<Assignor>>& assignors) {
  if (assignors.empty()) return absl::InvalidArgumentError("no partition assignors configured");
  std::set<RebalanceProtocol> common = {RebalanceProtocol::kEager, RebalanceProtocol::kCooperative};
  std::vector<absl::string_view> names;
  for (const auto& assignor : assignors) {
    names.push_back(assignor->name());
    std::vector<RebalanceProtocol> supported = assignor->supported_protocols();
    std::erase_if(common, [&](RebalanceProtocol p) {
      return std::find(supported.begin(), supported.end(), p) == supported.end();
    });
  }
  if (common.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("partition assignors ",
                                                   absl::StrJoin(names, ", "),
                                                   " have no rebalance protocol in common"));
  }
  return *common.rbegin();  // COOPERATIVE is newer than EAGER.
}

}  // namespace karst::client

#include "client/group_protocol.h"

#include "absl/strings/str_cat.h"
#include "client/consumer_protocol.h"
#include "client/rebalance_changes.h"
#include "common/status_macros.h"

namespace karst::client {

std::vector<JoinProtocol> BuildJoinProtocols(
    const std::vector<std::unique_ptr<Assignor>>& assignors, const std::set<std::string>& topics,
    const std::vector<TopicPartition>& owned, int32_t generation_id) {
  std::vector<JoinProtocol> protocols;
  for (const auto& assignor : assignors) {
    Subscription subscription;
    subscription.topics.assign(topics.begin(), topics.end());
    subscription.owned_partitions = owned;
    subscription.generation_id = generation_id;
    subscription.user_data = assignor->SubscriptionUserData(owned, generation_id);
    protocols.push_back({std::string(assignor->name()), EncodeSubscription(subscription)});
  }
  return protocols;
}

absl::StatusOr<GroupSubscription> DecodeMembers(const std::vector<JoinedMember>& members) {
  GroupSubscription subscriptions;
  for (const JoinedMember& member : members) {
    absl::StatusOr<Subscription> subscription = DecodeSubscription(member.metadata);
    if (!subscription.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "group member ", member.member_id, ": subscription: ", subscription.status().message()));
    }
    subscription->group_instance_id = member.group_instance_id;
    subscriptions[member.member_id] = *std::move(subscription);
  }
  return subscriptions;
}

std::set<std::string> SubscribedTopics(const GroupSubscription& subscriptions) {
  std::set<std::string> topics;
  for (const auto& [member, subscription] : subscriptions) {
    topics.insert(subscription.topics.begin(), subscription.topics.end());
  }
  return topics;
}

absl::StatusOr<std::map<std::string, std::string>> PerformAssignment(
    const Assignor& assignor, RebalanceProtocol protocol, const GroupSubscription& subscriptions,
    const PartitionsPerTopic& partitions_per_topic) {
  ASSIGN_OR_RETURN(const GroupAssignment assignment,
                   assignor.Assign(partitions_per_topic, subscriptions));
  if (protocol == RebalanceProtocol::kCooperative) {
    std::map<std::string, std::vector<TopicPartition>> owned;
    for (const auto& [member, subscription] : subscriptions) {
      owned[member] = subscription.owned_partitions;
    }
    RETURN_IF_ERROR(ValidateCooperativeAssignment(owned, assignment));
  }
  std::map<std::string, std::string> encoded;
  for (const auto& [member, member_assignment] : assignment) {
    encoded[member] = EncodeAssignment(member_assignment);
  }
  return encoded;
}

}  // namespace karst::client

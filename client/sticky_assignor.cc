#include "client/sticky_assignor.h"

#include <algorithm>
#include <set>
#include <utility>

#include "client/sticky_builders.h"
#include "common/status_macros.h"
#include "kafka/protocol/wire.h"

namespace karst::client {
namespace {

using kafka::protocol::Reader;
using kafka::protocol::Writer;
using sticky_internal::JavaHashMapOrder;

void Erase(std::vector<TopicPartition>& partitions, const TopicPartition& tp) {
  partitions.erase(std::remove(partitions.begin(), partitions.end(), tp), partitions.end());
}

bool Exists(const PartitionsPerTopic& partitions_per_topic, const TopicPartition& tp) {
  auto it = partitions_per_topic.find(tp.topic);
  return it != partitions_per_topic.end() && tp.partition >= 0 && tp.partition < it->second;
}

// What AbstractStickyAssignor.allSubscriptionsEqual() gathers besides its answer.
struct PreviousOwners {
  bool all_subscriptions_equal = true;
  sticky_internal::MemberPartitions owned;
  std::set<TopicPartition> multiple_owners;
  std::map<std::string, StickyMemberData> member_data;
  int32_t max_generation = kDefaultGeneration;
};

// Each member keeps the claims on existing partitions of subscribed topics; of two claims on a
// partition the newer generation wins, and claims in the same generation both lose.
PreviousOwners CollectPreviousOwners(const AbstractStickyAssignor& assignor,
                                     const PartitionsPerTopic& partitions_per_topic,
                                     const GroupSubscription& subscriptions) {
  PreviousOwners out;
  std::vector<std::string> members;
  for (const auto& entry : subscriptions) members.push_back(entry.first);
  std::optional<std::set<std::string>> first_topics;
  std::map<TopicPartition, std::string> claimed_by;
  for (const std::string& member : JavaHashMapOrder(members)) {
    const Subscription& subscription = subscriptions.at(member);
    std::set<std::string> topics(subscription.topics.begin(), subscription.topics.end());
    // Kafka compares against the first non-empty topic set; a member subscribing to nothing
    // then looks equal to everyone. Comparing with the first member's set avoids that.
    if (!first_topics) first_topics = topics;
    if (topics != *first_topics) out.all_subscriptions_equal = false;

    StickyMemberData data = assignor.MemberData(subscription);
    const int32_t generation = data.generation.value_or(kDefaultGeneration);
    out.max_generation = std::max(out.max_generation, generation);
    std::vector<TopicPartition>& owned = out.owned[member];
    for (const TopicPartition& tp : data.partitions) {
      if (!Exists(partitions_per_topic, tp)) continue;
      auto [it, inserted] = claimed_by.try_emplace(tp, member);
      if (inserted) {
        owned.push_back(tp);
        continue;
      }
      const std::string other = it->second;
      if (other == member) continue;  // Listed twice by the same member.
      const int32_t other_generation =
          out.member_data.at(other).generation.value_or(kDefaultGeneration);
      if (generation == other_generation) {
        out.multiple_owners.insert(tp);
        Erase(out.owned[other], tp);
        it->second = member;
      } else if (generation > other_generation) {
        owned.push_back(tp);
        Erase(out.owned[other], tp);
        it->second = member;
      }
    }
    out.member_data[member] = std::move(data);
  }
  return out;
}

}  // namespace

absl::StatusOr<AbstractStickyAssignor::Result> AbstractStickyAssignor::AssignSticky(
    const PartitionsPerTopic& partitions_per_topic, const GroupSubscription& subscriptions) const {
  if (subscriptions.empty()) {
    return Result{.partitions_transferring_ownership = std::map<TopicPartition, std::string>()};
  }
  PreviousOwners previous = CollectPreviousOwners(*this, partitions_per_topic, subscriptions);
  if (previous.all_subscriptions_equal) {
    return sticky_internal::ConstrainedAssign(partitions_per_topic, previous.owned,
                                              previous.multiple_owners);
  }
  ASSIGN_OR_RETURN(MemberPartitions assignment,
                   sticky_internal::GeneralAssign({.partitions_per_topic = partitions_per_topic,
                                                   .subscriptions = subscriptions,
                                                   .owned = std::move(previous.owned),
                                                   .member_data = std::move(previous.member_data),
                                                   .max_generation = previous.max_generation}));
  return Result{.assignment = std::move(assignment)};
}

absl::StatusOr<Assignor::MemberPartitions> AbstractStickyAssignor::AssignPartitions(
    const PartitionsPerTopic& partitions_per_topic, const GroupSubscription& subscriptions) const {
  ASSIGN_OR_RETURN(Result result, AssignSticky(partitions_per_topic, subscriptions));
  return std::move(result.assignment);
}

std::string EncodeStickyUserData(const std::vector<TopicPartition>& partitions,
                                 int32_t generation_id) {
  std::string out;
  Writer writer(&out);
  WriteTopicPartitions(writer, partitions);
  writer.Int32(generation_id);
  return out;
}

StickyMemberData DecodeStickyUserData(absl::string_view data) {
  // v1 first, then v0 (StickyAssignor.deserializeTopicPartitionAssignment).
  StickyMemberData out;
  Reader reader(data);
  if (!ReadTopicPartitions(reader, &out.partitions).ok()) {
    return {.generation = kDefaultGeneration};
  }
  int32_t generation = 0;
  if (reader.Int32(&generation).ok()) out.generation = generation;
  return out;
}

std::optional<std::string> StickyAssignor::SubscriptionUserData(
    const std::vector<TopicPartition>& assigned, int32_t generation_id) const {
  // Java's StickyAssignor sends no user data until its first onAssignment().
  if (generation_id == kDefaultGeneration && assigned.empty()) return std::nullopt;
  return EncodeStickyUserData(assigned, generation_id);
}

StickyMemberData StickyAssignor::MemberData(const Subscription& subscription) const {
  // Eager members revoke everything before joining, so only the user data says what they had.
  if (!subscription.user_data || subscription.user_data->empty()) return {};
  return DecodeStickyUserData(*subscription.user_data);
}

std::vector<RebalanceProtocol> CooperativeStickyAssignor::supported_protocols() const {
  return {RebalanceProtocol::kCooperative, RebalanceProtocol::kEager};
}

std::optional<std::string> CooperativeStickyAssignor::SubscriptionUserData(
    const std::vector<TopicPartition>& /*assigned*/, int32_t generation_id) const {
  std::string out;
  Writer(&out).Int32(generation_id);
  return out;
}

StickyMemberData CooperativeStickyAssignor::MemberData(const Subscription& subscription) const {
  // Subscription v2+ carries the generation; older ones may carry it in the user data.
  if (subscription.generation_id >= 0) {
    return {subscription.owned_partitions, subscription.generation_id};
  }
  std::optional<int32_t> generation;
  if (subscription.user_data) {
    int32_t decoded = kDefaultGeneration;
    Reader reader(*subscription.user_data);
    generation = reader.Int32(&decoded).ok() ? decoded : kDefaultGeneration;
  }
  return {subscription.owned_partitions, generation};
}

absl::StatusOr<Assignor::MemberPartitions> CooperativeStickyAssignor::AssignPartitions(
    const PartitionsPerTopic& partitions_per_topic, const GroupSubscription& subscriptions) const {
  ASSIGN_OR_RETURN(Result result, AssignSticky(partitions_per_topic, subscriptions));
  std::map<TopicPartition, std::string> transferring;
  if (result.partitions_transferring_ownership) {
    transferring = std::move(*result.partitions_transferring_ownership);
  } else {
    // The general builder does not track moves: a partition is transferring when one member
    // gets it new while another gave it up (CooperativeStickyAssignor, KIP-429).
    std::set<TopicPartition> revoked;
    std::map<TopicPartition, std::string> added;
    for (const auto& [member, assigned] : result.assignment) {
      const std::vector<TopicPartition>& owned = subscriptions.at(member).owned_partitions;
      for (const TopicPartition& tp : assigned) {
        if (std::find(owned.begin(), owned.end(), tp) == owned.end()) added[tp] = member;
      }
      for (const TopicPartition& tp : owned) {
        if (std::find(assigned.begin(), assigned.end(), tp) == assigned.end()) revoked.insert(tp);
      }
    }
    for (const auto& [tp, member] : added) {
      if (revoked.contains(tp)) transferring[tp] = member;
    }
  }
  // Leave moving partitions out of this generation: the next rebalance assigns them.
  for (const auto& [tp, member] : transferring) Erase(result.assignment[member], tp);
  return std::move(result.assignment);
}

}  // namespace karst::client

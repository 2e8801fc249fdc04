#include "client/rebalance_changes.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace karst::client {
namespace {

bool Contains(const std::vector<TopicPartition>& list, const TopicPartition& tp) {
  return std::find(list.begin(), list.end(), tp) != list.end();
}

// Elements of `a` not in `b`, in `a`'s order.
std::vector<TopicPartition> Minus(const std::vector<TopicPartition>& a,
                                  const std::vector<TopicPartition>& b) {
  std::vector<TopicPartition> out;
  for (const TopicPartition& tp : a) {
    if (!Contains(b, tp) && !Contains(out, tp)) out.push_back(tp);
  }
  return out;
}

}  // namespace

std::vector<TopicPartition> PartitionsToRevokeBeforeJoin(
    RebalanceProtocol protocol, const std::vector<TopicPartition>& owned,
    const std::set<std::string>& subscribed_topics) {
  if (protocol == RebalanceProtocol::kEager) return owned;
  std::vector<TopicPartition> revoked;
  for (const TopicPartition& tp : owned) {
    if (!subscribed_topics.contains(tp.topic)) revoked.push_back(tp);
  }
  return revoked;
}

AssignmentChanges ComputeAssignmentChanges(RebalanceProtocol protocol,
                                           const std::vector<TopicPartition>& owned,
                                           const std::vector<TopicPartition>& assigned) {
  AssignmentChanges changes;
  changes.added = Minus(assigned, owned);
  if (protocol == RebalanceProtocol::kCooperative) {
    changes.revoked = Minus(owned, assigned);
    changes.rejoin = !changes.revoked.empty();
  }
  return changes;
}

absl::Status ValidateCooperativeAssignment(
    const std::map<std::string, std::vector<TopicPartition>>& owned,
    const GroupAssignment& assignment) {
  std::set<TopicPartition> added;
  std::set<TopicPartition> revoked;
  for (const auto& [member, member_assignment] : assignment) {
    auto it = owned.find(member);
    const std::vector<TopicPartition> none;
    const std::vector<TopicPartition>& member_owned = it == owned.end() ? none : it->second;
    for (const TopicPartition& tp : Minus(member_assignment.partitions, member_owned)) {
      added.insert(tp);
    }
    for (const TopicPartition& tp : Minus(member_owned, member_assignment.partitions)) {
      revoked.insert(tp);
    }
  }
  std::vector<std::string> both;
  for (const TopicPartition& tp : added) {
    if (revoked.contains(tp)) both.push_back(ToString(tp));
  }
  if (both.empty()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(
      "cooperative assignment gives partitions to new owners while they are still being revoked: ",
      absl::StrJoin(both, ", ")));
}

}  // namespace karst::client

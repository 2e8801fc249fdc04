// One classic consumer group as Kafka's GroupMetadata holds it: state, generation, protocol,
// leader, members (in join order), static members, pending members and committed offsets,
// plus the deadlines the coordinator's Tick checks. Owned and mutated only by
// GroupCoordinator, on one thread; plain data otherwise.
//
//            +------------------------------------------------------+
//            v                                                      |
//   Empty --join--> PreparingRebalance --all joined / timeout--> CompletingRebalance
//     ^  \              ^       |  (no members left)                |  leader SyncGroup
//     |   \             |       v                                   v
//     |    \            +---- Empty                               Stable
//     |     \           +--- member joins/leaves/expires -----------+
//     |      +--> Dead (DeleteGroups; Empty with no offsets left after expiry)
#ifndef KARST_BROKER_GROUP_GROUP_H_
#define KARST_BROKER_GROUP_GROUP_H_

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "broker/group/offsets_records.h"
#include "common/strong_id.h"

namespace karst::broker::group {

// The driver's handle for a request whose response may come later (JoinGroup, SyncGroup).
KARST_DEFINE_STRONG_ID(RequestId, uint64_t);

enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };

// Kafka's names, as DescribeGroups and ListGroups report them: "Empty", "PreparingRebalance",
// "CompletingRebalance", "Stable", "Dead".
absl::string_view GroupStateName(GroupState state);

struct TopicPartition {
  std::string topic;
  PartitionIndex partition;
  auto operator<=>(const TopicPartition&) const = default;
  bool operator==(const TopicPartition&) const = default;
};

struct JoinProtocol {
  std::string name;
  std::string metadata;
  bool operator==(const JoinProtocol&) const = default;
};

struct Member {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = 0;
  int32_t session_timeout_ms = 0;
  std::string protocol_type;
  std::vector<JoinProtocol> protocols;  // in the member's order of preference
  std::string assignment;
  std::optional<RequestId> awaiting_join;  // a JoinGroup waiting for the rebalance
  std::optional<RequestId> awaiting_sync;  // a SyncGroup waiting for the leader
  bool is_new = false;                     // joined, first rebalance not yet completed
  absl::Time heartbeat_deadline = absl::InfiniteFuture();

  // The metadata for protocol `name`; empty if the member does not support it.
  std::string Metadata(absl::string_view name) const;
  bool Matches(const std::vector<JoinProtocol>& protocols) const {
    return this->protocols == protocols;
  }
};

class Group {
 public:
  Group(std::string group_id, absl::Time now)
      : group_id_(std::move(group_id)), state_timestamp_(now) {}

  const std::string& group_id() const { return group_id_; }
  GroupState state() const { return state_; }
  bool Is(GroupState state) const { return state_ == state; }
  // The time of the last transition; none for a group loaded from a version 0/1 record.
  std::optional<absl::Time> state_timestamp() const { return state_timestamp_; }
  void TransitionTo(GroupState state, absl::Time now);
  // Stable, CompletingRebalance and Empty groups can start a rebalance.
  bool CanRebalance() const;

  Member* Find(absl::string_view member_id);
  const Member* Find(absl::string_view member_id) const;
  bool Has(absl::string_view member_id) const { return Find(member_id) != nullptr; }
  bool IsLeader(absl::string_view member_id) const { return leader_id == member_id; }
  // Adds a member: the first one fixes the protocol type and becomes leader.
  void Add(Member member);
  // Removes a member, its static mapping and pending sync; a new leader is the first left.
  void Remove(absl::string_view member_id);
  // Renames a static member to `new_member_id` (KIP-345 replacement), keeping its place.
  void ReplaceStaticMember(absl::string_view old_member_id, const std::string& new_member_id);
  std::optional<std::string> StaticMemberId(const std::optional<std::string>& instance_id) const;
  // A static member is fenced when its instance id maps to a different member id.
  bool IsStaticMemberFenced(const std::optional<std::string>& instance_id,
                            absl::string_view member_id) const;

  bool SupportsProtocols(absl::string_view protocol_type,
                         const std::vector<JoinProtocol>& protocols) const;
  // Kafka's vote: each member votes for its most preferred protocol among those every member
  // supports; most votes wins (ties: the protocol voted first, in join order).
  std::string SelectProtocol() const;
  int NumAwaitingJoin() const;
  bool AllMembersJoined() const {
    return NumAwaitingJoin() == static_cast<int>(members.size()) && pending_members.empty();
  }
  // If the leader has not rejoined, any member that has takes over. False if none has.
  bool MaybeElectNewJoinedLeader();
  int32_t RebalanceTimeoutMs() const;
  // Starts generation+1: CompletingRebalance with the voted protocol, or Empty.
  void InitNextGeneration(absl::Time now);
  // Whether the group consumes `topic`; true when unknown (subscriptions did not decode).
  bool IsSubscribedToTopic(absl::string_view topic) const;
  const std::optional<std::set<std::string>>& subscribed_topics() const {
    return subscribed_topics_;
  }
  void ComputeSubscribedTopics();
  // The record Kafka writes for this group, with each member's current assignment.
  GroupMetadataValue ToRecord() const;
  // Rebuilds the group from its record (Stable with members, else Empty), as Kafka's
  // GroupMetadata.loadGroup; each member supports only the group's protocol.
  void LoadFrom(const GroupMetadataValue& value);

  int32_t generation_id = 0;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::optional<std::string> leader_id;
  std::vector<Member> members;                        // join order
  std::map<std::string, std::string> static_members;  // group.instance.id -> member id
  std::map<std::string, absl::Time> pending_members;  // KIP-394: id handed out, not joined
  std::set<std::string> pending_sync_members;         // joined this generation, not synced
  std::map<TopicPartition, OffsetCommitValue> offsets;

  // The rebalance in progress (PreparingRebalance): when the join phase ends, and whether it
  // is still in the initial delay of a formerly Empty group.
  std::optional<absl::Time> join_deadline;
  bool initial_delay = false;
  absl::Duration initial_delay_remaining;
  bool new_member_added = false;
  // When members that joined but have not sent SyncGroup are removed.
  std::optional<absl::Time> sync_deadline;

 private:
  std::string group_id_;
  GroupState state_ = GroupState::kEmpty;
  std::optional<absl::Time> state_timestamp_;
  std::optional<std::set<std::string>> subscribed_topics_;
};

}  // namespace karst::broker::group

#endif  // KARST_BROKER_GROUP_GROUP_H_

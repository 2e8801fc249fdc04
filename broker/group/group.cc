#include "broker/group/group.h"

#include <algorithm>
#include <utility>

#include "absl/status/statusor.h"
#include "kafka/protocol/consumer_protocol.h"

namespace karst::broker::group {

absl::string_view GroupStateName(GroupState state) {
  switch (state) {
    case GroupState::kEmpty:
      return "Empty";
    case GroupState::kPreparingRebalance:
      return "PreparingRebalance";
    case GroupState::kCompletingRebalance:
      return "CompletingRebalance";
    case GroupState::kStable:
      return "Stable";
    case GroupState::kDead:
      return "Dead";
  }
  return "Unknown";
}

std::string Member::Metadata(absl::string_view name) const {
  for (const JoinProtocol& p : protocols) {
    if (p.name == name) return p.metadata;
  }
  return "";
}

void Group::TransitionTo(GroupState state, absl::Time now) {
  state_ = state;
  state_timestamp_ = now;
  if (state != GroupState::kPreparingRebalance) {
    join_deadline.reset();
    initial_delay = false;
  }
}

bool Group::CanRebalance() const {
  return state_ == GroupState::kStable || state_ == GroupState::kCompletingRebalance ||
         state_ == GroupState::kEmpty;
}

Member* Group::Find(absl::string_view member_id) {
  for (Member& m : members) {
    if (m.member_id == member_id) return &m;
  }
  return nullptr;
}

const Member* Group::Find(absl::string_view member_id) const {
  return const_cast<Group*>(this)->Find(member_id);
}

void Group::Add(Member member) {
  if (members.empty()) protocol_type = member.protocol_type;
  if (!leader_id.has_value()) leader_id = member.member_id;
  if (member.group_instance_id.has_value()) {
    static_members[*member.group_instance_id] = member.member_id;
  }
  pending_members.erase(member.member_id);
  members.push_back(std::move(member));
}

void Group::Remove(absl::string_view member_id) {
  auto it = std::find_if(members.begin(), members.end(),
                         [&](const Member& m) { return m.member_id == member_id; });
  if (it == members.end()) return;
  if (it->group_instance_id.has_value()) static_members.erase(*it->group_instance_id);
  pending_sync_members.erase(std::string(member_id));
  members.erase(it);
  if (IsLeader(member_id)) {
    if (members.empty()) {
      leader_id.reset();
    } else {
      leader_id = members.front().member_id;
    }
  }
}

void Group::ReplaceStaticMember(absl::string_view old_member_id, const std::string& new_member_id) {
  Member* m = Find(old_member_id);
  if (m == nullptr) return;
  m->member_id = new_member_id;
  if (m->group_instance_id.has_value()) static_members[*m->group_instance_id] = new_member_id;
  if (IsLeader(old_member_id)) leader_id = new_member_id;
  if (pending_sync_members.erase(std::string(old_member_id)) > 0) {
    pending_sync_members.insert(new_member_id);
  }
}

std::optional<std::string> Group::StaticMemberId(
    const std::optional<std::string>& instance_id) const {
  if (!instance_id.has_value()) return std::nullopt;
  auto it = static_members.find(*instance_id);
  if (it == static_members.end()) return std::nullopt;
  return it->second;
}

bool Group::IsStaticMemberFenced(const std::optional<std::string>& instance_id,
                                 absl::string_view member_id) const {
  std::optional<std::string> current = StaticMemberId(instance_id);
  return current.has_value() && *current != member_id;
}

bool Group::SupportsProtocols(absl::string_view type,
                              const std::vector<JoinProtocol>& protocols) const {
  // GroupMetadata.supportsProtocols: an Empty group takes any non-empty type and list.
  if (state_ == GroupState::kEmpty) return !type.empty() && !protocols.empty();
  if (protocol_type != type) return false;
  for (const JoinProtocol& p : protocols) {
    const bool all = std::all_of(members.begin(), members.end(), [&](const Member& m) {
      return std::any_of(m.protocols.begin(), m.protocols.end(),
                         [&](const JoinProtocol& q) { return q.name == p.name; });
    });
    if (all) return true;
  }
  return false;
}

std::string Group::SelectProtocol() const {
  // Candidates: protocols every member supports (GroupMetadata.candidateProtocols).
  auto supported_by_all = [&](const std::string& name) {
    return std::all_of(members.begin(), members.end(), [&](const Member& m) {
      return std::any_of(m.protocols.begin(), m.protocols.end(),
                         [&](const JoinProtocol& q) { return q.name == name; });
    });
  };
  // Votes in first-vote order, so ties (a HashMap's whim in Kafka) resolve deterministically.
  std::vector<std::pair<std::string, int>> votes;
  for (const Member& m : members) {
    for (const JoinProtocol& p : m.protocols) {
      if (!supported_by_all(p.name)) continue;
      auto it = std::find_if(votes.begin(), votes.end(),
                             [&](const auto& v) { return v.first == p.name; });
      if (it == votes.end()) {
        votes.emplace_back(p.name, 1);
      } else {
        ++it->second;
      }
      break;
    }
  }
  std::string best;
  int best_votes = 0;
  for (const auto& [name, count] : votes) {
    if (count > best_votes) best = name, best_votes = count;
  }
  return best;
}

int Group::NumAwaitingJoin() const {
  return static_cast<int>(std::count_if(
      members.begin(), members.end(), [](const Member& m) { return m.awaiting_join.has_value(); }));
}

bool Group::MaybeElectNewJoinedLeader() {
  if (!leader_id.has_value()) return false;
  const Member* leader = Find(*leader_id);
  if (leader != nullptr && leader->awaiting_join.has_value()) return true;
  for (const Member& m : members) {
    if (m.awaiting_join.has_value()) {
      leader_id = m.member_id;
      return true;
    }
  }
  return false;
}

int32_t Group::RebalanceTimeoutMs() const {
  int32_t max = 0;
  for (const Member& m : members) max = std::max(max, m.rebalance_timeout_ms);
  return max;
}

void Group::InitNextGeneration(absl::Time now) {
  ++generation_id;
  if (!members.empty()) {
    protocol_name = SelectProtocol();
    ComputeSubscribedTopics();
    TransitionTo(GroupState::kCompletingRebalance, now);
  } else {
    protocol_name.reset();
    ComputeSubscribedTopics();
    TransitionTo(GroupState::kEmpty, now);
  }
  pending_sync_members.clear();
}

void Group::ComputeSubscribedTopics() {
  // GroupMetadata.computeSubscribedTopics: known only for consumer groups.
  subscribed_topics_.reset();
  if (protocol_type != kafka::protocol::kConsumerProtocolType) return;
  if (members.empty()) {
    subscribed_topics_.emplace();
    return;
  }
  if (!protocol_name.has_value()) return;
  std::set<std::string> topics;
  for (const Member& m : members) {
    absl::StatusOr<kafka::protocol::Subscription> s =
        kafka::protocol::DecodeSubscription(m.Metadata(*protocol_name));
    if (!s.ok()) return;
    topics.insert(s->topics.begin(), s->topics.end());
  }
  subscribed_topics_ = std::move(topics);
}

bool Group::IsSubscribedToTopic(absl::string_view topic) const {
  if (!subscribed_topics_.has_value()) return true;
  return subscribed_topics_->contains(std::string(topic));
}

GroupMetadataValue Group::ToRecord() const {
  GroupMetadataValue v;
  v.protocol_type = protocol_type.value_or("");
  v.generation = generation_id;
  v.protocol = protocol_name;
  v.leader = leader_id;
  v.current_state_timestamp_ms =
      state_timestamp_.has_value() ? absl::ToUnixMillis(*state_timestamp_) : -1;
  for (const Member& m : members) {
    v.members.push_back({.member_id = m.member_id,
                         .group_instance_id = m.group_instance_id,
                         .client_id = m.client_id,
                         .client_host = m.client_host,
                         .rebalance_timeout_ms = m.rebalance_timeout_ms,
                         .session_timeout_ms = m.session_timeout_ms,
                         .subscription = m.Metadata(protocol_name.value_or("")),
                         .assignment = m.assignment});
  }
  return v;
}

void Group::LoadFrom(const GroupMetadataValue& v) {
  generation_id = v.generation;
  protocol_type = v.protocol_type.empty() ? std::nullopt : std::optional(v.protocol_type);
  protocol_name = v.protocol;
  leader_id = v.leader;
  members.clear();
  static_members.clear();
  for (const GroupMetadataValue::Member& r : v.members) {
    Member m{.member_id = r.member_id,
             .group_instance_id = r.group_instance_id,
             .client_id = r.client_id,
             .client_host = r.client_host,
             .rebalance_timeout_ms = r.rebalance_timeout_ms,
             .session_timeout_ms = r.session_timeout_ms,
             .protocol_type = v.protocol_type,
             .protocols = {{v.protocol.value_or(""), r.subscription}},
             .assignment = r.assignment};
    if (m.group_instance_id.has_value()) static_members[*m.group_instance_id] = m.member_id;
    members.push_back(std::move(m));
  }
  state_ = members.empty() ? GroupState::kEmpty : GroupState::kStable;
  state_timestamp_.reset();
  if (v.current_state_timestamp_ms >= 0) {
    state_timestamp_ = absl::FromUnixMillis(v.current_state_timestamp_ms);
  }
  ComputeSubscribedTopics();
}

}  // namespace karst::broker::group

// DescribeGroups, ListGroups and DeleteGroups: Kafka's GroupCoordinator.handleDescribeGroup,
// handleListGroups and handleDeleteGroups.
#include <utility>

#include "absl/strings/match.h"
#include "broker/group/group_coordinator.h"

namespace karst::broker::group {
namespace {

using ErrorCode = kp::ErrorCode;

int16_t Code(ErrorCode e) { return static_cast<int16_t>(e); }

bool ContainsIgnoringCase(const std::vector<std::string>& values, absl::string_view value) {
  for (const std::string& v : values) {
    if (absl::EqualsIgnoreCase(v, value)) return true;
  }
  return false;
}

}  // namespace

kp::DescribeGroupsResponse GroupCoordinator::DescribeGroups(
    const kp::DescribeGroupsRequest& request) const {
  kp::DescribeGroupsResponse response;
  for (const std::string& group_id : request.groups) {
    auto& d = response.groups.emplace_back();
    d.group_id = group_id;
    if (auto error = CheckCoordinator(group_id)) {
      d.error_code = Code(*error);
      continue;
    }
    const Group* g = FindGroup(group_id);
    if (g == nullptr) {
      // Kafka describes an unknown group as Dead, without an error.
      d.group_state = std::string(GroupStateName(GroupState::kDead));
      continue;
    }
    d.group_state = std::string(GroupStateName(g->state()));
    d.protocol_type = g->protocol_type.value_or("");
    // Member metadata and assignments only for a Stable group (GroupMetadata.summary).
    const bool stable = g->Is(GroupState::kStable);
    if (stable) d.protocol_data = g->protocol_name.value_or("");
    for (const Member& m : g->members) {
      auto& dm = d.members.emplace_back();
      dm.member_id = m.member_id;
      dm.group_instance_id = m.group_instance_id;
      dm.client_id = m.client_id;
      dm.client_host = m.client_host;
      if (stable) {
        dm.member_metadata = m.Metadata(*g->protocol_name);
        dm.member_assignment = m.assignment;
      }
    }
  }
  return response;
}

kp::ListGroupsResponse GroupCoordinator::ListGroups(const kp::ListGroupsRequest& request) const {
  kp::ListGroupsResponse response;
  for (const auto& [partition, state] : partitions_) {
    if (state.loading) response.error_code = Code(ErrorCode::kCoordinatorLoadInProgress);
  }
  // v5's type filter: every group here is "classic".
  if (!request.types_filter.empty() && !ContainsIgnoringCase(request.types_filter, "classic")) {
    return response;
  }
  for (const auto& [id, g] : groups_) {
    const absl::string_view state = GroupStateName(g.state());
    if (!request.states_filter.empty() && !ContainsIgnoringCase(request.states_filter, state)) {
      continue;
    }
    auto& l = response.groups.emplace_back();
    l.group_id = id;
    l.protocol_type = g.protocol_type.value_or("");
    l.group_state = std::string(state);
    l.group_type = "classic";
  }
  return response;
}

Answer<kp::DeleteGroupsResponse> GroupCoordinator::DeleteGroups(
    const kp::DeleteGroupsRequest& request, absl::Time now) {
  Answer<kp::DeleteGroupsResponse> out;
  for (const std::string& group_id : request.groups_names) {
    auto& r = out.response.results.emplace_back();
    r.group_id = group_id;
    if (auto error = CheckCoordinator(group_id)) {
      r.error_code = Code(*error);
      continue;
    }
    Group* g = MutableGroup(group_id);
    if (g == nullptr || g->Is(GroupState::kDead)) {
      r.error_code = Code(ErrorCode::kGroupIdNotFound);
      continue;
    }
    if (!g->Is(GroupState::kEmpty)) {
      r.error_code = Code(ErrorCode::kNonEmptyGroup);
      continue;
    }
    std::vector<TopicPartition> removed;
    for (const auto& [tp, v] : g->offsets) removed.push_back(tp);
    g->offsets.clear();
    g->TransitionTo(GroupState::kDead, now);
    CleanupGroup(*g, removed, out.effects);
    r.error_code = Code(ErrorCode::kNone);
  }
  return out;
}

}  // namespace karst::broker::group

// Heartbeat, LeaveGroup and the timers: Kafka's GroupCoordinator.handleHeartbeat,
// handleLeaveGroup, onExpireHeartbeat, onExpireJoin (InitialDelayedJoin, DelayedJoin) and
// onExpirePendingSync.
#include <algorithm>
#include <utility>

#include "broker/group/group_coordinator.h"

namespace karst::broker::group {
namespace {

using ErrorCode = kp::ErrorCode;

int16_t Code(ErrorCode e) { return static_cast<int16_t>(e); }

}  // namespace

void GroupCoordinator::ScheduleHeartbeat(Member& m, absl::Time now) const {
  m.heartbeat_deadline = now + absl::Milliseconds(m.session_timeout_ms);
}

kp::HeartbeatResponse GroupCoordinator::Heartbeat(const RequestMeta& /*meta*/,
                                                  const kp::HeartbeatRequest& request,
                                                  absl::Time now) {
  kp::HeartbeatResponse r;
  auto answer = [&](ErrorCode e) {
    r.error_code = Code(e);
    return r;
  };
  if (request.group_id.empty()) return answer(ErrorCode::kInvalidGroupId);
  if (auto error = CheckCoordinator(request.group_id)) {
    // Kafka answers heartbeats blindly while loading: the member keeps its session.
    return answer(*error == ErrorCode::kCoordinatorLoadInProgress ? ErrorCode::kNone : *error);
  }
  Group* g = MutableGroup(request.group_id);
  if (g == nullptr) return answer(ErrorCode::kUnknownMemberId);
  if (g->Is(GroupState::kDead)) return answer(ErrorCode::kCoordinatorNotAvailable);
  if (g->IsStaticMemberFenced(request.group_instance_id, request.member_id)) {
    return answer(ErrorCode::kFencedInstanceId);
  }
  Member* m = g->Find(request.member_id);
  if (m == nullptr) return answer(ErrorCode::kUnknownMemberId);
  if (request.generation_id != g->generation_id) return answer(ErrorCode::kIllegalGeneration);
  switch (g->state()) {
    case GroupState::kEmpty:
    case GroupState::kDead:
      return answer(ErrorCode::kUnknownMemberId);
    case GroupState::kPreparingRebalance:
      ScheduleHeartbeat(*m, now);
      return answer(ErrorCode::kRebalanceInProgress);
    case GroupState::kCompletingRebalance:
    case GroupState::kStable:
      ScheduleHeartbeat(*m, now);
      return answer(ErrorCode::kNone);
  }
  return answer(ErrorCode::kUnknownServerError);
}

Answer<kp::LeaveGroupResponse> GroupCoordinator::LeaveGroup(const RequestMeta& meta,
                                                            const kp::LeaveGroupRequest& request,
                                                            absl::Time now) {
  Answer<kp::LeaveGroupResponse> out;
  // v0-2 name one member; v3+ a batch (KIP-345), possibly by instance id alone.
  std::vector<std::pair<std::string, std::optional<std::string>>> leaving;
  if (meta.api_version < 3) {
    leaving.emplace_back(request.member_id, std::nullopt);
  } else {
    for (const auto& m : request.members) leaving.emplace_back(m.member_id, m.group_instance_id);
  }
  auto top_level = [&](ErrorCode e) {
    out.response.error_code = Code(e);
    return std::move(out);
  };
  if (request.group_id.empty()) return top_level(ErrorCode::kInvalidGroupId);
  if (auto error = CheckCoordinator(request.group_id)) return top_level(*error);
  Group* g = MutableGroup(request.group_id);
  if (g != nullptr && g->Is(GroupState::kDead))
    return top_level(ErrorCode::kCoordinatorNotAvailable);
  for (const auto& [member_id, instance_id] : leaving) {
    ErrorCode e = ErrorCode::kUnknownMemberId;
    if (g == nullptr) {
    } else if (member_id.empty()) {
      // Administrative removal by group.instance.id alone.
      if (std::optional<std::string> current = g->StaticMemberId(instance_id)) {
        RemoveMemberAndUpdateGroup(*g, *current, now, out.effects);
        e = ErrorCode::kNone;
      }
    } else if (g->pending_members.contains(member_id)) {
      RemovePendingMemberAndUpdateGroup(*g, member_id, now, out.effects);
      e = ErrorCode::kNone;
    } else if (g->IsStaticMemberFenced(instance_id, member_id)) {
      e = ErrorCode::kFencedInstanceId;
    } else if (g->Has(member_id)) {
      RemoveMemberAndUpdateGroup(*g, member_id, now, out.effects);
      e = ErrorCode::kNone;
    }
    auto& r = out.response.members.emplace_back();
    r.member_id = member_id;
    r.group_instance_id = instance_id;
    r.error_code = Code(e);
  }
  // LeaveGroupResponse for v0-2 carries the member's error at the top level.
  if (meta.api_version < 3 && !out.response.members.empty()) {
    out.response.error_code = out.response.members.front().error_code;
  }
  return out;
}

void GroupCoordinator::RemoveMemberAndUpdateGroup(Group& g, const std::string& member_id,
                                                  absl::Time now, Effects& fx) {
  Member* m = g.Find(member_id);
  if (m == nullptr) return;
  // A member removed while its JoinGroup waits gets UNKNOWN_MEMBER_ID and rejoins if alive.
  if (m->awaiting_join.has_value()) {
    kp::JoinGroupResponse r;
    r.error_code = Code(ErrorCode::kUnknownMemberId);
    r.member_id = member_id;
    r.protocol_type = std::nullopt;
    r.protocol_name = std::nullopt;
    fx.join_responses.emplace_back(*m->awaiting_join, std::move(r));
  }
  if (m->awaiting_sync.has_value()) {
    kp::SyncGroupResponse r;
    r.error_code = Code(ErrorCode::kUnknownMemberId);
    fx.sync_responses.emplace_back(*m->awaiting_sync, std::move(r));
  }
  g.Remove(member_id);
  switch (g.state()) {
    case GroupState::kStable:
    case GroupState::kCompletingRebalance:
      MaybePrepareRebalance(g, now, fx);
      break;
    case GroupState::kPreparingRebalance:
      TryCompleteJoin(g, now, fx);
      break;
    case GroupState::kEmpty:
    case GroupState::kDead:
      break;
  }
}

void GroupCoordinator::RemovePendingMemberAndUpdateGroup(Group& g, const std::string& member_id,
                                                         absl::Time now, Effects& fx) {
  g.pending_members.erase(member_id);
  if (g.Is(GroupState::kPreparingRebalance)) TryCompleteJoin(g, now, fx);
}

void GroupCoordinator::TickGroup(Group& g, absl::Time now, Effects& fx) {
  std::vector<std::string> expired;
  for (const auto& [id, deadline] : g.pending_members) {
    if (deadline <= now) expired.push_back(id);
  }
  for (const std::string& id : expired) RemovePendingMemberAndUpdateGroup(g, id, now, fx);
  expired.clear();
  for (Member& m : g.members) {
    if (m.heartbeat_deadline > now) continue;
    // MemberMetadata.hasSatisfiedHeartbeat: members waiting in a rebalance are alive,
    // except new members, which must complete their first join in time.
    if (!m.is_new && (m.awaiting_join.has_value() || m.awaiting_sync.has_value())) {
      m.heartbeat_deadline = absl::InfiniteFuture();
    } else {
      expired.push_back(m.member_id);
    }
  }
  for (const std::string& id : expired) RemoveMemberAndUpdateGroup(g, id, now, fx);
  if (g.Is(GroupState::kPreparingRebalance) && g.join_deadline.has_value() &&
      *g.join_deadline <= now) {
    if (g.initial_delay && g.new_member_added && g.initial_delay_remaining > absl::ZeroDuration()) {
      // InitialDelayedJoin: a member arrived during the delay, so wait another delay (at most
      // the rebalance timeout in all).
      const absl::Duration delay =
          std::min(options_.group_initial_rebalance_delay, g.initial_delay_remaining);
      g.new_member_added = false;
      g.initial_delay_remaining = std::max(g.initial_delay_remaining - delay, absl::ZeroDuration());
      g.join_deadline = now + delay;
    } else {
      g.new_member_added = false;
      CompleteJoin(g, now, fx);
    }
  }
  if (g.sync_deadline.has_value() && *g.sync_deadline <= now) ExpirePendingSync(g, now, fx);
}

void GroupCoordinator::ExpirePendingSync(Group& g, absl::Time now, Effects& fx) {
  g.sync_deadline.reset();
  if (!g.Is(GroupState::kCompletingRebalance) && !g.Is(GroupState::kStable)) return;
  if (g.pending_sync_members.empty()) return;
  // Members that joined but never sent SyncGroup are gone; the rest rebalance without them.
  const std::set<std::string> pending = g.pending_sync_members;
  for (const std::string& id : pending) g.Remove(id);
  PrepareRebalance(g, now, fx);
}

}  // namespace karst::broker::group

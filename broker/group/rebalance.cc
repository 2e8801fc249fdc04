// JoinGroup and SyncGroup: Kafka's GroupCoordinator.handleJoinGroup / handleSyncGroup and the
// rebalance they drive (prepareRebalance, onCompleteJoin, propagateAssignment), classic protocol.
#include <algorithm>
#include <utility>

#include "broker/group/group_coordinator.h"

namespace karst::broker::group {
namespace {

using ErrorCode = kp::ErrorCode;

int16_t Code(ErrorCode e) { return static_cast<int16_t>(e); }

kp::JoinGroupResponse JoinError(const std::string& member_id, ErrorCode error) {
  kp::JoinGroupResponse r;
  r.error_code = Code(error);
  r.member_id = member_id;
  r.generation_id = -1;
  r.protocol_type = std::nullopt;
  r.protocol_name = std::nullopt;
  return r;
}

kp::SyncGroupResponse SyncResult(const Group& g, ErrorCode error, std::string assignment) {
  kp::SyncGroupResponse r;
  r.error_code = Code(error);
  if (error == ErrorCode::kNone) {
    r.protocol_type = g.protocol_type;
    r.protocol_name = g.protocol_name;
  }
  r.assignment = std::move(assignment);
  return r;
}

kp::SyncGroupResponse SyncError(ErrorCode error) {
  kp::SyncGroupResponse r;
  r.error_code = Code(error);
  return r;
}

std::vector<JoinProtocol> Protocols(const kp::JoinGroupRequest& request) {
  std::vector<JoinProtocol> out;
  for (const auto& p : request.protocols) out.push_back({p.name, p.metadata});
  return out;
}

// GroupMetadata.replaceStaticMember: requests waiting under the replaced id are fenced.
void FenceWaitingRequests(Member& m, Effects& fx) {
  if (m.awaiting_join.has_value()) {
    fx.join_responses.emplace_back(*m.awaiting_join,
                                   JoinError(m.member_id, ErrorCode::kFencedInstanceId));
    m.awaiting_join.reset();
  }
  if (m.awaiting_sync.has_value()) {
    fx.sync_responses.emplace_back(*m.awaiting_sync, SyncError(ErrorCode::kFencedInstanceId));
    m.awaiting_sync.reset();
  }
}

// GroupCoordinator.acceptJoiningMember (group.max.size).
bool AcceptJoiningMember(const Group& g, absl::string_view member_id, int32_t max_size) {
  switch (g.state()) {
    case GroupState::kEmpty:
    case GroupState::kDead:
      return true;
    case GroupState::kPreparingRebalance: {
      const Member* m = g.Find(member_id);
      return (m != nullptr && m->awaiting_join.has_value()) || g.NumAwaitingJoin() < max_size;
    }
    case GroupState::kCompletingRebalance:
    case GroupState::kStable:
      return g.Has(member_id) || static_cast<int64_t>(g.members.size()) < max_size;
  }
  return false;
}

}  // namespace

kp::JoinGroupResponse GroupCoordinator::CurrentJoinResult(const Group& g, const Member& m) const {
  kp::JoinGroupResponse r;
  r.member_id = m.member_id;
  r.generation_id = g.generation_id;
  r.protocol_type = g.protocol_type;
  r.protocol_name = g.protocol_name;
  r.leader = g.leader_id.value_or("");
  if (g.IsLeader(m.member_id)) {
    for (const Member& each : g.members) {
      auto& out = r.members.emplace_back();
      out.member_id = each.member_id;
      out.group_instance_id = each.group_instance_id;
      out.metadata = each.Metadata(g.protocol_name.value_or(""));
    }
  }
  return r;
}

Effects GroupCoordinator::JoinGroup(const RequestMeta& meta, const kp::JoinGroupRequest& request,
                                    absl::Time now) {
  Effects fx;
  auto fail = [&](const std::string& member_id, ErrorCode e) {
    fx.join_responses.emplace_back(meta.request_id, JoinError(member_id, e));
    return std::move(fx);
  };
  if (request.group_id.empty()) return fail(request.member_id, ErrorCode::kInvalidGroupId);
  if (auto error = CheckCoordinator(request.group_id)) return fail(request.member_id, *error);
  const absl::Duration session = absl::Milliseconds(request.session_timeout_ms);
  if (session < options_.group_min_session_timeout ||
      session > options_.group_max_session_timeout) {
    return fail(request.member_id, ErrorCode::kInvalidSessionTimeout);
  }
  // JoinGroup v0 has no rebalance timeout: Kafka uses the session timeout.
  const int32_t rebalance_timeout_ms =
      request.rebalance_timeout_ms < 0 ? request.session_timeout_ms : request.rebalance_timeout_ms;
  const bool unknown_member = request.member_id.empty();
  Group* g = MutableGroup(request.group_id);
  if (g == nullptr) {
    if (!unknown_member) return fail(request.member_id, ErrorCode::kUnknownMemberId);
    g = &groups_.emplace(request.group_id, Group(request.group_id, now)).first->second;
  }
  if (!AcceptJoiningMember(*g, request.member_id, options_.group_max_size)) {
    g->Remove(request.member_id);
    fx.join_responses.emplace_back(meta.request_id, JoinError("", ErrorCode::kGroupMaxSizeReached));
  } else if (unknown_member) {
    JoinNewMember(*g, meta, request, rebalance_timeout_ms, now, fx);
  } else {
    JoinCurrentMember(*g, meta, request, rebalance_timeout_ms, now, fx);
  }
  if (g->Is(GroupState::kPreparingRebalance)) TryCompleteJoin(*g, now, fx);
  return fx;
}

void GroupCoordinator::JoinNewMember(Group& g, const RequestMeta& meta,
                                     const kp::JoinGroupRequest& request,
                                     int32_t rebalance_timeout_ms, absl::Time now, Effects& fx) {
  if (g.Is(GroupState::kDead)) {
    fx.join_responses.emplace_back(meta.request_id,
                                   JoinError("", ErrorCode::kCoordinatorNotAvailable));
    return;
  }
  if (!g.SupportsProtocols(request.protocol_type, Protocols(request))) {
    fx.join_responses.emplace_back(meta.request_id,
                                   JoinError("", ErrorCode::kInconsistentGroupProtocol));
    return;
  }
  // GroupMetadata.generateMemberId: static members are named after their instance id.
  const std::string member_id =
      request.group_instance_id.value_or(meta.client_id) + "-" + options_.new_uuid();
  if (request.group_instance_id.has_value()) {
    JoinStaticMember(g, meta, request, member_id, rebalance_timeout_ms, now, fx);
  } else if (meta.api_version >= 4) {
    // KIP-394: hand out the id and wait for the member to rejoin with it.
    g.pending_members[member_id] = now + absl::Milliseconds(request.session_timeout_ms);
    fx.join_responses.emplace_back(meta.request_id,
                                   JoinError(member_id, ErrorCode::kMemberIdRequired));
  } else {
    AddMemberAndRebalance(g, meta, request, member_id, rebalance_timeout_ms, now, fx);
  }
}

void GroupCoordinator::JoinCurrentMember(Group& g, const RequestMeta& meta,
                                         const kp::JoinGroupRequest& request,
                                         int32_t rebalance_timeout_ms, absl::Time now,
                                         Effects& fx) {
  const std::string& id = request.member_id;
  auto fail = [&](ErrorCode e) {
    fx.join_responses.emplace_back(meta.request_id, JoinError(id, e));
  };
  if (g.Is(GroupState::kDead)) return fail(ErrorCode::kCoordinatorNotAvailable);
  if (!g.SupportsProtocols(request.protocol_type, Protocols(request))) {
    return fail(ErrorCode::kInconsistentGroupProtocol);
  }
  if (g.pending_members.contains(id)) {
    return AddMemberAndRebalance(g, meta, request, id, rebalance_timeout_ms, now, fx);
  }
  const bool instance_unknown = request.group_instance_id.has_value() &&
                                !g.static_members.contains(*request.group_instance_id);
  if (g.IsStaticMemberFenced(request.group_instance_id, id)) {
    return fail(ErrorCode::kFencedInstanceId);
  }
  Member* m = g.Find(id);
  if (m == nullptr || instance_unknown) return fail(ErrorCode::kUnknownMemberId);
  switch (g.state()) {
    case GroupState::kPreparingRebalance:
      return UpdateMemberAndRebalance(g, *m, meta, request, rebalance_timeout_ms, now, fx);
    case GroupState::kCompletingRebalance:
      // Same metadata: the member missed its JoinGroup response; repeat it.
      if (m->Matches(Protocols(request))) {
        fx.join_responses.emplace_back(meta.request_id, CurrentJoinResult(g, *m));
        return;
      }
      return UpdateMemberAndRebalance(g, *m, meta, request, rebalance_timeout_ms, now, fx);
    case GroupState::kStable:
      // A leader's join forces a rebalance (e.g. topic metadata changed); so do new metadata.
      if (g.IsLeader(id) || !m->Matches(Protocols(request))) {
        return UpdateMemberAndRebalance(g, *m, meta, request, rebalance_timeout_ms, now, fx);
      }
      {
        kp::JoinGroupResponse r = CurrentJoinResult(g, *m);
        r.members.clear();
        fx.join_responses.emplace_back(meta.request_id, std::move(r));
      }
      return;
    case GroupState::kEmpty:
    case GroupState::kDead:
      return fail(ErrorCode::kUnknownMemberId);
  }
}

void GroupCoordinator::JoinStaticMember(Group& g, const RequestMeta& meta,
                                        const kp::JoinGroupRequest& request,
                                        const std::string& member_id, int32_t rebalance_timeout_ms,
                                        absl::Time now, Effects& fx) {
  std::optional<std::string> old_id = g.StaticMemberId(request.group_instance_id);
  if (!old_id.has_value()) {
    return AddMemberAndRebalance(g, meta, request, member_id, rebalance_timeout_ms, now, fx);
  }
  // KIP-345: the new id replaces the old one; requests waiting under the old id are fenced.
  FenceWaitingRequests(*g.Find(*old_id), fx);
  g.ReplaceStaticMember(*old_id, member_id);
  Member* m = g.Find(member_id);
  ScheduleHeartbeat(*m, now);
  m->protocols = Protocols(request);
  m->rebalance_timeout_ms = rebalance_timeout_ms;
  m->session_timeout_ms = request.session_timeout_ms;
  switch (g.state()) {
    case GroupState::kStable:
      if (g.protocol_name == g.SelectProtocol()) {
        // Nothing the assignment depends on changed: persist the new id and answer at once;
        // the leader keeps its assignment (skip_assignment, JoinGroup v9).
        StoreGroup(g, fx);
        kp::JoinGroupResponse r = CurrentJoinResult(g, *m);
        r.skip_assignment = g.IsLeader(member_id);
        fx.join_responses.emplace_back(meta.request_id, std::move(r));
        return;
      }
      m->awaiting_join = meta.request_id;
      return MaybePrepareRebalance(g, now, fx);
    case GroupState::kCompletingRebalance:
      // The leader may already hold the old id in its assignment: start over.
      m->awaiting_join = meta.request_id;
      return PrepareRebalance(g, now, fx);
    default:
      m->awaiting_join = meta.request_id;
      return;
  }
}

void GroupCoordinator::AddMemberAndRebalance(Group& g, const RequestMeta& meta,
                                             const kp::JoinGroupRequest& request,
                                             const std::string& member_id,
                                             int32_t rebalance_timeout_ms, absl::Time now,
                                             Effects& fx) {
  Member m{.member_id = member_id,
           .group_instance_id = request.group_instance_id,
           .client_id = meta.client_id,
           .client_host = meta.client_host,
           .rebalance_timeout_ms = rebalance_timeout_ms,
           .session_timeout_ms = request.session_timeout_ms,
           .protocol_type = request.protocol_type,
           .protocols = Protocols(request),
           .awaiting_join = meta.request_id,
           .is_new = true};
  // A new member cannot heartbeat before its first join completes: it expires after
  // NewMemberJoinTimeoutMs instead (GroupCoordinator.addMemberAndRebalance).
  m.heartbeat_deadline = now + options_.new_member_join_timeout;
  if (g.Is(GroupState::kPreparingRebalance) && g.generation_id == 0) g.new_member_added = true;
  g.Add(std::move(m));
  MaybePrepareRebalance(g, now, fx);
}

void GroupCoordinator::UpdateMemberAndRebalance(Group& g, Member& m, const RequestMeta& meta,
                                                const kp::JoinGroupRequest& request,
                                                int32_t rebalance_timeout_ms, absl::Time now,
                                                Effects& fx) {
  // Karst answers a superseded JoinGroup (the client gave up on it and retried) instead of
  // leaving it unanswered as Kafka does, so the driver never holds it forever.
  if (m.awaiting_join.has_value() && *m.awaiting_join != meta.request_id) {
    fx.join_responses.emplace_back(*m.awaiting_join,
                                   JoinError(m.member_id, ErrorCode::kRebalanceInProgress));
  }
  m.protocols = Protocols(request);
  m.rebalance_timeout_ms = rebalance_timeout_ms;
  m.session_timeout_ms = request.session_timeout_ms;
  m.awaiting_join = meta.request_id;
  MaybePrepareRebalance(g, now, fx);
}

void GroupCoordinator::MaybePrepareRebalance(Group& g, absl::Time now, Effects& fx) {
  if (g.CanRebalance()) PrepareRebalance(g, now, fx);
}

void GroupCoordinator::PrepareRebalance(Group& g, absl::Time now, Effects& fx) {
  if (g.Is(GroupState::kCompletingRebalance)) {
    ResetAndPropagateAssignmentError(g, ErrorCode::kRebalanceInProgress, fx);
  }
  g.sync_deadline.reset();
  const bool was_empty = g.Is(GroupState::kEmpty);
  g.TransitionTo(GroupState::kPreparingRebalance, now);
  const absl::Duration rebalance_timeout = absl::Milliseconds(g.RebalanceTimeoutMs());
  const absl::Duration delay = options_.group_initial_rebalance_delay;
  if (was_empty && delay > absl::ZeroDuration()) {
    // InitialDelayedJoin: wait for more members of a new group before the first generation.
    g.initial_delay = true;
    g.initial_delay_remaining = std::max(rebalance_timeout - delay, absl::ZeroDuration());
    g.join_deadline = now + delay;
    return;
  }
  g.join_deadline = now + rebalance_timeout;
  TryCompleteJoin(g, now, fx);
}

void GroupCoordinator::TryCompleteJoin(Group& g, absl::Time now, Effects& fx) {
  if (g.Is(GroupState::kPreparingRebalance) && !g.initial_delay && g.AllMembersJoined()) {
    CompleteJoin(g, now, fx);
  }
}

void GroupCoordinator::CompleteJoin(Group& g, absl::Time now, Effects& fx) {
  // Dynamic members that did not rejoin in time are dropped; static ones stay (KIP-345).
  std::vector<std::string> gone;
  for (const Member& m : g.members) {
    if (!m.awaiting_join.has_value() && !m.group_instance_id.has_value())
      gone.push_back(m.member_id);
  }
  for (const std::string& id : gone) g.Remove(id);
  if (!g.MaybeElectNewJoinedLeader() && !g.members.empty()) {
    // Only static members that have not rejoined remain: wait another rebalance timeout.
    g.initial_delay = false;
    g.join_deadline = now + absl::Milliseconds(g.RebalanceTimeoutMs());
    return;
  }
  const std::optional<absl::Time> started = g.state_timestamp();
  g.InitNextGeneration(now);
  fx.rebalances.push_back(
      {.group_id = g.group_id(),
       .generation_id = g.generation_id,
       .duration = started.has_value() ? now - *started : absl::ZeroDuration()});
  if (g.Is(GroupState::kEmpty)) {
    StoreGroup(g, fx);
    return;
  }
  for (Member& m : g.members) {
    if (m.awaiting_join.has_value()) {
      fx.join_responses.emplace_back(*m.awaiting_join, CurrentJoinResult(g, m));
      m.awaiting_join.reset();
    }
    ScheduleHeartbeat(m, now);
    m.is_new = false;
    g.pending_sync_members.insert(m.member_id);
  }
  g.sync_deadline = now + absl::Milliseconds(g.RebalanceTimeoutMs());
}

Effects GroupCoordinator::SyncGroup(const RequestMeta& meta, const kp::SyncGroupRequest& request,
                                    absl::Time now) {
  Effects fx;
  auto fail = [&](ErrorCode e) {
    fx.sync_responses.emplace_back(meta.request_id, SyncError(e));
    return std::move(fx);
  };
  if (request.group_id.empty()) return fail(ErrorCode::kInvalidGroupId);
  if (auto error = CheckCoordinator(request.group_id)) {
    // Kafka: a loading coordinator lost the rebalance; REBALANCE_IN_PROGRESS makes the member
    // rejoin without rediscovering the coordinator (old clients do not know LOAD_IN_PROGRESS).
    return fail(*error == ErrorCode::kCoordinatorLoadInProgress ? ErrorCode::kRebalanceInProgress
                                                                : *error);
  }
  Group* g = MutableGroup(request.group_id);
  if (g == nullptr) return fail(ErrorCode::kUnknownMemberId);
  if (g->Is(GroupState::kDead)) return fail(ErrorCode::kCoordinatorNotAvailable);
  if (g->IsStaticMemberFenced(request.group_instance_id, request.member_id)) {
    return fail(ErrorCode::kFencedInstanceId);
  }
  Member* m = g->Find(request.member_id);
  if (m == nullptr) return fail(ErrorCode::kUnknownMemberId);
  if (request.generation_id != g->generation_id) return fail(ErrorCode::kIllegalGeneration);
  // SyncGroup v5+ names the protocol the member believes in.
  if ((request.protocol_type.has_value() && request.protocol_type != g->protocol_type) ||
      (request.protocol_name.has_value() && request.protocol_name != g->protocol_name)) {
    return fail(ErrorCode::kInconsistentGroupProtocol);
  }
  switch (g->state()) {
    case GroupState::kEmpty:
    case GroupState::kDead:
      return fail(ErrorCode::kUnknownMemberId);
    case GroupState::kPreparingRebalance:
      return fail(ErrorCode::kRebalanceInProgress);
    case GroupState::kCompletingRebalance:
      if (m->awaiting_sync.has_value() && *m->awaiting_sync != meta.request_id) {
        fx.sync_responses.emplace_back(*m->awaiting_sync,
                                       SyncError(ErrorCode::kRebalanceInProgress));
      }
      m->awaiting_sync = meta.request_id;
      g->pending_sync_members.erase(m->member_id);
      if (g->IsLeader(m->member_id)) SetAndPropagateAssignment(*g, request, now, fx);
      break;
    case GroupState::kStable:
      g->pending_sync_members.erase(m->member_id);
      fx.sync_responses.emplace_back(meta.request_id,
                                     SyncResult(*g, ErrorCode::kNone, m->assignment));
      ScheduleHeartbeat(*m, now);
      break;
  }
  if (g->pending_sync_members.empty()) g->sync_deadline.reset();
  return fx;
}

void GroupCoordinator::SetAndPropagateAssignment(Group& g, const kp::SyncGroupRequest& request,
                                                 absl::Time now, Effects& fx) {
  // Members the leader left out get an empty assignment; unknown ids are ignored.
  for (Member& m : g.members) {
    m.assignment.clear();
    for (const auto& a : request.assignments) {
      if (a.member_id == m.member_id) m.assignment = a.assignment;
    }
  }
  StoreGroup(g, fx);
  for (Member& m : g.members) {
    if (!m.awaiting_sync.has_value()) continue;
    fx.sync_responses.emplace_back(*m.awaiting_sync, SyncResult(g, ErrorCode::kNone, m.assignment));
    m.awaiting_sync.reset();
    ScheduleHeartbeat(m, now);
  }
  g.TransitionTo(GroupState::kStable, now);
}

void GroupCoordinator::ResetAndPropagateAssignmentError(Group& g, ErrorCode error, Effects& fx) {
  for (Member& m : g.members) {
    m.assignment.clear();
    if (!m.awaiting_sync.has_value()) continue;
    fx.sync_responses.emplace_back(*m.awaiting_sync, SyncResult(g, error, ""));
    m.awaiting_sync.reset();
  }
}

}  // namespace karst::broker::group

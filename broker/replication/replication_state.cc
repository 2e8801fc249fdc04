#include "broker/replication/replication_state.h"

#include <algorithm>

namespace karst::broker::replication {
namespace {

bool Contains(const std::vector<int32_t>& ids, int32_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

void ReplicationState::Apply(const Assignment& assignment, Offset log_end, Offset high_watermark,
                             absl::Duration now) {
  const bool leader = assignment.leader == self_;
  const bool new_leadership =
      leader && (role_ != Role::kLeader || assignment.leader_epoch != assignment_.leader_epoch);
  local_log_end_ = log_end;
  if (!leader) {
    role_ = Contains(assignment.replicas, self_.value()) ? Role::kFollower : Role::kNone;
    assignment_ = assignment;
    followers_.clear();
    in_flight_.reset();
    high_watermark_ = std::min(high_watermark, log_end);
    return;
  }
  if (new_leadership) {
    role_ = Role::kLeader;
    // Kafka's makeLeader: the epoch starts at the local log end; every follower's progress is
    // reset, and ISR members count as caught up now so they are not shrunk at once.
    epoch_start_offset_ = log_end;
    high_watermark_ = std::min(high_watermark, log_end);
    followers_.clear();
    in_flight_.reset();
  }
  // A committed ISR change (or any partition-epoch change) settles the in-flight proposal.
  if (assignment.partition_epoch != assignment_.partition_epoch) in_flight_.reset();
  assignment_ = assignment;
  std::map<int32_t, Follower> next;
  for (int32_t replica : assignment_.replicas) {
    if (replica == self_.value()) continue;
    auto it = followers_.find(replica);
    if (it != followers_.end()) {
      next.emplace(replica, it->second);
    } else {
      next.emplace(replica, Follower{.last_caught_up = now, .last_fetch = now});
    }
  }
  followers_ = std::move(next);
  MaybeAdvanceHighWatermark();
}

bool ReplicationState::OnLocalAppend(Offset log_end) {
  local_log_end_ = log_end;
  if (role_ != Role::kLeader) return false;
  return MaybeAdvanceHighWatermark();
}

bool ReplicationState::OnFollowerFetch(NodeId replica, Offset fetch_offset, Offset leader_log_end,
                                       absl::Duration now) {
  if (role_ != Role::kLeader) return false;
  auto it = followers_.find(replica.value());
  if (it == followers_.end()) return false;
  Follower& f = it->second;
  // Kafka's Replica.updateFetchState: caught up if the fetch reached the leader's end now, or
  // the leader's end at the previous fetch (the follower was caught up as of that fetch).
  if (fetch_offset >= leader_log_end) {
    f.last_caught_up = std::max(f.last_caught_up, now);
  } else if (f.leader_end_at_last_fetch.value() >= 0 &&
             fetch_offset >= f.leader_end_at_last_fetch) {
    f.last_caught_up = std::max(f.last_caught_up, f.last_fetch);
  }
  f.log_end = fetch_offset;
  f.last_fetch = now;
  f.leader_end_at_last_fetch = leader_log_end;
  local_log_end_ = leader_log_end;
  return MaybeAdvanceHighWatermark();
}

void ReplicationState::OnLeaderHighWatermark(Offset leader_high_watermark, Offset local_log_end) {
  local_log_end_ = local_log_end;
  if (role_ == Role::kLeader) return;
  high_watermark_ = std::min(leader_high_watermark, local_log_end);
}

void ReplicationState::OnLocalTruncate(Offset log_end) {
  local_log_end_ = log_end;
  high_watermark_ = std::min(high_watermark_, log_end);
}

std::vector<int32_t> ReplicationState::MaximalIsr() const {
  std::vector<int32_t> isr = assignment_.isr;
  if (in_flight_) {
    for (int32_t id : *in_flight_) {
      if (!Contains(isr, id)) isr.push_back(id);
    }
  }
  return isr;
}

Offset ReplicationState::FollowerLogEnd(NodeId replica) const {
  auto it = followers_.find(replica.value());
  return it == followers_.end() ? Offset(-1) : it->second.log_end;
}

bool ReplicationState::MaybeAdvanceHighWatermark() {
  if (role_ != Role::kLeader) return false;
  Offset candidate = local_log_end_;
  for (int32_t id : MaximalIsr()) {
    if (id == self_.value()) continue;
    auto it = followers_.find(id);
    // An ISR member whose position is unknown under this leadership holds the mark back.
    if (it == followers_.end() || it->second.log_end.value() < 0) return false;
    candidate = std::min(candidate, it->second.log_end);
  }
  if (candidate <= high_watermark_) return false;
  high_watermark_ = candidate;
  return true;
}

std::optional<std::vector<int32_t>> ReplicationState::IsrToPropose(absl::Duration now,
                                                                   absl::Duration max_lag) const {
  if (role_ != Role::kLeader || in_flight_) return std::nullopt;
  std::vector<int32_t> next;
  bool changed = false;
  for (int32_t id : assignment_.isr) {
    if (id != self_.value()) {
      auto it = followers_.find(id);
      if (it == followers_.end() || now - it->second.last_caught_up > max_lag) {
        changed = true;  // Shrink: not caught up within replica.lag.time.max.ms.
        continue;
      }
    }
    next.push_back(id);
  }
  if (!Contains(next, self_.value())) next.insert(next.begin(), self_.value());
  // Shrink and expand are separate changes (Kafka's maybeShrinkIsr / maybeExpandIsr): a
  // follower just shrunk out must not be re-admitted by the same proposal.
  if (changed) return next;
  for (const auto& [id, follower] : followers_) {
    if (Contains(assignment_.isr, id) || Contains(assignment_.ineligible, id)) continue;
    // Expand: caught up to the high watermark and into the current leader epoch.
    if (follower.log_end.value() >= 0 && follower.log_end >= high_watermark_ &&
        follower.log_end >= epoch_start_offset_) {
      next.push_back(id);
      changed = true;
    }
  }
  if (!changed) return std::nullopt;
  return next;
}

void ReplicationState::SetIsrChangeInFlight(std::vector<int32_t> proposed) {
  in_flight_ = std::move(proposed);
}

}  // namespace karst::broker::replication

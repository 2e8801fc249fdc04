// The leader: replication (Raft §5.3), commitment (§5.4.2), check-quorum (thesis §6.2),
// ReadIndex (thesis §6.4) and leadership transfer (thesis §3.10).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "raft/core/core.h"

namespace karst::raft {

void Core::BecomeLeader() {
  ResetTerm(term_);
  leader_ = id_;
  role_ = Role::kLeader;
  ResetProgress();
  // Any conf change still in the log may be pending; be conservative (§4.1).
  pending_conf_index_ = log_.LastIndex();
  Note("leader");
  // An entry of the new term lets entries of earlier terms commit with it (§5.4.2).
  AppendEntries({Entry{.type = EntryType::kNormal}});
  BroadcastAppend();
}

void Core::TickLeader() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= options_.election_tick) {
    election_elapsed_ = 0;
    if (options_.check_quorum && !QuorumActive()) {
      Note("lost contact with a quorum; stepping down");
      BecomeFollower(term_, kNoNode);
      return;
    }
    for (auto& [node, pr] : progress_) {
      if (node == id_) continue;
      pr.set_recent_active(false);
      // A snapshot not acknowledged within an election timeout was lost: probe again, which
      // sends it anew if still needed.
      if (pr.state() == Progress::State::kSnapshot) pr.BecomeProbe();
    }
  }
  // A transfer that did not finish within an election timeout is abandoned (its own timer:
  // resetting the election timer would postpone check-quorum on every retry).
  if (lead_transferee_ != kNoNode && ++transfer_elapsed_ >= options_.election_tick) {
    Note("leadership transfer timed out");
    lead_transferee_ = kNoNode;
  }
  if (heartbeat_elapsed_ >= options_.heartbeat_tick) {
    heartbeat_elapsed_ = 0;
    // Carry the newest pending read's context, so reads whose first heartbeat (or its
    // answers) was lost are confirmed by a later round.
    BroadcastHeartbeat(pending_reads_.empty() ? "" : pending_reads_.back().context);
  }
}

bool Core::QuorumActive() const {
  size_t active = 0;
  for (const auto& [node, pr] : progress_) {
    if (conf_.voters.count(node) > 0 && (node == id_ || pr.recent_active())) ++active;
  }
  return active >= Quorum();
}

void Core::AppendEntries(std::vector<Entry> entries) {
  LogIndex index = log_.LastIndex();
  for (Entry& e : entries) {
    index = index.Next();
    e.index = index;
    e.term = term_;
  }
  log_.Append(entries);
  progress_.at(id_).MaybeUpdate(log_.LastIndex());
  MaybeCommit();
}

absl::StatusOr<LogIndex> Core::Propose(std::string data) {
  std::vector<std::string> batch;
  batch.push_back(std::move(data));
  return ProposeBatch(std::move(batch));
}

absl::StatusOr<LogIndex> Core::ProposeBatch(std::vector<std::string> data) {
  if (role_ != Role::kLeader) {
    return absl::UnavailableError(
        absl::StrCat("not leader",
                     leader_ == kNoNode ? "" : absl::StrCat("; leader is node ", leader_.value())));
  }
  if (lead_transferee_ != kNoNode) {
    return absl::UnavailableError(
        absl::StrCat("leadership is moving to node ", lead_transferee_.value()));
  }
  const LogIndex first = log_.LastIndex().Next();
  std::vector<Entry> entries;
  entries.reserve(data.size());
  for (std::string& d : data) {
    entries.push_back(Entry{.type = EntryType::kNormal, .data = std::move(d)});
  }
  AppendEntries(std::move(entries));
  BroadcastAppend();
  return first;
}

bool Core::SendAppend(NodeId to, bool send_if_empty) {
  Progress& pr = progress_.at(to);
  if (pr.IsPaused()) return false;
  const std::optional<Term> prev_term = log_.TermAt(pr.next().Plus(-1));
  std::vector<Entry> entries;
  if (prev_term.has_value()) {
    entries = log_.Slice(pr.next(), log_.LastIndex().Next(), options_.max_bytes_per_message);
  }
  if (!prev_term.has_value() || (entries.empty() && pr.next() < log_.FirstIndex())) {
    // The follower needs entries we compacted away: send the snapshot (§7).
    if (!pr.recent_active()) return false;
    Snapshot snapshot = storage_.LatestSnapshot();
    if (snapshot.empty()) return false;
    Note(absl::StrCat("sending snapshot at ", snapshot.metadata.index.value(), " to node ",
                      to.value()));
    pr.BecomeSnapshot(snapshot.metadata.index);
    Send({.type = MessageType::kSnapshot, .to = to, .snapshot = std::move(snapshot)});
    return true;
  }
  if (entries.empty() && !send_if_empty) return false;
  const LogIndex last = entries.empty() ? LogIndex(0) : entries.back().index;
  Send({.type = MessageType::kAppend,
        .to = to,
        .index = pr.next().Plus(-1),
        .log_term = *prev_term,
        .entries = std::move(entries),
        .commit = log_.committed()});
  if (last > LogIndex(0)) pr.OptimisticUpdate(last);
  return true;
}

void Core::BroadcastAppend() {
  for (auto& [node, pr] : progress_) {
    if (node != id_) SendAppend(node, /*send_if_empty=*/true);
  }
}

void Core::BroadcastHeartbeat(const std::string& context) {
  for (auto& [node, pr] : progress_) {
    if (node == id_) continue;
    pr.OnHeartbeat();
    // Never tell a follower to commit past what it is known to match.
    Send({.type = MessageType::kHeartbeat,
          .to = node,
          .commit = std::min(pr.match(), log_.committed()),
          .context = context});
  }
}

bool Core::MaybeCommit() {
  std::vector<LogIndex> matches;
  for (const auto& [node, pr] : progress_) {
    if (conf_.voters.count(node) > 0) matches.push_back(pr.match());
  }
  if (matches.empty()) return false;
  std::sort(matches.begin(), matches.end(), std::greater<>());
  return log_.MaybeCommit(matches[Quorum() - 1], term_);
}

void Core::StepLeader(const Message& m) {
  auto it = progress_.find(m.from);
  if (it == progress_.end()) return;
  switch (m.type) {
    case MessageType::kAppendResponse:
      HandleAppendResponse(m);
      break;
    case MessageType::kHeartbeatResponse:
      HandleHeartbeatResponse(m);
      break;
    default:
      break;
  }
}

void Core::HandleAppendResponse(const Message& m) {
  Progress& pr = progress_.at(m.from);
  pr.set_recent_active(true);
  if (m.reject) {
    if (pr.MaybeDecrease(m.index, m.reject_hint)) {
      if (pr.state() == Progress::State::kReplicate) pr.BecomeProbe();
      SendAppend(m.from, /*send_if_empty=*/true);
    }
    return;
  }
  const bool was_paused = pr.IsPaused();
  if (!pr.MaybeUpdate(m.index)) return;
  if (pr.state() == Progress::State::kProbe) {
    pr.BecomeReplicate();
  } else if (pr.state() == Progress::State::kSnapshot && pr.match() >= pr.pending_snapshot()) {
    pr.BecomeProbe();
    pr.BecomeReplicate();
  }
  if (MaybeCommit()) {
    BroadcastAppend();
  } else if (was_paused) {
    SendAppend(m.from, /*send_if_empty=*/true);
  }
  // Pipelining: keep sending while the window allows and entries remain.
  while (SendAppend(m.from, /*send_if_empty=*/false)) {
  }
  if (m.from == lead_transferee_ && pr.match() == log_.LastIndex() && !timeout_now_sent_) {
    timeout_now_sent_ = true;
    Note(absl::StrCat("node ", m.from.value(), " caught up; handing over leadership"));
    Send({.type = MessageType::kTimeoutNow, .to = m.from});
  }
}

void Core::HandleHeartbeatResponse(const Message& m) {
  Progress& pr = progress_.at(m.from);
  pr.set_recent_active(true);
  pr.OnHeartbeatResponse();
  if (pr.match() < log_.LastIndex()) SendAppend(m.from, /*send_if_empty=*/true);
  if (m.context.empty() || conf_.voters.count(m.from) == 0) return;
  // ReadIndex: a quorum acknowledging this heartbeat confirms we were still the leader when
  // every read queued up to it arrived (thesis §6.4).
  auto read = std::find_if(pending_reads_.begin(), pending_reads_.end(),
                           [&](const PendingRead& r) { return r.context == m.context; });
  if (read == pending_reads_.end()) return;
  read->acks.insert(m.from);
  if (read->acks.size() < Quorum()) return;
  const auto end = std::next(read);
  for (auto it = pending_reads_.begin(); it != end; ++it) {
    read_states_.push_back({it->index, it->context});
  }
  pending_reads_.erase(pending_reads_.begin(), end);
}

absl::Status Core::ReadIndex(std::string context) {
  if (role_ != Role::kLeader) return absl::UnavailableError("not leader");
  // Until an entry of its own term commits, a new leader does not know the commit index.
  if (log_.TermAt(log_.committed()) != term_) {
    return absl::UnavailableError("leader has not committed an entry of its term yet");
  }
  if (Quorum() == 1) {
    read_states_.push_back({log_.committed(), std::move(context)});
    return absl::OkStatus();
  }
  pending_reads_.push_back({log_.committed(), context, {id_}});
  BroadcastHeartbeat(context);
  return absl::OkStatus();
}

absl::Status Core::TransferLeadership(NodeId to) {
  if (role_ != Role::kLeader) return absl::UnavailableError("not leader");
  if (to == id_) return absl::OkStatus();
  if (conf_.voters.count(to) == 0) {
    return absl::InvalidArgumentError(absl::StrCat("node ", to.value(), " is not a voter"));
  }
  if (lead_transferee_ == to) return absl::OkStatus();  // Already under way.
  lead_transferee_ = to;
  transfer_elapsed_ = 0;  // The transfer must finish within an election timeout.
  timeout_now_sent_ = false;
  if (progress_.at(to).match() == log_.LastIndex()) {
    timeout_now_sent_ = true;
    Send({.type = MessageType::kTimeoutNow, .to = to});
  } else {
    SendAppend(to, /*send_if_empty=*/true);
  }
  return absl::OkStatus();
}

}  // namespace karst::raft

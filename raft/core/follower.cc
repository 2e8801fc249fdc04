// A follower's handling of its leader's messages (Raft §5.2, §5.3, §7).
#include "absl/strings/str_cat.h"
#include "raft/core/core.h"

namespace karst::raft {

void Core::StepFollower(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      election_elapsed_ = 0;
      leader_ = m.from;
      HandleAppend(m);
      break;
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      leader_ = m.from;
      HandleHeartbeat(m);
      break;
    case MessageType::kSnapshot:
      election_elapsed_ = 0;
      leader_ = m.from;
      HandleSnapshot(m);
      break;
    case MessageType::kTimeoutNow:
      // Thesis §3.10: the leader asks us to take over; skip pre-vote and the lease.
      if (Promotable()) Campaign(/*pre_vote=*/false, /*transfer=*/true);
      break;
    default:
      break;
  }
}

void Core::HandleAppend(const Message& m) {
  if (m.index < log_.committed()) {
    // Already committed here: say where we are so the leader skips ahead.
    Send({.type = MessageType::kAppendResponse, .to = m.from, .index = log_.committed()});
    return;
  }
  if (std::optional<LogIndex> last = log_.MaybeAppend(m.index, m.log_term, m.commit, m.entries)) {
    Send({.type = MessageType::kAppendResponse, .to = m.from, .index = *last});
    return;
  }
  Send({.type = MessageType::kAppendResponse,
        .to = m.from,
        .index = m.index,
        .reject = true,
        .reject_hint = log_.LastIndex()});
}

void Core::HandleHeartbeat(const Message& m) {
  // The leader sends at most what we matched as commit, so this never passes our log.
  log_.CommitTo(std::min(m.commit, log_.LastIndex()));
  Send({.type = MessageType::kHeartbeatResponse, .to = m.from, .context = m.context});
}

void Core::HandleSnapshot(const Message& m) {
  const SnapshotMetadata& meta = m.snapshot.metadata;
  if (meta.index <= log_.committed()) {
    Send({.type = MessageType::kAppendResponse, .to = m.from, .index = log_.committed()});
    return;
  }
  if (log_.MatchTerm(meta.index, meta.term)) {
    // We already hold the snapshot's last entry: just commit up to it (§7).
    log_.CommitTo(meta.index);
  } else {
    Note(absl::StrCat("restoring snapshot at ", meta.index.value()));
    log_.Restore(m.snapshot);
    conf_ = meta.conf_state;
  }
  // Only the snapshot's index is known to match the leader; entries after it may be left
  // from an older term.
  Send({.type = MessageType::kAppendResponse, .to = m.from, .index = meta.index});
}

}  // namespace karst::raft

// Elections (Raft §5.2) with pre-vote (thesis §9.6).
#include "absl/strings/str_cat.h"
#include "raft/core/core.h"

namespace karst::raft {

bool Core::HasUnappliedConfChange() const {
  for (const Entry& e : log_.NextCommitted()) {
    if (e.type == EntryType::kConfChange) return true;
  }
  return false;
}

void Core::Campaign(bool pre_vote, bool transfer) {
  // A node must not campaign on a membership list that committed changes are about to
  // replace: after a restart its list comes from the snapshot, and a stale list could make
  // it a leader without a real quorum (etcd: "pending configuration changes to apply").
  if (HasUnappliedConfChange()) {
    Note("not campaigning: committed membership changes are not applied yet");
    return;
  }
  MessageType type;
  Term term;
  if (pre_vote) {
    BecomePreCandidate();
    type = MessageType::kPreVote;
    term = term_.Next();  // The term we would campaign in; ours stays.
  } else {
    BecomeCandidate();
    type = MessageType::kVote;
    term = term_;
  }
  if (Poll(id_, true) > 0) {
    // A single-voter cluster wins at once.
    if (pre_vote) {
      Campaign(/*pre_vote=*/false, transfer);
    } else {
      BecomeLeader();
    }
    return;
  }
  for (NodeId voter : conf_.voters) {
    if (voter == id_) continue;
    Send({.type = type,
          .to = voter,
          .term = term,
          .index = log_.LastIndex(),
          .log_term = log_.LastTerm(),
          .context = transfer ? "transfer" : ""});
  }
}

int Core::Poll(NodeId from, bool granted) {
  if (conf_.voters.count(from) == 0) return 0;
  votes_.emplace(from, granted);
  size_t yes = 0, no = 0;
  for (const auto& [node, vote] : votes_) {
    // Only current voters count (the list may have changed since a vote was cast).
    if (conf_.voters.count(node) > 0) (vote ? yes : no) += 1;
  }
  if (yes >= Quorum()) return 1;
  if (no > conf_.voters.size() - Quorum()) return -1;
  return 0;
}

void Core::StepCandidate(const Message& m) {
  const MessageType expected =
      role_ == Role::kPreCandidate ? MessageType::kPreVoteResponse : MessageType::kVoteResponse;
  switch (m.type) {
    case MessageType::kAppend:
    case MessageType::kHeartbeat:
    case MessageType::kSnapshot:
      // A leader of our term exists (§5.2): follow it.
      BecomeFollower(m.term, m.from);
      StepFollower(m);
      return;
    default:
      break;
  }
  if (m.type != expected) return;
  const int result = Poll(m.from, !m.reject);
  if (result > 0) {
    if (role_ == Role::kPreCandidate) {
      Campaign(/*pre_vote=*/false, /*transfer=*/false);
    } else {
      BecomeLeader();
    }
  } else if (result < 0) {
    Note("lost the election");
    BecomeFollower(term_, kNoNode);
  }
}

}  // namespace karst::raft

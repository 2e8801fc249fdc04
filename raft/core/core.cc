// The role-independent parts of Core: construction, ticks, term handling, votes, Ready.
#include "raft/core/core.h"

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/str_cat.h"

namespace karst::raft {

Core::Core(const CoreOptions& options, const LogReader& storage)
    : options_(options), id_(options.id), storage_(storage), log_(storage) {
  ABSL_RAW_CHECK(options.random != nullptr, "raft: CoreOptions.random is required");
  ABSL_RAW_CHECK(options.heartbeat_tick < options.election_tick,
                 "raft: heartbeat_tick must be below election_tick");
  const HardState hs = storage.InitialHardState();
  term_ = hs.term;
  vote_ = hs.vote;
  conf_ = storage.InitialConfState();
  prev_hard_state_ = {term_, vote_, log_.committed()};
  BecomeFollower(term_, kNoNode);
}

void Core::Note(const std::string& what) const {
  if (options_.log) {
    options_.log(absl::StrCat("node ", id_.value(), " term ", term_.value(), ": ", what));
  }
}

void Core::Send(Message message) {
  message.from = id_;
  // Votes and pre-vote answers carry their own term; everything else carries ours.
  if (message.type != MessageType::kPreVote && message.type != MessageType::kPreVoteResponse) {
    message.term = term_;
  }
  messages_.push_back(std::move(message));
}

void Core::ResetTerm(Term term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNoNode;
  }
  leader_ = kNoNode;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  randomized_election_timeout_ = static_cast<int>(
      options_.random->Uniform(options_.election_tick, 2 * options_.election_tick - 1));
  votes_.clear();
  lead_transferee_ = kNoNode;
  pending_reads_.clear();
  progress_.clear();
}

void Core::BecomeFollower(Term term, NodeId leader) {
  ResetTerm(term);
  leader_ = leader;
  role_ = Role::kFollower;
}

void Core::BecomePreCandidate() {
  // Thesis §9.6: neither the term nor the vote changes until the pre-vote is won.
  votes_.clear();
  leader_ = kNoNode;
  role_ = Role::kPreCandidate;
  Note("pre-candidate");
}

void Core::BecomeCandidate() {
  ResetTerm(term_.Next());
  vote_ = id_;
  role_ = Role::kCandidate;
  Note("candidate");
}

void Core::Tick() {
  if (role_ == Role::kLeader) {
    TickLeader();
    return;
  }
  ++election_elapsed_;
  if (Promotable() && election_elapsed_ >= randomized_election_timeout_) {
    election_elapsed_ = 0;
    Campaign(options_.pre_vote, /*transfer=*/false);
  }
}

void Core::Step(const Message& m) {
  if (m.to != id_) return;
  const bool vote_request = m.type == MessageType::kVote || m.type == MessageType::kPreVote;
  if (m.term > term_) {
    if (vote_request) {
      // Thesis §4.2.3: a node that heard from a leader within the minimum election timeout
      // ignores vote requests, so a partitioned node cannot disrupt a stable leader. A
      // leadership transfer overrides this.
      const bool in_lease =
          options_.check_quorum && leader_ != kNoNode && election_elapsed_ < options_.election_tick;
      if (in_lease && m.context != "transfer") return;
    }
    const bool keep_term =
        m.type == MessageType::kPreVote || (m.type == MessageType::kPreVoteResponse && !m.reject);
    if (!keep_term) {
      const bool from_leader = m.type == MessageType::kAppend ||
                               m.type == MessageType::kHeartbeat ||
                               m.type == MessageType::kSnapshot;
      Note(absl::StrCat("saw term ", m.term.value(), " from node ", m.from.value()));
      BecomeFollower(m.term, from_leader ? m.from : kNoNode);
    }
  } else if (m.term < term_) {
    if (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat) {
      // A stale leader (check-quorum keeps us from raising our term for it): tell it ours.
      Send({.type = MessageType::kAppendResponse, .to = m.from});
    } else if (m.type == MessageType::kPreVote) {
      Send({.type = MessageType::kPreVoteResponse, .to = m.from, .term = term_, .reject = true});
    }
    return;
  }
  if (vote_request) {
    HandleVoteRequest(m);
    return;
  }
  switch (role_) {
    case Role::kFollower:
      StepFollower(m);
      break;
    case Role::kPreCandidate:
    case Role::kCandidate:
      StepCandidate(m);
      break;
    case Role::kLeader:
      StepLeader(m);
      break;
  }
}

void Core::HandleVoteRequest(const Message& m) {
  const bool pre = m.type == MessageType::kPreVote;
  const bool can_vote =
      vote_ == m.from || (vote_ == kNoNode && leader_ == kNoNode) || (pre && m.term > term_);
  const bool grant = can_vote && log_.IsUpToDate(m.index, m.log_term);
  const MessageType response = pre ? MessageType::kPreVoteResponse : MessageType::kVoteResponse;
  // A granted pre-vote answers in the term asked about; refusals carry our own term.
  Send({.type = response, .to = m.from, .term = grant && pre ? m.term : term_, .reject = !grant});
  if (grant && !pre) {
    election_elapsed_ = 0;
    vote_ = m.from;
  }
}

bool Core::HasReady() const {
  const HardState hs{term_, vote_, log_.committed()};
  return !(hs == prev_hard_state_) || !log_.unstable_entries().empty() ||
         log_.unstable_snapshot().has_value() || !messages_.empty() || log_.HasNextCommitted() ||
         !read_states_.empty() || leader_ != prev_leader_ || role_ != prev_role_;
}

Ready Core::GetReady() {
  Ready ready;
  const HardState hs{term_, vote_, log_.committed()};
  if (!(hs == prev_hard_state_)) ready.hard_state = hs;
  ready.entries = log_.unstable_entries();
  ready.snapshot = log_.unstable_snapshot();
  ready.committed = log_.NextCommitted();
  ready.messages = std::move(messages_);
  messages_.clear();
  ready.read_states = std::move(read_states_);
  read_states_.clear();
  ready.must_sync = !ready.entries.empty() || hs.term != prev_hard_state_.term ||
                    hs.vote != prev_hard_state_.vote || ready.snapshot.has_value();
  ready.leader = leader_;
  ready.role = role_;
  return ready;
}

void Core::Advance(const Ready& ready) {
  if (ready.hard_state.has_value()) prev_hard_state_ = *ready.hard_state;
  prev_leader_ = ready.leader;
  prev_role_ = ready.role;
  if (ready.snapshot.has_value()) log_.StableSnapshot();
  if (!ready.entries.empty()) {
    log_.StableTo(ready.entries.back().index, ready.entries.back().term);
  }
  for (const Entry& e : ready.committed) {
    if (e.type != EntryType::kConfChange) continue;
    if (std::optional<ConfChange> change = DecodeConfChange(e.data)) ApplyConfChange(*change);
  }
  if (!ready.committed.empty()) log_.AppliedTo(ready.committed.back().index);
}

}  // namespace karst::raft

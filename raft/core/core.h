// Core: one Raft peer as a pure, deterministic state machine (the Raft paper and Ongaro's
// thesis): leader election with pre-vote (§9.6) and check-quorum (§6.2), log replication with
// pipelining and flow control (§5.3), commitment of current-term entries only (§5.4.2),
// leadership transfer (§3.10), learners, snapshots (§7), ReadIndex (§6.4) and membership
// changes one server at a time (§4.1).
//
// No I/O, clock, threads, locks or global randomness: inputs are Step(), Tick(), Propose*(),
// TransferLeadership() and ReadIndex(); outputs come out as a Ready, which the driver
// persists, sends and applies in that order before calling Advance(). The same inputs always
// give the same outputs. Not thread-safe: one owner drives it.
//
//                 times out, pre-vote            wins pre-vote
//   kFollower -----------------------> kPreCandidate -----------> kCandidate
//      ^  ^  higher term / a leader          |                         |  wins the vote
//      |  +----------------------------------+                         v
//      +---------------- higher term, loses quorum (check-quorum) --- kLeader
#ifndef KARST_RAFT_CORE_CORE_H_
#define KARST_RAFT_CORE_CORE_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/random.h"
#include "raft/core/log_reader.h"
#include "raft/core/progress.h"
#include "raft/core/raft_log.h"
#include "raft/core/types.h"

namespace karst::raft {

struct CoreOptions {
  NodeId id = kNoNode;
  int election_tick = 10;     // Followers campaign after [election_tick, 2 * election_tick).
  int heartbeat_tick = 1;     // REQUIRES: heartbeat_tick < election_tick.
  size_t max_inflight = 256;  // Unacknowledged appends per follower.
  size_t max_bytes_per_message = 1 << 20;
  bool pre_vote = true;
  bool check_quorum = true;
  // Seeded randomness for election jitter; must outlive the Core.
  Random* random = nullptr;
  // Diagnostics (state changes); may be empty.
  std::function<void(const std::string&)> log;
};

class Core {
 public:
  // Restores term, vote, commit and configuration from `storage` (which must outlive it).
  Core(const CoreOptions& options, const LogReader& storage);

  // One logical clock tick (the driver derives ticks from common::Clock).
  void Tick();
  // A message from a peer. Messages for another node or from a stale term are dropped.
  void Step(const Message& message);

  // Leader only: appends `data` and returns its index. kUnavailable when not the leader (the
  // message names the leader when known) or while leadership is being transferred.
  absl::StatusOr<LogIndex> Propose(std::string data);
  // Appends several entries at once and sends them in one append per follower; returns the
  // index of the first (the rest follow it). Same errors as Propose. REQUIRES: !data.empty().
  absl::StatusOr<LogIndex> ProposeBatch(std::vector<std::string> data);
  // Leader only: one membership change. kFailedPrecondition while another is pending (not
  // yet applied) or when it would leave no voter; kInvalidArgument for a no-op change.
  absl::StatusOr<LogIndex> ProposeConfChange(const ConfChange& change);
  // Leader only: hands leadership to `to` (a voter) once its log is caught up.
  absl::Status TransferLeadership(NodeId to);
  // Leader only: a linearizable read. When a quorum confirms this leader, a ReadState with
  // `context` and the commit index comes out in a Ready. kUnavailable before this leader has
  // committed an entry of its term.
  absl::Status ReadIndex(std::string context);

  bool HasReady() const;
  Ready GetReady();
  // Acknowledges that everything in `ready` was persisted, sent and applied.
  void Advance(const Ready& ready);

  NodeId id() const { return id_; }
  Role role() const { return role_; }
  Term term() const { return term_; }
  NodeId leader() const { return leader_; }
  NodeId vote() const { return vote_; }
  const ConfState& conf() const { return conf_; }
  const RaftLog& log() const { return log_; }
  // The leader's view of each peer (empty on other roles).
  const std::map<NodeId, Progress>& progress() const { return progress_; }

 private:
  // Transitions (core.cc).
  void BecomeFollower(Term term, NodeId leader);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void ResetTerm(Term term);
  void Send(Message message);
  void Note(const std::string& what) const;
  bool Promotable() const { return conf_.voters.count(id_) > 0; }
  size_t Quorum() const { return conf_.voters.size() / 2 + 1; }
  void HandleVoteRequest(const Message& m);

  // Follower (follower.cc).
  void StepFollower(const Message& m);
  void HandleAppend(const Message& m);
  void HandleHeartbeat(const Message& m);
  void HandleSnapshot(const Message& m);

  // Candidates (candidate.cc).
  bool HasUnappliedConfChange() const;
  void Campaign(bool pre_vote, bool transfer);
  void StepCandidate(const Message& m);
  // Records a vote; returns +1 won, -1 lost, 0 undecided.
  int Poll(NodeId from, bool granted);

  // Leader (leader.cc).
  void StepLeader(const Message& m);
  void TickLeader();
  void AppendEntries(std::vector<Entry> entries);
  bool SendAppend(NodeId to, bool send_if_empty);
  void BroadcastAppend();
  void BroadcastHeartbeat(const std::string& context);
  bool MaybeCommit();
  void HandleAppendResponse(const Message& m);
  void HandleHeartbeatResponse(const Message& m);
  bool QuorumActive() const;

  // Membership (membership.cc).
  void ApplyConfChange(const ConfChange& change);
  void ResetProgress();

  CoreOptions options_;
  NodeId id_;
  const LogReader& storage_;
  RaftLog log_;
  Term term_{0};
  NodeId vote_ = kNoNode;
  NodeId leader_ = kNoNode;
  Role role_ = Role::kFollower;
  ConfState conf_;
  std::map<NodeId, Progress> progress_;
  std::map<NodeId, bool> votes_;
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
  NodeId lead_transferee_ = kNoNode;
  int transfer_elapsed_ = 0;
  bool timeout_now_sent_ = false;
  LogIndex pending_conf_index_{0};
  struct PendingRead {
    LogIndex index;
    std::string context;
    std::set<NodeId> acks;
  };
  std::deque<PendingRead> pending_reads_;
  std::vector<Message> messages_;
  std::vector<ReadState> read_states_;
  HardState prev_hard_state_;
  NodeId prev_leader_ = kNoNode;
  Role prev_role_ = Role::kFollower;
};

}  // namespace karst::raft

#endif  // KARST_RAFT_CORE_CORE_H_

// Node: drives one raft::Core on its own thread. It turns wall-clock time into ticks,
// persists each Ready to the LogStore before sending or acknowledging what depends on it,
// applies committed entries to the StateMachine in order, takes snapshots, and completes the
// futures of proposals and reads. Everything else talks to it by posting events, so the core
// stays single-threaded.
//
// Thread-safety: Receive, Propose, ProposeConfChange, ReadIndex, DescribeQuorum and the
// accessors are safe from any thread; Start and Stop belong to the owner. Stop joins the thread.
#ifndef KARST_RAFT_NODE_NODE_H_
#define KARST_RAFT_NODE_NODE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/random.h"
#include "raft/core/core.h"
#include "raft/node/log_store.h"
#include "raft/node/raft_metrics.h"
#include "raft/node/state_machine.h"

namespace karst::raft {

struct NodeOptions {
  NodeId id = kNoNode;
  absl::Duration tick_interval = absl::Milliseconds(100);
  int election_tick = 10;  // Election timeout = election_tick * tick_interval (and up to 2x).
  int heartbeat_tick = 1;
  // Take a snapshot once this many entries were applied since the last one; 0: never.
  int64_t snapshot_every = 10000;
  uint64_t seed = 0;       // Election jitter; 0: from the OS (logged).
  Clock* clock = nullptr;  // Default: SystemClock.
  // Called on the node thread when the leader or term changes (leader may be kNoNode).
  std::function<void(NodeId leader, Term term)> on_leader_change;
  std::function<void(const std::string&)> log;
  // May be null; must outlive the Node.
  RaftMetrics* metrics = nullptr;
};

// One member of the group as the leader sees it (Kafka's DescribeQuorum ReplicaState, KIP-836).
struct ReplicaStatus {
  NodeId id = kNoNode;
  // The last index known to be in its log (the leader's own last index for itself); nullopt
  // when this node is not the leader.
  std::optional<LogIndex> match;
  // Leader wall-clock time of its last answer to an append or heartbeat (now, for the leader).
  std::optional<absl::Time> last_fetch;
  // Leader wall-clock time of its last answer at which it matched the leader's last index.
  std::optional<absl::Time> last_caught_up;
};

// The group at one moment, as this node knows it.
struct QuorumStatus {
  NodeId self = kNoNode;
  NodeId leader = kNoNode;
  Term term{0};
  LogIndex commit{0};                   // Kafka's HighWatermark.
  LogIndex last_index{0};               // This node's log end.
  std::vector<ReplicaStatus> voters;    // By id.
  std::vector<ReplicaStatus> learners;  // By id (Kafka's observers).
};

class Node {
 public:
  // `store`, `state_machine` and `transport` must outlive the Node.
  Node(NodeOptions options, LogStore& store, StateMachine& state_machine, Transport& transport);
  ~Node();

  // Restores the state machine from the latest snapshot and starts the thread.
  absl::Status Start();
  // Stops the thread; pending futures complete with kAborted.
  void Stop();

  // A message from the transport.
  void Receive(Message message);

  // Completes with the entry's index once it is committed and applied here; kUnavailable
  // (naming the leader when known) if this node is not the leader; kAborted if another
  // leader's entry took its place.
  std::future<absl::StatusOr<LogIndex>> Propose(std::string data);
  std::future<absl::StatusOr<LogIndex>> ProposeConfChange(ConfChange change);
  // Linearizable read barrier: completes with an index once the state machine has applied
  // everything committed when the read was issued.
  std::future<absl::StatusOr<LogIndex>> ReadIndex();

  NodeId id() const { return options_.id; }
  NodeId leader() const { return NodeId(leader_.load()); }
  Term term() const { return Term(term_.load()); }
  bool IsLeader() const { return leader() == id(); }
  LogIndex applied() const { return LogIndex(applied_.load()); }
  LogIndex committed() const { return LogIndex(committed_.load()); }
  // The quorum as of the node thread's last round of events (a copy; at most one tick old).
  QuorumStatus DescribeQuorum() const;

 private:
  // Work for the node thread; `cancel` runs instead if the node stops first (completing any
  // promise the work would have completed).
  struct Event {
    std::function<void()> run;
    std::function<void()> cancel;
  };
  struct PendingProposal {
    Term term;
    std::promise<absl::StatusOr<LogIndex>> promise;
    absl::Duration proposed_at;
  };

  void Post(std::function<void()> run, std::function<void()> cancel = nullptr);
  void Loop();
  void HandleReady();
  void ApplyCommitted(const Ready& ready);
  void CompletePending(const Entry& entry);
  void MaybeSnapshot();
  void FailAll(const absl::Status& status);
  void PublishMetrics(const Ready& ready);
  // Leader only: notes that `m`, a peer's answer just stepped, shows it fetching (and caught up).
  void NoteContact(const Message& m);
  void PublishQuorumStatus();
  void ProposeBatch();
  void Propose(std::function<absl::StatusOr<LogIndex>()> propose,
               std::shared_ptr<std::promise<absl::StatusOr<LogIndex>>> promise);

  NodeOptions options_;
  LogStore& store_;
  StateMachine& state_machine_;
  Transport& transport_;
  Clock& clock_;
  std::unique_ptr<SeededRandom> random_;
  std::unique_ptr<Core> core_;  // Touched only on the node thread.

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;  // Guarded by mu_.
  bool stopping_ = false;     // Guarded by mu_.
  std::thread thread_;

  // Node-thread state.
  std::map<int64_t, PendingProposal> proposals_;  // By log index.
  // Proposals gathered from one round of events, proposed together (one append per follower).
  std::vector<std::pair<std::string, std::promise<absl::StatusOr<LogIndex>>>> batch_;
  std::map<std::string, std::promise<absl::StatusOr<LogIndex>>> reads_;  // By context.
  std::map<int64_t, std::vector<std::string>> reads_waiting_apply_;      // Index -> contexts.
  uint64_t next_read_ = 0;
  LogIndex last_snapshot_{0};
  NodeId last_leader_ = kNoNode;
  Term last_term_{0};
  // Leader only, cleared on a change of leader or term: wall-clock times for ReplicaStatus.
  std::map<NodeId, absl::Time> last_fetch_;
  std::map<NodeId, absl::Time> last_caught_up_;

  mutable std::mutex status_mu_;
  QuorumStatus status_;  // Guarded by status_mu_.

  std::atomic<int32_t> leader_{kNoNode.value()};
  std::atomic<int64_t> term_{0};
  std::atomic<int64_t> applied_{0};
  std::atomic<int64_t> committed_{0};
};

}  // namespace karst::raft

#endif  // KARST_RAFT_NODE_NODE_H_

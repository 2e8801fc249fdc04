// Progress: what a leader knows of one follower's log (Raft §5.3 nextIndex and matchIndex),
// plus flow control. Single-threaded, owned by Core.
//
//            append rejected                  snapshot sent
//   kProbe <------------------- kReplicate     kProbe ------------> kSnapshot
//     |  first append accepted     ^             ^   snapshot acked     |
//     +-----------------------------+             +---------------------+
//
// kProbe sends one append per heartbeat until the follower's match is found; kReplicate
// streams appends optimistically, at most `max_inflight` unacknowledged at once; kSnapshot
// waits for the follower to install a snapshot.
#ifndef KARST_RAFT_CORE_PROGRESS_H_
#define KARST_RAFT_CORE_PROGRESS_H_

#include <cstddef>
#include <deque>

#include "common/strong_id.h"

namespace karst::raft {

class Progress {
 public:
  enum class State { kProbe, kReplicate, kSnapshot };

  Progress(LogIndex next, size_t max_inflight, bool learner)
      : next_(next), max_inflight_(max_inflight), learner_(learner) {}

  LogIndex match() const { return match_; }
  LogIndex next() const { return next_; }
  State state() const { return state_; }
  bool learner() const { return learner_; }
  void set_learner(bool learner) { learner_ = learner; }
  bool recent_active() const { return recent_active_; }
  void set_recent_active(bool active) { recent_active_ = active; }
  LogIndex pending_snapshot() const { return pending_snapshot_; }

  // May another append go out now?
  bool IsPaused() const;
  // An acknowledged match: true if it moved forward.
  bool MaybeUpdate(LogIndex match);
  // An append of entries up to `last` was sent.
  void OptimisticUpdate(LogIndex last);
  // A rejection of the append at `rejected`, the follower's last index being `hint`: step
  // next back. False if the rejection is stale.
  bool MaybeDecrease(LogIndex rejected, LogIndex hint);
  void BecomeProbe();
  void BecomeReplicate();
  void BecomeSnapshot(LogIndex snapshot_index);
  // A heartbeat went out: a probing follower may receive one more append.
  void OnHeartbeat() { probe_sent_ = false; }
  // The follower answered a heartbeat: if a full window is blocking replication (appends
  // may have been lost), free one slot so the next append can reveal the gap.
  void OnHeartbeatResponse() {
    if (state_ == State::kReplicate && inflight_.size() >= max_inflight_) inflight_.pop_front();
  }

 private:
  void FreeInflightsUpTo(LogIndex index);

  LogIndex match_{0};
  LogIndex next_;
  State state_ = State::kProbe;
  size_t max_inflight_;
  bool learner_;
  bool recent_active_ = false;
  bool probe_sent_ = false;
  LogIndex pending_snapshot_{0};
  std::deque<LogIndex> inflight_;  // Last index of each unacknowledged append.
};

}  // namespace karst::raft

#endif  // KARST_RAFT_CORE_PROGRESS_H_

#include "raft/core/progress.h"

#include <algorithm>

namespace karst::raft {

bool Progress::IsPaused() const {
  switch (state_) {
    case State::kProbe:
      return probe_sent_;
    case State::kReplicate:
      return inflight_.size() >= max_inflight_;
    case State::kSnapshot:
      return true;
  }
  return true;
}

void Progress::FreeInflightsUpTo(LogIndex index) {
  while (!inflight_.empty() && inflight_.front() <= index) inflight_.pop_front();
}

bool Progress::MaybeUpdate(LogIndex match) {
  bool updated = false;
  if (match > match_) {
    match_ = match;
    updated = true;
    probe_sent_ = false;
  }
  next_ = std::max(next_, match.Next());
  FreeInflightsUpTo(match);
  return updated;
}

void Progress::OptimisticUpdate(LogIndex last) {
  if (state_ == State::kReplicate) {
    next_ = last.Next();
    inflight_.push_back(last);
  } else if (state_ == State::kProbe) {
    probe_sent_ = true;
  }
}

bool Progress::MaybeDecrease(LogIndex rejected, LogIndex hint) {
  if (state_ == State::kReplicate) {
    // A rejection of something already matched is stale.
    if (rejected <= match_) return false;
    next_ = match_.Next();
    return true;
  }
  // Probing: only a rejection of the index we last probed counts.
  if (next_.Plus(-1) != rejected) return false;
  next_ = std::max(std::min(rejected, hint.Next()), LogIndex(1));
  probe_sent_ = false;
  return true;
}

void Progress::BecomeProbe() {
  if (state_ == State::kSnapshot) {
    next_ = std::max(match_.Next(), pending_snapshot_.Next());
  } else {
    next_ = match_.Next();
  }
  state_ = State::kProbe;
  probe_sent_ = false;
  pending_snapshot_ = LogIndex(0);
  inflight_.clear();
}

void Progress::BecomeReplicate() {
  state_ = State::kReplicate;
  next_ = match_.Next();
  probe_sent_ = false;
  inflight_.clear();
}

void Progress::BecomeSnapshot(LogIndex snapshot_index) {
  state_ = State::kSnapshot;
  pending_snapshot_ = snapshot_index;
  inflight_.clear();
}

}  // namespace karst::raft

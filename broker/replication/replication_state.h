// ReplicationState: one partition replica's replication bookkeeping, as Kafka's Partition
// keeps it: the role this broker plays (leader or follower, at which leader epoch), the
// assignment and ISR from the metadata image, each follower's log end offset and when it was
// last caught up, and the high watermark. Pure: no I/O, no clock (callers pass monotonic
// `now`), no locks; the owning Partition serialises calls.
//
// Kafka's rules kept here:
// - HighWatermark = min LogEndOffset over the maximal ISR (the committed ISR plus additions
//   proposed but not yet committed, KIP-497); it never moves backward while leader, and a
//   follower whose LogEndOffset is not yet known under this leadership holds it back.
// - A follower is caught up at a fetch when its fetch offset reaches the leader's LogEndOffset
//   (or the leader's LogEndOffset at its previous fetch, Kafka's lastCaughtUpTime).
// - Shrink: an ISR follower not caught up within replica.lag.time.max.ms leaves the ISR.
//   Expand: a replica outside the ISR joins once its LogEndOffset reaches the high watermark
//   and the start offset of the current leader epoch. One change is in flight at a time.
#ifndef KARST_BROKER_REPLICATION_REPLICATION_STATE_H_
#define KARST_BROKER_REPLICATION_REPLICATION_STATE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "common/strong_id.h"

namespace karst::broker::replication {

enum class Role { kNone, kLeader, kFollower };

// What the metadata image says about the partition.
struct Assignment {
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  NodeId leader{-1};
  LeaderEpoch leader_epoch{-1};
  int32_t partition_epoch = -1;
  // Replicas the controller would refuse in the ISR (fenced or shutting down): the leader
  // does not propose them (Kafka's isBrokerEligibleForIsr).
  std::vector<int32_t> ineligible;
};

class ReplicationState {
 public:
  explicit ReplicationState(NodeId self) : self_(self) {}

  // Applies the image's view. Becoming leader (or a new leader epoch) resets follower progress
  // (every ISR follower counts as caught up `now`, as Kafka does on election) and notes
  // `log_end` as the epoch's start offset; the high watermark starts at `high_watermark`.
  // The same epoch with a new partition epoch only updates replicas and ISR.
  void Apply(const Assignment& assignment, Offset log_end, Offset high_watermark,
             absl::Duration now);

  Role role() const { return role_; }
  const Assignment& assignment() const { return assignment_; }
  Offset high_watermark() const { return high_watermark_; }
  Offset leader_epoch_start_offset() const { return epoch_start_offset_; }

  // Leader: the local log now ends at `log_end`. True if the high watermark moved.
  bool OnLocalAppend(Offset log_end);
  // Leader: `replica` fetched from `fetch_offset` (its LogEndOffset) while the leader's log
  // ended at `leader_log_end`. True if the high watermark moved.
  bool OnFollowerFetch(NodeId replica, Offset fetch_offset, Offset leader_log_end,
                       absl::Duration now);
  // Follower: the leader's high watermark from a fetch response, capped by the local log end.
  void OnLeaderHighWatermark(Offset leader_high_watermark, Offset local_log_end);
  // The local log was truncated (follower) or reset: the high watermark may not exceed it.
  void OnLocalTruncate(Offset log_end);

  // Leader: the ISR to propose through AlterPartition now, if any (nullopt while a change is
  // in flight or nothing needs to change). Never proposes an empty ISR or drops the leader.
  std::optional<std::vector<int32_t>> IsrToPropose(absl::Duration now,
                                                   absl::Duration max_lag) const;
  void SetIsrChangeInFlight(std::vector<int32_t> proposed);
  // The proposal failed (fenced or rejected): a new one may follow.
  void ClearIsrChangeInFlight() { in_flight_.reset(); }
  bool isr_change_in_flight() const { return in_flight_.has_value(); }

  // Committed ISR plus in-flight additions: what the high watermark waits for.
  std::vector<int32_t> MaximalIsr() const;
  // The follower's LogEndOffset as the leader last saw it (-1 unknown).
  Offset FollowerLogEnd(NodeId replica) const;

 private:
  struct Follower {
    Offset log_end{-1};
    absl::Duration last_caught_up;
    absl::Duration last_fetch;
    Offset leader_end_at_last_fetch{-1};
  };

  bool MaybeAdvanceHighWatermark();

  NodeId self_;
  Role role_ = Role::kNone;
  Assignment assignment_;
  Offset local_log_end_{0};
  Offset high_watermark_{0};
  Offset epoch_start_offset_{0};
  std::map<int32_t, Follower> followers_;  // Leader only: every other replica.
  std::optional<std::vector<int32_t>> in_flight_;
};

}  // namespace karst::broker::replication

#endif  // KARST_BROKER_REPLICATION_REPLICATION_STATE_H_

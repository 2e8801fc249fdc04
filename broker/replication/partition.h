// Partition: one partition replica on this broker: its storage::Log and its
// ReplicationState behind one mutex. Handlers (Produce, Fetch, ListOffsets,
// OffsetForLeaderEpoch), the replica fetcher and the metadata publisher all go through it.
// Errors come back as Kafka error codes, the form responses carry.
//
// Thread-safety: every method is safe from any thread (one absl::Mutex per partition); no
// method calls another module or does network I/O while holding it.
#ifndef KARST_BROKER_REPLICATION_PARTITION_H_
#define KARST_BROKER_REPLICATION_PARTITION_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "broker/replication/replication_state.h"
#include "common/clock.h"
#include "common/strong_id.h"
#include "kafka/protocol/errors.h"
#include "storage/log.h"

namespace karst::broker::replication {

using ::karst::kafka::protocol::ErrorCode;

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

struct AppendOutcome {
  ErrorCode error = ErrorCode::kNone;
  std::string message;
  Offset base_offset{-1};
  Offset last_offset{-1};
  Offset log_start_offset{-1};
  LeaderEpoch leader_epoch{-1};  // The epoch the records were appended under.
};

// Who reads: a consumer sees up to the high watermark, a follower up to the log end.
enum class FetchIsolation { kHighWatermark, kLogEnd };

struct ReadOutcome {
  ErrorCode error = ErrorCode::kNone;
  Offset high_watermark{-1};
  Offset log_start_offset{-1};
  Offset log_end_offset{-1};
  absl::string_view records;
  std::unique_ptr<char[]> buffer;  // Owns `records`.
};

// An ISR change for the controller's AlterPartition.
struct IsrProposal {
  std::string topic_id;
  int32_t partition = 0;
  LeaderEpoch leader_epoch{-1};
  int32_t partition_epoch = 0;
  std::vector<int32_t> isr;
};

class Partition {
 public:
  // `clock` must outlive the partition.
  Partition(TopicPartition tp, std::string topic_id, NodeId self, std::unique_ptr<storage::Log> log,
            Clock& clock);
  ~Partition();

  const TopicPartition& tp() const { return tp_; }
  const std::string& topic_id() const { return topic_id_; }

  // The image's assignment (idempotent). Returns the role after it.
  Role Apply(const Assignment& assignment);

  // The high watermark saved before a restart (replication-offset-checkpoint): the first
  // Apply starts from it, capped at the log end, instead of from the log start. Call before
  // the first Apply.
  void RestoreHighWatermark(Offset high_watermark);

  // Produce. kNotLeaderOrFollower unless leader; kNotEnoughReplicas for acks=-1 with fewer
  // than `min_isr` in the ISR (checked before anything is written); kCorruptMessage /
  // kInvalidRecord / kMessageTooLarge for a bad batch (nothing written), kInvalidRecord also
  // for a keyless record on a compacted topic;
  // kKafkaStorageError when the log is offline. `records` may hold several batches.
  AppendOutcome AppendAsLeader(absl::string_view records, int16_t acks, int32_t min_isr,
                               int32_t max_message_bytes);
  // acks=-1: nullopt while the high watermark is at or below `last_offset`; kNone once past
  // it; kNotLeaderOrFollower if the leader epoch moved on; kNotEnoughReplicasAfterAppend if
  // it committed with fewer than `min_isr` in the ISR.
  std::optional<ErrorCode> CheckReplicated(Offset last_offset, LeaderEpoch epoch,
                                           int32_t min_isr) const;

  // Fetch. `current_leader_epoch` -1 skips fencing. A follower fetch (`replica` >= 0) also
  // records the follower's progress; the returned bool says the high watermark moved.
  ReadOutcome Read(Offset offset, size_t max_bytes, FetchIsolation isolation,
                   LeaderEpoch current_leader_epoch, NodeId replica, bool* high_watermark_moved);
  // Bytes readable past `offset` under `isolation`, 0 when none (for a long poll).
  int64_t BytesAvailable(Offset offset, FetchIsolation isolation) const;

  // ListOffsets: -2 earliest, -1 latest (the high watermark), -3 max timestamp; else by
  // timestamp. Returns (error, offset, timestamp).
  struct ListedOffset {
    ErrorCode error = ErrorCode::kNone;
    Offset offset{-1};
    int64_t timestamp = -1;
    LeaderEpoch leader_epoch{-1};
  };
  ListedOffset ListOffset(int64_t timestamp, LeaderEpoch current_leader_epoch) const;

  // OffsetForLeaderEpoch (KIP-101): the end offset of the largest epoch <= `epoch`.
  struct EpochEndOffset {
    ErrorCode error = ErrorCode::kNone;
    LeaderEpoch leader_epoch{-1};
    Offset end_offset{-1};
  };
  EpochEndOffset EndOffsetForEpoch(LeaderEpoch epoch, LeaderEpoch current_leader_epoch) const;
  // Where `epoch` ends in the local log (follower truncation, KIP-279); -1 if no entry.
  Offset LocalEndOffsetForEpoch(LeaderEpoch epoch) const;

  // DeleteRecords on the leader: moves the log start to `offset` (-1: the high watermark).
  // kOffsetOutOfRange past the high watermark; kNotLeaderOrFollower unless leader. Returns
  // the error and the new log start offset (Kafka's low watermark, as seen by the leader).
  std::pair<ErrorCode, Offset> DeleteRecordsAsLeader(Offset offset);

  // Follower path: append the leader's batches as they are; truncate when diverged.
  absl::Status AppendAsFollower(absl::string_view records, Offset leader_high_watermark);
  absl::Status TruncateTo(Offset offset);
  // Moves the log start up (follower: the leader's log start; DeleteRecords on the leader).
  absl::Status DeleteRecordsBefore(Offset offset);

  // Leader: the ISR change due now, if any; marked in flight until the image settles it or
  // IsrProposalFailed().
  std::optional<IsrProposal> MaybeProposeIsr(absl::Duration max_lag);
  void IsrProposalFailed();

  Role role() const;
  Assignment assignment() const;
  Offset high_watermark() const;
  Offset log_end_offset() const;
  Offset log_start_offset() const;
  std::optional<LeaderEpoch> latest_epoch() const;
  // The bytes of the log's segments (DescribeLogDirs).
  uint64_t size_bytes() const;

  // The topic's log configs changed (dynamic topic configs reach the log this way).
  void SetLogOptions(const storage::LogOptions& options);

  // Retention, compaction (cleanup.policy=compact) and flush-on-time, called periodically.
  absl::Status Maintain();
  absl::Status Close();

 private:
  ErrorCode CheckLeaderEpoch(LeaderEpoch current_leader_epoch, bool require_leader) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const TopicPartition tp_;
  const std::string topic_id_;
  Clock& clock_;
  mutable absl::Mutex mu_;
  std::unique_ptr<storage::Log> log_ ABSL_GUARDED_BY(mu_);
  ReplicationState state_ ABSL_GUARDED_BY(mu_);
  std::optional<Offset> restored_high_watermark_ ABSL_GUARDED_BY(mu_);
};

}  // namespace karst::broker::replication

#endif  // KARST_BROKER_REPLICATION_PARTITION_H_

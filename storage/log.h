// Log: one partition replica's durable log, in the directory `<log dir>/<topic>-<partition>`,
// kept as Kafka keeps it: segments named by base offset (20 digits) with a `.log` of record
// batches stored as received, a sparse `.index` (offset -> file position, every
// `index_interval_bytes`) and a `.timeindex` (timestamp -> offset). Beside them:
// `leader-epoch-checkpoint` (epoch -> start offset, KIP-101), `recovery-point` (everything
// below it was synced) and `log-start-offset`; `clean-shutdown` marks a clean Close().
//
// Opening after an unclean stop scans from the recovery point, validates every batch
// (length, magic, CRC), truncates a torn or corrupt tail and rebuilds the indexes it scanned.
// A corrupt batch inside an earlier, closed segment is counted and logged, and the log
// refuses (kDataLoss) to serve from that batch on rather than serve garbage.
//
// An I/O error during an append or a flush takes the log offline: every later write fails with that
// error (kInternal) until the log is reopened, whose recovery cuts any partial batch.
//
// Thread-safety: not thread-safe; the partition that owns a Log serialises calls (the broker
// holds the partition's mutex). Errors: kOutOfRange for offsets outside
// [LogStartOffset, LogEndOffset]; kInvalidArgument for a malformed batch or a follower batch
// that does not continue the log; kDataLoss for corruption; kInternal for I/O failures.
#ifndef KARST_STORAGE_LOG_H_
#define KARST_STORAGE_LOG_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "common/strong_id.h"
#include "storage/file_system.h"
#include "storage/leader_epoch_cache.h"
#include "storage/log_cleaner.h"
#include "storage/log_metrics.h"
#include "storage/segment.h"

namespace karst::storage {

// cleanup.policy. Retention (time and size) applies with kDelete and kCompactAndDelete;
// compaction (Compact) with kCompact and kCompactAndDelete.
enum class CleanupPolicy { kDelete, kCompact, kCompactAndDelete };

struct LogOptions {
  int32_t segment_bytes = 1 << 30;                        // segment.bytes
  int64_t segment_ms = 7LL * 24 * 3600 * 1000;            // segment.ms
  int32_t index_interval_bytes = 4096;                    // index.interval.bytes
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;          // retention.ms; -1: unlimited
  int64_t retention_bytes = -1;                           // retention.bytes; -1: unlimited
  int64_t flush_messages = INT64_MAX;                     // flush.messages
  int64_t flush_ms = INT64_MAX;                           // flush.ms
  size_t max_batch_bytes = 64 * 1024 * 1024;              // larger batches are rejected
  CleanupPolicy cleanup_policy = CleanupPolicy::kDelete;  // cleanup.policy
  double min_cleanable_dirty_ratio = 0.5;                 // min.cleanable.dirty.ratio
  int64_t min_compaction_lag_ms = 0;                      // min.compaction.lag.ms
  int64_t delete_retention_ms = 24LL * 3600 * 1000;       // delete.retention.ms
  bool operator==(const LogOptions&) const = default;
};

enum class AppendOrigin {
  kLeader,    // Assign offsets from LogEndOffset and stamp the leader epoch.
  kFollower,  // Keep the leader's offsets and epoch; the batch must start at LogEndOffset.
};

enum class Durability { kDefault, kSyncBeforeReturn };

struct AppendResult {
  Offset first_offset;
  Offset last_offset;
  int64_t max_timestamp = -1;
};

struct CompactionResult {
  bool cleaned = false;  // False: nothing cleanable, or the dirty ratio was below the minimum.
  double dirty_ratio = 0;
  int segments_rewritten = 0;
  int segments_deleted = 0;  // Left empty by cleaning.
  int64_t records_removed = 0;
  int64_t tombstones_removed = 0;
  uint64_t bytes_before = 0;  // Of the segments cleaned.
  uint64_t bytes_after = 0;
};

struct ReadResult {
  absl::string_view records;       // Whole batches, concatenated; empty at the log end.
  Offset next_offset;              // The offset after the last batch returned.
  std::unique_ptr<char[]> buffer;  // Owns `records` (moving the result keeps it valid).
};

class Log {
 public:
  // Opens (creating if missing) the log in `dir`, recovering as described above.
  // `clock` and `fs` must outlive the Log; `metrics` may be null.
  static absl::StatusOr<std::unique_ptr<Log>> Open(std::string dir, LogOptions options,
                                                   FileSystem& fs, Clock& clock,
                                                   LogMetrics* metrics = nullptr);
  ~Log();

  // Appends one record batch v2. For kLeader, `leader_epoch` is written into the batch.
  absl::StatusOr<AppendResult> Append(absl::string_view batch, AppendOrigin origin,
                                      LeaderEpoch leader_epoch,
                                      Durability durability = Durability::kDefault);

  // Whole batches starting with the one containing `offset`, up to `max_bytes` (at least one
  // batch, even a larger one, as Kafka's KIP-74). Reads stop at a segment's end. In a
  // compacted log an offset removed by cleaning reads from the next batch after it.
  absl::StatusOr<ReadResult> Read(Offset offset, size_t max_bytes) const;

  // ListOffsets by timestamp: the first offset (at or after LogStartOffset) of a record whose
  // timestamp is >= `timestamp` (for LogAppendTime batches, the batch's); nullopt if none.
  absl::StatusOr<std::optional<Offset>> OffsetForTimestamp(int64_t timestamp) const;

  // ListOffsets MAX_TIMESTAMP (KIP-734): the first record (at or after LogStartOffset) with
  // the largest timestamp in the log, and that timestamp; nullopt for an empty log.
  absl::StatusOr<std::optional<std::pair<Offset, int64_t>>> OffsetOfMaxTimestamp() const;

  Offset LogStartOffset() const { return log_start_offset_; }
  Offset LogEndOffset() const { return log_end_offset_; }

  // Removes every batch at or above `offset` (a follower that diverged). A batch that
  // straddles `offset` is removed whole; if that takes the batch holding LogStartOffset, the
  // log becomes empty at LogStartOffset. kInvalidArgument if offset < LogStartOffset.
  absl::Status TruncateTo(Offset offset);

  // DeleteRecords: moves LogStartOffset up to `offset` and deletes whole segments below it.
  absl::Status DeleteRecordsBefore(Offset offset);

  // Deletes closed segments past retention.ms or beyond retention.bytes; never the active
  // segment, nor one holding offsets at or above `high_watermark` (not yet replicated), nor
  // by time one without timestamps. Returns how many segments were deleted.
  absl::StatusOr<int> ApplyRetention(Offset high_watermark = Offset(INT64_MAX));

  // Log compaction (log_compaction.cc), for kCompact and kCompactAndDelete; a no-op for
  // kDelete. Cleans the closed segments wholly below `high_watermark` and whose records are
  // older than min.compaction.lag.ms, once the dirty part (appended since the last cleaning)
  // is at least min.cleanable.dirty.ratio of them or a tombstone's delete horizon passed.
  // Each rewritten segment is written to `<base>.log.cleaned`, renamed to `.swap` (the
  // commit point) and then over `<base>.log`; opening the log finishes or discards a swap
  // cut short by a crash. The first dirty offset is kept in `cleaner-offset-checkpoint`.
  // An I/O error after a commit point takes the log offline (reopen recovers).
  absl::StatusOr<CompactionResult> Compact(Offset high_watermark = Offset(INT64_MAX));
  // The first offset not yet compacted (LogStartOffset before the first cleaning).
  Offset FirstDirtyOffset() const { return std::max(first_dirty_, log_start_offset_); }

  // Syncs everything appended and advances the recovery point.
  absl::Status Flush();
  // Flushes if flush.ms has passed since the last flush (call periodically).
  absl::Status MaybeFlushOnTime();

  // A topic's configs changed: later appends, rolls, flushes and retention use `options`
  // (index.interval.bytes applies to segments created from now on).
  void SetOptions(const LogOptions& options) { options_ = options; }
  const LogOptions& options() const { return options_; }

  // Flushes, writes the clean-shutdown marker and closes files. Further calls fail.
  absl::Status Close();

  const LeaderEpochCache& leader_epochs() const { return *epochs_; }
  size_t SegmentCount() const { return segments_.size(); }
  // Segments holding open files or loaded indexes (the active one included).
  size_t OpenSegmentCount() const;
  uint64_t SizeBytes() const;
  Offset RecoveryPoint() const { return recovery_point_; }
  // The offset of the first corrupt batch found in a closed segment, if any.
  std::optional<Offset> CorruptFrom() const { return corrupt_from_; }

 private:
  Log(std::string dir, LogOptions options, FileSystem& fs, Clock& clock, LogMetrics* metrics);

  // kFailedPrecondition once closed; the I/O error that took the log offline, if any.
  absl::Status CheckWritable() const;
  absl::Status Load();
  // Finishes `.swap` and removes `.cleaned` files a crash left (before segments are opened).
  absl::Status RecoverCleanerFiles(const std::vector<std::string>& names);
  absl::Status LoadCleanerCheckpoint();
  absl::Status WriteCleanerCheckpoint();
  // The base offset of the first segment compaction may not touch.
  absl::StatusOr<Offset> FirstUncleanableOffset(Offset high_watermark);
  // Cleans one closed segment against `map` and swaps the result in if anything changed.
  absl::Status CleanSegment(int64_t base, const OffsetMap& map, const CleanerOptions& options,
                            CleanerStats& stats, CompactionResult& result);
  absl::Status SwapSegment(int64_t base, const std::string& cleaned);
  absl::StatusOr<std::optional<Offset>> FirstRecordAtOrAfter(Offset batch_base,
                                                             int64_t timestamp) const;
  absl::Status Recover(bool clean);
  // Deletes every segment and starts an empty log at `offset` (both start and end).
  absl::Status ResetTo(Offset offset);
  absl::Status RollIfNeeded(size_t incoming_bytes, Offset first, Offset last);
  // Records `cause` as the reason the log is offline and returns it.
  absl::Status TakeOffline(const absl::Status& cause);
  absl::Status Roll(Offset base);
  void NoteRead(int64_t base) const;
  void ReleaseIdleSegments() const;
  absl::Status WriteRecoveryPoint();
  absl::Status WriteLogStartOffset();
  absl::Status DeleteSegment(int64_t base_offset);
  void PublishMetrics() const;
  Segment& Active() { return *segments_.rbegin()->second; }

  std::string dir_;
  LogOptions options_;
  FileSystem& fs_;
  Clock& clock_;
  LogMetrics* metrics_;
  std::map<int64_t, std::unique_ptr<Segment>> segments_;  // By base offset.
  std::unique_ptr<LeaderEpochCache> epochs_;
  Offset log_start_offset_{0};
  Offset log_end_offset_{0};
  Offset recovery_point_{0};
  std::optional<Offset> corrupt_from_;
  // Compaction: offsets below first_dirty_ were cleaned; `compacted_` once any cleaning
  // happened (the log may have gaps); the earliest tombstone delete horizon, -1 if none.
  Offset first_dirty_{0};
  bool compacted_ = false;
  int64_t delete_horizon_ms_ = -1;
  int64_t unflushed_messages_ = 0;
  absl::Duration last_flush_;
  bool closed_ = false;
  absl::Status failed_;  // Set by an append I/O error: the log is offline until reopened.
  // Closed segments read most recently, oldest first; at most kOpenClosedSegments stay open.
  static constexpr size_t kOpenClosedSegments = 2;
  mutable std::deque<int64_t> recently_read_;
};

}  // namespace karst::storage

#endif  // KARST_STORAGE_LOG_H_

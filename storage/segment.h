// Segment: one slice of a partition log, named by its base offset: `<base>.log` holds record
// batches exactly as appended, `<base>.index` maps offsets to positions in the .log every
// `index_interval_bytes` (8-byte entries: int32 offset - base, int32 position, as Kafka), and
// `<base>.timeindex` maps the largest timestamp so far to an offset (12-byte entries: int64
// timestamp, int32 offset - base). Indexes are loaded on first use, so a closed segment costs
// no memory or file handles until it is read. Not thread-safe: owned by its Log.
#ifndef KARST_STORAGE_SEGMENT_H_
#define KARST_STORAGE_SEGMENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/file_system.h"

namespace karst::storage {

// "00000000000000000042" for 42: the file-name stem Kafka uses.
std::string SegmentName(int64_t base_offset);

struct SegmentScan {
  uint64_t valid_bytes = 0;  // The length of the valid prefix.
  int64_t next_offset = -1;  // Last valid batch's last offset + 1; -1 if none.
  int64_t max_timestamp = -1;
  int64_t record_count = 0;
  std::optional<int64_t> corrupt_at;  // Offset position of the first bad batch, if any.
  std::string corruption;             // What was wrong with it.
};

// Bytes read from a segment: an uninitialised heap buffer (a 1 MiB read should not pay for
// zeroing 1 MiB first) and the view of the whole batches in it.
struct SegmentRead {
  std::unique_ptr<char[]> buffer;
  absl::string_view batches;
  int64_t next_offset = 0;  // The offset after the last batch.
};

class Segment {
 public:
  // Creates empty files for a new segment. `created` is the monotonic time (for segment.ms).
  static absl::StatusOr<std::unique_ptr<Segment>> Create(FileSystem& fs, const std::string& dir,
                                                         int64_t base_offset,
                                                         int32_t index_interval_bytes,
                                                         absl::Duration created);
  // Opens an existing segment without reading it (see Load / Recover).
  static absl::StatusOr<std::unique_ptr<Segment>> Open(FileSystem& fs, const std::string& dir,
                                                       int64_t base_offset,
                                                       int32_t index_interval_bytes,
                                                       absl::Duration created);

  // Reads every batch, validating length, magic and CRC; cuts the files after the valid prefix
  // when `truncate_invalid_tail` and rebuilds both indexes from what it read.
  absl::StatusOr<SegmentScan> Recover(bool truncate_invalid_tail);

  // Appends a validated batch whose offsets are [first_offset, last_offset], given as its
  // (rewritten) header and the rest of its bytes.
  absl::Status Append(int64_t first_offset, int64_t last_offset, int64_t max_timestamp,
                      absl::string_view header, absl::string_view body);

  // The position of the batch containing `offset`, or nullopt if it lies past this segment.
  absl::StatusOr<std::optional<uint64_t>> FindPosition(int64_t offset);
  // Whole batches from `position`, at most `max_bytes` (at least one batch).
  absl::StatusOr<SegmentRead> ReadBatches(uint64_t position, size_t max_bytes);
  // The base offset of the first batch ending at or after `min_offset` whose max timestamp is
  // >= `timestamp`, if any here.
  absl::StatusOr<std::optional<int64_t>> FindOffsetForTimestamp(int64_t timestamp,
                                                                int64_t min_offset);

  // Cuts the segment just before the batch containing `offset` (the whole batch goes).
  absl::Status TruncateTo(int64_t offset);
  absl::Status Sync();
  // Called when the segment stops being active: records its max timestamp in the time index
  // so that retention and timestamp lookups need not scan it again.
  absl::Status Seal();
  // Deletes the three files.
  absl::Status Delete();
  // Drops cached indexes and file handles (reopened on next use).
  void Release();

  int64_t base_offset() const { return base_offset_; }
  uint64_t size() const { return size_; }
  // Last offset + 1; base_offset for an empty segment. REQUIRES: Recover or Append ran, or
  // LoadTail for the active segment of a cleanly closed log.
  int64_t next_offset() const { return next_offset_; }
  int64_t max_timestamp() const { return max_timestamp_; }
  // The largest timestamp in the segment, loading its time index if needed.
  absl::StatusOr<int64_t> LargestTimestamp();
  // For a closed segment that was not scanned: an upper bound on its last offset + 1 (the next
  // segment's base offset), so reads know where it ends.
  void SetNextOffset(int64_t next_offset) { next_offset_ = next_offset; }
  // True while the segment holds file handles or loaded indexes.
  bool IsOpen() const { return reader_ != nullptr || log_writer_ != nullptr || indexes_loaded_; }
  absl::Duration created() const { return created_; }
  // Reads the indexes and the batches after the last index entry, to learn next_offset and
  // max_timestamp without a full scan (clean open). Rebuilds a damaged index.
  absl::Status LoadTail();

 private:
  struct IndexEntry {
    int32_t relative_offset;
    int32_t position;
  };
  struct TimeEntry {
    int64_t timestamp;
    int32_t relative_offset;
  };

  Segment(FileSystem& fs, const std::string& dir, int64_t base_offset, int32_t interval,
          absl::Duration created);
  std::string LogPath() const;
  std::string IndexPath() const;
  std::string TimeIndexPath() const;
  absl::Status EnsureReadable();
  absl::Status EnsureIndexes();
  absl::Status EnsureAppendable();
  absl::Status RewriteIndexes();
  absl::Status WritePendingIndexes();
  // Appends (timestamp, offset) to the time index (and to `time_out` when non-null).
  void AddTimeEntry(int64_t timestamp, int64_t offset, std::string* time_out);
  void NoteBatch(int64_t first_offset, int64_t max_timestamp, uint64_t position, uint64_t size,
                 std::string* index_out, std::string* time_out);

  FileSystem& fs_;
  std::string dir_;
  int64_t base_offset_;
  int32_t index_interval_bytes_;
  absl::Duration created_;
  uint64_t size_ = 0;
  int64_t next_offset_;
  int64_t max_timestamp_ = -1;
  uint64_t bytes_since_index_ = 0;
  bool indexes_loaded_ = false;
  std::vector<IndexEntry> index_;
  std::vector<TimeEntry> time_index_;
  std::string pending_index_;  // Entries in index_ not yet written to the .index file.
  std::string pending_time_;
  std::unique_ptr<ReadableFile> reader_;
  std::unique_ptr<AppendableFile> log_writer_;
  std::unique_ptr<AppendableFile> index_writer_;
  std::unique_ptr<AppendableFile> time_writer_;
};

}  // namespace karst::storage

#endif  // KARST_STORAGE_SEGMENT_H_

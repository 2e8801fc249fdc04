// LeaderEpochCache: for each leader epoch, the first offset written in it (KIP-101), kept in
// step with appends and truncation and persisted to `leader-epoch-checkpoint` in Kafka's
// format ("0\n<count>\n<epoch> <start offset>\n..."), so a follower can truncate by epoch
// instead of to the high watermark. Not thread-safe: owned by its Log.
#ifndef KARST_STORAGE_LEADER_EPOCH_CACHE_H_
#define KARST_STORAGE_LEADER_EPOCH_CACHE_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/strong_id.h"
#include "storage/file_system.h"

namespace karst::storage {

struct EpochEntry {
  LeaderEpoch epoch;
  Offset start_offset;
  bool operator==(const EpochEntry&) const = default;
};

class LeaderEpochCache {
 public:
  // Loads `path` (missing: empty). kDataLoss naming the path and line for a malformed file.
  static absl::StatusOr<std::unique_ptr<LeaderEpochCache>> Load(FileSystem& fs, std::string path);

  // Records that `epoch` starts at `start_offset`, if `epoch` is newer than the latest.
  // Older or equal epochs are ignored (a batch of the current epoch). Persists on change.
  absl::Status Assign(LeaderEpoch epoch, Offset start_offset);

  // Removes entries starting at or after `end_offset` (log truncated to end_offset).
  absl::Status TruncateFromEnd(Offset end_offset);
  // Drops entries wholly below `start_offset`; the entry covering it now starts there.
  absl::Status TruncateFromStart(Offset start_offset);

  // KIP-101 OffsetsForLeaderEpoch: the largest epoch <= `epoch` and the offset where it ends
  // (the next epoch's start, or `log_end_offset` for the latest). nullopt when no entry is
  // <= `epoch` (Kafka answers UNDEFINED_EPOCH_OFFSET).
  std::optional<std::pair<LeaderEpoch, Offset>> EndOffsetFor(LeaderEpoch epoch,
                                                             Offset log_end_offset) const;

  std::optional<LeaderEpoch> LatestEpoch() const;
  const std::vector<EpochEntry>& entries() const { return entries_; }

 private:
  LeaderEpochCache(FileSystem& fs, std::string path) : fs_(fs), path_(std::move(path)) {}
  absl::Status Persist();

  FileSystem& fs_;
  std::string path_;
  std::vector<EpochEntry> entries_;  // Strictly increasing in epoch and start offset.
};

}  // namespace karst::storage

#endif  // KARST_STORAGE_LEADER_EPOCH_CACHE_H_

// LogCleaner: the pure core of log compaction (cleanup.policy=compact), Kafka's LogCleaner
// without its I/O. Log::Compact (log_compaction.cc) reads segments, feeds their bytes here and
// swaps the cleaned results in. Stateless functions over bytes; thread-compatible.
//
// Cleaning is done in two passes over whole batches:
//   1. BuildOffsetMap over the dirty section [first dirty, first uncleanable): key -> the
//      offset of its latest record.
//   2. CleanBatches over every cleanable segment: a record survives when no later record
//      has its key; a tombstone (null value) survives until its batch's delete horizon.
// Offsets never change: a rewritten batch keeps its base offset and lastOffsetDelta
// (Kafka's MemoryRecords.filterTo), so compaction leaves gaps but offsets stay monotonic.
#ifndef KARST_STORAGE_LOG_CLEANER_H_
#define KARST_STORAGE_LOG_CLEANER_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/strong_id.h"

namespace karst::storage {

// Key -> the offset of the latest record with that key in the dirty section.
using OffsetMap = absl::flat_hash_map<std::string, Offset>;

struct CleanerOptions {
  int64_t now_ms = 0;                                // Wall-clock time of this cleaning.
  int64_t delete_retention_ms = 86'400'000;          // delete.retention.ms
  size_t max_uncompressed_bytes = size_t{64} << 20;  // Per batch, as the read path's limit.
};

struct CleanerStats {
  int64_t batches_read = 0;
  int64_t batches_written = 0;  // Kept as they were or rewritten.
  int64_t records_read = 0;
  int64_t records_removed = 0;
  int64_t tombstones_removed = 0;
  // The earliest delete horizon among batches still holding tombstones; -1 if none. The
  // log cleans again once it passes, even without new dirty data.
  int64_t earliest_delete_horizon_ms = -1;
};

class LogCleaner {
 public:
  // Adds every keyed record of `batches` (whole batches, as read from a segment) with an
  // offset at or above `from` to `map`, the later offset winning. Control batches and
  // transactional batches are skipped (TODO(#10): aborted transactions). kDataLoss for a
  // malformed batch.
  static absl::Status BuildOffsetMap(absl::string_view batches, Offset from, OffsetMap& map);

  // Returns `batches` cleaned against `map`: records whose key has a later offset in `map`
  // and records without a key go; a tombstone goes once `now_ms` has reached its batch's
  // delete horizon (KIP-534), which is set to now + delete.retention.ms the first time a
  // cleaning keeps it. Batches losing no record are copied byte for byte; emptied batches
  // are dropped. Control and transactional batches are kept whole (TODO(#10)).
  static absl::StatusOr<std::string> CleanBatches(absl::string_view batches, const OffsetMap& map,
                                                  const CleanerOptions& options,
                                                  CleanerStats& stats);

  // Kafka's LogValidator rule for compacted topics: kInvalidArgument ("compacted topic
  // cannot accept message without key") if a record of the non-control `batch` has a null
  // key. kDataLoss for a malformed batch.
  static absl::Status CheckRecordsHaveKeys(absl::string_view batch);
};

}  // namespace karst::storage

#endif  // KARST_STORAGE_LOG_CLEANER_H_

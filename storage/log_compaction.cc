// Log's compaction driver: picks the cleanable segments, feeds their bytes to LogCleaner and
// swaps the cleaned segments in with Kafka's crash-safe .cleaned/.swap protocol.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "storage/log.h"

namespace karst::storage {
namespace {

constexpr char kCleanerCheckpoint[] = "cleaner-offset-checkpoint";
constexpr char kCleanedSuffix[] = ".log.cleaned";
constexpr char kSwapSuffix[] = ".log.swap";
// Segments are read and cleaned this many bytes at a time (at least one batch).
constexpr size_t kChunkBytes = 1 << 20;

// "00000000000000000042.log.swap" -> 42 for `suffix` ".log.swap"; nullopt otherwise.
std::optional<int64_t> BaseWithSuffix(absl::string_view name, absl::string_view suffix) {
  if (!absl::ConsumeSuffix(&name, suffix) || name.size() != 20) return std::nullopt;
  int64_t base = 0;
  if (!absl::SimpleAtoi(name, &base) || base < 0) return std::nullopt;
  return base;
}

absl::Status DeleteIfExists(FileSystem& fs, const std::string& path) {
  absl::Status s = fs.Delete(path);
  return absl::IsNotFound(s) ? absl::OkStatus() : s;
}

// The second half of a swap, also run by recovery: the old indexes go first (they describe
// the old .log, and a stale entry would point into the middle of a cleaned batch), then the
// .swap replaces the .log atomically. Indexes are rebuilt from the new .log when next used.
absl::Status FinishSwap(FileSystem& fs, const std::string& dir, int64_t base) {
  const std::string stem = JoinPath(dir, SegmentName(base));
  RETURN_IF_ERROR(DeleteIfExists(fs, stem + ".index"));
  RETURN_IF_ERROR(DeleteIfExists(fs, stem + ".timeindex"));
  return fs.Rename(stem + kSwapSuffix, stem + ".log");
}

}  // namespace

absl::Status Log::RecoverCleanerFiles(const std::vector<std::string>& names) {
  bool changed = false;
  for (const std::string& name : names) {
    if (absl::EndsWith(name, kCleanedSuffix)) {
      // Never committed: the segment it was to replace is intact.
      RETURN_IF_ERROR(fs_.Delete(JoinPath(dir_, name)));
      changed = true;
    } else if (std::optional<int64_t> base = BaseWithSuffix(name, kSwapSuffix)) {
      // Committed (written and synced before the rename to .swap): finish the swap.
      spdlog::info("log {}: completing the swap of cleaned segment {}", dir_, *base);
      RETURN_IF_ERROR(FinishSwap(fs_, dir_, *base));
      changed = true;
    }
  }
  return changed ? fs_.SyncDir(dir_) : absl::OkStatus();
}

absl::Status Log::LoadCleanerCheckpoint() {
  absl::StatusOr<std::string> text = fs_.ReadFile(JoinPath(dir_, kCleanerCheckpoint));
  if (absl::IsNotFound(text.status())) return absl::OkStatus();
  if (!text.ok()) return text.status();
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::StripAsciiWhitespace(*text), ' ', absl::SkipEmpty());
  int64_t first_dirty = 0;
  int64_t horizon = -1;
  if (fields.size() != 2 || !absl::SimpleAtoi(fields[0], &first_dirty) ||
      !absl::SimpleAtoi(fields[1], &horizon) || first_dirty < 0) {
    // Only an optimisation is lost: the next cleaning starts over from the log start.
    spdlog::warn("log {}: ignoring a malformed {}: '{}'", dir_, kCleanerCheckpoint, *text);
    first_dirty = 0;
    horizon = -1;
  }
  first_dirty_ = Offset(first_dirty);
  delete_horizon_ms_ = horizon;
  compacted_ = true;
  return absl::OkStatus();
}

absl::Status Log::WriteCleanerCheckpoint() {
  return fs_.WriteFileAtomically(JoinPath(dir_, kCleanerCheckpoint),
                                 absl::StrCat(first_dirty_.value(), " ", delete_horizon_ms_, "\n"));
}

absl::StatusOr<Offset> Log::FirstUncleanableOffset(Offset high_watermark) {
  const int64_t now_ms = absl::ToUnixMillis(clock_.Now());
  for (auto it = segments_.begin(); std::next(it) != segments_.end(); ++it) {
    // Not yet replicated, or too young for min.compaction.lag.ms (Kafka's
    // LogCleanerManager.cleanableOffsets): neither this segment nor any later one.
    if (Offset(std::next(it)->first) > high_watermark) return Offset(it->first);
    if (options_.min_compaction_lag_ms > 0) {
      ASSIGN_OR_RETURN(int64_t largest, it->second->LargestTimestamp());
      NoteRead(it->first);
      if (largest > now_ms - options_.min_compaction_lag_ms) return Offset(it->first);
    }
  }
  return Offset(segments_.rbegin()->first);  // The active segment is never cleaned.
}

absl::StatusOr<CompactionResult> Log::Compact(Offset high_watermark) {
  RETURN_IF_ERROR(CheckWritable());
  CompactionResult result;
  if (options_.cleanup_policy == CleanupPolicy::kDelete) return result;
  if (corrupt_from_.has_value()) {
    return absl::DataLossError(absl::StrCat("log ", dir_, ": not compacting a log with a corrupt ",
                                            "batch at offset ", corrupt_from_->value()));
  }
  ASSIGN_OR_RETURN(const Offset end, FirstUncleanableOffset(high_watermark));
  const Offset first_dirty = FirstDirtyOffset();
  uint64_t clean_bytes = 0, dirty_bytes = 0;
  std::vector<int64_t> cleanable;
  for (auto it = segments_.begin(); it != segments_.end() && it->first < end.value(); ++it) {
    cleanable.push_back(it->first);
    (std::next(it)->first <= first_dirty.value() ? clean_bytes : dirty_bytes) += it->second->size();
  }
  if (clean_bytes + dirty_bytes == 0) return result;
  result.dirty_ratio = static_cast<double>(dirty_bytes) / (clean_bytes + dirty_bytes);
  const int64_t now_ms = absl::ToUnixMillis(clock_.Now());
  const bool horizon_passed = delete_horizon_ms_ >= 0 && now_ms >= delete_horizon_ms_;
  if (!horizon_passed &&
      (dirty_bytes == 0 || result.dirty_ratio < options_.min_cleanable_dirty_ratio)) {
    return result;
  }
  if (!compacted_) {
    // Before the first swap: reads must tolerate gaps after any crash from here on.
    compacted_ = true;
    first_dirty_ = first_dirty;
    RETURN_IF_ERROR(WriteCleanerCheckpoint());
  }
  OffsetMap map;
  for (int64_t base : cleanable) {
    Segment& segment = *segments_.at(base);
    if (segment.next_offset() <= first_dirty.value()) continue;
    for (uint64_t position = 0; position < segment.size();) {
      ASSIGN_OR_RETURN(SegmentRead read, segment.ReadBatches(position, kChunkBytes));
      RETURN_IF_ERROR(LogCleaner::BuildOffsetMap(read.batches, first_dirty, map));
      position += read.batches.size();
    }
    NoteRead(base);
  }
  const CleanerOptions cleaner{.now_ms = now_ms,
                               .delete_retention_ms = options_.delete_retention_ms};
  CleanerStats stats;
  for (int64_t base : cleanable) RETURN_IF_ERROR(CleanSegment(base, map, cleaner, stats, result));
  first_dirty_ = std::max(first_dirty, end);
  delete_horizon_ms_ = stats.earliest_delete_horizon_ms;
  RETURN_IF_ERROR(WriteCleanerCheckpoint());
  result.cleaned = true;
  result.records_removed = stats.records_removed;
  result.tombstones_removed = stats.tombstones_removed;
  if (metrics_ != nullptr) {
    metrics_->cleaner_runs.Increment();
    metrics_->cleaner_records_removed.Increment(static_cast<double>(stats.records_removed));
  }
  PublishMetrics();
  spdlog::info(
      "log {}: compacted [{}, {}): {} segments rewritten, {} records removed, {} -> {} bytes", dir_,
      log_start_offset_.value(), end.value(), result.segments_rewritten, result.records_removed,
      result.bytes_before, result.bytes_after);
  return result;
}

absl::Status Log::CleanSegment(int64_t base, const OffsetMap& map, const CleanerOptions& options,
                               CleanerStats& stats, CompactionResult& result) {
  Segment& segment = *segments_.at(base);
  const std::string cleaned = JoinPath(dir_, SegmentName(base) + kCleanedSuffix);
  // A leftover of a failed attempt is never appended to.
  RETURN_IF_ERROR(DeleteIfExists(fs_, cleaned));
  bool changed = false;
  uint64_t written = 0;
  absl::Status status = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::unique_ptr<AppendableFile> out, fs_.OpenAppendable(cleaned));
    for (uint64_t position = 0; position < segment.size();) {
      ASSIGN_OR_RETURN(SegmentRead read, segment.ReadBatches(position, kChunkBytes));
      ASSIGN_OR_RETURN(std::string kept,
                       LogCleaner::CleanBatches(read.batches, map, options, stats));
      changed = changed || absl::string_view(kept) != read.batches;
      position += read.batches.size();
      written += kept.size();
      if (!kept.empty()) RETURN_IF_ERROR(out->Append(kept));
    }
    // Synced before the rename to .swap, which is what makes the swap committed.
    return changed ? out->Sync() : absl::OkStatus();
  }();
  NoteRead(base);
  result.bytes_before += segment.size();
  result.bytes_after += changed && status.ok() ? written : segment.size();
  const bool emptied = written == 0 && base != segments_.begin()->first;
  if (!status.ok() || !changed || emptied) {
    // Best effort: a leftover .cleaned file is removed by the next attempt or open.
    absl::Status cleanup = DeleteIfExists(fs_, cleaned);
    if (!status.ok() || !changed) return status.ok() ? cleanup : status;
    // Nothing of it is left: drop it rather than keep three empty files (Kafka merges
    // small cleaned segments instead). Reads step over the gap; the first segment stays
    // so that the log start does not move.
    if (absl::Status s = DeleteSegment(base); !s.ok()) return TakeOffline(s);
    ++result.segments_deleted;
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(SwapSegment(base, cleaned));
  ++result.segments_rewritten;
  return absl::OkStatus();
}

absl::Status Log::SwapSegment(int64_t base, const std::string& cleaned) {
  const std::string swap = JoinPath(dir_, SegmentName(base) + kSwapSuffix);
  // The commit point: once the .swap exists, recovery completes the swap.
  if (absl::Status s = fs_.Rename(cleaned, swap); !s.ok()) {
    DeleteIfExists(fs_, cleaned).IgnoreError();  // The rename's error is the one to report.
    return s;
  }
  std::unique_ptr<Segment>& slot = segments_.at(base);
  const absl::Duration created = slot->created();
  slot->Release();
  if (absl::Status s = FinishSwap(fs_, dir_, base); !s.ok()) return TakeOffline(s);
  absl::StatusOr<std::unique_ptr<Segment>> reopened =
      Segment::Open(fs_, dir_, base, options_.index_interval_bytes, created);
  if (!reopened.ok()) return TakeOffline(reopened.status());
  // Rebuilds both indexes from the cleaned .log.
  absl::StatusOr<SegmentScan> scan = (*reopened)->Recover(/*truncate_invalid_tail=*/false);
  if (!scan.ok()) return TakeOffline(scan.status());
  if (scan->corrupt_at.has_value()) {
    return TakeOffline(absl::DataLossError(
        absl::StrCat("cleaned segment ", base, " is corrupt: ", scan->corruption)));
  }
  (*reopened)->Release();
  slot = *std::move(reopened);
  return absl::OkStatus();
}

}  // namespace karst::storage

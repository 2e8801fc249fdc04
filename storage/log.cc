#include "storage/log.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "kafka/record/record.h"
#include "kafka/record/record_batch.h"

namespace karst::storage {
namespace {

namespace rec = ::karst::kafka::record;

constexpr char kEpochCheckpoint[] = "leader-epoch-checkpoint";
constexpr char kRecoveryPoint[] = "recovery-point";
constexpr char kLogStartOffset[] = "log-start-offset";
constexpr char kCleanShutdown[] = "clean-shutdown";

// Reads a file holding one decimal offset; `fallback` if it does not exist.
absl::StatusOr<int64_t> ReadOffsetFile(FileSystem& fs, const std::string& path, int64_t fallback) {
  absl::StatusOr<std::string> text = fs.ReadFile(path);
  if (absl::IsNotFound(text.status())) return fallback;
  if (!text.ok()) return text.status();
  int64_t value = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &value) || value < 0) {
    return absl::DataLossError(absl::StrCat(path, ": expected an offset, found '", *text, "'"));
  }
  return value;
}

// "00000000000000000042.log" -> 42; nullopt for any other name.
std::optional<int64_t> SegmentBase(absl::string_view name) {
  if (!absl::ConsumeSuffix(&name, ".log") || name.size() != 20) return std::nullopt;
  int64_t base = 0;
  if (!absl::SimpleAtoi(name, &base) || base < 0) return std::nullopt;
  return base;
}

}  // namespace

Log::Log(std::string dir, LogOptions options, FileSystem& fs, Clock& clock, LogMetrics* metrics)
    : dir_(std::move(dir)),
      options_(options),
      fs_(fs),
      clock_(clock),
      metrics_(metrics),
      last_flush_(clock.Monotonic()) {}

Log::~Log() = default;

absl::StatusOr<std::unique_ptr<Log>> Log::Open(std::string dir, LogOptions options, FileSystem& fs,
                                               Clock& clock, LogMetrics* metrics) {
  auto log = std::unique_ptr<Log>(new Log(std::move(dir), options, fs, clock, metrics));
  const absl::Duration start = clock.Monotonic();
  RETURN_IF_ERROR(fs.CreateDirs(log->dir_));
  RETURN_IF_ERROR(Annotate(log->Load(), absl::StrCat("log ", log->dir_)));
  if (metrics != nullptr) {
    metrics->recovery_seconds.Set(absl::ToDoubleSeconds(clock.Monotonic() - start));
  }
  log->PublishMetrics();
  return log;
}

absl::Status Log::Load() {
  ASSIGN_OR_RETURN(epochs_, LeaderEpochCache::Load(fs_, JoinPath(dir_, kEpochCheckpoint)));
  ASSIGN_OR_RETURN(std::vector<std::string> names, fs_.ListDir(dir_));
  ASSIGN_OR_RETURN(bool clean, fs_.Exists(JoinPath(dir_, kCleanShutdown)));
  if (clean) {
    // From here on a crash must be noticed: the marker goes before anything else changes.
    RETURN_IF_ERROR(fs_.Delete(JoinPath(dir_, kCleanShutdown)));
    RETURN_IF_ERROR(fs_.SyncDir(dir_));
  }
  ASSIGN_OR_RETURN(int64_t recovery, ReadOffsetFile(fs_, JoinPath(dir_, kRecoveryPoint), 0));
  ASSIGN_OR_RETURN(int64_t start, ReadOffsetFile(fs_, JoinPath(dir_, kLogStartOffset), 0));
  RETURN_IF_ERROR(RecoverCleanerFiles(names));
  RETURN_IF_ERROR(LoadCleanerCheckpoint());
  ASSIGN_OR_RETURN(names, fs_.ListDir(dir_));
  const absl::Duration now = clock_.Monotonic();
  for (const std::string& name : names) {
    if (std::optional<int64_t> base = SegmentBase(name)) {
      ASSIGN_OR_RETURN(segments_[*base],
                       Segment::Open(fs_, dir_, *base, options_.index_interval_bytes, now));
    }
  }
  if (segments_.empty()) {
    ASSIGN_OR_RETURN(segments_[start],
                     Segment::Create(fs_, dir_, start, options_.index_interval_bytes, now));
  }
  for (auto it = segments_.begin(); std::next(it) != segments_.end(); ++it) {
    it->second->SetNextOffset(std::next(it)->first);
  }
  recovery_point_ = Offset(recovery);
  log_start_offset_ = Offset(std::max(start, segments_.begin()->first));
  RETURN_IF_ERROR(Recover(clean));
  // Unsynced batches lost in a crash may end the log below a DeleteRecords start that was
  // persisted: the start wins, so offsets a client was told are deleted are never reused.
  if (log_end_offset_ < log_start_offset_) RETURN_IF_ERROR(ResetTo(log_start_offset_));
  RETURN_IF_ERROR(epochs_->TruncateFromEnd(log_end_offset_));
  // A crash between deleting segments and rewriting the checkpoint can leave entries below
  // the start.
  RETURN_IF_ERROR(epochs_->TruncateFromStart(log_start_offset_));
  return absl::OkStatus();
}

absl::Status Log::ResetTo(Offset offset) {
  spdlog::warn("log {}: end offset {} is below the start {}; starting empty at {}", dir_,
               log_end_offset_.value(), log_start_offset_.value(), offset.value());
  while (!segments_.empty()) RETURN_IF_ERROR(DeleteSegment(segments_.begin()->first));
  ASSIGN_OR_RETURN(segments_[offset.value()],
                   Segment::Create(fs_, dir_, offset.value(), options_.index_interval_bytes,
                                   clock_.Monotonic()));
  RETURN_IF_ERROR(fs_.SyncDir(dir_));
  log_start_offset_ = log_end_offset_ = recovery_point_ = offset;
  corrupt_from_.reset();
  RETURN_IF_ERROR(WriteLogStartOffset());
  RETURN_IF_ERROR(WriteRecoveryPoint());
  return epochs_->TruncateFromEnd(offset);
}

absl::Status Log::Recover(bool clean) {
  if (clean) {
    RETURN_IF_ERROR(Active().LoadTail());
    log_end_offset_ = Offset(Active().next_offset());
    recovery_point_ = log_end_offset_;
    return absl::OkStatus();
  }
  // Scan from the segment holding the recovery point: everything before it was synced.
  auto it = segments_.upper_bound(recovery_point_.value());
  if (it != segments_.begin()) --it;
  for (; it != segments_.end(); ++it) {
    const bool last = std::next(it) == segments_.end();
    ASSIGN_OR_RETURN(SegmentScan scan, it->second->Recover(/*truncate_invalid_tail=*/last));
    if (!scan.corrupt_at.has_value()) continue;
    const Offset at(it->second->next_offset());
    if (last) {
      spdlog::warn("log {}: truncated an invalid tail of segment {} at byte {} (offset {}): {}",
                   dir_, it->first, *scan.corrupt_at, at.value(), scan.corruption);
      continue;
    }
    if (!corrupt_from_.has_value()) corrupt_from_ = at;
    if (metrics_ != nullptr) metrics_->corrupt_batches.Increment();
    spdlog::error(
        "log {}: corrupt batch in closed segment {} at byte {} (offset {}): {}; "
        "offsets from {} on will not be served",
        dir_, it->first, *scan.corrupt_at, at.value(), scan.corruption, at.value());
  }
  log_end_offset_ = Offset(Active().next_offset());
  recovery_point_ = std::min(recovery_point_, log_end_offset_);
  return absl::OkStatus();
}

absl::StatusOr<AppendResult> Log::Append(absl::string_view batch, AppendOrigin origin,
                                         LeaderEpoch leader_epoch, Durability durability) {
  RETURN_IF_ERROR(CheckWritable());
  const absl::Duration start = clock_.Monotonic();
  if (batch.size() > options_.max_batch_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch of ", batch.size(), " bytes exceeds the limit of ", options_.max_batch_bytes));
  }
  absl::StatusOr<rec::BatchHeader> h = rec::ValidateBatch(batch);
  if (!h.ok()) return absl::InvalidArgumentError(h.status().message());
  // A leader's batch holds one record per offset (Kafka's LogValidator); a follower's may
  // have fewer after compaction, never more. Trusting a huge lastOffsetDelta would make the
  // log end jump by up to 2^31.
  const bool count_ok = origin == AppendOrigin::kLeader
                            ? h->last_offset_delta == h->record_count - 1
                            : h->last_offset_delta >= h->record_count - 1;
  if (h->record_count == 0 || !count_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch claims ", h->record_count, " records over lastOffsetDelta ", h->last_offset_delta));
  }
  // Only the header changes (offsets, epoch; the CRC does not cover them): patch a copy of
  // it and write the body from the caller's buffer.
  char header[rec::kBatchHeaderSize];
  std::memcpy(header, batch.data(), sizeof(header));
  Offset first = log_end_offset_;
  LeaderEpoch epoch = leader_epoch;
  if (origin == AppendOrigin::kLeader) {
    rec::SetBaseOffset(header, first.value());
    rec::SetPartitionLeaderEpoch(header, leader_epoch.value());
  } else {
    if (h->base_offset < log_end_offset_.value()) {
      return absl::InvalidArgumentError(absl::StrCat("follower batch at offset ", h->base_offset,
                                                     " does not continue the log (end ",
                                                     log_end_offset_.value(), ")"));
    }
    first = Offset(h->base_offset);
    epoch = LeaderEpoch(h->partition_leader_epoch);
  }
  const Offset last = first.Plus(h->last_offset_delta);
  RETURN_IF_ERROR(RollIfNeeded(batch.size(), first, last));
  if (absl::Status s =
          Active().Append(first.value(), last.value(), h->max_timestamp,
                          absl::string_view(header, sizeof(header)), batch.substr(sizeof(header)));
      !s.ok()) {
    // Part of the batch may be on disk: appending after it would corrupt the log. Take the
    // log offline until a reopen recovers it (the broker answers KAFKA_STORAGE_ERROR).
    return TakeOffline(s);
  }
  // The batch is in the segment: the end offset moves whatever happens next, so a retry can
  // never reuse these offsets.
  log_end_offset_ = last.Next();
  unflushed_messages_ += h->record_count;
  if (absl::Status s = epochs_->Assign(epoch, first); !s.ok()) return TakeOffline(s);
  if (durability == Durability::kSyncBeforeReturn ||
      unflushed_messages_ >= options_.flush_messages) {
    RETURN_IF_ERROR(Flush());
  }
  if (metrics_ != nullptr) {
    metrics_->append_latency.Observe(absl::ToDoubleSeconds(clock_.Monotonic() - start));
    PublishMetrics();
  }
  return AppendResult{first, last, h->max_timestamp};
}

absl::Status Log::RollIfNeeded(size_t incoming_bytes, Offset first, Offset last) {
  Segment& active = Active();
  if (active.size() == 0) return absl::OkStatus();
  const bool full = active.size() + incoming_bytes > static_cast<uint64_t>(options_.segment_bytes);
  const bool old = clock_.Monotonic() - active.created() >= absl::Milliseconds(options_.segment_ms);
  // Index entries hold offsets relative to the base as int32.
  const bool far = last.value() - active.base_offset() > INT32_MAX / 2;
  return full || old || far ? Roll(first) : absl::OkStatus();
}

absl::Status Log::Roll(Offset base) {
  // The closing segment is synced now, so only the active segment can ever have a torn tail.
  RETURN_IF_ERROR(Active().Seal());
  RETURN_IF_ERROR(Active().Sync());
  Active().SetNextOffset(log_end_offset_.value());
  ASSIGN_OR_RETURN(
      std::unique_ptr<Segment> next,
      Segment::Create(fs_, dir_, base.value(), options_.index_interval_bytes, clock_.Monotonic()));
  segments_[base.value()] = std::move(next);
  RETURN_IF_ERROR(fs_.SyncDir(dir_));
  ReleaseIdleSegments();
  return absl::OkStatus();
}

void Log::ReleaseIdleSegments() const {
  // Keep the active segment and the most recently read closed ones open; release the rest,
  // so handles and index memory per log stay bounded however many segments it has.
  while (recently_read_.size() > kOpenClosedSegments) {
    const int64_t base = recently_read_.front();
    recently_read_.pop_front();
    auto it = segments_.find(base);
    const bool still_recent =
        std::find(recently_read_.begin(), recently_read_.end(), base) != recently_read_.end();
    if (it != segments_.end() && std::next(it) != segments_.end() && !still_recent) {
      it->second->Release();
    }
  }
}

absl::Status Log::CheckWritable() const {
  if (closed_) return absl::FailedPreconditionError(absl::StrCat("log ", dir_, " is closed"));
  return failed_;
}

void Log::NoteRead(int64_t base) const {
  if (base == segments_.rbegin()->first) return;
  recently_read_.push_back(base);
  ReleaseIdleSegments();
}

absl::StatusOr<ReadResult> Log::Read(Offset offset, size_t max_bytes) const {
  if (corrupt_from_.has_value() && offset >= *corrupt_from_) {
    return absl::DataLossError(absl::StrCat("log ", dir_, ": offset ", offset.value(),
                                            " lies at or past a corrupt batch at offset ",
                                            corrupt_from_->value()));
  }
  if (offset < log_start_offset_ || offset > log_end_offset_) {
    return absl::OutOfRangeError(absl::StrCat("offset ", offset.value(), " is outside [",
                                              log_start_offset_.value(), ", ",
                                              log_end_offset_.value(), "]"));
  }
  if (offset == log_end_offset_) return ReadResult{"", log_end_offset_, nullptr};
  auto it = segments_.upper_bound(offset.value());
  if (it != segments_.begin()) --it;
  for (; it != segments_.end(); ++it) {
    ASSIGN_OR_RETURN(std::optional<uint64_t> position, it->second->FindPosition(offset.value()));
    NoteRead(it->first);
    if (!position.has_value()) {
      auto next = std::next(it);
      // No gaps without compaction: an offset missing before the next segment is lost data.
      // In a compacted log it was cleaned away: the read goes on from the next segment.
      // A follower of a compacted leader receives its gaps too.
      const bool gaps = compacted_ || options_.cleanup_policy != CleanupPolicy::kDelete;
      if (!gaps && next != segments_.end() && offset.value() < next->first) {
        return absl::DataLossError(absl::StrCat("log ", dir_, ": offset ", offset.value(),
                                                " is missing from segment ", it->first));
      }
      continue;
    }
    ASSIGN_OR_RETURN(SegmentRead read, it->second->ReadBatches(*position, max_bytes));
    if (corrupt_from_.has_value() && read.next_offset > corrupt_from_->value()) {
      return absl::DataLossError(absl::StrCat("log ", dir_,
                                              ": read reaches the corrupt batch at "
                                              "offset ",
                                              corrupt_from_->value()));
    }
    return ReadResult{read.batches, Offset(read.next_offset), std::move(read.buffer)};
  }
  return ReadResult{"", log_end_offset_, nullptr};
}

absl::StatusOr<std::optional<Offset>> Log::OffsetForTimestamp(int64_t timestamp) const {
  for (const auto& [base, segment] : segments_) {
    ASSIGN_OR_RETURN(std::optional<int64_t> found,
                     segment->FindOffsetForTimestamp(timestamp, log_start_offset_.value()));
    NoteRead(base);
    if (found.has_value()) return FirstRecordAtOrAfter(Offset(*found), timestamp);
  }
  return std::optional<Offset>();
}

absl::StatusOr<std::optional<std::pair<Offset, int64_t>>> Log::OffsetOfMaxTimestamp() const {
  int64_t largest = -1;
  for (const auto& [base, segment] : segments_) {
    ASSIGN_OR_RETURN(int64_t t, segment->LargestTimestamp());
    largest = std::max(largest, t);
  }
  if (largest < 0 || log_end_offset_ <= log_start_offset_) {
    return std::optional<std::pair<Offset, int64_t>>();
  }
  // The first record at or after the largest timestamp is a record with that timestamp.
  ASSIGN_OR_RETURN(std::optional<Offset> offset, OffsetForTimestamp(largest));
  if (!offset.has_value()) return std::optional<std::pair<Offset, int64_t>>();
  return std::optional<std::pair<Offset, int64_t>>(std::make_pair(*offset, largest));
}

absl::StatusOr<std::optional<Offset>> Log::FirstRecordAtOrAfter(Offset batch_base,
                                                                int64_t timestamp) const {
  // The batch's max timestamp qualifies; Kafka answers with the first record inside it whose
  // timestamp does (at or after the log start), which means reading its records.
  ASSIGN_OR_RETURN(ReadResult read, Read(std::max(batch_base, log_start_offset_), 1));
  absl::string_view rest = read.records;
  ASSIGN_OR_RETURN(std::optional<absl::string_view> batch,
                   rec::NextBatch(rest, options_.max_batch_bytes));
  if (!batch.has_value()) return std::optional<Offset>();
  ASSIGN_OR_RETURN(rec::BatchHeader h, rec::ParseBatchHeader(*batch));
  if (h.timestamp_type() == rec::TimestampType::kLogAppendTime) {
    return std::optional<Offset>(std::max(Offset(h.base_offset), log_start_offset_));
  }
  ASSIGN_OR_RETURN(std::vector<rec::Record> records, rec::DecodeRecords(*batch));
  for (const rec::Record& r : records) {
    const Offset offset(h.base_offset + r.offset_delta);
    if (offset >= log_start_offset_ && h.base_timestamp + r.timestamp_delta >= timestamp) {
      return std::optional<Offset>(offset);
    }
  }
  return std::optional<Offset>(std::max(Offset(h.base_offset), log_start_offset_));
}

absl::Status Log::TruncateTo(Offset offset) {
  RETURN_IF_ERROR(CheckWritable());
  if (offset >= log_end_offset_) return absl::OkStatus();
  if (offset < log_start_offset_) {
    return absl::InvalidArgumentError(absl::StrCat("cannot truncate to ", offset.value(),
                                                   ", below the log start ",
                                                   log_start_offset_.value()));
  }
  // Whole segments at or above the offset go; the first segment stays (emptied if need be).
  while (segments_.size() > 1 && segments_.rbegin()->first >= offset.value()) {
    RETURN_IF_ERROR(DeleteSegment(segments_.rbegin()->first));
  }
  Segment& active = Active();
  RETURN_IF_ERROR(active.TruncateTo(offset.value()));
  RETURN_IF_ERROR(active.LoadTail());
  log_end_offset_ = Offset(active.next_offset());
  // The batch holding the log start went whole: offsets below the start are never reused.
  if (log_end_offset_ < log_start_offset_) RETURN_IF_ERROR(ResetTo(log_start_offset_));
  RETURN_IF_ERROR(epochs_->TruncateFromEnd(log_end_offset_));
  if (recovery_point_ > log_end_offset_) {
    recovery_point_ = log_end_offset_;
    RETURN_IF_ERROR(WriteRecoveryPoint());
  }
  if (corrupt_from_.has_value() && *corrupt_from_ >= log_end_offset_) corrupt_from_.reset();
  if (compacted_ && first_dirty_ > log_end_offset_) {
    // Offsets appended from here on were never cleaned.
    first_dirty_ = log_end_offset_;
    RETURN_IF_ERROR(WriteCleanerCheckpoint());
  }
  PublishMetrics();
  return absl::OkStatus();
}

absl::Status Log::DeleteRecordsBefore(Offset offset) {
  RETURN_IF_ERROR(CheckWritable());
  if (offset > log_end_offset_) {
    return absl::OutOfRangeError(
        absl::StrCat("offset ", offset.value(), " is past the log end ", log_end_offset_.value()));
  }
  if (offset <= log_start_offset_) return absl::OkStatus();
  log_start_offset_ = offset;
  RETURN_IF_ERROR(WriteLogStartOffset());
  while (segments_.size() > 1 && std::next(segments_.begin())->first <= offset.value()) {
    RETURN_IF_ERROR(DeleteSegment(segments_.begin()->first));
  }
  RETURN_IF_ERROR(epochs_->TruncateFromStart(offset));
  PublishMetrics();
  return absl::OkStatus();
}

absl::StatusOr<int> Log::ApplyRetention(Offset high_watermark) {
  RETURN_IF_ERROR(CheckWritable());
  int deleted = 0;
  if (options_.cleanup_policy == CleanupPolicy::kCompact) return deleted;
  const int64_t now_ms = absl::ToUnixMillis(clock_.Now());
  uint64_t total = SizeBytes();
  while (segments_.size() > 1) {
    Segment& oldest = *segments_.begin()->second;
    bool expire = false;
    // Only segments wholly below the high watermark (replicated) may go.
    if (Offset(std::next(segments_.begin())->first) > high_watermark) break;
    // A closed segment can only be empty after compaction removed all of it.
    expire = oldest.size() == 0;
    if (!expire && options_.retention_ms >= 0) {
      ASSIGN_OR_RETURN(int64_t largest, oldest.LargestTimestamp());
      // A segment with no timestamps (all -1) is kept: its age is unknown.
      expire = largest >= 0 && largest < now_ms - options_.retention_ms;
    }
    if (!expire && options_.retention_bytes >= 0) {
      expire = total - oldest.size() >= static_cast<uint64_t>(options_.retention_bytes);
    }
    if (!expire) break;
    total -= oldest.size();
    const Offset next_base(std::next(segments_.begin())->first);
    RETURN_IF_ERROR(DeleteSegment(segments_.begin()->first));
    ++deleted;
    if (next_base > log_start_offset_) {
      log_start_offset_ = next_base;
      RETURN_IF_ERROR(WriteLogStartOffset());
      RETURN_IF_ERROR(epochs_->TruncateFromStart(log_start_offset_));
    }
  }
  if (deleted > 0) PublishMetrics();
  return deleted;
}

absl::Status Log::Flush() {
  RETURN_IF_ERROR(CheckWritable());
  const absl::Duration start = clock_.Monotonic();
  // After a failed fsync the kernel may have dropped the dirty pages and cleared the error,
  // so a later fsync would "succeed" over lost data: the log goes offline instead.
  if (absl::Status s = Active().Sync(); !s.ok()) return TakeOffline(s);
  unflushed_messages_ = 0;
  last_flush_ = clock_.Monotonic();
  if (metrics_ != nullptr) {
    metrics_->flush_latency.Observe(absl::ToDoubleSeconds(last_flush_ - start));
  }
  if (recovery_point_ == log_end_offset_) return absl::OkStatus();
  recovery_point_ = log_end_offset_;
  if (absl::Status s = WriteRecoveryPoint(); !s.ok()) return TakeOffline(s);
  return absl::OkStatus();
}

absl::Status Log::TakeOffline(const absl::Status& cause) {
  failed_ = absl::InternalError(
      absl::StrCat("log ", dir_, " is offline after an I/O error: ", cause.message()));
  spdlog::error("{}", failed_.message());
  return cause;
}

absl::Status Log::MaybeFlushOnTime() {
  if (unflushed_messages_ == 0) return absl::OkStatus();
  if (clock_.Monotonic() - last_flush_ < absl::Milliseconds(options_.flush_ms)) {
    return absl::OkStatus();
  }
  return Flush();
}

absl::Status Log::Close() {
  if (closed_) return absl::OkStatus();
  RETURN_IF_ERROR(Flush());
  RETURN_IF_ERROR(fs_.WriteFileAtomically(JoinPath(dir_, kCleanShutdown), ""));
  for (auto& [base, segment] : segments_) segment->Release();
  closed_ = true;
  return absl::OkStatus();
}

size_t Log::OpenSegmentCount() const {
  size_t open = 0;
  for (const auto& [base, segment] : segments_) open += segment->IsOpen() ? 1 : 0;
  return open;
}

uint64_t Log::SizeBytes() const {
  uint64_t total = 0;
  for (const auto& [base, segment] : segments_) total += segment->size();
  return total;
}

absl::Status Log::WriteRecoveryPoint() {
  return fs_.WriteFileAtomically(JoinPath(dir_, kRecoveryPoint),
                                 absl::StrCat(recovery_point_.value(), "\n"));
}

absl::Status Log::WriteLogStartOffset() {
  return fs_.WriteFileAtomically(JoinPath(dir_, kLogStartOffset),
                                 absl::StrCat(log_start_offset_.value(), "\n"));
}

absl::Status Log::DeleteSegment(int64_t base_offset) {
  auto it = segments_.find(base_offset);
  if (it == segments_.end()) return absl::OkStatus();
  RETURN_IF_ERROR(it->second->Delete());
  segments_.erase(it);
  recently_read_.erase(std::remove(recently_read_.begin(), recently_read_.end(), base_offset),
                       recently_read_.end());
  return absl::OkStatus();
}

void Log::PublishMetrics() const {
  if (metrics_ == nullptr) return;
  metrics_->size_bytes.Set(static_cast<double>(SizeBytes()));
  metrics_->segments.Set(static_cast<double>(segments_.size()));
}

}  // namespace karst::storage

#include "broker/replication/partition.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "kafka/record/record_batch.h"
#include "storage/log_cleaner.h"

namespace karst::broker::replication {
namespace {

namespace rec = ::karst::kafka::record;

constexpr size_t kNoBatchLimit = size_t{1} << 31;

ErrorCode FromLogStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOutOfRange:
      return ErrorCode::kOffsetOutOfRange;
    case absl::StatusCode::kInvalidArgument:
      return ErrorCode::kCorruptMessage;
    default:
      return ErrorCode::kKafkaStorageError;
  }
}

// The batches of `records`, validated whole before anything is written (a request with one
// bad batch appends nothing). Kafka's LogValidator.
ErrorCode SplitBatches(absl::string_view records, int32_t max_message_bytes,
                       std::vector<absl::string_view>* batches, std::string* message) {
  absl::string_view rest = records;
  while (!rest.empty()) {
    absl::StatusOr<std::optional<absl::string_view>> next = rec::NextBatch(rest, kNoBatchLimit);
    if (!next.ok() || !next->has_value()) {
      *message =
          next.ok() ? "the records end with a partial batch" : std::string(next.status().message());
      return ErrorCode::kCorruptMessage;
    }
    absl::string_view batch = **next;
    if (batch.size() > static_cast<size_t>(max_message_bytes)) {
      *message = absl::StrCat("batch of ", batch.size(), " bytes exceeds max.message.bytes ",
                              max_message_bytes);
      return ErrorCode::kMessageTooLarge;
    }
    absl::StatusOr<rec::BatchHeader> header = rec::ValidateBatch(batch);
    if (!header.ok()) {
      *message = std::string(header.status().message());
      return ErrorCode::kCorruptMessage;
    }
    if (header->record_count == 0 || header->last_offset_delta != header->record_count - 1) {
      *message = absl::StrCat("batch claims ", header->record_count,
                              " records over lastOffsetDelta ", header->last_offset_delta);
      return ErrorCode::kInvalidRecord;
    }
    batches->push_back(batch);
  }
  if (batches->empty()) {
    *message = "no record batch";
    return ErrorCode::kCorruptMessage;
  }
  return ErrorCode::kNone;
}

// Drops the batches at or above `limit` from the front-aligned `records`.
absl::string_view CutAt(absl::string_view records, Offset limit) {
  absl::string_view rest = records;
  size_t kept = 0;
  while (!rest.empty()) {
    absl::StatusOr<std::optional<absl::string_view>> next = rec::NextBatch(rest, kNoBatchLimit);
    if (!next.ok() || !next->has_value()) break;
    absl::StatusOr<rec::BatchHeader> header = rec::ParseBatchHeader(**next);
    if (!header.ok() || header->last_offset() >= limit.value()) break;
    kept += (*next)->size();
  }
  return records.substr(0, kept);
}

}  // namespace

Partition::Partition(TopicPartition tp, std::string topic_id, NodeId self,
                     std::unique_ptr<storage::Log> log, Clock& clock)
    : tp_(std::move(tp)),
      topic_id_(std::move(topic_id)),
      clock_(clock),
      log_(std::move(log)),
      state_(self) {}

Partition::~Partition() = default;

Role Partition::Apply(const Assignment& assignment) {
  absl::MutexLock lock(&mu_);
  Offset high_watermark = std::max(state_.high_watermark(), log_->LogStartOffset());
  if (restored_high_watermark_.has_value()) {
    high_watermark =
        std::max(high_watermark, std::min(*restored_high_watermark_, log_->LogEndOffset()));
    restored_high_watermark_.reset();
  }
  state_.Apply(assignment, log_->LogEndOffset(), high_watermark, clock_.Monotonic());
  return state_.role();
}

void Partition::RestoreHighWatermark(Offset high_watermark) {
  absl::MutexLock lock(&mu_);
  restored_high_watermark_ = high_watermark;
}

ErrorCode Partition::CheckLeaderEpoch(LeaderEpoch current, bool require_leader) const {
  const LeaderEpoch epoch = state_.assignment().leader_epoch;
  if (current.value() >= 0) {
    if (current < epoch) return ErrorCode::kFencedLeaderEpoch;
    if (current > epoch) return ErrorCode::kUnknownLeaderEpoch;
  }
  if (require_leader && state_.role() != Role::kLeader) return ErrorCode::kNotLeaderOrFollower;
  return ErrorCode::kNone;
}

AppendOutcome Partition::AppendAsLeader(absl::string_view records, int16_t acks, int32_t min_isr,
                                        int32_t max_message_bytes) {
  AppendOutcome out;
  std::vector<absl::string_view> batches;
  out.error = SplitBatches(records, max_message_bytes, &batches, &out.message);
  if (out.error != ErrorCode::kNone) return out;
  bool compacted;
  {
    absl::ReaderMutexLock lock(&mu_);
    compacted = log_->options().cleanup_policy != storage::CleanupPolicy::kDelete;
  }
  // Kafka's LogValidator: a compacted topic refuses keyless records, which the cleaner would
  // only throw away. Checked outside the lock: it decompresses.
  for (absl::string_view batch : compacted ? batches : std::vector<absl::string_view>{}) {
    if (absl::Status s = storage::LogCleaner::CheckRecordsHaveKeys(batch); !s.ok()) {
      out.error = ErrorCode::kInvalidRecord;
      out.message = absl::StrCat("Compacted topic cannot accept message without key in topic ",
                                 "partition ", tp_.topic, "-", tp_.partition);
      return out;
    }
  }
  absl::MutexLock lock(&mu_);
  if (state_.role() != Role::kLeader) {
    out.error = ErrorCode::kNotLeaderOrFollower;
    return out;
  }
  // Kafka checks min.insync.replicas before appending for acks=all (NOT_ENOUGH_REPLICAS).
  if (acks == -1 && static_cast<int32_t>(state_.assignment().isr.size()) < min_isr) {
    out.error = ErrorCode::kNotEnoughReplicas;
    out.message = absl::StrCat("the ISR has ", state_.assignment().isr.size(),
                               " replicas, below min.insync.replicas ", min_isr);
    return out;
  }
  const LeaderEpoch epoch = state_.assignment().leader_epoch;
  for (absl::string_view batch : batches) {
    absl::StatusOr<storage::AppendResult> appended =
        log_->Append(batch, storage::AppendOrigin::kLeader, epoch);
    if (!appended.ok()) {
      out.error = FromLogStatus(appended.status());
      out.message = std::string(appended.status().message());
      break;
    }
    if (out.base_offset.value() < 0) out.base_offset = appended->first_offset;
    out.last_offset = appended->last_offset;
  }
  if (out.last_offset.value() >= 0) state_.OnLocalAppend(log_->LogEndOffset());
  out.log_start_offset = log_->LogStartOffset();
  out.leader_epoch = epoch;
  return out;
}

std::optional<ErrorCode> Partition::CheckReplicated(Offset last_offset, LeaderEpoch epoch,
                                                    int32_t min_isr) const {
  absl::ReaderMutexLock lock(&mu_);
  if (state_.role() != Role::kLeader || state_.assignment().leader_epoch != epoch) {
    return ErrorCode::kNotLeaderOrFollower;
  }
  if (state_.high_watermark() <= last_offset) return std::nullopt;
  if (static_cast<int32_t>(state_.assignment().isr.size()) < min_isr) {
    return ErrorCode::kNotEnoughReplicasAfterAppend;
  }
  return ErrorCode::kNone;
}

ReadOutcome Partition::Read(Offset offset, size_t max_bytes, FetchIsolation isolation,
                            LeaderEpoch current_leader_epoch, NodeId replica,
                            bool* high_watermark_moved) {
  ReadOutcome out;
  absl::MutexLock lock(&mu_);
  out.error = CheckLeaderEpoch(current_leader_epoch, /*require_leader=*/true);
  out.log_start_offset = log_->LogStartOffset();
  out.log_end_offset = log_->LogEndOffset();
  if (out.error != ErrorCode::kNone) return out;
  if (offset < out.log_start_offset || offset > out.log_end_offset) {
    out.error = ErrorCode::kOffsetOutOfRange;
    out.high_watermark = state_.high_watermark();
    return out;
  }
  if (replica.value() >= 0) {
    bool moved = state_.OnFollowerFetch(replica, offset, out.log_end_offset, clock_.Monotonic());
    if (high_watermark_moved != nullptr) *high_watermark_moved = moved;
  }
  out.high_watermark = std::max(state_.high_watermark(), out.log_start_offset);
  const Offset upper =
      isolation == FetchIsolation::kHighWatermark ? out.high_watermark : out.log_end_offset;
  if (offset >= upper || max_bytes == 0) return out;
  absl::StatusOr<storage::ReadResult> read = log_->Read(offset, max_bytes);
  if (!read.ok()) {
    out.error = FromLogStatus(read.status());
    return out;
  }
  out.records = CutAt(read->records, upper);
  out.buffer = std::move(read->buffer);
  return out;
}

int64_t Partition::BytesAvailable(Offset offset, FetchIsolation isolation) const {
  absl::ReaderMutexLock lock(&mu_);
  const Offset upper =
      isolation == FetchIsolation::kHighWatermark ? state_.high_watermark() : log_->LogEndOffset();
  // Offsets, not bytes: the log keeps no byte position per offset here; one record counts as
  // at least one byte, enough for fetch.min.bytes=1 (every client's default).
  return std::max<int64_t>(0, upper.value() - offset.value());
}

Partition::ListedOffset Partition::ListOffset(int64_t timestamp,
                                              LeaderEpoch current_leader_epoch) const {
  ListedOffset out;
  absl::ReaderMutexLock lock(&mu_);
  out.error = CheckLeaderEpoch(current_leader_epoch, /*require_leader=*/true);
  if (out.error != ErrorCode::kNone) return out;
  out.leader_epoch = state_.assignment().leader_epoch;
  const Offset hw = std::max(state_.high_watermark(), log_->LogStartOffset());
  if (timestamp == -2) {
    out.offset = log_->LogStartOffset();
  } else if (timestamp == -1) {
    out.offset = hw;
  } else if (timestamp == -3) {
    absl::StatusOr<std::optional<std::pair<Offset, int64_t>>> max = log_->OffsetOfMaxTimestamp();
    if (!max.ok()) {
      out.error = FromLogStatus(max.status());
    } else if (max->has_value() && (*max)->first < hw) {
      out.offset = (*max)->first;
      out.timestamp = (*max)->second;
    }
  } else {
    absl::StatusOr<std::optional<Offset>> found = log_->OffsetForTimestamp(timestamp);
    if (!found.ok()) {
      out.error = FromLogStatus(found.status());
    } else if (found->has_value() && **found < hw) {
      out.offset = **found;
      out.timestamp = timestamp;
    }
  }
  return out;
}

Partition::EpochEndOffset Partition::EndOffsetForEpoch(LeaderEpoch epoch,
                                                       LeaderEpoch current_leader_epoch) const {
  EpochEndOffset out;
  absl::ReaderMutexLock lock(&mu_);
  out.error = CheckLeaderEpoch(current_leader_epoch, /*require_leader=*/true);
  if (out.error != ErrorCode::kNone) return out;
  std::optional<std::pair<LeaderEpoch, Offset>> end =
      log_->leader_epochs().EndOffsetFor(epoch, log_->LogEndOffset());
  if (end.has_value()) {
    out.leader_epoch = end->first;
    out.end_offset = end->second;
  }
  return out;
}

Offset Partition::LocalEndOffsetForEpoch(LeaderEpoch epoch) const {
  absl::ReaderMutexLock lock(&mu_);
  std::optional<std::pair<LeaderEpoch, Offset>> end =
      log_->leader_epochs().EndOffsetFor(epoch, log_->LogEndOffset());
  return end.has_value() ? end->second : Offset(-1);
}

absl::Status Partition::AppendAsFollower(absl::string_view records, Offset leader_high_watermark) {
  absl::MutexLock lock(&mu_);
  absl::string_view rest = records;
  while (!rest.empty()) {
    absl::StatusOr<std::optional<absl::string_view>> next = rec::NextBatch(rest, kNoBatchLimit);
    if (!next.ok()) return next.status();
    if (!next->has_value()) break;  // A fetch response may end with a partial batch.
    absl::StatusOr<rec::BatchHeader> header = rec::ParseBatchHeader(**next);
    if (!header.ok()) return header.status();
    if (header->last_offset() < log_->LogEndOffset().value()) continue;  // Already have it.
    absl::StatusOr<storage::AppendResult> appended =
        log_->Append(**next, storage::AppendOrigin::kFollower, LeaderEpoch(-1));
    if (!appended.ok()) return appended.status();
  }
  state_.OnLeaderHighWatermark(leader_high_watermark, log_->LogEndOffset());
  return absl::OkStatus();
}

absl::Status Partition::TruncateTo(Offset offset) {
  absl::MutexLock lock(&mu_);
  if (offset >= log_->LogEndOffset()) return absl::OkStatus();
  absl::Status status = log_->TruncateTo(std::max(offset, log_->LogStartOffset()));
  state_.OnLocalTruncate(log_->LogEndOffset());
  return status;
}

absl::Status Partition::DeleteRecordsBefore(Offset offset) {
  absl::MutexLock lock(&mu_);
  if (offset <= log_->LogStartOffset()) return absl::OkStatus();
  if (offset > log_->LogEndOffset()) {
    // A follower far behind the leader's log start: restart the log there.
    absl::Status status = log_->TruncateTo(log_->LogStartOffset());
    if (!status.ok()) return status;
  }
  return log_->DeleteRecordsBefore(offset);
}

std::pair<ErrorCode, Offset> Partition::DeleteRecordsAsLeader(Offset offset) {
  absl::MutexLock lock(&mu_);
  if (state_.role() != Role::kLeader) return {ErrorCode::kNotLeaderOrFollower, Offset(-1)};
  const Offset hw = std::max(state_.high_watermark(), log_->LogStartOffset());
  if (offset.value() == -1) offset = hw;
  if (offset.value() < 0 || offset > hw) return {ErrorCode::kOffsetOutOfRange, Offset(-1)};
  if (offset > log_->LogStartOffset()) {
    if (absl::Status s = log_->DeleteRecordsBefore(offset); !s.ok()) {
      return {FromLogStatus(s), Offset(-1)};
    }
  }
  return {ErrorCode::kNone, log_->LogStartOffset()};
}

std::optional<IsrProposal> Partition::MaybeProposeIsr(absl::Duration max_lag) {
  absl::MutexLock lock(&mu_);
  std::optional<std::vector<int32_t>> isr = state_.IsrToPropose(clock_.Monotonic(), max_lag);
  if (!isr) return std::nullopt;
  state_.SetIsrChangeInFlight(*isr);
  return IsrProposal{.topic_id = topic_id_,
                     .partition = tp_.partition,
                     .leader_epoch = state_.assignment().leader_epoch,
                     .partition_epoch = state_.assignment().partition_epoch,
                     .isr = *std::move(isr)};
}

void Partition::IsrProposalFailed() {
  absl::MutexLock lock(&mu_);
  state_.ClearIsrChangeInFlight();
}

Role Partition::role() const {
  absl::ReaderMutexLock lock(&mu_);
  return state_.role();
}

Assignment Partition::assignment() const {
  absl::ReaderMutexLock lock(&mu_);
  return state_.assignment();
}

Offset Partition::high_watermark() const {
  absl::ReaderMutexLock lock(&mu_);
  return std::max(state_.high_watermark(), log_->LogStartOffset());
}

Offset Partition::log_end_offset() const {
  absl::ReaderMutexLock lock(&mu_);
  return log_->LogEndOffset();
}

Offset Partition::log_start_offset() const {
  absl::ReaderMutexLock lock(&mu_);
  return log_->LogStartOffset();
}

uint64_t Partition::size_bytes() const {
  absl::ReaderMutexLock lock(&mu_);
  return log_->SizeBytes();
}

std::optional<LeaderEpoch> Partition::latest_epoch() const {
  absl::ReaderMutexLock lock(&mu_);
  return log_->leader_epochs().LatestEpoch();
}

void Partition::SetLogOptions(const storage::LogOptions& options) {
  absl::MutexLock lock(&mu_);
  if (!(log_->options() == options)) log_->SetOptions(options);
}

absl::Status Partition::Maintain() {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<int> deleted = log_->ApplyRetention(state_.high_watermark());
  if (!deleted.ok()) return deleted.status();
  // TODO(#9): clean on a cleaner thread of its own (Kafka's log.cleaner.threads), holding
  // the partition's lock only for each segment swap; produce and fetch wait meanwhile.
  absl::StatusOr<storage::CompactionResult> compacted = log_->Compact(state_.high_watermark());
  if (!compacted.ok()) return compacted.status();
  return log_->MaybeFlushOnTime();
}

absl::Status Partition::Close() {
  absl::MutexLock lock(&mu_);
  return log_->Close();
}

}  // namespace karst::broker::replication

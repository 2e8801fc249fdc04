// Consumer's positions: Seek*, Position and Pause/Resume of assigned partitions.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "client/consumer.h"
#include "common/status_macros.h"

namespace karst::client {
absl::Status Consumer::CheckAssigned(const std::vector<TopicPartition>& partitions) const {
  for (const TopicPartition& tp : partitions) {
    if (positions_.count(tp) == 0) {
      return absl::FailedPreconditionError(absl::StrCat(ToString(tp), " is not assigned"));
    }
  }
  return absl::OkStatus();
}

void Consumer::DropBuffered(const TopicPartition& tp) {
  std::erase_if(buffered_, [&](const ConsumerRecord& r) {
    return r.partition == tp.partition && r.topic == tp.topic;
  });
}

absl::Status Consumer::Seek(const TopicPartition& tp, int64_t offset) {
  RETURN_IF_ERROR(CheckAssigned({tp}));
  if (offset < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToString(tp), ": seek to negative offset ", offset));
  }
  DropBuffered(tp);
  PartitionState& state = positions_[tp];
  state.start = StartOffset::At(offset);
  state.next = offset;
  return absl::OkStatus();
}

absl::Status Consumer::ResetTo(const std::vector<TopicPartition>& partitions, StartOffset start) {
  RETURN_IF_ERROR(CheckAssigned(partitions));
  for (const TopicPartition& tp : partitions.empty() ? Assignment() : partitions) {
    DropBuffered(tp);
    PartitionState& state = positions_[tp];
    state.start = start;
    state.next.reset();
  }
  return absl::OkStatus();
}

absl::Status Consumer::SeekToBeginning(const std::vector<TopicPartition>& partitions) {
  return ResetTo(partitions, StartOffset::Earliest());
}

absl::Status Consumer::SeekToEnd(const std::vector<TopicPartition>& partitions) {
  return ResetTo(partitions, StartOffset::Latest());
}

absl::StatusOr<int64_t> Consumer::Position(const TopicPartition& tp) {
  RETURN_IF_ERROR(CheckAssigned({tp}));
  for (const ConsumerRecord& r : buffered_) {
    if (r.partition == tp.partition && r.topic == tp.topic) return r.offset;
  }
  const absl::Duration deadline = clock_.Monotonic() + options_.default_api_timeout;
  for (;;) {
    MaybeRefresh();
    if (coordinator_ != nullptr) RETURN_IF_ERROR(ResolveCommitted(deadline));
    RETURN_IF_ERROR(ResolvePositions());
    if (positions_[tp].next.has_value()) return *positions_[tp].next;
    const absl::Duration remaining = deadline - clock_.Monotonic();
    if (remaining <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat(ToString(tp), ": no position after ",
                       absl::FormatDuration(options_.default_api_timeout)));
    }
    clock_.SleepFor(std::min(options_.retry_backoff, remaining));
  }
}

absl::Status Consumer::Pause(const std::vector<TopicPartition>& partitions) {
  RETURN_IF_ERROR(CheckAssigned(partitions));
  for (const TopicPartition& tp : partitions) positions_[tp].paused = true;
  return absl::OkStatus();
}

absl::Status Consumer::Resume(const std::vector<TopicPartition>& partitions) {
  RETURN_IF_ERROR(CheckAssigned(partitions));
  for (const TopicPartition& tp : partitions) positions_[tp].paused = false;
  return absl::OkStatus();
}

std::vector<TopicPartition> Consumer::Paused() const {
  std::vector<TopicPartition> out;
  for (const auto& [tp, state] : positions_) {
    if (state.paused) out.push_back(tp);
  }
  return out;
}

}  // namespace karst::client

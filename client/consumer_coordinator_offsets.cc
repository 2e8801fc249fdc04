// ConsumerCoordinator's offset commits and fetches (Java's ConsumerCoordinator
// commitOffsetsSync/commitOffsetsAsync/fetchCommittedOffsets).
#include <poll.h>

#include <algorithm>
#include <utility>

#include "client/consumer_coordinator.h"
#include "client/kafka_error.h"
#include "common/status_macros.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/offset_commit.h"
#include "kafka/protocol/messages/offset_fetch.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;

// OffsetCommit v9 and OffsetFetch v8+ belong to KIP-848 and batched groups.
constexpr int16_t kOffsetCommitMax = 8;
constexpr int16_t kOffsetFetchMax = 7;

bool Readable(int fd) {
  pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
  return ::poll(&p, 1, 0) > 0;
}

int16_t FirstError(const kp::OffsetCommitResponse& response) {
  for (const auto& topic : response.topics) {
    for (const auto& p : topic.partitions) {
      if (p.error_code != 0) return p.error_code;
    }
  }
  return 0;
}

// OffsetCommit with the generation, member id and (for subscribed members)
// group.instance.id, as Java's sendOffsetCommitRequest.
kp::OffsetCommitRequest CommitRequest(const ConsumerOptions& options, CommitMembership membership,
                                      const std::pair<int32_t, std::string>& generation,
                                      const OffsetMap& offsets) {
  kp::OffsetCommitRequest request;
  request.group_id = options.group_id;
  request.generation_id_or_member_epoch = generation.first;
  request.member_id = generation.second;
  if (membership == CommitMembership::kGroupManaged) {
    request.group_instance_id = options.group_instance_id;
  }
  for (const auto& [tp, offset] : offsets) {
    if (request.topics.empty() || request.topics.back().name != tp.topic) {
      request.topics.emplace_back().name = tp.topic;
    }
    auto& p = request.topics.back().partitions.emplace_back();
    p.partition_index = tp.partition;
    p.committed_offset = offset.offset;
    p.committed_metadata = offset.metadata;
  }
  return request;
}

}  // namespace

absl::StatusOr<std::pair<int32_t, std::string>> ConsumerCoordinator::CommitGeneration(
    CommitMembership membership) {
  if (membership == CommitMembership::kManual) {
    return std::pair<int32_t, std::string>{GroupMemberState::kNoGeneration, ""};
  }
  std::unique_lock<std::mutex> lock(mu_);
  if (state_.phase() == GroupMemberState::Phase::kStable) {
    return std::pair<int32_t, std::string>{state_.generation_id(), state_.member_id()};
  }
  // As Java's generationIfStable(): mid-rebalance the partitions may already be moving.
  return absl::FailedPreconditionError(
      absl::StrCat("group ", options_.group_id,
                   ": commit failed: the member is rebalancing (not in a stable generation); "
                   "poll to complete the rebalance, then commit again"));
}

absl::Status ConsumerCoordinator::CommitResult(int16_t error_code) {
  GroupErrorAction action;
  {
    std::unique_lock<std::mutex> lock(mu_);
    action = state_.OnError(error_code);
  }
  const absl::Status error = KafkaErrorStatus(error_code);
  switch (action) {
    case GroupErrorAction::kNone:
      return absl::OkStatus();
    case GroupErrorAction::kFindCoordinator:
      CoordinatorDead();
      return absl::UnavailableError(error.message());
    case GroupErrorAction::kRetry:
      return absl::UnavailableError(error.message());
    case GroupErrorAction::kRejoin:
    case GroupErrorAction::kResetAndRejoin:
      // Java's CommitFailedException (RebalanceInProgressException for REBALANCE_IN_PROGRESS).
      return absl::FailedPreconditionError(absl::StrCat(
          "group ", options_.group_id, ": commit failed: the group rebalanced and the partitions ",
          "may now belong to another member (", error.message(),
          "); poll to rejoin, then commit again"));
    case GroupErrorAction::kFatal:
      break;
  }
  return Annotate(error, absl::StrCat("group ", options_.group_id, ": commit"));
}

absl::Status ConsumerCoordinator::CommitOnce(const OffsetMap& offsets,
                                             CommitMembership membership) {
  ASSIGN_OR_RETURN(const auto generation, CommitGeneration(membership));
  const kp::OffsetCommitRequest request = CommitRequest(options_, membership, generation, offsets);
  kp::OffsetCommitResponse response;
  RETURN_IF_ERROR(CallCoordinator(request, kOffsetCommitMax, &response));
  return CommitResult(FirstError(response));
}

absl::Status ConsumerCoordinator::CommitSync(const OffsetMap& offsets, CommitMembership membership,
                                             absl::Duration deadline) {
  CompleteAsyncCommits(Wait::kYes);
  if (offsets.empty()) return absl::OkStatus();
  absl::Status last = absl::OkStatus();
  do {
    if (!last.ok()) Backoff(deadline);
    RETURN_IF_ERROR(EnsureCoordinator(deadline));
    last = CommitOnce(offsets, membership);
    if (last.ok() || !absl::IsUnavailable(last)) return last;
  } while (clock_.Monotonic() < deadline);
  return absl::DeadlineExceededError(
      absl::StrCat("group ", options_.group_id, ": offset commit timed out: ", last.message()));
}

void ConsumerCoordinator::CommitAsync(const OffsetMap& offsets, CommitMembership membership,
                                      OffsetCommitCallback callback) {
  PendingCommit commit{.offsets = offsets, .callback = std::move(callback)};
  absl::StatusOr<std::pair<int32_t, std::string>> generation = CommitGeneration(membership);
  if (!generation.ok()) {
    commit.status = generation.status();
    completed_.push_back(std::move(commit));
    return;
  }
  // One attempt to find the coordinator; async commits are not retried (as Java's).
  if (absl::Status s = EnsureCoordinator(clock_.Monotonic()); !s.ok()) {
    commit.status = s;
    completed_.push_back(std::move(commit));
    return;
  }
  const kp::OffsetCommitRequest request = CommitRequest(options_, membership, *generation, offsets);
  absl::Status sent = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(const int16_t version,
                     connection_->Version<kp::OffsetCommitRequest>(kOffsetCommitMax));
    return connection_->Begin(request, version).status();
  }();
  if (!sent.ok()) {
    CoordinatorDead();
    commit.status = absl::UnavailableError(sent.message());
    completed_.push_back(std::move(commit));
    return;
  }
  in_flight_.push_back(std::move(commit));
}

void ConsumerCoordinator::CompleteAsyncCommits(Wait wait) {
  while (!in_flight_.empty() && connection_ != nullptr) {
    if (wait == Wait::kNo && !Readable(connection_->fd())) break;
    kp::OffsetCommitResponse response;
    const absl::Status read = connection_->Finish(&response);
    PendingCommit commit = std::move(in_flight_.front());
    in_flight_.pop_front();
    if (!read.ok()) {
      commit.status = absl::UnavailableError(read.message());
      completed_.push_back(std::move(commit));
      CoordinatorDead();  // Fails the rest, whose responses are gone with the link.
      break;
    }
    commit.status = CommitResult(FirstError(response));
    completed_.push_back(std::move(commit));
  }
  // Callbacks may commit again; they see an empty queue.
  std::deque<PendingCommit> due = std::exchange(completed_, {});
  for (PendingCommit& commit : due) {
    if (commit.callback) commit.callback(commit.offsets, commit.status);
  }
}

absl::Status ConsumerCoordinator::FetchOnce(
    const std::vector<TopicPartition>& partitions,
    std::map<TopicPartition, std::optional<OffsetAndMetadata>>* out) {
  kp::OffsetFetchRequest request;
  request.group_id = options_.group_id;
  for (const TopicPartition& tp : partitions) {
    if (request.topics->empty() || request.topics->back().name != tp.topic) {
      request.topics->emplace_back().name = tp.topic;
    }
    request.topics->back().partition_indexes.push_back(tp.partition);
  }
  kp::OffsetFetchResponse response;
  RETURN_IF_ERROR(CallCoordinator(request, kOffsetFetchMax, &response));
  int16_t error = response.error_code;
  for (const auto& topic : response.topics) {
    for (const auto& p : topic.partitions) {
      if (p.error_code != 0) {
        if (error == 0) error = p.error_code;
        continue;
      }
      std::optional<OffsetAndMetadata>& slot =
          (*out)[TopicPartition{topic.name, p.partition_index}];
      if (p.committed_offset >= 0) {
        slot = OffsetAndMetadata{p.committed_offset, p.metadata.value_or("")};
      }
    }
  }
  if (error == 0) return absl::OkStatus();
  // COORDINATOR_LOAD_IN_PROGRESS, UNSTABLE_OFFSET_COMMIT (KIP-447) and a moved coordinator
  // are retried; the rest fail the fetch.
  const GroupErrorAction action = ClassifyGroupError(error);
  if (action == GroupErrorAction::kFindCoordinator) CoordinatorDead();
  const absl::Status status = KafkaErrorStatus(error);
  if (action == GroupErrorAction::kFindCoordinator || action == GroupErrorAction::kRetry) {
    return absl::UnavailableError(status.message());
  }
  return Annotate(status, absl::StrCat("group ", options_.group_id, ": fetch committed offsets"));
}

absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndMetadata>>>
ConsumerCoordinator::FetchCommitted(const std::vector<TopicPartition>& partitions,
                                    absl::Duration deadline) {
  CompleteAsyncCommits(Wait::kYes);
  std::map<TopicPartition, std::optional<OffsetAndMetadata>> out;
  for (const TopicPartition& tp : partitions) out[tp];
  if (partitions.empty()) return out;
  std::vector<TopicPartition> sorted(out.size());
  std::transform(out.begin(), out.end(), sorted.begin(), [](const auto& e) { return e.first; });
  absl::Status last = absl::OkStatus();
  do {
    if (!last.ok()) Backoff(deadline);
    RETURN_IF_ERROR(EnsureCoordinator(deadline));
    last = FetchOnce(sorted, &out);
    if (last.ok()) return out;
    if (!absl::IsUnavailable(last)) return last;
  } while (clock_.Monotonic() < deadline);
  return absl::DeadlineExceededError(absl::StrCat(
      "group ", options_.group_id, ": fetch committed offsets timed out: ", last.message()));
}

}  // namespace karst::client

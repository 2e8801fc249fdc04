// Consumer's group membership (issue #9): subscriptions, the rebalance callbacks around the
// ConsumerCoordinator's joins (Java's ConsumerCoordinator onJoinPrepare, onJoinComplete and
// onLeavePrepare), committed offsets as start positions, and commits.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/consumer.h"
#include "client/kafka_error.h"
#include "client/rebalance_changes.h"
#include "common/status_macros.h"

namespace karst::client {
namespace {

absl::Status NoGroup(absl::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat(what, " needs a consumer group: set group.id in the consumer properties"));
}

}  // namespace

absl::Status Consumer::Subscribe(const std::vector<std::string>& topics,
                                 ConsumerRebalanceListener* listener) {
  if (coordinator_ == nullptr) return NoGroup("subscribe");
  if (subscription_type_ == SubscriptionType::kManual) {
    return absl::FailedPreconditionError(
        "subscribe: subscription to topics, partitions and pattern are mutually exclusive");
  }
  if (topics.empty()) {
    Unsubscribe();
    return absl::OkStatus();
  }
  for (const std::string& topic : topics) {
    if (topic.empty()) return absl::InvalidArgumentError("subscribe: empty topic name");
  }
  subscription_type_ = SubscriptionType::kTopics;
  pattern_.reset();
  subscription_ = std::set<std::string>(topics.begin(), topics.end());
  listener_ = listener;
  next_metadata_refresh_ = clock_.Monotonic() + options_.metadata_max_age;
  return absl::OkStatus();
}

absl::Status Consumer::SubscribePattern(const std::regex& pattern,
                                        ConsumerRebalanceListener* listener) {
  if (coordinator_ == nullptr) return NoGroup("subscribe");
  if (subscription_type_ == SubscriptionType::kManual) {
    return absl::FailedPreconditionError(
        "subscribe: subscription to topics, partitions and pattern are mutually exclusive");
  }
  subscription_type_ = SubscriptionType::kPattern;
  pattern_ = pattern;
  listener_ = listener;
  next_metadata_refresh_ = clock_.Monotonic();  // Match at the next Poll.
  return absl::OkStatus();
}

absl::StatusOr<Consumer::GroupMetadata> Consumer::GetGroupMetadata() const {
  if (coordinator_ == nullptr) {
    return absl::FailedPreconditionError("no group.id: the consumer is not in a group");
  }
  auto [generation, member] = coordinator_->Generation();
  return GroupMetadata{.group_id = options_.group_id,
                       .generation_id = generation,
                       .member_id = std::move(member),
                       .group_instance_id = options_.group_instance_id};
}

void Consumer::Unsubscribe() {
  if (coordinator_ != nullptr && subscribed()) {
    PrepareLeave();
    coordinator_->Leave("the consumer unsubscribed from all topics");
  }
  subscription_type_ = SubscriptionType::kNone;
  subscription_.clear();
  joined_subscription_.clear();
  pattern_.reset();
  listener_ = nullptr;
  join_prepared_ = false;
  positions_.clear();
  buffered_.clear();
}

void Consumer::Close() {
  if (closed_) return;
  closed_ = true;
  if (coordinator_ == nullptr) return;
  if (options_.enable_auto_commit) {
    // Best effort, as Java's close(): a failure is no reason not to leave.
    const absl::Status committed = CommitSync();
    (void)committed;
  }
  coordinator_->CompleteAsyncCommits(ConsumerCoordinator::Wait::kYes);
  if (subscribed()) {
    PrepareLeave();
    coordinator_->Leave("the consumer is being closed");
  }
  coordinator_.reset();  // Joins the heartbeat thread.
}

OffsetMap Consumer::ConsumedOffsets() const {
  OffsetMap offsets;
  for (const auto& [tp, state] : positions_) {
    if (state.awaiting_committed || !state.next.has_value()) continue;
    offsets[tp] = OffsetAndMetadata{*state.next, ""};
  }
  // Records fetched but not returned yet were not consumed: their first offset is the position.
  for (auto it = buffered_.rbegin(); it != buffered_.rend(); ++it) {
    auto found = offsets.find(TopicPartition{it->topic, it->partition});
    if (found != offsets.end()) found->second.offset = it->offset;
  }
  return offsets;
}

absl::Status Consumer::CommitSync() { return CommitSync(ConsumedOffsets()); }

absl::Status Consumer::CommitSync(const OffsetMap& offsets) {
  if (coordinator_ == nullptr) return NoGroup("commit");
  return coordinator_->CommitSync(
      offsets, subscribed() ? CommitMembership::kGroupManaged : CommitMembership::kManual,
      clock_.Monotonic() + options_.default_api_timeout);
}

void Consumer::CommitAsync(OffsetCommitCallback callback) {
  CommitAsync(ConsumedOffsets(), std::move(callback));
}

void Consumer::CommitAsync(const OffsetMap& offsets, OffsetCommitCallback callback) {
  if (coordinator_ == nullptr) {
    if (callback) callback(offsets, NoGroup("commit"));
    return;
  }
  coordinator_->CommitAsync(
      offsets, subscribed() ? CommitMembership::kGroupManaged : CommitMembership::kManual,
      std::move(callback));
}

absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndMetadata>>> Consumer::Committed(
    const std::vector<TopicPartition>& partitions) {
  if (coordinator_ == nullptr) return NoGroup("committed");
  return coordinator_->FetchCommitted(partitions,
                                      clock_.Monotonic() + options_.default_api_timeout);
}

void Consumer::RemovePartitions(const std::vector<TopicPartition>& partitions) {
  for (const TopicPartition& tp : partitions) {
    positions_.erase(tp);
    DropBuffered(tp);
  }
}

absl::Status Consumer::UpdateGroup(absl::Duration deadline) {
  if (coordinator_ == nullptr) return absl::OkStatus();
  coordinator_->NotePoll();
  coordinator_->CompleteAsyncCommits(ConsumerCoordinator::Wait::kNo);
  if (absl::Status fatal = coordinator_->TakeHeartbeatError(); !fatal.ok()) {
    // FENCED_INSTANCE_ID: another consumer took our group.instance.id and our partitions.
    const std::vector<TopicPartition> lost = Assignment();
    RemovePartitions(lost);
    if (listener_ != nullptr && !lost.empty()) listener_->OnPartitionsLost(lost);
    return Annotate(fatal, absl::StrCat("group ", options_.group_id));
  }
  if (subscribed()) {
    // As Java's poll: keep a coordinator, so that heartbeats go on after it moves.
    if (absl::Status s = coordinator_->EnsureCoordinator(deadline); !s.ok()) {
      return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) ? absl::OkStatus() : s;
    }
    MaybeRefreshMetadata();
    if (coordinator_->RejoinNeeded() || subscription_ != joined_subscription_) {
      if (!join_prepared_) {
        PrepareJoin();
        join_prepared_ = true;
      }
      absl::StatusOr<client::Assignment> assignment =
          coordinator_->Join(subscription_, Assignment(), deadline);
      if (!assignment.ok()) {
        // Not joined by the deadline: the next Poll goes on with the rebalance.
        return absl::IsDeadlineExceeded(assignment.status()) ? absl::OkStatus()
                                                             : assignment.status();
      }
      join_prepared_ = false;
      CompleteJoin(*assignment);
    }
  }
  RETURN_IF_ERROR(ResolveCommitted(deadline));
  MaybeAutoCommit();
  return absl::OkStatus();
}

void Consumer::PrepareJoin() {
  if (options_.enable_auto_commit) {
    // As Java's onJoinPrepare: commit what was consumed while the partitions are still ours
    // (the generation is still valid while the group prepares to rebalance). Best effort.
    const absl::Status committed = CommitSync();
    (void)committed;
  }
  const std::vector<TopicPartition> owned = Assignment();
  if (coordinator_->GenerationLost()) {
    // Reset generation: the partitions may already be another member's.
    RemovePartitions(owned);
    if (listener_ != nullptr && !owned.empty()) listener_->OnPartitionsLost(owned);
    return;
  }
  const RebalanceProtocol protocol = coordinator_->protocol();
  const std::vector<TopicPartition> revoked =
      PartitionsToRevokeBeforeJoin(protocol, owned, subscription_);
  RemovePartitions(revoked);
  // Eager: always called, even with nothing owned; cooperative: only for unsubscribed topics.
  if (listener_ != nullptr && (protocol == RebalanceProtocol::kEager || !revoked.empty())) {
    listener_->OnPartitionsRevoked(revoked);
  }
}

void Consumer::CompleteJoin(const client::Assignment& assignment) {
  const AssignmentChanges changes =
      ComputeAssignmentChanges(coordinator_->protocol(), Assignment(), assignment.partitions);
  if (!changes.revoked.empty()) {
    // Cooperative: give up what moved now; the next generation hands it to its new owner.
    RemovePartitions(changes.revoked);
    if (listener_ != nullptr) listener_->OnPartitionsRevoked(changes.revoked);
  }
  for (const TopicPartition& tp : changes.added) {
    positions_[tp] = PartitionState{.awaiting_committed = true};
  }
  joined_subscription_ = subscription_;
  next_auto_commit_ = clock_.Monotonic() + options_.auto_commit_interval;
  if (listener_ != nullptr) listener_->OnPartitionsAssigned(changes.added);
  if (changes.rejoin) coordinator_->RequestRejoin();
}

void Consumer::PrepareLeave() {
  const std::vector<TopicPartition> owned = Assignment();
  const bool lost = coordinator_->GenerationLost();
  RemovePartitions(owned);
  if (listener_ == nullptr || owned.empty()) return;
  if (lost) {
    listener_->OnPartitionsLost(owned);
  } else {
    listener_->OnPartitionsRevoked(owned);
  }
}

absl::Status Consumer::ResolveCommitted(absl::Duration deadline) {
  std::vector<TopicPartition> waiting;
  for (const auto& [tp, state] : positions_) {
    if (state.awaiting_committed) waiting.push_back(tp);
  }
  if (waiting.empty()) return absl::OkStatus();
  absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndMetadata>>> committed =
      coordinator_->FetchCommitted(waiting, deadline);
  if (!committed.ok()) {
    // Retried by the next Poll; only a lasting error is the caller's.
    return absl::IsDeadlineExceeded(committed.status()) || absl::IsUnavailable(committed.status())
               ? absl::OkStatus()
               : committed.status();
  }
  for (const auto& [tp, offset] : *committed) {
    auto it = positions_.find(tp);
    if (it == positions_.end()) continue;
    it->second.awaiting_committed = false;
    it->second.start = offset.has_value() ? StartOffset::At(offset->offset) : StartOffset{};
  }
  return absl::OkStatus();
}

void Consumer::MaybeAutoCommit() {
  if (!options_.enable_auto_commit || clock_.Monotonic() < next_auto_commit_) return;
  next_auto_commit_ = clock_.Monotonic() + options_.auto_commit_interval;
  if (subscribed() && coordinator_->RejoinNeeded()) return;  // Committed before rejoining.
  const OffsetMap offsets = ConsumedOffsets();
  if (!offsets.empty()) CommitAsync(offsets, nullptr);
}

void Consumer::MaybeRefreshMetadata() {
  const absl::Duration now = clock_.Monotonic();
  if (now < next_metadata_refresh_) return;
  const std::vector<std::string> leader_topics = coordinator_->LeaderTopics();
  absl::Status refreshed = absl::OkStatus();
  if (pattern_.has_value()) {
    absl::StatusOr<std::vector<std::string>> topics = pool_.RefreshAll();
    refreshed = topics.status();
    if (topics.ok()) {
      std::set<std::string> matched;
      for (const std::string& topic : *topics) {
        if (std::regex_match(topic, *pattern_)) matched.insert(topic);
      }
      subscription_ = std::move(matched);  // A change rejoins (UpdateGroup).
    }
  } else if (!leader_topics.empty()) {
    refreshed = pool_.Refresh(leader_topics);
    // A topic-level error (a deleted topic) is news for the leader, not a failed refresh.
    if (!KafkaErrorName(refreshed).empty()) refreshed = absl::OkStatus();
  }
  if (!refreshed.ok()) {
    next_metadata_refresh_ = now + options_.retry_backoff;
    return;
  }
  next_metadata_refresh_ = now + options_.metadata_max_age;
  if (coordinator_->LeaderMetadataChanged()) coordinator_->RequestRejoin();
}

}  // namespace karst::client

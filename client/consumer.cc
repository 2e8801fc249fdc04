#include "client/consumer.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "client/kafka_error.h"
#include "common/status_macros.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/fetch.h"
#include "kafka/protocol/messages/list_offsets.h"
#include "kafka/record/record_batch.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;
namespace kr = ::karst::kafka::record;

// Fetch v4 is the first with isolation_level and v2 batches; v12 the last naming topics (v13
// uses topic ids). ListOffsets v1 is the first returning a single offset.
constexpr int16_t kFetchMin = 4;
constexpr int16_t kFetchMax = 12;
constexpr int16_t kListOffsetsMin = 1;
constexpr int16_t kListOffsetsMax = 7;
constexpr int64_t kLatestTimestamp = -1;
constexpr int64_t kEarliestTimestamp = -2;
constexpr int32_t kConsumerReplicaId = -1;

bool Retriable(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsNotFound(s) || absl::IsDeadlineExceeded(s);
}

std::string Name(const TopicPartition& tp) { return absl::StrCat(tp.topic, "-", tp.partition); }

}  // namespace

Consumer::Consumer(ConsumerOptions options, Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      pool_(
          options_.bootstrap_servers,
          ConnectionOptions{.client_id = options_.client_id,
                            .connect_timeout = options_.request_timeout,
                            // A fetch may wait fetch.max.wait.ms on the broker.
                            .request_timeout = options_.request_timeout + options_.fetch_max_wait},
          clock) {}

absl::StatusOr<std::unique_ptr<Consumer>> Consumer::Create(ConsumerOptions options, Clock& clock) {
  if (options.bootstrap_servers.empty()) {
    return absl::InvalidArgumentError("bootstrap.servers is empty");
  }
  std::unique_ptr<Consumer> consumer(new Consumer(std::move(options), clock));
  if (!consumer->options_.group_id.empty()) {
    ASSIGN_OR_RETURN(consumer->coordinator_,
                     ConsumerCoordinator::Create(consumer->options_, consumer->pool_, clock));
    consumer->next_auto_commit_ = clock.Monotonic() + consumer->options_.auto_commit_interval;
  }
  return consumer;
}

Consumer::~Consumer() { Close(); }

absl::StatusOr<int32_t> Consumer::PartitionCount(const std::string& topic) {
  ASSIGN_OR_RETURN(const TopicLayout* layout, pool_.Layout(topic));
  return static_cast<int32_t>(layout->leaders.size());
}

absl::Status Consumer::Assign(
    const std::vector<std::pair<TopicPartition, StartOffset>>& partitions) {
  if (subscribed()) {
    return absl::FailedPreconditionError(
        "assign: subscription to topics, partitions and pattern are mutually exclusive");
  }
  positions_.clear();
  buffered_.clear();
  for (const auto& [tp, start] : partitions) positions_[tp] = PartitionState{.start = start};
  subscription_type_ = partitions.empty() ? SubscriptionType::kNone : SubscriptionType::kManual;
  return absl::OkStatus();
}

std::vector<TopicPartition> Consumer::Assignment() const {
  std::vector<TopicPartition> out;
  for (const auto& [tp, state] : positions_) out.push_back(tp);
  return out;
}

void Consumer::MaybeRefresh() {
  if (!refresh_needed_) return;
  std::set<std::string> topics;
  for (const auto& [tp, position] : positions_) topics.insert(tp.topic);
  // A failed refresh leaves partitions unroutable; they are retried next round.
  refresh_needed_ = !pool_.Refresh({topics.begin(), topics.end()}).ok();
}

void Consumer::DrainBuffered(std::vector<ConsumerRecord>& out) {
  std::deque<ConsumerRecord> kept;
  for (ConsumerRecord& r : buffered_) {
    auto it = positions_.find(TopicPartition{r.topic, r.partition});
    if (it == positions_.end()) continue;  // No longer assigned.
    if (out.size() < static_cast<size_t>(options_.max_poll_records) && !it->second.paused) {
      out.push_back(std::move(r));
    } else {
      kept.push_back(std::move(r));
    }
  }
  buffered_ = std::move(kept);
}

absl::StatusOr<int32_t> Consumer::Leader(const TopicPartition& tp) {
  ASSIGN_OR_RETURN(const TopicLayout* layout, pool_.Layout(tp.topic));
  if (tp.partition < 0 || static_cast<size_t>(tp.partition) >= layout->leaders.size()) {
    return KafkaErrorStatus(static_cast<int16_t>(kp::ErrorCode::kUnknownTopicOrPartition),
                            absl::StrCat("partition ", Name(tp), " does not exist"));
  }
  const int32_t leader = layout->leaders[static_cast<size_t>(tp.partition)];
  if (leader < 0) {
    return KafkaErrorStatus(static_cast<int16_t>(kp::ErrorCode::kLeaderNotAvailable),
                            absl::StrCat(Name(tp), " has no leader"));
  }
  return leader;
}

int32_t Consumer::LeaderEpoch(const TopicPartition& tp) {
  absl::StatusOr<const TopicLayout*> layout = pool_.Layout(tp.topic);
  if (!layout.ok() || static_cast<size_t>(tp.partition) >= (*layout)->leader_epochs.size()) {
    return -1;
  }
  return (*layout)->leader_epochs[static_cast<size_t>(tp.partition)];
}

absl::Status Consumer::ResolvePositions() {
  std::map<int32_t, std::vector<std::pair<TopicPartition, int64_t>>> by_leader;
  for (auto& [tp, position] : positions_) {
    if (position.next.has_value() || position.awaiting_committed) continue;
    StartOffset::Kind kind = position.start.kind;
    if (kind == StartOffset::Kind::kReset) {
      if (options_.auto_offset_reset == OffsetReset::kNone) {
        return KafkaErrorStatus(static_cast<int16_t>(kp::ErrorCode::kOffsetOutOfRange),
                                absl::StrCat(Name(tp),
                                             ": no valid position and "
                                             "auto.offset.reset=none"));
      }
      kind = options_.auto_offset_reset == OffsetReset::kEarliest ? StartOffset::Kind::kEarliest
                                                                  : StartOffset::Kind::kLatest;
    }
    if (kind == StartOffset::Kind::kOffset) {
      position.next = position.start.offset;
      continue;
    }
    absl::StatusOr<int32_t> leader = Leader(tp);
    if (!leader.ok()) {
      if (!Retriable(leader.status())) return leader.status();
      refresh_needed_ = true;
      continue;
    }
    by_leader[*leader].emplace_back(
        tp, kind == StartOffset::Kind::kEarliest ? kEarliestTimestamp : kLatestTimestamp);
  }
  for (const auto& [leader, partitions] : by_leader) {
    kp::ListOffsetsRequest request;
    request.replica_id = kConsumerReplicaId;
    std::map<std::string, size_t> index;
    for (const auto& [tp, timestamp] : partitions) {
      auto [it, inserted] = index.try_emplace(tp.topic, request.topics.size());
      if (inserted) request.topics.emplace_back().name = tp.topic;
      auto& p = request.topics[it->second].partitions.emplace_back();
      p.partition_index = tp.partition;
      p.timestamp = timestamp;
    }
    kp::ListOffsetsResponse response;
    absl::Status s = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(Connection* const c, pool_.ConnectionTo(leader));
      ASSIGN_OR_RETURN(const int16_t version, c->Version(kp::ListOffsetsRequest::kApiKey,
                                                         kListOffsetsMin, kListOffsetsMax));
      return c->Call(request, version, &response);
    }();
    if (!s.ok()) {
      pool_.Drop(leader);
      refresh_needed_ = true;
      backoff_ = std::max(backoff_, options_.reconnect_backoff);
      continue;
    }
    for (const auto& topic : response.topics) {
      for (const auto& p : topic.partitions) {
        auto it = positions_.find(TopicPartition{topic.name, p.partition_index});
        if (it == positions_.end()) continue;
        const absl::Status error = KafkaErrorStatus(p.error_code, std::nullopt);
        if (error.ok()) {
          it->second.next = p.offset;
        } else if (Retriable(error)) {
          refresh_needed_ = true;
          backoff_ = std::max(backoff_, options_.retry_backoff);
        } else {
          return Annotate(error, Name(it->first));
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ConsumerRecord>> Consumer::Poll(absl::Duration timeout) {
  if (closed_) return absl::FailedPreconditionError("poll: the consumer is closed");
  if (positions_.empty() && !subscribed()) {
    return absl::InvalidArgumentError("poll without an assignment or a subscription");
  }
  const absl::Duration deadline = clock_.Monotonic() + timeout;
  std::vector<ConsumerRecord> out;
  for (;;) {
    // As Java's updateAssignmentMetadataIfNeeded: rebalances and commits come first.
    RETURN_IF_ERROR(UpdateGroup(deadline));
    DrainBuffered(out);
    if (!out.empty()) return out;
    if (backoff_ > absl::ZeroDuration()) {
      // After a lost leader or link: wait before asking again, but never past the deadline.
      const absl::Duration remaining = deadline - clock_.Monotonic();
      if (remaining <= absl::ZeroDuration()) return out;
      clock_.SleepFor(std::min(backoff_, remaining));
      backoff_ = absl::ZeroDuration();
    }
    MaybeRefresh();
    RETURN_IF_ERROR(ResolvePositions());
    std::map<int32_t, std::vector<TopicPartition>> by_leader;
    for (const auto& [tp, position] : positions_) {
      // Paused partitions keep their position and buffered records, but are not fetched.
      if (!position.next.has_value() || position.paused) continue;
      absl::StatusOr<int32_t> leader = Leader(tp);
      if (leader.ok()) {
        by_leader[*leader].push_back(tp);
      } else if (Retriable(leader.status())) {
        refresh_needed_ = true;
      } else {
        return leader.status();
      }
    }
    const absl::Duration remaining = deadline - clock_.Monotonic();
    if (by_leader.empty()) {
      if (remaining <= absl::ZeroDuration()) return out;
      clock_.SleepFor(std::min(options_.retry_backoff, remaining));
      continue;
    }
    // Leaders are asked in turn, so each may wait its share of the time left.
    const absl::Duration max_wait = std::clamp(remaining / static_cast<int64_t>(by_leader.size()),
                                               absl::ZeroDuration(), options_.fetch_max_wait);
    std::vector<ConsumerRecord> fetched;
    for (const auto& [leader, partitions] : by_leader) {
      RETURN_IF_ERROR(FetchFrom(leader, partitions,
                                fetched.empty() ? max_wait : absl::ZeroDuration(), fetched));
    }
    for (ConsumerRecord& r : fetched) buffered_.push_back(std::move(r));
    if (clock_.Monotonic() >= deadline) {
      DrainBuffered(out);
      return out;
    }
  }
}

absl::Status Consumer::FetchFrom(int32_t leader, const std::vector<TopicPartition>& partitions,
                                 absl::Duration max_wait, std::vector<ConsumerRecord>& out) {
  kp::FetchRequest request;
  request.replica_id = kConsumerReplicaId;
  request.max_wait_ms = static_cast<int32_t>(absl::ToInt64Milliseconds(max_wait));
  request.min_bytes = options_.fetch_min_bytes;
  request.max_bytes = options_.fetch_max_bytes;
  std::map<std::string, size_t> index;
  for (const TopicPartition& tp : partitions) {
    auto [it, inserted] = index.try_emplace(tp.topic, request.topics.size());
    if (inserted) request.topics.emplace_back().topic = tp.topic;
    auto& p = request.topics[it->second].partitions.emplace_back();
    p.partition = tp.partition;
    p.fetch_offset = *positions_[tp].next;
    p.partition_max_bytes = options_.max_partition_fetch_bytes;
    p.current_leader_epoch = LeaderEpoch(tp);
  }
  kp::FetchResponse response;
  std::string buffer;  // The records in `response` view it.
  absl::Status s = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(Connection* const c, pool_.ConnectionTo(leader));
    ASSIGN_OR_RETURN(const int16_t version,
                     c->Version(kp::FetchRequest::kApiKey, kFetchMin, kFetchMax));
    return c->Call(request, version, &response, &buffer);
  }();
  if (!s.ok()) {
    // The leader may have died: drop the link and look again (follows leader changes).
    pool_.Drop(leader);
    refresh_needed_ = true;
    backoff_ = std::max(backoff_, options_.reconnect_backoff);
    return absl::OkStatus();
  }
  if (absl::Status error = KafkaErrorStatus(response.error_code, std::nullopt); !error.ok()) {
    if (!Retriable(error)) return error;
    refresh_needed_ = true;
    backoff_ = std::max(backoff_, options_.retry_backoff);
    return absl::OkStatus();
  }
  for (const auto& topic : response.responses) {
    for (const auto& p : topic.partitions) {
      const TopicPartition tp{topic.topic, p.partition_index};
      if (positions_.count(tp) == 0 || !positions_[tp].next.has_value()) continue;
      if (p.error_code != 0) {
        RETURN_IF_ERROR(HandleFetchError(tp, p.error_code));
        continue;
      }
      if (p.records.has_value()) RETURN_IF_ERROR(AppendRecords(tp, *p.records, out));
    }
  }
  return absl::OkStatus();
}

absl::Status Consumer::HandleFetchError(const TopicPartition& tp, int16_t error_code) {
  if (error_code == static_cast<int16_t>(kp::ErrorCode::kOffsetOutOfRange)) {
    if (options_.auto_offset_reset == OffsetReset::kNone) {
      return KafkaErrorStatus(error_code,
                              absl::StrCat(Name(tp), ": offset ", *positions_[tp].next,
                                           " is out of range and auto.offset.reset=none"));
    }
    PartitionState& state = positions_[tp];
    state.start = StartOffset{};
    state.next.reset();
    return absl::OkStatus();
  }
  const absl::Status error = KafkaErrorStatus(error_code, std::nullopt);
  // NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH and friends are retriable: find the new leader.
  if (Retriable(error) || error_code == static_cast<int16_t>(kp::ErrorCode::kFencedLeaderEpoch) ||
      error_code == static_cast<int16_t>(kp::ErrorCode::kUnknownLeaderEpoch)) {
    refresh_needed_ = true;
    backoff_ = std::max(backoff_, options_.retry_backoff);
    return absl::OkStatus();
  }
  return Annotate(error, Name(tp));
}

absl::Status Consumer::AppendRecords(const TopicPartition& tp, absl::string_view records,
                                     std::vector<ConsumerRecord>& out) {
  int64_t& next = *positions_[tp].next;
  for (;;) {
    ASSIGN_OR_RETURN(const std::optional<absl::string_view> batch,
                     kr::NextBatch(records, static_cast<size_t>(INT32_MAX)));
    if (!batch.has_value()) break;  // A trailing partial batch comes again next fetch.
    ASSIGN_OR_RETURN(const kr::BatchHeader header, kr::ParseBatchHeader(*batch));
    if (header.last_offset() < next) continue;
    if (header.is_control()) {
      next = header.last_offset() + 1;
      continue;
    }
    absl::StatusOr<std::vector<kr::Record>> decoded = kr::DecodeRecords(*batch);
    if (!decoded.ok()) {
      return Annotate(decoded.status(),
                      absl::StrCat(Name(tp), " batch at offset ", header.base_offset));
    }
    for (kr::Record& r : *decoded) {
      const int64_t offset = header.base_offset + r.offset_delta;
      if (offset < next) continue;
      ConsumerRecord& c = out.emplace_back();
      c.topic = tp.topic;
      c.partition = tp.partition;
      c.offset = offset;
      c.timestamp_type = header.timestamp_type();
      c.timestamp = c.timestamp_type == kr::TimestampType::kLogAppendTime
                        ? header.max_timestamp
                        : header.base_timestamp + r.timestamp_delta;
      c.key = std::move(r.key);
      c.value = std::move(r.value);
      c.headers = std::move(r.headers);
    }
    next = header.last_offset() + 1;
  }
  return absl::OkStatus();
}

}  // namespace karst::client

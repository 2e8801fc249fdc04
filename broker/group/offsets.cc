// OffsetCommit, OffsetFetch, OffsetDelete and offset expiry: Kafka's
// GroupCoordinator.handleCommitOffsets / handleFetchOffsets / handleDeleteOffsets and
// GroupMetadata.removeExpiredOffsets.
#include <algorithm>
#include <utility>

#include "broker/group/group_coordinator.h"
#include "kafka/protocol/consumer_protocol.h"

namespace karst::broker::group {
namespace {

using ErrorCode = kp::ErrorCode;

int16_t Code(ErrorCode e) { return static_cast<int16_t>(e); }

// GroupCoordinator.validateOffsetCommit (non-transactional).
std::optional<ErrorCode> ValidateCommit(const Group& g, const kp::OffsetCommitRequest& request) {
  const int32_t generation = request.generation_id_or_member_epoch;
  if (g.Is(GroupState::kDead)) return ErrorCode::kCoordinatorNotAvailable;
  if (generation >= 0 || !request.member_id.empty() || request.group_instance_id.has_value()) {
    if (request.group_instance_id.has_value()) {
      std::optional<std::string> current = g.StaticMemberId(request.group_instance_id);
      if (!current.has_value()) return ErrorCode::kUnknownMemberId;
      if (*current != request.member_id) return ErrorCode::kFencedInstanceId;
    } else if (!g.Has(request.member_id)) {
      return ErrorCode::kUnknownMemberId;
    }
    if (generation != g.generation_id) return ErrorCode::kIllegalGeneration;
    return std::nullopt;
  }
  // Generation -1 with no member: a simple consumer, allowed only while nobody is a member.
  if (!g.Is(GroupState::kEmpty)) return ErrorCode::kUnknownMemberId;
  return std::nullopt;
}

struct FetchedPartition {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
};

// Requested partitions by topic, in request order; none means all (null topics, v2+).
using Topics = std::vector<std::pair<std::string, std::vector<int32_t>>>;

template <typename RequestTopics>
std::optional<Topics> RequestedTopics(const std::optional<RequestTopics>& topics) {
  if (!topics.has_value()) return std::nullopt;
  Topics out;
  for (const auto& t : *topics) out.emplace_back(t.name, t.partition_indexes);
  return out;
}

// GroupMetadataManager.getOffsets: a partition without a commit (or an unknown or Dead
// group) answers offset -1, no leader epoch and empty metadata, without an error.
std::vector<FetchedPartition> FetchOffsets(const Group* g, const std::optional<Topics>& topics) {
  std::vector<FetchedPartition> out;
  if (g != nullptr && g->Is(GroupState::kDead)) g = nullptr;
  if (!topics.has_value()) {
    if (g == nullptr) return out;
    for (const auto& [tp, v] : g->offsets) {
      out.push_back(
          {tp.topic, tp.partition.value(), v.offset.value(), v.leader_epoch.value(), v.metadata});
    }
    return out;
  }
  for (const auto& [topic, partitions] : *topics) {
    for (int32_t partition : partitions) {
      FetchedPartition& f =
          out.emplace_back(FetchedPartition{.topic = topic, .partition = partition});
      if (g == nullptr) continue;
      auto it = g->offsets.find({topic, PartitionIndex(partition)});
      if (it == g->offsets.end()) continue;
      f.offset = it->second.offset.value();
      f.leader_epoch = it->second.leader_epoch.value();
      f.metadata = it->second.metadata;
    }
  }
  return out;
}

// Groups consecutive partitions of a topic into the response's topic entries (v0-7 and v8+
// use different types with the same fields).
template <typename ResponseTopics>
void FillTopics(const std::vector<FetchedPartition>& fetched, ErrorCode error,
                ResponseTopics& out) {
  for (const FetchedPartition& f : fetched) {
    if (out.empty() || out.back().name != f.topic) out.emplace_back().name = f.topic;
    auto& p = out.back().partitions.emplace_back();
    p.partition_index = f.partition;
    p.committed_offset = f.offset;
    p.committed_leader_epoch = f.leader_epoch;
    p.metadata = f.metadata;
    p.error_code = Code(error);
  }
}

}  // namespace

Answer<kp::OffsetCommitResponse> GroupCoordinator::OffsetCommit(
    const RequestMeta& /*meta*/, const kp::OffsetCommitRequest& request, absl::Time now) {
  Answer<kp::OffsetCommitResponse> out;
  auto answer_all = [&](ErrorCode e) {
    for (const auto& topic : request.topics) {
      auto& t = out.response.topics.emplace_back();
      t.name = topic.name;
      for (const auto& partition : topic.partitions) {
        auto& p = t.partitions.emplace_back();
        p.partition_index = partition.partition_index;
        p.error_code = Code(e);
      }
    }
    return std::move(out);
  };
  if (auto error = CheckCoordinator(request.group_id)) return answer_all(*error);
  Group* g = MutableGroup(request.group_id);
  if (g == nullptr) {
    // No group: a simple consumer's commit creates one; a member's is from a lost generation.
    if (request.generation_id_or_member_epoch >= 0)
      return answer_all(ErrorCode::kIllegalGeneration);
    g = &groups_.emplace(request.group_id, Group(request.group_id, now)).first->second;
  }
  if (auto error = ValidateCommit(*g, request)) return answer_all(*error);
  if (g->Is(GroupState::kCompletingRebalance)) return answer_all(ErrorCode::kRebalanceInProgress);
  if (!g->Is(GroupState::kEmpty)) {
    // Stable or PreparingRebalance: the commit counts as a heartbeat.
    if (Member* m = g->Find(request.member_id)) ScheduleHeartbeat(*m, now);
  }
  const int64_t now_ms = absl::ToUnixMillis(now);
  for (const auto& topic : request.topics) {
    auto& t = out.response.topics.emplace_back();
    t.name = topic.name;
    for (const auto& partition : topic.partitions) {
      auto& p = t.partitions.emplace_back();
      p.partition_index = partition.partition_index;
      const std::string metadata = partition.committed_metadata.value_or("");
      if (static_cast<int64_t>(metadata.size()) > options_.offset_metadata_max_bytes) {
        p.error_code = Code(ErrorCode::kOffsetMetadataTooLarge);
        continue;
      }
      // v1 may carry its own commit time; v2-v4 a retention time (written as value v1).
      const int64_t commit_ms =
          partition.commit_timestamp == -1 ? now_ms : partition.commit_timestamp;
      OffsetCommitValue v{.offset = Offset(partition.committed_offset),
                          .leader_epoch = LeaderEpoch(partition.committed_leader_epoch),
                          .metadata = metadata,
                          .commit_timestamp_ms = commit_ms,
                          .expire_timestamp_ms = request.retention_time_ms == -1
                                                     ? -1
                                                     : now_ms + request.retention_time_ms};
      const TopicPartition tp{topic.name, PartitionIndex(partition.partition_index)};
      StoreOffset(*g, tp, v, out.effects);
      g->offsets[tp] = std::move(v);
      p.error_code = Code(ErrorCode::kNone);
    }
  }
  return out;
}

kp::OffsetFetchResponse GroupCoordinator::OffsetFetch(const RequestMeta& meta,
                                                      const kp::OffsetFetchRequest& request) const {
  kp::OffsetFetchResponse response;
  if (meta.api_version >= 8) {
    for (const auto& group : request.groups) {
      auto& out = response.groups.emplace_back();
      out.group_id = group.group_id;
      if (auto error = CheckCoordinator(group.group_id)) {
        out.error_code = Code(*error);
        continue;
      }
      FillTopics(FetchOffsets(FindGroup(group.group_id), RequestedTopics(group.topics)),
                 ErrorCode::kNone, out.topics);
    }
    return response;
  }
  const std::optional<Topics> topics = RequestedTopics(request.topics);
  const std::optional<ErrorCode> error = CheckCoordinator(request.group_id);
  response.error_code = Code(error.value_or(ErrorCode::kNone));
  if (!error.has_value()) {
    FillTopics(FetchOffsets(FindGroup(request.group_id), topics), ErrorCode::kNone,
               response.topics);
  } else if (meta.api_version < 2 && topics.has_value()) {
    // v0-1 have no top-level error: every requested partition carries it.
    FillTopics(FetchOffsets(nullptr, topics), *error, response.topics);
  }
  return response;
}

Answer<kp::OffsetDeleteResponse> GroupCoordinator::OffsetDelete(
    const kp::OffsetDeleteRequest& request) {
  Answer<kp::OffsetDeleteResponse> out;
  auto group_error = [&](ErrorCode e) {
    out.response.error_code = Code(e);
    return std::move(out);
  };
  if (request.group_id.empty()) return group_error(ErrorCode::kInvalidGroupId);
  if (auto error = CheckCoordinator(request.group_id)) return group_error(*error);
  Group* g = MutableGroup(request.group_id);
  if (g == nullptr || g->Is(GroupState::kDead)) return group_error(ErrorCode::kGroupIdNotFound);
  // An Empty group may drop any offset; a consumer group only those of topics it does not
  // subscribe to; any other non-empty group none.
  const bool consumer = g->protocol_type == kafka::protocol::kConsumerProtocolType;
  if (!g->Is(GroupState::kEmpty) && !consumer) return group_error(ErrorCode::kNonEmptyGroup);
  std::vector<TopicPartition> removed;
  for (const auto& topic : request.topics) {
    auto& t = out.response.topics.emplace_back();
    t.name = topic.name;
    const bool subscribed = !g->Is(GroupState::kEmpty) && g->IsSubscribedToTopic(topic.name);
    for (const auto& partition : topic.partitions) {
      auto& p = t.partitions.emplace_back();
      p.partition_index = partition.partition_index;
      if (subscribed) {
        p.error_code = Code(ErrorCode::kGroupSubscribedToTopic);
        continue;
      }
      const TopicPartition tp{topic.name, PartitionIndex(partition.partition_index)};
      if (g->offsets.erase(tp) > 0) removed.push_back(tp);
      p.error_code = Code(ErrorCode::kNone);
    }
  }
  CleanupGroup(*g, removed, out.effects);
  return out;
}

void GroupCoordinator::ExpireOffsets(absl::Time now, Effects& fx) {
  const int64_t now_ms = absl::ToUnixMillis(now);
  const int64_t retention_ms = absl::ToInt64Milliseconds(options_.offsets_retention);
  std::vector<std::string> ids;
  for (const auto& [id, g] : groups_) {
    if (IsActive(PartitionFor(id))) ids.push_back(id);
  }
  for (const std::string& id : ids) {
    Group& g = *MutableGroup(id);
    // GroupMetadata.removeExpiredOffsets: which clock each kind of group uses.
    std::optional<int64_t> base_ms;  // none: per-commit timestamp
    bool eligible = true;
    bool skip_subscribed = false;
    if (g.protocol_type.has_value() && g.Is(GroupState::kEmpty)) {
      if (g.state_timestamp().has_value()) base_ms = absl::ToUnixMillis(*g.state_timestamp());
    } else if (g.protocol_type == kafka::protocol::kConsumerProtocolType &&
               g.subscribed_topics().has_value() && g.Is(GroupState::kStable)) {
      skip_subscribed = true;
    } else if (g.protocol_type.has_value()) {
      eligible = false;
    }
    std::vector<TopicPartition> removed;
    if (eligible) {
      for (const auto& [tp, v] : g.offsets) {
        if (skip_subscribed && g.subscribed_topics()->contains(tp.topic)) continue;
        const bool expired = v.expire_timestamp_ms >= 0
                                 ? now_ms >= v.expire_timestamp_ms
                                 : now_ms - base_ms.value_or(v.commit_timestamp_ms) >= retention_ms;
        if (expired) removed.push_back(tp);
      }
    }
    for (const TopicPartition& tp : removed) g.offsets.erase(tp);
    if (g.Is(GroupState::kEmpty) && g.offsets.empty()) g.TransitionTo(GroupState::kDead, now);
    if (!removed.empty() || g.Is(GroupState::kDead)) CleanupGroup(g, removed, fx);
  }
}

}  // namespace karst::broker::group

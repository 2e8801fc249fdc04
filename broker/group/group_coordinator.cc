// Shared parts of the coordinator: partition ownership checks, Tick, records, snapshots.
#include "broker/group/group_coordinator.h"

#include <algorithm>
#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "broker/group/group_partitioner.h"

namespace karst::broker::group {

void Effects::Append(Effects other) {
  for (auto& r : other.records) records.push_back(std::move(r));
  for (auto& j : other.join_responses) join_responses.push_back(std::move(j));
  for (auto& s : other.sync_responses) sync_responses.push_back(std::move(s));
  for (auto& r : other.rebalances) rebalances.push_back(std::move(r));
}

GroupCoordinator::GroupCoordinator(Options options) : options_(std::move(options)) {
  ABSL_RAW_CHECK(options_.offsets_topic_num_partitions > 0,
                 "group coordinator: offsets.topic.num.partitions must be positive");
  ABSL_RAW_CHECK(options_.new_uuid != nullptr, "group coordinator: new_uuid is required");
}

PartitionIndex GroupCoordinator::PartitionFor(absl::string_view group_id) const {
  return PartitionForGroup(group_id, options_.offsets_topic_num_partitions);
}

bool GroupCoordinator::IsLoading(PartitionIndex partition) const {
  auto it = partitions_.find(partition);
  return it != partitions_.end() && it->second.loading;
}

bool GroupCoordinator::IsActive(PartitionIndex partition) const {
  auto it = partitions_.find(partition);
  return it != partitions_.end() && !it->second.loading;
}

std::optional<kp::ErrorCode> GroupCoordinator::CheckCoordinator(absl::string_view group_id) const {
  auto it = partitions_.find(PartitionFor(group_id));
  if (it == partitions_.end()) return kp::ErrorCode::kNotCoordinator;
  if (it->second.loading) return kp::ErrorCode::kCoordinatorLoadInProgress;
  return std::nullopt;
}

const Group* GroupCoordinator::FindGroup(absl::string_view group_id) const {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : &it->second;
}

Group* GroupCoordinator::MutableGroup(absl::string_view group_id) {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : &it->second;
}

void GroupCoordinator::StoreGroup(const Group& g, Effects& fx) const {
  fx.records.push_back({.partition = PartitionFor(g.group_id()),
                        .key = EncodeGroupMetadataKey({.group = g.group_id()}),
                        .value = EncodeGroupMetadataValue(g.ToRecord())});
}

void GroupCoordinator::StoreOffset(const Group& g, const TopicPartition& tp,
                                   const OffsetCommitValue& v, Effects& fx) const {
  fx.records.push_back({.partition = PartitionFor(g.group_id()),
                        .key = EncodeOffsetCommitKey(
                            {.group = g.group_id(), .topic = tp.topic, .partition = tp.partition}),
                        .value = EncodeOffsetCommitValue(v)});
}

void GroupCoordinator::CleanupGroup(Group& g, const std::vector<TopicPartition>& removed,
                                    Effects& fx) {
  // GroupMetadataManager.cleanupGroupMetadata: offset tombstones, then the group's.
  const PartitionIndex partition = PartitionFor(g.group_id());
  for (const TopicPartition& tp : removed) {
    fx.records.push_back(
        {.partition = partition,
         .key = EncodeOffsetCommitKey(
             {.group = g.group_id(), .topic = tp.topic, .partition = tp.partition}),
         .value = std::nullopt});
  }
  if (g.Is(GroupState::kDead)) {
    fx.records.push_back({.partition = partition,
                          .key = EncodeGroupMetadataKey({.group = g.group_id()}),
                          .value = std::nullopt});
    groups_.erase(g.group_id());
  }
}

Effects GroupCoordinator::Tick(absl::Time now) {
  Effects fx;
  std::vector<std::string> ids;
  for (const auto& [id, g] : groups_) ids.push_back(id);
  for (const std::string& id : ids) {
    Group* g = MutableGroup(id);
    if (g != nullptr) TickGroup(*g, now, fx);
  }
  // The first Tick starts the retention clock, as Kafka's scheduler does at startup.
  if (!next_offsets_expiry_.has_value()) {
    next_offsets_expiry_ = now + options_.offsets_retention_check_interval;
  } else if (now >= *next_offsets_expiry_) {
    ExpireOffsets(now, fx);
    next_offsets_expiry_ = now + options_.offsets_retention_check_interval;
  }
  return fx;
}

absl::Time GroupCoordinator::NextDeadline() const {
  absl::Time next = next_offsets_expiry_.value_or(absl::InfiniteFuture());
  for (const auto& [id, g] : groups_) {
    if (g.join_deadline.has_value()) next = std::min(next, *g.join_deadline);
    if (g.sync_deadline.has_value()) next = std::min(next, *g.sync_deadline);
    for (const auto& [member_id, deadline] : g.pending_members) next = std::min(next, deadline);
    for (const Member& m : g.members) next = std::min(next, m.heartbeat_deadline);
  }
  return next;
}

std::vector<GroupSnapshot> GroupCoordinator::Snapshot() const {
  std::vector<GroupSnapshot> out;
  for (const auto& [id, g] : groups_) {
    GroupSnapshot& s = out.emplace_back();
    s.group_id = id;
    s.state = g.state();
    s.metadata = g.ToRecord();
    if (!g.Is(GroupState::kEmpty) || !g.protocol_type.has_value()) {
      s.metadata.current_state_timestamp_ms = -1;
    }
    s.offsets = g.offsets;
  }
  return out;
}

}  // namespace karst::broker::group

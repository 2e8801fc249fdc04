// Loading an offsets partition: Kafka's GroupMetadataManager.loadGroupsAndOffsets. Records are
// replayed in log order into a buffer (the latest value per key wins; a tombstone removes),
// then CompleteLoad builds the groups, as a new coordinator does before answering.
#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/str_cat.h"
#include "broker/group/group_coordinator.h"
#include "common/status_macros.h"

namespace karst::broker::group {

void GroupCoordinator::BeginLoad(PartitionIndex partition) {
  ABSL_RAW_CHECK(!partitions_.contains(partition),
                 "group coordinator: BeginLoad of a partition already loading or active");
  partitions_[partition] = PartitionState{};
}

absl::Status GroupCoordinator::Replay(PartitionIndex partition, absl::string_view key,
                                      std::optional<absl::string_view> value) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end() || !it->second.loading) {
    return absl::FailedPreconditionError(
        absl::StrCat("offsets partition ", partition.value(), ": replay while not loading"));
  }
  LoadBuffer& buffer = it->second.buffer;
  ASSIGN_OR_RETURN(OffsetsKey decoded, DecodeOffsetsKey(key));
  if (const auto* k = std::get_if<OffsetCommitKey>(&decoded)) {
    auto& slot = buffer.offsets[{k->group, TopicPartition{k->topic, k->partition}}];
    if (!value.has_value()) {
      slot.reset();
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(slot, DecodeOffsetCommitValue(*value));
    return absl::OkStatus();
  }
  const auto& k = std::get<GroupMetadataKey>(decoded);
  auto& slot = buffer.groups[k.group];
  if (!value.has_value()) {
    slot.reset();
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(slot, DecodeGroupMetadataValue(*value));
  return absl::OkStatus();
}

void GroupCoordinator::CompleteLoad(PartitionIndex partition, absl::Time now) {
  auto it = partitions_.find(partition);
  ABSL_RAW_CHECK(it != partitions_.end() && it->second.loading,
                 "group coordinator: CompleteLoad of a partition not loading");
  LoadBuffer buffer = std::move(it->second.buffer);
  it->second = PartitionState{.loading = false};
  for (auto& [id, value] : buffer.groups) {
    if (!value.has_value()) continue;
    Group g(id, now);
    g.LoadFrom(*value);
    // GroupCoordinator.onGroupLoaded: every member's session starts now.
    for (Member& m : g.members) ScheduleHeartbeat(m, now);
    groups_.insert_or_assign(id, std::move(g));
  }
  for (auto& [key, value] : buffer.offsets) {
    if (!value.has_value()) continue;
    const auto& [group_id, tp] = key;
    // Offsets without group metadata belong to a simple consumer's Empty group.
    Group& g = groups_.try_emplace(group_id, group_id, now).first->second;
    g.offsets[tp] = std::move(*value);
  }
  for (auto& [id, g] : groups_) {
    if (PartitionFor(id) != partition || !g.Is(GroupState::kStable)) continue;
    if (static_cast<int64_t>(g.members.size()) > options_.group_max_size) {
      // A lowered group.max.size: rebalance so that the extra members are turned away.
      Effects ignored;
      PrepareRebalance(g, now, ignored);
    }
  }
  if (!next_offsets_expiry_.has_value()) {
    next_offsets_expiry_ = now + options_.offsets_retention_check_interval;
  }
}

absl::Status GroupCoordinator::Load(PartitionIndex partition,
                                    absl::Span<const OffsetsRecord> records, absl::Time now) {
  BeginLoad(partition);
  for (const OffsetsRecord& r : records) {
    std::optional<absl::string_view> value;
    if (r.value.has_value()) value = *r.value;
    RETURN_IF_ERROR(Annotate(Replay(partition, r.key, value),
                             absl::StrCat("offsets partition ", partition.value())));
  }
  CompleteLoad(partition, now);
  return absl::OkStatus();
}

Effects GroupCoordinator::Unload(PartitionIndex partition) {
  Effects fx;
  partitions_.erase(partition);
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (PartitionFor(it->first) != partition) {
      ++it;
      continue;
    }
    // GroupCoordinator.onGroupUnloaded: waiting members go find the new coordinator.
    for (Member& m : it->second.members) {
      if (m.awaiting_join.has_value()) {
        kp::JoinGroupResponse r;
        r.error_code = static_cast<int16_t>(kp::ErrorCode::kNotCoordinator);
        r.member_id = m.member_id;
        r.protocol_type = std::nullopt;
        r.protocol_name = std::nullopt;
        fx.join_responses.emplace_back(*m.awaiting_join, std::move(r));
      }
      if (m.awaiting_sync.has_value()) {
        kp::SyncGroupResponse r;
        r.error_code = static_cast<int16_t>(kp::ErrorCode::kNotCoordinator);
        fx.sync_responses.emplace_back(*m.awaiting_sync, std::move(r));
      }
    }
    it = groups_.erase(it);
  }
  return fx;
}

}  // namespace karst::broker::group

// The pure core of Kafka's classic group coordinator (GroupCoordinator + GroupMetadataManager):
// JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups,
// ListGroups, DeleteGroups and OffsetDelete for the groups of the __consumer_offsets partitions
// this broker leads. No I/O, threads or clock: time comes in as `now`, timeouts are deadlines
// that Tick(now) fires, and results come out as values. Single-threaded; the driver serializes.
//
// Driver contract, for every call that returns Effects:
//   1. append `records` (in order) to their offsets partition, acks=all;
//   2. then deliver the responses (the call's own and the delayed join/sync ones).
// If an append fails, the driver Unload()s that partition (its state is rebuilt by whoever
// leads next) and answers that call's requests NOT_COORDINATOR. Call Tick(now) by
// NextDeadline(). A JoinGroup or SyncGroup is answered exactly once, now or in a later
// Effects, under the RequestId the driver gave it (also on Unload, with NOT_COORDINATOR).
#ifndef KARST_BROKER_GROUP_GROUP_COORDINATOR_H_
#define KARST_BROKER_GROUP_GROUP_COORDINATOR_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "broker/group/group.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/all.h"

namespace karst::broker::group {

namespace kp = ::karst::kafka::protocol;

// Who asked: the request header's version and client id, the connection's host.
struct RequestMeta {
  RequestId request_id;
  int16_t api_version = 0;
  std::string client_id;
  std::string client_host;
};

// A record for __consumer_offsets: key and value as offsets_records.h encodes them; a null
// value is a tombstone.
struct OffsetsRecord {
  PartitionIndex partition;
  std::string key;
  std::optional<std::string> value;
  bool operator==(const OffsetsRecord&) const = default;
};

// A rebalance that ended with a new generation (for metrics): how long the group spent in
// PreparingRebalance.
struct CompletedRebalance {
  std::string group_id;
  int32_t generation_id = 0;
  absl::Duration duration;
  bool operator==(const CompletedRebalance&) const = default;
};

struct Effects {
  std::vector<OffsetsRecord> records;
  std::vector<std::pair<RequestId, kp::JoinGroupResponse>> join_responses;
  std::vector<std::pair<RequestId, kp::SyncGroupResponse>> sync_responses;
  std::vector<CompletedRebalance> rebalances;
  void Append(Effects other);
};

template <typename Response>
struct Answer {
  Response response;
  Effects effects;
};

// What survives in __consumer_offsets, for comparing a coordinator with its replay. The
// state timestamp is kept only for Empty groups with a protocol type: a Stable group's record
// holds the time of its CompletingRebalance transition, and a simple consumer's group has no
// record at all.
struct GroupSnapshot {
  std::string group_id;
  GroupState state;
  GroupMetadataValue metadata;
  std::map<TopicPartition, OffsetCommitValue> offsets;
  bool operator==(const GroupSnapshot&) const = default;
};

class GroupCoordinator {
 public:
  // Kafka's broker configs of the same names.
  struct Options {
    int32_t offsets_topic_num_partitions = 50;
    absl::Duration group_min_session_timeout = absl::Seconds(6);
    absl::Duration group_max_session_timeout = absl::Minutes(30);
    absl::Duration group_initial_rebalance_delay = absl::Seconds(3);
    int32_t group_max_size = std::numeric_limits<int32_t>::max();
    absl::Duration offsets_retention = absl::Hours(24 * 7);
    absl::Duration offsets_retention_check_interval = absl::Minutes(10);
    int32_t offset_metadata_max_bytes = 4096;
    // Kafka's GroupCoordinator.NewMemberJoinTimeoutMs.
    absl::Duration new_member_join_timeout = absl::Minutes(5);
    // Returns a fresh UUID string for member ids (`<client.id>-<uuid>`). REQUIRED.
    std::function<std::string()> new_uuid;
  };

  explicit GroupCoordinator(Options options);

  // --- Offsets partitions (load.cc). A partition is unknown (NOT_COORDINATOR), loading
  // (COORDINATOR_LOAD_IN_PROGRESS) or active. REQUIRES for BeginLoad: not loading or active.
  void BeginLoad(PartitionIndex partition);
  // Replays one record of a loading partition, in log order. kInvalidArgument for a record
  // that does not decode, e.g. KIP-848 record types (Kafka logs and skips those),
  // kFailedPrecondition when the partition is not loading.
  absl::Status Replay(PartitionIndex partition, absl::string_view key,
                      std::optional<absl::string_view> value);
  // Builds the groups from the replayed records; members' sessions start at `now`.
  void CompleteLoad(PartitionIndex partition, absl::Time now);
  // BeginLoad, Replay of each record, CompleteLoad. Stops at the first bad record and leaves
  // the partition loading (Unload drops it).
  absl::Status Load(PartitionIndex partition, absl::Span<const OffsetsRecord> records,
                    absl::Time now);
  // Forgets the partition's groups; waiting joins and syncs get NOT_COORDINATOR.
  Effects Unload(PartitionIndex partition);
  bool IsLoading(PartitionIndex partition) const;
  bool IsActive(PartitionIndex partition) const;
  PartitionIndex PartitionFor(absl::string_view group_id) const;

  // --- Membership (rebalance.cc, membership.cc). Join and sync responses come in Effects.
  Effects JoinGroup(const RequestMeta& meta, const kp::JoinGroupRequest& request, absl::Time now);
  Effects SyncGroup(const RequestMeta& meta, const kp::SyncGroupRequest& request, absl::Time now);
  kp::HeartbeatResponse Heartbeat(const RequestMeta& meta, const kp::HeartbeatRequest& request,
                                  absl::Time now);
  Answer<kp::LeaveGroupResponse> LeaveGroup(const RequestMeta& meta,
                                            const kp::LeaveGroupRequest& request, absl::Time now);

  // --- Offsets (offsets.cc). Unknown topics are the handler's check, not the core's.
  Answer<kp::OffsetCommitResponse> OffsetCommit(const RequestMeta& meta,
                                                const kp::OffsetCommitRequest& request,
                                                absl::Time now);
  kp::OffsetFetchResponse OffsetFetch(const RequestMeta& meta,
                                      const kp::OffsetFetchRequest& request) const;
  Answer<kp::OffsetDeleteResponse> OffsetDelete(const kp::OffsetDeleteRequest& request);

  // --- Administration (admin.cc).
  kp::DescribeGroupsResponse DescribeGroups(const kp::DescribeGroupsRequest& request) const;
  kp::ListGroupsResponse ListGroups(const kp::ListGroupsRequest& request) const;
  Answer<kp::DeleteGroupsResponse> DeleteGroups(const kp::DeleteGroupsRequest& request,
                                                absl::Time now);

  // --- Time (group_coordinator.cc). Fires every deadline at or before `now`: session and
  // new-member expiry, join-phase end (rebalance timeout, initial delay), sync-phase expiry,
  // and every offsets.retention.check.interval the offset expiry.
  Effects Tick(absl::Time now);
  // The earliest deadline pending; InfiniteFuture if none.
  absl::Time NextDeadline() const;

  // --- Inspection, for tests and metrics.
  const Group* FindGroup(absl::string_view group_id) const;
  std::vector<GroupSnapshot> Snapshot() const;

 private:
  struct LoadBuffer {
    std::map<std::string, std::optional<GroupMetadataValue>> groups;
    std::map<std::pair<std::string, TopicPartition>, std::optional<OffsetCommitValue>> offsets;
  };
  struct PartitionState {
    bool loading = true;
    LoadBuffer buffer;
  };

  // Kafka's validateGroupStatus: NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS.
  std::optional<kp::ErrorCode> CheckCoordinator(absl::string_view group_id) const;
  Group* MutableGroup(absl::string_view group_id);

  // rebalance.cc
  void JoinNewMember(Group& g, const RequestMeta& meta, const kp::JoinGroupRequest& request,
                     int32_t rebalance_timeout_ms, absl::Time now, Effects& fx);
  void JoinCurrentMember(Group& g, const RequestMeta& meta, const kp::JoinGroupRequest& request,
                         int32_t rebalance_timeout_ms, absl::Time now, Effects& fx);
  void JoinStaticMember(Group& g, const RequestMeta& meta, const kp::JoinGroupRequest& request,
                        const std::string& member_id, int32_t rebalance_timeout_ms, absl::Time now,
                        Effects& fx);
  void AddMemberAndRebalance(Group& g, const RequestMeta& meta, const kp::JoinGroupRequest& request,
                             const std::string& member_id, int32_t rebalance_timeout_ms,
                             absl::Time now, Effects& fx);
  void UpdateMemberAndRebalance(Group& g, Member& m, const RequestMeta& meta,
                                const kp::JoinGroupRequest& request, int32_t rebalance_timeout_ms,
                                absl::Time now, Effects& fx);
  void MaybePrepareRebalance(Group& g, absl::Time now, Effects& fx);
  void PrepareRebalance(Group& g, absl::Time now, Effects& fx);
  void TryCompleteJoin(Group& g, absl::Time now, Effects& fx);
  void CompleteJoin(Group& g, absl::Time now, Effects& fx);
  void SetAndPropagateAssignment(Group& g, const kp::SyncGroupRequest& request, absl::Time now,
                                 Effects& fx);
  void ResetAndPropagateAssignmentError(Group& g, kp::ErrorCode error, Effects& fx);
  kp::JoinGroupResponse CurrentJoinResult(const Group& g, const Member& m) const;
  // membership.cc
  void RemoveMemberAndUpdateGroup(Group& g, const std::string& member_id, absl::Time now,
                                  Effects& fx);
  void RemovePendingMemberAndUpdateGroup(Group& g, const std::string& member_id, absl::Time now,
                                         Effects& fx);
  void ScheduleHeartbeat(Member& m, absl::Time now) const;
  void TickGroup(Group& g, absl::Time now, Effects& fx);
  void ExpirePendingSync(Group& g, absl::Time now, Effects& fx);
  // offsets.cc, admin.cc
  void ExpireOffsets(absl::Time now, Effects& fx);
  void StoreGroup(const Group& g, Effects& fx) const;
  void StoreOffset(const Group& g, const TopicPartition& tp, const OffsetCommitValue& v,
                   Effects& fx) const;
  // Tombstones for `removed` offsets and, if the group is Dead, for the group (then erased).
  void CleanupGroup(Group& g, const std::vector<TopicPartition>& removed, Effects& fx);

  Options options_;
  std::map<PartitionIndex, PartitionState> partitions_;
  std::map<std::string, Group, std::less<>> groups_;
  std::optional<absl::Time> next_offsets_expiry_;
};

}  // namespace karst::broker::group

#endif  // KARST_BROKER_GROUP_GROUP_COORDINATOR_H_

// Loading __consumer_offsets: replaying what a coordinator wrote rebuilds the same groups and
// offsets; records Kafka wrote in older versions load too; loading and unloading semantics.
#include "broker/group/offsets_records.h"
#include "broker/group/testing/coordinator_harness.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::broker::group {
namespace {

using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using testing::Code;
using ::testing::ElementsAre;
using testing::Harness;
using E = kp::ErrorCode;

// Replays `h`'s whole log into a fresh coordinator and compares snapshots.
void ExpectReplayMatches(Harness& h) {
  Harness fresh(h.options());
  fresh.c().Unload(PartitionIndex(0));
  ASSERT_THAT(fresh.c().Load(PartitionIndex(0), h.log, h.now), IsOk());
  EXPECT_EQ(fresh.c().Snapshot(), h.c().Snapshot());
}

TEST(Load, ReplayRebuildsTheSameGroupsAndOffsets) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("stable", 2);
  h.Commit("stable", ids[0], 1, "t", 0, 10);
  h.Commit("stable", ids[1], 1, "t", 1, 11);
  h.Commit("stable", ids[1], 1, "t", 1, 12);  // the later commit wins
  ExpectReplayMatches(h);

  // A static member restarts (new id persisted), a group empties, a simple consumer
  // commits, offsets and a group are deleted.
  const uint64_t s = h.Join("static", {.instance_id = "i1"});
  h.Advance(absl::Seconds(3));
  const std::string sid = h.joins[s].member_id;
  h.Sync("static", sid, 1, {{sid, "ps"}}, "i1");
  h.Join("static", {.instance_id = "i1"});
  h.StableGroup("emptied", 1);
  kp::LeaveGroupRequest leave;
  leave.group_id = "emptied";
  leave.member_id = h.c().FindGroup("emptied")->members[0].member_id;
  h.Take(h.c().LeaveGroup(h.Meta(1), leave, h.now).effects);
  h.Commit("simple", "", -1, "t", 0, 1);
  h.Commit("simple", "", -1, "u", 0, 2);
  h.Commit("deleted", "", -1, "t", 0, 3);
  kp::DeleteGroupsRequest del;
  del.groups_names = {"deleted"};
  h.Take(h.c().DeleteGroups(del, h.now).effects);
  kp::OffsetDeleteRequest od;
  od.group_id = "simple";
  auto& t = od.topics.emplace_back();
  t.name = "u";
  t.partitions.emplace_back().partition_index = 0;
  h.Take(h.c().OffsetDelete(od).effects);

  std::vector<std::string> groups;
  for (const GroupSnapshot& g : h.c().Snapshot()) groups.push_back(g.group_id);
  EXPECT_THAT(groups, ElementsAre("emptied", "simple", "stable", "static"));
  ExpectReplayMatches(h);
}

TEST(Load, LoadedMembersSessionsStartAtLoadTime) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 1);
  Harness fresh(h.options());
  fresh.c().Unload(PartitionIndex(0));
  fresh.now = h.now + absl::Hours(1);
  ASSERT_THAT(fresh.c().Load(PartitionIndex(0), h.log, fresh.now), IsOk());
  EXPECT_EQ(fresh.Heartbeat("g", ids[0], 1), 0);
  EXPECT_EQ(fresh.syncs[fresh.Sync("g", ids[0], 1)].assignment, "assignment-" + ids[0]);
  fresh.Advance(absl::Seconds(11));
  EXPECT_TRUE(fresh.c().FindGroup("g")->Is(GroupState::kEmpty));  // the session expired
}

TEST(Load, RequestsWaitForTheLoad) {
  Harness h;
  h.c().Unload(PartitionIndex(0));
  EXPECT_FALSE(h.c().IsActive(PartitionIndex(0)));
  EXPECT_THAT(h.c().Replay(PartitionIndex(0), EncodeGroupMetadataKey({"g"}), std::nullopt),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  h.c().BeginLoad(PartitionIndex(0));
  EXPECT_TRUE(h.c().IsLoading(PartitionIndex(0)));
  EXPECT_EQ(h.joins[h.Join("g", {})].error_code, Code(E::kCoordinatorLoadInProgress));
  EXPECT_EQ(Harness::CommitError(h.Commit("g", "", -1, "t", 0, 1)),
            Code(E::kCoordinatorLoadInProgress));
  EXPECT_THAT(h.c().Replay(PartitionIndex(0), "\x00\x07", std::nullopt),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(h.c().Replay(PartitionIndex(0), EncodeGroupMetadataKey({"g"}),
                           absl::string_view("\x00\x03", 2)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  h.c().CompleteLoad(PartitionIndex(0), h.now);
  EXPECT_TRUE(h.c().IsActive(PartitionIndex(0)));
  EXPECT_EQ(h.joins[h.Join("g", {})].error_code, Code(E::kMemberIdRequired));
}

TEST(Load, TombstonesAndOlderRecordVersions) {
  // Records as an older Kafka wrote them: group metadata value v0 (no rebalance timeout, no
  // state timestamp), offset value v1 (with expire timestamp), then a tombstone.
  GroupMetadataValue v0{.protocol_type = "consumer",
                        .generation = 7,
                        .protocol = std::string("range"),
                        .leader = std::string("m1"),
                        .members = {{.member_id = "m1",
                                     .client_id = "c",
                                     .client_host = "h",
                                     .rebalance_timeout_ms = 30000,
                                     .session_timeout_ms = 30000,
                                     .subscription = testing::Subscription({"t"}),
                                     .assignment = "a"}}};
  const OffsetCommitValue offset{
      .offset = Offset(9), .metadata = "x", .commit_timestamp_ms = 1, .expire_timestamp_ms = 2};
  std::string old_key = EncodeOffsetCommitKey({"g", "t", PartitionIndex(0)});
  old_key[1] = 0;  // key version 0
  const std::vector<OffsetsRecord> log = {
      {PartitionIndex(0), EncodeGroupMetadataKey({"g"}), EncodeGroupMetadataValue(v0, 0)},
      {PartitionIndex(0), old_key, EncodeOffsetCommitValue(offset, 1)},
      {PartitionIndex(0), EncodeOffsetCommitKey({"g", "t", PartitionIndex(1)}),
       EncodeOffsetCommitValue(offset)},
      {PartitionIndex(0), EncodeOffsetCommitKey({"g", "t", PartitionIndex(1)}), std::nullopt},
      {PartitionIndex(0), EncodeGroupMetadataKey({"gone"}), EncodeGroupMetadataValue(v0)},
      {PartitionIndex(0), EncodeGroupMetadataKey({"gone"}), std::nullopt},
  };
  Harness h;
  h.c().Unload(PartitionIndex(0));
  ASSERT_THAT(h.c().Load(PartitionIndex(0), log, h.now), IsOk());
  const Group* g = h.c().FindGroup("g");
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(g->Is(GroupState::kStable));
  EXPECT_EQ(g->generation_id, 7);
  EXPECT_EQ(g->leader_id, "m1");
  EXPECT_FALSE(g->state_timestamp().has_value());
  EXPECT_EQ(g->members[0].rebalance_timeout_ms, 30000);
  EXPECT_EQ(g->offsets.size(), 1u);
  EXPECT_EQ(g->offsets.at({"t", PartitionIndex(0)}), offset);
  EXPECT_EQ(h.c().FindGroup("gone"), nullptr);
}

TEST(Load, GroupOverALoweredMaxSizeRebalances) {
  Harness h;
  h.StableGroup("g", 3);
  GroupCoordinator::Options o = h.options();
  o.group_max_size = 2;
  Harness fresh(o);
  fresh.c().Unload(PartitionIndex(0));
  ASSERT_THAT(fresh.c().Load(PartitionIndex(0), h.log, h.now), IsOk());
  EXPECT_TRUE(fresh.c().FindGroup("g")->Is(GroupState::kPreparingRebalance));
}

TEST(Load, UnloadAnswersWaitingRequestsNotCoordinator) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 2);
  const uint64_t join = h.Rejoin("g", ids[0]);
  h.Take(h.c().Unload(PartitionIndex(0)));
  EXPECT_EQ(h.joins[join].error_code, Code(E::kNotCoordinator));
  EXPECT_EQ(h.c().FindGroup("g"), nullptr);
  EXPECT_EQ(h.Heartbeat("g", ids[1], 1), Code(E::kNotCoordinator));

  Harness h2;
  const uint64_t a = h2.JoinNew("g", {.client_id = "a"});
  const uint64_t b = h2.JoinNew("g", {.client_id = "b"});
  h2.Advance(absl::Seconds(6));
  const uint64_t sync = h2.Sync("g", h2.joins[b].member_id, 1);
  ASSERT_TRUE(h2.joins.contains(a));
  h2.Take(h2.c().Unload(PartitionIndex(0)));
  EXPECT_EQ(h2.syncs[sync].error_code, Code(E::kNotCoordinator));
}

}  // namespace
}  // namespace karst::broker::group

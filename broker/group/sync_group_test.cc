// SyncGroup: the leader's assignment reaches every member and is persisted; followers wait;
// errors; the pending-sync expiry; eager and cooperative members alike.
#include "broker/group/offsets_records.h"
#include "broker/group/testing/coordinator_harness.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::broker::group {
namespace {

using testing::Code;
using testing::Harness;
using E = kp::ErrorCode;

// Two members joined (generation 1, CompletingRebalance); returns {leader, follower}.
std::pair<std::string, std::string> Joined(Harness& h, const std::string& group = "g") {
  const uint64_t a = h.JoinNew(group, {.client_id = "a"});
  const uint64_t b = h.JoinNew(group, {.client_id = "b"});
  h.Advance(absl::Seconds(6));
  EXPECT_TRUE(h.joins.contains(a) && h.joins.contains(b));
  return {h.joins[a].member_id, h.joins[b].member_id};
}

TEST(SyncGroup, LeaderAssignmentReachesWaitingFollowersAndIsPersisted) {
  Harness h;
  auto [leader, follower] = Joined(h);
  const uint64_t f = h.Sync("g", follower, 1);
  EXPECT_FALSE(h.syncs.contains(f));
  const size_t records = h.log.size();
  const uint64_t l = h.Sync("g", leader, 1, {{leader, "pl"}, {follower, "pf"}, {"ghost", "x"}});
  ASSERT_TRUE(h.syncs.contains(f) && h.syncs.contains(l));
  EXPECT_EQ(h.syncs[f].assignment, "pf");
  EXPECT_EQ(h.syncs[l].assignment, "pl");
  EXPECT_EQ(h.syncs[l].protocol_name, "range");
  EXPECT_EQ(h.syncs[l].protocol_type, "consumer");
  EXPECT_TRUE(h.c().FindGroup("g")->Is(GroupState::kStable));
  ASSERT_EQ(h.log.size(), records + 1);
  auto value = DecodeGroupMetadataValue(*h.log.back().value);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->generation, 1);
  EXPECT_EQ(value->leader, leader);
  ASSERT_EQ(value->members.size(), 2u);
  EXPECT_EQ(value->members[1].assignment, "pf");
  EXPECT_EQ(value->members[1].client_id, "b");
  EXPECT_EQ(value->members[1].client_host, "/127.0.0.1");
}

TEST(SyncGroup, MembersMissingFromTheAssignmentGetAnEmptyOne) {
  Harness h;
  auto [leader, follower] = Joined(h);
  h.Sync("g", leader, 1, {{leader, "pl"}});
  EXPECT_EQ(h.syncs[h.Sync("g", follower, 1)].assignment, "");
}

TEST(SyncGroup, StableGroupReturnsTheCurrentAssignment) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 2);
  const uint64_t again = h.Sync("g", ids[1], h.Generation("g"));
  EXPECT_EQ(h.syncs[again].error_code, 0);
  EXPECT_EQ(h.syncs[again].assignment, "assignment-" + ids[1]);
}

TEST(SyncGroup, Errors) {
  Harness h;
  auto [leader, follower] = Joined(h);
  EXPECT_EQ(h.syncs[h.Sync("", leader, 1)].error_code, Code(E::kInvalidGroupId));
  EXPECT_EQ(h.syncs[h.Sync("nope", leader, 1)].error_code, Code(E::kUnknownMemberId));
  EXPECT_EQ(h.syncs[h.Sync("g", "who", 1)].error_code, Code(E::kUnknownMemberId));
  EXPECT_EQ(h.syncs[h.Sync("g", follower, 0)].error_code, Code(E::kIllegalGeneration));

  kp::SyncGroupRequest r;
  r.group_id = "g";
  r.member_id = follower;
  r.generation_id = 1;
  r.protocol_type = "connect";  // v5 names the protocol type and name
  Effects fx = h.c().SyncGroup(h.Meta(5), r, h.now);
  EXPECT_EQ(fx.sync_responses.at(0).second.error_code, Code(E::kInconsistentGroupProtocol));
  r.protocol_type = "consumer";
  r.protocol_name = "roundrobin";
  fx = h.c().SyncGroup(h.Meta(5), r, h.now);
  EXPECT_EQ(fx.sync_responses.at(0).second.error_code, Code(E::kInconsistentGroupProtocol));

  // A new member makes the group rebalance: the follower's sync is answered
  // REBALANCE_IN_PROGRESS, and so is a sync during PreparingRebalance.
  const uint64_t waiting = h.Sync("g", follower, 1);
  h.JoinNew("g");
  EXPECT_EQ(h.syncs[waiting].error_code, Code(E::kRebalanceInProgress));
  EXPECT_EQ(h.syncs[h.Sync("g", leader, 1)].error_code, Code(E::kRebalanceInProgress));
}

TEST(SyncGroup, StaticMemberWithStaleIdIsFenced) {
  Harness h;
  const uint64_t a = h.Join("g", {.instance_id = "i1"});
  h.Advance(absl::Seconds(3));
  EXPECT_EQ(h.syncs[h.Sync("g", "old", 1, {}, "i1")].error_code, Code(E::kFencedInstanceId));
  EXPECT_EQ(h.syncs[h.Sync("g", h.joins[a].member_id, 1, {}, "i1")].error_code, 0);
}

TEST(SyncGroup, LoadingCoordinatorAnswersRebalanceInProgress) {
  GroupCoordinator::Options o = Harness::DefaultOptions();
  o.offsets_topic_num_partitions = 2;
  Harness h(o);
  h.c().Unload(PartitionIndex(1));
  EXPECT_EQ(h.syncs[h.Sync("a", "m", 1)].error_code, Code(E::kNotCoordinator));
  h.c().BeginLoad(PartitionIndex(1));
  EXPECT_EQ(h.syncs[h.Sync("a", "m", 1)].error_code, Code(E::kRebalanceInProgress));
}

TEST(SyncGroup, MembersThatNeverSyncAreRemovedAfterTheRebalanceTimeout) {
  Harness h;
  auto [leader, follower] = Joined(h);
  h.Sync("g", leader, 1, {{leader, "pl"}, {follower, "pf"}});
  // The follower heartbeats but never syncs: 30 s (the rebalance timeout) after the join
  // completed, it is removed.
  for (int i = 0; i < 5; ++i) {
    h.Advance(absl::Seconds(5));
    EXPECT_EQ(h.Heartbeat("g", leader, 1), 0);
    EXPECT_EQ(h.Heartbeat("g", follower, 1), 0);
  }
  h.Advance(absl::Seconds(5));
  const Group* g = h.c().FindGroup("g");
  EXPECT_FALSE(g->Has(follower));
  EXPECT_TRUE(g->Is(GroupState::kPreparingRebalance));
  EXPECT_EQ(h.Heartbeat("g", leader, 1), Code(E::kRebalanceInProgress));
}

TEST(SyncGroup, CooperativeMembersRelayOpaqueMetadataAcrossTwoRebalances) {
  Harness h;
  const std::vector<JoinProtocol> coop = {{"cooperative-sticky", "sub-v1"}};
  const uint64_t a = h.JoinNew("g", {.protocols = coop, .client_id = "a"});
  h.Advance(absl::Seconds(3));
  const std::string id = h.joins[a].member_id;
  h.Sync("g", id, 1, {{id, "p0,p1"}});
  // A second member arrives; the first rejoins still owning its partitions (KIP-429), is
  // given a revocation, then rejoins once more: the coordinator relays bytes unchanged.
  const uint64_t b = h.JoinNew("g", {.protocols = coop, .client_id = "b"});
  const uint64_t a2 = h.Rejoin("g", id, {.protocols = {{"cooperative-sticky", "owned:p0,p1"}}});
  ASSERT_TRUE(h.joins.contains(a2) && h.joins.contains(b));
  EXPECT_EQ(h.joins[a2].members[0].metadata, "owned:p0,p1");
  EXPECT_EQ(h.joins[a2].generation_id, 2);
  const std::string b_id = h.joins[b].member_id;
  h.Sync("g", id, 2, {{id, "p0"}, {b_id, ""}});
  EXPECT_EQ(h.syncs[h.Sync("g", b_id, 2)].assignment, "");
  const uint64_t a3 = h.Rejoin("g", id, {.protocols = {{"cooperative-sticky", "owned:p0"}}});
  const uint64_t b3 = h.Rejoin("g", b_id, {.protocols = coop});
  ASSERT_TRUE(h.joins.contains(a3) && h.joins.contains(b3));
  h.Sync("g", id, 3, {{id, "p0"}, {b_id, "p1"}});
  EXPECT_EQ(h.syncs[h.Sync("g", b_id, 3)].assignment, "p1");
}

}  // namespace
}  // namespace karst::broker::group

// JoinGroup: KIP-394 member ids, the initial delay, leader election, the protocol vote,
// protocol checks, group.max.size, rebalance timeout, rejoins in each state, KIP-345.
#include "broker/group/testing/coordinator_harness.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::broker::group {
namespace {

using testing::Code;
using ::testing::ElementsAre;
using testing::Harness;
using ::testing::IsEmpty;
using testing::JoinArgs;
using E = kp::ErrorCode;

std::vector<std::string> MemberIds(const kp::JoinGroupResponse& r) {
  std::vector<std::string> ids;
  for (const auto& m : r.members) ids.push_back(m.member_id);
  return ids;
}

TEST(JoinGroup, UnknownMemberGetsMemberIdRequiredWithClientIdAndUuid) {
  Harness h;
  const uint64_t r = h.Join("g", {.client_id = "app"});
  EXPECT_EQ(h.joins[r].error_code, Code(E::kMemberIdRequired));
  EXPECT_EQ(h.joins[r].member_id, "app-uuid1");
  const Group* g = h.c().FindGroup("g");
  EXPECT_TRUE(g->Is(GroupState::kEmpty));
  EXPECT_TRUE(g->pending_members.contains("app-uuid1"));
  EXPECT_THAT(g->members, IsEmpty());
}

TEST(JoinGroup, VersionsBefore4JoinWithoutMemberIdRequired) {
  Harness h;
  const uint64_t r = h.Join("g", {.version = 3});
  EXPECT_FALSE(h.joins.contains(r));  // waiting out the initial delay
  EXPECT_TRUE(h.c().FindGroup("g")->Is(GroupState::kPreparingRebalance));
  h.Advance(absl::Seconds(3));
  ASSERT_TRUE(h.joins.contains(r));
  EXPECT_EQ(h.joins[r].error_code, 0);
  EXPECT_EQ(h.joins[r].member_id, "client-uuid1");
  EXPECT_EQ(h.joins[r].generation_id, 1);
}

TEST(JoinGroup, FirstJoinerLeadsAndGetsEveryMembersMetadata) {
  Harness h;
  const uint64_t a = h.JoinNew("g", {.protocols = {{"range", "meta-a"}}, .client_id = "a"});
  const uint64_t b = h.JoinNew("g", {.protocols = {{"range", "meta-b"}}, .client_id = "b"});
  h.Advance(absl::Seconds(3));  // B arrived during the delay: wait another delay
  EXPECT_FALSE(h.joins.contains(a));
  h.Advance(absl::Seconds(3));
  ASSERT_TRUE(h.joins.contains(a) && h.joins.contains(b));
  EXPECT_EQ(h.joins[a].leader, "a-uuid1");
  EXPECT_EQ(h.joins[b].leader, "a-uuid1");
  EXPECT_EQ(h.joins[a].protocol_name, "range");
  EXPECT_EQ(h.joins[a].protocol_type, "consumer");
  EXPECT_THAT(MemberIds(h.joins[a]), ElementsAre("a-uuid1", "b-uuid2"));
  EXPECT_EQ(h.joins[a].members[1].metadata, "meta-b");
  EXPECT_THAT(h.joins[b].members, IsEmpty());
  EXPECT_EQ(h.joins[b].generation_id, 1);
  EXPECT_TRUE(h.c().FindGroup("g")->Is(GroupState::kCompletingRebalance));
}

TEST(JoinGroup, InitialDelayIsCappedByTheRebalanceTimeout) {
  Harness h;
  JoinArgs args{.rebalance_timeout_ms = 5000};
  const uint64_t a = h.JoinNew("g", args);
  // A new member every second keeps extending the delay, but only up to 5 s in all.
  for (int i = 0; i < 4; ++i) {
    h.Advance(absl::Seconds(1));
    h.JoinNew("g", args);
  }
  h.Advance(absl::Seconds(1));  // t=5: the first 3 s delay ended at t=3, the 2 s rest now
  ASSERT_TRUE(h.joins.contains(a));
  EXPECT_EQ(h.joins[a].members.size(), 5u);
  // The rebalance is reported once, with the time spent preparing it.
  ASSERT_EQ(h.rebalances.size(), 1u);
  EXPECT_EQ(h.rebalances[0].group_id, "g");
  EXPECT_EQ(h.rebalances[0].generation_id, 1);
  EXPECT_EQ(h.rebalances[0].duration, absl::Seconds(5));
}

TEST(JoinGroup, WithoutInitialDelayTheFirstJoinCompletesAtOnce) {
  GroupCoordinator::Options o = Harness::DefaultOptions();
  o.group_initial_rebalance_delay = absl::ZeroDuration();
  Harness h(o);
  const uint64_t a = h.JoinNew("g");
  ASSERT_TRUE(h.joins.contains(a));
  EXPECT_EQ(h.joins[a].generation_id, 1);
  // A second member now has to wait for the first to rejoin.
  const uint64_t b = h.JoinNew("g");
  EXPECT_FALSE(h.joins.contains(b));
  h.Rejoin("g", h.joins[a].member_id);
  ASSERT_TRUE(h.joins.contains(b));
  EXPECT_EQ(h.joins[b].generation_id, 2);
}

TEST(JoinGroup, NextDeadlineNamesTheEarliestTimer) {
  Harness h;
  EXPECT_EQ(h.c().NextDeadline(), h.now + absl::Minutes(10));  // the retention check
  h.Join("g", {});
  EXPECT_EQ(h.c().NextDeadline(), h.now + absl::Seconds(10));  // the pending member's session
  h.Join("g", {.member_id = "client-uuid1"});
  EXPECT_EQ(h.c().NextDeadline(), h.now + absl::Seconds(3));  // the initial delay
}

TEST(JoinGroup, ProtocolVoteAmongProtocolsAllMembersSupport) {
  Harness h;
  const uint64_t a = h.JoinNew("g", {.protocols = {{"range", "x"}, {"roundrobin", "x"}}});
  h.JoinNew("g", {.protocols = {{"roundrobin", "x"}, {"range", "x"}}});
  h.JoinNew("g", {.protocols = {{"roundrobin", "x"}, {"sticky", "x"}}});
  h.Advance(absl::Seconds(10));
  // range is not supported by the third member; roundrobin is the only candidate.
  EXPECT_EQ(h.joins[a].protocol_name, "roundrobin");

  Harness h2;
  const uint64_t b = h2.JoinNew("g", {.protocols = {{"range", "x"}, {"roundrobin", "x"}}});
  h2.JoinNew("g", {.protocols = {{"range", "x"}, {"roundrobin", "x"}}});
  h2.JoinNew("g", {.protocols = {{"roundrobin", "x"}, {"range", "x"}}});
  h2.Advance(absl::Seconds(10));
  EXPECT_EQ(h2.joins[b].protocol_name, "range");  // two votes to one
}

TEST(JoinGroup, InconsistentGroupProtocol) {
  Harness h;
  h.StableGroup("g", 1);
  EXPECT_EQ(h.joins[h.Join("g", {.protocol_type = "connect"})].error_code,
            Code(E::kInconsistentGroupProtocol));
  EXPECT_EQ(h.joins[h.Join("g", {.protocols = {{"sticky", "x"}}})].error_code,
            Code(E::kInconsistentGroupProtocol));
  // An Empty group takes any type and protocols, but not empty ones.
  EXPECT_EQ(h.joins[h.Join("new", {.protocol_type = ""})].error_code,
            Code(E::kInconsistentGroupProtocol));
  EXPECT_EQ(h.joins[h.Join("new", {.protocols = {}})].error_code,
            Code(E::kInconsistentGroupProtocol));
}

TEST(JoinGroup, RejectsBadGroupIdSessionTimeoutAndUnknownMembers) {
  Harness h;
  EXPECT_EQ(h.joins[h.Join("", {})].error_code, Code(E::kInvalidGroupId));
  EXPECT_EQ(h.joins[h.Join("g", {.session_timeout_ms = 5999})].error_code,
            Code(E::kInvalidSessionTimeout));
  EXPECT_EQ(h.joins[h.Join("g", {.session_timeout_ms = 1800001})].error_code,
            Code(E::kInvalidSessionTimeout));
  // A member id for a group that does not exist, or a member the group does not know.
  EXPECT_EQ(h.joins[h.Join("nope", {.member_id = "m"})].error_code, Code(E::kUnknownMemberId));
  h.StableGroup("g", 1);
  EXPECT_EQ(h.joins[h.Join("g", {.member_id = "m"})].error_code, Code(E::kUnknownMemberId));
}

TEST(JoinGroup, NotCoordinatorAndLoadInProgress) {
  GroupCoordinator::Options o = Harness::DefaultOptions();
  o.offsets_topic_num_partitions = 2;
  Harness h(o);
  h.c().Unload(PartitionIndex(1));
  // "a" hashes to 97: partition 1 of 2.
  EXPECT_EQ(h.joins[h.Join("a", {})].error_code, Code(E::kNotCoordinator));
  h.c().BeginLoad(PartitionIndex(1));
  EXPECT_TRUE(h.c().IsLoading(PartitionIndex(1)));
  EXPECT_EQ(h.joins[h.Join("a", {})].error_code, Code(E::kCoordinatorLoadInProgress));
  h.c().CompleteLoad(PartitionIndex(1), h.now);
  EXPECT_EQ(h.joins[h.Join("a", {})].error_code, Code(E::kMemberIdRequired));
}

TEST(JoinGroup, GroupMaxSizeReached) {
  GroupCoordinator::Options o = Harness::DefaultOptions();
  o.group_max_size = 2;
  Harness h(o);
  h.JoinNew("g");
  h.JoinNew("g");
  // PreparingRebalance: two members already wait.
  const uint64_t third = h.Join("g", {});
  EXPECT_EQ(h.joins[third].error_code, Code(E::kGroupMaxSizeReached));
  EXPECT_EQ(h.joins[third].member_id, "");
  h.Advance(absl::Seconds(10));
  // Stable and full: a newcomer is turned away at once.
  EXPECT_EQ(h.joins[h.Join("g", {})].error_code, Code(E::kGroupMaxSizeReached));
  EXPECT_EQ(h.c().FindGroup("g")->members.size(), 2u);
}

TEST(JoinGroup, RebalanceTimeoutIsTheLargestMembers) {
  Harness h;
  const uint64_t a = h.JoinNew("g", {.rebalance_timeout_ms = 10000, .client_id = "a"});
  // (B's session outlasts the rebalance, so only the rebalance timeout can drop it.)
  h.JoinNew("g", {.session_timeout_ms = 25000, .rebalance_timeout_ms = 20000, .client_id = "b"});
  h.Advance(absl::Seconds(6));
  const std::string leader = h.joins[a].member_id;
  EXPECT_EQ(h.c().FindGroup("g")->RebalanceTimeoutMs(), 20000);
  // The leader rejoins; the other member never does: it is dropped after 20 s, not 10 s.
  const uint64_t r =
      h.Rejoin("g", leader, {.protocols = {{"range", "new"}}, .rebalance_timeout_ms = 10000});
  h.Advance(absl::Seconds(15));
  EXPECT_FALSE(h.joins.contains(r));
  h.Advance(absl::Seconds(5));
  ASSERT_TRUE(h.joins.contains(r));
  EXPECT_THAT(MemberIds(h.joins[r]), ElementsAre(leader));
  EXPECT_EQ(h.joins[r].generation_id, 2);
}

TEST(JoinGroup, RejoinsInStableGroup) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 2);
  // A follower with unchanged metadata just learns the current generation.
  const uint64_t follower = h.Rejoin("g", ids[1]);
  EXPECT_EQ(h.joins[follower].error_code, 0);
  EXPECT_EQ(h.joins[follower].generation_id, h.Generation("g"));
  EXPECT_EQ(h.joins[follower].leader, ids[0]);
  EXPECT_TRUE(h.c().FindGroup("g")->Is(GroupState::kStable));
  // The leader's rejoin forces a rebalance (e.g. for a topic metadata change).
  const uint64_t leader = h.Rejoin("g", ids[0]);
  EXPECT_FALSE(h.joins.contains(leader));
  EXPECT_TRUE(h.c().FindGroup("g")->Is(GroupState::kPreparingRebalance));
  const uint64_t f2 = h.Rejoin("g", ids[1]);
  ASSERT_TRUE(h.joins.contains(leader) && h.joins.contains(f2));
  EXPECT_EQ(h.joins[f2].generation_id, 2);
}

TEST(JoinGroup, FollowerWithNewMetadataTriggersRebalance) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 2);
  const uint64_t r =
      h.Rejoin("g", ids[1], {.protocols = {{"range", testing::Subscription({"u"})}}});
  EXPECT_FALSE(h.joins.contains(r));
  EXPECT_TRUE(h.c().FindGroup("g")->Is(GroupState::kPreparingRebalance));
}

TEST(JoinGroup, RejoinWhileCompletingRebalanceRepeatsTheResponse) {
  Harness h;
  const uint64_t a = h.JoinNew("g");
  h.Advance(absl::Seconds(3));
  ASSERT_TRUE(h.joins.contains(a));
  const uint64_t again = h.Rejoin("g", h.joins[a].member_id);
  EXPECT_EQ(h.joins[again].generation_id, 1);
  EXPECT_THAT(MemberIds(h.joins[again]), ElementsAre(h.joins[a].member_id));
  EXPECT_TRUE(h.c().FindGroup("g")->Is(GroupState::kCompletingRebalance));
  // With other metadata it starts a new rebalance instead.
  const uint64_t changed = h.Rejoin("g", h.joins[a].member_id, {.protocols = {{"range", "other"}}});
  ASSERT_TRUE(h.joins.contains(changed));  // the only member rejoined: done at once
  EXPECT_EQ(h.joins[changed].generation_id, 2);
}

TEST(JoinGroup, SupersededJoinIsAnsweredRebalanceInProgress) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 2);
  const uint64_t first = h.Rejoin("g", ids[0]);
  const uint64_t second = h.Rejoin("g", ids[0]);
  EXPECT_EQ(h.joins[first].error_code, Code(E::kRebalanceInProgress));
  EXPECT_FALSE(h.joins.contains(second));
}

TEST(StaticMembership, JoinsWithoutMemberIdRequiredAndIsNamedAfterInstance) {
  Harness h;
  const uint64_t r = h.Join("g", {.instance_id = "i1"});
  h.Advance(absl::Seconds(3));
  ASSERT_TRUE(h.joins.contains(r));
  EXPECT_EQ(h.joins[r].member_id, "i1-uuid1");
  EXPECT_EQ(h.joins[r].members[0].group_instance_id, "i1");
}

TEST(StaticMembership, RestartedMemberReplacesOldIdWithoutRebalance) {
  Harness h;
  const uint64_t a = h.Join("g", {.instance_id = "i1"});
  const uint64_t b = h.Join("g", {.instance_id = "i2"});
  h.Advance(absl::Seconds(6));
  const std::string a_id = h.joins[a].member_id;
  const std::string b_id = h.joins[b].member_id;
  h.Sync("g", b_id, 1, {}, "i2");
  h.Sync("g", a_id, 1, {{a_id, "pa"}, {b_id, "pb"}}, "i1");
  ASSERT_TRUE(h.c().FindGroup("g")->Is(GroupState::kStable));
  const size_t records = h.log.size();

  // i2 restarts: it joins without its member id.
  const uint64_t restart = h.Join("g", {.instance_id = "i2"});
  ASSERT_TRUE(h.joins.contains(restart));
  const std::string new_b = h.joins[restart].member_id;
  EXPECT_NE(new_b, b_id);
  EXPECT_EQ(h.joins[restart].generation_id, 1);
  EXPECT_FALSE(h.joins[restart].skip_assignment);
  EXPECT_TRUE(h.c().FindGroup("g")->Is(GroupState::kStable));
  EXPECT_EQ(h.log.size(), records + 1);  // the new member id is persisted
  // It keeps its assignment; the old id is fenced everywhere.
  EXPECT_EQ(h.syncs[h.Sync("g", new_b, 1, {}, "i2")].assignment, "pb");
  EXPECT_EQ(h.Heartbeat("g", b_id, 1, "i2"), Code(E::kFencedInstanceId));
  EXPECT_EQ(h.joins[h.Join("g", {.member_id = b_id, .instance_id = "i2"})].error_code,
            Code(E::kFencedInstanceId));
  EXPECT_EQ(h.syncs[h.Sync("g", b_id, 1, {}, "i2")].error_code, Code(E::kFencedInstanceId));

  // The static leader restarting keeps leading and is told to skip the assignment.
  const uint64_t leader = h.Join("g", {.instance_id = "i1"});
  EXPECT_TRUE(h.joins[leader].skip_assignment);
  EXPECT_EQ(h.joins[leader].leader, h.joins[leader].member_id);
  EXPECT_EQ(h.joins[leader].members.size(), 2u);
}

TEST(StaticMembership, RestartWithChangedProtocolSelectionRebalances) {
  Harness h;
  const uint64_t a = h.Join("g", {.instance_id = "i1", .protocols = {{"range", "x"}, {"rr", "x"}}});
  h.Advance(absl::Seconds(3));
  const std::string id = h.joins[a].member_id;
  h.Sync("g", id, 1, {{id, "p"}}, "i1");
  const uint64_t r = h.Join("g", {.instance_id = "i1", .protocols = {{"rr", "x"}}});
  ASSERT_TRUE(h.joins.contains(r));  // the only member: the rebalance completes at once
  EXPECT_EQ(h.joins[r].generation_id, 2);
  EXPECT_EQ(h.joins[r].protocol_name, "rr");
}

TEST(StaticMembership, ReplacementWhileCompletingRebalanceFencesOldSyncAndRebalances) {
  Harness h;
  const uint64_t a = h.Join("g", {.instance_id = "i1"});
  const uint64_t b = h.Join("g", {.instance_id = "i2"});
  h.Advance(absl::Seconds(6));
  const uint64_t b_sync = h.Sync("g", h.joins[b].member_id, 1, {}, "i2");
  EXPECT_FALSE(h.syncs.contains(b_sync));
  const uint64_t restart = h.Join("g", {.instance_id = "i2"});
  EXPECT_EQ(h.syncs[b_sync].error_code, Code(E::kFencedInstanceId));
  EXPECT_TRUE(h.c().FindGroup("g")->Is(GroupState::kPreparingRebalance));
  h.Rejoin("g", h.joins[a].member_id, {.instance_id = "i1"});
  ASSERT_TRUE(h.joins.contains(restart));
  EXPECT_EQ(h.joins[restart].generation_id, 2);
}

TEST(StaticMembership, UnknownInstanceWithMemberIdIsUnknownMember) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 1);
  EXPECT_EQ(h.joins[h.Join("g", {.member_id = ids[0], .instance_id = "i9"})].error_code,
            Code(E::kUnknownMemberId));
}

}  // namespace
}  // namespace karst::broker::group

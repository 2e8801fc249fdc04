// Heartbeat (session expiry, errors per state) and LeaveGroup (v0-2 single, v3+ batched,
// static members by instance id, pending members).
#include "broker/group/offsets_records.h"
#include "broker/group/testing/coordinator_harness.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::broker::group {
namespace {

using testing::Code;
using testing::Harness;
using E = kp::ErrorCode;

TEST(Heartbeat, ErrorsByStateAndMember) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 2);
  const int32_t gen = h.Generation("g");
  EXPECT_EQ(h.Heartbeat("g", ids[0], gen), 0);
  EXPECT_EQ(h.Heartbeat("", ids[0], gen), Code(E::kInvalidGroupId));
  EXPECT_EQ(h.Heartbeat("nope", ids[0], gen), Code(E::kUnknownMemberId));
  EXPECT_EQ(h.Heartbeat("g", "who", gen), Code(E::kUnknownMemberId));
  EXPECT_EQ(h.Heartbeat("g", ids[0], gen + 1), Code(E::kIllegalGeneration));
  EXPECT_EQ(h.Heartbeat("g", ids[0], gen, "i-unknown"), 0);  // an unmapped instance id passes
  // PreparingRebalance: REBALANCE_IN_PROGRESS tells the member to rejoin.
  h.Rejoin("g", ids[0]);
  EXPECT_EQ(h.Heartbeat("g", ids[1], gen), Code(E::kRebalanceInProgress));
  // CompletingRebalance: heartbeats of the new generation are fine.
  h.Rejoin("g", ids[1]);
  EXPECT_TRUE(h.c().FindGroup("g")->Is(GroupState::kCompletingRebalance));
  EXPECT_EQ(h.Heartbeat("g", ids[1], gen + 1), 0);
}

TEST(Heartbeat, StaticMemberWithStaleIdIsFenced) {
  Harness h;
  const uint64_t a = h.Join("g", {.instance_id = "i1"});
  h.Advance(absl::Seconds(3));
  EXPECT_EQ(h.Heartbeat("g", "stale", 1, "i1"), Code(E::kFencedInstanceId));
  EXPECT_EQ(h.Heartbeat("g", h.joins[a].member_id, 1, "i1"), 0);
}

TEST(Heartbeat, LoadingCoordinatorAnswersBlindly) {
  GroupCoordinator::Options o = Harness::DefaultOptions();
  o.offsets_topic_num_partitions = 2;
  Harness h(o);
  h.c().Unload(PartitionIndex(1));
  EXPECT_EQ(h.Heartbeat("a", "m", 1), Code(E::kNotCoordinator));
  h.c().BeginLoad(PartitionIndex(1));
  EXPECT_EQ(h.Heartbeat("a", "m", 1), 0);
}

TEST(Heartbeat, SessionExpiryRemovesTheMemberAndRebalances) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 2);
  const int32_t gen = h.Generation("g");
  for (int i = 0; i < 3; ++i) {
    h.Advance(absl::Seconds(3));
    EXPECT_EQ(h.Heartbeat("g", ids[0], gen), 0);
  }
  h.Advance(absl::Seconds(3));
  // 12 s without a heartbeat from ids[1] (session 10 s).
  const Group* g = h.c().FindGroup("g");
  EXPECT_FALSE(g->Has(ids[1]));
  EXPECT_TRUE(g->Is(GroupState::kPreparingRebalance));
  EXPECT_EQ(h.Heartbeat("g", ids[0], gen), Code(E::kRebalanceInProgress));
  const uint64_t r = h.Rejoin("g", ids[0]);
  ASSERT_TRUE(h.joins.contains(r));
  EXPECT_EQ(h.joins[r].generation_id, gen + 1);
  EXPECT_EQ(h.joins[r].members.size(), 1u);
}

TEST(Heartbeat, MembersWaitingInARebalanceDoNotExpire) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 2);
  const uint64_t r = h.Rejoin("g", ids[0], {.protocols = {{"range", "changed"}}});
  // ids[0] waits for ids[1] (rebalance timeout 30 s) longer than its 10 s session.
  h.Advance(absl::Seconds(9));
  EXPECT_EQ(h.Heartbeat("g", ids[1], h.Generation("g")), Code(E::kRebalanceInProgress));
  h.Advance(absl::Seconds(9));
  EXPECT_TRUE(h.c().FindGroup("g")->Has(ids[0]));
  h.Rejoin("g", ids[1]);
  ASSERT_TRUE(h.joins.contains(r));
  EXPECT_EQ(h.joins[r].members.size(), 2u);
}

TEST(Heartbeat, NewMemberThatNeverCompletesItsJoinExpires) {
  GroupCoordinator::Options o = Harness::DefaultOptions();
  o.new_member_join_timeout = absl::Seconds(5);
  Harness h(o);
  std::vector<std::string> ids = h.StableGroup("g", 1, {.session_timeout_ms = 60000});
  const uint64_t newcomer = h.JoinNew("g");
  EXPECT_FALSE(h.joins.contains(newcomer));  // the leader has not rejoined yet
  h.Advance(absl::Seconds(5));
  EXPECT_EQ(h.joins[newcomer].error_code, Code(E::kUnknownMemberId));
  EXPECT_EQ(h.c().FindGroup("g")->members.size(), 1u);
}

TEST(Heartbeat, PendingMemberThatNeverRejoinsExpires) {
  Harness h;
  const uint64_t r = h.Join("g", {});
  const std::string id = h.joins[r].member_id;
  h.Advance(absl::Seconds(10));  // the session timeout
  EXPECT_FALSE(h.c().FindGroup("g")->pending_members.contains(id));
  EXPECT_EQ(h.joins[h.Join("g", {.member_id = id})].error_code, Code(E::kUnknownMemberId));
}

kp::LeaveGroupResponse Leave(
    Harness& h, int16_t version, const std::string& group,
    std::vector<std::pair<std::string, std::optional<std::string>>> members) {
  kp::LeaveGroupRequest r;
  r.group_id = group;
  if (version < 3) {
    r.member_id = members.at(0).first;
  } else {
    for (auto& [id, instance] : members) {
      auto& m = r.members.emplace_back();
      m.member_id = id;
      m.group_instance_id = instance;
    }
  }
  Answer<kp::LeaveGroupResponse> a = h.c().LeaveGroup(h.Meta(version), r, h.now);
  h.Take(std::move(a.effects));
  return a.response;
}

TEST(LeaveGroup, SingleMemberVersionsPutTheErrorAtTopLevel) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 2);
  EXPECT_EQ(Leave(h, 1, "g", {{"who", {}}}).error_code, Code(E::kUnknownMemberId));
  EXPECT_EQ(Leave(h, 1, "g", {{ids[1], {}}}).error_code, 0);
  EXPECT_TRUE(h.c().FindGroup("g")->Is(GroupState::kPreparingRebalance));
  EXPECT_EQ(Leave(h, 0, "", {{ids[0], {}}}).error_code, Code(E::kInvalidGroupId));
}

TEST(LeaveGroup, BatchReportsPerMemberAndEmptiesTheGroup) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 2);
  const size_t records = h.log.size();
  kp::LeaveGroupResponse r = Leave(h, 3, "g", {{ids[0], {}}, {"who", {}}, {ids[1], {}}});
  EXPECT_EQ(r.error_code, 0);
  ASSERT_EQ(r.members.size(), 3u);
  EXPECT_EQ(r.members[0].error_code, 0);
  EXPECT_EQ(r.members[1].error_code, Code(E::kUnknownMemberId));
  EXPECT_EQ(r.members[2].error_code, 0);
  // Nobody left: the rebalance completes at once into an Empty generation, persisted.
  const Group* g = h.c().FindGroup("g");
  EXPECT_TRUE(g->Is(GroupState::kEmpty));
  EXPECT_EQ(g->generation_id, 2);
  ASSERT_EQ(h.log.size(), records + 1);
  auto value = DecodeGroupMetadataValue(*h.log.back().value);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->generation, 2);
  EXPECT_TRUE(value->members.empty());
  EXPECT_FALSE(value->protocol.has_value());
  EXPECT_FALSE(value->leader.has_value());
  EXPECT_EQ(value->protocol_type, "consumer");
}

TEST(LeaveGroup, StaticMembersByInstanceIdAndFencing) {
  Harness h;
  const uint64_t a = h.Join("g", {.instance_id = "i1"});
  const uint64_t b = h.Join("g", {.instance_id = "i2"});
  h.Advance(absl::Seconds(6));
  kp::LeaveGroupResponse r = Leave(h, 4, "g", {{"stale", "i1"}, {"", "i2"}, {"", "i9"}});
  EXPECT_EQ(r.members[0].error_code, Code(E::kFencedInstanceId));
  EXPECT_EQ(r.members[1].error_code, 0);  // administrative removal by instance id
  EXPECT_EQ(r.members[2].error_code, Code(E::kUnknownMemberId));
  EXPECT_FALSE(h.c().FindGroup("g")->Has(h.joins[b].member_id));
  EXPECT_TRUE(h.c().FindGroup("g")->Has(h.joins[a].member_id));
}

TEST(LeaveGroup, PendingMemberAndUnknownGroupAndLoading) {
  Harness h;
  const uint64_t r = h.Join("g", {});
  const std::string pending = h.joins[r].member_id;
  EXPECT_EQ(Leave(h, 3, "g", {{pending, {}}}).members[0].error_code, 0);
  EXPECT_FALSE(h.c().FindGroup("g")->pending_members.contains(pending));
  kp::LeaveGroupResponse unknown = Leave(h, 3, "nope", {{"m", {}}});
  EXPECT_EQ(unknown.error_code, 0);
  EXPECT_EQ(unknown.members[0].error_code, Code(E::kUnknownMemberId));
  h.c().Unload(PartitionIndex(0));
  h.c().BeginLoad(PartitionIndex(0));
  EXPECT_EQ(Leave(h, 3, "g", {{"m", {}}}).error_code, Code(E::kCoordinatorLoadInProgress));
}

TEST(LeaveGroup, LeavingDuringTheJoinPhaseCompletesIt) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 2);
  const uint64_t r = h.Rejoin("g", ids[0]);
  EXPECT_FALSE(h.joins.contains(r));
  Leave(h, 3, "g", {{ids[1], {}}});
  ASSERT_TRUE(h.joins.contains(r));
  EXPECT_EQ(h.joins[r].members.size(), 1u);
}

}  // namespace
}  // namespace karst::broker::group

// DescribeGroups, ListGroups (state and type filters) and DeleteGroups.
#include "broker/group/offsets_records.h"
#include "broker/group/testing/coordinator_harness.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::broker::group {
namespace {

using testing::Code;
using ::testing::ElementsAre;
using testing::Harness;
using E = kp::ErrorCode;

kp::DescribeGroupsResponse Describe(Harness& h, std::vector<std::string> groups) {
  kp::DescribeGroupsRequest r;
  r.groups = std::move(groups);
  return h.c().DescribeGroups(r);
}

std::vector<std::string> ListIds(Harness& h, std::vector<std::string> states,
                                 std::vector<std::string> types = {}) {
  kp::ListGroupsRequest r;
  r.states_filter = std::move(states);
  r.types_filter = std::move(types);
  std::vector<std::string> ids;
  for (const auto& g : h.c().ListGroups(r).groups) ids.push_back(g.group_id);
  return ids;
}

TEST(DescribeGroups, StableGroupShowsMetadataAndAssignments) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 2);
  kp::DescribeGroupsResponse r = Describe(h, {"g", "unknown"});
  ASSERT_EQ(r.groups.size(), 2u);
  const auto& d = r.groups[0];
  EXPECT_EQ(d.error_code, 0);
  EXPECT_EQ(d.group_state, "Stable");
  EXPECT_EQ(d.protocol_type, "consumer");
  EXPECT_EQ(d.protocol_data, "range");
  ASSERT_EQ(d.members.size(), 2u);
  EXPECT_EQ(d.members[1].member_id, ids[1]);
  EXPECT_EQ(d.members[1].client_id, "c1");
  EXPECT_EQ(d.members[1].client_host, "/127.0.0.1");
  EXPECT_EQ(d.members[1].member_metadata, testing::Subscription({"t"}));
  EXPECT_EQ(d.members[1].member_assignment, "assignment-" + ids[1]);
  // Kafka describes an unknown group as Dead, with no error.
  EXPECT_EQ(r.groups[1].error_code, 0);
  EXPECT_EQ(r.groups[1].group_state, "Dead");
}

TEST(DescribeGroups, RebalancingGroupHidesMetadata) {
  Harness h;
  std::vector<std::string> ids = h.StableGroup("g", 2);
  h.Rejoin("g", ids[0]);
  const auto d = Describe(h, {"g"}).groups[0];
  EXPECT_EQ(d.group_state, "PreparingRebalance");
  EXPECT_EQ(d.protocol_data, "");
  ASSERT_EQ(d.members.size(), 2u);
  EXPECT_EQ(d.members[0].member_metadata, "");
  EXPECT_EQ(d.members[0].member_assignment, "");
  h.Rejoin("g", ids[1]);
  EXPECT_EQ(Describe(h, {"g"}).groups[0].group_state, "CompletingRebalance");
}

TEST(DescribeGroups, CoordinatorErrors) {
  GroupCoordinator::Options o = Harness::DefaultOptions();
  o.offsets_topic_num_partitions = 2;
  Harness h(o);
  h.c().Unload(PartitionIndex(1));
  EXPECT_EQ(Describe(h, {"a"}).groups[0].error_code, Code(E::kNotCoordinator));
  h.c().BeginLoad(PartitionIndex(1));
  EXPECT_EQ(Describe(h, {"a"}).groups[0].error_code, Code(E::kCoordinatorLoadInProgress));
}

TEST(ListGroups, FiltersByStateAndType) {
  Harness h;
  h.StableGroup("stable", 1);
  h.Commit("simple", "", -1, "t", 0, 1);
  h.Join("empty", {});  // MEMBER_ID_REQUIRED leaves an Empty group
  EXPECT_THAT(ListIds(h, {}), ElementsAre("empty", "simple", "stable"));
  EXPECT_THAT(ListIds(h, {"Stable"}), ElementsAre("stable"));
  EXPECT_THAT(ListIds(h, {"empty"}), ElementsAre("empty", "simple"));  // case-insensitive
  EXPECT_THAT(ListIds(h, {"Dead"}), ElementsAre());
  EXPECT_THAT(ListIds(h, {}, {"classic"}), ElementsAre("empty", "simple", "stable"));
  EXPECT_THAT(ListIds(h, {}, {"consumer"}), ElementsAre());
  kp::ListGroupsResponse r = h.c().ListGroups({});
  EXPECT_EQ(r.error_code, 0);
  EXPECT_EQ(r.groups[1].protocol_type, "");
  EXPECT_EQ(r.groups[2].protocol_type, "consumer");
  EXPECT_EQ(r.groups[2].group_state, "Stable");
}

TEST(ListGroups, LoadingPartitionSetsTheError) {
  GroupCoordinator::Options o = Harness::DefaultOptions();
  o.offsets_topic_num_partitions = 2;
  Harness h(o);
  h.c().Unload(PartitionIndex(1));
  h.c().BeginLoad(PartitionIndex(1));
  EXPECT_EQ(h.c().ListGroups({}).error_code, Code(E::kCoordinatorLoadInProgress));
}

Answer<kp::DeleteGroupsResponse> Delete(Harness& h, std::vector<std::string> groups) {
  kp::DeleteGroupsRequest r;
  r.groups_names = std::move(groups);
  return h.c().DeleteGroups(r, h.now);
}

TEST(DeleteGroups, EmptyGroupIsDeletedWithTombstones) {
  Harness h;
  h.Commit("simple", "", -1, "t", 0, 1);
  h.Commit("simple", "", -1, "t", 1, 2);
  h.StableGroup("busy", 1);
  Answer<kp::DeleteGroupsResponse> a = Delete(h, {"simple", "busy", "nope"});
  ASSERT_EQ(a.response.results.size(), 3u);
  EXPECT_EQ(a.response.results[0].error_code, 0);
  EXPECT_EQ(a.response.results[1].error_code, Code(E::kNonEmptyGroup));
  EXPECT_EQ(a.response.results[2].error_code, Code(E::kGroupIdNotFound));
  const PartitionIndex p(0);
  EXPECT_THAT(
      a.effects.records,
      ElementsAre(
          OffsetsRecord{p, EncodeOffsetCommitKey({"simple", "t", PartitionIndex(0)}), std::nullopt},
          OffsetsRecord{p, EncodeOffsetCommitKey({"simple", "t", PartitionIndex(1)}), std::nullopt},
          OffsetsRecord{p, EncodeGroupMetadataKey({"simple"}), std::nullopt}));
  EXPECT_EQ(h.c().FindGroup("simple"), nullptr);
  EXPECT_EQ(Delete(h, {"simple"}).response.results[0].error_code, Code(E::kGroupIdNotFound));
}

TEST(DeleteGroups, CoordinatorErrors) {
  GroupCoordinator::Options o = Harness::DefaultOptions();
  o.offsets_topic_num_partitions = 2;
  Harness h(o);
  h.c().Unload(PartitionIndex(1));
  EXPECT_EQ(Delete(h, {"a"}).response.results[0].error_code, Code(E::kNotCoordinator));
  h.c().BeginLoad(PartitionIndex(1));
  EXPECT_EQ(Delete(h, {"a"}).response.results[0].error_code, Code(E::kCoordinatorLoadInProgress));
}

}  // namespace
}  // namespace karst::broker::group

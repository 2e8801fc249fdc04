#include "client/rebalance_changes.h"

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::client {
namespace {

using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const TopicPartition kT0{"t", 0};
const TopicPartition kT1{"t", 1};
const TopicPartition kT2{"t", 2};
const TopicPartition kU0{"u", 0};

TEST(RebalanceChanges, EagerRevokesEverythingBeforeJoining) {
  EXPECT_THAT(PartitionsToRevokeBeforeJoin(RebalanceProtocol::kEager, {kT0, kU0}, {"t", "u"}),
              ElementsAre(kT0, kU0));
}

TEST(RebalanceChanges, CooperativeRevokesOnlyUnsubscribedTopicsBeforeJoining) {
  EXPECT_THAT(PartitionsToRevokeBeforeJoin(RebalanceProtocol::kCooperative, {kT0, kU0}, {"t"}),
              ElementsAre(kU0));
  EXPECT_THAT(PartitionsToRevokeBeforeJoin(RebalanceProtocol::kCooperative, {kT0}, {"t"}),
              IsEmpty());
}

TEST(RebalanceChanges, EagerAddsTheWholeAssignment) {
  AssignmentChanges changes = ComputeAssignmentChanges(RebalanceProtocol::kEager, {}, {kT0, kT1});
  EXPECT_THAT(changes.added, ElementsAre(kT0, kT1));
  EXPECT_THAT(changes.revoked, IsEmpty());
  EXPECT_FALSE(changes.rejoin);
}

TEST(RebalanceChanges, CooperativeRevokesLostPartitionsAndRejoins) {
  AssignmentChanges changes =
      ComputeAssignmentChanges(RebalanceProtocol::kCooperative, {kT0, kT1}, {kT1, kT2});
  EXPECT_THAT(changes.revoked, ElementsAre(kT0));
  EXPECT_THAT(changes.added, ElementsAre(kT2));
  EXPECT_TRUE(changes.rejoin);
}

TEST(RebalanceChanges, CooperativeWithNothingRevokedDoesNotRejoin) {
  AssignmentChanges changes =
      ComputeAssignmentChanges(RebalanceProtocol::kCooperative, {kT0}, {kT0, kT1});
  EXPECT_THAT(changes.revoked, IsEmpty());
  EXPECT_THAT(changes.added, ElementsAre(kT1));
  EXPECT_FALSE(changes.rejoin);
}

TEST(RebalanceChanges, ValidCooperativeAssignmentLeavesMovingPartitionsOut) {
  // a gives up t-1; b may only get it in the next generation.
  GroupAssignment assignment = {{"a", {.partitions = {kT0}}}, {"b", {.partitions = {kT2}}}};
  EXPECT_THAT(ValidateCooperativeAssignment({{"a", {kT0, kT1}}, {"b", {}}}, assignment), IsOk());
}

TEST(RebalanceChanges, CooperativeAssignmentMovingAPartitionAtOnceIsRejected) {
  GroupAssignment assignment = {{"a", {.partitions = {kT0}}}, {"b", {.partitions = {kT1}}}};
  absl::Status status = ValidateCooperativeAssignment({{"a", {kT0, kT1}}, {"b", {}}}, assignment);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(status.message(), HasSubstr("t-1"));
}

}  // namespace
}  // namespace karst::client

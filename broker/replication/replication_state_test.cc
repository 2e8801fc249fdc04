#include "broker/replication/replication_state.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::broker::replication {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

constexpr absl::Duration kLag = absl::Seconds(30);

Assignment Leader1(std::vector<int32_t> isr, int32_t partition_epoch = 0, int32_t epoch = 1) {
  return {.replicas = {1, 2, 3},
          .isr = std::move(isr),
          .leader = NodeId(1),
          .leader_epoch = LeaderEpoch(epoch),
          .partition_epoch = partition_epoch};
}

TEST(ReplicationState, HighWatermarkIsMinimumLogEndOfIsr) {
  ReplicationState s(NodeId(1));
  s.Apply(Leader1({1, 2, 3}), Offset(0), Offset(0), absl::ZeroDuration());
  EXPECT_EQ(s.role(), Role::kLeader);
  EXPECT_FALSE(s.OnLocalAppend(Offset(10)));  // Followers' positions unknown.
  EXPECT_FALSE(s.OnFollowerFetch(NodeId(2), Offset(10), Offset(10), absl::Seconds(1)));
  EXPECT_EQ(s.high_watermark(), Offset(0));
  EXPECT_TRUE(s.OnFollowerFetch(NodeId(3), Offset(4), Offset(10), absl::Seconds(1)));
  EXPECT_EQ(s.high_watermark(), Offset(4));
  EXPECT_TRUE(s.OnFollowerFetch(NodeId(3), Offset(10), Offset(10), absl::Seconds(2)));
  EXPECT_EQ(s.high_watermark(), Offset(10));
}

TEST(ReplicationState, HighWatermarkNeverMovesBackward) {
  ReplicationState s(NodeId(1));
  s.Apply(Leader1({1, 2}), Offset(5), Offset(5), absl::ZeroDuration());
  s.OnFollowerFetch(NodeId(2), Offset(5), Offset(5), absl::Seconds(1));
  EXPECT_EQ(s.high_watermark(), Offset(5));
  // A follower re-fetching lower (it truncated) does not pull the mark down.
  EXPECT_FALSE(s.OnFollowerFetch(NodeId(2), Offset(3), Offset(5), absl::Seconds(2)));
  EXPECT_EQ(s.high_watermark(), Offset(5));
}

TEST(ReplicationState, SingleReplicaIsrCommitsOnAppend) {
  ReplicationState s(NodeId(1));
  s.Apply(Leader1({1}), Offset(0), Offset(0), absl::ZeroDuration());
  EXPECT_TRUE(s.OnLocalAppend(Offset(3)));
  EXPECT_EQ(s.high_watermark(), Offset(3));
}

TEST(ReplicationState, ShrinksFollowerNotCaughtUpWithinMaxLag) {
  ReplicationState s(NodeId(1));
  s.Apply(Leader1({1, 2, 3}), Offset(0), Offset(0), absl::ZeroDuration());
  s.OnLocalAppend(Offset(10));
  s.OnFollowerFetch(NodeId(2), Offset(10), Offset(10), absl::Seconds(20));
  s.OnFollowerFetch(NodeId(3), Offset(2), Offset(10), absl::Seconds(20));
  EXPECT_EQ(s.IsrToPropose(absl::Seconds(29), kLag), std::nullopt);
  EXPECT_THAT(s.IsrToPropose(absl::Seconds(31), kLag), Optional(ElementsAre(1, 2)));
}

TEST(ReplicationState, CaughtUpToPreviousLeaderEndCountsAsCaughtUp) {
  ReplicationState s(NodeId(1));
  s.Apply(Leader1({1, 2}), Offset(0), Offset(0), absl::ZeroDuration());
  s.OnFollowerFetch(NodeId(2), Offset(0), Offset(10), absl::Seconds(10));
  // Leader kept appending; the follower reached where the leader was at its last fetch.
  s.OnFollowerFetch(NodeId(2), Offset(10), Offset(20), absl::Seconds(35));
  EXPECT_EQ(s.IsrToPropose(absl::Seconds(36), kLag), std::nullopt);
  EXPECT_THAT(s.IsrToPropose(absl::Seconds(41), kLag), Optional(ElementsAre(1)));
}

TEST(ReplicationState, ExpandsFollowerAtHighWatermarkAndEpochStart) {
  ReplicationState s(NodeId(1));
  s.Apply(Leader1({1}), Offset(8), Offset(8), absl::ZeroDuration());
  s.OnLocalAppend(Offset(10));
  EXPECT_EQ(s.high_watermark(), Offset(10));
  s.OnFollowerFetch(NodeId(2), Offset(7), Offset(10), absl::Seconds(1));
  EXPECT_EQ(s.IsrToPropose(absl::Seconds(1), kLag), std::nullopt);
  s.OnFollowerFetch(NodeId(2), Offset(10), Offset(10), absl::Seconds(2));
  EXPECT_THAT(s.IsrToPropose(absl::Seconds(2), kLag), Optional(ElementsAre(1, 2)));
}

TEST(ReplicationState, DoesNotProposeIneligibleReplica) {
  ReplicationState s(NodeId(1));
  Assignment a = Leader1({1});
  a.ineligible = {2};
  s.Apply(a, Offset(0), Offset(0), absl::ZeroDuration());
  s.OnFollowerFetch(NodeId(2), Offset(0), Offset(0), absl::Seconds(1));
  EXPECT_EQ(s.IsrToPropose(absl::Seconds(1), kLag), std::nullopt);
  a.ineligible = {};
  s.Apply(a, Offset(0), Offset(0), absl::Seconds(2));
  EXPECT_THAT(s.IsrToPropose(absl::Seconds(2), kLag), Optional(ElementsAre(1, 2)));
}

TEST(ReplicationState, OneChangeInFlightAndMaximalIsrHoldsHighWatermark) {
  ReplicationState s(NodeId(1));
  s.Apply(Leader1({1}), Offset(0), Offset(0), absl::ZeroDuration());
  s.OnFollowerFetch(NodeId(2), Offset(0), Offset(0), absl::Seconds(1));
  auto proposal = s.IsrToPropose(absl::Seconds(1), kLag);
  ASSERT_THAT(proposal, Optional(ElementsAre(1, 2)));
  s.SetIsrChangeInFlight(*proposal);
  EXPECT_EQ(s.IsrToPropose(absl::Seconds(1), kLag), std::nullopt);
  // While 2 is being added, the high watermark waits for it (KIP-497).
  s.OnLocalAppend(Offset(5));
  EXPECT_EQ(s.high_watermark(), Offset(0));
  // The committed change settles it.
  s.Apply(Leader1({1, 2}, /*partition_epoch=*/1), Offset(5), Offset(0), absl::Seconds(2));
  EXPECT_FALSE(s.isr_change_in_flight());
  EXPECT_TRUE(s.OnFollowerFetch(NodeId(2), Offset(5), Offset(5), absl::Seconds(3)));
  EXPECT_EQ(s.high_watermark(), Offset(5));
}

TEST(ReplicationState, NewLeaderEpochResetsFollowerProgress) {
  ReplicationState s(NodeId(1));
  s.Apply(Leader1({1, 2}), Offset(0), Offset(0), absl::ZeroDuration());
  s.OnFollowerFetch(NodeId(2), Offset(0), Offset(0), absl::Seconds(1));
  s.Apply(Leader1({1, 2}, 1, /*epoch=*/2), Offset(4), Offset(0), absl::Seconds(2));
  EXPECT_EQ(s.leader_epoch_start_offset(), Offset(4));
  EXPECT_EQ(s.FollowerLogEnd(NodeId(2)), Offset(-1));
  EXPECT_FALSE(s.OnLocalAppend(Offset(6)));
  EXPECT_EQ(s.high_watermark(), Offset(0));
}

TEST(ReplicationState, FollowerTakesLeaderHighWatermarkCappedByItsLog) {
  ReplicationState s(NodeId(2));
  s.Apply(Leader1({1, 2}), Offset(3), Offset(0), absl::ZeroDuration());
  EXPECT_EQ(s.role(), Role::kFollower);
  s.OnLeaderHighWatermark(Offset(10), Offset(6));
  EXPECT_EQ(s.high_watermark(), Offset(6));
  s.OnLocalTruncate(Offset(4));
  EXPECT_EQ(s.high_watermark(), Offset(4));
  EXPECT_EQ(s.IsrToPropose(absl::Hours(1), kLag), std::nullopt);
}

TEST(ReplicationState, NotAReplicaHasNoRole) {
  ReplicationState s(NodeId(7));
  s.Apply(Leader1({1, 2, 3}), Offset(0), Offset(0), absl::ZeroDuration());
  EXPECT_EQ(s.role(), Role::kNone);
}

}  // namespace
}  // namespace karst::broker::replication

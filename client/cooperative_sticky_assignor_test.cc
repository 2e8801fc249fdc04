// Scenarios of Kafka's CooperativeStickyAssignorTest: a partition that changes owner is left
// unassigned for one generation (its owner revokes it), and the next rebalance assigns it.
#include <random>

#include "client/assignor_testing.h"
#include "client/rebalance_changes.h"
#include "client/sticky_assignor.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::client {
namespace {

using ::karst::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::Partitions;
using testing::PartitionsOf;
using testing::SubOwned;
using testing::Tp;
using ::testing::UnorderedElementsAre;

// One rebalance: the leader's cooperative-sticky assignment, checked as Java's
// ConsumerCoordinator does (no partition given away while still being revoked).
GroupAssignment Rebalance(const PartitionsPerTopic& partitions, const GroupSubscription& group) {
  absl::StatusOr<GroupAssignment> assignment =
      CooperativeStickyAssignor().Assign(partitions, group);
  EXPECT_THAT(assignment, IsOk());
  if (!assignment.ok()) return {};
  std::map<std::string, Partitions> owned;
  for (const auto& [member, subscription] : group) owned[member] = subscription.owned_partitions;
  EXPECT_THAT(ValidateCooperativeAssignment(owned, *assignment), IsOk());
  testing::VerifyValidityAndBalance(group, *assignment, partitions, /*complete=*/false);
  return *assignment;
}

// Every member rejoins owning what it was assigned, in the next generation.
GroupSubscription Rejoin(const GroupSubscription& group, const GroupAssignment& assignment,
                         int32_t generation) {
  GroupSubscription next;
  for (const auto& [member, subscription] : group) {
    next[member] = SubOwned(subscription.topics, assignment.at(member).partitions, generation);
  }
  return next;
}

TEST(CooperativeStickyAssignor, NewMemberGetsAMovedPartitionOneRebalanceLater) {
  PartitionsPerTopic partitions = {{"topic", 3}};
  GroupSubscription group = {{"consumer1", SubOwned({"topic"}, {}, kDefaultGeneration)}};
  GroupAssignment a = Rebalance(partitions, group);
  EXPECT_THAT(a.at("consumer1").partitions,
              ElementsAre(Tp("topic", 0), Tp("topic", 1), Tp("topic", 2)));

  group = Rejoin(group, a, 1);
  group["consumer2"] = SubOwned({"topic"}, {}, kDefaultGeneration);
  a = Rebalance(partitions, group);
  // topic-2 moves to consumer2: consumer1 revokes it first and consumer2 waits.
  EXPECT_THAT(a.at("consumer1").partitions, ElementsAre(Tp("topic", 0), Tp("topic", 1)));
  EXPECT_THAT(a.at("consumer2").partitions, IsEmpty());
  AssignmentChanges changes = ComputeAssignmentChanges(RebalanceProtocol::kCooperative,
                                                       group.at("consumer1").owned_partitions,
                                                       a.at("consumer1").partitions);
  EXPECT_THAT(changes.revoked, ElementsAre(Tp("topic", 2)));
  EXPECT_TRUE(changes.rejoin);

  a = Rebalance(partitions, Rejoin(group, a, 2));
  EXPECT_THAT(a.at("consumer1").partitions, ElementsAre(Tp("topic", 0), Tp("topic", 1)));
  EXPECT_THAT(a.at("consumer2").partitions, ElementsAre(Tp("topic", 2)));
}

TEST(CooperativeStickyAssignor, PartitionClaimedByTwoMembersOfOneGenerationWaitsOneRebalance) {
  // testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGeneration-
  // WithEqualPartitionsPerConsumer.
  PartitionsPerTopic partitions = {{"topic", 3}};
  GroupSubscription group = {
      {"consumer1", SubOwned({"topic"}, {Tp("topic", 0), Tp("topic", 1)}, 1)},
      {"consumer2", SubOwned({"topic"}, {Tp("topic", 0), Tp("topic", 2)}, 1)},
      {"consumer3", SubOwned({"topic"}, {}, 1)}};
  GroupAssignment a = Rebalance(partitions, group);
  EXPECT_THAT(a.at("consumer1").partitions, ElementsAre(Tp("topic", 1)));
  EXPECT_THAT(a.at("consumer2").partitions, ElementsAre(Tp("topic", 2)));
  EXPECT_THAT(a.at("consumer3").partitions, IsEmpty());

  a = Rebalance(partitions, Rejoin(group, a, 2));
  EXPECT_THAT(a.at("consumer1").partitions, ElementsAre(Tp("topic", 1)));
  EXPECT_THAT(a.at("consumer2").partitions, ElementsAre(Tp("topic", 2)));
  EXPECT_THAT(a.at("consumer3").partitions, ElementsAre(Tp("topic", 0)));
}

TEST(CooperativeStickyAssignor, GeneralCaseWithholdsPartitionsThatChangeOwner) {
  // Different subscriptions: the general builder does not track moves, so the transfers are
  // computed from owned_partitions.
  PartitionsPerTopic partitions = {{"t", 4}, {"u", 2}};
  GroupSubscription group = {
      {"consumer1",
       SubOwned({"t", "u"},
                {Tp("t", 0), Tp("t", 1), Tp("t", 2), Tp("t", 3), Tp("u", 0), Tp("u", 1)}, 1)},
      {"consumer2", SubOwned({"t"}, {}, kDefaultGeneration)}};
  GroupAssignment a = Rebalance(partitions, group);
  EXPECT_THAT(a.at("consumer2").partitions, IsEmpty());
  const Partitions kept = a.at("consumer1").partitions;
  EXPECT_EQ(kept.size(), 3u);

  a = Rebalance(partitions, Rejoin(group, a, 2));
  EXPECT_EQ(a.at("consumer1").partitions, kept);
  EXPECT_EQ(a.at("consumer2").partitions.size(), 3u);
  testing::VerifyValidityAndBalance(Rejoin(group, a, 3), a, partitions);
}

TEST(CooperativeStickyAssignor, EncodesAndDecodesTheGenerationInUserData) {
  CooperativeStickyAssignor assignor;
  // A v0/v1 subscription has no generation_id: the user data carries it.
  Subscription v1 = {.topics = {"t"},
                     .user_data = assignor.SubscriptionUserData({Tp("t", 0)}, 7),
                     .owned_partitions = {Tp("t", 0)}};
  EXPECT_EQ(assignor.MemberData(v1), (StickyMemberData{{Tp("t", 0)}, 7}));
  // v2+: the subscription's generation wins.
  v1.generation_id = 9;
  EXPECT_EQ(assignor.MemberData(v1).generation, 9);
  // Unparsable user data means the default generation; none means unknown.
  EXPECT_EQ(assignor.MemberData({.topics = {"t"}, .user_data = "x"}).generation,
            kDefaultGeneration);
  EXPECT_FALSE(assignor.MemberData({.topics = {"t"}}).generation.has_value());
}

TEST(CooperativeStickyAssignor, ConvergesThroughSeededMembershipChanges) {
  // Kafka's randomized reassignment tests, with a fixed seed: members join and leave; each
  // rebalance is valid for the cooperative protocol, and one more rebalance without changes
  // completes a balanced assignment.
  std::mt19937 random(20240611);
  PartitionsPerTopic partitions = {{"a", 7}, {"b", 5}, {"c", 12}};
  const std::vector<std::string> topics = {"a", "b", "c"};
  GroupSubscription group;
  GroupAssignment assignment;
  int32_t generation = 0;
  int next_member = 0;
  for (int round = 0; round < 30; ++round) {
    GroupSubscription next = Rejoin(group, assignment, generation);
    if (next.empty() || random() % 3 != 0) {
      next["m" + std::to_string(next_member++)] = SubOwned(topics, {}, kDefaultGeneration);
    } else if (next.size() > 1) {
      auto it = next.begin();
      std::advance(it, random() % next.size());
      next.erase(it);
    }
    ++generation;
    group = next;
    assignment = Rebalance(partitions, group);
    GroupAssignment settled = Rebalance(partitions, Rejoin(group, assignment, generation + 1));
    testing::VerifyValidityAndBalance(group, settled, partitions);
    EXPECT_TRUE(testing::IsFullyBalanced(settled)) << "round " << round;
  }
}

}  // namespace
}  // namespace karst::client

// Scenarios of Kafka's AbstractStickyAssignorTest, run for both sticky assignors: "sticky"
// learns previous ownership from its user data, "cooperative-sticky" from owned_partitions and
// generation_id. These check AssignSticky(), the assignment before cooperative-sticky leaves
// moving partitions out (cooperative_sticky_assignor_test.cc covers that step).
#include "client/sticky_assignor.h"

#include <set>

#include "client/assignor_testing.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::client {
namespace {

using ::karst::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::Partitions;
using testing::Sub;
using testing::Tp;
using ::testing::UnorderedElementsAre;
using testing::VerifyValidityAndBalance;
using Transfers = std::map<TopicPartition, std::string>;

constexpr int32_t kGeneration = 1;

class StickyTest : public ::testing::TestWithParam<std::string> {
 protected:
  const AbstractStickyAssignor& assignor() const {
    if (GetParam() == "sticky") return sticky_;
    return cooperative_;
  }

  // A member that owned `owned` in `generation`, as this assignor learns it.
  Subscription Owned(std::vector<std::string> topics, Partitions owned,
                     int32_t generation = kGeneration) const {
    if (GetParam() == "sticky") {
      return {.topics = std::move(topics), .user_data = EncodeStickyUserData(owned, generation)};
    }
    return testing::SubOwned(std::move(topics), std::move(owned), generation);
  }

  AbstractStickyAssignor::Result Assign(const PartitionsPerTopic& partitions,
                                        const GroupSubscription& group) {
    absl::StatusOr<AbstractStickyAssignor::Result> result =
        assignor().AssignSticky(partitions, group);
    EXPECT_THAT(result, IsOk());
    if (!result.ok()) return {};
    GroupAssignment as_assignment;
    for (const auto& [member, list] : result->assignment) as_assignment[member].partitions = list;
    EXPECT_EQ(as_assignment.size(), group.size());
    VerifyValidityAndBalance(group, as_assignment, partitions);
    return *std::move(result);
  }

  static bool FullyBalanced(const AbstractStickyAssignor::Result& r) {
    GroupAssignment a;
    for (const auto& [member, list] : r.assignment) a[member].partitions = list;
    return testing::IsFullyBalanced(a);
  }

 private:
  StickyAssignor sticky_;
  CooperativeStickyAssignor cooperative_;
};

INSTANTIATE_TEST_SUITE_P(BothAssignors, StickyTest,
                         ::testing::Values("sticky", "cooperative-sticky"));

TEST_P(StickyTest, OneConsumerNoTopic) {
  auto r = Assign({}, {{"consumer", Sub({})}});
  EXPECT_THAT(r.assignment.at("consumer"), IsEmpty());
  EXPECT_EQ(r.partitions_transferring_ownership, Transfers());
}

TEST_P(StickyTest, OneConsumerNonexistentTopic) {
  auto r = Assign({{"topic", 0}}, {{"consumer", Sub({"topic"})}});
  EXPECT_THAT(r.assignment.at("consumer"), IsEmpty());
}

TEST_P(StickyTest, OneConsumerOneTopic) {
  auto r = Assign({{"topic", 3}}, {{"consumer", Sub({"topic"})}});
  EXPECT_THAT(r.assignment.at("consumer"),
              ElementsAre(Tp("topic", 0), Tp("topic", 1), Tp("topic", 2)));
  EXPECT_EQ(r.partitions_transferring_ownership, Transfers());
}

TEST_P(StickyTest, OnlyAssignsPartitionsFromSubscribedTopics) {
  auto r =
      Assign({{"topic", 2}}, {{"consumer", Owned({"topic"}, {Tp("topic", 0), Tp("topic", 1),
                                                             Tp("other", 0), Tp("other", 1)})}});
  EXPECT_THAT(r.assignment.at("consumer"), ElementsAre(Tp("topic", 0), Tp("topic", 1)));
  EXPECT_EQ(r.partitions_transferring_ownership, Transfers());
}

TEST_P(StickyTest, OneConsumerMultipleTopics) {
  auto r = Assign({{"topic1", 1}, {"topic2", 2}}, {{"consumer", Sub({"topic1", "topic2"})}});
  EXPECT_THAT(r.assignment.at("consumer"),
              ElementsAre(Tp("topic1", 0), Tp("topic2", 0), Tp("topic2", 1)));
}

TEST_P(StickyTest, TwoConsumersOneTopicTwoPartitions) {
  auto r = Assign({{"topic", 2}}, {{"consumer1", Sub({"topic"})}, {"consumer2", Sub({"topic"})}});
  EXPECT_THAT(r.assignment.at("consumer1"), ElementsAre(Tp("topic", 0)));
  EXPECT_THAT(r.assignment.at("consumer2"), ElementsAre(Tp("topic", 1)));
}

TEST_P(StickyTest, MultipleConsumersMixedTopicSubscriptionsUseTheGeneralBuilder) {
  auto r = Assign({{"topic1", 3}, {"topic2", 2}}, {{"consumer1", Sub({"topic1"})},
                                                   {"consumer2", Sub({"topic1", "topic2"})},
                                                   {"consumer3", Sub({"topic1"})}});
  EXPECT_THAT(r.assignment.at("consumer1"), ElementsAre(Tp("topic1", 0), Tp("topic1", 2)));
  EXPECT_THAT(r.assignment.at("consumer2"), ElementsAre(Tp("topic2", 0), Tp("topic2", 1)));
  EXPECT_THAT(r.assignment.at("consumer3"), ElementsAre(Tp("topic1", 1)));
  EXPECT_FALSE(r.partitions_transferring_ownership.has_value());
  EXPECT_TRUE(FullyBalanced(r));
}

TEST_P(StickyTest, TwoConsumersTwoTopicsSixPartitions) {
  std::vector<std::string> topics = {"topic1", "topic2"};
  auto r = Assign({{"topic1", 3}, {"topic2", 3}},
                  {{"consumer1", Sub(topics)}, {"consumer2", Sub(topics)}});
  EXPECT_THAT(r.assignment.at("consumer1"),
              ElementsAre(Tp("topic1", 0), Tp("topic1", 2), Tp("topic2", 1)));
  EXPECT_THAT(r.assignment.at("consumer2"),
              ElementsAre(Tp("topic1", 1), Tp("topic2", 0), Tp("topic2", 2)));
}

TEST_P(StickyTest, ConsumerOwningMinQuotaExpectedMaxQuota) {
  std::vector<std::string> topics = {"topic1", "topic2"};
  auto r = Assign({{"topic1", 2}, {"topic2", 3}},
                  {{"consumer1", Owned(topics, {Tp("topic1", 0), Tp("topic2", 1)})},
                   {"consumer2", Owned(topics, {Tp("topic1", 1), Tp("topic2", 2)})}});
  EXPECT_THAT(r.assignment.at("consumer1"),
              ElementsAre(Tp("topic1", 0), Tp("topic2", 1), Tp("topic2", 0)));
  EXPECT_THAT(r.assignment.at("consumer2"), ElementsAre(Tp("topic1", 1), Tp("topic2", 2)));
  EXPECT_EQ(r.partitions_transferring_ownership, Transfers());
}

TEST_P(StickyTest, MaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers) {
  // Both owners hold maxQuota but only one may keep it; which one follows Kafka's HashMap order.
  std::vector<std::string> topics = {"topic1", "topic2"};
  auto r = Assign({{"topic1", 2}, {"topic2", 2}},
                  {{"consumer1", Owned(topics, {Tp("topic1", 0), Tp("topic2", 0)})},
                   {"consumer2", Owned(topics, {Tp("topic1", 1), Tp("topic2", 1)})},
                   {"consumer3", Owned(topics, {})}});
  EXPECT_EQ(r.partitions_transferring_ownership, (Transfers{{Tp("topic2", 0), "consumer3"}}));
  EXPECT_THAT(r.assignment.at("consumer1"), ElementsAre(Tp("topic1", 0)));
  EXPECT_THAT(r.assignment.at("consumer2"), ElementsAre(Tp("topic1", 1), Tp("topic2", 1)));
  EXPECT_THAT(r.assignment.at("consumer3"), ElementsAre(Tp("topic2", 0)));
}

TEST_P(StickyTest, AllConsumersAreUnderMinQuota) {
  std::vector<std::string> topics = {"topic1", "topic2"};
  auto r = Assign({{"topic1", 2}, {"topic2", 3}}, {{"consumer1", Owned(topics, {Tp("topic1", 0)})},
                                                   {"consumer2", Owned(topics, {Tp("topic1", 1)})},
                                                   {"consumer3", Owned(topics, {})}});
  EXPECT_EQ(r.partitions_transferring_ownership, Transfers());
  EXPECT_THAT(r.assignment.at("consumer1"), ElementsAre(Tp("topic1", 0), Tp("topic2", 1)));
  EXPECT_THAT(r.assignment.at("consumer2"), ElementsAre(Tp("topic1", 1), Tp("topic2", 2)));
  EXPECT_THAT(r.assignment.at("consumer3"), ElementsAre(Tp("topic2", 0)));
}

TEST_P(StickyTest, AllConsumersReachExpectedQuotaAndAreConsideredFilled) {
  auto r =
      Assign({{"topic", 4}}, {{"consumer1", Owned({"topic"}, {Tp("topic", 0), Tp("topic", 1)})},
                              {"consumer2", Owned({"topic"}, {Tp("topic", 2)})},
                              {"consumer3", Owned({"topic"}, {})}});
  EXPECT_THAT(r.assignment.at("consumer1"), ElementsAre(Tp("topic", 0), Tp("topic", 1)));
  EXPECT_THAT(r.assignment.at("consumer2"), ElementsAre(Tp("topic", 2)));
  EXPECT_THAT(r.assignment.at("consumer3"), ElementsAre(Tp("topic", 3)));
  EXPECT_EQ(r.partitions_transferring_ownership, Transfers());
}

TEST_P(StickyTest, AddRemoveConsumerOneTopic) {
  PartitionsPerTopic partitions = {{"topic", 3}};
  auto r = Assign(partitions, {{"consumer1", Sub({"topic"})}});
  EXPECT_THAT(r.assignment.at("consumer1"),
              ElementsAre(Tp("topic", 0), Tp("topic", 1), Tp("topic", 2)));

  r = Assign(partitions, {{"consumer1", Owned({"topic"}, r.assignment.at("consumer1"))},
                          {"consumer2", Owned({"topic"}, {})}});
  EXPECT_EQ(r.partitions_transferring_ownership, (Transfers{{Tp("topic", 2), "consumer2"}}));
  EXPECT_THAT(r.assignment.at("consumer1"), ElementsAre(Tp("topic", 0), Tp("topic", 1)));
  EXPECT_THAT(r.assignment.at("consumer2"), ElementsAre(Tp("topic", 2)));

  r = Assign(partitions, {{"consumer2", Owned({"topic"}, r.assignment.at("consumer2"))}});
  EXPECT_THAT(r.assignment.at("consumer2"),
              UnorderedElementsAre(Tp("topic", 0), Tp("topic", 1), Tp("topic", 2)));
  EXPECT_EQ(r.partitions_transferring_ownership, Transfers());
}

TEST_P(StickyTest, AddRemoveTwoConsumersTwoTopics) {
  // Kafka's scenario. Kafka's current builder keeps owned partitions in (partition, topic)
  // order (the lists below follow it); every member keeps what it may and moves are minimal.
  std::vector<std::string> topics = {"topic1", "topic2"};
  PartitionsPerTopic partitions = {{"topic1", 3}, {"topic2", 4}};
  auto r = Assign(partitions, {{"consumer1", Sub(topics)}, {"consumer2", Sub(topics)}});
  EXPECT_THAT(r.assignment.at("consumer1"),
              ElementsAre(Tp("topic1", 0), Tp("topic1", 2), Tp("topic2", 1), Tp("topic2", 3)));
  EXPECT_THAT(r.assignment.at("consumer2"),
              ElementsAre(Tp("topic1", 1), Tp("topic2", 0), Tp("topic2", 2)));

  r = Assign(partitions, {{"consumer1", Owned(topics, r.assignment.at("consumer1"))},
                          {"consumer2", Owned(topics, r.assignment.at("consumer2"))},
                          {"consumer3", Owned(topics, {})},
                          {"consumer4", Owned(topics, {})}});
  EXPECT_EQ(r.partitions_transferring_ownership, (Transfers{{Tp("topic1", 2), "consumer3"},
                                                            {Tp("topic2", 2), "consumer4"},
                                                            {Tp("topic2", 3), "consumer3"}}));
  EXPECT_THAT(r.assignment.at("consumer1"), ElementsAre(Tp("topic1", 0), Tp("topic2", 1)));
  EXPECT_THAT(r.assignment.at("consumer2"), ElementsAre(Tp("topic2", 0), Tp("topic1", 1)));
  EXPECT_THAT(r.assignment.at("consumer3"), ElementsAre(Tp("topic1", 2), Tp("topic2", 3)));
  EXPECT_THAT(r.assignment.at("consumer4"), ElementsAre(Tp("topic2", 2)));
  EXPECT_TRUE(FullyBalanced(r));

  const Partitions kept3 = r.assignment.at("consumer3");
  const Partitions kept4 = r.assignment.at("consumer4");
  r = Assign(partitions,
             {{"consumer3", Owned(topics, kept3)}, {"consumer4", Owned(topics, kept4)}});
  EXPECT_EQ(r.partitions_transferring_ownership, Transfers());
  for (const TopicPartition& tp : kept3)
    EXPECT_THAT(r.assignment.at("consumer3"), ::testing::Contains(tp));
  for (const TopicPartition& tp : kept4)
    EXPECT_THAT(r.assignment.at("consumer4"), ::testing::Contains(tp));
  EXPECT_TRUE(FullyBalanced(r));
}

TEST_P(StickyTest, PoorRoundRobinAssignmentScenarioIsBalanced) {
  PartitionsPerTopic partitions;
  for (int i = 1; i <= 5; ++i) partitions["topic" + std::to_string(i)] = (i % 2) + 1;
  std::vector<std::string> all = {"topic1", "topic2", "topic3", "topic4", "topic5"};
  std::vector<std::string> odd = {"topic1", "topic3", "topic5"};
  auto r = Assign(partitions, {{"consumer1", Sub(all)},
                               {"consumer2", Sub(odd)},
                               {"consumer3", Sub(odd)},
                               {"consumer4", Sub(all)}});
  for (const auto& [member, list] : r.assignment) EXPECT_EQ(list.size(), 2u) << member;
}

TEST_P(StickyTest, AddRemoveTopicTwoConsumersIsSticky) {
  PartitionsPerTopic partitions = {{"topic", 3}};
  auto r = Assign(partitions, {{"consumer1", Sub({"topic"})}, {"consumer2", Sub({"topic"})}});
  const Partitions first1 = r.assignment.at("consumer1");
  const Partitions first2 = r.assignment.at("consumer2");

  partitions["topic2"] = 3;
  std::vector<std::string> both = {"topic", "topic2"};
  r = Assign(partitions, {{"consumer1", Owned(both, first1)}, {"consumer2", Owned(both, first2)}});
  EXPECT_EQ(r.partitions_transferring_ownership, Transfers());
  const Partitions second1 = r.assignment.at("consumer1");
  const Partitions second2 = r.assignment.at("consumer2");
  EXPECT_EQ(second1.size(), 3u);
  EXPECT_EQ(second2.size(), 3u);
  for (const TopicPartition& tp : first1) EXPECT_THAT(second1, ::testing::Contains(tp));
  for (const TopicPartition& tp : first2) EXPECT_THAT(second2, ::testing::Contains(tp));

  partitions.erase("topic");
  r = Assign(partitions, {{"consumer1", Owned({"topic2"}, second1)},
                          {"consumer2", Owned({"topic2"}, second2)}});
  EXPECT_EQ(r.partitions_transferring_ownership, Transfers());
  for (const TopicPartition& tp : r.assignment.at("consumer1")) {
    EXPECT_THAT(second1, ::testing::Contains(tp));
  }
  for (const TopicPartition& tp : r.assignment.at("consumer2")) {
    EXPECT_THAT(second2, ::testing::Contains(tp));
  }
}

std::string Name(int i) { return (i < 10 ? "0" : "") + std::to_string(i); }

TEST_P(StickyTest, ReassignmentAfterOneConsumerLeavesWithMixedSubscriptions) {
  // Member i subscribes to topics 1..i, topic i has i partitions (testReassignmentAfterOne-
  // ConsumerLeaves): the general builder, balanced and sticky when consumer10 leaves.
  PartitionsPerTopic partitions;
  GroupSubscription group;
  for (int i = 1; i < 20; ++i) {
    partitions["topic" + Name(i)] = i;
    std::vector<std::string> topics;
    for (int j = 1; j <= i; ++j) topics.push_back("topic" + Name(j));
    group["consumer" + Name(i)] = Sub(topics);
  }
  auto r = Assign(partitions, group);
  GroupSubscription next;
  for (auto& [member, subscription] : group) {
    if (member == "consumer10") continue;
    next[member] = Owned(subscription.topics, r.assignment.at(member));
  }
  auto after = Assign(partitions, next);
  for (const auto& [member, list] : after.assignment) {
    size_t kept = 0;
    for (const TopicPartition& tp : r.assignment.at(member)) {
      kept += std::count(list.begin(), list.end(), tp);
    }
    // Nobody loses partitions when a member leaves: they only gain the leaver's.
    EXPECT_EQ(kept, r.assignment.at(member).size()) << member;
  }
}

TEST_P(StickyTest, SameSubscriptionsOfManyMembersStayBalancedAndSticky) {
  // A deterministic stand-in for testReassignmentWithRandomSubscriptionsAndChanges on the
  // constrained path: 7 members, then 3 more join, then 4 leave.
  PartitionsPerTopic partitions = {{"a", 13}, {"b", 7}, {"c", 1}};
  std::vector<std::string> topics = {"a", "b", "c"};
  GroupSubscription group;
  for (int i = 0; i < 7; ++i) group["m" + Name(i)] = Sub(topics);
  auto r = Assign(partitions, group);
  EXPECT_TRUE(FullyBalanced(r));
  for (int round = 0; round < 2; ++round) {
    GroupSubscription next;
    for (const auto& [member, list] : r.assignment) next[member] = Owned(topics, list);
    if (round == 0) {
      for (int i = 7; i < 10; ++i) next["m" + Name(i)] = Owned(topics, {});
    } else {
      for (int i = 0; i < 4; ++i) next.erase("m" + Name(i));
    }
    auto after = Assign(partitions, next);
    EXPECT_TRUE(FullyBalanced(after));
    const size_t min_quota = 21 / next.size();
    for (const auto& [member, list] : after.assignment) {
      if (!r.assignment.contains(member)) continue;
      size_t kept = 0;
      for (const TopicPartition& tp : r.assignment.at(member)) {
        kept += std::count(list.begin(), list.end(), tp);
      }
      EXPECT_GE(kept, std::min(r.assignment.at(member).size(), min_quota)) << member;
    }
    r = after;
  }
}

TEST_P(StickyTest, AssignmentUpdatedForDeletedTopic) {
  auto r =
      Assign({{"topic1", 1}, {"topic3", 100}}, {{"consumer", Sub({"topic1", "topic2", "topic3"})}});
  EXPECT_EQ(r.assignment.at("consumer").size(), 101u);
}

TEST_P(StickyTest, NoErrorWhenOnlySubscribedTopicDeleted) {
  auto r = Assign({}, {{"consumer", Owned({"topic"}, {Tp("topic", 0), Tp("topic", 1)})}});
  EXPECT_THAT(r.assignment.at("consumer"), IsEmpty());
  EXPECT_EQ(r.partitions_transferring_ownership, Transfers());
}

TEST_P(StickyTest, OwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration) {
  std::vector<std::string> topics = {"topic", "topic2"};
  Partitions claimed = {Tp("topic", 0), Tp("topic", 2), Tp("topic2", 1)};
  auto r = Assign({{"topic", 3}, {"topic2", 3}}, {{"consumer1", Owned(topics, claimed, 10)},
                                                  {"consumer2", Owned(topics, claimed, 9)}});
  EXPECT_THAT(r.assignment.at("consumer1"),
              UnorderedElementsAre(Tp("topic", 0), Tp("topic", 2), Tp("topic2", 1)));
  EXPECT_THAT(r.assignment.at("consumer2"),
              UnorderedElementsAre(Tp("topic", 1), Tp("topic2", 0), Tp("topic2", 2)));
  EXPECT_EQ(r.partitions_transferring_ownership, Transfers());
}

TEST_P(StickyTest, OwnedPartitionsAreInvalidatedForConsumerWithNoGeneration) {
  std::vector<std::string> topics = {"topic", "topic2"};
  Partitions claimed = {Tp("topic", 0), Tp("topic", 2), Tp("topic2", 1)};
  auto r = Assign({{"topic", 3}, {"topic2", 3}},
                  {{"consumer1", Owned(topics, claimed, 10)},
                   {"consumer2", Owned(topics, claimed, kDefaultGeneration)}});
  EXPECT_THAT(r.assignment.at("consumer1"),
              UnorderedElementsAre(Tp("topic", 0), Tp("topic", 2), Tp("topic2", 1)));
  EXPECT_THAT(r.assignment.at("consumer2"),
              UnorderedElementsAre(Tp("topic", 1), Tp("topic2", 0), Tp("topic2", 2)));
  EXPECT_EQ(r.partitions_transferring_ownership, Transfers());
}

TEST_P(StickyTest, PartitionClaimedByTwoMembersOfOneGenerationTransfers) {
  auto r =
      Assign({{"topic", 3}}, {{"consumer1", Owned({"topic"}, {Tp("topic", 0), Tp("topic", 1)})},
                              {"consumer2", Owned({"topic"}, {Tp("topic", 0), Tp("topic", 2)})},
                              {"consumer3", Owned({"topic"}, {})}});
  EXPECT_EQ(r.partitions_transferring_ownership, (Transfers{{Tp("topic", 0), "consumer3"}}));
  EXPECT_THAT(r.assignment.at("consumer1"), ElementsAre(Tp("topic", 1)));
  EXPECT_THAT(r.assignment.at("consumer2"), ElementsAre(Tp("topic", 2)));
  EXPECT_THAT(r.assignment.at("consumer3"), ElementsAre(Tp("topic", 0)));
}

TEST_P(StickyTest, EnsurePartitionsAssignedToHighestGeneration) {
  std::vector<std::string> topics = {"topic", "topic2", "topic3"};
  auto r = Assign(
      {{"topic", 3}, {"topic2", 3}, {"topic3", 3}},
      {{"consumer1", Owned(topics, {Tp("topic", 0), Tp("topic2", 0), Tp("topic3", 0)}, 10)},
       {"consumer2", Owned(topics, {Tp("topic", 1), Tp("topic2", 1), Tp("topic3", 1)}, 9)},
       {"consumer3", Owned(topics, {Tp("topic2", 1), Tp("topic3", 0), Tp("topic3", 2)}, 8)}});
  EXPECT_THAT(r.assignment.at("consumer1"),
              UnorderedElementsAre(Tp("topic", 0), Tp("topic2", 0), Tp("topic3", 0)));
  EXPECT_THAT(r.assignment.at("consumer2"),
              UnorderedElementsAre(Tp("topic", 1), Tp("topic2", 1), Tp("topic3", 1)));
  EXPECT_THAT(r.assignment.at("consumer3"),
              UnorderedElementsAre(Tp("topic", 2), Tp("topic2", 2), Tp("topic3", 2)));
  EXPECT_EQ(r.partitions_transferring_ownership, Transfers());
}

TEST_P(StickyTest, NoReassignmentOnCurrentMembers) {
  std::vector<std::string> topics = {"topic", "topic2", "topic3", "topic1"};
  auto r =
      Assign({{"topic", 3}, {"topic1", 3}, {"topic2", 3}, {"topic3", 3}},
             {{"consumer1", Owned(topics, {}, kDefaultGeneration)},
              {"consumer2", Owned(topics, {Tp("topic", 0), Tp("topic2", 0), Tp("topic1", 0)}, 9)},
              {"consumer3", Owned(topics, {Tp("topic3", 2), Tp("topic2", 2), Tp("topic1", 1)}, 8)},
              {"consumer4", Owned(topics, {Tp("topic3", 1), Tp("topic", 1), Tp("topic", 2)}, 7)}});
  EXPECT_THAT(r.assignment.at("consumer1"),
              UnorderedElementsAre(Tp("topic1", 2), Tp("topic2", 1), Tp("topic3", 0)));
  EXPECT_EQ(r.partitions_transferring_ownership, Transfers());
  EXPECT_TRUE(FullyBalanced(r));
}

TEST_P(StickyTest, GeneralBuilderKeepsNewerGenerationClaims) {
  // Different subscriptions (general builder): consumer2's claim on t-1 is older, so
  // consumer1 keeps t-1 and balancing moves the first movable partition, t-0, instead.
  auto r = Assign({{"t", 4}, {"u", 1}},
                  {{"consumer1", Owned({"t"}, {Tp("t", 0), Tp("t", 1), Tp("t", 2), Tp("t", 3)}, 5)},
                   {"consumer2", Owned({"t", "u"}, {Tp("t", 1)}, 4)}});
  EXPECT_THAT(r.assignment.at("consumer1"), ElementsAre(Tp("t", 1), Tp("t", 2), Tp("t", 3)));
  EXPECT_THAT(r.assignment.at("consumer2"), ElementsAre(Tp("u", 0), Tp("t", 0)));
  EXPECT_FALSE(r.partitions_transferring_ownership.has_value());
}

TEST_P(StickyTest, PartitionListedTwiceByOneMemberIsKeptOnce) {
  auto r =
      Assign({{"topic", 2}}, {{"consumer1", Owned({"topic"}, {Tp("topic", 0), Tp("topic", 0)})},
                              {"consumer2", Owned({"topic"}, {})}});
  EXPECT_THAT(r.assignment.at("consumer1"), ElementsAre(Tp("topic", 0)));
  EXPECT_THAT(r.assignment.at("consumer2"), ElementsAre(Tp("topic", 1)));
}

TEST(StickyUserData, RoundTripsAndFallsBackToV0) {
  Partitions partitions = {Tp("t", 1), Tp("t", 0), Tp("u", 0)};  // Encoded grouped by topic.
  StickyMemberData decoded = DecodeStickyUserData(EncodeStickyUserData(partitions, 7));
  EXPECT_EQ(decoded.partitions, partitions);
  EXPECT_EQ(decoded.generation, 7);
  std::string v1 = EncodeStickyUserData(partitions, 7);
  StickyMemberData v0 = DecodeStickyUserData(v1.substr(0, v1.size() - 4));
  EXPECT_EQ(v0.partitions, partitions);
  EXPECT_FALSE(v0.generation.has_value());
  EXPECT_EQ(DecodeStickyUserData("\x01"), (StickyMemberData{{}, kDefaultGeneration}));
}

TEST(StickyUserData, StickySendsNoUserDataBeforeItsFirstAssignment) {
  StickyAssignor assignor;
  EXPECT_FALSE(assignor.SubscriptionUserData({}, kDefaultGeneration).has_value());
  auto data = assignor.SubscriptionUserData({Tp("t", 0)}, 3);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(assignor.MemberData({.topics = {"t"}, .user_data = data}),
            (StickyMemberData{{Tp("t", 0)}, 3}));
}

}  // namespace
}  // namespace karst::client

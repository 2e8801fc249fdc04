// Scenarios of Kafka's RangeAssignorTest and RoundRobinAssignorTest, same inputs and outputs.
#include "client/range_assignor.h"

#include "client/assignor_testing.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::client {
namespace {

using ::karst::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::PartitionsOf;
using testing::Sub;
using testing::Tp;

GroupAssignment MustAssign(const Assignor& assignor, const PartitionsPerTopic& partitions,
                           const GroupSubscription& subscriptions) {
  absl::StatusOr<GroupAssignment> result = assignor.Assign(partitions, subscriptions);
  EXPECT_THAT(result, IsOk());
  return result.ok() ? *result : GroupAssignment();
}

Subscription Static(std::vector<std::string> topics, std::string instance) {
  Subscription s = Sub(std::move(topics));
  s.group_instance_id = std::move(instance);
  return s;
}

TEST(RangeAssignor, OneConsumerNoTopicGetsNothing) {
  auto a = MustAssign(RangeAssignor(), {}, {{"c", Sub({})}});
  EXPECT_THAT(a.at("c").partitions, IsEmpty());
}

TEST(RangeAssignor, OneConsumerNonexistentTopicGetsNothing) {
  auto a = MustAssign(RangeAssignor(), {}, {{"c", Sub({"topic"})}});
  EXPECT_THAT(a.at("c").partitions, IsEmpty());
}

TEST(RangeAssignor, OneConsumerOneTopic) {
  auto a = MustAssign(RangeAssignor(), {{"topic", 3}}, {{"c", Sub({"topic"})}});
  EXPECT_THAT(a.at("c").partitions, ElementsAre(Tp("topic", 0), Tp("topic", 1), Tp("topic", 2)));
}

TEST(RangeAssignor, OnlyAssignsPartitionsFromSubscribedTopics) {
  auto a = MustAssign(RangeAssignor(), {{"topic", 3}, {"other", 3}}, {{"c", Sub({"topic"})}});
  EXPECT_THAT(a.at("c").partitions, ElementsAre(Tp("topic", 0), Tp("topic", 1), Tp("topic", 2)));
}

TEST(RangeAssignor, OneConsumerMultipleTopics) {
  auto a = MustAssign(RangeAssignor(), {{"topic1", 1}, {"topic2", 2}},
                      {{"c", Sub({"topic1", "topic2"})}});
  EXPECT_THAT(a.at("c").partitions, ElementsAre(Tp("topic1", 0), Tp("topic2", 0), Tp("topic2", 1)));
}

TEST(RangeAssignor, TwoConsumersOneTopicOnePartition) {
  auto a = MustAssign(RangeAssignor(), {{"topic", 1}},
                      {{"consumer1", Sub({"topic"})}, {"consumer2", Sub({"topic"})}});
  EXPECT_THAT(a.at("consumer1").partitions, ElementsAre(Tp("topic", 0)));
  EXPECT_THAT(a.at("consumer2").partitions, IsEmpty());
}

TEST(RangeAssignor, TwoConsumersOneTopicTwoPartitions) {
  auto a = MustAssign(RangeAssignor(), {{"topic", 2}},
                      {{"consumer1", Sub({"topic"})}, {"consumer2", Sub({"topic"})}});
  EXPECT_THAT(a.at("consumer1").partitions, ElementsAre(Tp("topic", 0)));
  EXPECT_THAT(a.at("consumer2").partitions, ElementsAre(Tp("topic", 1)));
}

TEST(RangeAssignor, MultipleConsumersMixedTopics) {
  auto a = MustAssign(RangeAssignor(), {{"topic1", 3}, {"topic2", 2}},
                      {{"consumer1", Sub({"topic1"})},
                       {"consumer2", Sub({"topic1", "topic2"})},
                       {"consumer3", Sub({"topic1"})}});
  EXPECT_THAT(a.at("consumer1").partitions, ElementsAre(Tp("topic1", 0)));
  EXPECT_THAT(a.at("consumer2").partitions,
              ElementsAre(Tp("topic1", 1), Tp("topic2", 0), Tp("topic2", 1)));
  EXPECT_THAT(a.at("consumer3").partitions, ElementsAre(Tp("topic1", 2)));
}

TEST(RangeAssignor, TwoConsumersTwoTopicsSixPartitions) {
  auto a = MustAssign(
      RangeAssignor(), {{"topic1", 3}, {"topic2", 3}},
      {{"consumer1", Sub({"topic1", "topic2"})}, {"consumer2", Sub({"topic1", "topic2"})}});
  EXPECT_THAT(a.at("consumer1").partitions,
              ElementsAre(Tp("topic1", 0), Tp("topic1", 1), Tp("topic2", 0), Tp("topic2", 1)));
  EXPECT_THAT(a.at("consumer2").partitions, ElementsAre(Tp("topic1", 2), Tp("topic2", 2)));
}

TEST(RangeAssignor, StaticMembersComeFirstAndKeepRangesAcrossMemberIds) {
  // testStaticMemberRangeAssignmentPersistent: three static members and one dynamic.
  PartitionsPerTopic partitions = {{"topic1", 5}, {"topic2", 5}};
  std::vector<std::string> topics = {"topic1", "topic2"};
  GroupSubscription group = {{"consumer1", Static(topics, "instance1")},
                             {"consumer2", Static(topics, "instance2")},
                             {"consumer3", Static(topics, "instance3")},
                             {"a-dynamic", Sub(topics)}};
  auto a = MustAssign(RangeAssignor(), partitions, group);
  EXPECT_THAT(a.at("consumer1").partitions,
              ElementsAre(Tp("topic1", 0), Tp("topic1", 1), Tp("topic2", 0), Tp("topic2", 1)));
  EXPECT_THAT(a.at("consumer2").partitions, ElementsAre(Tp("topic1", 2), Tp("topic2", 2)));
  EXPECT_THAT(a.at("consumer3").partitions, ElementsAre(Tp("topic1", 3), Tp("topic2", 3)));
  EXPECT_THAT(a.at("a-dynamic").partitions, ElementsAre(Tp("topic1", 4), Tp("topic2", 4)));

  // The static members rejoin with new member ids: same instances, same ranges.
  GroupSubscription rejoined = {{"z1", Static(topics, "instance1")},
                                {"y2", Static(topics, "instance2")},
                                {"x3", Static(topics, "instance3")},
                                {"a-dynamic", Sub(topics)}};
  auto b = MustAssign(RangeAssignor(), partitions, rejoined);
  EXPECT_EQ(b.at("z1").partitions, a.at("consumer1").partitions);
  EXPECT_EQ(b.at("y2").partitions, a.at("consumer2").partitions);
  EXPECT_EQ(b.at("x3").partitions, a.at("consumer3").partitions);
}

TEST(RoundRobinAssignor, OneConsumerOneTopic) {
  auto a = MustAssign(RoundRobinAssignor(), {{"topic", 3}}, {{"c", Sub({"topic"})}});
  EXPECT_THAT(a.at("c").partitions, ElementsAre(Tp("topic", 0), Tp("topic", 1), Tp("topic", 2)));
}

TEST(RoundRobinAssignor, OneConsumerNoTopicOrNonexistentTopicGetsNothing) {
  EXPECT_THAT(MustAssign(RoundRobinAssignor(), {}, {{"c", Sub({})}}).at("c").partitions, IsEmpty());
  EXPECT_THAT(MustAssign(RoundRobinAssignor(), {}, {{"c", Sub({"t"})}}).at("c").partitions,
              IsEmpty());
}

TEST(RoundRobinAssignor, OnlyAssignsPartitionsFromSubscribedTopics) {
  auto a = MustAssign(RoundRobinAssignor(), {{"topic", 3}, {"other", 3}}, {{"c", Sub({"topic"})}});
  EXPECT_THAT(a.at("c").partitions, ElementsAre(Tp("topic", 0), Tp("topic", 1), Tp("topic", 2)));
}

TEST(RoundRobinAssignor, TwoConsumersOneTopicOnePartition) {
  auto a = MustAssign(RoundRobinAssignor(), {{"topic", 1}},
                      {{"consumer1", Sub({"topic"})}, {"consumer2", Sub({"topic"})}});
  EXPECT_THAT(a.at("consumer1").partitions, ElementsAre(Tp("topic", 0)));
  EXPECT_THAT(a.at("consumer2").partitions, IsEmpty());
}

TEST(RoundRobinAssignor, MultipleConsumersMixedTopicsSkipsUnsubscribedMembers) {
  auto a = MustAssign(RoundRobinAssignor(), {{"topic1", 3}, {"topic2", 2}},
                      {{"consumer1", Sub({"topic1"})},
                       {"consumer2", Sub({"topic1", "topic2"})},
                       {"consumer3", Sub({"topic1"})}});
  EXPECT_THAT(a.at("consumer1").partitions, ElementsAre(Tp("topic1", 0)));
  EXPECT_THAT(a.at("consumer2").partitions,
              ElementsAre(Tp("topic1", 1), Tp("topic2", 0), Tp("topic2", 1)));
  EXPECT_THAT(a.at("consumer3").partitions, ElementsAre(Tp("topic1", 2)));
}

TEST(RoundRobinAssignor, TwoDynamicConsumersTwoTopicsSixPartitions) {
  auto a = MustAssign(
      RoundRobinAssignor(), {{"topic1", 3}, {"topic2", 3}},
      {{"consumer1", Sub({"topic1", "topic2"})}, {"consumer2", Sub({"topic1", "topic2"})}});
  EXPECT_THAT(a.at("consumer1").partitions,
              ElementsAre(Tp("topic1", 0), Tp("topic1", 2), Tp("topic2", 1)));
  EXPECT_THAT(a.at("consumer2").partitions,
              ElementsAre(Tp("topic1", 1), Tp("topic2", 0), Tp("topic2", 2)));
}

TEST(RoundRobinAssignor, OneStaticConsumerGoesBeforeADynamicOne) {
  std::vector<std::string> topics = {"topic1", "topic2"};
  auto a = MustAssign(RoundRobinAssignor(), {{"topic1", 3}, {"topic2", 3}},
                      {{"consumer1", Sub(topics)}, {"consumer2", Static(topics, "instance2")}});
  EXPECT_THAT(a.at("consumer2").partitions,
              ElementsAre(Tp("topic1", 0), Tp("topic1", 2), Tp("topic2", 1)));
  EXPECT_THAT(a.at("consumer1").partitions,
              ElementsAre(Tp("topic1", 1), Tp("topic2", 0), Tp("topic2", 2)));
}

}  // namespace
}  // namespace karst::client

#include "controller/leader_rebalance.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

MetadataImage Image(std::vector<PartitionState> partitions, std::vector<int32_t> fenced = {}) {
  MetadataImage image;
  for (int32_t id = 1; id <= 3; ++id) {
    image.brokers[NodeId(id)] = {
        .id = NodeId(id), .fenced = std::find(fenced.begin(), fenced.end(), id) != fenced.end()};
  }
  TopicImage& topic = image.topics["id"];
  topic.name = "orders";
  topic.id = "id";
  for (size_t i = 0; i < partitions.size(); ++i) {
    topic.partitions[static_cast<int32_t>(i)] = partitions[i];
  }
  image.topic_ids["orders"] = "id";
  return image;
}

PartitionState Led(std::vector<int32_t> replicas, int32_t leader, std::vector<int32_t> isr) {
  return {.replicas = std::move(replicas), .isr = std::move(isr), .leader = NodeId(leader)};
}

TEST(PartitionsToRebalance, NothingWhenPreferredReplicasLead) {
  MetadataImage image = Image({Led({1, 2}, 1, {1, 2}), Led({2, 1}, 2, {1, 2})});
  EXPECT_THAT(PartitionsToRebalance(image, 10), IsEmpty());
}

TEST(PartitionsToRebalance, ElectsAnImbalancedBrokersPartitionsWhereItIsInSync) {
  // Broker 1 is preferred for three partitions and leads none of them (100% > 10%); it is
  // in the ISR of two.
  MetadataImage image = Image({Led({1, 2}, 2, {1, 2}), Led({1, 3}, 3, {3, 1}), Led({1, 2}, 2, {2}),
                               Led({2, 1}, 2, {1, 2})});
  EXPECT_THAT(PartitionsToRebalance(image, 10), ElementsAre(Pair("orders", 0), Pair("orders", 1)));
}

TEST(PartitionsToRebalance, RespectsTheThresholdAndSkipsFencedBrokers) {
  // Broker 1: one of four preferred partitions led elsewhere = 25%.
  std::vector<PartitionState> partitions = {Led({1, 2}, 2, {1, 2}), Led({1, 2}, 1, {1, 2}),
                                            Led({1, 2}, 1, {1, 2}), Led({1, 2}, 1, {1, 2})};
  EXPECT_THAT(PartitionsToRebalance(Image(partitions), 25), IsEmpty());
  EXPECT_THAT(PartitionsToRebalance(Image(partitions), 10), ElementsAre(Pair("orders", 0)));
  EXPECT_THAT(PartitionsToRebalance(Image(partitions, /*fenced=*/{1}), 10), IsEmpty());
}

}  // namespace
}  // namespace karst::controller

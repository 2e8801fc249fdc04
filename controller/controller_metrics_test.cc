// CountMetadata on hand-built images, and the gauges ControllerMetrics publishes from them.
#include "controller/controller_metrics.h"

#include <map>
#include <string>

#include "gtest/gtest.h"
#include "prometheus/registry.h"

namespace karst::controller {
namespace {

PartitionState Partition(std::vector<int32_t> replicas, int32_t leader) {
  PartitionState p;
  p.replicas = replicas;
  p.isr = replicas;
  p.leader = NodeId(leader);
  return p;
}

MetadataImage Image() {
  MetadataImage image;
  image.offset = 41;
  image.brokers[NodeId(1)].fenced = false;
  image.brokers[NodeId(2)].fenced = false;
  image.brokers[NodeId(3)].fenced = true;
  TopicImage& a = image.topics["id-a"];
  a.partitions[0] = Partition({1, 2}, 1);   // Preferred leader.
  a.partitions[1] = Partition({2, 1}, 1);   // Not the preferred leader.
  a.partitions[2] = Partition({3, 1}, -1);  // Offline.
  image.topics["id-b"].partitions[0] = Partition({2}, 2);
  return image;
}

TEST(CountMetadata, EmptyImageCountsNothing) {
  EXPECT_EQ(CountMetadata(MetadataImage{}), MetadataCounts{});
}

TEST(CountMetadata, CountsTopicsPartitionsLeadersAndBrokers) {
  const MetadataCounts c = CountMetadata(Image());
  EXPECT_EQ(c.topics, 2);
  EXPECT_EQ(c.partitions, 4);
  EXPECT_EQ(c.offline_partitions, 1);
  EXPECT_EQ(c.preferred_replica_imbalance, 1);
  EXPECT_EQ(c.active_brokers, 2);
  EXPECT_EQ(c.fenced_brokers, 1);
}

std::map<std::string, double> Gauges(prometheus::Registry& registry) {
  std::map<std::string, double> out;
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    for (const prometheus::ClientMetric& metric : family.metric) {
      out[family.name] = metric.gauge.value;
    }
  }
  return out;
}

TEST(ControllerMetrics, PublishesTheCountsAndWhetherActive) {
  prometheus::Registry registry;
  ControllerMetrics metrics(registry);
  metrics.Update(Image(), /*active=*/true);
  std::map<std::string, double> g = Gauges(registry);
  EXPECT_EQ(g["karst_controller_active_controller_count"], 1);
  EXPECT_EQ(g["karst_controller_metadata_offset"], 41);
  EXPECT_EQ(g["karst_controller_global_topic_count"], 2);
  EXPECT_EQ(g["karst_controller_global_partition_count"], 4);
  EXPECT_EQ(g["karst_controller_offline_partitions_count"], 1);
  EXPECT_EQ(g["karst_controller_preferred_replica_imbalance_count"], 1);
  EXPECT_EQ(g["karst_controller_active_broker_count"], 2);
  EXPECT_EQ(g["karst_controller_fenced_broker_count"], 1);

  metrics.Update(MetadataImage{}, /*active=*/false);
  g = Gauges(registry);
  EXPECT_EQ(g["karst_controller_active_controller_count"], 0);
  EXPECT_EQ(g["karst_controller_metadata_offset"], -1);
  EXPECT_EQ(g["karst_controller_global_topic_count"], 0);
  EXPECT_EQ(g["karst_controller_fenced_broker_count"], 0);
}

TEST(ControllerMetrics, ObservesWriteQueueAndProcessingTimes) {
  prometheus::Registry registry;
  ControllerMetrics metrics(registry);
  metrics.ObserveWrite(absl::Milliseconds(2), absl::Milliseconds(30));
  metrics.ObserveWrite(absl::ZeroDuration(), absl::Milliseconds(4));
  std::map<std::string, std::pair<uint64_t, double>> histograms;
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    for (const prometheus::ClientMetric& metric : family.metric) {
      histograms[family.name] = {metric.histogram.sample_count, metric.histogram.sample_sum};
    }
  }
  EXPECT_EQ(histograms["karst_controller_event_queue_seconds"].first, 2u);
  EXPECT_DOUBLE_EQ(histograms["karst_controller_event_queue_seconds"].second, 0.002);
  EXPECT_EQ(histograms["karst_controller_event_processing_seconds"].first, 2u);
  EXPECT_DOUBLE_EQ(histograms["karst_controller_event_processing_seconds"].second, 0.034);
}

}  // namespace
}  // namespace karst::controller

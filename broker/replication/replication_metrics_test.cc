#include "broker/replication/replication_metrics.h"

#include "gtest/gtest.h"
#include "prometheus/registry.h"

namespace karst::broker::replication {
namespace {

TEST(CountReplicas, CountsOnlyLedPartitionsAsUnderReplicated) {
  std::vector<ReplicaView> views = {
      {.tp = {"a", 0}, .role = Role::kLeader, .replicas = 3, .isr = 3, .min_isr = 2},
      {.tp = {"a", 1}, .role = Role::kLeader, .replicas = 3, .isr = 2, .min_isr = 2},
      {.tp = {"a", 2}, .role = Role::kLeader, .replicas = 3, .isr = 1, .min_isr = 2},
      {.tp = {"b", 0}, .role = Role::kFollower, .replicas = 3, .isr = 1, .min_isr = 2},
  };
  EXPECT_EQ(
      CountReplicas(views),
      (ReplicaCounts{.partitions = 4, .leaders = 3, .under_replicated = 2, .under_min_isr = 1}));
}

TEST(ReplicationMetrics, DropsTheSeriesOfPartitionsNoLongerHosted) {
  prometheus::Registry registry;
  ReplicationMetrics metrics(registry);
  metrics.Update({{.tp = {"a", 0}, .log_end_offset = Offset(5), .high_watermark = Offset(4)},
                  {.tp = {"a", 1}}},
                 0);
  auto series = [&registry](const std::string& family) {
    for (const auto& f : registry.Collect()) {
      if (f.name == family) return f.metric.size();
    }
    return size_t{0};
  };
  EXPECT_EQ(series("karst_partition_log_end_offset"), 2u);
  metrics.Update({{.tp = {"a", 1}}}, 0);
  EXPECT_EQ(series("karst_partition_log_end_offset"), 1u);
  EXPECT_EQ(series("karst_partition_high_watermark"), 1u);
}

}  // namespace
}  // namespace karst::broker::replication

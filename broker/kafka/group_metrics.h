// GroupMetrics: the group coordinator's Prometheus series, for the groups this broker
// coordinates (sum over brokers for the cluster):
//   karst_consumer_group_lag{group,topic,partition}    log end (high watermark) - committed
//   karst_consumer_group_committed_offset{group,topic,partition}
//   karst_consumer_group_members{group}
//   karst_consumer_groups{state}                        groups by Kafka's state name
//   karst_consumer_group_rebalances_total{group}        generations completed
//   karst_consumer_group_rebalance_seconds              time spent in PreparingRebalance
// Lag is exported for the partitions this broker hosts a replica of (with replication factor
// = brokers, all); `karst groups --describe` asks each leader and covers every partition.
// Thread-safe (Publish from one thread at a time; prometheus-cpp metrics are thread-safe).
#ifndef KARST_BROKER_KAFKA_GROUP_METRICS_H_
#define KARST_BROKER_KAFKA_GROUP_METRICS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/time/time.h"
#include "broker/group/group_coordinator.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace karst::broker::kafka {

class GroupMetrics {
 public:
  explicit GroupMetrics(prometheus::Registry& registry);

  void ObserveRebalance(const group::CompletedRebalance& rebalance);

  // Replaces the per-group series with those of `groups` (series of groups or partitions no
  // longer there are removed). `log_end` gives a partition's high watermark, nullopt when
  // this broker does not host it.
  void Publish(const std::vector<group::GroupSnapshot>& groups,
               const std::function<std::optional<int64_t>(const std::string& topic,
                                                          int32_t partition)>& log_end);

 private:
  using PartitionKey = std::tuple<std::string, std::string, int32_t>;  // group, topic, partition

  prometheus::Family<prometheus::Gauge>& lag_;
  prometheus::Family<prometheus::Gauge>& committed_;
  prometheus::Family<prometheus::Gauge>& members_;
  prometheus::Family<prometheus::Gauge>& groups_;
  prometheus::Family<prometheus::Counter>& rebalances_;
  prometheus::Histogram& rebalance_seconds_;
  std::map<PartitionKey, prometheus::Gauge*> lag_series_;
  std::map<PartitionKey, prometheus::Gauge*> committed_series_;
  std::map<std::string, prometheus::Gauge*> member_series_;
};

}  // namespace karst::broker::kafka

#endif  // KARST_BROKER_KAFKA_GROUP_METRICS_H_

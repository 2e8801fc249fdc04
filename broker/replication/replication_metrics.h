// ReplicationMetrics: the hosted replicas' state with Kafka's meanings (ReplicaManager's
// PartitionCount, LeaderCount, UnderReplicatedPartitions, UnderMinIsrPartitionCount,
// OfflineReplicaCount, IsrShrinksPerSec, IsrExpandsPerSec; the purgatory size; each
// partition's LogEndOffset and HighWatermark) as karst_* Prometheus series. CountReplicas is
// the pure part. Thread-safety: Update from one thread (PartitionTable's); counters from any.
#ifndef KARST_BROKER_REPLICATION_REPLICATION_METRICS_H_
#define KARST_BROKER_REPLICATION_REPLICATION_METRICS_H_

#include <map>
#include <vector>

#include "broker/replication/partition.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace karst::broker::replication {

struct ReplicaView {
  TopicPartition tp;
  Role role = Role::kNone;
  int32_t replicas = 0;
  int32_t isr = 0;
  int32_t min_isr = 1;
  Offset log_end_offset{0};
  Offset high_watermark{0};
};

struct ReplicaCounts {
  int64_t partitions = 0;
  int64_t leaders = 0;
  int64_t under_replicated = 0;  // Led here with an ISR smaller than the replica set.
  int64_t under_min_isr = 0;     // Led here with an ISR below min.insync.replicas.
  bool operator==(const ReplicaCounts&) const = default;
};

ReplicaCounts CountReplicas(const std::vector<ReplicaView>& views);

class ReplicationMetrics {
 public:
  explicit ReplicationMetrics(prometheus::Registry& registry);

  void Update(const std::vector<ReplicaView>& views, size_t purgatory_size);
  void IsrShrink() { isr_shrinks_.Increment(); }
  void IsrExpand() { isr_expands_.Increment(); }

 private:
  prometheus::Gauge& partitions_;
  prometheus::Gauge& leaders_;
  prometheus::Gauge& under_replicated_;
  prometheus::Gauge& under_min_isr_;
  prometheus::Gauge& purgatory_;
  prometheus::Counter& isr_shrinks_;
  prometheus::Counter& isr_expands_;
  prometheus::Family<prometheus::Gauge>& log_end_;
  prometheus::Family<prometheus::Gauge>& high_watermark_;
  std::map<TopicPartition, std::pair<prometheus::Gauge*, prometheus::Gauge*>> per_partition_;
};

}  // namespace karst::broker::replication

#endif  // KARST_BROKER_REPLICATION_REPLICATION_METRICS_H_

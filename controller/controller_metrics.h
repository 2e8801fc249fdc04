// Controller metrics: Kafka's KafkaController gauges (ActiveControllerCount,
// GlobalTopicCount, GlobalPartitionCount, OfflinePartitionsCount,
// PreferredReplicaImbalanceCount, ActiveBrokerCount, FencedBrokerCount) plus the metadata
// offset, as Prometheus gauges named karst_controller_*. CountMetadata is the pure part: what
// the gauges show for one MetadataImage. Every controller reports the counts of its own image
// (standbys lag by at most what they have not applied); only the active one reports
// active_controller_count 1, so the sum over the quorum is 1 when exactly one is active.
//
// Thread-safety: ControllerMetrics::Update may be called from any thread.
#ifndef KARST_CONTROLLER_CONTROLLER_METRICS_H_
#define KARST_CONTROLLER_CONTROLLER_METRICS_H_

#include <cstdint>

#include "absl/time/time.h"
#include "controller/metadata/metadata_image.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace karst::controller {

struct MetadataCounts {
  int64_t topics = 0;
  int64_t partitions = 0;
  int64_t offline_partitions = 0;           // No leader.
  int64_t preferred_replica_imbalance = 0;  // Led by a replica other than the first.
  int64_t active_brokers = 0;               // Registered and unfenced.
  int64_t fenced_brokers = 0;
  bool operator==(const MetadataCounts&) const = default;
};

MetadataCounts CountMetadata(const MetadataImage& image);

class ControllerMetrics {
 public:
  explicit ControllerMetrics(prometheus::Registry& registry);
  void Update(const MetadataImage& image, bool active);
  // One write request: time queued behind earlier writes, then time to generate and commit
  // (Kafka's EventQueueTimeMs and EventQueueProcessingTimeMs).
  void ObserveWrite(absl::Duration queued, absl::Duration processed);

 private:
  prometheus::Histogram& event_queue_seconds_;
  prometheus::Histogram& event_processing_seconds_;
  prometheus::Gauge& active_controller_count_;
  prometheus::Gauge& metadata_offset_;
  prometheus::Gauge& topics_;
  prometheus::Gauge& partitions_;
  prometheus::Gauge& offline_partitions_;
  prometheus::Gauge& preferred_replica_imbalance_;
  prometheus::Gauge& active_brokers_;
  prometheus::Gauge& fenced_brokers_;
};

}  // namespace karst::controller

#endif  // KARST_CONTROLLER_CONTROLLER_METRICS_H_

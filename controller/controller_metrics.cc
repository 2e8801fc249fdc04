#include "controller/controller_metrics.h"

namespace karst::controller {
namespace {

prometheus::Gauge& Gauge(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

prometheus::Histogram& Histogram(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r).Add(
      {}, prometheus::Histogram::BucketBoundaries{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1,
                                                  0.5, 1, 5, 10});
}

}  // namespace

MetadataCounts CountMetadata(const MetadataImage& image) {
  MetadataCounts c;
  c.topics = static_cast<int64_t>(image.topics.size());
  for (const auto& [id, topic] : image.topics) {
    for (const auto& [index, p] : topic.partitions) {
      ++c.partitions;
      if (p.leader.value() < 0) {
        ++c.offline_partitions;
      } else if (p.replicas.empty() || p.replicas.front() != p.leader.value()) {
        ++c.preferred_replica_imbalance;
      }
    }
  }
  for (const auto& [id, broker] : image.brokers) {
    ++(broker.fenced ? c.fenced_brokers : c.active_brokers);
  }
  return c;
}

void ControllerMetrics::ObserveWrite(absl::Duration queued, absl::Duration processed) {
  event_queue_seconds_.Observe(absl::ToDoubleSeconds(queued));
  event_processing_seconds_.Observe(absl::ToDoubleSeconds(processed));
}

ControllerMetrics::ControllerMetrics(prometheus::Registry& r)
    : event_queue_seconds_(Histogram(r, "karst_controller_event_queue_seconds",
                                     "Time a write request waited behind earlier writes.")),
      event_processing_seconds_(
          Histogram(r, "karst_controller_event_processing_seconds",
                    "Time to generate and commit a write request's records.")),
      active_controller_count_(Gauge(r, "karst_controller_active_controller_count",
                                     "1 on the active controller, 0 on a standby.")),
      metadata_offset_(Gauge(r, "karst_controller_metadata_offset",
                             "Offset of the last metadata record applied; -1 if none.")),
      topics_(Gauge(r, "karst_controller_global_topic_count", "Topics in the cluster.")),
      partitions_(
          Gauge(r, "karst_controller_global_partition_count", "Partitions in the cluster.")),
      offline_partitions_(
          Gauge(r, "karst_controller_offline_partitions_count", "Partitions without a leader.")),
      preferred_replica_imbalance_(
          Gauge(r, "karst_controller_preferred_replica_imbalance_count",
                "Partitions led by a replica other than their preferred (first) one.")),
      active_brokers_(Gauge(r, "karst_controller_active_broker_count",
                            "Registered brokers that are not fenced.")),
      fenced_brokers_(Gauge(r, "karst_controller_fenced_broker_count",
                            "Registered brokers that are fenced.")) {}

void ControllerMetrics::Update(const MetadataImage& image, bool active) {
  const MetadataCounts c = CountMetadata(image);
  active_controller_count_.Set(active ? 1 : 0);
  metadata_offset_.Set(static_cast<double>(image.offset));
  topics_.Set(static_cast<double>(c.topics));
  partitions_.Set(static_cast<double>(c.partitions));
  offline_partitions_.Set(static_cast<double>(c.offline_partitions));
  preferred_replica_imbalance_.Set(static_cast<double>(c.preferred_replica_imbalance));
  active_brokers_.Set(static_cast<double>(c.active_brokers));
  fenced_brokers_.Set(static_cast<double>(c.fenced_brokers));
}

}  // namespace karst::controller

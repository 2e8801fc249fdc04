#include "controller/controller_metrics.h"

namespace karst::controller {
namespace {

prometheus::Gauge& Gauge(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
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

ControllerMetrics::ControllerMetrics(prometheus::Registry& r)
    : active_controller_count_(Gauge(r, "karst_controller_active_controller_count",
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

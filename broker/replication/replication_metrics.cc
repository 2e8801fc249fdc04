#include "broker/replication/replication_metrics.h"

#include <set>
#include <string>

namespace karst::broker::replication {
namespace {

prometheus::Gauge& Gauge(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

prometheus::Counter& Counter(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

ReplicaCounts CountReplicas(const std::vector<ReplicaView>& views) {
  ReplicaCounts counts;
  for (const ReplicaView& v : views) {
    ++counts.partitions;
    if (v.role != Role::kLeader) continue;
    ++counts.leaders;
    if (v.isr < v.replicas) ++counts.under_replicated;
    if (v.isr < v.min_isr) ++counts.under_min_isr;
  }
  return counts;
}

ReplicationMetrics::ReplicationMetrics(prometheus::Registry& registry)
    : partitions_(Gauge(registry, "karst_broker_partitions", "Partition replicas hosted here")),
      leaders_(Gauge(registry, "karst_broker_leader_partitions", "Partitions led here")),
      under_replicated_(Gauge(registry, "karst_broker_under_replicated_partitions",
                              "Partitions led here whose ISR is smaller than their replicas")),
      under_min_isr_(Gauge(registry, "karst_broker_under_min_isr_partitions",
                           "Partitions led here whose ISR is below min.insync.replicas")),
      purgatory_(Gauge(registry, "karst_broker_purgatory_size",
                       "Produce (acks=all) and fetch requests waiting")),
      isr_shrinks_(Counter(registry, "karst_broker_isr_shrinks_total",
                           "ISR shrinks committed by partitions led here")),
      isr_expands_(Counter(registry, "karst_broker_isr_expands_total",
                           "ISR expansions committed by partitions led here")),
      log_end_(prometheus::BuildGauge()
                   .Name("karst_partition_log_end_offset")
                   .Help("The replica's log end offset")
                   .Register(registry)),
      high_watermark_(prometheus::BuildGauge()
                          .Name("karst_partition_high_watermark")
                          .Help("The replica's high watermark")
                          .Register(registry)) {}

void ReplicationMetrics::Update(const std::vector<ReplicaView>& views, size_t purgatory_size) {
  const ReplicaCounts counts = CountReplicas(views);
  partitions_.Set(static_cast<double>(counts.partitions));
  leaders_.Set(static_cast<double>(counts.leaders));
  under_replicated_.Set(static_cast<double>(counts.under_replicated));
  under_min_isr_.Set(static_cast<double>(counts.under_min_isr));
  purgatory_.Set(static_cast<double>(purgatory_size));
  std::set<TopicPartition> present;
  for (const ReplicaView& v : views) {
    present.insert(v.tp);
    auto it = per_partition_.find(v.tp);
    if (it == per_partition_.end()) {
      const std::map<std::string, std::string> labels = {
          {"topic", v.tp.topic}, {"partition", std::to_string(v.tp.partition)}};
      it = per_partition_
               .emplace(v.tp, std::make_pair(&log_end_.Add(labels), &high_watermark_.Add(labels)))
               .first;
    }
    it->second.first->Set(static_cast<double>(v.log_end_offset.value()));
    it->second.second->Set(static_cast<double>(v.high_watermark.value()));
  }
  for (auto it = per_partition_.begin(); it != per_partition_.end();) {
    if (present.contains(it->first)) {
      ++it;
      continue;
    }
    log_end_.Remove(it->second.first);
    high_watermark_.Remove(it->second.second);
    it = per_partition_.erase(it);
  }
}

}  // namespace karst::broker::replication

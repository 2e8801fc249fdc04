// LogMetrics: one partition log's Prometheus metrics, registered on the node's registry with a
// `partition` label: karst_log_size_bytes, karst_log_segments, karst_log_append_latency_seconds,
// karst_log_flush_latency_seconds, karst_log_recovery_seconds and
// karst_log_corrupt_batches_total, karst_log_cleaner_runs_total and
// karst_log_cleaner_records_removed_total. Thread-safe (prometheus-cpp metrics are).
#ifndef KARST_STORAGE_LOG_METRICS_H_
#define KARST_STORAGE_LOG_METRICS_H_

#include <string>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace karst::storage {

class LogMetrics {
 public:
  // `registry` must outlive this object.
  LogMetrics(prometheus::Registry& registry, const std::string& partition);

  prometheus::Gauge& size_bytes;
  prometheus::Gauge& segments;
  prometheus::Histogram& append_latency;
  prometheus::Histogram& flush_latency;
  prometheus::Gauge& recovery_seconds;
  prometheus::Counter& corrupt_batches;
  prometheus::Counter& cleaner_runs;
  prometheus::Counter& cleaner_records_removed;
};

}  // namespace karst::storage

#endif  // KARST_STORAGE_LOG_METRICS_H_

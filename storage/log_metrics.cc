#include "storage/log_metrics.h"

namespace karst::storage {
namespace {

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1};
  return *buckets;
}

}  // namespace

LogMetrics::LogMetrics(prometheus::Registry& registry, const std::string& partition)
    : size_bytes(prometheus::BuildGauge()
                     .Name("karst_log_size_bytes")
                     .Help("Bytes in a partition log's segments.")
                     .Register(registry)
                     .Add({{"partition", partition}})),
      segments(prometheus::BuildGauge()
                   .Name("karst_log_segments")
                   .Help("Segments in a partition log.")
                   .Register(registry)
                   .Add({{"partition", partition}})),
      append_latency(prometheus::BuildHistogram()
                         .Name("karst_log_append_latency_seconds")
                         .Help("Time to append one batch to a partition log.")
                         .Register(registry)
                         .Add({{"partition", partition}}, LatencyBuckets())),
      flush_latency(prometheus::BuildHistogram()
                        .Name("karst_log_flush_latency_seconds")
                        .Help("Time to fsync a partition log.")
                        .Register(registry)
                        .Add({{"partition", partition}}, LatencyBuckets())),
      recovery_seconds(prometheus::BuildGauge()
                           .Name("karst_log_recovery_seconds")
                           .Help("Time the last open of a partition log spent recovering.")
                           .Register(registry)
                           .Add({{"partition", partition}})),
      corrupt_batches(prometheus::BuildCounter()
                          .Name("karst_log_corrupt_batches_total")
                          .Help("Corrupt batches found in closed segments.")
                          .Register(registry)
                          .Add({{"partition", partition}})),
      cleaner_runs(prometheus::BuildCounter()
                       .Name("karst_log_cleaner_runs_total")
                       .Help("Compactions of a partition log (cleanup.policy=compact).")
                       .Register(registry)
                       .Add({{"partition", partition}})),
      cleaner_records_removed(prometheus::BuildCounter()
                                  .Name("karst_log_cleaner_records_removed_total")
                                  .Help("Records compaction removed from a partition log.")
                                  .Register(registry)
                                  .Add({{"partition", partition}})) {}

}  // namespace karst::storage

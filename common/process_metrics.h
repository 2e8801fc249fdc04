// Process metrics in Prometheus' standard names (process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds), read from /proc/self at each scrape, and the
// karst_build_info gauge. Collect() is thread-safe (it only reads /proc).
#ifndef KARST_COMMON_PROCESS_METRICS_H_
#define KARST_COMMON_PROCESS_METRICS_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "prometheus/collectable.h"
#include "prometheus/registry.h"

namespace karst {

class ProcessMetrics final : public prometheus::Collectable {
 public:
  // Reads /proc/self; a family whose source cannot be read is left out of that scrape.
  std::vector<prometheus::MetricFamily> Collect() const override;
};

// Registers karst_build_info{version, compiler} = 1 on `registry`.
void RegisterBuildInfo(prometheus::Registry& registry, absl::string_view version);

}  // namespace karst

#endif  // KARST_COMMON_PROCESS_METRICS_H_

#include "common/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "prometheus/gauge.h"

namespace karst {
namespace {

prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type,
                                double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return {std::move(name), std::move(help), type, {metric}};
}

// Fields of /proc/self/stat after the command name (which may hold spaces), 0-based from
// field 3 ("state"), per proc(5).
std::vector<std::string> StatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  const size_t close = line.rfind(')');
  if (close == std::string::npos || close + 2 > line.size()) return {};
  return absl::StrSplit(line.substr(close + 2), ' ', absl::SkipEmpty());
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

double Num(const std::string& field) {
  double value = 0;
  return absl::SimpleAtod(field, &value) ? value : 0;
}

int OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // Leave out the descriptor opendir itself holds.
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  const std::vector<std::string> f = StatFields();
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // proc(5): utime is field 14, stime 15, starttime 22, vsize 23, rss 24; f[0] is field 3.
  if (f.size() > 21 && ticks > 0) {
    families.push_back(Family("process_cpu_seconds_total", "User and system CPU time spent.",
                              MetricType::Counter, (Num(f[11]) + Num(f[12])) / ticks));
    families.push_back(Family("process_start_time_seconds",
                              "Start time of the process since the Unix epoch.", MetricType::Gauge,
                              BootTimeSeconds() + Num(f[19]) / ticks));
    families.push_back(Family("process_virtual_memory_bytes", "Virtual memory size.",
                              MetricType::Gauge, Num(f[20])));
    families.push_back(Family("process_resident_memory_bytes", "Resident memory size.",
                              MetricType::Gauge, Num(f[21]) * page));
  }
  if (const int fds = OpenFds(); fds >= 0) {
    families.push_back(
        Family("process_open_fds", "Open file descriptors.", MetricType::Gauge, fds));
  }
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    families.push_back(Family("process_max_fds", "Limit on open file descriptors.",
                              MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  }
  return families;
}

void RegisterBuildInfo(prometheus::Registry& registry, absl::string_view version) {
  prometheus::BuildGauge()
      .Name("karst_build_info")
      .Help("Karst build information; the value is always 1.")
      .Register(registry)
      .Add({{"version", std::string(version)}, {"compiler", __VERSION__}})
      .Set(1);
}

}  // namespace karst

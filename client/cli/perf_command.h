// `karst perf produce` and `karst perf consume`: kafka-producer-perf-test and
// kafka-consumer-perf-test with their flag names, over client::Producer and client::Consumer.
// Flag parsing and the statistics are pure functions; the Run functions drive a real cluster,
// print Kafka's report lines (or JSON with --output json) on stdout and run on main's thread.
#ifndef KARST_CLIENT_CLI_PERF_COMMAND_H_
#define KARST_CLIENT_CLI_PERF_COMMAND_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/cli/console_flags.h"
#include "client/client_properties.h"
#include "common/clock.h"

namespace karst::cli {

struct PerfProduceFlags {
  bool help = false;
  std::string topic;
  int64_t num_records = 0;        // --num-records: REQUIRED, > 0.
  int32_t record_size = 0;        // --record-size: REQUIRED, > 0.
  double throughput = -1;         // --throughput: records/s; <= 0 means unthrottled.
  client::Properties properties;  // --producer-props k=v ..., --producer.config, --bootstrap-server
  OutputFormat output = OutputFormat::kText;
};

struct PerfConsumeFlags {
  bool help = false;
  std::string topic;
  int64_t messages = 0;                        // --messages: REQUIRED, > 0.
  absl::Duration timeout = absl::Seconds(10);  // --timeout: longest wait for a record (ms).
  bool from_latest = false;                    // --from-latest
  client::Properties properties;  // --consumer.config, --consumer-property, --bootstrap-server
  OutputFormat output = OutputFormat::kText;
};

// Errors: kInvalidArgument naming the bad flag (unknown flags included).
absl::StatusOr<PerfProduceFlags> ParsePerfProduceFlags(const std::vector<std::string>& args);
absl::StatusOr<PerfConsumeFlags> ParsePerfConsumeFlags(const std::vector<std::string>& args);

// Latency statistics of a run, in milliseconds, as kafka-producer-perf-test reports them.
struct LatencySummary {
  int64_t count = 0;
  double avg_ms = 0;
  double max_ms = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
};

// Summarizes `latencies_us` (any order; sorted in place). Percentiles are nearest-rank
// (the value at index floor(p * n), as Kafka's tool takes them). Empty input gives zeros.
LatencySummary SummarizeLatencies(std::vector<int64_t>& latencies_us);

// Kafka's final line: "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max
// latency, P ms 50th, P ms 95th, P ms 99th, P ms 99.9th."
std::string FormatProduceSummary(int64_t records, int64_t bytes, absl::Duration elapsed,
                                 const LatencySummary& latency);

// `karst perf produce <args>` / `karst perf consume <args>`; `args` starts after "perf".
// Exit 0 ok, 1 when a record failed or the cluster failed, 2 usage.
int RunPerfCommand(const std::vector<std::string>& args, Clock& clock);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_PERF_COMMAND_H_

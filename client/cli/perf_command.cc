#include "client/cli/perf_command.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/cli/cluster_command.h"
#include "client/cli/console_flags.h"
#include "client/consumer.h"
#include "client/producer.h"
#include "common/status_macros.h"

namespace karst::cli {
namespace {

constexpr char kUsage[] = R"(usage: karst perf produce|consume [options]

karst perf produce (kafka-producer-perf-test): sends --num-records records of --record-size
random bytes (no key) and reports records/s, MB/s and latency (avg, max, p50, p95, p99, p99.9)
  --topic T                     REQUIRED
  --num-records N               REQUIRED
  --record-size BYTES           REQUIRED
  --throughput N                records/s to aim for; -1 (default): as fast as possible
  --bootstrap-server H:P[,...]  or bootstrap.servers in --producer-props / --producer.config
  --producer-props k=v [k=v ...]  producer properties (acks, linger.ms, batch.size, ...)
  --producer.config FILE        producer properties from a file
  --output text|json            the final report as Kafka's line (default) or JSON

karst perf consume (kafka-consumer-perf-test): reads --messages records from every partition
of the topic, from the earliest offset, and reports MB/s and records/s
  --topic T                     REQUIRED
  --messages N                  REQUIRED
  --bootstrap-server H:P[,...]  REQUIRED unless in --consumer.config
  --timeout MS                  give up when no record arrives for MS (default 10000)
  --from-latest                 start at the end instead
  --consumer-property k=v       a consumer property (fetch.min.bytes, ...)
  --consumer.config FILE        consumer properties from a file
  --output text|json

exit codes: 0 ok, 1 a record failed or a Kafka/network error, 2 usage error
)";

// MB as Kafka's perf tools count it: 1024 * 1024 bytes.
constexpr double kMegabyte = 1024.0 * 1024.0;
// Interval reports, as kafka-producer-perf-test prints them.
constexpr absl::Duration kReportInterval = absl::Seconds(5);

absl::StatusOr<int64_t> Positive(const std::string& flag, const std::string& value) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(value, &n) || n <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": expected a positive integer, got \"", value, "\""));
  }
  return n;
}

// Splits "--name=value" / "--name value"; advances `i` past a separate value.
absl::StatusOr<std::pair<std::string, std::string>> NameValue(const std::vector<std::string>& args,
                                                              size_t& i) {
  const std::string& arg = args[i];
  if (!absl::StartsWith(arg, "--")) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
  }
  const size_t eq = arg.find('=');
  if (eq != std::string::npos) return std::make_pair(arg.substr(0, eq), arg.substr(eq + 1));
  if (i + 1 >= args.size()) return absl::InvalidArgumentError(absl::StrCat(arg, " needs a value"));
  return std::make_pair(arg, args[++i]);
}

std::string Fixed(double value, int digits) { return absl::StrFormat("%.*f", digits, value); }

}  // namespace

absl::StatusOr<PerfProduceFlags> ParsePerfProduceFlags(const std::vector<std::string>& args) {
  PerfProduceFlags flags;
  std::vector<std::string> config_files;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") return PerfProduceFlags{.help = true};
    if (args[i] == "--producer-props") {
      // Java's tool takes every following k=v up to the next flag.
      size_t taken = 0;
      while (i + 1 < args.size() && !absl::StartsWith(args[i + 1], "--")) {
        ASSIGN_OR_RETURN(const auto kv, KeyValue("--producer-props", args[++i]));
        flags.properties[kv.first] = kv.second;
        ++taken;
      }
      if (taken == 0) return absl::InvalidArgumentError("--producer-props needs k=v values");
      continue;
    }
    ASSIGN_OR_RETURN(const auto nv, NameValue(args, i));
    const auto& [name, value] = nv;
    if (name == "--topic") {
      flags.topic = value;
    } else if (name == "--num-records") {
      ASSIGN_OR_RETURN(flags.num_records, Positive(name, value));
    } else if (name == "--record-size") {
      ASSIGN_OR_RETURN(const int64_t size, Positive(name, value));
      if (size > (64 << 20)) return absl::InvalidArgumentError("--record-size: at most 64 MiB");
      flags.record_size = static_cast<int32_t>(size);
    } else if (name == "--throughput") {
      if (!absl::SimpleAtod(value, &flags.throughput) || std::isnan(flags.throughput)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--throughput: expected a number, got \"", value, "\""));
      }
    } else if (name == "--bootstrap-server") {
      flags.properties["bootstrap.servers"] = value;
    } else if (name == "--producer.config") {
      config_files.push_back(value);
    } else if (name == "--output") {
      ASSIGN_OR_RETURN(flags.output, ParseOutputFormat(value));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", name));
    }
  }
  for (const std::string& file : config_files) {
    RETURN_IF_ERROR(MergePropertiesFile("--producer.config", file, flags.properties));
  }
  if (flags.topic.empty()) return absl::InvalidArgumentError("--topic is required");
  if (flags.num_records == 0) return absl::InvalidArgumentError("--num-records is required");
  if (flags.record_size == 0) return absl::InvalidArgumentError("--record-size is required");
  if (flags.properties.count("bootstrap.servers") == 0) {
    return absl::InvalidArgumentError(
        "--bootstrap-server (or bootstrap.servers in --producer-props) is required");
  }
  return flags;
}

absl::StatusOr<PerfConsumeFlags> ParsePerfConsumeFlags(const std::vector<std::string>& args) {
  PerfConsumeFlags flags;
  std::vector<std::string> config_files;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") return PerfConsumeFlags{.help = true};
    if (args[i] == "--from-latest") {
      flags.from_latest = true;
      continue;
    }
    ASSIGN_OR_RETURN(const auto nv, NameValue(args, i));
    const auto& [name, value] = nv;
    if (name == "--topic") {
      flags.topic = value;
    } else if (name == "--messages") {
      ASSIGN_OR_RETURN(flags.messages, Positive(name, value));
    } else if (name == "--timeout") {
      ASSIGN_OR_RETURN(const int64_t ms, Positive(name, value));
      flags.timeout = absl::Milliseconds(ms);
    } else if (name == "--bootstrap-server") {
      flags.properties["bootstrap.servers"] = value;
    } else if (name == "--consumer-property") {
      ASSIGN_OR_RETURN(const auto kv, KeyValue(name, value));
      flags.properties[kv.first] = kv.second;
    } else if (name == "--consumer.config") {
      config_files.push_back(value);
    } else if (name == "--output") {
      ASSIGN_OR_RETURN(flags.output, ParseOutputFormat(value));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", name));
    }
  }
  for (const std::string& file : config_files) {
    RETURN_IF_ERROR(MergePropertiesFile("--consumer.config", file, flags.properties));
  }
  if (flags.topic.empty()) return absl::InvalidArgumentError("--topic is required");
  if (flags.messages == 0) return absl::InvalidArgumentError("--messages is required");
  if (flags.properties.count("bootstrap.servers") == 0) {
    return absl::InvalidArgumentError("--bootstrap-server is required");
  }
  return flags;
}

LatencySummary SummarizeLatencies(std::vector<int64_t>& latencies_us) {
  LatencySummary s;
  s.count = static_cast<int64_t>(latencies_us.size());
  if (latencies_us.empty()) return s;
  std::sort(latencies_us.begin(), latencies_us.end());
  double total = 0;
  for (int64_t us : latencies_us) total += static_cast<double>(us);
  const auto at = [&](double p) {
    const auto index = std::min(latencies_us.size() - 1,
                                static_cast<size_t>(p * static_cast<double>(latencies_us.size())));
    return static_cast<double>(latencies_us[index]) / 1000.0;
  };
  s.avg_ms = total / static_cast<double>(latencies_us.size()) / 1000.0;
  s.max_ms = static_cast<double>(latencies_us.back()) / 1000.0;
  s.p50_ms = at(0.5);
  s.p95_ms = at(0.95);
  s.p99_ms = at(0.99);
  s.p999_ms = at(0.999);
  return s;
}

std::string FormatProduceSummary(int64_t records, int64_t bytes, absl::Duration elapsed,
                                 const LatencySummary& l) {
  const double seconds = std::max(absl::ToDoubleSeconds(elapsed), 1e-9);
  return absl::StrCat(records, " records sent, ", Fixed(static_cast<double>(records) / seconds, 1),
                      " records/sec (", Fixed(static_cast<double>(bytes) / kMegabyte / seconds, 2),
                      " MB/sec), ", Fixed(l.avg_ms, 2), " ms avg latency, ", Fixed(l.max_ms, 2),
                      " ms max latency, ", Fixed(l.p50_ms, 0), " ms 50th, ", Fixed(l.p95_ms, 0),
                      " ms 95th, ", Fixed(l.p99_ms, 0), " ms 99th, ", Fixed(l.p999_ms, 0),
                      " ms 99.9th.");
}

namespace {

int RunPerfProduce(const std::vector<std::string>& args, Clock& clock) {
  absl::StatusOr<PerfProduceFlags> flags = ParsePerfProduceFlags(args);
  if (!flags.ok()) {
    std::cerr << "karst perf produce: " << flags.status().message() << "\n\n" << kUsage;
    return kExitUsage;
  }
  if (flags->help) {
    std::cout << kUsage;
    return kExitOk;
  }
  absl::StatusOr<client::ProducerOptions> options =
      client::ProducerOptionsFromProperties(flags->properties);
  if (!options.ok()) {
    std::cerr << "karst perf produce: " << options.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<client::Producer>> producer =
      client::Producer::Create(*std::move(options), clock);
  if (!producer.ok()) {
    std::cerr << "karst perf produce: " << producer.status().message() << "\n";
    return kExitFailure;
  }
  // One random payload of uppercase letters, as Kafka's tool makes it.
  std::string payload(static_cast<size_t>(flags->record_size), 'A');
  std::mt19937 random(42);
  for (char& c : payload) c = static_cast<char>('A' + random() % 26);

  const auto n = static_cast<size_t>(flags->num_records);
  // Written once per record by its callback (on the producer's I/O thread); read after Flush.
  std::vector<int64_t> latencies_us(n, -1);
  std::atomic<int64_t> failed = 0;
  std::atomic<int64_t> window_count = 0;
  std::atomic<int64_t> window_latency_us = 0;
  std::atomic<int64_t> window_max_us = 0;
  absl::Status first_error;
  std::mutex first_error_mu;

  const absl::Duration start = clock.Monotonic();
  absl::Duration window_start = start;
  for (size_t i = 0; i < n; ++i) {
    const absl::Duration sent = clock.Monotonic();
    if (flags->throughput > 0) {
      // kafka-producer-perf-test's ThroughputThrottler: sleep off any lead over the target.
      const absl::Duration due = start + absl::Seconds(static_cast<double>(i) / flags->throughput);
      if (due > sent) clock.SleepFor(due - sent);
    }
    client::ProducerRecord record{.topic = flags->topic, .value = payload};
    (*producer)->Send(std::move(record), [&, i, sent = clock.Monotonic()](
                                             const absl::StatusOr<client::RecordMetadata>& result) {
      const int64_t us = absl::ToInt64Microseconds(clock.Monotonic() - sent);
      if (!result.ok()) {
        if (failed.fetch_add(1) == 0) {
          std::lock_guard lock(first_error_mu);
          first_error = result.status();
        }
        return;
      }
      latencies_us[i] = us;
      window_count.fetch_add(1, std::memory_order_relaxed);
      window_latency_us.fetch_add(us, std::memory_order_relaxed);
      int64_t max = window_max_us.load(std::memory_order_relaxed);
      while (us > max && !window_max_us.compare_exchange_weak(max, us)) {
      }
    });
    if (flags->output == OutputFormat::kText && (i & 1023) == 0 &&
        clock.Monotonic() - window_start >= kReportInterval) {
      const absl::Duration now = clock.Monotonic();
      const int64_t count = window_count.exchange(0);
      const int64_t latency = window_latency_us.exchange(0);
      const int64_t max = window_max_us.exchange(0);
      const double seconds = absl::ToDoubleSeconds(now - window_start);
      std::cout << count << " records sent, " << Fixed(static_cast<double>(count) / seconds, 1)
                << " records/sec ("
                << Fixed(static_cast<double>(count) * flags->record_size / kMegabyte / seconds, 2)
                << " MB/sec), "
                << Fixed(count > 0 ? static_cast<double>(latency) / count / 1000.0 : 0, 1)
                << " ms avg latency, " << Fixed(static_cast<double>(max) / 1000.0, 1)
                << " ms max latency.\n"
                << std::flush;
      window_start = now;
    }
  }
  (*producer)->Flush().IgnoreError();
  const absl::Duration elapsed = clock.Monotonic() - start;
  producer->reset();

  const int64_t failures = failed.load();
  std::vector<int64_t> delivered;
  delivered.reserve(n);
  for (int64_t us : latencies_us) {
    if (us >= 0) delivered.push_back(us);
  }
  const int64_t sent_ok = static_cast<int64_t>(n) - failures;
  LatencySummary summary = SummarizeLatencies(delivered);
  const int64_t bytes = sent_ok * flags->record_size;
  if (flags->output == OutputFormat::kJson) {
    const double seconds = std::max(absl::ToDoubleSeconds(elapsed), 1e-9);
    std::cout << absl::StrFormat(
        "{\"records\":%d,\"failed\":%d,\"record_size\":%d,\"elapsed_ms\":%.1f,"
        "\"records_per_sec\":%.1f,\"mb_per_sec\":%.2f,\"avg_latency_ms\":%.2f,"
        "\"max_latency_ms\":%.2f,\"p50_ms\":%.2f,\"p95_ms\":%.2f,\"p99_ms\":%.2f,"
        "\"p999_ms\":%.2f}\n",
        sent_ok, failures, flags->record_size, absl::ToDoubleMilliseconds(elapsed),
        static_cast<double>(sent_ok) / seconds, static_cast<double>(bytes) / kMegabyte / seconds,
        summary.avg_ms, summary.max_ms, summary.p50_ms, summary.p95_ms, summary.p99_ms,
        summary.p999_ms);
  } else {
    std::cout << FormatProduceSummary(sent_ok, bytes, elapsed, summary) << "\n";
  }
  if (failures > 0) {
    std::cerr << "karst perf produce: " << failures
              << " records failed; the first: " << first_error.message() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

int RunPerfConsume(const std::vector<std::string>& args, Clock& clock) {
  absl::StatusOr<PerfConsumeFlags> flags = ParsePerfConsumeFlags(args);
  if (!flags.ok()) {
    std::cerr << "karst perf consume: " << flags.status().message() << "\n\n" << kUsage;
    return kExitUsage;
  }
  if (flags->help) {
    std::cout << kUsage;
    return kExitOk;
  }
  absl::StatusOr<client::ConsumerOptions> options =
      client::ConsumerOptionsFromProperties(flags->properties);
  if (!options.ok()) {
    std::cerr << "karst perf consume: " << options.status().message() << "\n";
    return kExitUsage;
  }
  int64_t records = 0;
  int64_t bytes = 0;
  const absl::Time start_time = clock.Now();
  const absl::Duration start = clock.Monotonic();
  absl::Duration fetch_start = start;
  absl::Duration last_record = start;
  const absl::Status status = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::unique_ptr<client::Consumer> consumer,
                     client::Consumer::Create(*std::move(options), clock));
    ASSIGN_OR_RETURN(const int32_t count, consumer->PartitionCount(flags->topic));
    std::vector<std::pair<client::TopicPartition, client::StartOffset>> assignment;
    for (int32_t p = 0; p < count; ++p) {
      assignment.push_back(
          {{flags->topic, p},
           flags->from_latest ? client::StartOffset::Latest() : client::StartOffset::Earliest()});
    }
    RETURN_IF_ERROR(consumer->Assign(assignment));
    fetch_start = clock.Monotonic();
    last_record = fetch_start;
    while (records < flags->messages) {
      const absl::Duration left = last_record + flags->timeout - clock.Monotonic();
      if (left <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError(
            absl::StrCat("no record for ", absl::FormatDuration(flags->timeout), " after ", records,
                         " of ", flags->messages, " records"));
      }
      ASSIGN_OR_RETURN(const std::vector<client::ConsumerRecord> polled,
                       consumer->Poll(std::min(left, absl::Seconds(1))));
      for (const client::ConsumerRecord& r : polled) {
        ++records;
        bytes +=
            static_cast<int64_t>((r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0));
      }
      if (!polled.empty()) last_record = clock.Monotonic();
    }
    return absl::OkStatus();
  }();
  const absl::Duration end = clock.Monotonic();
  const double seconds = std::max(absl::ToDoubleSeconds(end - start), 1e-9);
  const double fetch_seconds = std::max(absl::ToDoubleSeconds(end - fetch_start), 1e-9);
  const double mb = static_cast<double>(bytes) / kMegabyte;
  const auto time_text = [](absl::Time t) {
    return absl::FormatTime("%Y-%m-%d %H:%M:%E3S", t, absl::LocalTimeZone());
  };
  if (flags->output == OutputFormat::kJson) {
    std::cout << absl::StrFormat(
        "{\"records\":%d,\"mb\":%.4f,\"elapsed_ms\":%.1f,\"mb_per_sec\":%.4f,"
        "\"records_per_sec\":%.1f,\"fetch_ms\":%.1f,\"fetch_mb_per_sec\":%.4f,"
        "\"fetch_records_per_sec\":%.1f}\n",
        records, mb, seconds * 1000, mb / seconds, static_cast<double>(records) / seconds,
        fetch_seconds * 1000, mb / fetch_seconds, static_cast<double>(records) / fetch_seconds);
  } else {
    std::cout << "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, "
                 "nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n"
              << time_text(start_time) << ", " << time_text(start_time + (end - start)) << ", "
              << Fixed(mb, 4) << ", " << Fixed(mb / seconds, 4) << ", " << records << ", "
              << Fixed(static_cast<double>(records) / seconds, 4) << ", 0, "
              << absl::ToInt64Milliseconds(end - fetch_start) << ", "
              << Fixed(mb / fetch_seconds, 4) << ", "
              << Fixed(static_cast<double>(records) / fetch_seconds, 4) << "\n";
  }
  if (!status.ok()) {
    std::cerr << "karst perf consume: " << status.message() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

int RunPerfCommand(const std::vector<std::string>& args, Clock& clock) {
  if (args.empty()) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "produce") return RunPerfProduce(rest, clock);
  if (args[0] == "consume") return RunPerfConsume(rest, clock);
  if (args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return kExitOk;
  }
  std::cerr << "karst perf: unknown subcommand \"" << args[0] << "\"\n\n" << kUsage;
  return kExitUsage;
}

}  // namespace karst::cli

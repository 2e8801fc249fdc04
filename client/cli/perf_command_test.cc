#include "client/cli/perf_command.h"

#include <vector>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::cli {
namespace {

using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PerfProduceFlags, TakesKafkasFlagsAndEveryProducerPropsValue) {
  ASSERT_OK_AND_ASSIGN(
      PerfProduceFlags flags,
      ParsePerfProduceFlags({"--topic", "t", "--num-records", "1000", "--record-size=1024",
                             "--throughput", "-1", "--producer-props",
                             "bootstrap.servers=127.0.0.1:9092", "acks=all", "linger.ms=5",
                             "--output", "json"}));
  EXPECT_EQ(flags.topic, "t");
  EXPECT_EQ(flags.num_records, 1000);
  EXPECT_EQ(flags.record_size, 1024);
  EXPECT_EQ(flags.throughput, -1);
  EXPECT_EQ(flags.output, OutputFormat::kJson);
  EXPECT_EQ(flags.properties.at("bootstrap.servers"), "127.0.0.1:9092");
  EXPECT_EQ(flags.properties.at("acks"), "all");
  EXPECT_EQ(flags.properties.at("linger.ms"), "5");
}

TEST(PerfProduceFlags, RefusesMissingAndBadValues) {
  EXPECT_THAT(ParsePerfProduceFlags(
                  {"--num-records", "1", "--record-size", "1", "--bootstrap-server", "h:1"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--topic")));
  EXPECT_THAT(ParsePerfProduceFlags({"--topic", "t", "--num-records", "0", "--record-size", "1",
                                     "--bootstrap-server", "h:1"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--num-records")));
  EXPECT_THAT(ParsePerfProduceFlags({"--topic", "t", "--num-records", "1", "--record-size", "1"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--bootstrap-server")));
  EXPECT_THAT(ParsePerfProduceFlags({"--topic", "t", "--producer-props", "--num-records", "1"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--producer-props")));
  EXPECT_THAT(ParsePerfProduceFlags({"--topic", "t", "--bogus", "1"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown flag --bogus")));
  EXPECT_THAT(ParsePerfProduceFlags({"--topic", "t", "--output", "xml"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--output")));
}

TEST(PerfConsumeFlags, TakesKafkasFlags) {
  ASSERT_OK_AND_ASSIGN(
      PerfConsumeFlags flags,
      ParsePerfConsumeFlags({"--bootstrap-server", "h:9092", "--topic", "t", "--messages", "500",
                             "--timeout", "2000", "--from-latest", "--consumer-property",
                             "fetch.min.bytes=1"}));
  EXPECT_EQ(flags.messages, 500);
  EXPECT_EQ(flags.timeout, absl::Seconds(2));
  EXPECT_TRUE(flags.from_latest);
  EXPECT_EQ(flags.properties.at("fetch.min.bytes"), "1");
  EXPECT_THAT(ParsePerfConsumeFlags({"--bootstrap-server", "h:9092", "--topic", "t"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--messages")));
}

TEST(SummarizeLatencies, TakesNearestRankPercentiles) {
  std::vector<int64_t> us;
  for (int64_t i = 1000; i >= 1; --i) us.push_back(i * 1000);  // 1..1000 ms, reversed.
  const LatencySummary s = SummarizeLatencies(us);
  EXPECT_EQ(s.count, 1000);
  EXPECT_DOUBLE_EQ(s.avg_ms, 500.5);
  EXPECT_DOUBLE_EQ(s.max_ms, 1000);
  EXPECT_DOUBLE_EQ(s.p50_ms, 501);
  EXPECT_DOUBLE_EQ(s.p95_ms, 951);
  EXPECT_DOUBLE_EQ(s.p99_ms, 991);
  EXPECT_DOUBLE_EQ(s.p999_ms, 1000);
  std::vector<int64_t> none;
  EXPECT_EQ(SummarizeLatencies(none).count, 0);
}

TEST(FormatProduceSummary, IsKafkasFinalLine) {
  std::vector<int64_t> us = {1000, 2000, 3000, 4000};
  EXPECT_EQ(FormatProduceSummary(4, 4 * 1048576, absl::Seconds(2), SummarizeLatencies(us)),
            "4 records sent, 2.0 records/sec (2.00 MB/sec), 2.50 ms avg latency, 4.00 ms max "
            "latency, 3 ms 50th, 4 ms 95th, 4 ms 99th, 4 ms 99.9th.");
}

}  // namespace
}  // namespace karst::cli

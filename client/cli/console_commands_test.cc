#include "client/cli/consume_command.h"
#include "client/cli/produce_command.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace karst::cli {
namespace {

using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseConsoleLine, WholeLineIsTheValueByDefault) {
  absl::StatusOr<client::ProducerRecord> r = ParseConsoleLine("a:b\tc", LineReaderOptions{});
  ASSERT_OK(r.status());
  EXPECT_FALSE(r->key.has_value());
  EXPECT_EQ(r->value, "a:b\tc");
}

TEST(ParseConsoleLine, SplitsKeyAtTheFirstSeparator) {
  LineReaderOptions o{.parse_key = true, .key_separator = ":"};
  absl::StatusOr<client::ProducerRecord> r = ParseConsoleLine("k1:v:1", o);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->key, "k1");
  EXPECT_EQ(r->value, "v:1");
  EXPECT_THAT(ParseConsoleLine("novalue", o).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no key separator")));
}

TEST(ParseConsoleLine, ReadsHeadersBeforeTheKey) {
  LineReaderOptions o{
      .parse_key = true, .key_separator = ":", .parse_headers = true, .null_marker = "NULL"};
  absl::StatusOr<client::ProducerRecord> r = ParseConsoleLine("h1:x,h2,h3:NULL\tk:v", o);
  ASSERT_OK(r.status());
  ASSERT_EQ(r->headers.size(), 3u);
  EXPECT_EQ(r->headers[0], (kafka::record::RecordHeader{"h1", "x"}));
  EXPECT_EQ(r->headers[1], (kafka::record::RecordHeader{"h2", std::nullopt}));
  EXPECT_EQ(r->headers[2], (kafka::record::RecordHeader{"h3", std::nullopt}));
  EXPECT_EQ(r->key, "k");
  EXPECT_EQ(r->value, "v");
}

TEST(ParseProduceFlags, MapsConsoleFlagsToProducerProperties) {
  absl::StatusOr<ProduceFlags> f =
      ParseProduceFlags({"--bootstrap-server", "h:9092", "--topic", "t", "--compression-codec",
                         "zstd", "--request-required-acks=1", "--producer-property",
                         "batch.size=100", "--property", "parse.key=true"});
  ASSERT_OK(f.status());
  EXPECT_EQ(f->producer_properties,
            (client::Properties{{"bootstrap.servers", "h:9092"},
                                {"compression.type", "zstd"},
                                {"acks", "1"},
                                {"batch.size", "100"},
                                {"linger.ms", "1000"},
                                {"max.in.flight.requests.per.connection", "1"}}));
  EXPECT_TRUE(f->reader.parse_key);
  EXPECT_THAT(ParseProduceFlags({"--bootstrap-server", "h:1"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--topic")));
  EXPECT_THAT(
      ParseProduceFlags({"--topic", "t", "--bootstrap-server", "h:1", "--property", "bogus=1"})
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bogus")));
}

TEST(ParseConsumeFlags, ReadsStartAndLimits) {
  absl::StatusOr<ConsumeFlags> f = ParseConsumeFlags(
      {"--bootstrap-server", "h:9092", "--topic", "t", "--from-beginning", "--max-messages", "5",
       "--timeout-ms=100", "--property", "print.key=true"});
  ASSERT_OK(f.status());
  EXPECT_EQ(f->start.kind, client::StartOffset::Kind::kEarliest);
  EXPECT_EQ(f->max_messages, 5);
  EXPECT_EQ(f->timeout_ms, 100);
  EXPECT_TRUE(f->format.print_key);
  absl::StatusOr<ConsumeFlags> at = ParseConsumeFlags(
      {"--bootstrap-server", "h:9092", "--topic", "t", "--partition", "2", "--offset", "7"});
  ASSERT_OK(at.status());
  EXPECT_EQ(at->partition, 2);
  EXPECT_EQ(at->start.kind, client::StartOffset::Kind::kOffset);
  EXPECT_EQ(at->start.offset, 7);
  EXPECT_THAT(
      ParseConsumeFlags({"--bootstrap-server", "h:9092", "--topic", "t", "--offset", "7"}).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--partition")));
}

TEST(ParseConsumeFlags, GroupSubscribesAndSetsTheOffsetReset) {
  absl::StatusOr<ConsumeFlags> f = ParseConsumeFlags(
      {"--bootstrap-server", "h:9092", "--topic", "t", "--group", "g", "--from-beginning"});
  ASSERT_OK(f.status());
  EXPECT_TRUE(f->group);
  EXPECT_EQ(f->consumer_properties.at("group.id"), "g");
  EXPECT_EQ(f->consumer_properties.at("auto.offset.reset"), "earliest");
  absl::StatusOr<ConsumeFlags> latest = ParseConsumeFlags(
      {"--bootstrap-server", "h:9092", "--topic", "t", "--consumer-property", "group.id=g"});
  ASSERT_OK(latest.status());
  EXPECT_TRUE(latest->group);
  EXPECT_EQ(latest->consumer_properties.at("auto.offset.reset"), "latest");
  // A consumer property wins over the default, --from-beginning over both.
  absl::StatusOr<ConsumeFlags> kept =
      ParseConsumeFlags({"--bootstrap-server", "h:9092", "--topic", "t", "--group", "g",
                         "--consumer-property", "auto.offset.reset=earliest"});
  ASSERT_OK(kept.status());
  EXPECT_EQ(kept->consumer_properties.at("auto.offset.reset"), "earliest");
  EXPECT_THAT(ParseConsumeFlags({"--bootstrap-server", "h:9092", "--topic", "t", "--group", "g",
                                 "--partition", "1"})
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--group")));
}

TEST(ParseConsumeFlags, IncludeSubscribesToAPatternWithAGroupOnly) {
  absl::StatusOr<ConsumeFlags> f =
      ParseConsumeFlags({"--bootstrap-server", "h:9092", "--include", "orders-.*", "--group", "g"});
  ASSERT_OK(f.status());
  EXPECT_EQ(f->include, "orders-.*");
  EXPECT_TRUE(f->topic.empty());
  EXPECT_THAT(ParseConsumeFlags({"--bootstrap-server", "h:9092", "--include", "o.*"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("requires --group")));
  EXPECT_THAT(ParseConsumeFlags({"--bootstrap-server", "h:9092", "--include", "o.*", "--topic", "t",
                                 "--group", "g"})
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exactly one")));
  EXPECT_THAT(ParseConsumeFlags({"--bootstrap-server", "h:9092", "--include", "(", "--group", "g"})
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a regular expression")));
}

TEST(FormatConsoleRecord, FollowsDefaultMessageFormatterOrder) {
  client::ConsumerRecord r{.topic = "t",
                           .partition = 2,
                           .offset = 9,
                           .timestamp = 1234,
                           .key = "k",
                           .value = "v",
                           .headers = {{"h1", "a"}, {"h2", std::nullopt}}};
  EXPECT_EQ(FormatConsoleRecord(r, FormatterOptions{}), "v\n");
  FormatterOptions all{.print_timestamp = true,
                       .print_partition = true,
                       .print_offset = true,
                       .print_headers = true,
                       .print_key = true};
  EXPECT_EQ(FormatConsoleRecord(r, all),
            "CreateTime:1234\tPartition:2\tOffset:9\th1:a,h2:null\tk\tv\n");
  r.headers.clear();
  r.key.reset();
  FormatterOptions key{.print_headers = true, .print_key = true, .key_separator = ":"};
  EXPECT_EQ(FormatConsoleRecord(r, key), "NO_HEADERS:null:v\n");
}

}  // namespace
}  // namespace karst::cli

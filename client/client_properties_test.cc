#include "client/client_properties.h"

#include "client/kafka_error.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/protocol/errors.h"

namespace karst::client {
namespace {

using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::HasSubstr;
namespace kp = ::karst::kafka::protocol;

TEST(ParseProperties, ReadsKeyValueLinesAndSkipsComments) {
  absl::StatusOr<Properties> p = ParseProperties(
      "# comment\n! also a comment\n\n bootstrap.servers = a:9092,b:9092 \nclient.id: me\n");
  ASSERT_OK(p.status());
  EXPECT_EQ(*p, (Properties{{"bootstrap.servers", "a:9092,b:9092"}, {"client.id", "me"}}));
}

TEST(ParseProperties, RejectsLineWithoutSeparatorNamingTheLine) {
  EXPECT_THAT(ParseProperties("a=1\nnonsense\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2")));
}

TEST(ParseBootstrapServers, SplitsHostsAndPorts) {
  absl::StatusOr<std::vector<BrokerAddress>> s =
      ParseBootstrapServers("127.0.0.1:9092, localhost:19092,[::1]:9093");
  ASSERT_OK(s.status());
  EXPECT_EQ(*s,
            (std::vector<BrokerAddress>{{"127.0.0.1", 9092}, {"localhost", 19092}, {"::1", 9093}}));
  EXPECT_THAT(ParseBootstrapServers("host").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"host\"")));
  EXPECT_THAT(ParseBootstrapServers("h:0").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseBootstrapServers("").status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(AdminClientOptions, ReadsKafkaPropertyNames) {
  absl::StatusOr<AdminClientOptions> o = AdminClientOptionsFromProperties(
      {{"bootstrap.servers", "a:1"}, {"client.id", "tool"}, {"request.timeout.ms", "1500"}});
  ASSERT_OK(o.status());
  EXPECT_EQ(o->bootstrap_servers, (std::vector<BrokerAddress>{{"a", 1}}));
  EXPECT_EQ(o->client_id, "tool");
  EXPECT_EQ(o->request_timeout, absl::Milliseconds(1500));
}

TEST(AdminClientOptions, UnknownKeyIsAnErrorNamingTheKey) {
  EXPECT_THAT(AdminClientOptionsFromProperties({{"bootstrap.servers", "a:1"}, {"linger.msx", "5"}})
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("linger.msx")));
}

TEST(AdminClientOptions, RequiresBootstrapServersAndValidTimeout) {
  EXPECT_THAT(AdminClientOptionsFromProperties({}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bootstrap.servers")));
  EXPECT_THAT(AdminClientOptionsFromProperties(
                  {{"bootstrap.servers", "a:1"}, {"request.timeout.ms", "soon"}})
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request.timeout.ms")));
}

TEST(KafkaErrorStatus, NamesTheErrorAndKeepsTheBrokersMessage) {
  EXPECT_THAT(KafkaErrorStatus(0, "ignored"), IsOk());
  const absl::Status exists = KafkaErrorStatus(
      static_cast<int16_t>(kp::ErrorCode::kTopicAlreadyExists), "Topic 'x' already exists.");
  EXPECT_THAT(exists, StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(exists.message(), "TOPIC_ALREADY_EXISTS: Topic 'x' already exists.");
  EXPECT_EQ(KafkaErrorName(exists), "TOPIC_ALREADY_EXISTS");
  EXPECT_THAT(KafkaErrorStatus(static_cast<int16_t>(kp::ErrorCode::kInvalidPartitions), "m"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(KafkaErrorStatus(static_cast<int16_t>(kp::ErrorCode::kUnknownTopicOrPartition)),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(KafkaErrorStatus(static_cast<int16_t>(kp::ErrorCode::kNotLeaderOrFollower)),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(KafkaErrorStatus, UsesKafkasMessageWhenTheBrokerSendsNone) {
  const absl::Status s =
      KafkaErrorStatus(static_cast<int16_t>(kp::ErrorCode::kUnknownTopicOrPartition));
  EXPECT_EQ(s.message(), absl::StrCat("UNKNOWN_TOPIC_OR_PARTITION: ",
                                      kp::ErrorMessage(kp::ErrorCode::kUnknownTopicOrPartition)));
  EXPECT_EQ(KafkaErrorName(absl::UnavailableError("a:1: connect: refused")), "");
}

TEST(ProducerOptions, ReadsKafkaPropertyNames) {
  absl::StatusOr<ProducerOptions> o =
      ProducerOptionsFromProperties({{"bootstrap.servers", "a:1"},
                                     {"acks", "all"},
                                     {"linger.ms", "0"},
                                     {"batch.size", "1000"},
                                     {"compression.type", "lz4"},
                                     {"request.timeout.ms", "500"},
                                     {"delivery.timeout.ms", "9000"},
                                     {"retries", "3"},
                                     {"client.id", "p"}});
  ASSERT_OK(o.status());
  EXPECT_EQ(o->acks, Acks::kAll);
  EXPECT_EQ(o->linger, absl::ZeroDuration());
  EXPECT_EQ(o->batch_size, 1000);
  EXPECT_EQ(o->compression, kafka::record::Compression::kLz4);
  EXPECT_EQ(o->request_timeout, absl::Milliseconds(500));
  EXPECT_EQ(o->delivery_timeout, absl::Seconds(9));
  EXPECT_EQ(o->retries, 3);
  EXPECT_EQ(o->client_id, "p");
  EXPECT_EQ(ProducerOptionsFromProperties({{"bootstrap.servers", "a:1"}, {"acks", "-1"}})->acks,
            Acks::kAll);
  EXPECT_EQ(ProducerOptionsFromProperties({{"bootstrap.servers", "a:1"}, {"acks", "0"}})->acks,
            Acks::kNone);
}

TEST(ProducerOptions, RejectsUnknownKeysAndBadValuesByName) {
  EXPECT_THAT(
      ProducerOptionsFromProperties({{"bootstrap.servers", "a:1"}, {"foo", "1"}}).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown producer property: foo")));
  EXPECT_THAT(ProducerOptionsFromProperties({{"bootstrap.servers", "a:1"}, {"acks", "2"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("acks")));
  EXPECT_THAT(
      ProducerOptionsFromProperties({{"bootstrap.servers", "a:1"}, {"compression.type", "brotli"}})
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("compression.type")));
  EXPECT_THAT(ProducerOptionsFromProperties({{"acks", "1"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bootstrap.servers")));
}

TEST(ConsumerOptions, ReadsKafkaPropertyNames) {
  absl::StatusOr<ConsumerOptions> o =
      ConsumerOptionsFromProperties({{"bootstrap.servers", "a:1"},
                                     {"auto.offset.reset", "earliest"},
                                     {"fetch.min.bytes", "10"},
                                     {"fetch.max.wait.ms", "20"},
                                     {"max.partition.fetch.bytes", "30"},
                                     {"max.poll.records", "40"},
                                     {"reconnect.backoff.ms", "50"},
                                     {"default.api.timeout.ms", "60"}});
  ASSERT_OK(o.status());
  EXPECT_EQ(o->reconnect_backoff, absl::Milliseconds(50));
  EXPECT_EQ(o->default_api_timeout, absl::Milliseconds(60));
  EXPECT_EQ(o->auto_offset_reset, OffsetReset::kEarliest);
  EXPECT_EQ(o->fetch_min_bytes, 10);
  EXPECT_EQ(o->fetch_max_wait, absl::Milliseconds(20));
  EXPECT_EQ(o->max_partition_fetch_bytes, 30);
  EXPECT_EQ(o->max_poll_records, 40);
  EXPECT_THAT(
      ConsumerOptionsFromProperties({{"bootstrap.servers", "a:1"}, {"group.idd", "g"}}).status(),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("unknown consumer property: group.idd")));
  EXPECT_THAT(
      ConsumerOptionsFromProperties({{"bootstrap.servers", "a:1"}, {"auto.offset.reset", "middle"}})
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("auto.offset.reset")));
  for (const char* key : {"max.poll.records", "max.partition.fetch.bytes", "fetch.max.bytes"}) {
    EXPECT_THAT(ConsumerOptionsFromProperties({{"bootstrap.servers", "a:1"}, {key, "0"}}).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(key)));
  }
  for (const char* key :
       {"fetch.min.bytes", "fetch.max.wait.ms", "default.api.timeout.ms", "reconnect.backoff.ms"}) {
    EXPECT_THAT(ConsumerOptionsFromProperties({{"bootstrap.servers", "a:1"}, {key, "-1"}}).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(key)));
    EXPECT_THAT(ConsumerOptionsFromProperties({{"bootstrap.servers", "a:1"}, {key, "x"}}).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(key)));
  }
}

TEST(ConsumerOptions, ReadsGroupPropertiesWithJavaDefaults) {
  absl::StatusOr<ConsumerOptions> defaults =
      ConsumerOptionsFromProperties({{"bootstrap.servers", "a:1"}});
  ASSERT_OK(defaults.status());
  EXPECT_EQ(defaults->group_id, "");
  EXPECT_EQ(defaults->session_timeout, absl::Seconds(45));
  EXPECT_EQ(defaults->heartbeat_interval, absl::Seconds(3));
  EXPECT_EQ(defaults->max_poll_interval, absl::Seconds(300));
  EXPECT_THAT(defaults->partition_assignment_strategy,
              ::testing::ElementsAre("range", "cooperative-sticky"));
  EXPECT_TRUE(defaults->enable_auto_commit);
  EXPECT_EQ(defaults->auto_commit_interval, absl::Seconds(5));
  EXPECT_EQ(defaults->metadata_max_age, absl::Minutes(5));

  absl::StatusOr<ConsumerOptions> o = ConsumerOptionsFromProperties(
      {{"bootstrap.servers", "a:1"},
       {"group.id", "g"},
       {"group.instance.id", "i-1"},
       {"session.timeout.ms", "10000"},
       {"heartbeat.interval.ms", "1000"},
       {"max.poll.interval.ms", "20000"},
       {"partition.assignment.strategy",
        "org.apache.kafka.clients.consumer.CooperativeStickyAssignor, roundrobin"},
       {"enable.auto.commit", "false"},
       {"auto.commit.interval.ms", "100"},
       {"metadata.max.age.ms", "200"}});
  ASSERT_OK(o.status());
  EXPECT_EQ(o->group_id, "g");
  EXPECT_EQ(o->group_instance_id, "i-1");
  EXPECT_EQ(o->session_timeout, absl::Seconds(10));
  EXPECT_EQ(o->heartbeat_interval, absl::Seconds(1));
  EXPECT_EQ(o->max_poll_interval, absl::Seconds(20));
  EXPECT_THAT(o->partition_assignment_strategy,
              ::testing::ElementsAre("org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
                                     "roundrobin"));
  EXPECT_FALSE(o->enable_auto_commit);
  EXPECT_EQ(o->auto_commit_interval, absl::Milliseconds(100));
  EXPECT_EQ(o->metadata_max_age, absl::Milliseconds(200));

  EXPECT_THAT(
      ConsumerOptionsFromProperties({{"bootstrap.servers", "a:1"}, {"enable.auto.commit", "yes"}})
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("enable.auto.commit")));
  EXPECT_THAT(
      ConsumerOptionsFromProperties(
          {{"bootstrap.servers", "a:1"}, {"partition.assignment.strategy", " , "}})
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("partition.assignment.strategy")));
  EXPECT_THAT(
      ConsumerOptionsFromProperties({{"bootstrap.servers", "a:1"}, {"session.timeout.ms", "0"}})
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("session.timeout.ms")));
}

}  // namespace
}  // namespace karst::client

#include "client/cli/topics_command.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace karst::cli {
namespace {

using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseTopicsFlags, CreateWithEveryOption) {
  absl::StatusOr<TopicsFlags> f =
      ParseTopicsFlags({"--bootstrap-server", "a:9092", "--create", "--topic", "t", "--partitions",
                        "3", "--replication-factor=2", "--config", "retention.ms=1000", "--config",
                        "cleanup.policy=compact", "--if-not-exists"});
  ASSERT_OK(f.status());
  EXPECT_EQ(f->action, TopicsAction::kCreate);
  EXPECT_EQ(f->bootstrap_server, "a:9092");
  EXPECT_EQ(f->topic, "t");
  EXPECT_EQ(f->partitions, 3);
  EXPECT_EQ(f->replication_factor, 2);
  EXPECT_EQ(f->configs, (std::map<std::string, std::string>{{"cleanup.policy", "compact"},
                                                            {"retention.ms", "1000"}}));
  EXPECT_TRUE(f->if_not_exists);
}

TEST(ParseTopicsFlags, ListDescribeDeleteAlter) {
  EXPECT_EQ(ParseTopicsFlags({"--list"})->action, TopicsAction::kList);
  EXPECT_EQ(ParseTopicsFlags({"--describe"})->action, TopicsAction::kDescribe);
  EXPECT_EQ(ParseTopicsFlags({"--describe", "--topic", "t"})->topic, "t");
  EXPECT_EQ(ParseTopicsFlags({"--delete", "--topic", "t", "--if-exists"})->action,
            TopicsAction::kDelete);
  absl::StatusOr<TopicsFlags> alter =
      ParseTopicsFlags({"--alter", "--topic", "t", "--partitions", "5"});
  ASSERT_OK(alter.status());
  EXPECT_EQ(alter->partitions, 5);
  EXPECT_EQ(ParseTopicsFlags({"--create", "--help"})->action, TopicsAction::kHelp);
  EXPECT_EQ(ParseTopicsFlags({"--command-config", "f", "--list"})->command_config, "f");
}

TEST(ParseTopicsFlags, RejectsMissingOrConflictingActions) {
  EXPECT_THAT(ParseTopicsFlags({}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--create")));
  EXPECT_THAT(ParseTopicsFlags({"--list", "--describe"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than one action")));
  EXPECT_THAT(ParseTopicsFlags({"--create"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--create requires --topic")));
  EXPECT_THAT(ParseTopicsFlags({"--delete"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--delete requires --topic")));
  EXPECT_THAT(ParseTopicsFlags({"--alter", "--topic", "t"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--partitions")));
  EXPECT_THAT(ParseTopicsFlags({"--list", "--partitions", "3"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseTopicsFlags({"--list", "--if-not-exists"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseTopicsFlags(
                  {"--alter", "--topic", "t", "--partitions", "5", "--replication-factor", "2"})
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseTopicsFlags, RejectsBadValuesAndUnknownFlags) {
  EXPECT_THAT(ParseTopicsFlags({"--create", "--topic", "t", "--partitions", "zero"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--partitions")));
  EXPECT_THAT(ParseTopicsFlags({"--create", "--topic", "t", "--partitions", "0"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      ParseTopicsFlags({"--create", "--topic", "t", "--replication-factor", "40000"}).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--replication-factor")));
  EXPECT_THAT(ParseTopicsFlags({"--create", "--topic", "t", "--config", "novalue"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("key=value")));
  EXPECT_THAT(ParseTopicsFlags({"--list", "--zookeeper", "z:2181"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown flag --zookeeper")));
  EXPECT_THAT(ParseTopicsFlags({"--list", "--topic"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs a value")));
  EXPECT_THAT(ParseTopicsFlags({"--list", "stray"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stray")));
}

TEST(FormatTopicDescription, MatchesKafkaTopicsLayout) {
  client::TopicDescription topic{.name = "orders", .topic_id = "AAAAAAAAAAAAAAAAAAAAAQ"};
  topic.partitions.push_back(
      {.partition = 0, .leader = 1, .replicas = {1, 2, 3}, .isr = {1, 2, 3}});
  topic.partitions.push_back(
      {.partition = 1, .leader = -1, .replicas = {2, 3, 1}, .isr = {}, .offline = {2, 3, 1}});
  EXPECT_EQ(FormatTopicDescription(topic, {{"cleanup.policy", "compact"}, {"retention.ms", "1"}}),
            "Topic: orders\tTopicId: AAAAAAAAAAAAAAAAAAAAAQ\tPartitionCount: 2\t"
            "ReplicationFactor: 3\tConfigs: cleanup.policy=compact,retention.ms=1\n"
            "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3\n"
            "\tTopic: orders\tPartition: 1\tLeader: none\tReplicas: 2,3,1\tIsr: \t"
            "Offline: 2,3,1\n");
}

TEST(FormatTopicDescription, TopicWithoutConfigsOrPartitions) {
  EXPECT_EQ(FormatTopicDescription({.name = "t", .topic_id = "x"}, {}),
            "Topic: t\tTopicId: x\tPartitionCount: 0\tReplicationFactor: 0\tConfigs: \n");
}

TEST(FormatTopicsJson, HoldsEveryPartitionAndConfig) {
  client::TopicDescription topic{.name = "orders", .topic_id = "AAAAAAAAAAAAAAAAAAAAAQ"};
  topic.partitions.push_back({.partition = 0, .leader = 1, .replicas = {1, 2}, .isr = {1, 2}});
  topic.partitions.push_back({.partition = 1, .leader = -1, .replicas = {2, 1}, .isr = {}});
  EXPECT_EQ(FormatTopicsJson({topic}, {{"orders", {{"retention.ms", "1"}}}}),
            R"({"topics":[{"name":"orders","topic_id":"AAAAAAAAAAAAAAAAAAAAAQ",)"
            R"("partition_count":2,"replication_factor":2,"configs":{"retention.ms":"1"},)"
            R"("partitions":[{"partition":0,"leader":1,"replicas":[1,2],"isr":[1,2]},)"
            R"({"partition":1,"leader":null,"replicas":[2,1],"isr":[]}]}]})");
}

TEST(ParseTopicsFlags, TakesOutputJsonAndRefusesOtherFormats) {
  ASSERT_OK_AND_ASSIGN(TopicsFlags flags,
                       ParseTopicsFlags({"--bootstrap-server", "h:1", "--list", "--output=json"}));
  EXPECT_EQ(flags.output, OutputFormat::kJson);
  EXPECT_THAT(ParseTopicsFlags({"--bootstrap-server", "h:1", "--list", "--output", "yaml"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--output")));
}

}  // namespace
}  // namespace karst::cli

#include "client/cli/configs_command.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace karst::cli {
namespace {

using ::karst::client::ConfigEntry;
using ::karst::client::ConfigResource;
using ::karst::client::ConfigResourceType;
using ::karst::client::ConfigSource;
using ::karst::testing::StatusIs;
using ::testing::HasSubstr;
using KeyValues = std::vector<std::pair<std::string, std::string>>;

TEST(ParseAddConfig, SplitsOnCommasOutsideBrackets) {
  absl::StatusOr<KeyValues> kv = ParseAddConfig("a=1,b=[x,y],c=k=v,d=");
  ASSERT_OK(kv.status());
  EXPECT_EQ(*kv, (KeyValues{{"a", "1"}, {"b", "x,y"}, {"c", "k=v"}, {"d", ""}}));
  EXPECT_THAT(ParseAddConfig("a=1,novalue").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("novalue")));
  EXPECT_THAT(ParseAddConfig("=1").status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ParseConfigsFlags, AlterTopic) {
  absl::StatusOr<ConfigsFlags> f = ParseConfigsFlags(
      {"--bootstrap-server", "a:9092", "--alter", "--entity-type", "topics", "--entity-name=t",
       "--add-config", "retention.ms=1000,cleanup.policy=compact", "--delete-config", "x,y"});
  ASSERT_OK(f.status());
  EXPECT_EQ(f->action, ConfigsAction::kAlter);
  EXPECT_EQ(f->bootstrap_server, "a:9092");
  EXPECT_EQ(f->resource.type, ConfigResourceType::kTopic);
  EXPECT_EQ(f->resource.name, "t");
  EXPECT_EQ(f->add_configs, (KeyValues{{"retention.ms", "1000"}, {"cleanup.policy", "compact"}}));
  EXPECT_EQ(f->delete_configs, (std::vector<std::string>{"x", "y"}));
}

TEST(ParseConfigsFlags, DescribeBrokers) {
  absl::StatusOr<ConfigsFlags> by_id =
      ParseConfigsFlags({"--describe", "--all", "--entity-type", "brokers", "--entity-name", "2"});
  ASSERT_OK(by_id.status());
  EXPECT_EQ(by_id->action, ConfigsAction::kDescribe);
  EXPECT_TRUE(by_id->all);
  EXPECT_EQ(by_id->resource.type, ConfigResourceType::kBroker);
  EXPECT_EQ(by_id->resource.name, "2");
  absl::StatusOr<ConfigsFlags> cluster =
      ParseConfigsFlags({"--describe", "--entity-type", "brokers", "--entity-default"});
  ASSERT_OK(cluster.status());
  EXPECT_EQ(cluster->resource.name, "");
  EXPECT_EQ(ParseConfigsFlags({"--alter", "--help"})->action, ConfigsAction::kHelp);
}

TEST(ParseConfigsFlags, RejectsBadCombinations) {
  auto rejects = [](const std::vector<std::string>& args, const std::string& why) {
    EXPECT_THAT(ParseConfigsFlags(args).status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(why)));
  };
  rejects({"--entity-type", "topics", "--entity-name", "t"}, "--describe or --alter");
  rejects({"--describe", "--alter", "--entity-type", "topics"}, "more than one action");
  rejects({"--describe", "--entity-name", "t"}, "--entity-type is required");
  rejects({"--describe", "--entity-type", "users", "--entity-name", "u"}, "topics or brokers");
  rejects({"--alter", "--entity-type", "topics", "--add-config", "a=1"},
          "--entity-name is required");
  rejects({"--describe", "--entity-type", "topics", "--entity-default"},
          "only with --entity-type brokers");
  rejects({"--describe", "--entity-type", "brokers", "--entity-name", "1", "--entity-default"},
          "exactly one of");
  rejects({"--describe", "--entity-type", "brokers", "--entity-name", "one"}, "integer");
  rejects({"--alter", "--entity-type", "topics", "--entity-name", "t"}, "--add-config or");
  rejects({"--describe", "--entity-type", "topics", "--entity-name", "t", "--add-config", "a=1"},
          "only with --alter");
  rejects(
      {"--alter", "--all", "--entity-type", "topics", "--entity-name", "t", "--add-config", "a=1"},
      "--all");
  rejects({"--alter", "--entity-type", "topics", "--entity-name", "t", "--add-config", "a=1",
           "--delete-config", "a"},
          "in both");
  rejects({"--describe", "--entity-type", "topics", "--entity-name", "t", "--zookeeper", "z"},
          "unknown flag --zookeeper");
  rejects({"--describe", "--entity-type"}, "needs a value");
  rejects({"--describe", "stray"}, "stray");
}

std::vector<ConfigEntry> Entries() {
  return {
      {.name = "cleanup.policy", .value = "compact", .source = ConfigSource::kDynamicTopicConfig},
      {.name = "retention.ms", .value = "604800000", .source = ConfigSource::kDefaultConfig},
      {.name = "min.insync.replicas",
       .value = "2",
       .source = ConfigSource::kDynamicDefaultBrokerConfig},
      {.name = "sasl.password",
       .value = std::nullopt,
       .source = ConfigSource::kDynamicBrokerConfig,
       .sensitive = true}};
}

TEST(FormatConfigs, DynamicOnlyByDefault) {
  EXPECT_EQ(FormatConfigs({ConfigResourceType::kTopic, "t"}, false, Entries()),
            "Dynamic configs for topic t are:\n  cleanup.policy=compact\n");
  EXPECT_EQ(FormatConfigs({ConfigResourceType::kBroker, ""}, false, Entries()),
            "Default configs for brokers in the cluster are:\n  min.insync.replicas=2\n");
  EXPECT_EQ(FormatConfigs({ConfigResourceType::kBroker, "1"}, false, Entries()),
            "Dynamic configs for broker 1 are:\n  sasl.password=null\n");
  EXPECT_EQ(FormatConfigs({ConfigResourceType::kTopic, "t"}, false, {}),
            "Dynamic configs for topic t are:\n");
}

TEST(FormatConfigs, AllShowsEveryEntryWithItsSource) {
  EXPECT_EQ(FormatConfigs({ConfigResourceType::kTopic, "t"}, true, Entries()),
            "All configs for topic t are:\n"
            "  cleanup.policy=compact sensitive=false source=DYNAMIC_TOPIC_CONFIG\n"
            "  retention.ms=604800000 sensitive=false source=DEFAULT_CONFIG\n"
            "  min.insync.replicas=2 sensitive=false source=DYNAMIC_DEFAULT_BROKER_CONFIG\n"
            "  sasl.password=null sensitive=true source=DYNAMIC_BROKER_CONFIG\n");
}

TEST(FormatConfigsJson, KeepsTheTextFormsFilter) {
  EXPECT_EQ(FormatConfigsJson({ConfigResourceType::kTopic, "t"}, false, Entries()),
            R"({"entity_type":"topics","entity_name":"t","configs":[{"name":"cleanup.policy",)"
            R"("value":"compact","source":"DYNAMIC_TOPIC_CONFIG","read_only":false,)"
            R"("sensitive":false}]})");
  EXPECT_EQ(FormatConfigsJson({ConfigResourceType::kBroker, ""}, false, {}),
            R"({"entity_type":"brokers","entity_name":null,"configs":[]})");
}

TEST(ParseConfigsFlags, DescribeWithoutAnEntityDescribesThemAll) {
  ASSERT_OK_AND_ASSIGN(ConfigsFlags flags,
                       ParseConfigsFlags({"--bootstrap-server", "h:1", "--describe",
                                          "--entity-type", "brokers", "--output", "json"}));
  EXPECT_TRUE(flags.every_entity);
  EXPECT_EQ(flags.output, OutputFormat::kJson);
  ASSERT_OK_AND_ASSIGN(ConfigsFlags one,
                       ParseConfigsFlags({"--bootstrap-server", "h:1", "--describe",
                                          "--entity-type", "topics", "--entity-name", "t"}));
  EXPECT_FALSE(one.every_entity);
}

}  // namespace
}  // namespace karst::cli

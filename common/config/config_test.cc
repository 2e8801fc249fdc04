#include "common/config/config.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace karst::config {
namespace {

using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<ConfigDef> Defs() {
  ConfigDef partitions{"num.partitions", Type::kInt, "1", false, 1, 100, {}, ""};
  ConfigDef node{"node.id", Type::kInt, std::nullopt, true, 0, 1000, {}, ""};
  ConfigDef enable{"auto.create.topics.enable", Type::kBool, "true", false, 0, 0, {}, ""};
  ConfigDef roles{"process.roles",          Type::kList, "broker", false, 0, 0,
                  {"broker", "controller"}, ""};
  ConfigDef level{"logger.level", Type::kString, "info", false, 0, 0, {"info", "debug"}, ""};
  ConfigDef retention{"log.retention.ms", Type::kLong, std::nullopt, false, -1, INT64_MAX, {}, ""};
  return {partitions, node, enable, roles, level, retention};
}

Sources FileSources(absl::string_view text) {
  Sources sources;
  absl::StatusOr<std::vector<Property>> file = ParseProperties(text, "server.properties");
  EXPECT_TRUE(file.ok()) << file.status();
  if (file.ok()) sources.file = *file;
  return sources;
}

TEST(Config, DefaultsApplyWhenNothingIsSet) {
  ASSERT_OK_AND_ASSIGN(Config c, Config::Resolve(Defs(), FileSources("node.id=3\n")));
  EXPECT_EQ(c.GetInt("num.partitions"), 1);
  EXPECT_TRUE(c.GetBool("auto.create.topics.enable"));
  EXPECT_THAT(c.GetList("process.roles"), ElementsAre("broker"));
  EXPECT_EQ(c.OriginOf("num.partitions").ToString(), "default");
  EXPECT_FALSE(c.IsSet("log.retention.ms"));
  EXPECT_EQ(c.GetInt("node.id"), 3);
  EXPECT_EQ(c.OriginOf("node.id").ToString(), "server.properties:1");
}

TEST(Config, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  Sources s = FileSources("node.id=1\nnum.partitions=2\nlogger.level=debug\n");
  s.environment = {"PATH=/bin", "KARST_NUM_PARTITIONS=3", "KARST_NODE_ID=5"};
  s.overrides = {"num.partitions=4", "num.partitions=6"};
  ASSERT_OK_AND_ASSIGN(Config c, Config::Resolve(Defs(), s));
  EXPECT_EQ(c.GetInt("num.partitions"), 6);  // The last flag wins.
  EXPECT_EQ(c.OriginOf("num.partitions").ToString(), "flag --override num.partitions=6");
  EXPECT_EQ(c.GetInt("node.id"), 5);
  EXPECT_EQ(c.OriginOf("node.id").ToString(), "environment variable KARST_NODE_ID");
  EXPECT_EQ(c.GetString("logger.level"), "debug");
  EXPECT_EQ(c.OriginOf("logger.level").ToString(), "server.properties:3");
}

TEST(Config, ParsesEveryType) {
  Sources s = FileSources(
      "node.id=0\nauto.create.topics.enable=FALSE\nprocess.roles= broker , controller,\n"
      "log.retention.ms=-1\n");
  ASSERT_OK_AND_ASSIGN(Config c, Config::Resolve(Defs(), s));
  EXPECT_FALSE(c.GetBool("auto.create.topics.enable"));
  EXPECT_THAT(c.GetList("process.roles"), ElementsAre("broker", "controller"));
  EXPECT_EQ(c.GetInt("log.retention.ms"), -1);
  EXPECT_THAT(c.Describe(), ::testing::Contains("log.retention.ms=-1 (server.properties:4)"));
}

TEST(Config, UnknownKeyInFileNamesFileAndLine) {
  EXPECT_THAT(Config::Resolve(Defs(), FileSources("node.id=1\nnum.partitons=3\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "unknown configuration key 'num.partitons' (server.properties:2)"));
}

TEST(Config, UnknownEnvironmentVariableIsNamed) {
  Sources s = FileSources("node.id=1\n");
  s.environment = {"KARST_NUM_PARTITONS=3"};
  EXPECT_THAT(Config::Resolve(Defs(), s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("KARST_NUM_PARTITONS")));
}

TEST(Config, UnknownOrMalformedFlagIsNamed) {
  Sources s = FileSources("node.id=1\n");
  s.overrides = {"nodeid=1"};
  EXPECT_THAT(Config::Resolve(Defs(), s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "unknown configuration key 'nodeid' (flag --override nodeid=1)"));
  s.overrides = {"node.id"};
  EXPECT_THAT(Config::Resolve(Defs(), s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected key=value")));
}

TEST(Config, MalformedValuesNameKeySourceAndWhatIsAllowed) {
  EXPECT_THAT(Config::Resolve(Defs(), FileSources("node.id=one\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "node.id = 'one' (server.properties:1): expected an integer in [0, 1000]"));
  EXPECT_THAT(Config::Resolve(Defs(), FileSources("node.id=1\nauto.create.topics.enable=yes\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("(server.properties:2): expected true or false")));
  EXPECT_THAT(
      Config::Resolve(Defs(), FileSources("node.id=1\nlogger.level=loud\n")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected one of: info, debug")));
  EXPECT_THAT(Config::Resolve(Defs(), FileSources("node.id=1\nprocess.roles=broker,gateway\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'gateway' is not allowed; expected a comma-separated list of: "
                                 "broker, controller")));
  EXPECT_THAT(Config::Resolve(Defs(), FileSources("node.id=1\nnum.partitions=12x\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("num.partitions = '12x'")));
}

TEST(Config, OutOfRangeValuesAreRejectedFromEverySource) {
  EXPECT_THAT(Config::Resolve(Defs(), FileSources("node.id=1\nnum.partitions=0\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("[1, 100]")));
  Sources env = FileSources("node.id=1\n");
  env.environment = {"KARST_NUM_PARTITIONS=101"};
  EXPECT_THAT(Config::Resolve(Defs(), env),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("(environment variable KARST_NUM_PARTITIONS)")));
  Sources flag = FileSources("node.id=1\n");
  flag.overrides = {"node.id=-1"};
  EXPECT_THAT(
      Config::Resolve(Defs(), flag),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("(flag --override node.id=-1): expected an integer in [0, 1000]")));
  EXPECT_THAT(Config::Resolve(Defs(), FileSources("node.id=99999999999999999999\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("node.id")));
}

TEST(Config, MissingRequiredKeySaysHowToSetIt) {
  EXPECT_THAT(Config::Resolve(Defs(), Sources{}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("required configuration key 'node.id' is not set")));
  EXPECT_THAT(Config::Resolve(Defs(), Sources{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("KARST_NODE_ID")));
}

TEST(Config, EnvironmentVariableNames) {
  EXPECT_EQ(EnvironmentVariableFor("log.retention.ms"), "KARST_LOG_RETENTION_MS");
  EXPECT_EQ(EnvironmentVariableFor("a-b.c"), "KARST_A_B_C");
}

TEST(Config, KeyErrorNamesTheOrigin) {
  ASSERT_OK_AND_ASSIGN(Config c, Config::Resolve(Defs(), FileSources("node.id=1\n")));
  EXPECT_THAT(KeyError(c, "node.id", "clash"),
              StatusIs(absl::StatusCode::kInvalidArgument, "node.id (server.properties:1): clash"));
  EXPECT_THAT(KeyError(c, "num.partitions", "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("(default)")));
}

}  // namespace
}  // namespace karst::config

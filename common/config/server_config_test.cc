#include "common/config/server_config.h"

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace karst::config {
namespace {

using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

absl::StatusOr<ServerConfig> LoadText(absl::string_view text,
                                      std::vector<std::string> overrides = {}) {
  absl::StatusOr<std::vector<Property>> file = ParseProperties(text, "server.properties");
  if (!file.ok()) return file.status();
  return ServerConfig::Load({*file, {}, std::move(overrides)});
}

constexpr absl::string_view kCombined =
    "node.id=1\n"
    "process.roles=broker,controller\n"
    "listeners=PLAINTEXT://127.0.0.2:9092,CONTROLLER://127.0.0.2:9093\n"
    "advertised.listeners=PLAINTEXT://localhost:9092\n"
    "controller.quorum.voters=1@127.0.0.2:9093,2@127.0.0.3:9093,3@127.0.0.4:9093\n"
    "log.dirs=/var/lib/karst/a,/var/lib/karst/b\n";

TEST(ServerConfig, LoadsACombinedNode) {
  ASSERT_OK_AND_ASSIGN(ServerConfig c, LoadText(kCombined));
  EXPECT_EQ(c.node_id, NodeId(1));
  EXPECT_TRUE(c.HasRole(Role::kBroker));
  EXPECT_TRUE(c.HasRole(Role::kController));
  ASSERT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(c.listeners[1].name, "CONTROLLER");
  EXPECT_EQ(c.listeners[1].address.host, "127.0.0.2");
  EXPECT_EQ(c.listeners[1].address.port, 9093);
  ASSERT_EQ(c.advertised_listeners.size(), 1u);
  EXPECT_EQ(c.advertised_listeners[0].address.host, "localhost");
  ASSERT_EQ(c.controller_quorum_voters.size(), 3u);
  EXPECT_EQ(c.controller_quorum_voters[1].id, NodeId(2));
  EXPECT_EQ(c.log_dirs.size(), 2u);
  EXPECT_EQ(c.metadata_log_dir, "/var/lib/karst/a");
}

TEST(ServerConfig, KafkaDefaults) {
  ASSERT_OK_AND_ASSIGN(ServerConfig c, LoadText("node.id=0\nprocess.roles=broker\n"));
  EXPECT_EQ(c.listeners[0].name, "PLAINTEXT");
  EXPECT_EQ(c.listeners[0].address.host, "");
  EXPECT_EQ(c.listeners[0].address.port, 9092);
  EXPECT_EQ(c.advertised_listeners[0].address.port, 9092);
  EXPECT_EQ(c.num_partitions, 1);
  EXPECT_EQ(c.default_replication_factor, 1);
  EXPECT_EQ(c.min_insync_replicas, 1);
  EXPECT_EQ(c.log_retention_ms, 168LL * 3600 * 1000);
  EXPECT_EQ(c.log_retention_bytes, -1);
  EXPECT_EQ(c.log_segment_bytes, 1073741824);
  EXPECT_EQ(c.log_roll_ms, 168LL * 3600 * 1000);
  EXPECT_FALSE(c.log_flush_interval_ms.has_value());
  EXPECT_EQ(c.log_index_interval_bytes, 4096);
  EXPECT_EQ(c.message_max_bytes, 1048588);
  EXPECT_EQ(c.replica_lag_time_max_ms, 30000);
  EXPECT_EQ(c.offsets_topic_replication_factor, 3);
  EXPECT_EQ(c.admin_listener.port, 9644);
  EXPECT_EQ(c.log_dirs, std::vector<std::string>{"/tmp/karst-logs"});
  EXPECT_EQ(c.logger_level, "info");
}

TEST(ServerConfig, RetentionMsBeatsMinutesBeatsHours) {
  constexpr absl::string_view kBase = "node.id=0\nprocess.roles=broker\n";
  ASSERT_OK_AND_ASSIGN(ServerConfig h, LoadText(kBase, {"log.retention.hours=2"}));
  EXPECT_EQ(h.log_retention_ms, 2 * 3600 * 1000);
  ASSERT_OK_AND_ASSIGN(ServerConfig m,
                       LoadText(kBase, {"log.retention.hours=2", "log.retention.minutes=3"}));
  EXPECT_EQ(m.log_retention_ms, 3 * 60 * 1000);
  ASSERT_OK_AND_ASSIGN(ServerConfig ms,
                       LoadText(kBase, {"log.retention.minutes=3", "log.retention.ms=-1"}));
  EXPECT_EQ(ms.log_retention_ms, -1);
}

TEST(ServerConfig, UnknownRoleIsAStartUpError) {
  EXPECT_THAT(LoadText("node.id=1\nprocess.roles=broker,gateway\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("process.roles = 'broker,gateway' (server.properties:2): "
                                 "'gateway' is not allowed")));
  EXPECT_THAT(LoadText("node.id=1\nprocess.roles=\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("process.roles (server.properties:2)")));
  EXPECT_THAT(LoadText("node.id=1\nprocess.roles=broker,broker\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("appears twice")));
}

TEST(ServerConfig, MalformedListenersAreNamed) {
  constexpr absl::string_view kBase = "node.id=1\nprocess.roles=broker\n";
  EXPECT_THAT(LoadText(kBase, {"listeners=127.0.0.1:9092"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("listeners (flag --override listeners=127.0.0.1:9092): "
                                 "'127.0.0.1:9092' is not a listener")));
  EXPECT_THAT(LoadText(kBase, {"listeners=PLAINTEXT://:99999"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("0 to 65535")));
  EXPECT_THAT(LoadText(kBase, {"listeners=PLAINTEXT://::1:9092"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("brackets")));
  EXPECT_THAT(LoadText(kBase, {"listeners=A://:1,A://:2"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("appears twice")));
  EXPECT_THAT(
      LoadText(kBase, {"advertised.listeners=SSL://h:1"}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listener SSL is not in listeners")));
  ASSERT_OK_AND_ASSIGN(ServerConfig v6, LoadText(kBase, {"listeners=PLAINTEXT://[::1]:9092"}));
  EXPECT_EQ(v6.listeners[0].address.host, "::1");
}

TEST(ServerConfig, ControllerMustBeAVoter) {
  EXPECT_THAT(LoadText("node.id=3\nprocess.roles=controller\n"
                       "controller.quorum.voters=1@h:9093\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("controller.quorum.voters (server.properties:3): a controller's "
                                 "node.id (3) must be one of the voters")));
  EXPECT_THAT(LoadText("node.id=1\nprocess.roles=controller\ncontroller.quorum.voters=x@h:1\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected id@host:port")));
  EXPECT_THAT(LoadText("node.id=1\nprocess.roles=controller\n"
                       "controller.quorum.voters=1@h:1,1@g:2\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("voter id 1 appears twice")));
  EXPECT_THAT(LoadText("node.id=1\nprocess.roles=controller\n"
                       "controller.quorum.voters=1@h:1,2@g:2,3@f:3,4@e:4\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("controller.quorum.voters (server.properties:3): 4 voters is an "
                                 "even count: a quorum of 4 tolerates no more failures than one "
                                 "of 3; use an odd count")));
}

TEST(ServerConfig, CrossKeyChecks) {
  constexpr absl::string_view kBase = "node.id=1\nprocess.roles=broker\n";
  EXPECT_THAT(
      LoadText(kBase, {"group.min.session.timeout.ms=10", "group.max.session.timeout.ms=5"}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("must not exceed group.max.session.timeout.ms")));
  EXPECT_THAT(LoadText(kBase, {"broker.heartbeat.interval.ms=9000"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("broker.session.timeout")));
  EXPECT_THAT(LoadText(kBase, {"admin.listener=nohost"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("admin.listener (flag")));
}

TEST(ServerConfig, EveryDefaultParsesAndEveryKeyIsUnique) {
  std::set<std::string> names;
  for (const ConfigDef& def : ServerConfig::Defs()) {
    EXPECT_TRUE(names.insert(def.name).second) << def.name;
    if (def.default_value) {
      EXPECT_TRUE(ParseValue(def, *def.default_value, Origin::Default()).ok()) << def.name;
    }
  }
}

TEST(ServerConfig, EnvironmentOverridesTheFile) {
  absl::StatusOr<std::vector<Property>> file = ParseProperties(kCombined, "server.properties");
  ASSERT_TRUE(file.ok());
  ASSERT_OK_AND_ASSIGN(ServerConfig c,
                       ServerConfig::Load({*file, {"KARST_NUM_PARTITIONS=12"}, {}}));
  EXPECT_EQ(c.num_partitions, 12);
  EXPECT_THAT(c.effective,
              ::testing::Contains("num.partitions=12 (environment variable KARST_NUM_PARTITIONS)"));
}

TEST(ServerConfig, ClusterIdIsOptionalRemembersItsOriginAndIsValidated) {
  ASSERT_OK_AND_ASSIGN(ServerConfig unset, LoadText(kCombined));
  EXPECT_EQ(unset.cluster_id, "");
  ASSERT_OK_AND_ASSIGN(ServerConfig set, LoadText(kCombined, {"cluster.id=MkU3OEVB_NTcw-NT.c"}));
  EXPECT_EQ(set.cluster_id, "MkU3OEVB_NTcw-NT.c");
  EXPECT_EQ(set.cluster_id_origin, "flag --override cluster.id=MkU3OEVB_NTcw-NT.c");
  EXPECT_EQ(set.node_id_origin, "server.properties:1");
  EXPECT_THAT(LoadText(kCombined, {"cluster.id=a b"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cluster.id (flag --override cluster.id=a b): 'a b' is not a "
                                 "cluster id")));
  EXPECT_THAT(LoadText(kCombined, {absl::StrCat("cluster.id=", std::string(65, 'x'))}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not a cluster id")));
}

}  // namespace
}  // namespace karst::config

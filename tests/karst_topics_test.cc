// `karst topics` as a user meets it, against a real 3-node karstd cluster (every node broker and
// controller): create, a duplicate, list, describe, alter partitions up and down, delete, an
// impossible replication factor, topic configs, --command-config and bad input; and
// `karst configs` on topic and cluster-default broker configs. Runs the real
// karst binary; waits on conditions with deadlines, never fixed sleeps.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/harness/cluster.h"
#include "tests/harness/karst_cli_test.h"
#include "tests/harness/subprocess.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kPropagation = absl::Seconds(20);

class KarstTopics : public KarstCliTest {
 protected:
  static void SetUpTestSuite() { StartCluster(); }

  // Runs `karst topics --bootstrap-server <cluster> <args>`.
  static CommandResult Topics(const std::vector<std::string>& args, bool bootstrap = true,
                              const std::string& command = "topics") {
    std::vector<std::string> argv = {fs::absolute(std::getenv("KARST")).string(), command};
    if (bootstrap) {
      argv.push_back("--bootstrap-server");
      argv.push_back(cluster_->BootstrapServers());
    }
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<CommandResult> result = RunCommand(argv);
    EXPECT_OK(result.status());
    return result.ok() ? *result : CommandResult{};
  }

  // Waits until `karst topics <args>` succeeds with output satisfying `accept`; returns it.
  static std::string WaitForOutput(const std::vector<std::string>& args,
                                   const std::function<bool(const std::string&)>& accept,
                                   absl::string_view what) {
    std::string last;
    EXPECT_OK(WaitFor(
        [&] {
          CommandResult r = Topics(args);
          last = r.output;
          return r.exit_status.Success() && accept(r.output);
        },
        kPropagation, what))
        << "last output:\n"
        << last;
    return last;
  }

  // Runs `karst configs --bootstrap-server <cluster> <args>`.
  static CommandResult Configs(const std::vector<std::string>& args) {
    return Topics(args, /*bootstrap=*/true, "configs");
  }

  // Waits until `karst configs <describe_args>` succeeds with output satisfying `accept`.
  static std::string WaitForConfigs(const std::vector<std::string>& describe_args,
                                    const std::function<bool(const std::string&)>& accept,
                                    absl::string_view what) {
    std::string last;
    EXPECT_OK(WaitFor(
        [&] {
          CommandResult r = Configs(describe_args);
          last = r.output;
          return r.exit_status.Success() && accept(r.output);
        },
        kPropagation, what))
        << "last output:\n"
        << last;
    return last;
  }

  static bool Listed(const std::string& list_output, const std::string& topic) {
    for (absl::string_view line : absl::StrSplit(list_output, '\n')) {
      if (line == topic) return true;
    }
    return false;
  }

  // Describe output with `partitions` partitions that all have a leader.
  static std::string WaitForLeaders(const std::string& topic, int partitions) {
    return WaitForOutput(
        {"--describe", "--topic", topic},
        [&](const std::string& out) {
          return absl::StrContains(out, absl::StrCat("PartitionCount: ", partitions, "\t")) &&
                 !absl::StrContains(out, "Leader: none") && !absl::StrContains(out, "Leader: -1");
        },
        absl::StrCat(topic, " with ", partitions, " led partitions"));
  }
};

TEST_F(KarstTopics, CreateListDescribeAlterDelete) {
  CommandResult created =
      Topics({"--create", "--topic", "orders", "--partitions", "3", "--replication-factor", "3"});
  ASSERT_EQ(created.exit_status.exit_code, 0) << created.output;
  EXPECT_EQ(created.output, "Created topic orders.\n");

  CommandResult again =
      Topics({"--create", "--topic", "orders", "--partitions", "3", "--replication-factor", "3"});
  EXPECT_EQ(again.exit_status.exit_code, 1) << again.output;
  EXPECT_THAT(again.output, HasSubstr("TOPIC_ALREADY_EXISTS: Topic 'orders' already exists."));
  CommandResult quiet = Topics({"--create", "--topic", "orders", "--if-not-exists"});
  EXPECT_EQ(quiet.exit_status.exit_code, 0) << quiet.output;
  EXPECT_EQ(quiet.output, "");

  WaitForOutput(
      {"--list"}, [](const std::string& out) { return Listed(out, "orders"); }, "orders listed");

  const std::string described = WaitForLeaders("orders", 3);
  const std::vector<std::string> lines = absl::StrSplit(described, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << described;
  EXPECT_TRUE(absl::StartsWith(lines[0], "Topic: orders\tTopicId: ")) << lines[0];
  EXPECT_THAT(lines[0], HasSubstr("\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: "));
  for (int p = 0; p < 3; ++p) {
    const std::string& line = lines[static_cast<size_t>(p) + 1];
    EXPECT_TRUE(
        absl::StartsWith(line, absl::StrCat("\tTopic: orders\tPartition: ", p, "\tLeader: ")))
        << line;
    // Three distinct replicas, nodes 1..3 in some order.
    const size_t from = line.find("Replicas: ") + std::strlen("Replicas: ");
    std::vector<std::string> replicas =
        absl::StrSplit(line.substr(from, line.find("\tIsr: ") - from), ',');
    std::sort(replicas.begin(), replicas.end());
    EXPECT_EQ(replicas, (std::vector<std::string>{"1", "2", "3"})) << line;
    EXPECT_THAT(line, HasSubstr("\tIsr: ")) << line;
  }

  CommandResult grown = Topics({"--alter", "--topic", "orders", "--partitions", "5"});
  EXPECT_EQ(grown.exit_status.exit_code, 0) << grown.output;
  WaitForLeaders("orders", 5);

  CommandResult shrunk = Topics({"--alter", "--topic", "orders", "--partitions", "2"});
  EXPECT_EQ(shrunk.exit_status.exit_code, 1) << shrunk.output;
  EXPECT_THAT(shrunk.output, HasSubstr("INVALID_PARTITIONS: Topic currently has 5 partitions, "
                                       "which is higher than the requested 2."));

  CommandResult deleted = Topics({"--delete", "--topic", "orders"});
  EXPECT_EQ(deleted.exit_status.exit_code, 0) << deleted.output;
  WaitForOutput(
      {"--list"}, [](const std::string& out) { return !Listed(out, "orders"); },
      "orders no longer listed");
  CommandResult gone = Topics({"--describe", "--topic", "orders"});
  EXPECT_EQ(gone.exit_status.exit_code, 1) << gone.output;
  EXPECT_THAT(gone.output, HasSubstr("UNKNOWN_TOPIC_OR_PARTITION"));
  CommandResult delete_again = Topics({"--delete", "--topic", "orders"});
  EXPECT_EQ(delete_again.exit_status.exit_code, 1) << delete_again.output;
  EXPECT_THAT(delete_again.output, HasSubstr("UNKNOWN_TOPIC_OR_PARTITION"));
  EXPECT_EQ(Topics({"--delete", "--topic", "orders", "--if-exists"}).exit_status.exit_code, 0);
}

TEST_F(KarstTopics, ReplicationFactorAboveBrokerCountIsInvalid) {
  CommandResult r = Topics({"--create", "--topic", "wide", "--replication-factor", "4"});
  EXPECT_EQ(r.exit_status.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("INVALID_REPLICATION_FACTOR: "));
  EXPECT_THAT(Topics({"--list"}).output, Not(HasSubstr("wide")));
}

TEST_F(KarstTopics, CreateWithConfigShowsItInDescribe) {
  CommandResult r = Topics({"--create", "--topic", "configured", "--partitions", "1",
                            "--replication-factor", "1", "--config", "retention.ms=3600000"});
  ASSERT_EQ(r.exit_status.exit_code, 0) << r.output;
  WaitForOutput(
      {"--describe", "--topic", "configured"},
      [](const std::string& out) {
        return absl::StrContains(out, "ReplicationFactor: 1\tConfigs: retention.ms=3600000\n");
      },
      "configured's retention.ms override");
}

TEST_F(KarstTopics, ConfigsAltersAndDescribesTopicConfigs) {
  CommandResult created = Topics({"--create", "--topic", "tuned", "--partitions", "1"});
  ASSERT_EQ(created.exit_status.exit_code, 0) << created.output;
  const std::vector<std::string> topic = {"--entity-type", "topics", "--entity-name", "tuned"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), topic.begin(), topic.end());
    return args;
  };

  CommandResult added =
      Configs(with({"--alter", "--add-config", "retention.ms=1000,cleanup.policy=compact"}));
  ASSERT_EQ(added.exit_status.exit_code, 0) << added.output;
  EXPECT_EQ(added.output, "Completed updating config for topic tuned.\n");
  WaitForConfigs(
      with({"--describe"}),
      [](const std::string& out) {
        return out ==
                   "Dynamic configs for topic tuned are:\n  cleanup.policy=compact\n"
                   "  retention.ms=1000\n" ||
               out ==
                   "Dynamic configs for topic tuned are:\n  retention.ms=1000\n"
                   "  cleanup.policy=compact\n";
      },
      "tuned's two overrides");
  CommandResult all = Configs(with({"--describe", "--all"}));
  EXPECT_EQ(all.exit_status.exit_code, 0) << all.output;
  EXPECT_THAT(all.output, HasSubstr("All configs for topic tuned are:\n"));
  EXPECT_THAT(all.output,
              HasSubstr("  retention.ms=1000 sensitive=false source=DYNAMIC_TOPIC_CONFIG\n"));
  EXPECT_THAT(all.output, HasSubstr(" source=DEFAULT_CONFIG\n"));

  CommandResult deleted = Configs(with({"--alter", "--delete-config", "retention.ms"}));
  ASSERT_EQ(deleted.exit_status.exit_code, 0) << deleted.output;
  WaitForConfigs(
      with({"--describe"}),
      [](const std::string& out) {
        return out == "Dynamic configs for topic tuned are:\n  cleanup.policy=compact\n";
      },
      "retention.ms override removed");

  CommandResult invalid = Configs(with({"--alter", "--add-config", "retention.ms=abc"}));
  EXPECT_EQ(invalid.exit_status.exit_code, 1) << invalid.output;
  EXPECT_THAT(invalid.output, HasSubstr("INVALID_CONFIG: "));
  CommandResult missing =
      Configs({"--describe", "--entity-type", "topics", "--entity-name", "no-such-topic"});
  EXPECT_EQ(missing.exit_status.exit_code, 1) << missing.output;
  EXPECT_THAT(missing.output, HasSubstr("UNKNOWN_TOPIC_OR_PARTITION"));
  CommandResult usage = Configs({"--alter", "--entity-type", "topics"});
  EXPECT_EQ(usage.exit_status.exit_code, 2) << usage.output;
  EXPECT_THAT(usage.output, HasSubstr("usage: karst configs"));

  // --output json, for one topic and (without --entity-name) for every topic and broker.
  CommandResult json = Configs(with({"--describe", "--output", "json"}));
  EXPECT_EQ(json.exit_status.exit_code, 0) << json.output;
  EXPECT_EQ(json.output,
            "{\"entity_type\":\"topics\",\"entity_name\":\"tuned\",\"configs\":[{\"name\":"
            "\"cleanup.policy\",\"value\":\"compact\",\"source\":\"DYNAMIC_TOPIC_CONFIG\","
            "\"read_only\":false,\"sensitive\":false}]}\n");
  CommandResult every_topic = Configs({"--describe", "--entity-type", "topics"});
  EXPECT_EQ(every_topic.exit_status.exit_code, 0) << every_topic.output;
  EXPECT_THAT(every_topic.output, HasSubstr("Dynamic configs for topic tuned are:\n"
                                            "  cleanup.policy=compact\n"));
  CommandResult every_broker =
      Configs({"--describe", "--entity-type", "brokers", "--output", "json"});
  EXPECT_EQ(every_broker.exit_status.exit_code, 0) << every_broker.output;
  for (int id = 1; id <= 3; ++id) {
    EXPECT_THAT(
        every_broker.output,
        HasSubstr(absl::StrCat("{\"entity_type\":\"brokers\",\"entity_name\":\"", id, "\"")));
  }
  EXPECT_EQ(every_broker.output.front(), '[');
  CommandResult list_json = Topics({"--list", "--output", "json"});
  EXPECT_EQ(list_json.exit_status.exit_code, 0) << list_json.output;
  EXPECT_THAT(list_json.output, HasSubstr("\"tuned\""));
  CommandResult describe_json = Topics({"--describe", "--topic", "tuned", "--output", "json"});
  EXPECT_EQ(describe_json.exit_status.exit_code, 0) << describe_json.output;
  EXPECT_THAT(describe_json.output, HasSubstr("\"name\":\"tuned\""));
  EXPECT_THAT(describe_json.output, HasSubstr("\"partition_count\":1,\"replication_factor\":"));
  EXPECT_THAT(describe_json.output, HasSubstr("\"configs\":{\"cleanup.policy\":\"compact\"}"));
}

TEST_F(KarstTopics, ConfigsAltersTheClusterDefaultBrokerConfig) {
  const std::vector<std::string> defaults = {"--entity-type", "brokers", "--entity-default"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), defaults.begin(), defaults.end());
    return args;
  };
  CommandResult added = Configs(with({"--alter", "--add-config", "min.insync.replicas=2"}));
  ASSERT_EQ(added.exit_status.exit_code, 0) << added.output;
  EXPECT_EQ(added.output, "Completed updating default config for brokers in the cluster.\n");
  WaitForConfigs(
      with({"--describe"}),
      [](const std::string& out) {
        return out == "Default configs for brokers in the cluster are:\n  min.insync.replicas=2\n";
      },
      "the cluster-wide min.insync.replicas");
  // Every broker sees the default as its effective value.
  WaitForConfigs(
      {"--describe", "--all", "--entity-type", "brokers", "--entity-name", "2"},
      [](const std::string& out) {
        return absl::StrContains(out, "All configs for broker 2 are:\n") &&
               absl::StrContains(out,
                                 "  min.insync.replicas=2 sensitive=false "
                                 "source=DYNAMIC_DEFAULT_BROKER_CONFIG\n");
      },
      "broker 2's min.insync.replicas from the cluster default");

  CommandResult deleted = Configs(with({"--alter", "--delete-config", "min.insync.replicas"}));
  ASSERT_EQ(deleted.exit_status.exit_code, 0) << deleted.output;
  WaitForConfigs(
      with({"--describe"}),
      [](const std::string& out) {
        return out == "Default configs for brokers in the cluster are:\n";
      },
      "the cluster-wide min.insync.replicas removed");

  // A per-broker value is that broker's own dynamic config (DYNAMIC_BROKER_CONFIG).
  const std::vector<std::string> broker2 = {"--entity-type", "brokers", "--entity-name", "2"};
  auto on2 = [&](std::vector<std::string> args) {
    args.insert(args.end(), broker2.begin(), broker2.end());
    return args;
  };
  CommandResult set = Configs(on2({"--alter", "--add-config", "message.max.bytes=2000000"}));
  ASSERT_EQ(set.exit_status.exit_code, 0) << set.output;
  WaitForConfigs(
      on2({"--describe"}),
      [](const std::string& out) {
        return out == "Dynamic configs for broker 2 are:\n  message.max.bytes=2000000\n";
      },
      "broker 2's own message.max.bytes");
  CommandResult unset = Configs(on2({"--alter", "--delete-config", "message.max.bytes"}));
  ASSERT_EQ(unset.exit_status.exit_code, 0) << unset.output;
  WaitForConfigs(
      on2({"--describe"}),
      [](const std::string& out) { return out == "Dynamic configs for broker 2 are:\n"; },
      "broker 2's message.max.bytes removed");
}

TEST_F(KarstTopics, CommandConfigSuppliesClientProperties) {
  const fs::path good = fs::path(std::getenv("TEST_TMPDIR")) / "good.properties";
  std::ofstream(good) << "# admin client\nbootstrap.servers=" << cluster_->BootstrapServers()
                      << "\nclient.id=topics-test\nrequest.timeout.ms=10000\n";
  CommandResult listed = Topics({"--command-config", good.string(), "--list"}, false);
  EXPECT_EQ(listed.exit_status.exit_code, 0) << listed.output;

  const fs::path bad = fs::path(std::getenv("TEST_TMPDIR")) / "bad.properties";
  std::ofstream(bad) << "bootstrap.servers=" << cluster_->BootstrapServers() << "\nlinger.mss=5\n";
  CommandResult refused = Topics({"--command-config", bad.string(), "--list"}, false);
  EXPECT_EQ(refused.exit_status.exit_code, 2) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("unknown admin client property: linger.mss"));
}

TEST_F(KarstTopics, BadFlagsAndUnreachableClusters) {
  CommandResult bad_flag = Topics({"--list", "--zookeeper", "z:2181"});
  EXPECT_EQ(bad_flag.exit_status.exit_code, 2) << bad_flag.output;
  EXPECT_THAT(bad_flag.output, HasSubstr("unknown flag --zookeeper"));
  EXPECT_THAT(bad_flag.output, HasSubstr("usage: karst topics"));
  CommandResult no_bootstrap = Topics({"--list"}, false);
  EXPECT_EQ(no_bootstrap.exit_status.exit_code, 2) << no_bootstrap.output;
  EXPECT_THAT(no_bootstrap.output, HasSubstr("--bootstrap-server is required"));

  // Port 1 on the first node's address: nothing listens there, so the connect is refused.
  const std::string address = cluster_->node(0).address();
  CommandResult unreachable =
      Topics({"--bootstrap-server", absl::StrCat(address, ":1"), "--list"}, false);
  EXPECT_EQ(unreachable.exit_status.exit_code, 1) << unreachable.output;
  EXPECT_THAT(unreachable.output, HasSubstr(absl::StrCat(address, ":1")));
}

}  // namespace
}  // namespace karst::testing

// The partition tools as a user meets them, against a real 3-node karstd cluster (every node
// broker and controller, auto.leader.rebalance.enable=false so leaders stay where the test
// puts them): `karst offsets` and `karst delete-records` after producing with kcat,
// `karst reassign` generate/execute/verify (data follows the replicas) and cancel (a move that
// cannot finish because its new replica is stopped), `karst leader-election` after a
// reassignment left a non-preferred leader, and bad input (unknown topic, bad flags,
// malformed files, an unreachable cluster). Runs the real karst binary; waits on conditions
// with deadlines, never fixed sleeps.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
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

constexpr absl::Duration kPropagation = absl::Seconds(30);

// One partition's line of `karst topics --describe`.
struct PartitionLine {
  int leader = -1;
  std::string replicas;  // "1,2,3"
  std::string isr;
};

class KarstAdminTools : public KarstCliTest {
 protected:
  static void SetUpTestSuite() { StartCluster({{"auto.leader.rebalance.enable", "false"}}); }

  static std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = absl::StrCat(::testing::TempDir(), "/", name);
    std::ofstream(path) << text;
    return path;
  }

  // Each partition of `topic` as `karst topics --describe` shows it.
  static std::map<int, PartitionLine> Describe(const std::string& topic) {
    std::map<int, PartitionLine> out;
    CommandResult r = Run("topics", {"--describe", "--topic", topic});
    if (!r.exit_status.Success()) return out;
    for (absl::string_view line : absl::StrSplit(r.output, '\n', absl::SkipEmpty())) {
      if (!absl::StartsWith(line, "\t")) continue;
      int partition = -1;
      PartitionLine p;
      for (absl::string_view field : absl::StrSplit(line, '\t', absl::SkipEmpty())) {
        std::vector<std::string> kv = absl::StrSplit(field, absl::MaxSplits(": ", 1));
        if (kv.size() != 2) continue;
        if (kv[0] == "Partition") (void)absl::SimpleAtoi(kv[1], &partition);
        if (kv[0] == "Leader" && !absl::SimpleAtoi(kv[1], &p.leader)) p.leader = -1;
        if (kv[0] == "Replicas") p.replicas = kv[1];
        if (kv[0] == "Isr") p.isr = kv[1];
      }
      out[partition] = p;
    }
    return out;
  }

  // Waits until `check` accepts the description of `topic`; returns it.
  static std::map<int, PartitionLine> WaitForTopic(
      const std::string& topic,
      const std::function<bool(const std::map<int, PartitionLine>&)>& check,
      absl::string_view what) {
    std::map<int, PartitionLine> last;
    EXPECT_OK(WaitFor(
        [&] {
          last = Describe(topic);
          return check(last);
        },
        kPropagation, what));
    return last;
  }

  // Creates `topic` and waits until each partition has a leader and a full ISR.
  static std::map<int, PartitionLine> CreateTopic(const std::string& topic, int partitions,
                                                  int replication_factor) {
    CommandResult r =
        Run("topics", {"--create", "--topic", topic, "--partitions", absl::StrCat(partitions),
                       "--replication-factor", absl::StrCat(replication_factor)});
    EXPECT_TRUE(r.exit_status.Success()) << r.output;
    return WaitForTopic(
        topic,
        [&](const auto& d) {
          if (static_cast<int>(d.size()) != partitions) return false;
          for (const auto& [index, p] : d) {
            if (p.leader < 0 || p.isr.size() != p.replicas.size()) return false;
          }
          return true;
        },
        absl::StrCat(topic, " led, with full ISRs"));
  }

  // Produces `count` records to `topic` partition `partition` with kcat (acks=all).
  static void Produce(const std::string& topic, int partition, int count) {
    std::string lines;
    for (int i = 0; i < count; ++i) absl::StrAppend(&lines, "record-", i, "\\n");
    const std::string command =
        absl::StrCat("printf '", lines, "' | /usr/bin/kcat -P -b ", cluster_->BootstrapServers(),
                     " -t ", topic, " -p ", partition, " -X request.required.acks=-1 2>&1");
    absl::StatusOr<CommandResult> r = RunCommand({"/bin/sh", "-c", command});
    ASSERT_OK(r.status());
    ASSERT_TRUE(r->exit_status.Success()) << r->output;
  }

  static std::string Reassignment(const std::string& topic,
                                  const std::vector<std::pair<int, std::string>>& replicas) {
    std::string partitions;
    for (const auto& [partition, ids] : replicas) {
      if (!partitions.empty()) partitions += ",";
      absl::StrAppend(&partitions, R"({"topic":")", topic, R"(","partition":)", partition,
                      R"(,"replicas":[)", ids, "]}");
    }
    return absl::StrCat(R"({"version":1,"partitions":[)", partitions, "]}");
  }
};

TEST_F(KarstAdminTools, OffsetsEarliestAndLatestAfterProducing) {
  CreateTopic("offs", 2, 3);
  Produce("offs", 0, 5);
  Produce("offs", 1, 2);
  WaitForOutput(
      "offsets", {"--topic", "offs", "--time", "latest"},
      [](const std::string& out) { return out == "offs:0:5\noffs:1:2\n"; }, "latest offsets 5, 2");
  CommandResult earliest = Run("offsets", {"--topic", "offs", "--time", "earliest"});
  EXPECT_EQ(earliest.exit_status.exit_code, 0) << earliest.output;
  EXPECT_EQ(earliest.output, "offs:0:0\noffs:1:0\n");
  CommandResult one = Run("offsets", {"--topic", "offs", "--partitions", "1"});
  EXPECT_EQ(one.output, "offs:1:2\n");
  CommandResult json = Run("offsets", {"--topic", "offs", "--partitions", "0", "--output", "json"});
  EXPECT_EQ(json.exit_status.exit_code, 0) << json.output;
  EXPECT_THAT(json.output, HasSubstr(R"({"offsets":[{"topic":"offs","partition":0,"offset":5,)"));
  CommandResult missing = Run("offsets", {"--topic", "offs", "--partitions", "7"});
  EXPECT_EQ(missing.exit_status.exit_code, 1) << missing.output;
  EXPECT_THAT(missing.output, HasSubstr("offs-7: UNKNOWN_TOPIC_OR_PARTITION"));
}

TEST_F(KarstAdminTools, DeleteRecordsMovesTheEarliestOffset) {
  CreateTopic("trim", 1, 3);
  Produce("trim", 0, 6);
  WaitForOutput(
      "offsets", {"--topic", "trim"}, [](const std::string& out) { return out == "trim:0:6\n"; },
      "trim latest 6");
  const std::string file = WriteFile(
      "trim.json", R"({"partitions":[{"topic":"trim","partition":0,"offset":4}],"version":1})");
  CommandResult deleted = Run("delete-records", {"--offset-json-file", file});
  EXPECT_EQ(deleted.exit_status.exit_code, 0) << deleted.output;
  EXPECT_THAT(deleted.output, HasSubstr("partition: trim-0\tlow_watermark: 4\n"));
  CommandResult earliest = Run("offsets", {"--topic", "trim", "--time", "earliest"});
  EXPECT_EQ(earliest.output, "trim:0:4\n");

  const std::string past = WriteFile(
      "past.json", R"({"partitions":[{"topic":"trim","partition":0,"offset":100}],"version":1})");
  CommandResult refused = Run("delete-records", {"--offset-json-file", past, "--output", "json"});
  EXPECT_EQ(refused.exit_status.exit_code, 1) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr(R"("error":"OFFSET_OUT_OF_RANGE)"));
}

TEST_F(KarstAdminTools, ReassignGenerateExecuteVerifyMovesData) {
  const auto before = CreateTopic("moves", 2, 1);
  Produce("moves", 0, 3);
  Produce("moves", 1, 4);
  WaitForOutput(
      "offsets", {"--topic", "moves"},
      [](const std::string& out) { return out == "moves:0:3\nmoves:1:4\n"; }, "moves latest");

  const std::string topics =
      WriteFile("move-topics.json", R"({"topics":[{"topic":"moves"}],"version":1})");
  CommandResult generated = Run(
      "reassign", {"--generate", "--topics-to-move-json-file", topics, "--broker-list", "1,2,3"});
  EXPECT_EQ(generated.exit_status.exit_code, 0) << generated.output;
  EXPECT_THAT(generated.output,
              HasSubstr(absl::StrCat(
                  "Current partition replica assignment\n",
                  R"({"version":1,"partitions":[{"topic":"moves","partition":0,"replicas":[)",
                  before.at(0).replicas, R"(],"log_dirs":["any"]})")));
  EXPECT_THAT(
      generated.output,
      HasSubstr(
          "Proposed partition reassignment configuration\n"
          R"({"version":1,"partitions":[{"topic":"moves","partition":0,"replicas":[1],"log_dirs":["any"]},)"
          R"({"topic":"moves","partition":1,"replicas":[2],"log_dirs":["any"]}]})"));

  // Move each partition to the next broker.
  std::vector<std::pair<int, std::string>> target;
  for (const auto& [index, p] : before) {
    int replica = 0;
    ASSERT_TRUE(absl::SimpleAtoi(p.replicas, &replica)) << p.replicas;
    target.emplace_back(index, absl::StrCat(replica % 3 + 1));
  }
  const std::string plan = WriteFile("moves.json", Reassignment("moves", target));
  CommandResult executed = Run("reassign", {"--execute", "--reassignment-json-file", plan});
  EXPECT_EQ(executed.exit_status.exit_code, 0) << executed.output;
  EXPECT_THAT(executed.output, HasSubstr("Save this to use as the --reassignment-json-file"));
  EXPECT_THAT(executed.output,
              HasSubstr("Successfully started partition reassignments for moves-0,moves-1\n"));

  WaitForOutput(
      "reassign", {"--verify", "--reassignment-json-file", plan},
      [](const std::string& out) {
        return absl::StrContains(out, "Reassignment of partition moves-0 is completed.\n") &&
               absl::StrContains(out, "Reassignment of partition moves-1 is completed.\n");
      },
      "moves reassignment completed");
  const auto after = Describe("moves");
  ASSERT_EQ(after.size(), 2u);
  for (const auto& [index, ids] : target) {
    EXPECT_EQ(after.at(index).replicas, ids);
    EXPECT_EQ(after.at(index).leader, std::stoi(ids));
  }
  // The new replicas serve the records the old ones held.
  WaitForOutput(
      "offsets", {"--topic", "moves"},
      [](const std::string& out) { return out == "moves:0:3\nmoves:1:4\n"; },
      "moves latest on the new replicas");
  CommandResult consumed =
      Run("consume", {"--topic", "moves", "--partition", "1", "--from-beginning", "--max-messages",
                      "4", "--timeout-ms", "20000"});
  EXPECT_THAT(consumed.output, HasSubstr("record-0\nrecord-1\nrecord-2\nrecord-3\n"));
  CommandResult json =
      Run("reassign", {"--verify", "--reassignment-json-file", plan, "--output", "json"});
  EXPECT_THAT(json.output, HasSubstr(R"({"topic":"moves","partition":1,"status":"completed"})"));
}

TEST_F(KarstAdminTools, ReassignCancelRevertsAMoveThatCannotFinish) {
  const auto before = CreateTopic("stuck", 1, 1);
  int replica = 0;
  ASSERT_TRUE(absl::SimpleAtoi(before.at(0).replicas, &replica));
  // The new replica's broker is stopped, so the move stays in progress until cancelled.
  const int stopped = replica % 3 + 1;
  ASSERT_OK(cluster_->node(stopped - 1).Terminate().status());
  const std::string plan =
      WriteFile("stuck.json", Reassignment("stuck", {{0, absl::StrCat(replica, ",", stopped)}}));
  CommandResult executed = Run("reassign", {"--execute", "--reassignment-json-file", plan});
  EXPECT_EQ(executed.exit_status.exit_code, 0) << executed.output;
  EXPECT_THAT(executed.output,
              HasSubstr("Successfully started partition reassignment for stuck-0\n"));
  CommandResult verify = Run("reassign", {"--verify", "--reassignment-json-file", plan});
  EXPECT_THAT(verify.output, HasSubstr("Reassignment of partition stuck-0 is still in progress."));

  CommandResult cancelled = Run("reassign", {"--cancel", "--reassignment-json-file", plan});
  EXPECT_EQ(cancelled.exit_status.exit_code, 0) << cancelled.output;
  EXPECT_THAT(cancelled.output,
              HasSubstr("Successfully cancelled partition reassignments for: stuck-0\n"));
  WaitForTopic(
      "stuck",
      [&](const auto& d) { return d.size() == 1 && d.at(0).replicas == absl::StrCat(replica); },
      "stuck back on its original replica");
  CommandResult after = Run("reassign", {"--verify", "--reassignment-json-file", plan});
  EXPECT_THAT(after.output,
              HasSubstr(absl::StrCat("There is no active reassignment of partition stuck-0, but "
                                     "replica set is [",
                                     replica, "] rather than [", replica, ",", stopped, "].")));
  CommandResult again = Run("reassign", {"--cancel", "--reassignment-json-file", plan});
  EXPECT_THAT(again.output, HasSubstr("None of the specified partition reassignments are active."));

  ASSERT_OK(cluster_->node(stopped - 1).Start());
  ASSERT_OK(cluster_->node(stopped - 1).WaitReady(kPropagation));
}

TEST_F(KarstAdminTools, LeaderElectionRestoresThePreferredLeader) {
  const auto before = CreateTopic("elect", 2, 3);
  const PartitionLine p0 = before.at(0);
  // Reorder partition 0's replicas so its leader is last: it keeps leading, but is no longer
  // the preferred (first) replica.
  std::vector<std::string> others;
  for (absl::string_view id : absl::StrSplit(p0.replicas, ',')) {
    if (id != absl::StrCat(p0.leader)) others.emplace_back(id);
  }
  ASSERT_EQ(others.size(), 2u) << p0.replicas;
  const std::string reordered = absl::StrCat(others[0], ",", others[1], ",", p0.leader);
  const std::string plan = WriteFile("elect.json", Reassignment("elect", {{0, reordered}}));
  CommandResult executed = Run("reassign", {"--execute", "--reassignment-json-file", plan});
  ASSERT_EQ(executed.exit_status.exit_code, 0) << executed.output;
  WaitForTopic(
      "elect", [&](const auto& d) { return d.count(0) && d.at(0).replicas == reordered; },
      "elect-0 reordered");
  ASSERT_EQ(Describe("elect").at(0).leader, p0.leader);

  CommandResult elected = Run(
      "leader-election", {"--election-type", "PREFERRED", "--topic", "elect", "--partition", "0"});
  EXPECT_EQ(elected.exit_status.exit_code, 0) << elected.output;
  EXPECT_EQ(elected.output,
            "Successfully completed leader election (PREFERRED) for partitions elect-0\n");
  WaitForTopic(
      "elect", [&](const auto& d) { return d.count(0) && d.at(0).leader == std::stoi(others[0]); },
      "elect-0 led by its preferred replica");

  const std::string listed = WriteFile(
      "elect-partitions.json",
      R"({"partitions":[{"topic":"elect","partition":0},{"topic":"elect","partition":1}]})");
  CommandResult noop =
      Run("leader-election", {"--election-type", "preferred", "--path-to-json-file", listed});
  EXPECT_EQ(noop.exit_status.exit_code, 0) << noop.output;
  EXPECT_EQ(noop.output, "Valid replica already elected for partitions elect-0, elect-1\n");

  CommandResult all = Run("leader-election", {"--election-type", "PREFERRED",
                                              "--all-topic-partitions", "--output", "json"});
  EXPECT_THAT(all.output, HasSubstr(R"("elect-0")"));
  EXPECT_THAT(all.output, Not(HasSubstr(R"({"partition":"elect-)")));

  CommandResult unclean = Run(
      "leader-election", {"--election-type", "UNCLEAN", "--topic", "elect", "--partition", "0"});
  EXPECT_EQ(unclean.exit_status.exit_code, 1) << unclean.output;
  EXPECT_THAT(unclean.output, HasSubstr("INVALID_REQUEST"));
}

TEST_F(KarstAdminTools, UnknownTopicIsAKafkaError) {
  CommandResult offsets = Run("offsets", {"--topic", "no-such-topic"});
  EXPECT_EQ(offsets.exit_status.exit_code, 1) << offsets.output;
  EXPECT_THAT(offsets.output, HasSubstr("UNKNOWN_TOPIC_OR_PARTITION"));
  const std::string plan = WriteFile("nope.json", Reassignment("no-such-topic", {{0, "1"}}));
  CommandResult reassign = Run("reassign", {"--execute", "--reassignment-json-file", plan});
  EXPECT_EQ(reassign.exit_status.exit_code, 1) << reassign.output;
  EXPECT_THAT(reassign.output, HasSubstr("UNKNOWN_TOPIC_OR_PARTITION"));
  const std::string offsets_file = WriteFile(
      "nope-offsets.json",
      R"({"partitions":[{"topic":"no-such-topic","partition":0,"offset":1}],"version":1})");
  CommandResult deleted = Run("delete-records", {"--offset-json-file", offsets_file});
  EXPECT_EQ(deleted.exit_status.exit_code, 1) << deleted.output;
  EXPECT_THAT(deleted.output, HasSubstr("no-such-topic-0\terror: UNKNOWN_TOPIC_OR_PARTITION"));
}

TEST_F(KarstAdminTools, BadFlagsAreUsageErrors) {
  for (const std::string command : {"offsets", "delete-records", "leader-election", "reassign"}) {
    CommandResult r = Run(command, {"--no-such-flag"});
    EXPECT_EQ(r.exit_status.exit_code, 2) << command << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("unknown flag --no-such-flag")) << command;
    EXPECT_THAT(r.output, HasSubstr("usage: karst " + command)) << command;
  }
  CommandResult time = Run("offsets", {"--topic", "t", "--time", "yesterday"});
  EXPECT_EQ(time.exit_status.exit_code, 2) << time.output;
}

TEST_F(KarstAdminTools, MalformedJsonFilesNameTheFileAndPosition) {
  const std::string bad =
      WriteFile("bad.json", "{\"version\":1,\n\"partitions\":[{\"topic\" \"t\"}]}");
  for (const auto& [command, flag] : std::vector<std::pair<std::string, std::string>>{
           {"reassign", "--reassignment-json-file"},
           {"delete-records", "--offset-json-file"},
           {"leader-election", "--path-to-json-file"}}) {
    std::vector<std::string> args = {flag, bad};
    if (command == "reassign") args.push_back("--verify");
    if (command == "leader-election") {
      args.insert(args.end(), {"--election-type", "PREFERRED"});
    }
    CommandResult r = Run(command, args);
    EXPECT_EQ(r.exit_status.exit_code, 2) << command << ": " << r.output;
    EXPECT_THAT(r.output,
                HasSubstr(absl::StrCat(flag, " ", bad, ": line 2, column 24: expected ':'")))
        << command;
  }
  const std::string shape =
      WriteFile("shape.json", R"({"version":1,"partitions":[{"topic":"t"}]})");
  CommandResult r = Run("reassign", {"--execute", "--reassignment-json-file", shape});
  EXPECT_EQ(r.exit_status.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr(absl::StrCat(shape, ": partitions[0]: missing \"partition\"")));
}

TEST_F(KarstAdminTools, UnreachableClusterFailsNamingTheAddress) {
  // Port 1 on loopback: nothing listens, so the connect is refused at once.
  absl::StatusOr<CommandResult> r =
      RunCommand({Karst(), "offsets", "--bootstrap-server", "127.0.0.1:1", "--topic", "t"});
  ASSERT_OK(r.status());
  EXPECT_EQ(r->exit_status.exit_code, 1) << r->output;
  EXPECT_THAT(r->output, HasSubstr("127.0.0.1:1"));
}

}  // namespace
}  // namespace karst::testing

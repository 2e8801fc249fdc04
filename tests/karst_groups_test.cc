// `karst groups` (kafka-consumer-groups) as a user meets it, against a real 3-node karstd
// cluster: offsets committed with `--reset-offsets --execute` (the AdminClient's
// AlterConsumerGroupOffsets) and by a confluent-kafka consumer (librdkafka's group protocol)
// show as CURRENT-OFFSET with LAG = produced - committed per partition; `--list` and
// `--list --state` show the groups; an active member shows in --members and blocks a reset;
// `--delete` removes a group; and the error cases (unknown group, bad flags, an unreachable
// cluster). Runs the real karst binary; waits on conditions with deadlines, never fixed sleeps.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
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

constexpr absl::Duration kPropagation = absl::Seconds(60);

// One data row of `karst groups --describe`'s offsets view.
struct OffsetLine {
  std::string current;  // "-" when none committed.
  std::string log_end;
  std::string lag;
  std::string consumer_id;
  std::string client_id;
};

class KarstGroups : public KarstCliTest {
 protected:
  static void SetUpTestSuite() { StartCluster(); }

  // Creates `topic` and waits until every partition has a leader.
  static void CreateTopic(const std::string& topic, int partitions) {
    CommandResult r = Run("topics", {"--create", "--topic", topic, "--partitions",
                                     absl::StrCat(partitions), "--replication-factor", "3"});
    ASSERT_TRUE(r.exit_status.Success()) << r.output;
    WaitForOutput(
        "offsets", {"--topic", topic},
        [&](const std::string& out) {
          const std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
          return static_cast<int>(lines.size()) == partitions;
        },
        absl::StrCat(topic, " has ", partitions, " partitions with leaders"));
  }

  // Produces `count` keyed records ("k<i>\tv<i>") with `karst produce`, so that the keys spread
  // them over the partitions; returns each partition's log end offset once they sum to `count`.
  static std::map<int, int64_t> Produce(const std::string& topic, int count) {
    std::string lines;
    for (int i = 0; i < count; ++i) absl::StrAppend(&lines, "k", i, "\\tv", i, "\\n");
    const std::string command = absl::StrCat(
        "printf '", lines, "' | ", Karst(), " produce --bootstrap-server ",
        cluster_->BootstrapServers(), " --topic ", topic, " --property parse.key=true 2>&1");
    absl::StatusOr<CommandResult> r = RunCommand({"/bin/sh", "-c", command});
    EXPECT_OK(r.status());
    if (r.ok()) {
      EXPECT_TRUE(r->exit_status.Success()) << r->output;
    }
    std::map<int, int64_t> ends;
    WaitForOutput(
        "offsets", {"--topic", topic},
        [&](const std::string& out) {
          ends.clear();
          int64_t sum = 0;
          for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
            std::vector<std::string> f = absl::StrSplit(line, ':');
            int partition = 0;
            int64_t offset = 0;
            if (f.size() != 3 || !absl::SimpleAtoi(f[1], &partition) ||
                !absl::SimpleAtoi(f[2], &offset)) {
              return false;
            }
            ends[partition] = offset;
            sum += offset;
          }
          return sum == count;
        },
        absl::StrCat(count, " records in ", topic));
    return ends;
  }

  // The rows of `karst groups --describe --group <group>` for `topic`, by partition.
  static std::map<int, OffsetLine> DescribeOffsets(const std::string& group,
                                                   const std::string& topic,
                                                   std::string* output = nullptr) {
    CommandResult r = Run("groups", {"--describe", "--group", group});
    if (output != nullptr) *output = r.output;
    std::map<int, OffsetLine> out;
    if (!r.exit_status.Success()) return out;
    for (absl::string_view line : absl::StrSplit(r.output, '\n', absl::SkipEmpty())) {
      std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      int partition = -1;
      if (f.size() != 9 || f[0] != group || f[1] != topic || !absl::SimpleAtoi(f[2], &partition)) {
        continue;
      }
      out[partition] = {f[3], f[4], f[5], f[6], f[8]};
    }
    return out;
  }
};

TEST_F(KarstGroups, ResetDescribeListAndDeleteAGroupWithoutMembers) {
  CreateTopic("lag", 2);
  const std::map<int, int64_t> ends = Produce("lag", 20);
  ASSERT_EQ(ends.size(), 2u);

  // No such group yet: Kafka's message, exit 1. (The first group call creates
  // __consumer_offsets; until its partitions have leaders the coordinator is not available.)
  CommandResult unknown;
  EXPECT_OK(WaitFor(
      [&] {
        unknown = Run("groups", {"--describe", "--group", "g1"});
        return absl::StrContains(unknown.output, "Consumer group 'g1' does not exist.");
      },
      kPropagation, "the offsets topic is ready"))
      << unknown.output;
  EXPECT_EQ(unknown.exit_status.exit_code, 1) << unknown.output;

  // Commit offset 3 of each partition (the AdminClient's OffsetCommit, generation -1).
  CommandResult reset = Run("groups", {"--reset-offsets", "--group", "g1", "--topic", "lag",
                                       "--to-offset", "3", "--execute"});
  ASSERT_EQ(reset.exit_status.exit_code, 0) << reset.output;
  EXPECT_THAT(reset.output, HasSubstr("NEW-OFFSET"));
  std::string text;
  std::map<int, OffsetLine> rows = DescribeOffsets("g1", "lag", &text);
  ASSERT_EQ(rows.size(), 2u) << text;
  EXPECT_THAT(text, HasSubstr("Consumer group 'g1' has no active members."));
  for (const auto& [partition, end] : ends) {
    const int64_t committed = std::min<int64_t>(3, end);
    EXPECT_EQ(rows[partition].current, absl::StrCat(committed)) << text;
    EXPECT_EQ(rows[partition].log_end, absl::StrCat(end)) << text;
    EXPECT_EQ(rows[partition].lag, absl::StrCat(end - committed)) << text;
    EXPECT_EQ(rows[partition].consumer_id, "-") << text;
  }

  CommandResult list = Run("groups", {"--list"});
  EXPECT_EQ(list.exit_status.exit_code, 0) << list.output;
  EXPECT_THAT(list.output, HasSubstr("g1\n"));
  CommandResult states = Run("groups", {"--list", "--state"});
  EXPECT_THAT(states.output, HasSubstr("GROUP           STATE\n"));
  EXPECT_THAT(states.output, HasSubstr(absl::StrCat("g1", std::string(14, ' '), "Empty\n")));
  CommandResult stable = Run("groups", {"--list", "--state", "Stable"});
  EXPECT_THAT(stable.output, Not(HasSubstr("g1")));

  // A dry run changes nothing; --execute moves every partition back to 0.
  CommandResult dry = Run("groups", {"--reset-offsets", "--group", "g1", "--all-topics",
                                     "--to-earliest", "--output", "json"});
  EXPECT_EQ(dry.exit_status.exit_code, 0) << dry.output;
  EXPECT_THAT(dry.output, HasSubstr(R"("new_offset":0)"));
  EXPECT_THAT(dry.output, HasSubstr(R"("executed":false)"));
  EXPECT_EQ(DescribeOffsets("g1", "lag")[0].current,
            absl::StrCat(std::min<int64_t>(3, ends.at(0))));
  CommandResult earliest = Run(
      "groups", {"--reset-offsets", "--group", "g1", "--all-topics", "--to-earliest", "--execute"});
  EXPECT_EQ(earliest.exit_status.exit_code, 0) << earliest.output;
  rows = DescribeOffsets("g1", "lag", &text);
  for (const auto& [partition, end] : ends) {
    EXPECT_EQ(rows[partition].current, "0") << text;
    EXPECT_EQ(rows[partition].lag, absl::StrCat(end)) << text;
  }

  CommandResult json = Run("groups", {"--describe", "--group", "g1", "--output", "json"});
  EXPECT_EQ(json.exit_status.exit_code, 0) << json.output;
  EXPECT_THAT(json.output, HasSubstr(R"({"groups":[{"group":"g1","state":"Empty")"));

  // OffsetDelete: partition 0 loses its committed offset, so only partition 1 is listed.
  CommandResult dropped = Run("groups", {"--delete-offsets", "--group", "g1", "--topic", "lag:0"});
  EXPECT_EQ(dropped.exit_status.exit_code, 0) << dropped.output;
  EXPECT_THAT(dropped.output,
              HasSubstr("Request succeed for deleting offsets with topic lag group g1"));
  rows = DescribeOffsets("g1", "lag", &text);
  EXPECT_EQ(rows.count(0), 0u) << text;
  EXPECT_EQ(rows.count(1), 1u) << text;

  CommandResult deleted = Run("groups", {"--delete", "--group", "g1"});
  EXPECT_EQ(deleted.exit_status.exit_code, 0) << deleted.output;
  EXPECT_THAT(deleted.output,
              HasSubstr("Deletion of requested consumer groups ('g1') was successful."));
  CommandResult gone = Run("groups", {"--describe", "--group", "g1"});
  EXPECT_EQ(gone.exit_status.exit_code, 1) << gone.output;
  EXPECT_THAT(gone.output, HasSubstr("Consumer group 'g1' does not exist."));
  CommandResult again = Run("groups", {"--delete", "--group", "g1"});
  EXPECT_EQ(again.exit_status.exit_code, 1) << again.output;
  EXPECT_THAT(again.output, HasSubstr("* Group 'g1' could not be deleted due to: "
                                      "GROUP_ID_NOT_FOUND"));
}

// A confluent-kafka consumer in group `group` that reads `count` records of `topic` from the
// start, commits them, writes "committed" to `ready_file`, and keeps polling (a live member)
// until SIGTERM, when it leaves the group.
constexpr char kConsumerScript[] = R"(
import signal, sys
from confluent_kafka import Consumer
bootstrap, topic, group, count, ready = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'client.id': 'py-consumer',
              'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.subscribe([topic])
got = 0
while got < count and not stop:
    m = c.poll(0.5)
    if m is not None and m.error() is None:
        got += 1
c.commit(asynchronous=False)
open(ready, 'w').write('committed')
while not stop:
    c.poll(0.2)
c.close()
)";

TEST_F(KarstGroups, AConsumersCommitsShowAsLagAndItsMembershipBlocksAReset) {
  CreateTopic("live", 2);
  const std::map<int, int64_t> ends = Produce("live", 30);
  const std::string script = absl::StrCat(::testing::TempDir(), "/consumer.py");
  std::ofstream(script) << kConsumerScript;
  const std::string ready = absl::StrCat(::testing::TempDir(), "/consumer.ready");
  const std::string log = absl::StrCat(::testing::TempDir(), "/consumer.log");
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(log_fd, 0);
  absl::StatusOr<pid_t> consumer = SpawnProcess(
      {"/usr/bin/python3", script, cluster_->BootstrapServers(), "live", "g2", "12", ready},
      CurrentEnvironment(), log_fd);
  ::close(log_fd);
  ASSERT_OK(consumer.status());
  auto consumer_log = [&] {
    std::stringstream s;
    s << std::ifstream(log).rdbuf();
    return s.str();
  };
  EXPECT_OK(WaitFor([&] { return fs::exists(ready); }, kPropagation, "the consumer committed"))
      << consumer_log();

  // Its member holds both partitions; the committed offsets sum to 12 (a partition it has not
  // read from yet shows '-' and no lag).
  std::string text;
  std::map<int, OffsetLine> rows;
  EXPECT_OK(WaitFor(
      [&] {
        rows = DescribeOffsets("g2", "live", &text);
        return rows.size() == 2;
      },
      kPropagation, "g2 shows both partitions"))
      << text;
  int64_t committed_sum = 0;
  for (const auto& [partition, end] : ends) {
    EXPECT_EQ(rows[partition].client_id, "py-consumer") << text;
    EXPECT_NE(rows[partition].consumer_id, "-") << text;
    EXPECT_EQ(rows[partition].log_end, absl::StrCat(end)) << text;
    if (rows[partition].current == "-") {
      EXPECT_EQ(rows[partition].lag, "-") << text;
      continue;
    }
    int64_t current = -1;
    ASSERT_TRUE(absl::SimpleAtoi(rows[partition].current, &current)) << text;
    committed_sum += current;
    EXPECT_EQ(rows[partition].lag, absl::StrCat(end - current)) << text;
  }
  EXPECT_EQ(committed_sum, 12) << text;

  CommandResult members = Run("groups", {"--describe", "--group", "g2", "--members", "--verbose"});
  EXPECT_EQ(members.exit_status.exit_code, 0) << members.output;
  EXPECT_THAT(members.output, HasSubstr("py-consumer"));
  EXPECT_THAT(members.output, HasSubstr("live(0,1)"));
  CommandResult state = Run("groups", {"--describe", "--group", "g2", "--state"});
  EXPECT_THAT(state.output, HasSubstr("Stable"));

  CommandResult refused = Run(
      "groups", {"--reset-offsets", "--group", "g2", "--all-topics", "--to-earliest", "--execute"});
  EXPECT_EQ(refused.exit_status.exit_code, 1) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("Assignments can only be reset if the group 'g2' is "
                                        "inactive, but the current state is Stable."));
  CommandResult busy = Run("groups", {"--delete", "--group", "g2"});
  EXPECT_EQ(busy.exit_status.exit_code, 1) << busy.output;
  EXPECT_THAT(busy.output, HasSubstr("NON_EMPTY_GROUP"));

  // Once the consumer leaves, the group is Empty and can be reset.
  ASSERT_EQ(::kill(*consumer, SIGTERM), 0);
  int wait_status = 0;
  ASSERT_EQ(::waitpid(*consumer, &wait_status, 0), *consumer);
  EXPECT_TRUE(ExitStatus::FromWaitStatus(wait_status).Success()) << consumer_log();
  WaitForOutput(
      "groups", {"--list", "--state"},
      [](const std::string& out) {
        return absl::StrContains(out, absl::StrCat("g2", std::string(14, ' '), "Empty"));
      },
      "g2 is empty");
  CommandResult latest = Run("groups", {"--reset-offsets", "--group", "g2", "--topic", "live:0",
                                        "--to-latest", "--execute"});
  EXPECT_EQ(latest.exit_status.exit_code, 0) << latest.output;
  rows = DescribeOffsets("g2", "live", &text);
  EXPECT_EQ(rows[0].lag, "0") << text;
}

TEST_F(KarstGroups, BadInputAndAnUnreachableCluster) {
  CommandResult bad = Run("groups", {"--describe", "--group", "g", "--frobnicate"});
  EXPECT_EQ(bad.exit_status.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("usage: karst groups"));
  CommandResult no_action = Run("groups", {});
  EXPECT_EQ(no_action.exit_status.exit_code, 2) << no_action.output;

  absl::StatusOr<CommandResult> unreachable =
      RunCommand({Karst(), "groups", "--bootstrap-server", "127.0.0.1:1", "--list"});
  ASSERT_OK(unreachable.status());
  EXPECT_EQ(unreachable->exit_status.exit_code, 1) << unreachable->output;
  EXPECT_THAT(unreachable->output, HasSubstr("karst groups: no bootstrap server reachable"));
}

}  // namespace
}  // namespace karst::testing

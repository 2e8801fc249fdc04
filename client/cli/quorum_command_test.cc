#include "client/cli/quorum_command.h"

#include "client/cli/cluster_command.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace karst::cli {
namespace {

using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseQuorumFlags, DescribeStatusReplicationAndTheStatusShortcut) {
  absl::StatusOr<QuorumFlags> status =
      ParseQuorumFlags({"--bootstrap-server", "a:9092", "describe", "--status"});
  ASSERT_OK(status.status());
  EXPECT_EQ(status->action, QuorumAction::kStatus);
  EXPECT_EQ(status->bootstrap_server, "a:9092");
  EXPECT_EQ(status->output, QuorumOutput::kTable);
  EXPECT_EQ(ParseQuorumFlags({"describe", "--replication"})->action, QuorumAction::kReplication);
  EXPECT_EQ(ParseQuorumFlags({"status", "--bootstrap-server=b:1"})->action, QuorumAction::kStatus);
  EXPECT_EQ(ParseQuorumFlags({"status", "--output", "json"})->output, QuorumOutput::kJson);
  EXPECT_EQ(ParseQuorumFlags({"--command-config", "f", "status"})->command_config, "f");
  EXPECT_EQ(ParseQuorumFlags({"describe", "--help"})->action, QuorumAction::kHelp);
}

TEST(ParseQuorumFlags, RejectsMissingConflictingAndUnknownInput) {
  EXPECT_THAT(ParseQuorumFlags({}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a command is required")));
  EXPECT_THAT(ParseQuorumFlags({"describe"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("describe needs one of --status or --replication")));
  EXPECT_THAT(ParseQuorumFlags({"describe", "--status", "--replication"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exclusive")));
  EXPECT_THAT(ParseQuorumFlags({"status", "--replication"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("short for")));
  EXPECT_THAT(ParseQuorumFlags({"status", "--output", "yaml"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--output: expected")));
  EXPECT_THAT(ParseQuorumFlags({"status", "--zookeeper", "z:2181"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown flag --zookeeper")));
  EXPECT_THAT(ParseQuorumFlags({"status", "--bootstrap-server"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs a value")));
  EXPECT_THAT(ParseQuorumFlags({"describe", "--status", "--bootstrap-controller", "c:9093"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("use --bootstrap-server")));
  EXPECT_THAT(ParseQuorumFlags({"descibe", "--status"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"descibe\"")));
}

// Leader 2 at 100; voter 3 is 10 behind and caught up 500 ms before the leader; 4 observes
// with an unknown log end.
client::QuorumInfo Sample() {
  client::QuorumInfo q;
  q.cluster_id = "abc";
  q.leader_id = 2;
  q.leader_epoch = 7;
  q.high_watermark = 95;
  q.voters = {{1, 100, 1700000000900, 1700000000900},
              {2, 100, 1700000001000, 1700000001000},
              {3, 90, 1700000000800, 1700000000500}};
  q.observers = {{4, -1, -1, -1}};
  return q;
}

TEST(FormatQuorumStatus, PrintsKafkasLinesWithTheLowestVotersLag) {
  EXPECT_EQ(FormatQuorumStatus(Sample(), QuorumOutput::kTable),
            "ClusterId:              abc\n"
            "LeaderId:               2\n"
            "LeaderEpoch:            7\n"
            "HighWatermark:          95\n"
            "MaxFollowerLag:         10\n"
            "MaxFollowerLagTimeMs:   500\n"
            "CurrentVoters:          [1,2,3]\n"
            "CurrentObservers:       [4]\n");
  EXPECT_EQ(FormatQuorumStatus(Sample(), QuorumOutput::kJson),
            "{\"clusterId\":\"abc\",\"leaderId\":2,\"leaderEpoch\":7,\"highWatermark\":95,"
            "\"maxFollowerLag\":10,\"maxFollowerLagTimeMs\":500,\"currentVoters\":[1,2,3],"
            "\"currentObservers\":[4]}\n");
}

TEST(FormatQuorumStatus, CaughtUpLeaderFirstHasNoLagAndUnknownTimesAreMinusOne) {
  client::QuorumInfo q = Sample();
  q.voters = {{2, 100, 5, 5}, {1, 100, 4, 4}};
  EXPECT_THAT(FormatQuorumStatus(q, QuorumOutput::kTable),
              HasSubstr("MaxFollowerLag:         0\nMaxFollowerLagTimeMs:   0\n"));
  q.voters = {{2, 100, 5, 5}, {1, 90, -1, -1}};
  EXPECT_THAT(FormatQuorumStatus(q, QuorumOutput::kTable),
              HasSubstr("MaxFollowerLag:         10\nMaxFollowerLagTimeMs:   -1\n"));
  q.cluster_id = "a\"b\\c";
  EXPECT_THAT(FormatQuorumStatus(q, QuorumOutput::kJson),
              HasSubstr("\"clusterId\":\"a\\\"b\\\\c\""));
}

TEST(FormatQuorumReplication, LeaderThenFollowersThenObserversInPaddedColumns) {
  EXPECT_EQ(FormatQuorumReplication(Sample(), QuorumOutput::kTable),
            "NodeId\tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus  \n"
            "2     \t100         \t0  \t1700000001000     \t1700000001000        \tLeader  \n"
            "1     \t100         \t0  \t1700000000900     \t1700000000900        \tFollower\n"
            "3     \t90          \t10 \t1700000000800     \t1700000000500        \tFollower\n"
            "4     \t-1          \t-1 \t-1                \t-1                   \tObserver\n");
  EXPECT_EQ(FormatQuorumReplication(Sample(), QuorumOutput::kJson),
            "[{\"nodeId\":2,\"logEndOffset\":100,\"lag\":0,\"lastFetchTimestamp\":1700000001000,"
            "\"lastCaughtUpTimestamp\":1700000001000,\"status\":\"Leader\"},"
            "{\"nodeId\":1,\"logEndOffset\":100,\"lag\":0,\"lastFetchTimestamp\":1700000000900,"
            "\"lastCaughtUpTimestamp\":1700000000900,\"status\":\"Follower\"},"
            "{\"nodeId\":3,\"logEndOffset\":90,\"lag\":10,\"lastFetchTimestamp\":1700000000800,"
            "\"lastCaughtUpTimestamp\":1700000000500,\"status\":\"Follower\"},"
            "{\"nodeId\":4,\"logEndOffset\":-1,\"lag\":-1,\"lastFetchTimestamp\":-1,"
            "\"lastCaughtUpTimestamp\":-1,\"status\":\"Observer\"}]\n");
}

TEST(RunQuorumCommand, BadFlagsAndMissingBootstrapAreUsageErrors) {
  EXPECT_EQ(RunQuorumCommand({"describe", "--bogus", "x"}, SystemClock::Get()), kExitUsage);
  EXPECT_EQ(RunQuorumCommand({"status"}, SystemClock::Get()), kExitUsage);
  EXPECT_EQ(RunQuorumCommand({"--help"}, SystemClock::Get()), kExitOk);
}

}  // namespace
}  // namespace karst::cli

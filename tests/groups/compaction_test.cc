// Issue #9: log compaction on a real cluster. A compacted topic (cleanup.policy=compact, small
// segments, min.cleanable.dirty.ratio 0.01, delete.retention.ms 1 s) on three karstd nodes gets
// 50 updates for each of 200 keys, tombstones for 20 of them and two more rounds for the rest
// (group_tool.py updates). The test polls, with a deadline, a consumer reading every partition
// from the beginning (group_tool.py compacted) until the broker's cleaner has run: fewer records
// than were produced, each key's last record its latest value, no tombstoned key left at all
// (their delete horizon passed), and offsets still increasing. Then partition 0's leader is
// killed -9 and the same holds for what the new leaders serve.
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/groups/client_process.h"
#include "tests/groups/coordinator_lookup.h"
#include "tests/harness/cluster.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

constexpr char kTopic[] = "latest-values";

TEST(Compaction, ConsumerFromTheBeginningSeesLatestValuesWithoutTombstonedKeys) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Cluster> cluster,
      Cluster::Create(GroupClusterOptions(
          {{"broker.session.timeout.ms", "3000"}, {"broker.heartbeat.interval.ms", "500"}})));
  ASSERT_OK(cluster->StartAll());
  const std::string tool = RunfilePath("GROUP_TOOL");
  const std::string expected = OutputDir("compaction") + "/expected.json";
  const std::string bootstrap = cluster->BootstrapServers();
  ASSERT_OK_AND_ASSIGN(
      CommandResult created,
      RunClient("create", {"/usr/bin/python3", tool, "create", bootstrap, kTopic, "3",
                           "cleanup.policy=compact", "segment.bytes=8192", "segment.ms=2000",
                           "min.cleanable.dirty.ratio=0.01", "delete.retention.ms=1000"}));
  ASSERT_TRUE(created.exit_status.Success());
  ASSERT_OK_AND_ASSIGN(CommandResult produced,
                       RunClient("updates", {"/usr/bin/python3", tool, "updates", bootstrap, kTopic,
                                             "200", "50", "20", expected}));
  ASSERT_TRUE(produced.exit_status.Success());

  int attempts = 0;
  auto compacted = [&]() -> absl::Status {
    absl::StatusOr<CommandResult> read =
        RunClient(absl::StrCat("compacted #", ++attempts),
                  {"/usr/bin/python3", tool, "compacted", bootstrap, kTopic, expected});
    if (!read.ok()) return read.status();
    if (read->exit_status.exit_code == 1) {
      return absl::UnavailableError(absl::StrCat("not compacted yet: ", read->output));
    }
    if (!read->exit_status.Success()) {
      return absl::InternalError(absl::StrCat("compacted: ", read->exit_status.ToString()));
    }
    return absl::OkStatus();
  };
  ASSERT_OK(WaitForOk(compacted, absl::Seconds(90), "the cleaner to leave only the latest values"));

  // Followers clean their own replicas: with partition 0's leader killed, its new leader (a
  // former follower) serves a compacted log too.
  ASSERT_OK_AND_ASSIGN(PartitionView view, DescribePartition(cluster->node(0), kTopic, 0));
  Node* leader = NodeWithId(*cluster, view.leader);
  ASSERT_NE(leader, nullptr);
  ASSERT_OK(leader->Kill9());
  Node& survivor = cluster->node(leader == &cluster->node(0) ? 1 : 0);
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        for (int32_t p = 0; p < 3; ++p) {
          ASSIGN_OR_RETURN(PartitionView moved, DescribePartition(survivor, kTopic, p));
          if (moved.leader == view.leader) return absl::UnavailableError("leader not moved yet");
        }
        return absl::OkStatus();
      },
      absl::Seconds(30), "new leaders for the killed node's partitions"));
  EXPECT_OK(WaitForOk(compacted, absl::Seconds(60), "the new leaders' compacted logs"));
}

}  // namespace
}  // namespace karst::testing

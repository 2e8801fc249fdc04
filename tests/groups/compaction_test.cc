// Issue #9: log compaction on a real cluster. A compacted topic (cleanup.policy=compact, small
// segments, min.cleanable.dirty.ratio 0.01, delete.retention.ms 1 s) on three karstd nodes gets
// 50 updates for each of 200 keys, tombstones for 20 of them and two more rounds for the rest
// (group_tool.py updates). The test polls, with a deadline, a consumer reading every partition
// from the beginning (group_tool.py compacted) until the broker's cleaner has run: fewer records
// than were produced, each key's last record its latest value, no tombstoned key left at all
// (their delete horizon passed), and offsets still increasing.
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/groups/client_process.h"
#include "tests/harness/cluster.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

constexpr char kTopic[] = "latest-values";

TEST(Compaction, ConsumerFromTheBeginningSeesLatestValuesWithoutTombstonedKeys) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cluster> cluster, Cluster::Create(GroupClusterOptions()));
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
  EXPECT_OK(WaitForOk(
      [&]() -> absl::Status {
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
      },
      absl::Seconds(90), "the cleaner to leave only the latest values"));
  if (HasFailure()) cluster->MarkFailed();
}

}  // namespace
}  // namespace karst::testing

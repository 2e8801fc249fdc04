// Issue #9: log compaction on a real cluster. A compacted topic (cleanup.policy=compact, small
// segments, min.cleanable.dirty.ratio 0.01, delete.retention.ms 1 s) on three karstd nodes gets
// 50 updates for each of 200 keys, tombstones for 20 of them and two more rounds for the rest
// (group_tool.py updates). The test polls, with a deadline, a consumer reading every partition
// from the beginning (group_tool.py compacted) until the broker's cleaner has run: fewer records
// than were produced, each key's last record its latest value, no tombstoned key left at all
// (their delete horizon passed), and offsets still increasing. Then partition 0's leader is
// killed -9 and the same holds for what the new leaders serve. A second case moves a
// compacted partition to a new replica, which copies the compacted log.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/protocol/messages/all.h"
#include "tests/groups/client_process.h"
#include "tests/groups/coordinator_lookup.h"
#include "tests/harness/cluster.h"
#include "tests/harness/kafka_connection.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

namespace kp = ::karst::kafka::protocol;

constexpr char kTopic[] = "latest-values";

class Compaction : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(
        cluster_, Cluster::Create(GroupClusterOptions({{"broker.session.timeout.ms", "3000"},
                                                       {"broker.heartbeat.interval.ms", "500"}})));
    ASSERT_OK(cluster_->StartAll());
    bootstrap_ = cluster_->BootstrapServers();
    expected_ = OutputDir(test_name()) + "/expected.json";
  }

  static std::string test_name() {
    return ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  // Creates the compacted topic (small segments, dirty ratio 0.01, delete.retention.ms 1 s)
  // and fills it with 50 updates of 200 keys and 20 tombstones.
  void CreateAndFill(const std::string& partitions, const std::string& rf) {
    ASSERT_OK_AND_ASSIGN(
        CommandResult created,
        RunClient("create", {"/usr/bin/python3", RunfilePath("GROUP_TOOL"), "create", bootstrap_,
                             kTopic, partitions, absl::StrCat("rf=", rf), "cleanup.policy=compact",
                             "segment.bytes=8192", "segment.ms=2000",
                             "min.cleanable.dirty.ratio=0.01", "delete.retention.ms=1000"}));
    ASSERT_TRUE(created.exit_status.Success());
    ASSERT_OK_AND_ASSIGN(
        CommandResult produced,
        RunClient("updates", {"/usr/bin/python3", RunfilePath("GROUP_TOOL"), "updates", bootstrap_,
                              kTopic, "200", "50", "20", expected_}));
    ASSERT_TRUE(produced.exit_status.Success());
  }

  // One read from the beginning (group_tool.py compacted): OK once only latest values are left.
  absl::Status Compacted() {
    absl::StatusOr<CommandResult> read = RunClient(absl::StrCat("compacted #", ++attempts_),
                                                   {"/usr/bin/python3", RunfilePath("GROUP_TOOL"),
                                                    "compacted", bootstrap_, kTopic, expected_});
    if (!read.ok()) return read.status();
    if (read->exit_status.exit_code == 1) {
      return absl::UnavailableError(absl::StrCat("not compacted yet: ", read->output));
    }
    if (!read->exit_status.Success()) {
      return absl::InternalError(absl::StrCat("compacted: ", read->exit_status.ToString()));
    }
    return absl::OkStatus();
  }

  std::unique_ptr<Cluster> cluster_;
  std::string bootstrap_;
  std::string expected_;
  int attempts_ = 0;
};

TEST_F(Compaction, ConsumerFromTheBeginningSeesLatestValuesWithoutTombstonedKeys) {
  ASSERT_NO_FATAL_FAILURE(CreateAndFill("3", "3"));
  ASSERT_OK(WaitForOk([&] { return Compacted(); }, absl::Seconds(90),
                      "the cleaner to leave only the latest values"));

  // Followers clean their own replicas: with partition 0's leader killed, its new leader (a
  // former follower) serves a compacted log too.
  ASSERT_OK_AND_ASSIGN(PartitionView view, DescribePartition(cluster_->node(0), kTopic, 0));
  Node* leader = NodeWithId(*cluster_, view.leader);
  ASSERT_NE(leader, nullptr);
  ASSERT_OK(leader->Kill9());
  Node& survivor = cluster_->node(leader == &cluster_->node(0) ? 1 : 0);
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        for (int32_t p = 0; p < 3; ++p) {
          ASSIGN_OR_RETURN(PartitionView moved, DescribePartition(survivor, kTopic, p));
          if (moved.leader == view.leader) return absl::UnavailableError("leader not moved yet");
        }
        return absl::OkStatus();
      },
      absl::Seconds(30), "new leaders for the killed node's partitions"));
  EXPECT_OK(
      WaitForOk([&] { return Compacted(); }, absl::Seconds(60), "the new leaders' compacted logs"));
}

// A replica added after cleaning copies the compacted log (batches with offset gaps, no
// tombstoned key) from the leader: the partition (replication factor 2) is reassigned to the
// third node alone, which then leads it and serves the same latest values.
TEST_F(Compaction, ReplicaAddedAfterCleaningCopiesTheCompactedLog) {
  ASSERT_NO_FATAL_FAILURE(CreateAndFill("1", "2"));
  ASSERT_OK(WaitForOk([&] { return Compacted(); }, absl::Seconds(90),
                      "the cleaner to leave only the latest values"));
  ASSERT_OK_AND_ASSIGN(PartitionView view, DescribePartition(cluster_->node(0), kTopic, 0));
  int32_t added = -1;
  for (int i = 0; i < cluster_->size(); ++i) {
    const int32_t id = cluster_->node(i).node_id();
    if (std::find(view.replicas.begin(), view.replicas.end(), id) == view.replicas.end()) {
      added = id;
    }
  }
  ASSERT_NE(added, -1) << "replicas " << absl::StrJoin(view.replicas, ",");

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> admin,
                       KafkaConnection::Open(cluster_->node(0), "compaction-test"));
  kp::AlterPartitionReassignmentsRequest reassign;
  reassign.timeout_ms = 10000;
  auto& topic = reassign.topics.emplace_back();
  topic.name = kTopic;
  topic.partitions.push_back({.partition_index = 0, .replicas = std::vector<int32_t>{added}});
  kp::AlterPartitionReassignmentsResponse reassigned;
  ASSERT_OK(admin->Call(reassign, 0, &reassigned));
  ASSERT_EQ(reassigned.error_code, 0);
  ASSERT_EQ(reassigned.responses.at(0).partitions.at(0).error_code, 0);
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        ASSIGN_OR_RETURN(PartitionView moved, DescribePartition(cluster_->node(0), kTopic, 0));
        if (moved.leader != added || moved.replicas != std::vector<int32_t>{added}) {
          return absl::UnavailableError(absl::StrCat("leader ", moved.leader, ", replicas ",
                                                     absl::StrJoin(moved.replicas, ",")));
        }
        return absl::OkStatus();
      },
      absl::Seconds(60), absl::StrCat("partition 0 moved to node ", added, " alone")));
  EXPECT_OK(WaitForOk([&] { return Compacted(); }, absl::Seconds(30),
                      "the moved replica's compacted log"));
}

}  // namespace
}  // namespace karst::testing

// Issue #9: a group's coordinator fails over with its __consumer_offsets partition. On three
// karstd nodes a librdkafka consumer (group_tool.py) commits a position in a group; the test
// finds the coordinator (FindCoordinator: the leader of the group's __consumer_offsets
// partition), kills it with -9, and waits until another node coordinates the group, leads that
// partition and answers OffsetFetch with the same committed offsets. A consumer of the group
// then restarts exactly at the committed offsets (nothing before them re-delivered, nothing
// after them skipped), and its own commit is served by the new coordinator. A second case
// does it with a compacted __consumer_offsets and moves the group twice.
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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

constexpr char kTopic[] = "orders";
constexpr char kGroup[] = "failover-group";
constexpr int kOffsetsPartitions = 10;

using Offsets = std::map<int32_t, int64_t>;  // partition -> committed offset

// Kafka's GroupMetadataManager.partitionFor: Utils.abs(groupId.hashCode) % partitions.
int32_t OffsetsPartitionFor(const std::string& group) {
  uint32_t hash = 0;  // Java's String.hashCode, in unsigned arithmetic (ASCII ids)
  for (unsigned char c : group) hash = 31 * hash + c;
  const int32_t h = static_cast<int32_t>(hash);
  return (h == INT32_MIN ? 0 : (h < 0 ? -h : h)) % kOffsetsPartitions;
}

// The leader of the group's __consumer_offsets partition, as `node` sees it.
absl::StatusOr<int32_t> OffsetsLeader(Node& node) {
  ASSIGN_OR_RETURN(PartitionView view,
                   DescribePartition(node, "__consumer_offsets", OffsetsPartitionFor(kGroup)));
  return view.leader;
}

absl::StatusOr<Offsets> OffsetFetch(Node& node) {
  ASSIGN_OR_RETURN(std::unique_ptr<KafkaConnection> c,
                   KafkaConnection::Open(node, "failover-test", absl::Seconds(3)));
  kp::OffsetFetchRequest request;
  request.group_id = kGroup;
  request.topics = std::nullopt;  // every partition with an offset
  kp::OffsetFetchResponse response;
  RETURN_IF_ERROR(c->Call(request, 5, &response));
  if (response.error_code != 0) {
    return absl::UnavailableError(
        absl::StrCat(node.name(), ": OffsetFetch error ", response.error_code));
  }
  Offsets offsets;
  for (const auto& t : response.topics) {
    for (const auto& p : t.partitions) {
      if (p.error_code != 0) {
        return absl::UnavailableError(absl::StrCat(node.name(), ": OffsetFetch ", t.name, "-",
                                                   p.partition_index, " error ", p.error_code));
      }
      if (t.name == kTopic && p.committed_offset >= 0) {
        offsets[p.partition_index] = p.committed_offset;
      }
    }
  }
  return offsets;
}

std::string Format(const Offsets& offsets) {
  return absl::StrJoin(offsets, ",", [](std::string* out, const auto& po) {
    absl::StrAppend(out, po.first, ":", po.second);
  });
}

// "partition offset" lines (group_tool.py commit), or the ends of "value partition offset".
Offsets ReadOffsets(const std::string& path, bool acked) {
  Offsets offsets;
  std::ifstream in(path);
  std::string value;
  int32_t partition;
  int64_t offset;
  while (acked ? static_cast<bool>(in >> value >> partition >> offset)
               : static_cast<bool>(in >> partition >> offset)) {
    offsets[partition] = acked ? std::max(offsets[partition], offset + 1) : offset;
  }
  return offsets;
}

// The coordinator `ask` names for the group, checked to lead the group's offsets partition.
absl::StatusOr<int32_t> CoordinatorLeadingItsPartition(Node& ask) {
  ASSIGN_OR_RETURN(int32_t coordinator, FindCoordinator(ask, kGroup));
  ASSIGN_OR_RETURN(int32_t leader, OffsetsLeader(ask));
  if (leader != coordinator) {
    return absl::UnavailableError(absl::StrCat(ask.name(), ": coordinator ", coordinator,
                                               ", offsets partition leader ", leader));
  }
  return coordinator;
}

// Waits until every running node names one coordinator other than `dead`, which leads the
// group's offsets partition and answers OffsetFetch with `want`; returns it.
absl::StatusOr<int32_t> WaitForNewCoordinator(Cluster& cluster, int32_t dead, const Offsets& want) {
  int32_t next = -1;
  RETURN_IF_ERROR(WaitForOk(
      [&]() -> absl::Status {
        for (int i = 0; i < cluster.size(); ++i) {
          Node& node = cluster.node(i);
          if (!node.IsRunning()) continue;
          ASSIGN_OR_RETURN(next, CoordinatorLeadingItsPartition(node));
          if (next == dead) {
            return absl::UnavailableError(absl::StrCat(node.name(), " still names ", dead));
          }
          Node* coordinator = NodeWithId(cluster, next);
          if (coordinator == nullptr) return absl::InternalError("unknown node");
          ASSIGN_OR_RETURN(Offsets got, OffsetFetch(*coordinator));
          if (got != want) {
            return absl::DataLossError(absl::StrCat(coordinator->name(), " has offsets ",
                                                    Format(got), ", want ", Format(want)));
          }
        }
        return absl::OkStatus();
      },
      absl::Seconds(60),
      absl::StrCat("a coordinator other than ", dead, " with offsets ", Format(want))));
  return next;
}

class CoordinatorFailover : public ::testing::Test {
 protected:
  void StartCluster(std::map<std::string, std::string> extra = {}) {
    extra["offsets.topic.num.partitions"] = absl::StrCat(kOffsetsPartitions);
    extra["broker.session.timeout.ms"] = "3000";
    extra["broker.heartbeat.interval.ms"] = "500";
    ASSERT_OK_AND_ASSIGN(cluster_, Cluster::Create(GroupClusterOptions(extra)));
    ASSERT_OK(cluster_->StartAll());
    bootstrap_ = cluster_->BootstrapServers();
  }

  // Runs group_tool.py with `args`; true if it exited 0.
  bool Step(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/python3", RunfilePath("GROUP_TOOL")};
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<CommandResult> result = RunClient(args[0], argv);
    return result.ok() && result->exit_status.Success();
  }

  std::unique_ptr<Cluster> cluster_;
  std::string bootstrap_;
};

TEST_F(CoordinatorFailover, KilledCoordinatorsGroupMovesWithItsOffsetsPartition) {
  ASSERT_NO_FATAL_FAILURE(StartCluster());
  const std::string dir = OutputDir("coordinator_failover");
  const std::string acked = dir + "/acked.txt", committed = dir + "/committed.txt";
  ASSERT_TRUE(Step({"create", bootstrap_, kTopic, "3"}));
  ASSERT_TRUE(Step({"produce", bootstrap_, kTopic, "3000", acked}));
  ASSERT_TRUE(Step({"commit", bootstrap_, kTopic, kGroup, committed}));
  const Offsets want = ReadOffsets(committed, /*acked=*/false);
  ASSERT_EQ(want.size(), 3u);

  int32_t coordinator = -1;
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        ASSIGN_OR_RETURN(coordinator, CoordinatorLeadingItsPartition(cluster_->node(0)));
        return absl::OkStatus();
      },
      absl::Seconds(20), "the coordinator, leading the group's offsets partition"));
  Node* old_coordinator = NodeWithId(*cluster_, coordinator);
  ASSERT_NE(old_coordinator, nullptr) << "coordinator " << coordinator;
  ASSERT_OK_AND_ASSIGN(Offsets before, OffsetFetch(*old_coordinator));
  EXPECT_EQ(before, want) << Format(before) << " vs " << Format(want);

  ASSERT_OK(old_coordinator->Kill9());
  ASSERT_OK_AND_ASSIGN(int32_t next, WaitForNewCoordinator(*cluster_, coordinator, want));

  // A consumer restarts from the committed offsets, and commits to the new coordinator.
  ASSERT_TRUE(Step({"resume", bootstrap_, kTopic, kGroup, acked, committed}));
  const Offsets ends = ReadOffsets(acked, /*acked=*/true);
  ASSERT_OK_AND_ASSIGN(Offsets final_offsets, OffsetFetch(*NodeWithId(*cluster_, next)));
  EXPECT_EQ(final_offsets, ends) << Format(final_offsets) << " vs " << Format(ends);
}

// True once `node`'s log says its replica of the group's offsets partition was compacted.
bool OffsetsPartitionCompacted(const Node& node) {
  std::ifstream in(node.log_path());
  const std::string needle =
      absl::StrCat("__consumer_offsets-", OffsetsPartitionFor(kGroup), ": compacted");
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) return true;
  }
  return false;
}

// __consumer_offsets is compacted (cleanup.policy=compact, offsets.topic.segment.bytes small):
// after hundreds of commits every replica of the group's partition has been cleaned, so the
// next coordinator loads the group from a compacted log. The killed node then comes back and
// rejoins the ISR; the group commits again; a second kill moves the group once more, and the
// offsets committed while the restarted node was down are there.
TEST_F(CoordinatorFailover, CompactedOffsetsSurviveTwoCoordinatorMoves) {
  ASSERT_NO_FATAL_FAILURE(StartCluster({{"offsets.topic.segment.bytes", "4096"}}));
  const std::string dir = OutputDir("compacted_offsets");
  const std::string acked = dir + "/acked.txt", committed = dir + "/committed.txt";
  ASSERT_TRUE(Step({"create", bootstrap_, kTopic, "3"}));
  ASSERT_TRUE(Step({"produce", bootstrap_, kTopic, "3000", acked}));
  ASSERT_TRUE(Step({"commit", bootstrap_, kTopic, kGroup, committed, "3"}));
  const Offsets want = ReadOffsets(committed, /*acked=*/false);
  ASSERT_EQ(want.size(), 3u);
  ASSERT_OK(WaitFor(
      [&] {
        for (int i = 0; i < cluster_->size(); ++i) {
          if (!OffsetsPartitionCompacted(cluster_->node(i))) return false;
        }
        return true;
      },
      absl::Seconds(60), "every replica of the group's offsets partition compacted"));

  int32_t first = -1;
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        ASSIGN_OR_RETURN(first, CoordinatorLeadingItsPartition(cluster_->node(0)));
        return absl::OkStatus();
      },
      absl::Seconds(20), "the coordinator"));
  Node* restarted = NodeWithId(*cluster_, first);
  ASSERT_NE(restarted, nullptr);
  ASSERT_OK(restarted->Kill9());
  ASSERT_OK_AND_ASSIGN(int32_t second, WaitForNewCoordinator(*cluster_, first, want));

  ASSERT_OK(restarted->Start());
  ASSERT_OK(restarted->WaitReady(absl::Seconds(30)));
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        ASSIGN_OR_RETURN(PartitionView view,
                         DescribePartition(*NodeWithId(*cluster_, second), "__consumer_offsets",
                                           OffsetsPartitionFor(kGroup)));
        if (std::find(view.isr.begin(), view.isr.end(), first) == view.isr.end()) {
          return absl::UnavailableError(absl::StrCat("isr ", absl::StrJoin(view.isr, ",")));
        }
        return absl::OkStatus();
      },
      absl::Seconds(30), "the restarted node back in the offsets partition's ISR"));

  ASSERT_TRUE(Step({"resume", bootstrap_, kTopic, kGroup, acked, committed}));
  const Offsets ends = ReadOffsets(acked, /*acked=*/true);
  ASSERT_OK(NodeWithId(*cluster_, second)->Kill9());
  ASSERT_OK_AND_ASSIGN(int32_t third, WaitForNewCoordinator(*cluster_, second, ends));
  std::cout << "coordinators: " << first << ", " << second << ", " << third << std::endl;
}

}  // namespace
}  // namespace karst::testing

// Issue #9: a group's coordinator fails over with its __consumer_offsets partition. On three
// karstd nodes a librdkafka consumer (group_tool.py) commits a position in a group; the test
// finds the coordinator (FindCoordinator: the leader of the group's __consumer_offsets
// partition), kills it with -9, and waits until another node coordinates the group, leads that
// partition and answers OffsetFetch with the same committed offsets. A consumer of the group
// then restarts exactly at the committed offsets (nothing before them re-delivered, nothing
// after them skipped), and its own commit is served by the new coordinator.
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <string>

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
  ASSIGN_OR_RETURN(std::unique_ptr<KafkaConnection> c,
                   KafkaConnection::Open(node, "failover-test", absl::Seconds(3)));
  kp::MetadataRequest request;
  request.topics =
      std::vector<kp::MetadataRequest::MetadataRequestTopic>{{.name = "__consumer_offsets"}};
  kp::MetadataResponse response;
  RETURN_IF_ERROR(c->Call(request, 1, &response));
  const int32_t partition = OffsetsPartitionFor(kGroup);
  for (const auto& t : response.topics) {
    for (const auto& p : t.partitions) {
      if (t.error_code == 0 && p.partition_index == partition) return p.leader_id;
    }
  }
  return absl::UnavailableError(
      absl::StrCat(node.name(), ": no __consumer_offsets partition ", partition));
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

TEST(CoordinatorFailover, KilledCoordinatorsGroupMovesWithItsOffsetsPartition) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cluster> cluster,
                       Cluster::Create(GroupClusterOptions(
                           {{"offsets.topic.num.partitions", absl::StrCat(kOffsetsPartitions)},
                            {"broker.session.timeout.ms", "3000"},
                            {"broker.heartbeat.interval.ms", "500"}})));
  ASSERT_OK(cluster->StartAll());
  const std::string tool = RunfilePath("GROUP_TOOL");
  const std::string dir = OutputDir("coordinator_failover");
  const std::string acked = dir + "/acked.txt", committed = dir + "/committed.txt";
  auto step = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/python3", tool};
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<CommandResult> result = RunClient(args[0], argv);
    return result.ok() && result->exit_status.Success();
  };
  const std::string bootstrap = cluster->BootstrapServers();
  ASSERT_TRUE(step({"create", bootstrap, kTopic, "3"}));
  ASSERT_TRUE(step({"produce", bootstrap, kTopic, "3000", acked}));
  ASSERT_TRUE(step({"commit", bootstrap, kTopic, kGroup, committed}));
  const Offsets want = ReadOffsets(committed, /*acked=*/false);
  ASSERT_EQ(want.size(), 3u);

  int32_t coordinator = -1;
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        ASSIGN_OR_RETURN(coordinator, FindCoordinator(cluster->node(0), kGroup));
        ASSIGN_OR_RETURN(int32_t leader, OffsetsLeader(cluster->node(0)));
        if (leader != coordinator) {
          return absl::UnavailableError(
              absl::StrCat("coordinator ", coordinator, ", offsets partition leader ", leader));
        }
        return absl::OkStatus();
      },
      absl::Seconds(20), "the coordinator, leading the group's offsets partition"));
  Node* old_coordinator = NodeWithId(*cluster, coordinator);
  ASSERT_NE(old_coordinator, nullptr) << "coordinator " << coordinator;
  ASSERT_OK_AND_ASSIGN(Offsets before, OffsetFetch(*old_coordinator));
  EXPECT_EQ(before, want) << Format(before) << " vs " << Format(want);

  ASSERT_OK(old_coordinator->Kill9());
  int32_t next = -1;
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        for (int i = 0; i < cluster->size(); ++i) {
          Node& node = cluster->node(i);
          if (&node == old_coordinator) continue;
          ASSIGN_OR_RETURN(next, FindCoordinator(node, kGroup));
          if (next == coordinator) {
            return absl::UnavailableError(absl::StrCat(node.name(), " still names ", next));
          }
          ASSIGN_OR_RETURN(int32_t leader, OffsetsLeader(node));
          if (leader != next) {
            return absl::UnavailableError(
                absl::StrCat(node.name(), ": coordinator ", next, ", leader ", leader));
          }
          Node* new_coordinator = NodeWithId(*cluster, next);
          if (new_coordinator == nullptr) return absl::InternalError("unknown node");
          ASSIGN_OR_RETURN(Offsets after, OffsetFetch(*new_coordinator));
          if (after != want) {
            return absl::DataLossError(absl::StrCat(new_coordinator->name(), " has offsets ",
                                                    Format(after), ", want ", Format(want)));
          }
        }
        return absl::OkStatus();
      },
      absl::Seconds(60), "a new coordinator with the committed offsets"));

  // A consumer restarts from the committed offsets, and commits to the new coordinator.
  ASSERT_TRUE(step({"resume", bootstrap, kTopic, kGroup, acked, committed}));
  const Offsets ends = ReadOffsets(acked, /*acked=*/true);
  ASSERT_OK_AND_ASSIGN(Offsets final_offsets, OffsetFetch(*NodeWithId(*cluster, next)));
  EXPECT_EQ(final_offsets, ends) << Format(final_offsets) << " vs " << Format(ends);
}

}  // namespace
}  // namespace karst::testing

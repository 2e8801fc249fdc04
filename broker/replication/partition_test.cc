// Partition's produce validation for compacted topics and its periodic maintenance.
#include "broker/replication/partition.h"

#include "common/testing/fake_clock.h"
#include "gtest/gtest.h"
#include "storage/testing/fake_file_system.h"
#include "storage/testing/log_test_util.h"

namespace karst::broker::replication {
namespace {

using ::karst::testing::FakeClock;
using storage::testing::MakeKeyedBatch;

class PartitionTest : public ::testing::Test {
 protected:
  std::unique_ptr<Partition> Leader(storage::LogOptions options) {
    absl::StatusOr<std::unique_ptr<storage::Log>> log =
        storage::Log::Open("/data/t-0", options, fs_, clock_);
    EXPECT_TRUE(log.ok()) << log.status();
    auto partition = std::make_unique<Partition>(TopicPartition{"t", 0}, "id", NodeId(1),
                                                 *std::move(log), clock_);
    partition->Apply({.replicas = {1},
                      .isr = {1},
                      .leader = NodeId(1),
                      .leader_epoch = LeaderEpoch(0),
                      .partition_epoch = 0});
    return partition;
  }

  storage::testing::FakeFileSystem fs_;
  FakeClock clock_;
};

TEST_F(PartitionTest, CompactedTopicRefusesKeylessRecords) {
  auto partition = Leader({.cleanup_policy = storage::CleanupPolicy::kCompact});
  AppendOutcome out = partition->AppendAsLeader(
      MakeKeyedBatch({{"k", "v"}, {std::nullopt, "v"}}, 0), 1, 1, 1 << 20);
  EXPECT_EQ(out.error, ErrorCode::kInvalidRecord);
  EXPECT_NE(out.message.find("without key"), std::string::npos) << out.message;
  EXPECT_EQ(partition->log_end_offset(), Offset(0));
  EXPECT_EQ(partition->AppendAsLeader(MakeKeyedBatch({{"k", "v"}}, 0), 1, 1, 1 << 20).error,
            ErrorCode::kNone);
}

TEST_F(PartitionTest, DeleteTopicAcceptsKeylessRecords) {
  auto partition = Leader({});
  EXPECT_EQ(
      partition->AppendAsLeader(MakeKeyedBatch({{std::nullopt, "v"}}, 0), 1, 1, 1 << 20).error,
      ErrorCode::kNone);
}

}  // namespace
}  // namespace karst::broker::replication

// Partition over a real storage::Log in a temporary directory: the high watermark a restarted
// leader starts from.
#include <filesystem>

#include "broker/replication/partition.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/record/record.h"
#include "storage/file_system.h"
#include "storage/log.h"

namespace karst::broker::replication {
namespace {

class PartitionRestart : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Partition> Open() {
    absl::StatusOr<std::unique_ptr<storage::Log>> log =
        storage::Log::Open(dir_.string(), storage::LogOptions{}, fs_, clock_);
    EXPECT_OK(log.status());
    if (!log.ok()) return nullptr;
    return std::make_unique<Partition>(TopicPartition{"t", 0}, "id", NodeId(1), *std::move(log),
                                       clock_);
  }

  // Leader 1 of replicas 1, 2, 3, all in the ISR: the high watermark only moves when the
  // followers fetch, which they never do here.
  static Assignment LeaderOfThree() {
    return Assignment{.replicas = {1, 2, 3},
                      .isr = {1, 2, 3},
                      .leader = NodeId(1),
                      .leader_epoch = LeaderEpoch(0),
                      .partition_epoch = 0};
  }

  // Writes `count` records as leader and closes the partition.
  void WriteRecords(int count) {
    std::unique_ptr<Partition> partition = Open();
    ASSERT_NE(partition, nullptr);
    partition->Apply(LeaderOfThree());
    kafka::record::BatchBuilder builder({});
    for (int i = 0; i < count; ++i) builder.Add(i, 1000, std::nullopt, "v");
    ASSERT_OK_AND_ASSIGN(const std::string batch, builder.Build());
    AppendOutcome out = partition->AppendAsLeader(batch, -1, 1, 1 << 20);
    ASSERT_EQ(out.error, ErrorCode::kNone) << out.message;
    EXPECT_EQ(partition->high_watermark(), Offset(0));
    ASSERT_OK(partition->Close());
  }

  testing::FakeClock clock_;
  storage::PosixFileSystem fs_;
  std::filesystem::path dir_;
};

TEST_F(PartitionRestart, WithoutACheckpointTheHighWatermarkStartsAtTheLogStart) {
  WriteRecords(10);
  std::unique_ptr<Partition> partition = Open();
  partition->Apply(LeaderOfThree());
  EXPECT_EQ(partition->high_watermark(), Offset(0));
  ASSERT_OK(partition->Close());
}

TEST_F(PartitionRestart, ARestoredHighWatermarkIsServedAtOnce) {
  WriteRecords(10);
  std::unique_ptr<Partition> partition = Open();
  partition->RestoreHighWatermark(Offset(7));
  partition->Apply(LeaderOfThree());
  EXPECT_EQ(partition->high_watermark(), Offset(7));
  // Consumers read up to it at once, without waiting for the followers.
  EXPECT_GT(partition->BytesAvailable(Offset(0), FetchIsolation::kHighWatermark), 0);
  ASSERT_OK(partition->Close());
}

TEST_F(PartitionRestart, ARestoredHighWatermarkIsCappedAtTheLogEnd) {
  WriteRecords(10);
  std::unique_ptr<Partition> partition = Open();
  partition->RestoreHighWatermark(Offset(50));
  partition->Apply(LeaderOfThree());
  EXPECT_EQ(partition->high_watermark(), Offset(10));
  ASSERT_OK(partition->Close());
}

}  // namespace
}  // namespace karst::broker::replication

#include "storage/log.h"

#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "storage/testing/fake_file_system.h"
#include "storage/testing/log_test_util.h"

namespace karst::storage {
namespace {

using ::karst::testing::FakeClock;
using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using testing::Batches;
using ::testing::ElementsAre;
using testing::FakeFileSystem;
using ::testing::HasSubstr;
using testing::MakeBatch;

constexpr char kDir[] = "/data/orders-0";

class LogTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> OpenLog(LogOptions options = {}) {
    absl::StatusOr<std::unique_ptr<Log>> log = Log::Open(kDir, options, fs_, clock_);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }

  Offset AppendLeader(Log& log, int records, int32_t epoch = 0, size_t value_bytes = 16) {
    absl::StatusOr<AppendResult> r =
        log.Append(MakeBatch(records, absl::ToUnixMillis(clock_.Now()), value_bytes),
                   AppendOrigin::kLeader, LeaderEpoch(epoch));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->first_offset : Offset(-1);
  }

  FakeFileSystem fs_;
  FakeClock clock_;
};

TEST_F(LogTest, LeaderAssignsConsecutiveOffsetsAndStampsTheEpoch) {
  auto log = OpenLog();
  EXPECT_EQ(AppendLeader(*log, 3, 5), Offset(0));
  EXPECT_EQ(AppendLeader(*log, 2, 5), Offset(3));
  EXPECT_EQ(log->LogStartOffset(), Offset(0));
  EXPECT_EQ(log->LogEndOffset(), Offset(5));
  ASSERT_OK_AND_ASSIGN(ReadResult r, log->Read(Offset(0), 1 << 20));
  auto batches = Batches(r.records);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].base_offset, 3);
  EXPECT_EQ(batches[1].last_offset, 4);
  EXPECT_EQ(batches[1].leader_epoch, 5);
  EXPECT_EQ(r.next_offset, Offset(5));
}

TEST_F(LogTest, ReadStartsAtTheBatchContainingTheOffset) {
  auto log = OpenLog();
  for (int i = 0; i < 10; ++i) AppendLeader(*log, 4);
  ASSERT_OK_AND_ASSIGN(ReadResult r, log->Read(Offset(22), 1));
  auto batches = Batches(r.records);
  ASSERT_EQ(batches.size(), 1u);  // At least one batch even past max_bytes (KIP-74).
  EXPECT_EQ(batches[0].base_offset, 20);
  EXPECT_EQ(r.next_offset, Offset(24));
}

TEST_F(LogTest, ReadAtTheEndIsEmptyAndOutsideIsOutOfRange) {
  auto log = OpenLog();
  AppendLeader(*log, 2);
  ASSERT_OK_AND_ASSIGN(ReadResult r, log->Read(Offset(2), 100));
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(r.next_offset, Offset(2));
  EXPECT_THAT(log->Read(Offset(3), 100), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(log->Read(Offset(-1), 100), StatusIs(absl::StatusCode::kOutOfRange));
}

TEST_F(LogTest, FollowerKeepsTheLeadersOffsetsAndRejectsGoingBack) {
  auto log = OpenLog();
  ASSERT_OK(log->Append(MakeBatch(3, 1000, 16, /*base_offset=*/0, /*leader_epoch=*/2),
                        AppendOrigin::kFollower, LeaderEpoch(0))
                .status());
  ASSERT_OK_AND_ASSIGN(AppendResult r, log->Append(MakeBatch(2, 1000, 16, 3, 4),
                                                   AppendOrigin::kFollower, LeaderEpoch(0)));
  EXPECT_EQ(r.first_offset, Offset(3));
  EXPECT_EQ(r.last_offset, Offset(4));
  EXPECT_THAT(log->leader_epochs().entries(), ElementsAre(EpochEntry{LeaderEpoch(2), Offset(0)},
                                                          EpochEntry{LeaderEpoch(4), Offset(3)}));
  EXPECT_THAT(log->Append(MakeBatch(1, 1000, 16, 4, 4), AppendOrigin::kFollower, LeaderEpoch(0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not continue")));
}

TEST_F(LogTest, RejectsMalformedAndOversizedBatches) {
  auto log = OpenLog({.max_batch_bytes = 500});
  std::string bad = MakeBatch(2, 1000);
  bad[bad.size() - 1] ^= 1;
  EXPECT_THAT(log->Append(bad, AppendOrigin::kLeader, LeaderEpoch(0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("crc mismatch")));
  EXPECT_THAT(log->Append(MakeBatch(10, 1000, 100), AppendOrigin::kLeader, LeaderEpoch(0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exceeds the limit")));
  EXPECT_EQ(log->LogEndOffset(), Offset(0));
}

TEST_F(LogTest, RollsBySizeAndNamesSegmentsByBaseOffset) {
  auto log = OpenLog({.segment_bytes = 1000});
  for (int i = 0; i < 20; ++i) AppendLeader(*log, 2, 0, 50);
  EXPECT_GT(log->SegmentCount(), 3u);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> names, fs_.ListDir(kDir));
  EXPECT_THAT(names, ::testing::Contains("00000000000000000000.log"));
  EXPECT_THAT(names, ::testing::Contains("00000000000000000000.index"));
  EXPECT_THAT(names, ::testing::Contains("00000000000000000000.timeindex"));
  // Every offset reads back, across segment boundaries.
  for (int64_t o = 0; o < 40; ++o) {
    ASSERT_OK_AND_ASSIGN(ReadResult r, log->Read(Offset(o), 1 << 20));
    auto batches = Batches(r.records);
    ASSERT_FALSE(batches.empty()) << o;
    EXPECT_EQ(batches[0].base_offset, o - o % 2);
  }
}

TEST_F(LogTest, RollsByAge) {
  auto log = OpenLog({.segment_ms = 1000});
  AppendLeader(*log, 1);
  clock_.Advance(absl::Milliseconds(999));
  AppendLeader(*log, 1);
  EXPECT_EQ(log->SegmentCount(), 1u);
  clock_.Advance(absl::Milliseconds(1));
  AppendLeader(*log, 1);
  EXPECT_EQ(log->SegmentCount(), 2u);
}

TEST_F(LogTest, FindsTheFirstOffsetAtOrAfterATimestamp) {
  auto log = OpenLog({.segment_bytes = 2000, .index_interval_bytes = 100});
  for (int i = 0; i < 30; ++i) {
    clock_.Advance(absl::Seconds(1));
    AppendLeader(*log, 2);  // Timestamps now, now+1 ms.
  }
  const int64_t t0 = absl::ToUnixMillis(clock_.Now()) - 29'000;
  ASSERT_OK_AND_ASSIGN(std::optional<Offset> first, log->OffsetForTimestamp(0));
  EXPECT_EQ(first, Offset(0));
  ASSERT_OK_AND_ASSIGN(std::optional<Offset> mid, log->OffsetForTimestamp(t0 + 10'000));
  EXPECT_EQ(mid, Offset(20));
  ASSERT_OK_AND_ASSIGN(std::optional<Offset> between, log->OffsetForTimestamp(t0 + 10'500));
  EXPECT_EQ(between, Offset(22));
  // Inside a batch: its second record (t0 + 10001) is the first at or after the target.
  ASSERT_OK_AND_ASSIGN(std::optional<Offset> inside, log->OffsetForTimestamp(t0 + 10'001));
  EXPECT_EQ(inside, Offset(21));
  ASSERT_OK_AND_ASSIGN(std::optional<Offset> none, log->OffsetForTimestamp(t0 + 100'000));
  EXPECT_EQ(none, std::nullopt);
}

TEST_F(LogTest, FindsTheRecordWithTheLargestTimestamp) {
  auto log = OpenLog({.segment_bytes = 200});
  ASSERT_OK_AND_ASSIGN(auto empty, log->OffsetOfMaxTimestamp());
  EXPECT_EQ(empty, std::nullopt);
  // Timestamps out of order across batches and segments: 1000 1001 | 5000 5001 | 2000 2001.
  for (int64_t t : {1000, 5000, 2000}) {
    ASSERT_OK(log->Append(MakeBatch(2, t, 40), AppendOrigin::kLeader, LeaderEpoch(0)).status());
  }
  ASSERT_GT(log->SegmentCount(), 1u);
  ASSERT_OK_AND_ASSIGN(auto max, log->OffsetOfMaxTimestamp());
  ASSERT_TRUE(max.has_value());
  EXPECT_EQ(max->first, Offset(3));
  EXPECT_EQ(max->second, 5001);
}

TEST_F(LogTest, TruncateRemovesTheStraddlingBatchAndLaterSegments) {
  auto log = OpenLog({.segment_bytes = 600});
  for (int i = 0; i < 10; ++i) AppendLeader(*log, 3, i < 5 ? 1 : 2, 40);
  const size_t segments = log->SegmentCount();
  ASSERT_OK(log->TruncateTo(Offset(7)));  // Batch [6, 8] goes whole.
  EXPECT_EQ(log->LogEndOffset(), Offset(6));
  EXPECT_LT(log->SegmentCount(), segments);
  EXPECT_THAT(log->leader_epochs().entries(), ElementsAre(EpochEntry{LeaderEpoch(1), Offset(0)}));
  EXPECT_EQ(AppendLeader(*log, 1, 3), Offset(6));
  ASSERT_OK_AND_ASSIGN(ReadResult r, log->Read(Offset(6), 1 << 20));
  EXPECT_EQ(Batches(r.records)[0].leader_epoch, 3);
  EXPECT_THAT(log->TruncateTo(Offset(100)), IsOk());  // Past the end: nothing to do.
}

TEST_F(LogTest, DeleteRecordsMovesTheStartAndDropsWholeSegments) {
  auto log = OpenLog({.segment_bytes = 600});
  for (int i = 0; i < 10; ++i) AppendLeader(*log, 3, 0, 40);
  const size_t segments = log->SegmentCount();
  ASSERT_OK(log->DeleteRecordsBefore(Offset(16)));
  EXPECT_EQ(log->LogStartOffset(), Offset(16));
  EXPECT_LT(log->SegmentCount(), segments);
  EXPECT_THAT(log->Read(Offset(15), 100), StatusIs(absl::StatusCode::kOutOfRange));
  ASSERT_OK_AND_ASSIGN(ReadResult r, log->Read(Offset(16), 1));
  EXPECT_EQ(Batches(r.records)[0].base_offset, 15);  // The batch containing 16.
  EXPECT_THAT(log->DeleteRecordsBefore(Offset(31)), StatusIs(absl::StatusCode::kOutOfRange));
  // The start offset survives a reopen.
  ASSERT_OK(log->Close());
  log = OpenLog({.segment_bytes = 600});
  EXPECT_EQ(log->LogStartOffset(), Offset(16));
}

TEST_F(LogTest, RetentionByBytesKeepsTheActiveSegment) {
  auto log = OpenLog({.segment_bytes = 600, .retention_ms = -1, .retention_bytes = 1000});
  for (int i = 0; i < 20; ++i) AppendLeader(*log, 3, 0, 40);
  ASSERT_OK_AND_ASSIGN(int deleted, log->ApplyRetention());
  EXPECT_GT(deleted, 0);
  EXPECT_LE(log->SizeBytes(), 1000u + 600u);
  EXPECT_GT(log->LogStartOffset(), Offset(0));
  auto tiny = OpenLog({.retention_ms = -1, .retention_bytes = 0});
  EXPECT_EQ(tiny->SegmentCount(), log->SegmentCount());
}

TEST_F(LogTest, RetentionByTimeUsesTheLargestTimestampAndNeverTheActiveSegment) {
  auto log = OpenLog({.segment_bytes = 600, .retention_ms = 60'000});
  for (int i = 0; i < 6; ++i) AppendLeader(*log, 3, 0, 40);
  const size_t segments = log->SegmentCount();
  ASSERT_GT(segments, 1u);
  clock_.Advance(absl::Seconds(59));
  ASSERT_OK_AND_ASSIGN(int none, log->ApplyRetention());
  EXPECT_EQ(none, 0);
  clock_.Advance(absl::Seconds(2));
  ASSERT_OK_AND_ASSIGN(int all, log->ApplyRetention());
  EXPECT_EQ(static_cast<size_t>(all), segments - 1);
  EXPECT_EQ(log->SegmentCount(), 1u);
  EXPECT_EQ(log->LogEndOffset(), Offset(18));
}

TEST_F(LogTest, ChangedOptionsApplyToLaterRetention) {
  auto log = OpenLog({.segment_bytes = 600, .retention_ms = -1});
  for (int i = 0; i < 6; ++i) AppendLeader(*log, 3, 0, 40);
  const size_t segments = log->SegmentCount();
  ASSERT_GT(segments, 2u);
  ASSERT_OK_AND_ASSIGN(int none, log->ApplyRetention());
  EXPECT_EQ(none, 0);
  LogOptions changed = log->options();
  changed.retention_bytes = 1;  // Keep only what must stay: the active segment.
  log->SetOptions(changed);
  EXPECT_EQ(log->options(), changed);
  ASSERT_OK_AND_ASSIGN(int deleted, log->ApplyRetention());
  EXPECT_EQ(static_cast<size_t>(deleted), segments - 1);
  EXPECT_EQ(log->LogEndOffset(), Offset(18));
}

TEST_F(LogTest, CompactPolicySkipsRetention) {
  auto log = OpenLog({.segment_bytes = 600,
                      .retention_ms = -1,
                      .retention_bytes = 0,
                      .cleanup_policy = CleanupPolicy::kCompact});
  for (int i = 0; i < 10; ++i) AppendLeader(*log, 3, 0, 40);
  ASSERT_OK_AND_ASSIGN(int deleted, log->ApplyRetention());
  EXPECT_EQ(deleted, 0);
  EXPECT_EQ(log->LogStartOffset(), Offset(0));
}

TEST_F(LogTest, OpenFilesStayBoundedHoweverManySegmentsAreRead) {
  auto log = OpenLog({.segment_bytes = 300});
  for (int i = 0; i < 60; ++i) AppendLeader(*log, 2, 0, 40);
  ASSERT_OK(log->Close());
  log = OpenLog({.segment_bytes = 300});
  ASSERT_GT(log->SegmentCount(), 20u);
  EXPECT_LE(log->OpenSegmentCount(), 1u);  // A clean open touches only the active segment.
  for (int64_t o = 0; o < 120; o += 2) {
    ASSERT_OK(log->Read(Offset(o), 1).status());
    ASSERT_LE(log->OpenSegmentCount(), 3u) << "after reading offset " << o;
  }
}

TEST_F(LogTest, FlushPolicies) {
  auto log = OpenLog({.flush_messages = 5, .flush_ms = 1000});
  const int64_t syncs = fs_.SyncCount();
  AppendLeader(*log, 3);
  EXPECT_EQ(fs_.SyncCount(), syncs);
  AppendLeader(*log, 3);  // 6 unflushed >= 5.
  EXPECT_GT(fs_.SyncCount(), syncs);
  EXPECT_EQ(log->RecoveryPoint(), Offset(6));
  AppendLeader(*log, 1);
  ASSERT_OK(log->MaybeFlushOnTime());
  EXPECT_EQ(log->RecoveryPoint(), Offset(6));
  clock_.Advance(absl::Seconds(1));
  ASSERT_OK(log->MaybeFlushOnTime());
  EXPECT_EQ(log->RecoveryPoint(), Offset(7));
  ASSERT_OK(log->Append(MakeBatch(1, 0), AppendOrigin::kLeader, LeaderEpoch(0),
                        Durability::kSyncBeforeReturn)
                .status());
  EXPECT_EQ(log->RecoveryPoint(), Offset(8));
}

TEST_F(LogTest, CleanCloseAndReopenKeepsEverything) {
  auto log = OpenLog({.segment_bytes = 600});
  for (int i = 0; i < 10; ++i) AppendLeader(*log, 3, i, 40);
  ASSERT_OK(log->Close());
  EXPECT_THAT(log->Append(MakeBatch(1, 0), AppendOrigin::kLeader, LeaderEpoch(0)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(bool marker, fs_.Exists(std::string(kDir) + "/clean-shutdown"));
  EXPECT_TRUE(marker);
  log = OpenLog({.segment_bytes = 600});
  ASSERT_OK_AND_ASSIGN(bool marker_after, fs_.Exists(std::string(kDir) + "/clean-shutdown"));
  EXPECT_FALSE(marker_after);
  EXPECT_EQ(log->LogEndOffset(), Offset(30));
  EXPECT_EQ(log->RecoveryPoint(), Offset(30));
  EXPECT_EQ(log->leader_epochs().entries().size(), 10u);
  EXPECT_EQ(AppendLeader(*log, 1, 10), Offset(30));
  ASSERT_OK_AND_ASSIGN(ReadResult r, log->Read(Offset(14), 1));
  EXPECT_EQ(Batches(r.records)[0].base_offset, 12);
}

TEST_F(LogTest, PublishesMetrics) {
  auto registry = std::make_shared<prometheus::Registry>();
  LogMetrics metrics(*registry, "orders-0");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> log,
                       Log::Open(kDir, {.segment_bytes = 600}, fs_, clock_, &metrics));
  for (int i = 0; i < 10; ++i) AppendLeader(*log, 3, 0, 40);
  ASSERT_OK(log->Flush());
  const std::string text = prometheus::TextSerializer().Serialize(registry->Collect());
  EXPECT_THAT(text, HasSubstr("karst_log_segments{partition=\"orders-0\"} " +
                              std::to_string(log->SegmentCount())));
  EXPECT_THAT(text, HasSubstr("karst_log_size_bytes{partition=\"orders-0\"} " +
                              std::to_string(log->SizeBytes())));
  EXPECT_THAT(text, HasSubstr("karst_log_append_latency_seconds_count{partition=\"orders-0\"} 10"));
  EXPECT_THAT(text, HasSubstr("karst_log_flush_latency_seconds_count"));
  EXPECT_THAT(text, HasSubstr("karst_log_recovery_seconds"));
}

}  // namespace
}  // namespace karst::storage

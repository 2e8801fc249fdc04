// Crash and corruption recovery through FakeFileSystem: torn writes cut at every byte of the
// last batch, flipped bytes, damaged or missing indexes, lost unsynced data. Each recovers
// exactly the valid prefix, and every batch appended with sync before a crash survives.
#include "absl/strings/str_cat.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/record/record_batch.h"
#include "prometheus/registry.h"
#include "storage/log.h"
#include "storage/segment.h"
#include "storage/testing/fake_file_system.h"
#include "storage/testing/log_test_util.h"

namespace karst::storage {
namespace {

using ::karst::testing::FakeClock;
using ::karst::testing::StatusIs;
using testing::Batches;
using testing::CrashMode;
using testing::FakeFileSystem;
using ::testing::HasSubstr;
using testing::MakeBatch;

constexpr char kDir[] = "/data/t-0";

class LogCrashTest : public ::testing::Test {
 protected:
  std::string SegmentFile(int64_t base, const char* ext) const {
    return dir_ + "/" + SegmentName(base) + ext;
  }

  std::unique_ptr<Log> OpenLog(LogOptions options = {}) {
    absl::StatusOr<std::unique_ptr<Log>> log = Log::Open(dir_, options, fs_, clock_);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }

  // Appends `count` batches of 3 records, synced before returning.
  void AppendSynced(Log& log, int count, size_t value_bytes = 30) {
    for (int i = 0; i < count; ++i) {
      ASSERT_OK(log.Append(MakeBatch(3, 1000 + i, value_bytes), AppendOrigin::kLeader,
                           LeaderEpoch(1), Durability::kSyncBeforeReturn)
                    .status());
    }
  }

  // Every offset in [start, end) reads back from the batch that holds it.
  void ExpectReadable(const Log& log, int64_t start, int64_t end) {
    for (int64_t o = start; o < end; ++o) {
      absl::StatusOr<ReadResult> r = log.Read(Offset(o), 1);
      ASSERT_TRUE(r.ok()) << "offset " << o << ": " << r.status();
      auto batches = Batches(r->records);
      ASSERT_EQ(batches.size(), 1u) << o;
      EXPECT_LE(batches[0].base_offset, o);
      EXPECT_GE(batches[0].last_offset, o);
    }
  }

  FakeFileSystem fs_;
  FakeClock clock_;
  std::string dir_ = kDir;  // A fresh one per scenario in looping tests.
};

TEST_F(LogCrashTest, TornLastBatchIsCutAtEveryByte) {
  const std::string last = MakeBatch(4, 5000, 50);
  for (uint64_t keep = 0; keep <= last.size(); ++keep) {
    dir_ = absl::StrCat(kDir, "-torn-", keep);
    auto log = OpenLog();
    AppendSynced(*log, 5);
    ASSERT_OK(log->Append(last, AppendOrigin::kLeader, LeaderEpoch(1)).status());
    fs_.Crash(CrashMode::TornWrite(keep));
    log.reset();
    log = OpenLog();
    const int64_t expected_end = keep == last.size() ? 19 : 15;
    ASSERT_EQ(log->LogEndOffset(), Offset(expected_end)) << "kept " << keep << " bytes";
    ExpectReadable(*log, 0, expected_end);
    // The log goes on from the valid prefix.
    ASSERT_OK_AND_ASSIGN(AppendResult r,
                         log->Append(MakeBatch(1, 9000), AppendOrigin::kLeader, LeaderEpoch(2)));
    EXPECT_EQ(r.first_offset, Offset(expected_end));
  }
}

TEST_F(LogCrashTest, LostUnsyncedDataNeverTakesSyncedBatches) {
  auto log = OpenLog({.segment_bytes = 700});
  AppendSynced(*log, 8);
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(log->Append(MakeBatch(3, 2000), AppendOrigin::kLeader, LeaderEpoch(1)).status());
  }
  fs_.Crash(CrashMode::DropUnsynced());
  log.reset();
  log = OpenLog({.segment_bytes = 700});
  EXPECT_GE(log->LogEndOffset(), Offset(24));
  ExpectReadable(*log, 0, log->LogEndOffset().value());
}

TEST_F(LogCrashTest, AProcessCrashKeepsEverythingThePageCacheHeld) {
  auto log = OpenLog({.segment_bytes = 700});
  AppendSynced(*log, 2);
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK(log->Append(MakeBatch(3, 2000), AppendOrigin::kLeader, LeaderEpoch(2)).status());
  }
  fs_.Crash(CrashMode::KeepUnsynced());
  log.reset();
  log = OpenLog({.segment_bytes = 700});
  EXPECT_EQ(log->LogEndOffset(), Offset(36));
  ExpectReadable(*log, 0, 36);
  EXPECT_EQ(log->leader_epochs().LatestEpoch(), LeaderEpoch(2));
}

TEST_F(LogCrashTest, FlippedByteInTheActiveSegmentTruncatesFromThatBatch) {
  auto log = OpenLog();
  AppendSynced(*log, 6);
  log.reset();  // An unclean stop: no clean-shutdown marker.
  ASSERT_OK_AND_ASSIGN(std::string content, fs_.GetContent(SegmentFile(0, ".log")));
  const size_t batch = content.size() / 6;
  ASSERT_OK(fs_.FlipByte(SegmentFile(0, ".log"), 3 * batch + 70, 0x10));
  ASSERT_OK(fs_.WriteFileAtomically(dir_ + "/recovery-point", "0\n"));
  log = OpenLog();
  EXPECT_EQ(log->LogEndOffset(), Offset(9));
  ExpectReadable(*log, 0, 9);
  ASSERT_OK_AND_ASSIGN(uint64_t size, fs_.FileSize(SegmentFile(0, ".log")));
  EXPECT_EQ(size, 3 * batch);
}

TEST_F(LogCrashTest, CorruptClosedSegmentIsReportedAndNotServedPast) {
  auto registry = std::make_shared<prometheus::Registry>();
  LogMetrics metrics(*registry, "t-0");
  LogOptions options{.segment_bytes = 700};
  auto log = OpenLog(options);
  AppendSynced(*log, 12);
  ASSERT_GT(log->SegmentCount(), 2u);
  log.reset();
  // Damage the third batch of the first segment and make recovery scan it.
  ASSERT_OK_AND_ASSIGN(std::string content, fs_.GetContent(SegmentFile(0, ".log")));
  ASSERT_OK_AND_ASSIGN(auto header, kafka::record::ParseBatchHeader(content));
  ASSERT_OK(fs_.FlipByte(SegmentFile(0, ".log"), 2 * header.size() + 80, 0x01));
  ASSERT_OK(fs_.WriteFileAtomically(dir_ + "/recovery-point", "0\n"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Log> reopened,
                       Log::Open(kDir, options, fs_, clock_, &metrics));
  EXPECT_EQ(reopened->CorruptFrom(), Offset(6));
  EXPECT_EQ(metrics.corrupt_batches.Value(), 1);
  ExpectReadable(*reopened, 0, 6);
  EXPECT_THAT(reopened->Read(Offset(6), 100),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("corrupt batch at offset 6")));
  EXPECT_THAT(reopened->Read(Offset(30), 100), StatusIs(absl::StatusCode::kDataLoss));
  // The damaged bytes stay on disk for inspection: recovery did not cut a closed segment.
  ASSERT_OK_AND_ASSIGN(std::string after, fs_.GetContent(SegmentFile(0, ".log")));
  EXPECT_EQ(after.size(), content.size());
}

TEST_F(LogCrashTest, MissingTruncatedOrGarbageIndexesAreRebuilt) {
  LogOptions options{.segment_bytes = 2000, .index_interval_bytes = 100};
  for (int damage = 0; damage < 3; ++damage) {
    dir_ = absl::StrCat(kDir, "-damage-", damage);
    auto log = OpenLog(options);
    AppendSynced(*log, 30);
    ASSERT_OK(log->Close());
    log.reset();
    for (int64_t base : {int64_t{0}}) {
      const std::string index = SegmentFile(base, ".index");
      const std::string time = SegmentFile(base, ".timeindex");
      if (damage == 0) {
        ASSERT_OK(fs_.DeleteRaw(index));
        ASSERT_OK(fs_.DeleteRaw(time));
      } else if (damage == 1) {
        ASSERT_OK_AND_ASSIGN(uint64_t size, fs_.FileSize(index));
        ASSERT_GT(size, 8u);
        ASSERT_OK(fs_.TruncateRaw(index, size - 3));
      } else {
        ASSERT_OK(fs_.SetContent(index, std::string(64, '\x7f')));
      }
    }
    log = OpenLog(options);
    ASSERT_EQ(log->LogEndOffset(), Offset(90)) << "damage " << damage;
    ExpectReadable(*log, 0, 90);
    ASSERT_OK_AND_ASSIGN(std::optional<Offset> ts, log->OffsetForTimestamp(1010));
    EXPECT_EQ(ts, Offset(26)) << "damage " << damage;  // Batch 8 holds 1008..1010 at 24..26.
  }
}

TEST_F(LogCrashTest, CleanMarkerOverADamagedTailStillRecovers) {
  auto log = OpenLog();
  AppendSynced(*log, 4);
  ASSERT_OK(log->Close());
  log.reset();
  ASSERT_OK_AND_ASSIGN(uint64_t size, fs_.FileSize(SegmentFile(0, ".log")));
  ASSERT_OK(fs_.TruncateRaw(SegmentFile(0, ".log"), size - 10));
  log = OpenLog();
  EXPECT_EQ(log->LogEndOffset(), Offset(9));
  ExpectReadable(*log, 0, 9);
}

TEST_F(LogCrashTest, CrashRightAfterARollKeepsTheClosedSegment) {
  LogOptions options{.segment_bytes = 500};
  auto log = OpenLog(options);
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK(log->Append(MakeBatch(3, 1000, 30), AppendOrigin::kLeader, LeaderEpoch(1)).status());
  }
  ASSERT_GT(log->SegmentCount(), 2u);
  fs_.Crash(CrashMode::DropUnsynced());
  log.reset();
  log = OpenLog(options);
  // Rolling synced every closed segment; only the active segment's unsynced tail is gone.
  EXPECT_GE(log->SegmentCount(), 2u);
  ExpectReadable(*log, 0, log->LogEndOffset().value());
  EXPECT_GT(log->LogEndOffset(), Offset(0));
}

TEST_F(LogCrashTest, AFailedFsyncTakesTheLogOfflineUntilReopened) {
  auto log = OpenLog();
  AppendSynced(*log, 2);
  ASSERT_OK(log->Append(MakeBatch(1, 0), AppendOrigin::kLeader, LeaderEpoch(1)).status());
  fs_.FailNext(FakeFileSystem::Op::kSync, absl::InternalError("injected: fsync failed"));
  EXPECT_THAT(log->Flush(), StatusIs(absl::StatusCode::kInternal, HasSubstr("fsync failed")));
  // The kernel may have dropped the dirty pages: no later fsync may vouch for them.
  EXPECT_THAT(log->Flush(), StatusIs(absl::StatusCode::kInternal, HasSubstr("offline")));
  EXPECT_THAT(log->Append(MakeBatch(1, 0), AppendOrigin::kLeader, LeaderEpoch(1)),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("offline")));
  EXPECT_EQ(log->RecoveryPoint(), Offset(6));
  log.reset();
  auto reopened = OpenLog();
  ExpectReadable(*reopened, 0, reopened->LogEndOffset().value());
}

TEST_F(LogCrashTest, AFailedAppendTakesTheLogOfflineUntilReopened) {
  auto log = OpenLog();
  AppendSynced(*log, 2);
  fs_.FailNext(FakeFileSystem::Op::kAppend, absl::InternalError("injected: disk gone"));
  EXPECT_THAT(log->Append(MakeBatch(1, 0), AppendOrigin::kLeader, LeaderEpoch(1)),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("disk gone")));
  // Offline now: no write may land after a possibly partial batch.
  EXPECT_THAT(log->Append(MakeBatch(1, 0), AppendOrigin::kLeader, LeaderEpoch(1)),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("offline after an I/O error")));
  EXPECT_THAT(log->TruncateTo(Offset(1)), StatusIs(absl::StatusCode::kInternal));
  ExpectReadable(*log, 0, 6);  // What was appended before stays readable.
  log.reset();
  auto recovered = OpenLog();
  EXPECT_EQ(recovered->LogEndOffset(), Offset(6));
  ASSERT_OK(recovered->Append(MakeBatch(1, 0), AppendOrigin::kLeader, LeaderEpoch(1)).status());
}

TEST_F(LogCrashTest, AFailedEpochCheckpointStillMovesTheEndSoOffsetsAreNeverReused) {
  auto log = OpenLog();
  AppendSynced(*log, 1);
  fs_.FailNext(FakeFileSystem::Op::kWriteAtomic, absl::InternalError("injected: no space"));
  // A new epoch: the checkpoint write fails after the batch reached the segment.
  EXPECT_THAT(log->Append(MakeBatch(2, 0), AppendOrigin::kLeader, LeaderEpoch(2)),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("no space")));
  EXPECT_EQ(log->LogEndOffset(), Offset(5));
  EXPECT_THAT(log->Append(MakeBatch(1, 0), AppendOrigin::kLeader, LeaderEpoch(2)),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("offline")));
  log.reset();
  auto reopened = OpenLog();
  EXPECT_EQ(reopened->LogEndOffset(), Offset(5));
  ExpectReadable(*reopened, 0, 5);
}

TEST_F(LogCrashTest, AnOpenFailureNamesTheLog) {
  fs_.FailNext(FakeFileSystem::Op::kOpen, absl::InternalError("injected: cannot open"));
  EXPECT_THAT(Log::Open(kDir, {}, fs_, clock_),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("log /data/t-0")));
}

TEST_F(LogCrashTest, BatchesWhoseCountAndOffsetsDisagreeAreRefused) {
  auto log = OpenLog();
  std::string batch = MakeBatch(2, 0);
  // lastOffsetDelta = 2^31 - 1 with two records: the log end must not jump.
  for (int i = 0; i < 4; ++i) batch[23 + i] = i == 0 ? '\x7f' : '\xff';
  const uint32_t crc = kafka::record::ComputeBatchCrc(batch);
  for (int i = 0; i < 4; ++i) batch[17 + i] = static_cast<char>(crc >> (24 - 8 * i));
  EXPECT_THAT(log->Append(batch, AppendOrigin::kLeader, LeaderEpoch(1)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lastOffsetDelta")));
  EXPECT_EQ(log->LogEndOffset(), Offset(0));
}

}  // namespace
}  // namespace karst::storage

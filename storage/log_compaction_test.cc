// Log::Compact end to end on FakeFileSystem: the latest value per key survives with its
// offset, tombstones expire after delete.retention.ms, the active segment and segments past
// the high watermark or min.compaction.lag.ms stay untouched, and min.cleanable.dirty.ratio
// decides when a cleaning runs.
#include <map>

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

namespace rec = ::karst::kafka::record;
using ::karst::testing::FakeClock;
using testing::FakeFileSystem;
using testing::KeyValues;
using testing::MakeKeyedBatch;
using testing::ReadRecord;

constexpr char kDir[] = "/data/compacted-0";

class LogCompactionTest : public ::testing::Test {
 protected:
  static LogOptions Compacted() {
    return {.segment_ms = 1000, .cleanup_policy = CleanupPolicy::kCompact};
  }

  std::unique_ptr<Log> OpenLog(LogOptions options, LogMetrics* metrics = nullptr) {
    absl::StatusOr<std::unique_ptr<Log>> log = Log::Open(dir_, options, fs_, clock_, metrics);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }

  int64_t NowMs() { return absl::ToUnixMillis(clock_.Now()); }

  // Appends one batch and records each key's latest (offset, value).
  Offset Put(Log& log, const KeyValues& records, rec::Compression codec = rec::Compression::kNone) {
    absl::StatusOr<AppendResult> r =
        log.Append(MakeKeyedBatch(records, NowMs(), codec), AppendOrigin::kLeader, LeaderEpoch(1));
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return Offset(-1);
    for (size_t i = 0; i < records.size(); ++i) {
      if (records[i].first.has_value()) {
        latest_[*records[i].first] = {r->first_offset.value() + static_cast<int64_t>(i),
                                      records[i].second};
      }
    }
    return r->first_offset;
  }

  // The next append starts a new segment (segment.ms passed).
  void Roll() { clock_.Advance(absl::Seconds(2)); }

  // Closes every segment written so far: what follows goes to a new active segment.
  // Sentinels have keys of their own, so each one stays.
  void CloseWithSentinel(Log& log) {
    Roll();
    Put(log, {{absl::StrCat("sentinel-", sentinels_++), "s"}});
  }

  static std::vector<ReadRecord> ReadAll(const Log& log) {
    std::vector<ReadRecord> all;
    Offset offset = log.LogStartOffset();
    while (offset < log.LogEndOffset()) {
      absl::StatusOr<ReadResult> r = log.Read(offset, 1 << 20);
      EXPECT_TRUE(r.ok()) << "offset " << offset.value() << ": " << r.status();
      if (!r.ok() || r->next_offset <= offset) break;
      for (ReadRecord& record : testing::DecodeAll(r->records)) all.push_back(std::move(record));
      offset = r->next_offset;
    }
    return all;
  }

  // Exactly one record per key, the latest written, in strictly increasing offsets.
  void ExpectOnlyLatest(const Log& log) {
    const std::vector<ReadRecord> all = ReadAll(log);
    std::map<std::string, std::pair<int64_t, std::optional<std::string>>> seen;
    int64_t previous = -1;
    for (const ReadRecord& r : all) {
      EXPECT_GT(r.offset, previous);
      previous = r.offset;
      ASSERT_TRUE(r.key.has_value());
      EXPECT_TRUE(seen.emplace(*r.key, std::make_pair(r.offset, r.value)).second)
          << "key " << *r.key << " appears twice";
    }
    EXPECT_EQ(seen, latest_);
  }

  FakeFileSystem fs_;
  FakeClock clock_;
  std::string dir_ = kDir;
  std::map<std::string, std::pair<int64_t, std::optional<std::string>>> latest_;
  int sentinels_ = 0;
};

TEST_F(LogCompactionTest, ManyUpdatesPerKeyLeaveTheLatestValueAtItsOffset) {
  auto registry = std::make_shared<prometheus::Registry>();
  LogMetrics metrics(*registry, "compacted-0");
  auto log = OpenLog(Compacted(), &metrics);
  for (int round = 0; round < 20; ++round) {
    if (round % 5 == 0) Roll();
    KeyValues batch;
    for (int k = 0; k < 10; ++k) batch.push_back({absl::StrCat("k", k), absl::StrCat(round)});
    Put(*log, batch);
  }
  CloseWithSentinel(*log);
  const size_t segments = log->SegmentCount();
  ASSERT_GE(segments, 5u);
  ASSERT_OK_AND_ASSIGN(CompactionResult r, log->Compact());
  EXPECT_TRUE(r.cleaned);
  // Emptied segments go, except the first (the log start stays where it was).
  EXPECT_EQ(r.segments_deleted, static_cast<int>(segments) - 3);
  EXPECT_EQ(log->SegmentCount(), 3u);
  EXPECT_EQ(r.records_removed, 190);
  EXPECT_LT(r.bytes_after, r.bytes_before);
  EXPECT_EQ(metrics.cleaner_runs.Value(), 1);
  EXPECT_EQ(metrics.cleaner_records_removed.Value(), 190);
  // Offsets never move: the ends stay and each survivor keeps its own.
  EXPECT_EQ(log->LogStartOffset(), Offset(0));
  EXPECT_EQ(log->LogEndOffset(), Offset(201));
  ExpectOnlyLatest(*log);
  // A read at a cleaned offset starts at the next surviving batch.
  ASSERT_OK_AND_ASSIGN(ReadResult first, log->Read(Offset(0), 1));
  ASSERT_FALSE(testing::DecodeAll(first.records).empty());
  EXPECT_EQ(testing::DecodeAll(first.records).front().offset, 190);
  // The compacted log reopens, cleanly or not, with its gaps.
  ASSERT_OK(log->Close());
  log = OpenLog(Compacted());
  ExpectOnlyLatest(*log);
  log.reset();
  log = OpenLog(Compacted());
  ExpectOnlyLatest(*log);
}

TEST_F(LogCompactionTest, TombstonesGoOnlyAfterDeleteRetention) {
  LogOptions options = Compacted();
  options.delete_retention_ms = 10'000;
  auto log = OpenLog(options);
  Put(*log, {{"a", "1"}, {"b", "1"}});
  Put(*log, {{"a", std::nullopt}});
  CloseWithSentinel(*log);
  ASSERT_OK_AND_ASSIGN(CompactionResult first, log->Compact());
  EXPECT_TRUE(first.cleaned);
  EXPECT_EQ(first.tombstones_removed, 0);
  ExpectOnlyLatest(*log);  // The tombstone for a is what remains of a.

  clock_.Advance(absl::Milliseconds(9'999));
  ASSERT_OK_AND_ASSIGN(CompactionResult early, log->Compact());
  EXPECT_FALSE(early.cleaned);
  // The horizon survives a restart (it is in the batch and the cleaner checkpoint).
  ASSERT_OK(log->Close());
  log = OpenLog(options);
  ExpectOnlyLatest(*log);

  clock_.Advance(absl::Milliseconds(1));
  ASSERT_OK_AND_ASSIGN(CompactionResult late, log->Compact());
  EXPECT_TRUE(late.cleaned);
  EXPECT_EQ(late.tombstones_removed, 1);
  latest_.erase("a");
  ExpectOnlyLatest(*log);
}

TEST_F(LogCompactionTest, CompactAndDeleteAppliesRetentionAndCompaction) {
  LogOptions options = Compacted();
  options.cleanup_policy = CleanupPolicy::kCompactAndDelete;
  options.retention_ms = 60'000;
  auto log = OpenLog(options);
  Put(*log, {{"old", "1"}});
  clock_.Advance(absl::Seconds(100));
  const Offset kept_from = Put(*log, {{"a", "1"}, {"b", "1"}});
  Put(*log, {{"a", "2"}, {"b", "2"}});
  CloseWithSentinel(*log);
  ASSERT_OK_AND_ASSIGN(int deleted, log->ApplyRetention());
  EXPECT_EQ(deleted, 1);
  EXPECT_EQ(log->LogStartOffset(), kept_from);
  latest_.erase("old");
  ASSERT_OK_AND_ASSIGN(CompactionResult r, log->Compact());
  EXPECT_EQ(r.records_removed, 2);
  ExpectOnlyLatest(*log);
}

TEST_F(LogCompactionTest, RetentionDropsAFrontSegmentCompactionEmptied) {
  LogOptions options = Compacted();
  options.cleanup_policy = CleanupPolicy::kCompactAndDelete;
  auto log = OpenLog(options);  // retention.ms of a week: nothing is old enough.
  Put(*log, {{"a", "1"}});
  Roll();
  Put(*log, {{"a", "2"}});
  CloseWithSentinel(*log);
  ASSERT_OK_AND_ASSIGN(CompactionResult r, log->Compact());
  EXPECT_EQ(r.records_removed, 1);
  EXPECT_EQ(log->LogStartOffset(), Offset(0));  // The emptied first segment stays...
  ASSERT_OK_AND_ASSIGN(int deleted, log->ApplyRetention());
  EXPECT_EQ(deleted, 1);  // ...until retention, which a segment without timestamps never blocks.
  EXPECT_EQ(log->LogStartOffset(), Offset(1));
  ExpectOnlyLatest(*log);
}

TEST_F(LogCompactionTest, TheActiveSegmentIsNeverCleaned) {
  auto log = OpenLog(Compacted());
  for (int i = 0; i < 5; ++i) Put(*log, {{"a", absl::StrCat(i)}});
  ASSERT_OK_AND_ASSIGN(CompactionResult alone, log->Compact());
  EXPECT_FALSE(alone.cleaned);
  EXPECT_EQ(ReadAll(*log).size(), 5u);

  Roll();
  for (int i = 5; i < 10; ++i) Put(*log, {{"a", absl::StrCat(i)}});
  const std::string active = absl::StrCat(kDir, "/", SegmentName(5), ".log");
  ASSERT_OK_AND_ASSIGN(std::string before, fs_.GetContent(active));
  ASSERT_OK_AND_ASSIGN(CompactionResult r, log->Compact());
  EXPECT_TRUE(r.cleaned);
  // Only what the dirty section itself supersedes (Kafka's offset map stops at the first
  // uncleanable offset): a=4 stays although the active segment updates it.
  EXPECT_EQ(r.records_removed, 4);
  ASSERT_OK_AND_ASSIGN(std::string after, fs_.GetContent(active));
  EXPECT_EQ(after, before);
  EXPECT_EQ(ReadAll(*log).size(), 6u);
}

TEST_F(LogCompactionTest, DirtyRatioBelowTheMinimumWaits) {
  auto log = OpenLog(Compacted());  // min.cleanable.dirty.ratio 0.5
  KeyValues big;
  for (int k = 0; k < 10; ++k) big.push_back({absl::StrCat("k", k), std::string(200, 'x')});
  Put(*log, big);
  CloseWithSentinel(*log);
  ASSERT_OK_AND_ASSIGN(CompactionResult all_dirty, log->Compact());
  EXPECT_TRUE(all_dirty.cleaned);
  EXPECT_DOUBLE_EQ(all_dirty.dirty_ratio, 1.0);
  EXPECT_EQ(log->FirstDirtyOffset(), Offset(10));

  Put(*log, {{"k0", "small"}});  // Beside the sentinel.
  CloseWithSentinel(*log);
  ASSERT_OK_AND_ASSIGN(CompactionResult waits, log->Compact());
  EXPECT_FALSE(waits.cleaned);
  EXPECT_GT(waits.dirty_ratio, 0);
  EXPECT_LT(waits.dirty_ratio, 0.5);
  EXPECT_EQ(ReadAll(*log).size(), 13u);  // The old k0 is still there.

  KeyValues update;
  for (int k = 1; k < 10; ++k) update.push_back({absl::StrCat("k", k), std::string(300, 'y')});
  Put(*log, update);
  CloseWithSentinel(*log);
  ASSERT_OK_AND_ASSIGN(CompactionResult cleans, log->Compact());
  EXPECT_TRUE(cleans.cleaned);
  EXPECT_GE(cleans.dirty_ratio, 0.5);
  ExpectOnlyLatest(*log);
}

TEST_F(LogCompactionTest, SegmentsPastTheHighWatermarkOrTooYoungWait) {
  LogOptions options = Compacted();
  options.min_compaction_lag_ms = 60'000;
  options.min_cleanable_dirty_ratio = 0.1;
  auto log = OpenLog(options);
  Put(*log, {{"a", "1"}, {"a", "2"}});
  Roll();
  Put(*log, {{"a", "3"}});
  CloseWithSentinel(*log);
  ASSERT_OK_AND_ASSIGN(CompactionResult young, log->Compact());
  EXPECT_FALSE(young.cleaned);

  clock_.Advance(absl::Seconds(60));
  // Only the first segment, [0, 2), lies wholly below a high watermark of 2.
  ASSERT_OK_AND_ASSIGN(CompactionResult partial, log->Compact(Offset(2)));
  EXPECT_TRUE(partial.cleaned);
  EXPECT_EQ(partial.records_removed, 1);
  EXPECT_EQ(ReadAll(*log).size(), 3u);  // a=2, a=3, sentinel.

  ASSERT_OK_AND_ASSIGN(CompactionResult rest, log->Compact());
  EXPECT_TRUE(rest.cleaned);
  ExpectOnlyLatest(*log);
}

TEST_F(LogCompactionTest, CompressedBatchesAreCleanedUnderEveryCodec) {
  for (rec::Compression codec : {rec::Compression::kGzip, rec::Compression::kSnappy,
                                 rec::Compression::kLz4, rec::Compression::kZstd}) {
    SCOPED_TRACE(rec::CompressionName(codec));
    dir_ = absl::StrCat(kDir, "-", rec::CompressionName(codec));
    latest_.clear();
    auto log = OpenLog(Compacted());
    for (int round = 0; round < 6; ++round) {
      if (round % 2 == 0) Roll();
      Put(*log,
          {{"a", absl::StrCat("a", round)},
           {"b", absl::StrCat("b", round)},
           {"c", absl::StrCat("c", round)}},
          codec);
    }
    Put(*log, {{"a", "last"}}, codec);
    CloseWithSentinel(*log);
    ASSERT_OK_AND_ASSIGN(CompactionResult r, log->Compact());
    EXPECT_TRUE(r.cleaned);
    ExpectOnlyLatest(*log);
    // Every batch but the sentinel's keeps its codec.
    const int64_t sentinel = log->LogEndOffset().value() - 1;
    int batches = 0;
    for (Offset o = log->LogStartOffset(); o < log->LogEndOffset();) {
      ASSERT_OK_AND_ASSIGN(ReadResult read, log->Read(o, 1 << 20));
      absl::string_view rest = read.records;
      while (true) {
        ASSERT_OK_AND_ASSIGN(std::optional<absl::string_view> batch, rec::NextBatch(rest, 1 << 30));
        if (!batch.has_value()) break;
        ASSERT_OK_AND_ASSIGN(rec::BatchHeader h, rec::ParseBatchHeader(*batch));
        if (h.base_offset == sentinel) continue;
        EXPECT_EQ(h.compression(), codec);
        ++batches;
      }
      o = read.next_offset;
    }
    EXPECT_GT(batches, 0);
  }
}

TEST_F(LogCompactionTest, DeletePolicyNeverCompacts) {
  auto log = OpenLog({.segment_ms = 1000});
  Put(*log, {{"a", "1"}, {"a", "2"}});
  CloseWithSentinel(*log);
  ASSERT_OK_AND_ASSIGN(CompactionResult r, log->Compact());
  EXPECT_FALSE(r.cleaned);
  EXPECT_EQ(ReadAll(*log).size(), 3u);
}

}  // namespace
}  // namespace karst::storage

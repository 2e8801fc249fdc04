// Crashes during compaction: the file system stops after every possible number of changes
// (mid .cleaned write, before and after the rename to .swap, between the index deletions
// and the final rename, during the index rebuild), then the machine crashes. Reopening must
// leave each segment either as it was or as cleaned, lose no latest value, leave no
// .cleaned or .swap file behind, and a second cleaning must converge.
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "storage/log.h"
#include "storage/segment.h"
#include "storage/testing/fake_file_system.h"
#include "storage/testing/log_test_util.h"

namespace karst::storage {
namespace {

using ::karst::testing::FakeClock;
using testing::CrashMode;
using testing::FakeFileSystem;
using testing::KeyValues;
using testing::MakeKeyedBatch;
using testing::ReadRecord;

constexpr char kDir[] = "/data/crash-0";
const LogOptions kOptions{
    .segment_ms = 1000, .cleanup_policy = CleanupPolicy::kCompact, .delete_retention_ms = 60'000};

// Every record from the log start, in order.
std::vector<ReadRecord> ReadAll(const Log& log) {
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

// One scenario: a log with updates over three closed segments, built the same way each
// time (its own clock), so that cleaned segments come out byte for byte the same.
struct Scenario {
  FakeClock clock;
  std::vector<ReadRecord> written;
  std::map<std::string, ReadRecord> latest;
  std::vector<int64_t> closed;  // Base offsets of the closed segments.

  std::unique_ptr<Log> Fill(FakeFileSystem& fs, const std::string& dir) {
    auto log = *Log::Open(dir, kOptions, fs, clock);
    for (int round = 0; round < 9; ++round) {
      if (round % 3 == 0) {
        // segment.ms passed: this append starts a new segment (the first one is empty).
        if (round > 0) clock.Advance(absl::Seconds(2));
        closed.push_back(log->LogEndOffset().value());
      }
      KeyValues batch = {{"a", absl::StrCat("a", round)}, {absl::StrCat("k", round), "v"}};
      if (round == 4) batch.push_back({"b", std::nullopt});  // A tombstone.
      Append(*log, batch);
    }
    clock.Advance(absl::Seconds(2));
    Append(*log, {{"sentinel", "s"}});
    return log;
  }

  void Append(Log& log, const KeyValues& records) {
    const int64_t now = absl::ToUnixMillis(clock.Now());
    absl::StatusOr<AppendResult> r = log.Append(MakeKeyedBatch(records, now), AppendOrigin::kLeader,
                                                LeaderEpoch(1), Durability::kSyncBeforeReturn);
    ASSERT_TRUE(r.ok()) << r.status();
    for (size_t i = 0; i < records.size(); ++i) {
      ReadRecord rec{r->first_offset.value() + static_cast<int64_t>(i),
                     now + static_cast<int64_t>(i), records[i].first, records[i].second};
      written.push_back(rec);
      latest[*rec.key] = rec;
    }
  }
};

std::map<int64_t, std::string> SegmentFiles(FakeFileSystem& fs, const std::string& dir,
                                            const std::vector<int64_t>& bases) {
  std::map<int64_t, std::string> files;
  for (int64_t base : bases) {
    files[base] = *fs.GetContent(absl::StrCat(dir, "/", SegmentName(base), ".log"));
  }
  return files;
}

void CheckRecovered(const Log& log, const Scenario& s) {
  std::set<std::pair<int64_t, std::optional<std::string>>> written;
  for (const ReadRecord& r : s.written) written.insert({r.offset, r.value});
  std::map<std::string, ReadRecord> last_seen;
  int64_t previous = -1;
  for (const ReadRecord& r : ReadAll(log)) {
    EXPECT_GT(r.offset, previous);
    previous = r.offset;
    EXPECT_TRUE(written.contains({r.offset, r.value})) << "offset " << r.offset;
    last_seen[*r.key] = r;
  }
  // Every latest value is there (a tombstone too: delete.retention.ms has not passed).
  for (const auto& [key, rec] : s.latest) {
    ASSERT_TRUE(last_seen.contains(key)) << key;
    EXPECT_EQ(last_seen[key], rec) << key;
  }
}

class LogCompactionCrashTest : public ::testing::TestWithParam<int> {};

TEST_P(LogCompactionCrashTest, CrashAtEveryStepRecoversOldOrCleanedSegments) {
  const CrashMode mode = GetParam() == 0 ? CrashMode::DropUnsynced() : CrashMode::KeepUnsynced();
  // The reference: one uninterrupted cleaning.
  FakeFileSystem reference_fs;
  Scenario reference;
  std::unique_ptr<Log> reference_log = reference.Fill(reference_fs, kDir);
  const auto old_files = SegmentFiles(reference_fs, kDir, reference.closed);
  ASSERT_OK_AND_ASSIGN(CompactionResult done, reference_log->Compact());
  ASSERT_EQ(done.segments_rewritten, 3);
  const auto new_files = SegmentFiles(reference_fs, kDir, reference.closed);

  for (int64_t steps = 0;; ++steps) {
    SCOPED_TRACE(absl::StrCat("stopped after ", steps, " changes"));
    ASSERT_LT(steps, 500);
    FakeFileSystem fs;
    Scenario s;
    std::unique_ptr<Log> log = s.Fill(fs, kDir);
    fs.StopChangesAfter(steps);
    const bool completed = log->Compact().ok();
    log.reset();
    fs.Crash(mode);
    ASSERT_OK_AND_ASSIGN(log, Log::Open(kDir, kOptions, fs, s.clock));
    for (const auto& [base, content] : SegmentFiles(fs, kDir, s.closed)) {
      EXPECT_TRUE(content == old_files.at(base) || content == new_files.at(base))
          << "segment " << base << " is neither the old nor the cleaned one";
    }
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> names, fs.ListDir(kDir));
    for (const std::string& name : names) {
      EXPECT_FALSE(absl::EndsWith(name, ".cleaned") || absl::EndsWith(name, ".swap")) << name;
    }
    CheckRecovered(*log, s);
    // Cleaning again reaches the same result as the uninterrupted run.
    ASSERT_OK(log->Compact().status());
    EXPECT_EQ(SegmentFiles(fs, kDir, s.closed), new_files);
    CheckRecovered(*log, s);
    if (completed) break;
  }
}

INSTANTIATE_TEST_SUITE_P(PowerLossAndProcessCrash, LogCompactionCrashTest, ::testing::Values(0, 1));

}  // namespace
}  // namespace karst::storage

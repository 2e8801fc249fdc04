// Model-based test: random sequences of appends, reads, timestamp lookups, truncations,
// DeleteRecords, retention runs, clean reopens and crashes, run against a plain in-memory
// model of the log, over many seeds and small segments (so rolls happen constantly). Any
// difference fails with the seed and step, and KARST_MODEL_SEED=<seed> replays one seed.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/random.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/record/record_batch.h"
#include "storage/log.h"
#include "storage/testing/fake_file_system.h"
#include "storage/testing/log_test_util.h"

namespace karst::storage {
namespace {

namespace rec = ::karst::kafka::record;
using ::karst::testing::FakeClock;
using testing::CrashMode;
using testing::FakeFileSystem;
using testing::MakeBatch;

constexpr char kDir[] = "/model/p-0";

struct ModelBatch {
  int64_t base;
  int64_t last;
  int64_t first_timestamp;  // Record i has first_timestamp + i.
  int64_t max_timestamp;
  std::string bytes;  // As stored: offsets and epoch assigned.
};

// The model: the batches in order, the log start and end. Nothing else.
struct Model {
  std::vector<ModelBatch> batches;
  int64_t start = 0;
  int64_t end = 0;

  // Index of the batch holding `offset`.
  size_t Holding(int64_t offset) const {
    size_t i = 0;
    while (batches[i].last < offset) ++i;
    return i;
  }
};

class LogModelRun {
 public:
  explicit LogModelRun(uint64_t seed) : seed_(seed), random_(seed) {
    options_.segment_bytes = static_cast<int32_t>(random_.Uniform(300, 3000));
    options_.index_interval_bytes = static_cast<int32_t>(random_.Uniform(0, 500));
    options_.retention_ms = -1;
    options_.flush_messages = random_.Uniform(1, 40);
  }

  void Run(int steps) {
    Reopen();
    for (step_ = 0; step_ < steps && !::testing::Test::HasFatalFailure(); ++step_) {
      const int64_t dice = random_.Uniform(0, 99);
      if (trace_) {
        std::fprintf(stderr, "step %d dice %ld start %ld end %ld segments %zu\n", step_,
                     static_cast<long>(dice), static_cast<long>(model_.start),
                     static_cast<long>(model_.end), log_->SegmentCount());
      }
      if (dice < 45) {
        Append();
      } else if (dice < 65) {
        Read();
      } else if (dice < 72) {
        Truncate();
      } else if (dice < 77) {
        DeleteRecords();
      } else if (dice < 82) {
        Retention();
      } else if (dice < 88) {
        TimestampLookup();
      } else if (dice < 92) {
        ASSERT_OK(log_->Close()) << Where();
        Reopen();
      } else if (dice < 96) {
        fs_.Crash(CrashMode::KeepUnsynced());
        Reopen();
      } else {
        CrashDroppingUnsynced();
      }
      ASSERT_EQ(log_->LogStartOffset().value(), model_.start) << Where();
      ASSERT_EQ(log_->LogEndOffset().value(), model_.end) << Where();
    }
  }

 private:
  std::string Where() const { return absl::StrCat("seed ", seed_, " step ", step_); }

  void Reopen() {
    log_.reset();
    absl::StatusOr<std::unique_ptr<Log>> log = Log::Open(kDir, options_, fs_, clock_);
    ASSERT_TRUE(log.ok()) << Where() << ": " << log.status();
    log_ = *std::move(log);
  }

  void Append() {
    if (random_.Uniform(0, 9) == 0) ++epoch_;
    clock_.Advance(absl::Milliseconds(random_.Uniform(0, 50)));
    const int records = static_cast<int>(random_.Uniform(1, 5));
    const int64_t ts = absl::ToUnixMillis(clock_.Now()) - random_.Uniform(0, 20);
    std::string batch = MakeBatch(records, ts, static_cast<size_t>(random_.Uniform(1, 200)));
    absl::StatusOr<AppendResult> r =
        log_->Append(batch, AppendOrigin::kLeader, LeaderEpoch(epoch_));
    ASSERT_TRUE(r.ok()) << Where() << ": " << r.status();
    ASSERT_EQ(r->first_offset.value(), model_.end) << Where();
    rec::SetBaseOffset(batch.data(), model_.end);
    rec::SetPartitionLeaderEpoch(batch.data(), epoch_);
    model_.batches.push_back({model_.end, model_.end + records - 1, ts, ts + records - 1, batch});
    if (trace_) {
      std::fprintf(stderr, "  append [%ld, %ld] %zu bytes\n", static_cast<long>(model_.end),
                   static_cast<long>(model_.end + records - 1), batch.size());
    }
    model_.end += records;
  }

  void Read() {
    const int64_t offset = random_.Uniform(model_.start - 2, model_.end + 2);
    const size_t max_bytes = static_cast<size_t>(random_.Uniform(1, 3000));
    absl::StatusOr<ReadResult> r = log_->Read(Offset(offset), max_bytes);
    if (offset < model_.start || offset > model_.end) {
      ASSERT_EQ(r.status().code(), absl::StatusCode::kOutOfRange) << Where();
      return;
    }
    ASSERT_TRUE(r.ok()) << Where() << ": " << r.status();
    if (offset == model_.end) {
      ASSERT_TRUE(r->records.empty()) << Where();
      return;
    }
    // Consecutive model batches from the one holding the offset, byte for byte.
    size_t i = model_.Holding(offset);
    size_t at = 0;
    while (at < r->records.size()) {
      ASSERT_LT(i, model_.batches.size()) << Where();
      const std::string& want = model_.batches[i].bytes;
      ASSERT_EQ(r->records.substr(at, want.size()), want) << Where() << " batch " << i;
      at += want.size();
      ++i;
    }
    ASSERT_GT(at, 0u) << Where();
    ASSERT_EQ(r->next_offset.value(), model_.batches[i - 1].last + 1) << Where();
    const size_t first = model_.batches[model_.Holding(offset)].bytes.size();
    ASSERT_LE(r->records.size(), std::max(max_bytes, first)) << Where();
  }

  void Truncate() {
    const int64_t offset = random_.Uniform(model_.start, model_.end);
    if (trace_) std::fprintf(stderr, "  truncate to %ld\n", static_cast<long>(offset));
    ASSERT_OK(log_->TruncateTo(Offset(offset))) << Where();
    if (offset == model_.end) return;
    const size_t i = model_.Holding(offset);
    model_.end = model_.batches[i].base;
    model_.batches.resize(i);
    ResetIfEndBelowStart();
  }

  // Offsets below the log start are never reused: an end below it empties the log there.
  void ResetIfEndBelowStart() {
    if (model_.end >= model_.start) return;
    model_.batches.clear();
    model_.end = model_.start;
  }

  void DeleteRecords() {
    const int64_t offset = random_.Uniform(model_.start, model_.end);
    if (trace_) std::fprintf(stderr, "  delete records before %ld\n", static_cast<long>(offset));
    ASSERT_OK(log_->DeleteRecordsBefore(Offset(offset))) << Where();
    model_.start = std::max(model_.start, offset);
  }

  void Retention() {
    options_.retention_bytes = random_.Uniform(0, 6000);
    Reopen();  // Options are fixed at Open.
    absl::StatusOr<int> deleted = log_->ApplyRetention();
    ASSERT_TRUE(deleted.ok()) << Where() << ": " << deleted.status();
    const int64_t start = log_->LogStartOffset().value();
    ASSERT_GE(start, model_.start) << Where();
    if (start > model_.start) {
      // Retention deletes whole segments: the new start is a batch boundary.
      ASSERT_EQ(model_.batches[model_.Holding(start)].base, start) << Where();
      model_.start = start;
    }
    options_.retention_bytes = -1;
    Reopen();
  }

  void TimestampLookup() {
    const int64_t ts = absl::ToUnixMillis(clock_.Now()) - random_.Uniform(-10, 3000);
    absl::StatusOr<std::optional<Offset>> found = log_->OffsetForTimestamp(ts);
    ASSERT_TRUE(found.ok()) << Where() << ": " << found.status();
    std::optional<int64_t> want;
    for (const ModelBatch& b : model_.batches) {
      if (b.last >= model_.start && b.max_timestamp >= ts) {
        // Timestamps rise within a batch: the first record at or after `ts`, not below the
        // log start.
        want = std::max(b.base + std::max<int64_t>(0, ts - b.first_timestamp), model_.start);
        break;
      }
    }
    ASSERT_EQ(found->has_value(), want.has_value()) << Where() << " ts " << ts;
    if (want.has_value()) {
      ASSERT_EQ((*found)->value(), *want) << Where() << " ts " << ts;
    }
  }

  void CrashDroppingUnsynced() {
    const int64_t synced = log_->RecoveryPoint().value();
    if (trace_) std::fprintf(stderr, "  crash, recovery point %ld\n", static_cast<long>(synced));
    fs_.Crash(CrashMode::DropUnsynced());
    Reopen();
    const int64_t end = log_->LogEndOffset().value();
    ASSERT_GE(end, synced) << Where() << ": lost synced data";
    ASSERT_LE(end, model_.end) << Where();
    if (end <= model_.start) {
      // Everything at or above the start was unsynced and lost: the log is empty there.
      model_.batches.clear();
      model_.end = model_.start;
      return;
    }
    if (end < model_.end) {
      const size_t i = model_.Holding(end);
      ASSERT_EQ(model_.batches[i].base, end) << Where() << ": recovered mid-batch";
      model_.batches.resize(i);
      model_.end = end;
    }
    ResetIfEndBelowStart();
  }

  uint64_t seed_;
  SeededRandom random_;
  LogOptions options_;
  FakeFileSystem fs_;
  FakeClock clock_;
  std::unique_ptr<Log> log_;
  Model model_;
  int32_t epoch_ = 0;
  int step_ = 0;
  bool trace_ = std::getenv("KARST_MODEL_TRACE") != nullptr;
};

TEST(LogModel, MatchesTheModelOverManySeeds) {
  if (const char* replay = std::getenv("KARST_MODEL_SEED")) {
    LogModelRun(std::strtoull(replay, nullptr, 10)).Run(600);
    return;
  }
  for (uint64_t seed = 1; seed <= 60 && !::testing::Test::HasFatalFailure(); ++seed) {
    LogModelRun(seed).Run(600);
  }
}

}  // namespace
}  // namespace karst::storage

// LogCleaner's pure core: offset maps, record filtering, batch rewriting (offsets kept,
// KIP-534 delete horizons), and what is never touched (control and transactional batches).
#include "storage/log_cleaner.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/record/record.h"
#include "kafka/record/record_batch.h"
#include "storage/testing/log_test_util.h"

namespace karst::storage {
namespace {

namespace rec = ::karst::kafka::record;
using ::karst::testing::StatusIs;
using testing::DecodeAll;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::MakeKeyedBatch;
using testing::ReadRecord;

constexpr int64_t kNow = 1'700'000'000'000;

TEST(LogCleaner, OffsetMapKeepsTheLatestOffsetPerKeyFromTheDirtyStart) {
  const std::string batches = MakeKeyedBatch({{"a", "1"}, {"b", "1"}, {"a", "2"}}, kNow) +
                              MakeKeyedBatch({{"b", "2"}, {std::nullopt, "x"}}, kNow, {}, 3);
  OffsetMap map;
  ASSERT_OK(LogCleaner::BuildOffsetMap(batches, Offset(0), map));
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map["a"], Offset(2));
  EXPECT_EQ(map["b"], Offset(3));
  OffsetMap from_three;
  ASSERT_OK(LogCleaner::BuildOffsetMap(batches, Offset(3), from_three));
  EXPECT_EQ(from_three.size(), 1u);
  EXPECT_EQ(from_three["b"], Offset(3));
}

TEST(LogCleaner, RewrittenBatchKeepsItsBaseAndLastOffsetAndTimestamps) {
  const std::string batch =
      MakeKeyedBatch({{"a", "1"}, {"b", "1"}, {"a", "2"}, {"b", "2"}}, kNow, {}, 10);
  OffsetMap map{{"a", Offset(12)}, {"b", Offset(20)}};
  CleanerStats stats;
  ASSERT_OK_AND_ASSIGN(std::string out,
                       LogCleaner::CleanBatches(batch, map, {.now_ms = kNow}, stats));
  ASSERT_OK_AND_ASSIGN(rec::BatchHeader h, rec::ValidateBatch(out));
  EXPECT_EQ(h.base_offset, 10);
  EXPECT_EQ(h.last_offset(), 13);  // Kept although the record at 13 went (Kafka's filterTo).
  EXPECT_EQ(h.record_count, 1);
  EXPECT_EQ(h.max_timestamp, kNow + 2);
  EXPECT_THAT(DecodeAll(out), ElementsAre(ReadRecord{12, kNow + 2, "a", "2"}));
  EXPECT_EQ(stats.records_read, 4);
  EXPECT_EQ(stats.records_removed, 3);
}

TEST(LogCleaner, BatchesLosingNothingAreCopiedByteForByteAndEmptiedOnesDropped) {
  const std::string kept = MakeKeyedBatch({{"a", "1"}}, kNow, {}, 0);
  const std::string emptied = MakeKeyedBatch({{"b", "1"}, {"b", "2"}}, kNow, {}, 1);
  OffsetMap map{{"b", Offset(5)}};
  CleanerStats stats;
  ASSERT_OK_AND_ASSIGN(std::string out,
                       LogCleaner::CleanBatches(kept + emptied, map, {.now_ms = kNow}, stats));
  EXPECT_EQ(out, kept);
  EXPECT_EQ(stats.batches_read, 2);
  EXPECT_EQ(stats.batches_written, 1);
}

TEST(LogCleaner, KeylessRecordsAreDropped) {
  const std::string batch = MakeKeyedBatch({{std::nullopt, "x"}, {"a", "1"}}, kNow);
  CleanerStats stats;
  ASSERT_OK_AND_ASSIGN(std::string out,
                       LogCleaner::CleanBatches(batch, {}, {.now_ms = kNow}, stats));
  EXPECT_THAT(DecodeAll(out), ElementsAre(ReadRecord{1, kNow + 1, "a", "1"}));
}

TEST(LogCleaner, TombstoneGetsADeleteHorizonAndGoesOnlyOnceItPasses) {
  const std::string batch = MakeKeyedBatch({{"a", "1"}, {"a", std::nullopt}}, kNow - 50);
  OffsetMap map{{"a", Offset(1)}};
  const CleanerOptions first{.now_ms = kNow, .delete_retention_ms = 1000};
  CleanerStats stats;
  ASSERT_OK_AND_ASSIGN(std::string once, LogCleaner::CleanBatches(batch, map, first, stats));
  ASSERT_OK_AND_ASSIGN(rec::BatchHeader h, rec::ValidateBatch(once));
  EXPECT_TRUE(h.has_delete_horizon());
  EXPECT_EQ(h.base_timestamp, kNow + 1000);
  EXPECT_EQ(stats.earliest_delete_horizon_ms, kNow + 1000);
  // The record keeps its own timestamp although baseTimestamp now holds the horizon.
  EXPECT_THAT(DecodeAll(once), ElementsAre(ReadRecord{1, kNow - 49, "a", std::nullopt}));

  CleanerStats before;
  ASSERT_OK_AND_ASSIGN(std::string again,
                       LogCleaner::CleanBatches(once, {}, {.now_ms = kNow + 999}, before));
  EXPECT_EQ(again, once);  // Horizon set already and not passed: untouched.
  EXPECT_EQ(before.earliest_delete_horizon_ms, kNow + 1000);

  CleanerStats after;
  ASSERT_OK_AND_ASSIGN(std::string gone,
                       LogCleaner::CleanBatches(once, {}, {.now_ms = kNow + 1000}, after));
  EXPECT_TRUE(gone.empty());
  EXPECT_EQ(after.tombstones_removed, 1);
  EXPECT_EQ(after.earliest_delete_horizon_ms, -1);
}

TEST(LogCleaner, ControlAndTransactionalBatchesAreKeptWhole) {
  rec::BatchBuilder txn({.producer_id = 7, .producer_epoch = 0, .transactional = true});
  txn.Add(0, kNow, "a", "1");
  txn.Add(1, kNow, "a", "2");
  rec::BatchBuilder marker({.base_offset = 2,
                            .producer_id = 7,
                            .producer_epoch = 0,
                            .transactional = true,
                            .control = true});
  marker.Add(2, kNow, rec::EncodeControlKey(rec::ControlType::kCommit), rec::EncodeControlValue(0));
  const std::string batches = *txn.Build() + *marker.Build();
  OffsetMap map;
  ASSERT_OK(LogCleaner::BuildOffsetMap(batches, Offset(0), map));
  EXPECT_TRUE(map.empty());  // TODO(#10): transactional records once aborts are tracked.
  CleanerStats stats;
  ASSERT_OK_AND_ASSIGN(std::string out, LogCleaner::CleanBatches(batches, {{"a", Offset(9)}},
                                                                 {.now_ms = kNow}, stats));
  EXPECT_EQ(out, batches);
}

TEST(LogCleaner, CompressedBatchKeepsItsCodec) {
  for (rec::Compression codec : {rec::Compression::kGzip, rec::Compression::kSnappy,
                                 rec::Compression::kLz4, rec::Compression::kZstd}) {
    SCOPED_TRACE(rec::CompressionName(codec));
    const std::string batch =
        MakeKeyedBatch({{"a", "1"}, {"b", "1"}, {"a", "2"}}, kNow, codec, 100);
    OffsetMap map{{"a", Offset(102)}};
    CleanerStats stats;
    ASSERT_OK_AND_ASSIGN(std::string out,
                         LogCleaner::CleanBatches(batch, map, {.now_ms = kNow}, stats));
    ASSERT_OK_AND_ASSIGN(rec::BatchHeader h, rec::ValidateBatch(out));
    EXPECT_EQ(h.compression(), codec);
    EXPECT_EQ(h.base_offset, 100);
    EXPECT_EQ(h.last_offset(), 102);
    EXPECT_THAT(DecodeAll(out), ElementsAre(ReadRecord{101, kNow + 1, "b", "1"},
                                            ReadRecord{102, kNow + 2, "a", "2"}));
  }
}

TEST(LogCleaner, CompactedTopicsRefuseKeylessRecords) {
  EXPECT_OK(LogCleaner::CheckRecordsHaveKeys(MakeKeyedBatch({{"a", "1"}, {"b", std::nullopt}}, 0)));
  EXPECT_THAT(
      LogCleaner::CheckRecordsHaveKeys(MakeKeyedBatch({{"a", "1"}, {std::nullopt, "v"}}, 0)),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("without key")));
}

}  // namespace
}  // namespace karst::storage

#include "kafka/record/record_batch.h"

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/record/byte_io.h"
#include "kafka/record/record.h"

namespace karst::kafka::record {
namespace {

using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

std::string Build(Compression codec = Compression::kNone, int count = 3) {
  BatchBuilder b({.compression = codec,
                  .base_offset = 100,
                  .producer_id = 7,
                  .producer_epoch = 1,
                  .base_sequence = 42});
  for (int i = 0; i < count; ++i) {
    b.Add(100 + i, 1'700'000'000'000 + i * 10,
          i == 1 ? std::nullopt : std::optional<std::string>("k" + std::to_string(i)),
          i == 2 ? std::nullopt : std::optional<std::string>("value-" + std::to_string(i)),
          {{"h", std::string("v")}, {"null", std::nullopt}});
  }
  absl::StatusOr<std::string> out = b.Build();
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : "";
}

TEST(RecordBatch, BuiltBatchValidatesWithItsFields) {
  const std::string batch = Build();
  ASSERT_OK_AND_ASSIGN(BatchHeader h, ValidateBatch(batch));
  EXPECT_EQ(h.base_offset, 100);
  EXPECT_EQ(h.size(), batch.size());
  EXPECT_EQ(h.magic, 2);
  EXPECT_EQ(h.record_count, 3);
  EXPECT_EQ(h.last_offset_delta, 2);
  EXPECT_EQ(h.last_offset(), 102);
  EXPECT_EQ(h.base_timestamp, 1'700'000'000'000);
  EXPECT_EQ(h.max_timestamp, 1'700'000'000'020);
  EXPECT_EQ(h.producer_id, 7);
  EXPECT_EQ(h.producer_epoch, 1);
  EXPECT_EQ(h.base_sequence, 42);
  EXPECT_EQ(h.compression(), Compression::kNone);
  EXPECT_FALSE(h.is_transactional());
  EXPECT_FALSE(h.is_control());
}

TEST(RecordBatch, RecordsRoundTripThroughEveryCodec) {
  for (Compression codec : {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                            Compression::kLz4, Compression::kZstd}) {
    ASSERT_OK_AND_ASSIGN(std::vector<Record> records, DecodeRecords(Build(codec)));
    ASSERT_EQ(records.size(), 3u) << CompressionName(codec);
    EXPECT_EQ(records[0].key, "k0");
    EXPECT_EQ(records[1].key, std::nullopt);
    EXPECT_EQ(records[2].value, std::nullopt);
    EXPECT_EQ(records[2].offset_delta, 2);
    EXPECT_EQ(records[2].timestamp_delta, 20);
    ASSERT_EQ(records[0].headers.size(), 2u);
    EXPECT_EQ(records[0].headers[1].key, "null");
    EXPECT_EQ(records[0].headers[1].value, std::nullopt);
  }
}

TEST(RecordBatch, AssigningOffsetsAndEpochKeepsTheCrc) {
  std::string batch = Build(Compression::kLz4);
  SetBaseOffset(batch.data(), 5000);
  SetPartitionLeaderEpoch(batch.data(), 9);
  ASSERT_OK_AND_ASSIGN(BatchHeader h, ValidateBatch(batch));
  EXPECT_EQ(h.base_offset, 5000);
  EXPECT_EQ(h.partition_leader_epoch, 9);
}

TEST(RecordBatch, EveryFlippedCoveredByteIsACrcMismatch) {
  const std::string batch = Build();
  for (size_t i = kAttributesOffset; i < batch.size(); ++i) {
    std::string bad = batch;
    bad[i] ^= 0x01;
    absl::StatusOr<BatchHeader> h = ValidateBatch(bad);
    EXPECT_THAT(h, StatusIs(absl::StatusCode::kDataLoss)) << "byte " << i;
  }
  std::string bad = batch;
  bad[kAttributesOffset + 10] ^= 0x40;
  EXPECT_THAT(ValidateBatch(bad),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("crc mismatch: stored 0x")));
}

TEST(RecordBatch, MalformedHeadersAreDataLoss) {
  const std::string batch = Build();
  EXPECT_THAT(ParseBatchHeader(batch.substr(0, 60)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("needs 61 bytes")));
  std::string magic = batch;
  magic[16] = 1;
  EXPECT_THAT(ParseBatchHeader(magic), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("magic")));
  std::string codec = batch;
  codec[kAttributesOffset + 1] |= 0x7;
  EXPECT_THAT(ParseBatchHeader(codec),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("compression codec id 7")));
  std::string length = batch;
  StoreBigEndian32(length.data() + 8, 10);
  EXPECT_THAT(ParseBatchHeader(length),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("below the header size")));
  EXPECT_THAT(ValidateBatch(batch + "x"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("batchLength")));
}

TEST(RecordBatch, NextBatchSplitsAndStopsAtAPartialTail) {
  const std::string a = Build(), b = Build(Compression::kGzip);
  const std::string all = a + b + b.substr(0, 30);
  absl::string_view rest = all;
  ASSERT_OK_AND_ASSIGN(auto first, NextBatch(rest, 1 << 20));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, a);
  ASSERT_OK_AND_ASSIGN(auto second, NextBatch(rest, 1 << 20));
  EXPECT_EQ(*second, b);
  ASSERT_OK_AND_ASSIGN(auto third, NextBatch(rest, 1 << 20));
  EXPECT_FALSE(third.has_value());
  absl::string_view big = a;
  EXPECT_THAT(NextBatch(big, 64), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("limit")));
}

TEST(RecordBatch, DecodeRejectsLyingCountsAndTrailingBytes) {
  std::string batch = Build();
  // Claim 4 records where 3 are present, then fix the CRC so only the count is wrong.
  StoreBigEndian32(batch.data() + 57, 4);
  StoreBigEndian32(batch.data() + kCrcOffset, ComputeBatchCrc(batch));
  EXPECT_THAT(DecodeRecords(batch), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("record 3")));
  StoreBigEndian32(batch.data() + 57, 1'000'000'000);
  StoreBigEndian32(batch.data() + kCrcOffset, ComputeBatchCrc(batch));
  EXPECT_THAT(DecodeRecords(batch), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("cannot fit")));
  StoreBigEndian32(batch.data() + 57, 2);
  StoreBigEndian32(batch.data() + kCrcOffset, ComputeBatchCrc(batch));
  EXPECT_THAT(DecodeRecords(batch),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("after the last record")));
}

TEST(RecordBatch, ControlRecordsRoundTrip) {
  BatchBuilder b({.producer_id = 3, .producer_epoch = 0, .transactional = true, .control = true});
  b.Add(0, 1000, EncodeControlKey(ControlType::kAbort), EncodeControlValue(17));
  ASSERT_OK_AND_ASSIGN(std::string batch, b.Build());
  ASSERT_OK_AND_ASSIGN(BatchHeader h, ValidateBatch(batch));
  EXPECT_TRUE(h.is_control());
  EXPECT_TRUE(h.is_transactional());
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records, DecodeRecords(batch));
  ASSERT_OK_AND_ASSIGN(ControlRecord control, DecodeControlRecord(records[0]));
  EXPECT_EQ(control.type, ControlType::kAbort);
  EXPECT_EQ(control.coordinator_epoch, 17);
  Record not_control;
  not_control.key = "ab";
  EXPECT_THAT(DecodeControlRecord(not_control), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(RecordBatch, EmptyBuilderIsAnError) {
  EXPECT_THAT(BatchBuilder({}).Build(), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace karst::kafka::record

// Batches produced by real clients (kafka-python 2.0.2 and librdkafka 2.0.2, captured by
// tools/capture; see testdata/MANIFEST.md) parse, verify their CRC-32C and decode to exactly
// the records the clients were given, for every compression codec.
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/record/record.h"
#include "kafka/record/record_batch.h"

namespace karst::kafka::record {
namespace {

using ::karst::testing::StatusIs;

constexpr int64_t kFirstTimestamp = 1'700'000'000'000;

std::string ReadGolden(const std::string& name) {
  std::ifstream in("kafka/record/testdata/" + name, std::ios::binary);
  EXPECT_TRUE(in) << "missing testdata " << name;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<Record> Standard() {
  auto h = [](std::string k, std::optional<std::string> v) {
    return RecordHeader{std::move(k), std::move(v)};
  };
  return {
      {0, 0, 0, "key-0", "karst golden value 0", {h("trace-id", "abc123")}},
      {0, 1, 1, std::nullopt, "karst golden value 1", {}},
      {0, 1000, 2, "key-2", std::nullopt, {h("trace-id", "abc123"), h("tombstone", "yes")}},
      {0, 70000, 3, "", "karst golden value 3", {h("empty", ""), h("nullval", std::nullopt)}},
      {0,
       70001,
       4,
       "key-4",
       "karst golden value 4 karst golden value 4",
       {h("trace-id", "def456")}},
  };
}

struct Golden {
  const char* file;
  Compression codec;
  int64_t producer_id;
  int16_t producer_epoch;
  int32_t base_sequence;
  bool transactional;
};

class GoldenStandardBatch : public ::testing::TestWithParam<Golden> {};

TEST_P(GoldenStandardBatch, DecodesToTheRecordsTheClientSent) {
  const Golden& g = GetParam();
  const std::string batch = ReadGolden(g.file);
  ASSERT_OK_AND_ASSIGN(BatchHeader h, ValidateBatch(batch));
  EXPECT_EQ(h.compression(), g.codec);
  EXPECT_EQ(h.record_count, 5);
  EXPECT_EQ(h.last_offset_delta, 4);
  EXPECT_EQ(h.base_timestamp, kFirstTimestamp);
  EXPECT_EQ(h.max_timestamp, kFirstTimestamp + 70001);
  EXPECT_EQ(h.producer_id, g.producer_id);
  EXPECT_EQ(h.producer_epoch, g.producer_epoch);
  EXPECT_EQ(h.base_sequence, g.base_sequence);
  EXPECT_EQ(h.is_transactional(), g.transactional);
  EXPECT_FALSE(h.is_control());
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records, DecodeRecords(batch));
  EXPECT_EQ(records, Standard());
}

INSTANTIATE_TEST_SUITE_P(
    RealClients, GoldenStandardBatch,
    ::testing::Values(
        Golden{"kafkapython_none.bin", Compression::kNone, -1, -1, -1, false},
        Golden{"kafkapython_gzip.bin", Compression::kGzip, -1, -1, -1, false},
        Golden{"kafkapython_snappy.bin", Compression::kSnappy, -1, -1, -1, false},
        Golden{"kafkapython_lz4.bin", Compression::kLz4, -1, -1, -1, false},
        Golden{"kafkapython_zstd.bin", Compression::kZstd, -1, -1, -1, false},
        Golden{"librdkafka_none.bin", Compression::kNone, -1, -1, -1, false},
        Golden{"librdkafka_gzip.bin", Compression::kGzip, -1, -1, -1, false},
        Golden{"librdkafka_snappy.bin", Compression::kSnappy, -1, -1, -1, false},
        Golden{"librdkafka_lz4.bin", Compression::kLz4, -1, -1, -1, false},
        Golden{"librdkafka_zstd.bin", Compression::kZstd, -1, -1, -1, false},
        Golden{"librdkafka_none_idempotent.bin", Compression::kNone, 4242, 3, 0, false},
        Golden{"librdkafka_zstd_transactional.bin", Compression::kZstd, 4242, 3, 0, true}),
    [](const ::testing::TestParamInfo<Golden>& info) {
      std::string name = info.param.file;
      name = name.substr(0, name.find('.'));
      return name;
    });

TEST(GoldenBatch, SecondIdempotentBatchContinuesTheSequence) {
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records,
                       DecodeRecords(ReadGolden("librdkafka_none_idempotent_2.bin")));
  ASSERT_OK_AND_ASSIGN(BatchHeader h,
                       ValidateBatch(ReadGolden("librdkafka_none_idempotent_2.bin")));
  EXPECT_EQ(h.base_sequence, 5);
  EXPECT_EQ(h.base_timestamp, 1'700'000'100'000);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].key, std::nullopt);
  EXPECT_EQ(records[2].value, "karst golden value 7");
  EXPECT_EQ(records[2].timestamp_delta, 20);
}

TEST(GoldenBatch, TransactionalBuilderBatch) {
  const std::string batch = ReadGolden("kafkapython_none_transactional.bin");
  ASSERT_OK_AND_ASSIGN(BatchHeader h, ValidateBatch(batch));
  EXPECT_TRUE(h.is_transactional());
  EXPECT_EQ(h.producer_id, 1234);
  EXPECT_EQ(h.producer_epoch, 5);
  EXPECT_EQ(h.base_sequence, 10);
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records, DecodeRecords(batch));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].headers, (std::vector<RecordHeader>{{"h", "1"}}));
}

TEST(GoldenBatch, LargeGzipBatchInflatesWithinItsLimitOnly) {
  const std::string batch = ReadGolden("kafkapython_gzip_large.bin");
  ASSERT_OK_AND_ASSIGN(std::vector<Record> records, DecodeRecords(batch));
  ASSERT_EQ(records.size(), 50u);
  std::string value;
  for (int i = 0; i < 256; ++i) value += "0123456789abcdef";
  EXPECT_EQ(records[49].key, "big-49");
  EXPECT_EQ(records[49].value, value);
  // 205,550 bytes inflated: a 200,000-byte limit refuses it.
  EXPECT_THAT(DecodeRecords(batch, {.max_uncompressed_bytes = 200000}),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(GoldenBatch, ReEncodingTheRecordsReproducesTheUncompressedBytes) {
  // Our encoder writes what both clients wrote, byte for byte, for an uncompressed batch.
  const std::string golden = ReadGolden("librdkafka_none.bin");
  BatchBuilder b({.partition_leader_epoch = 0});
  for (const Record& r : Standard()) {
    b.Add(r.offset_delta, kFirstTimestamp + r.timestamp_delta, r.key, r.value, r.headers);
  }
  ASSERT_OK_AND_ASSIGN(std::string ours, b.Build());
  EXPECT_EQ(ours, golden);
}

}  // namespace
}  // namespace karst::kafka::record

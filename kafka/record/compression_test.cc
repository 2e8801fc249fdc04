#include "kafka/record/compression.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/record/byte_io.h"

namespace karst::kafka::record {
namespace {

using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

constexpr Compression kCodecs[] = {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                                   Compression::kLz4, Compression::kZstd};

std::string Sample(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i) s += "record-" + std::to_string(i % 97) + ";";
  s.resize(n);
  return s;
}

TEST(Compression, EveryCodecRoundTrips) {
  for (Compression codec : kCodecs) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, size_t{300 * 1024}}) {
      const std::string input = Sample(n);
      ASSERT_OK_AND_ASSIGN(std::string packed, Compress(codec, input));
      ASSERT_OK_AND_ASSIGN(std::string unpacked, Decompress(codec, packed, n + 1));
      EXPECT_EQ(unpacked, input) << CompressionName(codec) << " " << n;
    }
  }
}

TEST(Compression, ReadsXerialFramedSnappy) {
  // Kafka's Java client and librdkafka may frame snappy as xerial's SnappyOutputStream does.
  const std::string a = Sample(5000), b = Sample(300);
  ASSERT_OK_AND_ASSIGN(std::string block_a, Compress(Compression::kSnappy, a));
  ASSERT_OK_AND_ASSIGN(std::string block_b, Compress(Compression::kSnappy, b));
  std::string framed("\x82SNAPPY\x00", 8);
  ByteWriter w(&framed);
  w.WriteInt32(1);  // Version.
  w.WriteInt32(1);  // Minimum compatible version.
  w.WriteInt32(static_cast<int32_t>(block_a.size()));
  w.WriteBytes(block_a);
  w.WriteInt32(static_cast<int32_t>(block_b.size()));
  w.WriteBytes(block_b);
  ASSERT_OK_AND_ASSIGN(std::string out, Decompress(Compression::kSnappy, framed, 1 << 20));
  EXPECT_EQ(out, a + b);
  framed.resize(framed.size() - 3);
  EXPECT_THAT(Decompress(Compression::kSnappy, framed, 1 << 20),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("truncated xerial block")));
}

TEST(Compression, CorruptInputIsDataLoss) {
  for (Compression codec : kCodecs) {
    if (codec == Compression::kNone) continue;
    ASSERT_OK_AND_ASSIGN(std::string packed, Compress(codec, Sample(10000)));
    std::string truncated = packed.substr(0, packed.size() / 2);
    EXPECT_THAT(Decompress(codec, truncated, 1 << 20), StatusIs(absl::StatusCode::kDataLoss))
        << CompressionName(codec);
    EXPECT_THAT(Decompress(codec, "definitely not compressed data", 1 << 20),
                StatusIs(absl::StatusCode::kDataLoss))
        << CompressionName(codec);
  }
}

TEST(Compression, OutputPastTheLimitIsResourceExhausted) {
  const std::string input(100000, 'z');
  for (Compression codec : kCodecs) {
    ASSERT_OK_AND_ASSIGN(std::string packed, Compress(codec, input));
    EXPECT_THAT(Decompress(codec, packed, 99999),
                StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("99999")))
        << CompressionName(codec);
    EXPECT_TRUE(Decompress(codec, packed, 100000).ok()) << CompressionName(codec);
  }
}

TEST(Compression, SnappyLengthHeaderIsCheckedBeforeAllocating) {
  // A raw snappy block whose header claims 4 GiB - 1.
  const std::string claim("\xff\xff\xff\xff\x0f", 5);
  EXPECT_THAT(Decompress(Compression::kSnappy, claim, 1 << 20),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST(Compression, CodecIds) {
  EXPECT_EQ(*CompressionFromId(4), Compression::kZstd);
  EXPECT_THAT(CompressionFromId(5), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_STREQ(CompressionName(Compression::kLz4), "lz4");
}

}  // namespace
}  // namespace karst::kafka::record

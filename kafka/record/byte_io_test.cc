#include "kafka/record/byte_io.h"

#include <limits>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace karst::kafka::record {
namespace {

using ::karst::testing::StatusIs;

TEST(ByteIo, BigEndianIntegersRoundTrip) {
  std::string buf;
  ByteWriter w(&buf);
  w.WriteInt8(-2);
  w.WriteInt16(0x1234);
  w.WriteInt32(-5);
  w.WriteInt64(0x0102030405060708);
  EXPECT_EQ(buf.substr(1, 2), std::string("\x12\x34", 2));
  ByteReader r(buf);
  EXPECT_EQ(*r.ReadInt8(), -2);
  EXPECT_EQ(*r.ReadInt16(), 0x1234);
  EXPECT_EQ(*r.ReadInt32(), -5);
  EXPECT_EQ(*r.ReadInt64(), 0x0102030405060708);
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_THAT(r.ReadInt8(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ByteIo, ZigzagVarintsMatchKafkasEncoding) {
  // Kafka's ByteUtils.writeVarint: zigzag then base-128, low group first.
  const std::pair<int32_t, std::string> cases[] = {
      {0, std::string("\x00", 1)},
      {-1, "\x01"},
      {1, "\x02"},
      {63, "\x7e"},
      {-64, "\x7f"},
      {64, "\x80\x01"},
      {300, "\xd8\x04"},
  };
  for (const auto& [value, encoded] : cases) {
    std::string buf;
    ByteWriter(&buf).WriteVarint(value);
    EXPECT_EQ(buf, encoded) << value;
    ByteReader r(buf);
    EXPECT_EQ(*r.ReadVarint(), value);
  }
}

TEST(ByteIo, VarintExtremesRoundTrip) {
  for (int64_t v : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                    int64_t{-1}, int64_t{1} << 40}) {
    std::string buf;
    ByteWriter(&buf).WriteVarlong(v);
    EXPECT_EQ(static_cast<int>(buf.size()), VarlongSize(v));
    ByteReader r(buf);
    EXPECT_EQ(*r.ReadVarlong(), v);
  }
  for (int32_t v : {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()}) {
    std::string buf;
    ByteWriter(&buf).WriteVarint(v);
    EXPECT_EQ(buf.size(), 5u);
    ByteReader r(buf);
    EXPECT_EQ(*r.ReadVarint(), v);
  }
}

TEST(ByteIo, RejectsTruncatedAndOverlongVarints) {
  ByteReader truncated(std::string("\x80\x80", 2));
  EXPECT_THAT(truncated.ReadVarint(), StatusIs(absl::StatusCode::kDataLoss));
  ByteReader overlong(std::string(6, '\x80') + "\x01");
  EXPECT_THAT(overlong.ReadVarint(), StatusIs(absl::StatusCode::kDataLoss));
  ByteReader overlong64(std::string(11, '\xff'));
  EXPECT_THAT(overlong64.ReadVarlong(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(ByteIo, ReadBytesNeverPassesTheEnd) {
  ByteReader r("abc");
  EXPECT_EQ(*r.ReadBytes(2), "ab");
  EXPECT_THAT(r.ReadBytes(2), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(*r.ReadBytes(1), "c");
}

}  // namespace
}  // namespace karst::kafka::record

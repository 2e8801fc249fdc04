#include "broker/group/offsets_records.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::broker::group {
namespace {

using ::karst::testing::StatusIs;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

std::string Int64(int64_t v) {
  std::string out;
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return out;
}

// Byte vectors below are derived field by field from Kafka's OffsetCommitKey/Value and
// GroupMetadataKey/Value schemas (non-flexible: int16-length strings, int32-length bytes).
TEST(OffsetsRecords, OffsetCommitKeyIsVersion1Bytes) {
  const std::string expected = Bytes({0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 3});
  EXPECT_EQ(EncodeOffsetCommitKey({.group = "g", .topic = "t", .partition = PartitionIndex(3)}),
            expected);
  auto key = DecodeOffsetsKey(expected);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(std::get<OffsetCommitKey>(*key),
            (OffsetCommitKey{.group = "g", .topic = "t", .partition = PartitionIndex(3)}));
  // Version 0 keys (old Kafka) have the same layout.
  std::string v0 = expected;
  v0[1] = 0;
  EXPECT_TRUE(std::holds_alternative<OffsetCommitKey>(*DecodeOffsetsKey(v0)));
}

TEST(OffsetsRecords, GroupMetadataKeyIsVersion2Bytes) {
  const std::string expected = Bytes({0, 2, 0, 1, 'g'});
  EXPECT_EQ(EncodeGroupMetadataKey({.group = "g"}), expected);
  EXPECT_EQ(std::get<GroupMetadataKey>(*DecodeOffsetsKey(expected)).group, "g");
  EXPECT_THAT(DecodeOffsetsKey(Bytes({0, 3, 0, 1, 'g'})),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(OffsetsRecords, OffsetCommitValueVersion3Bytes) {
  const OffsetCommitValue v{.offset = Offset(5),
                            .leader_epoch = LeaderEpoch(2),
                            .metadata = "m",
                            .commit_timestamp_ms = 1000};
  const std::string expected =
      Bytes({0, 3}) + Int64(5) + Bytes({0, 0, 0, 2, 0, 1, 'm'}) + Int64(1000);
  EXPECT_EQ(OffsetCommitValueVersion(v), 3);
  EXPECT_EQ(EncodeOffsetCommitValue(v), expected);
  EXPECT_EQ(*DecodeOffsetCommitValue(expected), v);
}

TEST(OffsetsRecords, OffsetCommitValueWithExpiryIsVersion1) {
  const OffsetCommitValue v{.offset = Offset(5),
                            .leader_epoch = LeaderEpoch(-1),
                            .metadata = "",
                            .commit_timestamp_ms = 1000,
                            .expire_timestamp_ms = 2000};
  const std::string expected = Bytes({0, 1}) + Int64(5) + Bytes({0, 0}) + Int64(1000) + Int64(2000);
  EXPECT_EQ(OffsetCommitValueVersion(v), 1);
  EXPECT_EQ(EncodeOffsetCommitValue(v), expected);
  EXPECT_EQ(*DecodeOffsetCommitValue(expected), v);
}

TEST(OffsetsRecords, OffsetCommitValueRoundTripsEveryVersion) {
  for (int16_t version = 0; version <= 4; ++version) {
    OffsetCommitValue v{.offset = Offset(42),
                        .leader_epoch = LeaderEpoch(version >= 3 ? 7 : -1),
                        .metadata = "meta",
                        .commit_timestamp_ms = 123,
                        .expire_timestamp_ms = version == 1 ? 456 : -1};
    auto decoded = DecodeOffsetCommitValue(EncodeOffsetCommitValue(v, version));
    ASSERT_TRUE(decoded.ok()) << "version " << version << ": " << decoded.status();
    EXPECT_EQ(*decoded, v) << "version " << version;
  }
}

GroupMetadataValue OneMember() {
  return {.protocol_type = "consumer",
          .generation = 1,
          .protocol = std::string("range"),
          .leader = std::string("m1"),
          .current_state_timestamp_ms = 1000,
          .members = {{.member_id = "m1",
                       .group_instance_id = std::nullopt,
                       .client_id = "c",
                       .client_host = "h",
                       .rebalance_timeout_ms = 300,
                       .session_timeout_ms = 100,
                       .subscription = "s",
                       .assignment = "a"}}};
}

TEST(OffsetsRecords, GroupMetadataValueVersion3Bytes) {
  const std::string expected =
      Bytes({0, 3, 0,   8,   'c', 'o', 'n', 's', 'u', 'm', 'e', 'r', 0, 0, 0, 1,  //
             0, 5, 'r', 'a', 'n', 'g', 'e', 0,   2,   'm', '1'}) +
      Int64(1000) +
      Bytes({0, 0, 0,   1,                                   // one member
             0, 2, 'm', '1',  0xff, 0xff,                    // member id, null instance id
             0, 1, 'c', 0,    1,    'h',                     // client id, client host
             0, 0, 1,   0x2c, 0,    0,    0, 100,            // rebalance 300, session 100
             0, 0, 0,   1,    's',  0,    0, 0,   1, 'a'});  // subscription, assignment
  EXPECT_EQ(EncodeGroupMetadataValue(OneMember()), expected);
  EXPECT_EQ(*DecodeGroupMetadataValue(expected), OneMember());
}

TEST(OffsetsRecords, EmptyGroupMetadataValueHasNullProtocolAndLeader) {
  const GroupMetadataValue empty{
      .protocol_type = "consumer", .generation = 4, .current_state_timestamp_ms = 0};
  const std::string expected = Bytes({0,   3,   0, 8, 'c', 'o', 'n',  's',  'u',  'm',
                                      'e', 'r', 0, 0, 0,   4,   0xff, 0xff, 0xff, 0xff}) +
                               Int64(0) + Bytes({0, 0, 0, 0});
  EXPECT_EQ(EncodeGroupMetadataValue(empty), expected);
  EXPECT_EQ(*DecodeGroupMetadataValue(expected), empty);
}

TEST(OffsetsRecords, GroupMetadataValueRoundTripsEveryVersion) {
  for (int16_t version = 0; version <= 4; ++version) {
    GroupMetadataValue v = OneMember();
    v.members[0].group_instance_id = std::string("instance");
    if (version < 3) v.members[0].group_instance_id.reset();
    if (version < 2) v.current_state_timestamp_ms = -1;
    if (version < 1) v.members[0].rebalance_timeout_ms = v.members[0].session_timeout_ms;
    auto decoded = DecodeGroupMetadataValue(EncodeGroupMetadataValue(v, version));
    ASSERT_TRUE(decoded.ok()) << "version " << version << ": " << decoded.status();
    EXPECT_EQ(*decoded, v) << "version " << version;
  }
}

TEST(OffsetsRecords, RejectsUnknownVersionsAndTruncation) {
  EXPECT_THAT(DecodeOffsetCommitValue(Bytes({0, 9})), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeGroupMetadataValue(Bytes({0xff, 0xff})),
              StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string bytes = EncodeGroupMetadataValue(OneMember());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeGroupMetadataValue(bytes.substr(0, n)).ok()) << "length " << n;
  }
}

}  // namespace
}  // namespace karst::broker::group

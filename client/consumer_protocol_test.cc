#include "client/consumer_protocol.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::client {
namespace {

using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Big-endian helpers to spell expected bytes field by field from the JSON schemas.
std::string I16(int v) { return {static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)}; }
std::string I32(int64_t v) {
  return {static_cast<char>((v >> 24) & 0xff), static_cast<char>((v >> 16) & 0xff),
          static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
}
std::string Str(const std::string& s) { return I16(static_cast<int>(s.size())) + s; }
std::string Bytes(const std::string& s) { return I32(static_cast<int64_t>(s.size())) + s; }
const std::string kNullBytes = I32(-1);
const std::string kNullString = I16(-1);

TEST(ConsumerProtocol, EncodesSubscriptionV0ByteExact) {
  Subscription s{.topics = {"a", "bc"}, .user_data = std::string("\x01\x02", 2)};
  s.owned_partitions = {{"a", 0}};  // Not in v0: dropped.
  std::string expected = I16(0) + I32(2) + Str("a") + Str("bc") + Bytes(std::string("\x01\x02", 2));
  EXPECT_EQ(EncodeSubscription(s, 0), expected);
}

TEST(ConsumerProtocol, EncodesSubscriptionV1GroupsOwnedPartitionsByTopic) {
  Subscription s{.topics = {"t"}};
  s.owned_partitions = {{"t", 2}, {"u", 0}, {"t", 0}};
  std::string expected = I16(1) + I32(1) + Str("t") + kNullBytes +  // topics, user data
                         I32(2) + Str("t") + I32(2) + I32(2) + I32(0) + Str("u") + I32(1) + I32(0);
  EXPECT_EQ(EncodeSubscription(s, 1), expected);
}

TEST(ConsumerProtocol, EncodesSubscriptionV3ByteExact) {
  Subscription s{
      .topics = {"t"}, .owned_partitions = {{"t", 1}}, .generation_id = 7, .rack_id = "r1"};
  std::string expected = I16(3) + I32(1) + Str("t") + kNullBytes + I32(1) + Str("t") + I32(1) +
                         I32(1) + I32(7) + Str("r1");
  EXPECT_EQ(EncodeSubscription(s), expected);
  s.rack_id.reset();
  s.generation_id = -1;
  EXPECT_EQ(EncodeSubscription(s, 3), I16(3) + I32(1) + Str("t") + kNullBytes + I32(1) + Str("t") +
                                          I32(1) + I32(1) + I32(-1) + kNullString);
}

TEST(ConsumerProtocol, EncodesAssignmentByteExact) {
  Assignment a{.partitions = {{"t", 0}, {"t", 3}, {"x", 1}}};
  std::string body =
      I32(2) + Str("t") + I32(2) + I32(0) + I32(3) + Str("x") + I32(1) + I32(1) + kNullBytes;
  EXPECT_EQ(EncodeAssignment(a, 0), I16(0) + body);
  EXPECT_EQ(EncodeAssignment(a), I16(3) + body);
  a.user_data = "u";
  EXPECT_EQ(EncodeAssignment(a, 1), I16(1) + body.substr(0, body.size() - 4) + Bytes("u"));
}

TEST(ConsumerProtocol, SubscriptionRoundTripsAtEveryVersion) {
  Subscription full{.topics = {"a", "b"},
                    .user_data = std::string("\0x", 2),
                    .owned_partitions = {{"a", 1}, {"a", 0}, {"b", 5}},
                    .generation_id = 42,
                    .rack_id = "rack"};
  for (int16_t version = 0; version <= 3; ++version) {
    Subscription expected = full;
    if (version < 1) expected.owned_partitions.clear();
    if (version < 2) expected.generation_id = -1;
    if (version < 3) expected.rack_id.reset();
    auto decoded = DecodeSubscription(EncodeSubscription(full, version));
    ASSERT_THAT(decoded, IsOk());
    EXPECT_EQ(*decoded, expected) << "version " << version;
    EXPECT_EQ(*DecodeConsumerProtocolVersion(EncodeSubscription(full, version)), version);
  }
}

TEST(ConsumerProtocol, AssignmentRoundTrips) {
  Assignment a{.partitions = {{"t", 1}, {"t", 0}, {"u", 2}}, .user_data = "ud"};
  auto decoded = DecodeAssignment(EncodeAssignment(a));
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(*decoded, a);
}

TEST(ConsumerProtocol, DecodesNewerSubscriptionVersionAsV3AndIgnoresTrailingFields) {
  std::string v3_body =
      I32(1) + Str("t") + Bytes("ud") + I32(1) + Str("t") + I32(1) + I32(4) + I32(9) + Str("r");
  auto decoded = DecodeSubscription(I16(5) + v3_body + "future fields");
  ASSERT_THAT(decoded, IsOk());
  EXPECT_THAT(decoded->topics, ElementsAre("t"));
  EXPECT_EQ(decoded->user_data, "ud");
  EXPECT_THAT(decoded->owned_partitions, ElementsAre(TopicPartition{"t", 4}));
  EXPECT_EQ(decoded->generation_id, 9);
  EXPECT_EQ(decoded->rack_id, "r");
}

TEST(ConsumerProtocol, DecodesNewerAssignmentVersion) {
  auto decoded = DecodeAssignment(I16(9) + I32(1) + Str("t") + I32(1) + I32(0) + kNullBytes + "x");
  ASSERT_THAT(decoded, IsOk());
  EXPECT_THAT(decoded->partitions, ElementsAre(TopicPartition{"t", 0}));
  EXPECT_FALSE(decoded->user_data.has_value());
}

TEST(ConsumerProtocol, RejectsEveryTruncationOfASubscription) {
  std::string bytes = EncodeSubscription({.topics = {"t"},
                                          .user_data = "u",
                                          .owned_partitions = {{"t", 0}},
                                          .generation_id = 1,
                                          .rack_id = "r"});
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THAT(DecodeSubscription(bytes.substr(0, n)),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << "length " << n;
  }
}

TEST(ConsumerProtocol, RejectsEveryTruncationOfAnAssignment) {
  std::string bytes = EncodeAssignment({.partitions = {{"t", 0}, {"u", 1}}, .user_data = "ud"});
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THAT(DecodeAssignment(bytes.substr(0, n)), StatusIs(absl::StatusCode::kInvalidArgument))
        << "length " << n;
  }
}

TEST(ConsumerProtocol, ErrorsNameTheMessageAndVersion) {
  EXPECT_THAT(DecodeSubscription(I16(1) + I32(1) + Str("t")),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeSubscription(I16(1) + I32(1) + Str("t")).status().message(),
              HasSubstr("consumer protocol subscription v1"));
  EXPECT_THAT(DecodeAssignment(std::string("\x00", 1)).status().message(),
              HasSubstr("consumer protocol header"));
  EXPECT_THAT(DecodeSubscription(I16(-1) + I32(0) + kNullBytes),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ConsumerProtocol, RejectsNullArraysAndHugeLengths) {
  EXPECT_THAT(DecodeSubscription(I16(0) + I32(-1) + kNullBytes),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeAssignment(I16(0) + I32(1) + Str("t") + I32(-1) + kNullBytes),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeAssignment(I16(0) + I32(0x7fffffff)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ConsumerProtocol, ClampsEncodeVersionToSupportedRange) {
  Subscription s{.topics = {"t"}};
  EXPECT_EQ(EncodeSubscription(s, 7), EncodeSubscription(s, 3));
  EXPECT_EQ(EncodeSubscription(s, -2), EncodeSubscription(s, 0));
}

}  // namespace
}  // namespace karst::client

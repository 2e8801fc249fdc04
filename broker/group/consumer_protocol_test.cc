#include "broker/group/consumer_protocol.h"

#include <string>

#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::broker::group {
namespace {

using ::karst::testing::StatusIs;
using ::testing::ElementsAre;

ConsumerSubscription Full() {
  return {.topics = {"orders", "payments"},
          .user_data = std::string("ud"),
          .owned_partitions = {{"orders", {0, 2}}},
          .generation_id = 7,
          .rack_id = std::string("rack-a")};
}

TEST(ConsumerSubscription, Version0BytesAreKafkas) {
  // int16 version, int32 topic count, int16-length topics, int32-length user data (-1: null).
  const std::string bytes(
      "\x00\x00"
      "\x00\x00\x00\x01"
      "\x00\x01t"
      "\xff\xff\xff\xff",
      13);
  EXPECT_EQ(EncodeConsumerSubscription({.topics = {"t"}}, 0), bytes);
  auto s = DecodeConsumerSubscription(bytes);
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(s->topics, ElementsAre("t"));
  EXPECT_FALSE(s->user_data.has_value());
}

TEST(ConsumerSubscription, RoundTripsEveryVersion) {
  for (int16_t v = 0; v <= kMaxSubscriptionVersion; ++v) {
    auto s = DecodeConsumerSubscription(EncodeConsumerSubscription(Full(), v));
    ASSERT_TRUE(s.ok()) << "version " << v;
    EXPECT_THAT(s->topics, ElementsAre("orders", "payments"));
    EXPECT_EQ(s->user_data, "ud");
    EXPECT_EQ(s->owned_partitions.size(), v >= 1 ? 1u : 0u);
    EXPECT_EQ(s->generation_id, v >= 2 ? 7 : -1);
    EXPECT_EQ(s->rack_id.has_value(), v >= 3);
  }
  EXPECT_EQ(*DecodeConsumerSubscription(EncodeConsumerSubscription(Full(), 3)), Full());
}

TEST(ConsumerSubscription, NewerVersionReadsAsVersion3) {
  std::string bytes = EncodeConsumerSubscription(Full(), 3);
  bytes[1] = 9;              // version 9
  bytes += "future-fields";  // appended by a newer client
  auto s = DecodeConsumerSubscription(bytes);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, Full());
}

TEST(ConsumerSubscription, RejectsNegativeVersionAndTruncation) {
  EXPECT_THAT(DecodeConsumerSubscription(std::string("\xff\xff\x00\x00\x00\x00", 6)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  const std::string bytes = EncodeConsumerSubscription(Full(), 1);
  EXPECT_THAT(DecodeConsumerSubscription(bytes.substr(0, bytes.size() - 1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // A topic count larger than the bytes left is refused before allocating.
  EXPECT_THAT(DecodeConsumerSubscription(std::string("\x00\x00\x7f\xff\xff\xff", 6)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace karst::broker::group

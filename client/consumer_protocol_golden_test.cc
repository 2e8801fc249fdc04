// Subscriptions librdkafka 2.0.2 (confluent-kafka) sent in JoinGroup, captured by
// tools/capture/capture_subscriptions.py: we decode them and re-encode the same bytes.
#include <fstream>
#include <sstream>
#include <string>

#include "client/assignor.h"
#include "client/consumer_protocol.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::client {
namespace {

using ::karst::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string ReadFile(const std::string& name) {
  std::ifstream in("client/testdata/consumer_protocol/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(LibrdkafkaSubscription, DecodesAndReencodesEveryCapture) {
  for (const char* name :
       {"eager-range.bin", "eager-roundrobin.bin", "cooperative-cooperative-sticky.bin"}) {
    const std::string bytes = ReadFile(name);
    ASSERT_THAT(DecodeConsumerProtocolVersion(bytes), IsOk());
    const int16_t version = *DecodeConsumerProtocolVersion(bytes);
    EXPECT_EQ(version, 1) << name;  // librdkafka 2.0.2 sends v1 (owned partitions).
    absl::StatusOr<Subscription> subscription = DecodeSubscription(bytes);
    ASSERT_THAT(subscription, IsOk()) << name;
    EXPECT_THAT(subscription->topics, ElementsAre("topic-a", "topic-b")) << name;
    EXPECT_EQ(subscription->user_data, "") << name;  // Empty, not null.
    EXPECT_THAT(subscription->owned_partitions, IsEmpty()) << name;
    EXPECT_EQ(subscription->generation_id, kDefaultGeneration) << name;
    EXPECT_EQ(EncodeSubscription(*subscription, version), bytes) << name;
  }
}

TEST(LibrdkafkaSubscription, OurLeaderAssignsLibrdkafkaMembers) {
  GroupSubscription group = {
      {"rdkafka-1", *DecodeSubscription(ReadFile("cooperative-cooperative-sticky.bin"))},
      {"rdkafka-2", *DecodeSubscription(ReadFile("cooperative-cooperative-sticky.bin"))}};
  auto assignor = *MakeAssignor("cooperative-sticky");
  absl::StatusOr<GroupAssignment> assignment =
      assignor->Assign({{"topic-a", 3}, {"topic-b", 3}}, group);
  ASSERT_THAT(assignment, IsOk());
  EXPECT_EQ(assignment->at("rdkafka-1").partitions.size(), 3u);
  EXPECT_EQ(assignment->at("rdkafka-2").partitions.size(), 3u);
}

}  // namespace
}  // namespace karst::client

#include "client/group_protocol.h"

#include "client/consumer_protocol.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::client {
namespace {

using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const TopicPartition kT0{"t", 0};
const TopicPartition kT1{"t", 1};

std::vector<std::unique_ptr<Assignor>> Assignors(std::vector<std::string> names) {
  std::vector<std::unique_ptr<Assignor>> out;
  for (const std::string& name : names) out.push_back(*MakeAssignor(name));
  return out;
}

TEST(GroupProtocol, JoinProtocolsFollowTheAssignorOrderWithOwnedPartitions) {
  const std::vector<JoinProtocol> protocols =
      BuildJoinProtocols(Assignors({"cooperative-sticky", "range"}), {"u", "t"}, {kT1}, 4);
  ASSERT_EQ(protocols.size(), 2u);
  EXPECT_EQ(protocols[0].name, "cooperative-sticky");
  EXPECT_EQ(protocols[1].name, "range");
  for (const JoinProtocol& p : protocols) {
    absl::StatusOr<Subscription> s = DecodeSubscription(p.metadata);
    ASSERT_THAT(s, IsOk());
    EXPECT_THAT(s->topics, ElementsAre("t", "u"));
    EXPECT_THAT(s->owned_partitions, ElementsAre(kT1));
    EXPECT_EQ(s->generation_id, 4);
  }
}

TEST(GroupProtocol, LeaderRunsTheAssignorOverEveryMember) {
  std::vector<JoinedMember> members = {
      {"a", std::nullopt, EncodeSubscription({.topics = {"t"}})},
      {"b", std::nullopt, EncodeSubscription({.topics = {"t"}})},
  };
  absl::StatusOr<GroupSubscription> subscriptions = DecodeMembers(members);
  ASSERT_THAT(subscriptions, IsOk());
  EXPECT_THAT(SubscribedTopics(*subscriptions), ElementsAre("t"));
  absl::StatusOr<std::map<std::string, std::string>> assigned = PerformAssignment(
      **MakeAssignor("range"), RebalanceProtocol::kEager, *subscriptions, {{"t", 2}});
  ASSERT_THAT(assigned, IsOk());
  EXPECT_THAT(DecodeAssignment(assigned->at("a"))->partitions, ElementsAre(kT0));
  EXPECT_THAT(DecodeAssignment(assigned->at("b"))->partitions, ElementsAre(kT1));
}

TEST(GroupProtocol, BadMemberMetadataNamesTheMember) {
  EXPECT_THAT(DecodeMembers({{"m-7", std::nullopt, "\x01"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("m-7")));
}

TEST(GroupProtocol, CooperativeLeaderKeepsOwnedPartitionsWhileTheyMove) {
  // a owns both partitions; b joins. Cooperative-sticky moves one to b only in a later
  // generation: this one assigns it to nobody.
  GroupSubscription subscriptions = {
      {"a", {.topics = {"t"}, .owned_partitions = {kT0, kT1}, .generation_id = 1}},
      {"b", {.topics = {"t"}}},
  };
  absl::StatusOr<std::map<std::string, std::string>> assigned =
      PerformAssignment(**MakeAssignor("cooperative-sticky"), RebalanceProtocol::kCooperative,
                        subscriptions, {{"t", 2}});
  ASSERT_THAT(assigned, IsOk());
  EXPECT_EQ(DecodeAssignment(assigned->at("a"))->partitions.size(), 1u);
  EXPECT_THAT(DecodeAssignment(assigned->at("b"))->partitions, IsEmpty());
}

}  // namespace
}  // namespace karst::client

#include "client/assignor.h"

#include <memory>
#include <vector>

#include "client/sticky_assignor.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace karst::client {
namespace {

using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::unique_ptr<Assignor>> Make(const std::vector<std::string>& names) {
  std::vector<std::unique_ptr<Assignor>> out;
  for (const std::string& name : names) {
    auto assignor = MakeAssignor(name);
    EXPECT_THAT(assignor, IsOk());
    if (assignor.ok()) out.push_back(std::move(*assignor));
  }
  return out;
}

TEST(Assignor, RegistryKnowsKafkasNamesAndClassNames) {
  for (const char* name : {"range", "roundrobin", "sticky", "cooperative-sticky"}) {
    auto assignor = MakeAssignor(name);
    ASSERT_THAT(assignor, IsOk());
    EXPECT_EQ((*assignor)->name(), name);
  }
  auto by_class = MakeAssignor("org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
  ASSERT_THAT(by_class, IsOk());
  EXPECT_EQ((*by_class)->name(), "cooperative-sticky");
  EXPECT_THAT(MakeAssignor("fair"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Assignor, SupportedProtocols) {
  EXPECT_THAT((*MakeAssignor("range"))->supported_protocols(),
              ElementsAre(RebalanceProtocol::kEager));
  EXPECT_THAT((*MakeAssignor("sticky"))->supported_protocols(),
              ElementsAre(RebalanceProtocol::kEager));
  EXPECT_THAT((*MakeAssignor("cooperative-sticky"))->supported_protocols(),
              ElementsAre(RebalanceProtocol::kCooperative, RebalanceProtocol::kEager));
}

TEST(Assignor, CommonProtocolIsTheNewestAllSupport) {
  // Kafka 3.x's default partition.assignment.strategy: range, cooperative-sticky.
  EXPECT_EQ(*CommonRebalanceProtocol(Make({"range", "cooperative-sticky"})),
            RebalanceProtocol::kEager);
  EXPECT_EQ(*CommonRebalanceProtocol(Make({"cooperative-sticky"})),
            RebalanceProtocol::kCooperative);
  EXPECT_THAT(CommonRebalanceProtocol({}), StatusIs(absl::StatusCode::kInvalidArgument));
}

class CooperativeOnly final : public Assignor {
 public:
  absl::string_view name() const override { return "coop-only"; }
  std::vector<RebalanceProtocol> supported_protocols() const override {
    return {RebalanceProtocol::kCooperative};
  }

 protected:
  absl::StatusOr<MemberPartitions> AssignPartitions(const PartitionsPerTopic&,
                                                    const GroupSubscription&) const override {
    return MemberPartitions();
  }
};

TEST(Assignor, NoCommonProtocolIsAnError) {
  std::vector<std::unique_ptr<Assignor>> assignors = Make({"range"});
  assignors.push_back(std::make_unique<CooperativeOnly>());
  auto protocol = CommonRebalanceProtocol(assignors);
  EXPECT_THAT(protocol, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(protocol.status().message(), HasSubstr("range, coop-only"));
}

TEST(Assignor, EveryAssignorGivesEveryMemberAnAssignmentAndIgnoresUnsubscribedTopics) {
  for (const char* name : {"range", "roundrobin", "sticky", "cooperative-sticky"}) {
    auto assignor = *MakeAssignor(name);
    auto result = assignor->Assign(
        {{"t", 2}, {"unsubscribed", 4}},
        {{"a", {.topics = {"t"}}}, {"b", {.topics = {"t"}}}, {"c", {.topics = {"t"}}}});
    ASSERT_THAT(result, IsOk()) << name;
    ASSERT_EQ(result->size(), 3u) << name;
    size_t total = 0;
    for (const auto& [member, assignment] : *result) {
      total += assignment.partitions.size();
      for (const auto& tp : assignment.partitions) EXPECT_EQ(tp.topic, "t") << name;
      EXPECT_FALSE(assignment.user_data.has_value());
    }
    EXPECT_EQ(total, 2u) << name;
  }
}

TEST(Assignor, RejectsNegativePartitionCounts) {
  auto assignor = *MakeAssignor("range");
  EXPECT_THAT(assignor->Assign({{"t", -1}}, {{"a", {.topics = {"t"}}}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Assignor, EmptyGroupGetsEmptyAssignment) {
  for (const char* name : {"range", "roundrobin", "sticky", "cooperative-sticky"}) {
    auto result = (*MakeAssignor(name))->Assign({{"t", 2}}, {});
    ASSERT_THAT(result, IsOk()) << name;
    EXPECT_TRUE(result->empty());
  }
}

}  // namespace
}  // namespace karst::client

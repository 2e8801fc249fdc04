// AdminClient's consumer group calls against FakeBrokers whose group APIs are scripted:
// coordinator lookup (batched and one key per request), retries on coordinator errors,
// ListGroups merging, the OffsetFetch layouts, and the errors of commits and deletes.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client/admin_client.h"
#include "client/consumer_group_description.h"
#include "client/testing/fake_broker.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kafka/protocol/consumer_protocol.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/api_versions.h"
#include "kafka/protocol/messages/delete_groups.h"
#include "kafka/protocol/messages/describe_groups.h"
#include "kafka/protocol/messages/find_coordinator.h"
#include "kafka/protocol/messages/list_groups.h"
#include "kafka/protocol/messages/metadata.h"
#include "kafka/protocol/messages/offset_commit.h"
#include "kafka/protocol/messages/offset_delete.h"
#include "kafka/protocol/messages/offset_fetch.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;
using ::karst::testing::FakeClock;
using ::karst::testing::StatusIs;
using ::testing::ElementsAre;
using testing::FakeBroker;
using ::testing::HasSubstr;

int16_t Code(kp::ErrorCode code) { return static_cast<int16_t>(code); }

// Two brokers that advertise the group APIs up to `max_versions` (default: their maxima).
class AdminGroupsTest : public ::testing::Test {
 protected:
  void StartBrokers(std::map<int16_t, int16_t> max_versions = {}) {
    std::map<int16_t, std::pair<int16_t, int16_t>> versions = {
        {kp::ApiVersionsRequest::kApiKey, {0, 3}},     {kp::MetadataRequest::kApiKey, {0, 12}},
        {kp::FindCoordinatorRequest::kApiKey, {0, 6}}, {kp::ListGroupsRequest::kApiKey, {0, 5}},
        {kp::DescribeGroupsRequest::kApiKey, {0, 5}},  {kp::OffsetFetchRequest::kApiKey, {1, 9}},
        {kp::OffsetCommitRequest::kApiKey, {1, 9}},    {kp::DeleteGroupsRequest::kApiKey, {0, 2}},
        {kp::OffsetDeleteRequest::kApiKey, {0, 0}}};
    for (const auto& [key, max] : max_versions) versions[key].second = max;
    for (int32_t id : {1, 2}) {
      auto broker = FakeBroker::Start({.node_id = id, .api_versions = versions});
      ASSERT_OK(broker.status());
      brokers_[id] = *std::move(broker);
    }
    testing::FakeMetadata metadata;
    for (const auto& [id, b] : brokers_) metadata.brokers[id] = b->port();
    for (const auto& [id, b] : brokers_) b->SetMetadata(metadata);
    AdminClientOptions options;
    options.bootstrap_servers = {{"127.0.0.1", brokers_[1]->port()}};
    auto admin = AdminClient::Create(options, clock_);
    ASSERT_OK(admin.status());
    admin_ = *std::move(admin);
  }

  // FindCoordinator on broker 1 names broker `coordinator_of(group)` for each key.
  void ScriptCoordinators(std::function<int32_t(const std::string&)> coordinator_of) {
    brokers_[1]->SetHandler<kp::FindCoordinatorRequest, kp::FindCoordinatorResponse>(
        [this, coordinator_of](const kp::FindCoordinatorRequest& r, int16_t version) {
          ++find_coordinator_calls_;
          kp::FindCoordinatorResponse response;
          std::vector<std::string> keys = r.coordinator_keys;
          if (version < 4) keys = {r.key};
          for (const std::string& key : keys) {
            const int32_t id = coordinator_of(key);
            if (version < 4) {
              response.node_id = id;
              response.host = "127.0.0.1";
              response.port = brokers_.at(id)->port();
            } else {
              response.coordinators.push_back(
                  {key, id, "127.0.0.1", brokers_.at(id)->port(), 0, std::nullopt, {}});
            }
          }
          return response;
        });
  }

  FakeClock clock_;
  std::map<int32_t, std::unique_ptr<FakeBroker>> brokers_;
  std::unique_ptr<AdminClient> admin_;
  std::atomic<int> find_coordinator_calls_ = 0;
};

kp::DescribeGroupsResponse::DescribedGroup StableGroup(const std::string& id) {
  kp::DescribeGroupsResponse::DescribedGroup g;
  g.group_id = id;
  g.group_state = "Stable";
  g.protocol_type = "consumer";
  g.protocol_data = "range";
  auto& m = g.members.emplace_back();
  m.member_id = "c-1";
  m.group_instance_id = "static-1";
  m.client_id = "c";
  m.client_host = "/127.0.0.1";
  m.member_metadata = kp::EncodeSubscription({.topics = {"t"}});
  m.member_assignment = kp::EncodeAssignment({.partitions = {{"t", 0}, {"t", 1}}});
  return g;
}

TEST_F(AdminGroupsTest, DescribeFindsEachCoordinatorInOneBatchAndDecodesMembers) {
  StartBrokers();
  ScriptCoordinators([](const std::string& g) { return g == "a" ? 1 : 2; });
  for (int32_t id : {1, 2}) {
    brokers_[id]->SetHandler<kp::DescribeGroupsRequest, kp::DescribeGroupsResponse>(
        [](const kp::DescribeGroupsRequest& r, int16_t) {
          kp::DescribeGroupsResponse response;
          for (const std::string& g : r.groups) response.groups.push_back(StableGroup(g));
          return response;
        });
  }
  auto groups = admin_->DescribeConsumerGroups({"b", "a"});
  ASSERT_OK(groups.status());
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].group_id, "b");
  EXPECT_EQ((*groups)[0].coordinator.id, 2);
  EXPECT_EQ((*groups)[1].coordinator.id, 1);
  const ConsumerGroupDescription& a = (*groups)[1];
  EXPECT_EQ(a.state, "Stable");
  EXPECT_EQ(a.protocol, "range");
  ASSERT_EQ(a.members.size(), 1u);
  EXPECT_EQ(a.members[0].group_instance_id, "static-1");
  EXPECT_EQ(a.members[0].host, "/127.0.0.1");
  EXPECT_THAT(a.members[0].subscribed_topics, ElementsAre("t"));
  EXPECT_THAT(a.members[0].assignment, ElementsAre(TopicPartition{"t", 0}, TopicPartition{"t", 1}));
  EXPECT_EQ(find_coordinator_calls_, 1);
  EXPECT_EQ(brokers_[1]->RequestCount(kp::DescribeGroupsRequest::kApiKey), 1);
  EXPECT_EQ(brokers_[2]->RequestCount(kp::DescribeGroupsRequest::kApiKey), 1);
}

TEST_F(AdminGroupsTest, FindsCoordinatorsOneKeyPerRequestBeforeV4) {
  StartBrokers({{kp::FindCoordinatorRequest::kApiKey, 3}});
  ScriptCoordinators([](const std::string&) { return 2; });
  brokers_[2]->SetHandler<kp::DescribeGroupsRequest, kp::DescribeGroupsResponse>(
      [](const kp::DescribeGroupsRequest& r, int16_t) {
        kp::DescribeGroupsResponse response;
        for (const std::string& g : r.groups) response.groups.push_back(StableGroup(g));
        return response;
      });
  auto groups = admin_->DescribeConsumerGroups({"a", "b", "c"});
  ASSERT_OK(groups.status());
  EXPECT_EQ(groups->size(), 3u);
  EXPECT_EQ(find_coordinator_calls_, 3);
}

TEST_F(AdminGroupsTest, RetriesOnNotCoordinatorAndLoadInProgress) {
  StartBrokers();
  // The first lookup names broker 1, which is not the coordinator; then broker 2, which is
  // still loading once.
  ScriptCoordinators([this](const std::string&) { return find_coordinator_calls_ == 1 ? 1 : 2; });
  brokers_[1]->SetHandler<kp::DescribeGroupsRequest, kp::DescribeGroupsResponse>(
      [](const kp::DescribeGroupsRequest& r, int16_t) {
        kp::DescribeGroupsResponse response;
        response.groups.emplace_back().group_id = r.groups.at(0);
        response.groups[0].error_code = Code(kp::ErrorCode::kNotCoordinator);
        return response;
      });
  std::atomic<int> calls = 0;
  brokers_[2]->SetHandler<kp::DescribeGroupsRequest, kp::DescribeGroupsResponse>(
      [&calls](const kp::DescribeGroupsRequest& r, int16_t) {
        kp::DescribeGroupsResponse response;
        response.groups.push_back(StableGroup(r.groups.at(0)));
        if (calls++ == 0) {
          response.groups[0].error_code = Code(kp::ErrorCode::kCoordinatorLoadInProgress);
        }
        return response;
      });
  auto groups = admin_->DescribeConsumerGroups({"g"});
  ASSERT_OK(groups.status());
  EXPECT_EQ((*groups)[0].coordinator.id, 2);
  EXPECT_EQ(find_coordinator_calls_, 3);
}

TEST_F(AdminGroupsTest, GivesUpWithTheCoordinatorErrorAfterTheTimeout) {
  StartBrokers();
  ScriptCoordinators([](const std::string&) { return 1; });
  brokers_[1]->SetHandler<kp::OffsetFetchRequest, kp::OffsetFetchResponse>(
      [](const kp::OffsetFetchRequest&, int16_t) {
        kp::OffsetFetchResponse response;
        auto& g = response.groups.emplace_back();
        g.group_id = "g";
        g.error_code = Code(kp::ErrorCode::kCoordinatorNotAvailable);
        return response;
      });
  EXPECT_THAT(admin_->ListConsumerGroupOffsets("g").status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("COORDINATOR_NOT_AVAILABLE")));
  EXPECT_GE(clock_.Monotonic(), absl::Seconds(29));
}

TEST_F(AdminGroupsTest, ListMergesBrokersAndKeepsConsumerGroups) {
  StartBrokers();
  std::vector<std::string> filters;
  for (int32_t id : {1, 2}) {
    brokers_[id]->SetHandler<kp::ListGroupsRequest, kp::ListGroupsResponse>(
        [id, &filters](const kp::ListGroupsRequest& r, int16_t) {
          if (id == 1) filters = r.states_filter;
          kp::ListGroupsResponse response;
          response.groups.push_back({id == 1 ? "b" : "a", "consumer", "Stable", "", {}});
          response.groups.push_back({"connect-" + std::to_string(id), "connect", "Stable", "", {}});
          if (id == 2) response.groups.push_back({"simple", "", "Stable", "", {}});
          return response;
        });
  }
  auto groups = admin_->ListConsumerGroups({"Stable"});
  ASSERT_OK(groups.status());
  std::vector<std::string> ids;
  for (const auto& g : *groups) ids.push_back(g.group_id);
  EXPECT_THAT(ids, ElementsAre("a", "b", "simple"));
  EXPECT_THAT(filters, ElementsAre("Stable"));
}

TEST_F(AdminGroupsTest, ListRefusesAStateFilterBeforeV4) {
  StartBrokers({{kp::ListGroupsRequest::kApiKey, 3}});
  EXPECT_THAT(admin_->ListConsumerGroups({"Empty"}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("v4")));
}

TEST_F(AdminGroupsTest, ListsOffsetsInBothOffsetFetchLayouts) {
  for (int16_t max : {int16_t{9}, int16_t{7}}) {
    SCOPED_TRACE(max);
    StartBrokers({{kp::OffsetFetchRequest::kApiKey, max}});
    ScriptCoordinators([](const std::string&) { return 2; });
    std::atomic<bool> asked_all = false;
    brokers_[2]->SetHandler<kp::OffsetFetchRequest, kp::OffsetFetchResponse>(
        [&asked_all](const kp::OffsetFetchRequest& r, int16_t version) {
          kp::OffsetFetchResponse response;
          if (version >= 8) {
            asked_all = !r.groups.at(0).topics.has_value();
            auto& g = response.groups.emplace_back();
            g.group_id = r.groups.at(0).group_id;
            auto& t = g.topics.emplace_back();
            t.name = "t";
            t.partitions.push_back({0, 5, 3, "m", 0, {}});
            t.partitions.push_back({1, -1, -1, "", 0, {}});
          } else {
            asked_all = !r.topics.has_value();
            auto& t = response.topics.emplace_back();
            t.name = "t";
            t.partitions.push_back({0, 5, 3, "m", 0, {}});
            t.partitions.push_back({1, -1, -1, "", 0, {}});
          }
          return response;
        });
    auto offsets = admin_->ListConsumerGroupOffsets("g");
    ASSERT_OK(offsets.status());
    ASSERT_EQ(offsets->size(), 1u);
    const CommittedOffset& c = offsets->at({"t", 0});
    EXPECT_EQ(c.offset, 5);
    EXPECT_EQ(c.leader_epoch, 3);
    EXPECT_EQ(c.metadata, "m");
    EXPECT_TRUE(asked_all);
  }
}

TEST_F(AdminGroupsTest, AlterCommitsWithoutGenerationAndSaysWhenTheGroupIsNotEmpty) {
  StartBrokers();
  ScriptCoordinators([](const std::string&) { return 1; });
  std::atomic<int16_t> answer = 0;
  kp::OffsetCommitRequest seen;
  brokers_[1]->SetHandler<kp::OffsetCommitRequest, kp::OffsetCommitResponse>(
      [&](const kp::OffsetCommitRequest& r, int16_t) {
        seen = r;
        kp::OffsetCommitResponse response;
        for (const auto& t : r.topics) {
          auto& rt = response.topics.emplace_back();
          rt.name = t.name;
          for (const auto& p : t.partitions)
            rt.partitions.push_back({p.partition_index, answer, {}});
        }
        return response;
      });
  ASSERT_OK(admin_->AlterConsumerGroupOffsets("g", {{{"t", 0}, 7}, {{"t", 1}, 9}}));
  EXPECT_EQ(seen.generation_id_or_member_epoch, -1);
  EXPECT_EQ(seen.member_id, "");
  ASSERT_EQ(seen.topics.size(), 1u);
  EXPECT_EQ(seen.topics[0].partitions[1].committed_offset, 9);

  answer = Code(kp::ErrorCode::kUnknownMemberId);
  EXPECT_THAT(admin_->AlterConsumerGroupOffsets("g", {{{"t", 0}, 7}}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("group g is not empty")));
  answer = Code(kp::ErrorCode::kOffsetMetadataTooLarge);
  EXPECT_THAT(admin_->AlterConsumerGroupOffsets("g", {{{"t", 0}, 7}}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("OFFSET_METADATA")));
}

TEST_F(AdminGroupsTest, DeleteGroupsGivesEachGroupsResult) {
  StartBrokers();
  ScriptCoordinators([](const std::string& g) { return g == "busy" ? 2 : 1; });
  for (int32_t id : {1, 2}) {
    brokers_[id]->SetHandler<kp::DeleteGroupsRequest, kp::DeleteGroupsResponse>(
        [](const kp::DeleteGroupsRequest& r, int16_t) {
          kp::DeleteGroupsResponse response;
          for (const std::string& g : r.groups_names) {
            int16_t code = 0;
            if (g == "busy") code = Code(kp::ErrorCode::kNonEmptyGroup);
            if (g == "nope") code = Code(kp::ErrorCode::kGroupIdNotFound);
            response.results.push_back({g, code, {}});
          }
          return response;
        });
  }
  auto results = admin_->DeleteConsumerGroups({"ok", "busy", "nope"});
  ASSERT_OK(results.status());
  EXPECT_OK(results->at("ok"));
  EXPECT_THAT(results->at("busy"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("NON_EMPTY_GROUP")));
  EXPECT_THAT(results->at("nope"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("GROUP_ID_NOT_FOUND")));
}

TEST_F(AdminGroupsTest, DeleteOffsetsGivesPartitionResultsOrTheGroupError) {
  StartBrokers();
  ScriptCoordinators([](const std::string&) { return 1; });
  std::atomic<int16_t> group_error = 0;
  brokers_[1]->SetHandler<kp::OffsetDeleteRequest, kp::OffsetDeleteResponse>(
      [&](const kp::OffsetDeleteRequest& r, int16_t) {
        kp::OffsetDeleteResponse response;
        response.error_code = group_error;
        for (const auto& t : r.topics) {
          auto& rt = response.topics.emplace_back();
          rt.name = t.name;
          for (const auto& p : t.partitions) {
            rt.partitions.push_back(
                {p.partition_index,
                 p.partition_index == 1 ? Code(kp::ErrorCode::kGroupSubscribedToTopic) : int16_t{0},
                 {}});
          }
        }
        return response;
      });
  auto results = admin_->DeleteConsumerGroupOffsets("g", {{"t", 0}, {"t", 1}});
  ASSERT_OK(results.status());
  EXPECT_OK(results->at({"t", 0}));
  EXPECT_THAT(results->at({"t", 1}), StatusIs(absl::StatusCode::kFailedPrecondition,
                                              HasSubstr("GROUP_SUBSCRIBED_TO_TOPIC")));
  group_error = Code(kp::ErrorCode::kGroupIdNotFound);
  EXPECT_THAT(admin_->DeleteConsumerGroupOffsets("g", {{"t", 0}}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("GROUP_ID_NOT_FOUND")));
}

TEST(ToConsumerGroupDescription, UnknownGroupIsDeadAndOtherProtocolsAreRefused) {
  kp::DescribeGroupsResponse::DescribedGroup g;
  g.group_id = "g";
  g.error_code = Code(kp::ErrorCode::kGroupIdNotFound);
  auto dead = ToConsumerGroupDescription(g);
  ASSERT_OK(dead.status());
  EXPECT_EQ(dead->state, "Dead");

  g.error_code = 0;
  g.group_state = "Stable";
  g.protocol_type = "connect";
  EXPECT_THAT(ToConsumerGroupDescription(g).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a consumer group")));

  g = StableGroup("g");
  g.members[0].member_assignment = std::string("\x00", 1);
  EXPECT_THAT(ToConsumerGroupDescription(g).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("member c-1: assignment")));
  g.members[0].member_assignment.clear();
  auto unsynced = ToConsumerGroupDescription(g);
  ASSERT_OK(unsynced.status());
  EXPECT_TRUE(unsynced->members[0].assignment.empty());
}

}  // namespace
}  // namespace karst::client

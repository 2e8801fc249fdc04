// Consumer group membership against FakeGroupCoordinator: joining, assignments, rebalances
// and their callbacks, lost partitions, leaving, coordinator moves.
#include <regex>

#include "client/consumer_group_testing.h"
#include "gmock/gmock.h"
#include "kafka/protocol/errors.h"

namespace karst::client::testing {
namespace {

namespace kp = ::karst::kafka::protocol;
using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr int16_t kFindCoordinator = kp::FindCoordinatorRequest::kApiKey;
constexpr int16_t kJoinGroup = kp::JoinGroupRequest::kApiKey;
constexpr int16_t kHeartbeat = kp::HeartbeatRequest::kApiKey;
constexpr int16_t kLeaveGroup = kp::LeaveGroupRequest::kApiKey;
constexpr int16_t kOffsetCommit = kp::OffsetCommitRequest::kApiKey;

int16_t Code(kp::ErrorCode code) { return static_cast<int16_t>(code); }

const TopicPartition kT0{"t", 0};
const TopicPartition kT1{"t", 1};

std::vector<std::string> ProtocolNames(const kp::JoinGroupRequest& join) {
  std::vector<std::string> out;
  for (const auto& p : join.protocols) out.push_back(p.name);
  return out;
}

TEST_F(ConsumerGroupTest, JoinsWithTheMemberIdTheCoordinatorRequires) {
  Append(kT0, 0, 5);
  Append(kT1, 0, 2);
  group_->SetCommitted(kT0, 3);  // t-1 has none: auto.offset.reset (earliest) applies.
  RecordingListener listener;    // Outlives the consumer, which calls it on Close.
  std::unique_ptr<Consumer> consumer = Make(Options());
  ASSERT_THAT(consumer->Subscribe({"t"}, &listener), IsOk());
  absl::StatusOr<Consumer::GroupMetadata> before = consumer->GetGroupMetadata();
  ASSERT_THAT(before, IsOk());
  EXPECT_EQ(before->group_id, "g");
  EXPECT_EQ(before->generation_id, -1);
  EXPECT_EQ(before->member_id, "");
  std::vector<ConsumerRecord> records;
  PollUntil(
      *consumer, [&] { return records.size() >= 4; }, &records);
  absl::StatusOr<Consumer::GroupMetadata> joined = consumer->GetGroupMetadata();
  ASSERT_THAT(joined, IsOk());
  EXPECT_EQ(joined->generation_id, group_->generation_id());
  EXPECT_EQ(joined->member_id, "member-1");
  for (const ConsumerRecord& r : records) {
    EXPECT_GE(r.offset, r.partition == 0 ? 3 : 0) << ToString({r.topic, r.partition});
  }
  EXPECT_THAT(listener.events, ElementsAre("assigned:t-0,t-1"));
  EXPECT_THAT(consumer->Assignment(), ElementsAre(kT0, kT1));
  EXPECT_EQ(consumer->Position(kT0).value_or(-1), 5);
  EXPECT_EQ(consumer->Position(kT1).value_or(-1), 2);

  const std::vector<kp::JoinGroupRequest> joins = group_->JoinGroupRequests();
  ASSERT_EQ(joins.size(), 2u);
  EXPECT_EQ(joins[0].member_id, "");  // KIP-394: MEMBER_ID_REQUIRED, then again with the id.
  EXPECT_EQ(joins[1].member_id, "member-1");
  EXPECT_EQ(joins[1].group_id, "g");
  EXPECT_EQ(joins[1].protocol_type, "consumer");
  EXPECT_EQ(joins[1].rebalance_timeout_ms, 300000);
  EXPECT_EQ(joins[1].session_timeout_ms, 45000);
  EXPECT_THAT(ProtocolNames(joins[1]), ElementsAre("range", "cooperative-sticky"));
  absl::StatusOr<kp::Subscription> subscription =
      kp::DecodeSubscription(joins[1].protocols[0].metadata);
  ASSERT_THAT(subscription, IsOk());
  EXPECT_THAT(subscription->topics, ElementsAre("t"));
  EXPECT_EQ(group_->SyncGroupRequests().back().generation_id, group_->generation_id());
  PollUntil(*consumer, [&] { return !group_->HeartbeatRequests().empty(); });
  ASSERT_FALSE(group_->HeartbeatRequests().empty());
  EXPECT_EQ(group_->HeartbeatRequests()[0].member_id, "member-1");
  EXPECT_EQ(group_->HeartbeatRequests()[0].generation_id, group_->generation_id());
}

TEST_F(ConsumerGroupTest, LeaderAssignsWithRangeOverEveryMember) {
  group_->AddOtherMember("other", {.topics = {"t"}});
  std::unique_ptr<Consumer> consumer = Make(Options());
  ASSERT_THAT(consumer->Subscribe({"t"}), IsOk());
  PollUntil(*consumer, [&] { return !consumer->Assignment().empty(); });
  EXPECT_THAT(consumer->Assignment(), ElementsAre(kT0));
  const std::map<std::string, kp::Assignment> sent = group_->LeaderAssignments();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_THAT(sent.at("member-1").partitions, ElementsAre(kT0));
  EXPECT_THAT(sent.at("other").partitions, ElementsAre(kT1));
}

TEST_F(ConsumerGroupTest, FollowerTakesTheAssignmentFromSyncGroup) {
  group_->SetFollower(kp::Assignment{.partitions = {kT1}});
  std::unique_ptr<Consumer> consumer = Make(Options());
  ASSERT_THAT(consumer->Subscribe({"t"}), IsOk());
  PollUntil(*consumer, [&] { return !consumer->Assignment().empty(); });
  EXPECT_THAT(consumer->Assignment(), ElementsAre(kT1));
  EXPECT_THAT(group_->SyncGroupRequests().back().assignments, IsEmpty());
}

TEST_F(ConsumerGroupTest, EagerRebalanceCommitsThenRevokesEverythingBeforeAssigning) {
  Append(kT0, 0, 3);
  ConsumerOptions options = Options();
  options.enable_auto_commit = true;
  options.auto_commit_interval = absl::Hours(1);  // Only the rebalance commits.
  RecordingListener listener;                     // Outlives the consumer, which calls it on Close.
  std::unique_ptr<Consumer> consumer = Make(options);
  ASSERT_THAT(consumer->Subscribe({"t"}, &listener), IsOk());
  std::vector<ConsumerRecord> records;
  PollUntil(
      *consumer, [&] { return records.size() >= 3; }, &records);
  ASSERT_EQ(consumer->Position(kT0).value_or(-1), 3);
  const int joins = broker_->RequestCount(kJoinGroup);

  group_->InjectError(kHeartbeat, Code(kp::ErrorCode::kRebalanceInProgress));
  PollUntil(*consumer, [&] { return listener.events.size() >= 3; });
  EXPECT_THAT(listener.events,
              ElementsAre("assigned:t-0,t-1", "revoked:t-0,t-1", "assigned:t-0,t-1"));
  EXPECT_EQ(broker_->RequestCount(kJoinGroup), joins + 1);  // The member id is kept.
  // Java's onJoinPrepare: the consumed position is committed before the revocation.
  EXPECT_EQ(group_->Committed(kT0), 3);
  const std::vector<ReceivedRequest> requests = broker_->Requests();
  auto commit = std::find_if(requests.begin(), requests.end(),
                             [](const ReceivedRequest& r) { return r.api_key == kOffsetCommit; });
  auto rejoin = std::find_if(commit, requests.end(),
                             [](const ReceivedRequest& r) { return r.api_key == kJoinGroup; });
  EXPECT_NE(commit, requests.end());
  EXPECT_NE(rejoin, requests.end());
}

TEST_F(ConsumerGroupTest, CooperativeRebalanceRevokesOnlyWhatMoves) {
  ConsumerOptions options = Options();
  options.partition_assignment_strategy = {"cooperative-sticky"};
  RecordingListener listener;  // Outlives the consumer, which calls it on Close.
  std::unique_ptr<Consumer> consumer = Make(options);
  ASSERT_THAT(consumer->Subscribe({"t"}, &listener), IsOk());
  PollUntil(*consumer, [&] { return consumer->Assignment().size() == 2; });

  // A second member arrives: one partition moves to it over two rebalances (KIP-429).
  group_->AddOtherMember("other", {.topics = {"t"}});
  group_->InjectError(kHeartbeat, Code(kp::ErrorCode::kRebalanceInProgress));
  PollUntil(*consumer, [&] { return listener.events.size() >= 4; });
  ASSERT_EQ(consumer->Assignment().size(), 1u);
  const std::string kept = ToString(consumer->Assignment()[0]);
  const std::string moved = kept == "t-0" ? "t-1" : "t-0";
  EXPECT_THAT(listener.events,
              ElementsAre("assigned:t-0,t-1", "revoked:" + moved, "assigned:", "assigned:"));
  // The second join offered what we owned; the third handed the moved partition over.
  const std::vector<kp::JoinGroupRequest> joins = group_->JoinGroupRequests();
  ASSERT_GE(joins.size(), 4u);
  absl::StatusOr<kp::Subscription> second = kp::DecodeSubscription(joins[2].protocols[0].metadata);
  ASSERT_THAT(second, IsOk());
  EXPECT_THAT(second->owned_partitions, ElementsAre(kT0, kT1));
  const std::map<std::string, kp::Assignment> sent = group_->LeaderAssignments();
  ASSERT_TRUE(sent.contains("other"));
  ASSERT_EQ(sent.at("other").partitions.size(), 1u);
  EXPECT_EQ(ToString(sent.at("other").partitions[0]), moved);
}

TEST_F(ConsumerGroupTest, ExpelledMemberLosesItsPartitionsAndJoinsAsANewMember) {
  for (kp::ErrorCode code : {kp::ErrorCode::kUnknownMemberId, kp::ErrorCode::kIllegalGeneration}) {
    SCOPED_TRACE(kp::ErrorName(code));
    RecordingListener listener;  // Outlives the consumer, which calls it on Close.
    std::unique_ptr<Consumer> consumer = Make(Options());
    ASSERT_THAT(consumer->Subscribe({"t"}, &listener), IsOk());
    PollUntil(*consumer, [&] { return !listener.events.empty(); });
    const std::string first_member = group_->member_id();
    group_->InjectError(kHeartbeat, Code(code));
    PollUntil(*consumer, [&] { return listener.events.size() >= 3; });
    EXPECT_THAT(listener.events,
                ElementsAre("assigned:t-0,t-1", "lost:t-0,t-1", "assigned:t-0,t-1"));
    EXPECT_EQ(group_->JoinGroupRequests().back().member_id, group_->member_id());
    EXPECT_NE(group_->member_id(), first_member);  // Reset, then MEMBER_ID_REQUIRED again.
    consumer->Close();
  }
}

TEST_F(ConsumerGroupTest, FencedStaticMemberLosesItsPartitionsAndPollFails) {
  ConsumerOptions options = Options();
  options.group_instance_id = "instance-1";
  RecordingListener listener;  // Outlives the consumer, which calls it on Close.
  std::unique_ptr<Consumer> consumer = Make(options);
  ASSERT_THAT(consumer->Subscribe({"t"}, &listener), IsOk());
  PollUntil(*consumer, [&] { return !listener.events.empty(); });
  group_->InjectError(kHeartbeat, Code(kp::ErrorCode::kFencedInstanceId));
  ASSERT_THAT(
      broker_->WaitForRequests(kHeartbeat, broker_->RequestCount(kHeartbeat) + 1, kDeadline),
      IsOk());
  absl::Status polled = absl::OkStatus();
  const absl::Duration deadline = SystemClock::Get().Monotonic() + kDeadline;
  while (polled.ok() && SystemClock::Get().Monotonic() < deadline) {
    polled = consumer->Poll(absl::Milliseconds(20)).status();
  }
  EXPECT_THAT(polled,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("FENCED_INSTANCE_ID")));
  EXPECT_THAT(listener.events, ElementsAre("assigned:t-0,t-1", "lost:t-0,t-1"));
}

TEST_F(ConsumerGroupTest, CloseRevokesAndLeavesTheGroup) {
  RecordingListener listener;  // Outlives the consumer, which calls it on Close.
  std::unique_ptr<Consumer> consumer = Make(Options());
  ASSERT_THAT(consumer->Subscribe({"t"}, &listener), IsOk());
  PollUntil(*consumer, [&] { return !listener.events.empty(); });
  consumer->Close();
  EXPECT_THAT(listener.events, ElementsAre("assigned:t-0,t-1", "revoked:t-0,t-1"));
  const std::vector<kp::LeaveGroupRequest> leaves = group_->LeaveGroupRequests();
  ASSERT_EQ(leaves.size(), 1u);
  ASSERT_EQ(leaves[0].members.size(), 1u);
  EXPECT_EQ(leaves[0].members[0].member_id, "member-1");
  EXPECT_THAT(consumer->Poll(absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ConsumerGroupTest, StaticMemberJoinsWithItsInstanceIdAndDoesNotLeave) {
  ConsumerOptions options = Options();
  options.group_instance_id = "instance-1";
  std::unique_ptr<Consumer> consumer = Make(options);
  ASSERT_THAT(consumer->Subscribe({"t"}), IsOk());
  PollUntil(*consumer, [&] { return !consumer->Assignment().empty(); });
  const std::vector<kp::JoinGroupRequest> joins = group_->JoinGroupRequests();
  ASSERT_EQ(joins.size(), 1u);  // KIP-345: no MEMBER_ID_REQUIRED round for static members.
  EXPECT_EQ(joins[0].group_instance_id, "instance-1");
  EXPECT_EQ(group_->SyncGroupRequests()[0].group_instance_id, "instance-1");
  consumer->Close();
  EXPECT_EQ(broker_->RequestCount(kLeaveGroup), 0);
}

TEST_F(ConsumerGroupTest, UnsubscribeLeavesAndAllowsAssign) {
  std::unique_ptr<Consumer> consumer = Make(Options());
  ASSERT_THAT(consumer->Subscribe({"t"}), IsOk());
  EXPECT_THAT(consumer->Assign({{kT0, StartOffset::Earliest()}}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  PollUntil(*consumer, [&] { return !consumer->Assignment().empty(); });
  consumer->Unsubscribe();
  EXPECT_THAT(consumer->Assignment(), IsEmpty());
  EXPECT_EQ(broker_->RequestCount(kLeaveGroup), 1);
  ASSERT_THAT(consumer->Assign({{kT0, StartOffset::Earliest()}}), IsOk());
  EXPECT_THAT(consumer->Subscribe({"t"}), StatusIs(absl::StatusCode::kFailedPrecondition));

  ConsumerOptions no_group = Options();
  no_group.group_id = "";
  EXPECT_THAT(Make(no_group)->Subscribe({"t"}), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ConsumerGroupTest, FindsTheCoordinatorAgainWhenItMoves) {
  group_->InjectError(kFindCoordinator, Code(kp::ErrorCode::kCoordinatorNotAvailable), 2);
  std::unique_ptr<FakeBroker> second = Start(2);
  FakeMetadata metadata = broker_->metadata();
  metadata.brokers[2] = second->port();
  broker_->SetMetadata(metadata);
  second->SetMetadata(metadata);
  std::unique_ptr<Consumer> consumer = Make(Options());
  ASSERT_THAT(consumer->Subscribe({"t"}), IsOk());
  PollUntil(*consumer, [&] { return !consumer->Assignment().empty(); });
  EXPECT_EQ(group_->FindCoordinatorRequests().size(), 3u);  // Retried after the errors.
  EXPECT_EQ(group_->FindCoordinatorRequests()[0].key, "g");

  // The group moves to broker 2: broker 1's NOT_COORDINATOR sends the member looking again.
  group_->SetCoordinator(2, second->port());
  PollUntil(*consumer, [&] { return group_->FindCoordinatorRequests().size() >= 4; });
  ASSERT_THAT(second->WaitForRequests(kHeartbeat, 1, kDeadline), IsOk());
  ASSERT_THAT(consumer->CommitSync({{kT0, {7, ""}}}), IsOk());
  EXPECT_EQ(second->RequestCount(kOffsetCommit), 1);
  EXPECT_EQ(group_->Committed(kT0), 7);
}

TEST_F(ConsumerGroupTest, PatternSubscriptionFollowsMatchingTopics) {
  FakeMetadata metadata = broker_->metadata();
  metadata.topics["other"] = {FakePartition{.leader = 1}};
  broker_->SetMetadata(metadata);
  ConsumerOptions options = Options();
  options.metadata_max_age = absl::Milliseconds(20);
  std::unique_ptr<Consumer> consumer = Make(options);
  ASSERT_THAT(consumer->Subscribe(std::regex("t.*")), IsOk());
  PollUntil(*consumer, [&] { return consumer->Assignment().size() == 2; });
  EXPECT_THAT(consumer->Subscription(), ElementsAre("t"));

  metadata.topics["t2"] = {FakePartition{.leader = 1}};
  broker_->SetMetadata(metadata);
  PollUntil(*consumer, [&] { return consumer->Assignment().size() == 3; });
  EXPECT_THAT(consumer->Subscription(), ElementsAre("t", "t2"));
  absl::StatusOr<kp::Subscription> last =
      kp::DecodeSubscription(group_->JoinGroupRequests().back().protocols[0].metadata);
  ASSERT_THAT(last, IsOk());
  EXPECT_THAT(last->topics, ElementsAre("t", "t2"));
}

TEST_F(ConsumerGroupTest, LeaderRejoinsWhenATopicGainsPartitions) {
  ConsumerOptions options = Options();
  options.metadata_max_age = absl::Milliseconds(20);
  std::unique_ptr<Consumer> consumer = Make(options);
  ASSERT_THAT(consumer->Subscribe({"t"}), IsOk());
  PollUntil(*consumer, [&] { return consumer->Assignment().size() == 2; });
  FakeMetadata metadata = broker_->metadata();
  metadata.topics["t"].push_back(FakePartition{.leader = 1});
  broker_->SetMetadata(metadata);
  PollUntil(*consumer, [&] { return consumer->Assignment().size() == 3; });
  EXPECT_THAT(consumer->Assignment(), ElementsAre(kT0, kT1, TopicPartition{"t", 2}));
}

TEST_F(ConsumerGroupTest, PollTimeoutLeavesTheGroupAndLosesThePartitions) {
  ConsumerOptions options = Options();
  options.max_poll_interval = absl::Milliseconds(200);
  RecordingListener listener;  // Outlives the consumer, which calls it on Close.
  std::unique_ptr<Consumer> consumer = Make(options);
  ASSERT_THAT(consumer->Subscribe({"t"}, &listener), IsOk());
  PollUntil(*consumer, [&] { return !listener.events.empty(); });
  // No Poll for max.poll.interval.ms: the heartbeat thread leaves the group.
  ASSERT_THAT(broker_->WaitForRequests(kLeaveGroup, 1, kDeadline), IsOk());
  PollUntil(*consumer, [&] { return listener.events.size() >= 3; });
  EXPECT_THAT(listener.events, ElementsAre("assigned:t-0,t-1", "lost:t-0,t-1", "assigned:t-0,t-1"));
}

}  // namespace
}  // namespace karst::client::testing

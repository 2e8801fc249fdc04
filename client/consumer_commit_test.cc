// Consumer offset commits and committed offsets against FakeGroupCoordinator.
#include "client/consumer_group_testing.h"
#include "gmock/gmock.h"
#include "kafka/protocol/errors.h"

namespace karst::client::testing {
namespace {

namespace kp = ::karst::kafka::protocol;
using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int16_t kFindCoordinator = kp::FindCoordinatorRequest::kApiKey;
constexpr int16_t kJoinGroup = kp::JoinGroupRequest::kApiKey;
constexpr int16_t kOffsetCommit = kp::OffsetCommitRequest::kApiKey;
constexpr int16_t kOffsetFetch = kp::OffsetFetchRequest::kApiKey;

int16_t Code(kp::ErrorCode code) { return static_cast<int16_t>(code); }

const TopicPartition kT0{"t", 0};
const TopicPartition kT1{"t", 1};

class ConsumerCommitTest : public ConsumerGroupTest {
 protected:
  // A subscribed consumer that has polled `count` records of t-0 (appended here).
  std::unique_ptr<Consumer> Consumed(ConsumerOptions options, int count) {
    Append(kT0, 0, count);
    std::unique_ptr<Consumer> consumer = Make(std::move(options));
    EXPECT_THAT(consumer->Subscribe({"t"}), IsOk());
    std::vector<ConsumerRecord> records;
    PollUntil(
        *consumer, [&] { return records.size() >= static_cast<size_t>(count); }, &records);
    return consumer;
  }
};

TEST_F(ConsumerCommitTest, CommitSyncCommitsConsumedPositionsWithTheGeneration) {
  ConsumerOptions options = Options();
  options.max_poll_records = 2;  // Records fetched but not returned are not committed.
  std::unique_ptr<Consumer> consumer = Consumed(options, 2);
  Append(kT0, 2, 5);
  std::vector<ConsumerRecord> records;
  PollUntil(
      *consumer, [&] { return !records.empty(); }, &records);
  ASSERT_THAT(consumer->CommitSync(), IsOk());
  const int64_t consumed = 2 + static_cast<int64_t>(records.size());
  EXPECT_EQ(group_->Committed(kT0), consumed);
  EXPECT_EQ(group_->Committed(kT1), 0);  // Its position: the log start (earliest).
  const std::vector<kp::OffsetCommitRequest> commits = group_->OffsetCommitRequests();
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(commits[0].group_id, "g");
  EXPECT_EQ(commits[0].generation_id_or_member_epoch, group_->generation_id());
  EXPECT_EQ(commits[0].member_id, group_->member_id());

  absl::StatusOr<std::map<TopicPartition, std::optional<OffsetAndMetadata>>> committed =
      consumer->Committed({kT0, TopicPartition{"t", 7}});
  ASSERT_THAT(committed, IsOk());
  EXPECT_EQ(committed->at(kT0), (OffsetAndMetadata{consumed, ""}));
  EXPECT_EQ(committed->at(TopicPartition{"t", 7}), std::nullopt);
}

TEST_F(ConsumerCommitTest, CommitSyncSendsGivenOffsetsAndMetadata) {
  std::unique_ptr<Consumer> consumer = Consumed(Options(), 1);
  ASSERT_THAT(consumer->CommitSync({{kT1, {42, "checkpoint"}}}), IsOk());
  EXPECT_EQ(group_->Committed(kT1), 42);
  const kp::OffsetCommitRequest commit = group_->OffsetCommitRequests().back();
  ASSERT_EQ(commit.topics.size(), 1u);
  ASSERT_EQ(commit.topics[0].partitions.size(), 1u);
  EXPECT_EQ(commit.topics[0].partitions[0].committed_metadata, "checkpoint");
}

TEST_F(ConsumerCommitTest, CommitAsyncCallbackRunsFromALaterPoll) {
  std::unique_ptr<Consumer> consumer = Consumed(Options(), 3);
  std::vector<absl::Status> outcomes;
  OffsetMap reported;
  consumer->CommitAsync([&](const OffsetMap& offsets, const absl::Status& status) {
    outcomes.push_back(status);
    reported = offsets;
  });
  EXPECT_TRUE(outcomes.empty());
  PollUntil(*consumer, [&] { return !outcomes.empty(); });
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_THAT(outcomes[0], IsOk());
  EXPECT_EQ(reported.at(kT0).offset, 3);
  EXPECT_EQ(group_->Committed(kT0), 3);

  group_->InjectError(kOffsetCommit, Code(kp::ErrorCode::kOffsetMetadataTooLarge));
  consumer->CommitAsync(
      [&](const OffsetMap&, const absl::Status& status) { outcomes.push_back(status); });
  PollUntil(*consumer, [&] { return outcomes.size() == 2; });
  EXPECT_THAT(outcomes.back(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                        HasSubstr("OFFSET_METADATA_TOO_LARGE")));
}

TEST_F(ConsumerCommitTest, CommitFailsWhenTheGroupRebalancedAndPollRejoins) {
  std::unique_ptr<Consumer> consumer = Consumed(Options(), 1);
  const int joins = broker_->RequestCount(kJoinGroup);
  group_->InjectError(kOffsetCommit, Code(kp::ErrorCode::kRebalanceInProgress));
  EXPECT_THAT(consumer->CommitSync(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("commit failed")));
  PollUntil(*consumer, [&] { return broker_->RequestCount(kJoinGroup) > joins; });

  group_->InjectError(kOffsetCommit, Code(kp::ErrorCode::kIllegalGeneration));
  absl::Status failed = consumer->CommitSync();
  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("commit failed")));
  EXPECT_THAT(failed,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("ILLEGAL_GENERATION")));
}

TEST_F(ConsumerCommitTest, CommitSyncRetriesRetriableErrorsAndAMovedCoordinator) {
  std::unique_ptr<Consumer> consumer = Consumed(Options(), 2);
  const int finds = broker_->RequestCount(kFindCoordinator);
  group_->InjectError(kOffsetCommit, Code(kp::ErrorCode::kCoordinatorLoadInProgress), 2);
  ASSERT_THAT(consumer->CommitSync(), IsOk());
  EXPECT_EQ(group_->OffsetCommitRequests().size(), 3u);
  group_->InjectError(kOffsetCommit, Code(kp::ErrorCode::kNotCoordinator));
  ASSERT_THAT(consumer->CommitSync({{kT0, {1, ""}}}), IsOk());
  EXPECT_EQ(broker_->RequestCount(kFindCoordinator), finds + 1);
  EXPECT_EQ(group_->Committed(kT0), 1);
}

TEST_F(ConsumerCommitTest, AutoCommitCommitsConsumedPositionsFromPoll) {
  ConsumerOptions options = Options();
  options.enable_auto_commit = true;
  options.auto_commit_interval = absl::Milliseconds(10);
  std::unique_ptr<Consumer> consumer = Consumed(options, 4);
  PollUntil(*consumer, [&] { return group_->Committed(kT0) == 4; });
  EXPECT_EQ(group_->Committed(kT0), 4);
}

TEST_F(ConsumerCommitTest, CloseCommitsWithAutoCommit) {
  ConsumerOptions options = Options();
  options.enable_auto_commit = true;
  options.auto_commit_interval = absl::Hours(1);
  std::unique_ptr<Consumer> consumer = Consumed(options, 2);
  EXPECT_EQ(group_->Committed(kT0), std::nullopt);
  consumer->Close();
  EXPECT_EQ(group_->Committed(kT0), 2);
}

TEST_F(ConsumerCommitTest, ManuallyAssignedConsumerCommitsWithoutAGeneration) {
  std::unique_ptr<Consumer> consumer = Make(Options());
  ASSERT_THAT(consumer->Assign({{kT0, StartOffset::At(5)}}), IsOk());
  ASSERT_THAT(consumer->CommitSync({{kT0, {5, ""}}}), IsOk());
  const std::vector<kp::OffsetCommitRequest> commits = group_->OffsetCommitRequests();
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(commits[0].generation_id_or_member_epoch, -1);
  EXPECT_EQ(commits[0].member_id, "");
  EXPECT_EQ(broker_->RequestCount(kJoinGroup), 0);
  EXPECT_EQ(group_->Committed(kT0), 5);
}

TEST_F(ConsumerCommitTest, CommitsNeedAGroupId) {
  ConsumerOptions options = Options();
  options.group_id = "";
  std::unique_ptr<Consumer> consumer = Make(options);
  EXPECT_THAT(consumer->CommitSync({{kT0, {1, ""}}}),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("group.id")));
  absl::Status async = absl::OkStatus();
  consumer->CommitAsync({{kT0, {1, ""}}},
                        [&](const OffsetMap&, const absl::Status& status) { async = status; });
  EXPECT_THAT(async, StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(consumer->Committed({kT0}), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ConsumerCommitTest, StartsAtTheCommittedOffsetAfterRetryingOffsetFetch) {
  Append(kT0, 0, 6);
  group_->SetCommitted(kT0, 4);
  group_->InjectError(kOffsetFetch, Code(kp::ErrorCode::kCoordinatorLoadInProgress));
  std::unique_ptr<Consumer> consumer = Make(Options());
  ASSERT_THAT(consumer->Subscribe({"t"}), IsOk());
  std::vector<ConsumerRecord> records;
  PollUntil(
      *consumer, [&] { return records.size() >= 2; }, &records);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].offset, 4);
  EXPECT_EQ(records[1].offset, 5);
  EXPECT_GE(broker_->RequestCount(kOffsetFetch), 2);
}

}  // namespace
}  // namespace karst::client::testing

#include "client/consumer.h"

#include "client/kafka_error.h"
#include "client/testing/fake_broker.h"
#include "common/clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/fetch.h"
#include "kafka/protocol/messages/list_offsets.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;
using ::karst::client::testing::FakeBroker;
using ::karst::client::testing::FakeMetadata;
using ::karst::client::testing::FakePartition;
using ::karst::client::testing::ReceivedRequest;
using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr int16_t kFetch = kp::FetchRequest::kApiKey;
constexpr int16_t kListOffsets = kp::ListOffsetsRequest::kApiKey;
// Polls wait at most this long; each returns as soon as records arrive.
constexpr absl::Duration kPollTimeout = absl::Seconds(10);

const TopicPartition kP0{"t", 0};
const TopicPartition kP1{"t", 1};

std::vector<std::string> Values(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(absl::StrCat("v", i));
  return out;
}

std::vector<int64_t> Offsets(const std::vector<ConsumerRecord>& records) {
  std::vector<int64_t> out;
  for (const ConsumerRecord& r : records) out.push_back(r.offset);
  return out;
}

std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t i = from; i < to; ++i) out.push_back(i);
  return out;
}

std::vector<int64_t> FetchOffsetsOf(const FakeBroker& broker, const TopicPartition& tp) {
  std::vector<int64_t> out;
  for (const ReceivedRequest& r : broker.Requests(kFetch)) {
    for (const auto& f : r.fetched) {
      if (f.topic == tp.topic && f.partition == tp.partition) out.push_back(f.fetch_offset);
    }
  }
  return out;
}

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<FakeBroker>> broker = FakeBroker::Start({.node_id = 1});
    ASSERT_THAT(broker, IsOk());
    broker_ = *std::move(broker);
    broker_->SetMetadata(
        {.brokers = {{1, broker_->port()}},
         .topics = {{"t", {FakePartition{.leader = 1}, FakePartition{.leader = 1}}}}});
  }

  // Short waits and backoffs, so that empty polls and retries stay fast.
  ConsumerOptions Options() const {
    return ConsumerOptions{.bootstrap_servers = {{"127.0.0.1", broker_->port()}},
                           .fetch_max_wait = absl::Milliseconds(20),
                           .request_timeout = absl::Seconds(10),
                           .retry_backoff = absl::Milliseconds(5),
                           .reconnect_backoff = absl::Milliseconds(5),
                           .default_api_timeout = absl::Seconds(10)};
  }

  std::unique_ptr<Consumer> Make(ConsumerOptions options) {
    absl::StatusOr<std::unique_ptr<Consumer>> c =
        Consumer::Create(std::move(options), SystemClock::Get());
    EXPECT_THAT(c, IsOk());
    return *std::move(c);
  }

  void Append(const TopicPartition& tp, int from, int to, FakeBroker* broker = nullptr) {
    ASSERT_THAT((broker != nullptr ? broker : broker_.get())
                    ->AppendValues(tp.topic, tp.partition, Values(from, to)),
                IsOk());
  }

  std::unique_ptr<FakeBroker> broker_;
};

TEST_F(ConsumerTest, SeekMovesThePositionAndDropsBufferedRecords) {
  Append(kP0, 0, 10);
  ConsumerOptions options = Options();
  options.max_poll_records = 3;
  std::unique_ptr<Consumer> consumer = Make(options);
  ASSERT_THAT(consumer->Assign({{kP0, StartOffset::Earliest()}}), IsOk());
  EXPECT_THAT(consumer->Assignment(), ElementsAre(kP0));
  EXPECT_THAT(consumer->Position(kP0), 0);

  absl::StatusOr<std::vector<ConsumerRecord>> records = consumer->Poll(kPollTimeout);
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(Offsets(*records), ElementsAre(0, 1, 2));
  EXPECT_THAT(consumer->Position(kP0), 3);

  ASSERT_THAT(consumer->Seek(kP0, 7), IsOk());
  EXPECT_THAT(consumer->Position(kP0), 7);
  records = consumer->Poll(kPollTimeout);
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(Offsets(*records), ElementsAre(7, 8, 9));

  ASSERT_THAT(consumer->SeekToBeginning({}), IsOk());
  EXPECT_THAT(consumer->Position(kP0), 0);
  ASSERT_THAT(consumer->SeekToEnd({kP0}), IsOk());
  EXPECT_THAT(consumer->Position(kP0), 10);
  broker_->SetLogStartOffset("t", 0, 4);
  ASSERT_THAT(consumer->SeekToBeginning({kP0}), IsOk());
  EXPECT_THAT(consumer->Position(kP0), 4);
  records = consumer->Poll(kPollTimeout);
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(Offsets(*records), ElementsAre(4, 5, 6));

  EXPECT_THAT(consumer->Seek(kP1, 0), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(consumer->Seek(kP0, -1), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(consumer->SeekToEnd({kP0, kP1}), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(consumer->Position(kP1), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ConsumerTest, PausedPartitionsAreNotFetchedAndKeepTheirPositions) {
  Append(kP0, 0, 3);
  Append(kP1, 0, 4);
  std::unique_ptr<Consumer> consumer = Make(Options());
  ASSERT_THAT(consumer->Assign({{kP0, StartOffset::Earliest()}, {kP1, StartOffset::Earliest()}}),
              IsOk());
  ASSERT_THAT(consumer->Pause({kP1}), IsOk());
  EXPECT_THAT(consumer->Paused(), ElementsAre(kP1));

  absl::StatusOr<std::vector<ConsumerRecord>> records = consumer->Poll(kPollTimeout);
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(Offsets(*records), ElementsAre(0, 1, 2));
  for (const ConsumerRecord& r : *records) EXPECT_EQ(r.partition, 0);
  EXPECT_THAT(FetchOffsetsOf(*broker_, kP1), IsEmpty());
  EXPECT_THAT(consumer->Position(kP1), 0);

  ASSERT_THAT(consumer->Resume({kP1}), IsOk());
  EXPECT_THAT(consumer->Paused(), IsEmpty());
  records = consumer->Poll(kPollTimeout);
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(Offsets(*records), ElementsAre(0, 1, 2, 3));
  for (const ConsumerRecord& r : *records) EXPECT_EQ(r.partition, 1);
  EXPECT_THAT(consumer->Pause({TopicPartition{"other", 0}}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ConsumerTest, BufferedRecordsOfAPausedPartitionWaitForResume) {
  Append(kP0, 0, 3);
  ConsumerOptions options = Options();
  options.max_poll_records = 2;
  std::unique_ptr<Consumer> consumer = Make(options);
  ASSERT_THAT(consumer->Assign({{kP0, StartOffset::Earliest()}}), IsOk());
  absl::StatusOr<std::vector<ConsumerRecord>> records = consumer->Poll(kPollTimeout);
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(Offsets(*records), ElementsAre(0, 1));

  ASSERT_THAT(consumer->Pause({kP0}), IsOk());
  const int fetches = broker_->RequestCount(kFetch);
  records = consumer->Poll(absl::Milliseconds(30));
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(*records, IsEmpty());
  EXPECT_EQ(broker_->RequestCount(kFetch), fetches);
  EXPECT_THAT(consumer->Position(kP0), 2);

  ASSERT_THAT(consumer->Resume({kP0}), IsOk());
  records = consumer->Poll(kPollTimeout);
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(Offsets(*records), ElementsAre(2));
}

TEST_F(ConsumerTest, OutOfRangeWithEarliestResetsToTheLogStart) {
  broker_->SetLogStartOffset("t", 0, 10);
  Append(kP0, 0, 3);
  ConsumerOptions options = Options();
  options.auto_offset_reset = OffsetReset::kEarliest;
  std::unique_ptr<Consumer> consumer = Make(options);
  ASSERT_THAT(consumer->Assign({{kP0, StartOffset::At(3)}}), IsOk());
  absl::StatusOr<std::vector<ConsumerRecord>> records = consumer->Poll(kPollTimeout);
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(Offsets(*records), ElementsAre(10, 11, 12));
  EXPECT_THAT(FetchOffsetsOf(*broker_, kP0), ElementsAre(3, 10));
}

TEST_F(ConsumerTest, OutOfRangeWithLatestResetsToTheLogEnd) {
  Append(kP0, 0, 5);
  ConsumerOptions options = Options();
  options.auto_offset_reset = OffsetReset::kLatest;
  std::unique_ptr<Consumer> consumer = Make(options);
  ASSERT_THAT(consumer->Assign({{kP0, StartOffset::At(42)}}), IsOk());
  absl::StatusOr<std::vector<ConsumerRecord>> records = consumer->Poll(absl::Milliseconds(100));
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(*records, IsEmpty());
  EXPECT_THAT(consumer->Position(kP0), 5);
  Append(kP0, 5, 7);
  records = consumer->Poll(kPollTimeout);
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(Offsets(*records), ElementsAre(5, 6));
}

TEST_F(ConsumerTest, OutOfRangeWithNoneIsAnErrorUntilSeek) {
  Append(kP0, 0, 5);
  ConsumerOptions options = Options();
  options.auto_offset_reset = OffsetReset::kNone;
  std::unique_ptr<Consumer> consumer = Make(options);
  ASSERT_THAT(consumer->Assign({{kP0, StartOffset::At(42)}}), IsOk());
  absl::StatusOr<std::vector<ConsumerRecord>> records = consumer->Poll(kPollTimeout);
  EXPECT_EQ(KafkaErrorName(records.status()), "OFFSET_OUT_OF_RANGE");
  EXPECT_THAT(consumer->Position(kP0), 42);
  EXPECT_EQ(broker_->RequestCount(kListOffsets), 0);

  ASSERT_THAT(consumer->Seek(kP0, 1), IsOk());
  records = consumer->Poll(kPollTimeout);
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(Offsets(*records), ElementsAre(1, 2, 3, 4));
}

TEST_F(ConsumerTest, FailsOverToTheNewLeaderAtTheSamePosition) {
  absl::StatusOr<std::unique_ptr<FakeBroker>> started = FakeBroker::Start({.node_id = 2});
  ASSERT_THAT(started, IsOk());
  std::unique_ptr<FakeBroker> second = *std::move(started);
  const FakeMetadata before{.brokers = {{1, broker_->port()}, {2, second->port()}},
                            .topics = {{"t", {FakePartition{.leader = 1, .leader_epoch = 1}}}}};
  broker_->SetMetadata(before);
  second->SetMetadata(before);
  Append(kP0, 0, 5);
  Append(kP0, 0, 5, second.get());
  Append(kP0, 5, 8, second.get());
  std::unique_ptr<Consumer> consumer = Make(Options());
  ASSERT_THAT(consumer->Assign({{kP0, StartOffset::Earliest()}}), IsOk());
  absl::StatusOr<std::vector<ConsumerRecord>> records = consumer->Poll(kPollTimeout);
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(Offsets(*records), ElementsAre(0, 1, 2, 3, 4));

  // Leadership moves to broker 2: broker 1 now answers NOT_LEADER_OR_FOLLOWER.
  FakeMetadata after = before;
  after.topics["t"][0] = FakePartition{.leader = 2, .leader_epoch = 2};
  broker_->SetMetadata(after);
  second->SetMetadata(after);
  records = consumer->Poll(kPollTimeout);
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(Offsets(*records), ElementsAre(5, 6, 7));
  EXPECT_THAT(FetchOffsetsOf(*broker_, kP0), ElementsAre(0, 5));
  EXPECT_THAT(FetchOffsetsOf(*second, kP0), ElementsAre(5));
  EXPECT_EQ(second->Requests(kFetch)[0].fetched[0].current_leader_epoch, 2);
}

TEST_F(ConsumerTest, RefetchesAfterFencedLeaderEpoch) {
  Append(kP0, 0, 2);
  std::unique_ptr<Consumer> consumer = Make(Options());
  ASSERT_THAT(consumer->Assign({{kP0, StartOffset::At(0)}}), IsOk());
  broker_->InjectError(kFetch, "t", 0, static_cast<int16_t>(kp::ErrorCode::kFencedLeaderEpoch));
  absl::StatusOr<std::vector<ConsumerRecord>> records = consumer->Poll(kPollTimeout);
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(Offsets(*records), ElementsAre(0, 1));
  EXPECT_THAT(FetchOffsetsOf(*broker_, kP0), ElementsAre(0, 0));
}

TEST_F(ConsumerTest, MaxPollRecordsLimitsEachPollFromOneFetch) {
  Append(kP0, 0, 10);
  ConsumerOptions options = Options();
  options.max_poll_records = 3;
  std::unique_ptr<Consumer> consumer = Make(options);
  ASSERT_THAT(consumer->Assign({{kP0, StartOffset::Earliest()}}), IsOk());
  std::vector<size_t> sizes;
  std::vector<int64_t> offsets;
  while (offsets.size() < 10) {
    absl::StatusOr<std::vector<ConsumerRecord>> records = consumer->Poll(kPollTimeout);
    ASSERT_THAT(records, IsOk());
    ASSERT_FALSE(records->empty());
    sizes.push_back(records->size());
    for (int64_t o : Offsets(*records)) offsets.push_back(o);
  }
  EXPECT_THAT(sizes, ElementsAre(3, 3, 3, 1));
  EXPECT_EQ(offsets, Range(0, 10));
  EXPECT_EQ(broker_->RequestCount(kFetch), 1);
}

TEST_F(ConsumerTest, SendsFetchSizesAndWaitsFromItsOptions) {
  Append(kP0, 0, 2);
  Append(kP0, 2, 4);
  ConsumerOptions options = Options();
  options.fetch_min_bytes = 1 << 20;
  options.fetch_max_wait = absl::Milliseconds(30);
  options.max_partition_fetch_bytes = 16;  // Below one batch: one batch per fetch (KIP-74).
  std::unique_ptr<Consumer> consumer = Make(options);
  ASSERT_THAT(consumer->Assign({{kP0, StartOffset::Earliest()}}), IsOk());
  std::vector<int64_t> offsets;
  while (offsets.size() < 4) {
    absl::StatusOr<std::vector<ConsumerRecord>> records = consumer->Poll(kPollTimeout);
    ASSERT_THAT(records, IsOk());
    for (int64_t o : Offsets(*records)) offsets.push_back(o);
  }
  EXPECT_EQ(offsets, Range(0, 4));
  EXPECT_THAT(FetchOffsetsOf(*broker_, kP0), ElementsAre(0, 2));
  for (const ReceivedRequest& r : broker_->Requests(kFetch)) {
    EXPECT_EQ(r.min_bytes, 1 << 20);
    EXPECT_LE(r.max_wait_ms, 30);
    EXPECT_GT(r.max_wait_ms, 0);
    EXPECT_EQ(r.fetched[0].partition_max_bytes, 16);
  }
}

TEST_F(ConsumerTest, RecoversWhenTheBrokerClosesTheConnection) {
  Append(kP0, 0, 3);
  std::unique_ptr<Consumer> consumer = Make(Options());
  ASSERT_THAT(consumer->Assign({{kP0, StartOffset::Earliest()}}), IsOk());
  broker_->CloseConnectionOnNext(kFetch);
  absl::StatusOr<std::vector<ConsumerRecord>> records = consumer->Poll(kPollTimeout);
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(Offsets(*records), ElementsAre(0, 1, 2));
  EXPECT_THAT(FetchOffsetsOf(*broker_, kP0), ElementsAre(0, 0));

  broker_->CloseAllConnections();
  Append(kP0, 3, 4);
  records = consumer->Poll(kPollTimeout);
  ASSERT_THAT(records, IsOk());
  EXPECT_THAT(Offsets(*records), ElementsAre(3));
}

}  // namespace
}  // namespace karst::client

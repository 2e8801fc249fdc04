// Producer against FakeBroker: batching by size and linger, pipelining, retries with metadata
// refresh and failover, delivery timeout, non-retriable errors, buffer.memory, the partitioner
// interface and Close. Waits are on futures and on FakeBroker's request log, with deadlines.
#include "client/producer.h"

#include <future>
#include <set>

#include "client/testing/fake_broker.h"
#include "common/clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/metadata.h"
#include "kafka/protocol/messages/produce.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;
using ::karst::client::testing::FakeBroker;
using ::karst::client::testing::FakePartition;
using ::karst::client::testing::ReceivedRequest;
using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int16_t kProduce = kp::ProduceRequest::kApiKey;
constexpr int16_t kMetadata = kp::MetadataRequest::kApiKey;
constexpr int16_t kNotLeader = static_cast<int16_t>(kp::ErrorCode::kNotLeaderOrFollower);
// Every wait for an outcome is bounded by this; outcomes normally arrive in milliseconds.
constexpr absl::Duration kDeadline = absl::Seconds(20);

using Outcome = absl::StatusOr<RecordMetadata>;

Outcome Await(std::future<Outcome>& future) {
  if (future.wait_for(absl::ToChronoMilliseconds(kDeadline)) != std::future_status::ready) {
    return absl::DeadlineExceededError("no outcome within the test's deadline");
  }
  return future.get();
}

// (partition, record count) of every batch in the Produce requests `broker` received.
std::vector<std::pair<int32_t, int32_t>> ProducedBatches(const FakeBroker& broker) {
  std::vector<std::pair<int32_t, int32_t>> out;
  for (const ReceivedRequest& r : broker.Requests(kProduce)) {
    for (const auto& b : r.produced) out.emplace_back(b.partition, b.record_count);
  }
  return out;
}

ProducerRecord Record(std::string value, std::optional<int32_t> partition = 0) {
  return ProducerRecord{.topic = "t", .partition = partition, .value = std::move(value)};
}

class ProducerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int32_t id : {1, 2}) {
      absl::StatusOr<std::unique_ptr<FakeBroker>> broker = FakeBroker::Start({.node_id = id});
      ASSERT_THAT(broker, IsOk());
      brokers_.push_back(*std::move(broker));
    }
    SetLeaders({1, 1, 1});
  }

  // Scripts topic "t" with the given partition leaders on every broker.
  void SetLeaders(const std::vector<int32_t>& leaders, int32_t epoch = 0) {
    std::vector<FakePartition> partitions;
    for (int32_t leader : leaders) {
      partitions.push_back(FakePartition{.leader = leader, .leader_epoch = epoch});
    }
    for (auto& broker : brokers_) {
      broker->SetMetadata({.brokers = {{1, brokers_[0]->port()}, {2, brokers_[1]->port()}},
                           .topics = {{"t", partitions}}});
    }
  }

  // Fast retries; linger and batching as each test says.
  ProducerOptions Options() const {
    return ProducerOptions{.bootstrap_servers = {{"127.0.0.1", brokers_[0]->port()}},
                           .linger = absl::ZeroDuration(),
                           .request_timeout = absl::Seconds(10),
                           .delivery_timeout = absl::Seconds(15),
                           .retry_backoff = absl::Milliseconds(5)};
  }

  std::unique_ptr<Producer> Make(ProducerOptions options,
                                 std::unique_ptr<Partitioner> partitioner = nullptr) {
    absl::StatusOr<std::unique_ptr<Producer>> producer =
        Producer::Create(std::move(options), SystemClock::Get(), std::move(partitioner));
    EXPECT_THAT(producer, IsOk());
    return producer.ok() ? *std::move(producer) : nullptr;
  }

  FakeBroker& broker(int32_t id) { return *brokers_[static_cast<size_t>(id - 1)]; }

  std::vector<std::unique_ptr<FakeBroker>> brokers_;
};

TEST_F(ProducerTest, DeliversRecordsWithTheirOffsets) {
  auto producer = Make(Options());
  std::future<Outcome> a = producer->Send(Record("a"));
  std::future<Outcome> b = producer->Send(Record("b"));
  ASSERT_THAT(producer->Flush(), IsOk());
  ASSERT_OK_AND_ASSIGN(RecordMetadata ma, Await(a));
  ASSERT_OK_AND_ASSIGN(RecordMetadata mb, Await(b));
  EXPECT_EQ(ma.topic, "t");
  EXPECT_EQ(ma.partition, 0);
  EXPECT_EQ(mb.offset, ma.offset + 1);
  EXPECT_EQ(broker(1).LogEndOffset("t", 0), 2);
}

TEST_F(ProducerTest, LingerHoldsRecordsIntoOneBatchUntilFlush) {
  ProducerOptions options = Options();
  options.linger = absl::Hours(1);
  auto producer = Make(options);
  std::vector<std::future<Outcome>> outcomes;
  for (int i = 0; i < 5; ++i) outcomes.push_back(producer->Send(Record(absl::StrCat("v", i))));
  ASSERT_THAT(producer->Flush(), IsOk());
  for (auto& f : outcomes) EXPECT_THAT(Await(f), IsOk());
  EXPECT_THAT(ProducedBatches(broker(1)), ElementsAre(std::make_pair(0, 5)));
}

TEST_F(ProducerTest, LingerSendsWithoutAnyFurtherCall) {
  ProducerOptions options = Options();
  options.linger = absl::Milliseconds(50);
  auto producer = Make(options);
  std::future<Outcome> outcome = producer->Send(Record("alone"));
  // No Flush: the I/O thread sends once the record is linger.ms old.
  ASSERT_OK_AND_ASSIGN(RecordMetadata m, Await(outcome));
  EXPECT_EQ(m.offset, 0);
}

TEST_F(ProducerTest, BatchSizeSplitsAndSendsFullBatchesBeforeLinger) {
  ProducerOptions options = Options();
  options.linger = absl::Hours(1);
  // Room for about 4 records of 100 bytes per batch.
  options.batch_size = 500;
  auto producer = Make(options);
  std::vector<std::future<Outcome>> outcomes;
  for (int i = 0; i < 8; ++i) outcomes.push_back(producer->Send(Record(std::string(100, 'x'))));
  // Full batches leave without Flush despite the hour of linger.
  ASSERT_THAT(broker(1).WaitForRequests(kProduce, 1, kDeadline), IsOk());
  ASSERT_THAT(producer->Flush(), IsOk());
  int64_t records = 0;
  for (const auto& [partition, count] : ProducedBatches(broker(1))) {
    EXPECT_LE(count, 4);
    records += count;
  }
  EXPECT_EQ(records, 8);
  EXPECT_EQ(broker(1).LogEndOffset("t", 0), 8);
}

TEST_F(ProducerTest, PipelinedRequestsDeliverEveryRecordInOrder) {
  ProducerOptions options = Options();
  options.batch_size = 1;  // Each record its own batch, hence its own request.
  options.max_in_flight = 5;
  auto producer = Make(options);
  std::vector<std::future<Outcome>> outcomes;
  for (int i = 0; i < 50; ++i) outcomes.push_back(producer->Send(Record(absl::StrCat("v", i))));
  ASSERT_THAT(producer->Flush(), IsOk());
  for (int i = 0; i < 50; ++i) {
    ASSERT_OK_AND_ASSIGN(RecordMetadata m, Await(outcomes[static_cast<size_t>(i)]));
    EXPECT_EQ(m.offset, i);
  }
  EXPECT_EQ(broker(1).RequestCount(kProduce), 50);
}

// With max.in.flight 1 a partition's batches go one at a time, so refused batches are retried
// in order and every record lands in Send order.
TEST_F(ProducerTest, MaxInFlightOneKeepsOrderAcrossRetries) {
  ProducerOptions options = Options();
  options.batch_size = 1;  // Each record its own batch.
  options.max_in_flight = 1;
  auto producer = Make(options);
  broker(1).InjectError(kProduce, "t", 0, kNotLeader, 3);
  std::vector<std::future<Outcome>> outcomes;
  for (int i = 0; i < 10; ++i) outcomes.push_back(producer->Send(Record(absl::StrCat("v", i))));
  ASSERT_THAT(producer->Flush(), IsOk());
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK_AND_ASSIGN(RecordMetadata m, Await(outcomes[static_cast<size_t>(i)]));
    EXPECT_EQ(m.offset, i);
  }
}

// With several batches of a partition in flight (max.in.flight > 1, as in Kafka without
// idempotence) refused batches may land after later ones, but none is lost or duplicated.
TEST_F(ProducerTest, PipelinedRetriesLoseNothing) {
  ProducerOptions options = Options();
  options.batch_size = 1;
  options.max_in_flight = 5;
  auto producer = Make(options);
  broker(1).InjectError(kProduce, "t", 0, kNotLeader, 3);
  std::vector<std::future<Outcome>> outcomes;
  for (int i = 0; i < 20; ++i) outcomes.push_back(producer->Send(Record(absl::StrCat("v", i))));
  ASSERT_THAT(producer->Flush(), IsOk());
  std::set<int64_t> offsets;
  for (auto& f : outcomes) {
    ASSERT_OK_AND_ASSIGN(RecordMetadata m, Await(f));
    offsets.insert(m.offset);
  }
  EXPECT_EQ(offsets.size(), 20u);
  EXPECT_EQ(broker(1).LogEndOffset("t", 0), 20);
}

TEST_F(ProducerTest, ConnectionAnswersPipelinedRequestsInOrder) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Connection> connection,
                       Connection::Open("127.0.0.1", broker(1).port(), {}, SystemClock::Get()));
  kp::MetadataRequest request;
  request.topics.emplace();
  request.topics->emplace_back().name = "t";
  ASSERT_OK_AND_ASSIGN(const int16_t version, connection->Version<kp::MetadataRequest>(9));
  for (int i = 0; i < 3; ++i) ASSERT_THAT(connection->Begin(request, version), IsOk());
  EXPECT_EQ(connection->in_flight(), 3u);
  // A blocking call cannot overtake outstanding responses.
  kp::MetadataResponse response;
  EXPECT_THAT(connection->Call(request, version, &response),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("outstanding")));
  for (int i = 0; i < 3; ++i) {
    kp::MetadataResponse r;
    ASSERT_THAT(connection->Finish(&r), IsOk());
    ASSERT_EQ(r.topics.size(), 1u);
    EXPECT_EQ(r.topics[0].partitions.size(), 3u);
  }
  EXPECT_EQ(connection->in_flight(), 0u);
  kp::MetadataResponse none;
  EXPECT_THAT(connection->Finish(&none), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(connection->Call(request, version, &response), IsOk());
}

TEST_F(ProducerTest, RetriesNotLeaderAfterRefreshingMetadata) {
  auto producer = Make(Options());
  // Warm the metadata first so the refresh below is caused by the error.
  ASSERT_THAT(Await(*std::make_unique<std::future<Outcome>>(producer->Send(Record("warm")))),
              IsOk());
  const int metadata_before = broker(1).RequestCount(kMetadata);
  broker(1).InjectError(kProduce, "t", 0, kNotLeader, 2);
  std::future<Outcome> outcome = producer->Send(Record("v"));
  ASSERT_OK_AND_ASSIGN(RecordMetadata m, Await(outcome));
  EXPECT_EQ(m.offset, 1);
  EXPECT_EQ(broker(1).RequestCount(kProduce), 4);  // warm, two refusals, success
  EXPECT_GT(broker(1).RequestCount(kMetadata), metadata_before);
}

TEST_F(ProducerTest, FollowsTheLeaderToAnotherBroker) {
  auto producer = Make(Options());
  ASSERT_THAT(Await(*std::make_unique<std::future<Outcome>>(producer->Send(Record("warm")))),
              IsOk());
  // Leadership moves to broker 2; broker 1 now answers NOT_LEADER_OR_FOLLOWER by itself.
  SetLeaders({2, 1, 1}, 1);
  std::future<Outcome> outcome = producer->Send(Record("moved"));
  ASSERT_OK_AND_ASSIGN(RecordMetadata m, Await(outcome));
  EXPECT_EQ(m.offset, 0);
  EXPECT_EQ(broker(2).LogEndOffset("t", 0), 1);
}

TEST_F(ProducerTest, RetriesAfterTheConnectionDrops) {
  auto producer = Make(Options());
  broker(1).CloseConnectionOnNext(kProduce, 1);
  std::future<Outcome> outcome = producer->Send(Record("v"));
  ASSERT_OK_AND_ASSIGN(RecordMetadata m, Await(outcome));
  EXPECT_EQ(m.offset, 0);
  EXPECT_EQ(broker(1).RequestCount(kProduce), 2);
  EXPECT_GE(broker(1).ConnectionsAccepted(), 2);
}

TEST_F(ProducerTest, FailsTheBatchOnceRetriesAreUsedUp) {
  ProducerOptions options = Options();
  options.retries = 1;
  auto producer = Make(options);
  broker(1).InjectError(kProduce, "t", 0, kNotLeader, 10);
  std::future<Outcome> outcome = producer->Send(Record("v"));
  EXPECT_THAT(Await(outcome),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("NOT_LEADER_OR_FOLLOWER")));
  EXPECT_EQ(broker(1).RequestCount(kProduce), 2);  // The first attempt and one retry.
  EXPECT_THAT(producer->Flush(), StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(ProducerTest, FailsWhenDeliveryTimeoutPasses) {
  ProducerOptions options = Options();
  options.delivery_timeout = absl::Milliseconds(300);
  auto producer = Make(options);
  broker(1).InjectError(kProduce, "t", 0, kNotLeader, 1000000);
  std::future<Outcome> outcome = producer->Send(Record("v"));
  EXPECT_THAT(Await(outcome), StatusIs(absl::StatusCode::kDeadlineExceeded,
                                       AllOf(HasSubstr("delivery.timeout.ms"),
                                             HasSubstr("NOT_LEADER_OR_FOLLOWER"))));
}

TEST_F(ProducerTest, DoesNotRetryNonRetriableErrors) {
  auto producer = Make(Options());
  broker(1).InjectError(kProduce, "t", 0, static_cast<int16_t>(kp::ErrorCode::kRecordListTooLarge),
                        1);
  std::future<Outcome> outcome = producer->Send(Record("v"));
  EXPECT_THAT(Await(outcome),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("RECORD_LIST_TOO_LARGE")));
  EXPECT_EQ(broker(1).RequestCount(kProduce), 1);
}

TEST_F(ProducerTest, WaitsForAMissingTopicUntilDeliveryTimeout) {
  ProducerOptions options = Options();
  options.delivery_timeout = absl::Milliseconds(300);
  auto producer = Make(options);
  std::future<Outcome> outcome = producer->Send(ProducerRecord{.topic = "missing", .value = "v"});
  EXPECT_THAT(Await(outcome),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       AllOf(HasSubstr("topic missing"), HasSubstr("UNKNOWN_TOPIC_OR_PARTITION"))));
  EXPECT_GE(broker(1).RequestCount(kMetadata), 2);  // It kept asking.
}

TEST_F(ProducerTest, RefusesAPartitionOutOfRange) {
  auto producer = Make(Options());
  std::future<Outcome> outcome = producer->Send(Record("v", 7));
  EXPECT_THAT(Await(outcome),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("topic has 3 partitions")));
}

TEST_F(ProducerTest, KeyedRecordsGoToJavasMurmur2Partition) {
  auto producer = Make(Options());
  std::future<Outcome> outcome =
      producer->Send(ProducerRecord{.topic = "t", .key = "key-17", .value = "v"});
  ASSERT_OK_AND_ASSIGN(RecordMetadata m, Await(outcome));
  EXPECT_EQ(m.partition, KeyPartition("key-17", 3));
}

class FixedPartitioner : public Partitioner {
 public:
  explicit FixedPartitioner(int32_t partition) : partition_(partition) {}
  int32_t Partition(const std::string&, const std::optional<std::string>&,
                    const std::optional<std::string>&, int32_t) override {
    return partition_;
  }

 private:
  const int32_t partition_;
};

TEST_F(ProducerTest, ACustomPartitionerChoosesThePartition) {
  auto producer = Make(Options(), std::make_unique<FixedPartitioner>(2));
  std::future<Outcome> keyed =
      producer->Send(ProducerRecord{.topic = "t", .key = "k", .value = "v"});
  std::future<Outcome> unkeyed = producer->Send(ProducerRecord{.topic = "t", .value = "v"});
  std::future<Outcome> explicit_partition = producer->Send(Record("v", 0));
  ASSERT_OK_AND_ASSIGN(RecordMetadata k, Await(keyed));
  ASSERT_OK_AND_ASSIGN(RecordMetadata u, Await(unkeyed));
  ASSERT_OK_AND_ASSIGN(RecordMetadata e, Await(explicit_partition));
  EXPECT_EQ(k.partition, 2);
  EXPECT_EQ(u.partition, 2);
  EXPECT_EQ(e.partition, 0);  // A record's own partition wins.
}

TEST_F(ProducerTest, APartitionerOutOfRangeFailsTheRecord) {
  auto producer = Make(Options(), std::make_unique<FixedPartitioner>(3));
  std::future<Outcome> outcome = producer->Send(ProducerRecord{.topic = "t", .value = "v"});
  EXPECT_THAT(Await(outcome),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("partitioner chose 3")));
}

TEST_F(ProducerTest, SendBlocksWhileBufferMemoryIsFullThenFails) {
  ProducerOptions options = Options();
  options.buffer_memory = 1500;
  options.max_block = absl::Milliseconds(100);
  options.delivery_timeout = absl::Seconds(1);
  auto producer = Make(options);
  broker(1).DelayResponses(kProduce, absl::Seconds(30), 1);
  std::future<Outcome> first = producer->Send(Record(std::string(1000, 'a')));
  std::future<Outcome> second = producer->Send(Record(std::string(1000, 'b')));
  EXPECT_THAT(Await(second),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("buffer.memory")));
  broker(1).Stop();  // Cuts the delay short; the first record is retried until Close.
}

TEST_F(ProducerTest, RefusesARecordLargerThanMaxRequestSize) {
  ProducerOptions options = Options();
  options.max_request_size = 1000;
  auto producer = Make(options);
  std::future<Outcome> outcome = producer->Send(Record(std::string(2000, 'x')));
  EXPECT_THAT(Await(outcome),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max.request.size")));
}

TEST_F(ProducerTest, AcksZeroCompletesWithoutOffsets) {
  ProducerOptions options = Options();
  options.acks = Acks::kNone;
  auto producer = Make(options);
  std::future<Outcome> outcome = producer->Send(Record("v"));
  ASSERT_OK_AND_ASSIGN(RecordMetadata m, Await(outcome));
  EXPECT_EQ(m.offset, -1);
  ASSERT_THAT(broker(1).WaitForRequests(kProduce, 1, kDeadline), IsOk());
  EXPECT_EQ(broker(1).Requests(kProduce)[0].acks, 0);
}

TEST_F(ProducerTest, CloseDeliversPendingRecordsAndRefusesLaterOnes) {
  ProducerOptions options = Options();
  options.linger = absl::Hours(1);
  auto producer = Make(options);
  std::future<Outcome> pending = producer->Send(Record("v"));
  producer->Close();
  EXPECT_EQ(pending.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_THAT(pending.get(), IsOk());
  std::future<Outcome> late = producer->Send(Record("late"));
  EXPECT_THAT(Await(late), StatusIs(absl::StatusCode::kCancelled));
}

TEST_F(ProducerTest, SendIsSafeFromSeveralThreads) {
  auto producer = Make(Options());
  std::vector<std::thread> threads;
  std::atomic<int> delivered = 0;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) {
        producer->Send(ProducerRecord{.topic = "t", .key = absl::StrCat(t, "-", i), .value = "v"},
                       [&](const Outcome& o) {
                         if (o.ok()) ++delivered;
                       });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_THAT(producer->Flush(), IsOk());
  EXPECT_EQ(delivered.load(), 1000);
  EXPECT_EQ(broker(1).LogEndOffset("t", 0) + broker(1).LogEndOffset("t", 1) +
                broker(1).LogEndOffset("t", 2),
            1000);
}

}  // namespace
}  // namespace karst::client

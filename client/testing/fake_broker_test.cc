#include "client/testing/fake_broker.h"

#include <thread>

#include "client/connection.h"
#include "common/clock.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/fetch.h"
#include "kafka/protocol/messages/list_offsets.h"
#include "kafka/protocol/messages/metadata.h"
#include "kafka/protocol/messages/produce.h"
#include "kafka/record/record.h"
#include "kafka/record/record_batch.h"

namespace karst::client::testing {
namespace {

namespace kp = ::karst::kafka::protocol;
namespace kr = ::karst::kafka::record;
using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::SizeIs;

constexpr int16_t kNotLeader = static_cast<int16_t>(kp::ErrorCode::kNotLeaderOrFollower);
constexpr int16_t kOutOfRange = static_cast<int16_t>(kp::ErrorCode::kOffsetOutOfRange);

std::unique_ptr<FakeBroker> StartBroker(int32_t node_id) {
  absl::StatusOr<std::unique_ptr<FakeBroker>> broker = FakeBroker::Start({.node_id = node_id});
  EXPECT_THAT(broker, IsOk());
  return *std::move(broker);
}

std::unique_ptr<Connection> Connect(const FakeBroker& broker,
                                    absl::Duration timeout = absl::Seconds(10)) {
  absl::StatusOr<std::unique_ptr<Connection>> c = Connection::Open(
      "127.0.0.1", broker.port(), {.connect_timeout = timeout, .request_timeout = timeout},
      SystemClock::Get());
  EXPECT_THAT(c, IsOk());
  return *std::move(c);
}

std::string Batch(int n) {
  kr::BatchBuilder builder({});
  for (int i = 0; i < n; ++i) builder.Add(i, 1000 + i, std::nullopt, absl::StrCat("v", i));
  return *builder.Build();
}

kp::FetchRequest FetchOf(const std::string& topic, int32_t partition, int64_t offset) {
  kp::FetchRequest request;
  request.max_wait_ms = 0;
  request.min_bytes = 1;
  auto& t = request.topics.emplace_back();
  t.topic = topic;
  auto& p = t.partitions.emplace_back();
  p.partition = partition;
  p.fetch_offset = offset;
  p.partition_max_bytes = 1 << 20;
  return request;
}

class FakeBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = StartBroker(1);
    broker_->SetMetadata({.brokers = {{1, broker_->port()}},
                          .topics = {{"t", {FakePartition{.leader = 1, .leader_epoch = 3}}}}});
  }
  std::unique_ptr<FakeBroker> broker_;
};

TEST_F(FakeBrokerTest, AdvertisesTheApisItServes) {
  std::unique_ptr<Connection> c = Connect(*broker_);
  EXPECT_THAT(c->Version(kp::FetchRequest::kApiKey, 4, 17), 12);
  EXPECT_THAT(c->Version(kp::ProduceRequest::kApiKey, 3, 11), 11);
  EXPECT_THAT(c->Version(kp::ListOffsetsRequest::kApiKey, 1, 10), 7);
  EXPECT_THAT(c->Version(kp::MetadataRequest::kApiKey, 1, 12), 12);
  EXPECT_THAT(c->Version(19, 0, 7), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(broker_->RequestCount(18), 1);
}

TEST_F(FakeBrokerTest, MetadataServesTheScriptedClusterAndFollowsChanges) {
  std::unique_ptr<FakeBroker> second = StartBroker(2);
  std::unique_ptr<Connection> c = Connect(*broker_);
  kp::MetadataRequest request;
  request.topics->emplace_back().name = "t";
  request.topics->emplace_back().name = "missing";
  kp::MetadataResponse response;
  ASSERT_THAT(c->Call(request, 12, &response), IsOk());
  ASSERT_THAT(response.brokers, SizeIs(1));
  EXPECT_EQ(response.brokers[0].port, broker_->port());
  ASSERT_THAT(response.topics, SizeIs(2));
  ASSERT_THAT(response.topics[0].partitions, SizeIs(1));
  EXPECT_EQ(response.topics[0].partitions[0].leader_id, 1);
  EXPECT_EQ(response.topics[0].partitions[0].leader_epoch, 3);
  EXPECT_EQ(response.topics[1].error_code,
            static_cast<int16_t>(kp::ErrorCode::kUnknownTopicOrPartition));

  broker_->SetMetadata({.brokers = {{1, broker_->port()}, {2, second->port()}},
                        .topics = {{"t", {FakePartition{.leader = 2, .leader_epoch = 4}}}}});
  ASSERT_THAT(c->Call(request, 12, &response), IsOk());
  EXPECT_THAT(response.brokers, SizeIs(2));
  EXPECT_EQ(response.topics[0].partitions[0].leader_id, 2);
  EXPECT_EQ(response.topics[0].partitions[0].leader_epoch, 4);
  const std::vector<ReceivedRequest> recorded = broker_->Requests(kp::MetadataRequest::kApiKey);
  ASSERT_THAT(recorded, SizeIs(2));
  EXPECT_THAT(*recorded[0].metadata_topics, ElementsAre("t", "missing"));
}

TEST_F(FakeBrokerTest, ProduceAppendsBatchesThatFetchAndListOffsetsServe) {
  std::unique_ptr<Connection> c = Connect(*broker_);
  kp::ProduceRequest produce;
  produce.acks = -1;
  produce.timeout_ms = 1000;
  auto& topic = produce.topic_data.emplace_back();
  topic.name = "t";
  auto& partition = topic.partition_data.emplace_back();
  partition.index = 0;
  const std::string records = Batch(3) + Batch(2);
  partition.records = records;
  kp::ProduceResponse produced;
  ASSERT_THAT(c->Call(produce, 9, &produced), IsOk());
  EXPECT_EQ(produced.responses[0].partition_responses[0].error_code, 0);
  EXPECT_EQ(produced.responses[0].partition_responses[0].base_offset, 0);
  EXPECT_EQ(broker_->LogEndOffset("t", 0), 5);
  const std::vector<ReceivedRequest> recorded = broker_->Requests(kp::ProduceRequest::kApiKey);
  ASSERT_THAT(recorded, SizeIs(1));
  ASSERT_THAT(recorded[0].produced, SizeIs(2));
  EXPECT_EQ(recorded[0].produced[0].record_count, 3);
  EXPECT_EQ(recorded[0].produced[1].record_count, 2);

  kp::FetchResponse fetched;
  std::string buffer;
  ASSERT_THAT(c->Call(FetchOf("t", 0, 3), 12, &fetched, &buffer), IsOk());
  const auto& p = fetched.responses[0].partitions[0];
  EXPECT_EQ(p.error_code, 0);
  EXPECT_EQ(p.high_watermark, 5);
  absl::string_view rest = *p.records;
  absl::StatusOr<std::optional<absl::string_view>> batch = kr::NextBatch(rest, 1 << 20);
  ASSERT_THAT(batch, IsOk());
  ASSERT_TRUE(batch->has_value());
  EXPECT_EQ(kr::ParseBatchHeader(**batch)->base_offset, 3);
  EXPECT_EQ(kr::ParseBatchHeader(**batch)->partition_leader_epoch, 3);
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(broker_->Requests(kp::FetchRequest::kApiKey)[0].fetched[0].fetch_offset, 3);

  kp::ListOffsetsRequest list;
  list.replica_id = -1;
  auto& lt = list.topics.emplace_back();
  lt.name = "t";
  lt.partitions.push_back({.partition_index = 0, .timestamp = -2});
  lt.partitions.push_back({.partition_index = 0, .timestamp = -1});
  kp::ListOffsetsResponse listed;
  ASSERT_THAT(c->Call(list, 7, &listed), IsOk());
  EXPECT_EQ(listed.topics[0].partitions[0].offset, 0);
  EXPECT_EQ(listed.topics[0].partitions[1].offset, 5);
}

TEST_F(FakeBrokerTest, FetchHonorsPartitionMaxBytesButServesOneBatch) {
  ASSERT_THAT(broker_->AppendValues("t", 0, {"a", "b"}), IsOk());
  ASSERT_THAT(broker_->AppendValues("t", 0, {"c"}), IsOk());
  std::unique_ptr<Connection> c = Connect(*broker_);
  kp::FetchRequest request = FetchOf("t", 0, 0);
  request.topics[0].partitions[0].partition_max_bytes = 1;
  kp::FetchResponse response;
  std::string buffer;
  ASSERT_THAT(c->Call(request, 12, &response, &buffer), IsOk());
  EXPECT_EQ(response.responses[0].partitions[0].records->size(),
            broker_->Batches("t", 0)[0].size());
}

TEST_F(FakeBrokerTest, AnswersNotLeaderAndOutOfRangeAndInjectedErrors) {
  broker_->SetMetadata(
      {.brokers = {{1, broker_->port()}},
       .topics = {{"t", {FakePartition{.leader = 1}, FakePartition{.leader = 2}}}}});
  std::unique_ptr<Connection> c = Connect(*broker_);
  kp::FetchResponse response;
  std::string buffer;
  ASSERT_THAT(c->Call(FetchOf("t", 1, 0), 12, &response, &buffer), IsOk());
  EXPECT_EQ(response.responses[0].partitions[0].error_code, kNotLeader);
  ASSERT_THAT(c->Call(FetchOf("t", 0, 7), 12, &response, &buffer), IsOk());
  EXPECT_EQ(response.responses[0].partitions[0].error_code, kOutOfRange);

  broker_->InjectError(kp::FetchRequest::kApiKey, "t", 0, kNotLeader, /*count=*/2);
  for (int i = 0; i < 2; ++i) {
    ASSERT_THAT(c->Call(FetchOf("t", 0, 0), 12, &response, &buffer), IsOk());
    EXPECT_EQ(response.responses[0].partitions[0].error_code, kNotLeader);
  }
  ASSERT_THAT(c->Call(FetchOf("t", 0, 0), 12, &response, &buffer), IsOk());
  EXPECT_EQ(response.responses[0].partitions[0].error_code, 0);
}

TEST_F(FakeBrokerTest, FetchWaitsForMinBytesUntilAnAppend) {
  std::unique_ptr<Connection> c = Connect(*broker_);
  kp::FetchRequest request = FetchOf("t", 0, 0);
  request.max_wait_ms = 30'000;
  kp::FetchResponse response;
  std::string buffer;
  absl::Status status;
  std::thread fetcher([&] { status = c->Call(request, 12, &response, &buffer); });
  ASSERT_THAT(broker_->WaitForRequests(kp::FetchRequest::kApiKey, 1, absl::Seconds(10)), IsOk());
  ASSERT_THAT(broker_->AppendValues("t", 0, {"late"}), IsOk());
  fetcher.join();
  ASSERT_THAT(status, IsOk());
  EXPECT_FALSE(response.responses[0].partitions[0].records->empty());
}

TEST_F(FakeBrokerTest, ClosesConnectionsOnRequest) {
  std::unique_ptr<Connection> c = Connect(*broker_);
  broker_->CloseConnectionOnNext(kp::FetchRequest::kApiKey);
  kp::FetchResponse response;
  std::string buffer;
  EXPECT_THAT(c->Call(FetchOf("t", 0, 0), 12, &response, &buffer),
              StatusIs(absl::StatusCode::kUnavailable));
  std::unique_ptr<Connection> again = Connect(*broker_);
  EXPECT_THAT(again->Call(FetchOf("t", 0, 0), 12, &response, &buffer), IsOk());
  EXPECT_EQ(broker_->ConnectionsAccepted(), 2);
  EXPECT_EQ(broker_->RequestCount(kp::FetchRequest::kApiKey), 2);

  broker_->CloseAllConnections();
  EXPECT_THAT(again->Call(FetchOf("t", 0, 0), 12, &response, &buffer),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST_F(FakeBrokerTest, DelaysResponses) {
  std::unique_ptr<Connection> c = Connect(*broker_, absl::Milliseconds(200));
  broker_->DelayResponses(kp::FetchRequest::kApiKey, absl::Seconds(30));
  kp::FetchResponse response;
  std::string buffer;
  EXPECT_THAT(c->Call(FetchOf("t", 0, 0), 12, &response, &buffer),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  // Stop cuts the pending delay short instead of waiting it out.
  broker_->Stop();
}

TEST_F(FakeBrokerTest, WaitForRequestsTimesOut) {
  EXPECT_THAT(broker_->WaitForRequests(kp::FetchRequest::kApiKey, 1, absl::Milliseconds(10)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

}  // namespace
}  // namespace karst::client::testing

// A broker following the metadata log (broker/metadata) against an in-process controller: a
// one-voter Raft group of a QuorumController served over gRPC on 127.0.0.1. The broker
// registers, sees itself in its image, is unfenced once caught up, sees a topic created
// through ControllerClient, and completes a controlled shutdown; the client skips a dead voter;
// Stop() ends a long poll at once. (In tests/ because broker/ may not depend on controller/.)
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <future>
#include <memory>

#include "absl/time/clock.h"
#include "broker/metadata/broker_lifecycle.h"
#include "broker/metadata/controller_client.h"
#include "common/testing/status_matchers.h"
#include "controller/controller_service.h"
#include "controller/quorum_controller.h"
#include "gtest/gtest.h"
#include "raft/testing/local_transport.h"
#include "raft/testing/mem_log.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

namespace pb = ::karst::controller_rpc;

class BrokerMetadataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    raft::ConfState conf;
    conf.voters.insert(NodeId(1));
    log_ = std::make_unique<raft::testing::MemLog>(conf);
    transport_ = std::make_unique<raft::testing::LocalTransport>(network_);
    controller_ =
        std::make_unique<controller::QuorumController>(controller::QuorumControllerOptions{
            .replication = {.num_partitions = 2, .default_replication_factor = 1}});
    node_ = std::make_unique<raft::Node>(
        raft::NodeOptions{.id = NodeId(1), .tick_interval = absl::Milliseconds(10), .seed = 1},
        *log_, *controller_, *transport_);
    controller_->Attach(node_.get());
    network_.Register(NodeId(1), node_.get());
    ASSERT_OK(node_->Start());
    service_ = std::make_unique<controller::ControllerService>(*controller_);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_OK(WaitFor([&] { return controller_->IsActive(); }, absl::Seconds(20),
                      "the controller to become active"));
  }

  void TearDown() override {
    controller_->Shutdown();
    server_->Shutdown();
    node_->Stop();
  }

  // A client whose first voter (id 2) listens nowhere, so every call starts by failing over.
  std::unique_ptr<broker::ControllerClient> Client() {
    return std::make_unique<broker::ControllerClient>(broker::ControllerClientOptions{
        .voters = {{NodeId(2), "127.0.0.1", 1}, {NodeId(1), "127.0.0.1", uint16_t(port_)}},
        .backoff = absl::Milliseconds(20)});
  }

  broker::BrokerLifecycleOptions LifecycleOptions() {
    return {.broker_id = NodeId(1),
            .endpoints = {{"PLAINTEXT", "127.0.0.1", 9092, "PLAINTEXT"}},
            .rack = "r1",
            .heartbeat_interval = absl::Milliseconds(200),
            .fetch_max_wait = absl::Milliseconds(500),
            .seed = 42};
  }

  raft::testing::LocalNetwork network_;
  std::unique_ptr<raft::testing::MemLog> log_;
  std::unique_ptr<raft::testing::LocalTransport> transport_;
  std::unique_ptr<controller::QuorumController> controller_;
  std::unique_ptr<raft::Node> node_;
  std::unique_ptr<controller::ControllerService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(BrokerMetadataTest, ABrokerRegistersFollowsTheLogAndShutsDownUnderControl) {
  std::unique_ptr<broker::ControllerClient> client = Client();
  broker::BrokerLifecycle lifecycle(LifecycleOptions(), *client);
  std::atomic<int> published{0};
  lifecycle.SetListener(
      [&](std::shared_ptr<const controller::MetadataImage>) { published.fetch_add(1); });
  ASSERT_OK(lifecycle.Start());

  ASSERT_OK(
      WaitFor([&] { return !lifecycle.fenced(); }, absl::Seconds(20), "the broker to be unfenced"));
  EXPECT_GE(lifecycle.broker_epoch(), 0);
  EXPECT_EQ(client->active_controller(), NodeId(1));
  ASSERT_TRUE(lifecycle.WaitForImage(lifecycle.broker_epoch(), absl::Seconds(10)));
  {
    std::shared_ptr<const controller::MetadataImage> image = lifecycle.image();
    auto self = image->brokers.find(NodeId(1));
    ASSERT_NE(self, image->brokers.end());
    EXPECT_EQ(self->second.incarnation_id, lifecycle.incarnation_id());
    EXPECT_EQ(self->second.rack, "r1");
    ASSERT_EQ(self->second.endpoints.size(), 1u);
    EXPECT_EQ(self->second.endpoints[0].port, 9092);
  }

  pb::CreateTopicRequest create;
  create.set_name("orders");
  create.set_partitions(-1);
  create.set_replication_factor(-1);
  ASSERT_OK_AND_ASSIGN(pb::CreateTopicResponse created,
                       client->CreateTopic(create, absl::Seconds(10)));
  ASSERT_EQ(created.error().code(), 0) << created.error().message();
  // The active controller answers after applying the topic's records.
  ASSERT_TRUE(lifecycle.WaitForImage(controller_->image()->offset, absl::Seconds(10)));
  const controller::TopicImage* topic = lifecycle.image()->FindTopic("orders");
  ASSERT_NE(topic, nullptr);
  EXPECT_EQ(topic->partitions.size(), 2u);
  EXPECT_EQ(topic->partitions.at(0).leader, NodeId(1));
  EXPECT_GT(published.load(), 0);
  // Kafka errors come back in the response.
  ASSERT_OK_AND_ASSIGN(pb::CreateTopicResponse again,
                       client->CreateTopic(create, absl::Seconds(10)));
  EXPECT_EQ(again.error().code(), 36);  // TOPIC_ALREADY_EXISTS.

  ASSERT_OK(lifecycle.ControlledShutdown(absl::Seconds(10)));
  std::shared_ptr<const controller::MetadataImage> after = controller_->image();
  EXPECT_TRUE(after->brokers.at(NodeId(1)).fenced);
  EXPECT_EQ(after->FindTopic("orders")->partitions.at(0).leader, NodeId(-1));
  lifecycle.Stop();
}

TEST_F(BrokerMetadataTest, StopEndsALongPollAtOnce) {
  std::unique_ptr<broker::ControllerClient> client = Client();
  broker::BrokerLifecycleOptions options = LifecycleOptions();
  options.fetch_max_wait = absl::Seconds(25);
  options.heartbeat_interval = absl::Seconds(25);
  broker::BrokerLifecycle lifecycle(options, *client);
  ASSERT_OK(lifecycle.Start());
  ASSERT_OK(
      WaitFor([&] { return !lifecycle.fenced(); }, absl::Seconds(20), "the broker to be unfenced"));
  const absl::Time start = absl::Now();
  lifecycle.Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST_F(BrokerMetadataTest, ClientShutdownCancelsCallsInProgress) {
  std::unique_ptr<broker::ControllerClient> client = Client();
  pb::FetchMetadataRequest fetch;
  fetch.set_offset(controller_->image()->offset);
  fetch.set_max_wait_ms(25000);
  auto poll = std::async(std::launch::async,
                         [&] { return client->FetchMetadata(fetch, absl::Seconds(30)); });
  // Shutdown before, during or after the call started: it comes back cancelled, promptly.
  client->Shutdown();
  ASSERT_EQ(poll.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_THAT(poll.get(), StatusIs(absl::StatusCode::kCancelled));
}

}  // namespace
}  // namespace karst::testing

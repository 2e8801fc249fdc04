// The controller service over real gRPC on loopback, three controllers on an in-process Raft
// group: a standby answers NOT_CONTROLLER naming the active controller; the active one
// registers brokers and creates topics, with Kafka errors in the response; a call from another
// cluster gets INCONSISTENT_CLUSTER_ID; the active one describes the Raft quorum.
#include "controller/controller_service.h"

#include <grpcpp/grpcpp.h>

#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "raft/testing/local_transport.h"
#include "raft/testing/mem_log.h"

namespace karst::controller {
namespace {

namespace pb = ::karst::controller_rpc;

bool WaitUntil(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(5));  // Polling interval, not synchronisation.
  }
  return condition();
}

struct Member {
  std::unique_ptr<raft::testing::MemLog> log;
  std::unique_ptr<raft::testing::LocalTransport> transport;
  std::unique_ptr<QuorumController> controller;
  std::unique_ptr<raft::Node> node;
  std::unique_ptr<ControllerService> service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<pb::Controller::Stub> stub;
};

class ControllerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    raft::ConfState conf;
    for (int i = 1; i <= 3; ++i) conf.voters.insert(NodeId(i));
    for (int i = 1; i <= 3; ++i) {
      auto m = std::make_unique<Member>();
      m->log = std::make_unique<raft::testing::MemLog>(conf);
      m->transport = std::make_unique<raft::testing::LocalTransport>(network_);
      m->controller = std::make_unique<QuorumController>(QuorumControllerOptions{
          .replication = {.num_partitions = 2, .default_replication_factor = 2}});
      m->node =
          std::make_unique<raft::Node>(raft::NodeOptions{.id = NodeId(i),
                                                         .tick_interval = absl::Milliseconds(10),
                                                         .seed = static_cast<uint64_t>(i)},
                                       *m->log, *m->controller, *m->transport);
      m->controller->Attach(m->node.get());
      network_.Register(NodeId(i), m->node.get());
      ASSERT_OK(m->node->Start());
      m->service = std::make_unique<ControllerService>(
          *m->controller,
          ControllerServiceOptions{.cluster_id = "blue", .log = [this](const std::string& line) {
                                     std::lock_guard<std::mutex> lock(log_mu_);
                                     log_.push_back(line);
                                   }});
      int port = 0;
      grpc::ServerBuilder builder;
      builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
      builder.RegisterService(m->service.get());
      m->server = builder.BuildAndStart();
      ASSERT_NE(m->server, nullptr);
      m->stub = pb::Controller::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                                            grpc::InsecureChannelCredentials()));
      members_.push_back(std::move(m));
    }
  }

  void TearDown() override {
    for (auto& m : members_) {
      m->server->Shutdown();
      m->node->Stop();
    }
  }

  int Active() {
    int active = 0;
    WaitUntil([&] {
      for (int i = 1; i <= 3; ++i) {
        if (members_[static_cast<size_t>(i - 1)]->controller->IsActive()) active = i;
      }
      return active != 0;
    });
    return active;
  }

  pb::Controller::Stub& stub(int i) { return *members_[static_cast<size_t>(i - 1)]->stub; }

  std::vector<std::string> log() {
    std::lock_guard<std::mutex> lock(log_mu_);
    return log_;
  }

  raft::testing::LocalNetwork network_;
  std::vector<std::unique_ptr<Member>> members_;
  std::mutex log_mu_;
  std::vector<std::string> log_;  // Guarded by log_mu_.
};

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return context;
}

TEST_F(ControllerServiceTest, StandbysNameTheActiveControllerWhichServesWrites) {
  const int active = Active();
  ASSERT_NE(active, 0);
  const int standby = active % 3 + 1;
  // A standby's follower view of the leader may lag a moment after the election.
  ASSERT_TRUE(WaitUntil([&] {
    pb::CreateTopicRequest request;
    request.set_name("x");
    pb::CreateTopicResponse response;
    return stub(standby).CreateTopic(Context().get(), request, &response).ok() &&
           response.error().code() == 41 && response.controller().active_controller_id() == active;
  }));

  std::vector<int64_t> epochs;
  for (int id = 1; id <= 2; ++id) {
    pb::RegisterBrokerRequest reg;
    reg.set_broker_id(id);
    reg.set_incarnation_id(absl::StrCat("inc-", id));
    pb::RegisterBrokerResponse reg_response;
    ASSERT_TRUE(stub(active).RegisterBroker(Context().get(), reg, &reg_response).ok());
    ASSERT_EQ(reg_response.error().code(), 0) << reg_response.error().message();
    epochs.push_back(reg_response.broker_epoch());
    pb::BrokerHeartbeatRequest beat;
    beat.set_broker_id(id);
    beat.set_broker_epoch(reg_response.broker_epoch());
    beat.set_metadata_offset(reg_response.broker_epoch());
    pb::BrokerHeartbeatResponse beat_response;
    ASSERT_TRUE(stub(active).BrokerHeartbeat(Context().get(), beat, &beat_response).ok());
    EXPECT_FALSE(beat_response.is_fenced());
  }
  pb::CreateTopicRequest create;
  create.set_name("orders");
  create.set_partitions(-1);
  create.set_replication_factor(-1);
  pb::CreateTopicResponse created;
  ASSERT_TRUE(stub(active).CreateTopic(Context().get(), create, &created).ok());
  EXPECT_EQ(created.error().code(), 0) << created.error().message();
  EXPECT_EQ(created.partitions(), 2);
  EXPECT_EQ(created.replication_factor(), 2);
  EXPECT_EQ(created.topic_id().size(), 16u);
  pb::CreateTopicResponse duplicate;
  ASSERT_TRUE(stub(active).CreateTopic(Context().get(), create, &duplicate).ok());
  EXPECT_EQ(duplicate.error().code(), 36);  // TOPIC_ALREADY_EXISTS.
  pb::CreatePartitionsRequest shrink;
  shrink.set_name("orders");
  shrink.set_count(1);
  pb::ErrorResponse shrunk;
  ASSERT_TRUE(stub(active).CreatePartitions(Context().get(), shrink, &shrunk).ok());
  EXPECT_EQ(shrunk.error().code(), 37);  // INVALID_PARTITIONS.
  EXPECT_EQ(shrunk.error().message(),
            "Topic currently has 2 partitions, which is higher than the requested 1.");

  // Producer-id blocks never overlap, across brokers; a stale broker epoch is refused.
  std::vector<std::pair<int64_t, int32_t>> blocks;
  for (int id : {1, 2, 1}) {
    pb::AllocateProducerIdsRequest allocate;
    allocate.set_broker_id(id);
    allocate.set_broker_epoch(epochs[static_cast<size_t>(id - 1)]);
    pb::AllocateProducerIdsResponse block;
    ASSERT_TRUE(stub(active).AllocateProducerIds(Context().get(), allocate, &block).ok());
    ASSERT_EQ(block.error().code(), 0) << block.error().message();
    blocks.emplace_back(block.producer_id_start(), block.producer_id_len());
  }
  EXPECT_EQ(blocks[0], std::make_pair(int64_t{0}, 1000));
  EXPECT_EQ(blocks[1], std::make_pair(int64_t{1000}, 1000));
  EXPECT_EQ(blocks[2], std::make_pair(int64_t{2000}, 1000));
  pb::AllocateProducerIdsRequest stale;
  stale.set_broker_id(1);
  stale.set_broker_epoch(epochs[0] + 100);
  pb::AllocateProducerIdsResponse refused;
  ASSERT_TRUE(stub(active).AllocateProducerIds(Context().get(), stale, &refused).ok());
  EXPECT_NE(refused.error().code(), 0);
}

TEST_F(ControllerServiceTest, RefusesCallsFromAnotherClusterWithInconsistentClusterId) {
  const int active = Active();
  ASSERT_NE(active, 0);
  auto call = [&](const char* cluster_id) {
    std::unique_ptr<grpc::ClientContext> context = Context();
    if (cluster_id != nullptr) context->AddMetadata("karst-cluster-id", cluster_id);
    pb::RegisterBrokerRequest request;
    request.set_broker_id(1);
    request.set_incarnation_id("inc-1");
    pb::RegisterBrokerResponse response;
    EXPECT_TRUE(stub(active).RegisterBroker(context.get(), request, &response).ok());
    return response;
  };
  for (int i = 0; i < 2; ++i) {
    const pb::RegisterBrokerResponse refused = call("green");
    EXPECT_EQ(refused.error().code(), 104);  // INCONSISTENT_CLUSTER_ID.
    EXPECT_THAT(refused.error().message(),
                ::testing::AllOf(::testing::HasSubstr("cluster.id 'green'"),
                                 ::testing::HasSubstr("cluster.id 'blue'")));
  }
  // Logged once, however often the other cluster calls.
  ASSERT_EQ(log().size(), 1u);
  EXPECT_THAT(log()[0], ::testing::HasSubstr("RegisterBroker from "));
  // The same cluster, and a caller that names none (a tool), are served.
  EXPECT_EQ(call("blue").error().code(), 0);
  EXPECT_EQ(call(nullptr).error().code(), 0);
}

TEST_F(ControllerServiceTest, EveryControllerServesTheMetadataLog) {
  const int active = Active();
  ASSERT_NE(active, 0);
  pb::CreateTopicRequest create;
  create.set_name("orders");
  create.set_partitions(1);
  create.set_replication_factor(1);
  pb::RegisterBrokerRequest reg;
  reg.set_broker_id(1);
  reg.set_incarnation_id("inc-1");
  pb::RegisterBrokerResponse registered;
  ASSERT_TRUE(stub(active).RegisterBroker(Context().get(), reg, &registered).ok());
  ASSERT_EQ(registered.error().code(), 0) << registered.error().message();
  pb::BrokerHeartbeatRequest beat;
  beat.set_broker_id(1);
  beat.set_broker_epoch(registered.broker_epoch());
  beat.set_metadata_offset(registered.broker_epoch());
  pb::BrokerHeartbeatResponse beat_response;
  ASSERT_TRUE(stub(active).BrokerHeartbeat(Context().get(), beat, &beat_response).ok());
  ASSERT_FALSE(beat_response.is_fenced());
  const int standby = active % 3 + 1;
  // A broker with nothing folded gets a snapshot; the standby may lag, so poll it.
  pb::FetchMetadataResponse snapshot;
  ASSERT_TRUE(WaitUntil([&] {
    pb::FetchMetadataRequest fetch;
    fetch.set_broker_id(1);
    fetch.set_offset(-1);
    return stub(standby).FetchMetadata(Context().get(), fetch, &snapshot).ok() &&
           snapshot.error().code() == 0 && snapshot.snapshot() &&
           snapshot.snapshot_records().records_size() > 0 &&
           !snapshot.snapshot_records().records(0).register_broker().fenced();
  }));
  EXPECT_EQ(snapshot.snapshot_records().records(0).register_broker().broker_id(), 1);
  // From there on, entries; a long poll returns once the topic's records commit.
  pb::FetchMetadataRequest fetch;
  fetch.set_broker_id(1);
  fetch.set_offset(snapshot.snapshot_offset());
  fetch.set_max_wait_ms(20000);
  pb::FetchMetadataResponse entries;
  auto poll = std::async(std::launch::async, [&] {
    return stub(standby).FetchMetadata(Context().get(), fetch, &entries).ok();
  });
  pb::CreateTopicResponse created;
  ASSERT_TRUE(stub(active).CreateTopic(Context().get(), create, &created).ok());
  ASSERT_EQ(created.error().code(), 0) << created.error().message();
  ASSERT_TRUE(poll.get());
  EXPECT_FALSE(entries.snapshot());
  ASSERT_GE(entries.entries_size(), 1);
  EXPECT_GT(entries.entries(0).offset(), snapshot.snapshot_offset());
  EXPECT_EQ(entries.entries(0).batch().records(0).topic().name(), "orders");
}

TEST_F(ControllerServiceTest, ActiveControllerDescribesTheQuorumAndStandbysNameIt) {
  const int active = Active();
  ASSERT_NE(active, 0);
  const int standby = active % 3 + 1;
  ASSERT_TRUE(WaitUntil([&] {
    pb::DescribeQuorumResponse response;
    return stub(standby).DescribeQuorum(Context().get(), {}, &response).ok() &&
           response.error().code() == 41 && response.controller().active_controller_id() == active;
  }));
  // Every voter catches up with the leader's log, which the high watermark then covers.
  pb::DescribeQuorumResponse quorum;
  const int64_t start_ms = absl::ToUnixMillis(absl::Now());
  ASSERT_TRUE(WaitUntil([&] {
    quorum.Clear();
    if (!stub(active).DescribeQuorum(Context().get(), {}, &quorum).ok()) return false;
    if (quorum.error().code() != 0 || quorum.voters_size() != 3) return false;
    for (const pb::QuorumReplica& v : quorum.voters()) {
      if (v.log_end_offset() != quorum.high_watermark() || v.last_caught_up_timestamp_ms() < 0) {
        return false;
      }
    }
    return true;
  })) << quorum.DebugString();
  EXPECT_EQ(quorum.leader_id(), active);
  EXPECT_EQ(quorum.controller().active_controller_id(), active);
  EXPECT_EQ(quorum.leader_epoch(), members_[static_cast<size_t>(active - 1)]->node->term().value());
  EXPECT_GE(quorum.high_watermark(), 1);
  EXPECT_EQ(quorum.observers_size(), 0);
  for (int i = 0; i < 3; ++i) {
    const pb::QuorumReplica& v = quorum.voters(i);
    EXPECT_EQ(v.replica_id(), i + 1);
    // Contact times are the leader's wall clock, recent.
    EXPECT_GE(v.last_fetch_timestamp_ms(), start_ms - 60000) << v.DebugString();
    EXPECT_LE(v.last_fetch_timestamp_ms(), absl::ToUnixMillis(absl::Now())) << v.DebugString();
  }
}

}  // namespace
}  // namespace karst::controller

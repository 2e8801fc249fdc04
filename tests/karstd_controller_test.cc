// karstd controllers (process.roles=controller) on their own 127.B.C.x addresses form the
// metadata quorum, driven through the Controller gRPC service:
// - three voters: exactly one is active and the others name it; after kill -9 of the active
//   controller a standby is active within two (maximal) election timeouts, the topic created
//   before is still there, topics can still be created, and the killed node restarts from its
//   RocksDB log as a working member of the quorum;
// - a broker silent for broker.session.timeout.ms is fenced (and shown on /metrics);
// - five voters keep working with two down and make no change with three down;
// - with real brokers (3 combined nodes), a broker killed with -9 is fenced within its session
//   timeout and every partition it led gets a new leader from its ISR.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/protocol/messages/all.h"
#include "proto/controller.grpc.pb.h"
#include "tests/harness/cluster.h"
#include "tests/harness/kafka_connection.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

namespace pb = ::karst::controller_rpc;
namespace kp = ::karst::kafka::protocol;

constexpr int kNotController = 41;
constexpr int kTopicAlreadyExists = 36;
constexpr int kInvalidReplicationFactor = 38;

class ControllerClient {
 public:
  explicit ControllerClient(const std::string& address)
      : stub_(pb::Controller::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}

  // The answer to a CreateTopic, or nullopt if the node did not answer in time.
  // Topics have one partition and one replica, so creation needs one unfenced broker.
  std::optional<pb::CreateTopicResponse> CreateTopic(const std::string& name) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    pb::CreateTopicRequest request;
    request.set_name(name);
    request.set_partitions(1);
    request.set_replication_factor(1);
    pb::CreateTopicResponse response;
    if (!stub_->CreateTopic(&context, request, &response).ok()) return std::nullopt;
    return response;
  }

  std::optional<pb::RegisterBrokerResponse> Register(int id) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    pb::RegisterBrokerRequest request;
    request.set_broker_id(id);
    request.set_incarnation_id(absl::StrCat("test-broker-", id));
    pb::RegisterBrokerResponse response;
    if (!stub_->RegisterBroker(&context, request, &response).ok()) return std::nullopt;
    return response;
  }

  bool Heartbeat(int id, int64_t epoch) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    pb::BrokerHeartbeatRequest request;
    request.set_broker_id(id);
    request.set_broker_epoch(epoch);
    request.set_metadata_offset(epoch);
    pb::BrokerHeartbeatResponse response;
    return stub_->BrokerHeartbeat(&context, request, &response).ok() &&
           response.error().code() == 0 && !response.is_fenced();
  }

 private:
  std::unique_ptr<pb::Controller::Stub> stub_;
};

// `nodes` karstd processes with process.roles=controller, all voters.
ClusterOptions ControllerOptions(int nodes) {
  ClusterOptions options;
  options.karstd_path = std::getenv("KARSTD");
  options.num_nodes = nodes;
  options.process_roles = "controller";
  options.logger_level = "info";
  return options;
}

// One Controller service client per node, by node index.
std::vector<std::unique_ptr<ControllerClient>> ClientsFor(Cluster& cluster, int nodes) {
  std::vector<std::unique_ptr<ControllerClient>> clients;
  for (int i = 0; i < nodes; ++i) {
    clients.push_back(std::make_unique<ControllerClient>(cluster.node(i).controller_address()));
  }
  return clients;
}

TEST(KarstdController, FailoverKeepsMetadataAndTopicsCanStillBeCreated) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cluster> cluster, Cluster::Create(ControllerOptions(3)));
  ASSERT_OK(cluster->StartAll());
  std::vector<std::unique_ptr<ControllerClient>> clients = ClientsFor(*cluster, 3);

  // Find the active controller: the one that does not answer NOT_CONTROLLER.
  int active = -1;
  ASSERT_OK(WaitFor(
      [&] {
        for (int i = 0; i < 3; ++i) {
          if (!cluster->node(i).IsRunning()) continue;
          auto r = clients[static_cast<size_t>(i)]->Register(1);
          if (r.has_value() && r->error().code() == 0) {
            active = i;
            return clients[static_cast<size_t>(i)]->Heartbeat(1, r->broker_epoch());
          }
        }
        return false;
      },
      absl::Seconds(30), "an active controller that registers a broker"));
  auto created = clients[static_cast<size_t>(active)]->CreateTopic("before");
  ASSERT_TRUE(created.has_value());
  ASSERT_EQ(created->error().code(), 0) << created->error().message();
  // A standby names the active controller.
  const int standby = (active + 1) % 3;
  auto refused = clients[static_cast<size_t>(standby)]->CreateTopic("x");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->error().code(), kNotController);
  EXPECT_EQ(refused->controller().active_controller_id(), cluster->node(active).node_id());

  ASSERT_OK(cluster->node(active).Kill9());
  const absl::Time killed = absl::Now();
  int next = -1;
  // controller.quorum.election.timeout.ms is 1000, randomised up to 2000: two maximal
  // election timeouts are 4 s.
  ASSERT_OK(WaitFor(
      [&] {
        for (int i = 0; i < 3; ++i) {
          if (i == active) continue;
          auto r = clients[static_cast<size_t>(i)]->CreateTopic("before");
          if (r.has_value() && r->error().code() != kNotController) {
            next = i;
            // Still there: the new active controller refuses a second "before".
            return r->error().code() == kTopicAlreadyExists;
          }
        }
        return false;
      },
      absl::Seconds(20), "a new active controller that still has the topic"));
  const absl::Duration failover = absl::Now() - killed;
  std::printf("failover: active controller %d killed, %d active after %s\n",
              cluster->node(active).node_id(), cluster->node(next).node_id(),
              absl::FormatDuration(failover).c_str());
  EXPECT_LE(failover, absl::Seconds(4));
  auto after = clients[static_cast<size_t>(next)]->CreateTopic("after");
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->error().code(), 0) << after->error().message();

  // The killed node restarts from its RocksDB log and rejoins: with the new active controller
  // killed too, the two left can only form a quorum with it, and that quorum has both topics.
  ASSERT_OK(cluster->node(active).Start());
  ASSERT_OK(cluster->node(active).WaitHealthy(absl::Seconds(30)));
  ASSERT_OK(WaitFor(
      [&] {
        auto r = clients[static_cast<size_t>(active)]->CreateTopic("x");
        return r.has_value() && r->error().code() == kNotController &&
               r->controller().active_controller_id() == cluster->node(next).node_id();
      },
      absl::Seconds(20), "the restarted node following the active controller"));
  ASSERT_OK(cluster->node(next).Kill9());
  ASSERT_OK(WaitFor(
      [&] {
        for (int i = 0; i < 3; ++i) {
          if (i == next) continue;
          auto r = clients[static_cast<size_t>(i)]->CreateTopic("after");
          if (r.has_value() && r->error().code() != kNotController) {
            return r->error().code() == kTopicAlreadyExists;
          }
        }
        return false;
      },
      absl::Seconds(20), "a quorum with the restarted node that still has both topics"));
}

// broker.session.timeout.ms: a broker that keeps heartbeating stays unfenced past the session
// timeout; once it goes silent the active controller fences it, no sooner than the timeout,
// and the cluster no longer places replicas on it.
TEST(KarstdController, SilentBrokerIsFencedAfterSessionTimeout) {
  constexpr absl::Duration kSession = absl::Milliseconds(1500);
  ClusterOptions options = ControllerOptions(3);
  options.properties["broker.session.timeout.ms"] =
      absl::StrCat(absl::ToInt64Milliseconds(kSession));
  options.properties["broker.heartbeat.interval.ms"] = "500";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cluster> cluster, Cluster::Create(options));
  ASSERT_OK(cluster->StartAll());
  std::vector<std::unique_ptr<ControllerClient>> clients = ClientsFor(*cluster, 3);
  ControllerClient* active = nullptr;
  int active_index = -1;
  int64_t epoch = 0;
  ASSERT_OK(WaitFor(
      [&] {
        for (int i = 0; i < 3; ++i) {
          ControllerClient* client = clients[static_cast<size_t>(i)].get();
          auto r = client->Register(1);
          if (r.has_value() && r->error().code() == 0 && client->Heartbeat(1, r->broker_epoch())) {
            active = client;
            active_index = i;
            epoch = r->broker_epoch();
            return true;
          }
        }
        return false;
      },
      absl::Seconds(30), "an active controller that registers and unfences a broker"));

  // Alive: heartbeats (paced by their own round trips) for two session timeouts.
  int n = 0;
  const absl::Time alive_until = absl::Now() + 2 * kSession;
  while (absl::Now() < alive_until) {
    ASSERT_TRUE(active->Heartbeat(1, epoch));
    auto r = active->CreateTopic(absl::StrCat("alive-", n++));
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->error().code(), 0) << r->error().message();
  }

  // Silent: the last heartbeat is sent at `silent_from`.
  const absl::Time silent_from = absl::Now();
  ASSERT_TRUE(active->Heartbeat(1, epoch));
  ASSERT_OK(WaitFor(
      [&] {
        auto r = active->CreateTopic(absl::StrCat("late-", n++));
        return r.has_value() && r->error().code() == kInvalidReplicationFactor;
      },
      absl::Seconds(15), "the silent broker fenced"));
  const absl::Duration fenced_after = absl::Now() - silent_from;
  std::printf("silent broker fenced after %s (session %s)\n",
              absl::FormatDuration(fenced_after).c_str(), absl::FormatDuration(kSession).c_str());
  EXPECT_GE(fenced_after, kSession);

  // The controller gauges on /metrics: the active controller counts 1, standbys 0, and
  // every controller's image shows the one fenced broker.
  for (int i = 0; i < 3; ++i) {
    const std::string active_line =
        absl::StrCat("karst_controller_active_controller_count ", i == active_index ? 1 : 0);
    ASSERT_OK(WaitFor(
        [&] {
          auto r = cluster->node(i).AdminGet("/metrics");
          return r.ok() && absl::StrContains(r->body, active_line) &&
                 absl::StrContains(r->body, "karst_controller_fenced_broker_count 1") &&
                 absl::StrContains(r->body, "karst_controller_active_broker_count 0") &&
                 absl::StrContains(r->body, "karst_raft_leader{group=\"__cluster_metadata\"}");
        },
        absl::Seconds(10), absl::StrCat("node ", i, "'s controller metrics")));
  }
}

// Five voters: the quorum keeps working with two down and makes no change with three down; it
// works again once a third voter is back.
TEST(KarstdController, FiveVotersSurviveTwoDownAndStopWithThreeDown) {
  constexpr int kNodes = 5;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cluster> cluster,
                       Cluster::Create(ControllerOptions(kNodes)));
  ASSERT_OK(cluster->StartAll());
  std::vector<std::unique_ptr<ControllerClient>> clients = ClientsFor(*cluster, kNodes);
  // The index of the active controller after creating `topic` (or finding it created), or -1.
  auto create_anywhere = [&](const std::string& topic, int* code) {
    for (int i = 0; i < kNodes; ++i) {
      if (!cluster->node(i).IsRunning()) continue;
      auto r = clients[static_cast<size_t>(i)]->CreateTopic(topic);
      if (r.has_value() && r->error().code() != kNotController) {
        *code = r->error().code();
        return i;
      }
    }
    return -1;
  };
  int code = -1;
  int active = -1;
  ASSERT_OK(WaitFor(
      [&] {
        // A registered, unfenced broker is needed to place the replica.
        for (auto& c : clients) {
          auto r = c->Register(1);
          if (r.has_value() && r->error().code() == 0 && c->Heartbeat(1, r->broker_epoch())) {
            active = create_anywhere("first", &code);
            return active >= 0 && code == 0;
          }
        }
        return false;
      },
      absl::Seconds(30), "five voters creating a topic"));

  // Two down, the active controller among them: the other three carry on.
  ASSERT_OK(cluster->node(active).Kill9());
  ASSERT_OK(cluster->node((active + 1) % kNodes).Kill9());
  ASSERT_OK(
      WaitFor([&] { return create_anywhere("first", &code) >= 0 && code == kTopicAlreadyExists; },
              absl::Seconds(20), "three of five voters electing with the topic kept"));
  ASSERT_OK(WaitFor([&] { return create_anywhere("second", &code) >= 0 && code == 0; },
                    absl::Seconds(20), "three of five voters creating a topic"));

  // Three down: the two left lose the active controller (check-quorum) and commit nothing.
  const int third = (active + 2) % kNodes;
  ASSERT_OK(cluster->node(third).Kill9());
  ASSERT_OK(WaitFor(
      [&] {
        int refused = 0;
        for (int i = 0; i < kNodes; ++i) {
          if (!cluster->node(i).IsRunning()) continue;
          auto r = clients[static_cast<size_t>(i)]->CreateTopic("blocked");
          if (!r.has_value()) return false;
          // Nothing may be created without a majority.
          EXPECT_NE(r->error().code(), 0) << "node " << i << " created a topic with 2 of 5";
          const int named = r->controller().active_controller_id();
          const bool named_alive = named >= cluster->node(0).node_id() &&
                                   named < cluster->node(0).node_id() + kNodes &&
                                   cluster->node(named - cluster->node(0).node_id()).IsRunning();
          if (r->error().code() == kNotController && !named_alive) ++refused;
        }
        return refused == 2;
      },
      absl::Seconds(20), "the two remaining voters with no live active controller"));

  // A third voter back: a majority again, with everything committed before.
  ASSERT_OK(cluster->node(third).Start());
  ASSERT_OK(
      WaitFor([&] { return create_anywhere("second", &code) >= 0 && code == kTopicAlreadyExists; },
              absl::Seconds(30), "three voters again, with the topics"));
  ASSERT_OK(WaitFor([&] { return create_anywhere("third", &code) >= 0 && code == 0; },
                    absl::Seconds(20), "three voters again creating a topic"));
}

// Partitions as one broker's Metadata v1 shows them: index -> (leader, ISR).
using PartitionView = std::map<int32_t, std::pair<int32_t, std::vector<int32_t>>>;

absl::StatusOr<PartitionView> Describe(Node& node, const std::string& topic) {
  ASSIGN_OR_RETURN(std::unique_ptr<KafkaConnection> c,
                   KafkaConnection::Open(node, "controller-test", absl::Seconds(3)));
  kp::MetadataRequest request;
  request.topics = std::vector<kp::MetadataRequest::MetadataRequestTopic>{{.name = topic}};
  kp::MetadataResponse response;
  RETURN_IF_ERROR(c->Call(request, 1, &response));
  if (response.topics.size() != 1 || response.topics[0].error_code != 0) {
    return absl::UnavailableError(absl::StrCat("topic ", topic, " not described yet"));
  }
  PartitionView view;
  for (const auto& p : response.topics[0].partitions) {
    view[p.partition_index] = {p.leader_id, p.isr_nodes};
  }
  return view;
}

// Issue #6: kill -9 a broker; within the session timeout it is fenced and every partition it
// led has a new leader from its ISR (3 combined nodes, real brokers).
TEST(KarstdController, KilledBrokerIsFencedAndItsPartitionsGetLeadersFromTheirIsr) {
  ClusterOptions options;
  options.karstd_path = std::getenv("KARSTD");
  options.num_nodes = 3;
  options.logger_level = "info";
  options.properties = {{"broker.session.timeout.ms", "3000"},
                        {"broker.heartbeat.interval.ms", "500"}};
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cluster> cluster, Cluster::Create(options));
  ASSERT_OK(cluster->StartAll());
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c,
                         KafkaConnection::Open(cluster->node(0), "controller-test"));
    kp::CreateTopicsRequest create;
    create.timeout_ms = 10000;
    create.topics.push_back({.name = "fenced", .num_partitions = 6, .replication_factor = 3});
    kp::CreateTopicsResponse created;
    ASSERT_OK(c->Call(create, 4, &created));
    ASSERT_EQ(created.topics.at(0).error_code, 0);
  }
  PartitionView before;
  ASSERT_OK(WaitFor(
      [&] {
        absl::StatusOr<PartitionView> view = Describe(cluster->node(0), "fenced");
        if (!view.ok() || view->size() != 6) return false;
        for (const auto& [index, state] : *view) {
          if (state.first < 0 || state.second.size() != 3) return false;
        }
        before = *view;
        return true;
      },
      absl::Seconds(30), "6 partitions with leaders and full ISRs"));
  const int victim = before.at(0).first;  // Node ids are 1..3, indexes 0..2.
  ASSERT_OK(cluster->node(victim - 1).Kill9());
  Node& survivor = cluster->node(victim % 3);
  // Fencing follows the session timeout (3 s) and the moves commit with it: the deadline is
  // the session timeout plus as much again for detection and commit.
  ASSERT_OK(WaitFor(
      [&] {
        absl::StatusOr<PartitionView> view = Describe(survivor, "fenced");
        if (!view.ok()) return false;
        for (const auto& [index, state] : before) {
          const auto& [leader, isr] = view->at(index);
          if (std::count(isr.begin(), isr.end(), victim) != 0) return false;
          if (state.first != victim) continue;
          // A new leader, from the ISR it had.
          if (leader < 0 || leader == victim) return false;
          if (std::count(state.second.begin(), state.second.end(), leader) == 0) return false;
        }
        return true;
      },
      absl::Seconds(3) + absl::Seconds(3), "the victim's partitions to move within its ISR"));
  // The controller gauges refresh every quarter of the session timeout.
  EXPECT_OK(WaitFor(
      [&] {
        absl::StatusOr<HttpResponse> metrics = survivor.AdminGet("/metrics");
        return metrics.ok() &&
               absl::StrContains(metrics->body, "\nkarst_controller_fenced_broker_count 1\n");
      },
      absl::Seconds(5), "karst_controller_fenced_broker_count 1"));
}

}  // namespace
}  // namespace karst::testing

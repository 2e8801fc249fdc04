// The group coordinator as karstd serves it, over raw TCP with the generated codecs, on three
// nodes: FindCoordinator creating __consumer_offsets on first use and answering batched keys
// (v4), a whole membership cycle against the coordinator (KIP-394 member id, join, sync,
// heartbeat, commit with an unknown topic, fetch, describe, list, leave, delete), clients
// refused on the internal topic, and the coordinator moving when its node is killed: the new
// leader of the offsets partition loads it from its log and serves the committed offsets; a
// commit that cannot replicate is answered COORDINATOR_NOT_AVAILABLE.
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/all.h"
#include "kafka/record/record.h"
#include "tests/harness/cluster.h"
#include "tests/harness/http_get.h"
#include "tests/harness/kafka_connection.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

namespace kp = ::karst::kafka::protocol;
namespace rec = ::karst::kafka::record;

constexpr char kTopic[] = "orders";
constexpr absl::Duration kWait = absl::Seconds(60);

int16_t Code(kp::ErrorCode e) { return static_cast<int16_t>(e); }

struct Coordinator {
  int32_t node_id = -1;
  int port = 0;
  std::string host;
};

class KarstdGroups : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions options;
    options.karstd_path = std::getenv("KARSTD");
    options.num_nodes = 3;
    options.logger_level = "info";
    options.properties = {{"offsets.topic.num.partitions", "6"},
                          {"group.initial.rebalance.delay.ms", "0"},
                          {"offsets.commit.timeout.ms", "2000"},
                          {"default.replication.factor", "3"},
                          {"min.insync.replicas", "2"}};
    absl::StatusOr<std::unique_ptr<Cluster>> cluster = Cluster::Create(std::move(options));
    ASSERT_OK(cluster.status());
    cluster_ = cluster->release();
    ASSERT_OK(cluster_->StartAll());
    ready_ = true;
  }

  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  void SetUp() override { ASSERT_TRUE(ready_) << "the cluster did not start"; }
  void TearDown() override {
    if (HasFailure() && cluster_ != nullptr) cluster_->MarkFailed();
  }

  static absl::StatusOr<std::unique_ptr<KafkaConnection>> Connect(int node) {
    return KafkaConnection::Open(cluster_->node(node));
  }

  // The node index serving `port` on `host` (each node has its own address).
  static int NodeIndex(const Coordinator& c) {
    for (int i = 0; i < cluster_->size(); ++i) {
      if (cluster_->node(i).address() == c.host) return i;
    }
    return -1;
  }

  // FindCoordinator v3 from node `via` until it names a node other than `not_node`.
  static absl::StatusOr<Coordinator> FindCoordinator(const std::string& group, int via,
                                                     int32_t not_node = -1) {
    Coordinator found;
    absl::Status s = WaitForOk(
        [&]() -> absl::Status {
          absl::StatusOr<std::unique_ptr<KafkaConnection>> c = Connect(via);
          if (!c.ok()) return c.status();
          kp::FindCoordinatorRequest request{.key = group, .key_type = 0};
          kp::FindCoordinatorResponse response;
          if (absl::Status s = (*c)->Call(request, 3, &response); !s.ok()) return s;
          if (response.error_code != 0) {
            return absl::UnavailableError(absl::StrCat("error ", response.error_code));
          }
          if (response.node_id == not_node) return absl::UnavailableError("still the old node");
          found = {.node_id = response.node_id, .port = response.port, .host = response.host};
          return absl::OkStatus();
        },
        kWait, "FindCoordinator");
    if (!s.ok()) return s;
    return found;
  }

  static absl::Status CreateTopic() {
    return WaitForOk(
        [&]() -> absl::Status {
          absl::StatusOr<std::unique_ptr<KafkaConnection>> c = Connect(0);
          if (!c.ok()) return c.status();
          kp::CreateTopicsRequest request;
          request.timeout_ms = 5000;
          request.topics.push_back({.name = kTopic, .num_partitions = 2, .replication_factor = 3});
          kp::CreateTopicsResponse response;
          if (absl::Status s = (*c)->Call(request, 4, &response); !s.ok()) return s;
          const int16_t error = response.topics.at(0).error_code;
          if (error == 0 || error == Code(kp::ErrorCode::kTopicAlreadyExists)) {
            return absl::OkStatus();
          }
          return absl::UnavailableError(absl::StrCat("CreateTopics error ", error));
        },
        kWait, "CreateTopics");
  }

  // OffsetCommit v7 (simple consumer: generation -1) until the coordinator accepts it.
  static absl::Status Commit(KafkaConnection& c, const std::string& group, int64_t offset) {
    return WaitForOk(
        [&]() -> absl::Status {
          kp::OffsetCommitRequest request{.group_id = group, .generation_id_or_member_epoch = -1};
          request.topics.push_back(
              {.name = kTopic, .partitions = {{.partition_index = 0, .committed_offset = offset}}});
          kp::OffsetCommitResponse response;
          if (absl::Status s = c.Call(request, 7, &response); !s.ok()) return s;
          const int16_t e = response.topics.at(0).partitions.at(0).error_code;
          if (e != 0) return absl::UnavailableError(absl::StrCat("OffsetCommit error ", e));
          return absl::OkStatus();
        },
        kWait, "OffsetCommit");
  }

  static std::optional<int64_t> Committed(KafkaConnection& c, const std::string& group) {
    kp::OffsetFetchRequest request{.group_id = group};
    request.topics->push_back({.name = kTopic, .partition_indexes = {0}});
    kp::OffsetFetchResponse response;
    if (!c.Call(request, 7, &response).ok() || response.error_code != 0) return std::nullopt;
    return response.topics.at(0).partitions.at(0).committed_offset;
  }

  static Cluster* cluster_;
  static bool ready_;
};

Cluster* KarstdGroups::cluster_ = nullptr;
bool KarstdGroups::ready_ = false;

TEST_F(KarstdGroups, FindCoordinatorCreatesTheOffsetsTopicAndAnswersBatchedKeys) {
  ASSERT_OK_AND_ASSIGN(Coordinator first, FindCoordinator("batch-a", 1));
  EXPECT_GE(NodeIndex(first), 0) << first.host;

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c, Connect(2));
  kp::FindCoordinatorRequest request{.key_type = 0, .coordinator_keys = {"batch-a", "batch-b"}};
  kp::FindCoordinatorResponse response;
  ASSERT_OK(c->Call(request, 4, &response));
  ASSERT_EQ(response.coordinators.size(), 2u);
  EXPECT_EQ(response.coordinators[0].key, "batch-a");
  EXPECT_EQ(response.coordinators[0].node_id, first.node_id);
  EXPECT_EQ(response.coordinators[1].key, "batch-b");
  EXPECT_EQ(response.coordinators[1].error_code, 0);

  kp::FindCoordinatorRequest bad{.key = "x", .key_type = 7};
  ASSERT_OK(c->Call(bad, 3, &response));
  EXPECT_EQ(response.error_code, Code(kp::ErrorCode::kInvalidRequest));

  // Metadata lists the internal topic (6 partitions here) as internal.
  kp::MetadataRequest metadata;
  metadata.topics = std::vector<kp::MetadataRequest::MetadataRequestTopic>{
      {.name = std::string("__consumer_offsets")}};
  kp::MetadataResponse listed;
  ASSERT_OK(c->Call(metadata, 9, &listed));
  ASSERT_EQ(listed.topics.size(), 1u);
  EXPECT_TRUE(listed.topics[0].is_internal);
  EXPECT_EQ(listed.topics[0].partitions.size(), 6u);
}

TEST_F(KarstdGroups, ClientsCannotProduceToTheOffsetsTopic) {
  ASSERT_OK(FindCoordinator("produce-check", 0).status());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c, Connect(0));
  rec::BatchBuilder builder({});
  builder.Add(0, 0, std::string("k"), std::string("v"));
  ASSERT_OK_AND_ASSIGN(std::string batch, builder.Build());
  kp::ProduceRequest request{.acks = 1, .timeout_ms = 5000};
  request.topic_data.push_back(
      {.name = "__consumer_offsets", .partition_data = {{.index = 0, .records = batch}}});
  kp::ProduceResponse response;
  ASSERT_OK(c->Call(request, 8, &response));
  EXPECT_EQ(response.responses.at(0).partition_responses.at(0).error_code,
            Code(kp::ErrorCode::kInvalidTopicException));
}

TEST_F(KarstdGroups, AMemberJoinsSyncsCommitsAndLeaves) {
  ASSERT_OK(CreateTopic());
  const std::string group = "cycle";
  ASSERT_OK_AND_ASSIGN(Coordinator coordinator, FindCoordinator(group, 0));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c,
                       KafkaConnection::Open(coordinator.host, coordinator.port, "cycle-client"));

  // KIP-394: the first join gets a member id to join with.
  kp::JoinGroupRequest join{.group_id = group,
                            .session_timeout_ms = 10000,
                            .rebalance_timeout_ms = 10000,
                            .protocol_type = "consumer",
                            .protocols = {{.name = "range", .metadata = "m"}}};
  kp::JoinGroupResponse joined;
  // Until the coordinator has applied the image that made it the leader and loaded the
  // partition, it answers NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS.
  ASSERT_OK(WaitFor(
      [&] {
        return c->Call(join, 5, &joined).ok() &&
               joined.error_code != Code(kp::ErrorCode::kNotCoordinator) &&
               joined.error_code != Code(kp::ErrorCode::kCoordinatorLoadInProgress);
      },
      kWait, "a JoinGroup the coordinator answers"));
  ASSERT_EQ(joined.error_code, Code(kp::ErrorCode::kMemberIdRequired));
  ASSERT_FALSE(joined.member_id.empty());
  EXPECT_EQ(joined.member_id.rfind("cycle-client-", 0), 0u) << joined.member_id;
  join.member_id = joined.member_id;
  ASSERT_OK(c->Call(join, 5, &joined));
  ASSERT_EQ(joined.error_code, 0);
  EXPECT_EQ(joined.generation_id, 1);
  EXPECT_EQ(joined.leader, join.member_id);
  EXPECT_EQ(joined.protocol_name, "range");

  kp::SyncGroupRequest sync{.group_id = group,
                            .generation_id = 1,
                            .member_id = join.member_id,
                            .assignments = {{.member_id = join.member_id, .assignment = "a1"}}};
  kp::SyncGroupResponse synced;
  ASSERT_OK(c->Call(sync, 3, &synced));
  ASSERT_EQ(synced.error_code, 0);
  EXPECT_EQ(synced.assignment, "a1");

  kp::HeartbeatRequest beat{.group_id = group, .generation_id = 1, .member_id = join.member_id};
  kp::HeartbeatResponse beaten;
  ASSERT_OK(c->Call(beat, 3, &beaten));
  EXPECT_EQ(beaten.error_code, 0);
  beat.generation_id = 7;
  ASSERT_OK(c->Call(beat, 3, &beaten));
  EXPECT_EQ(beaten.error_code, Code(kp::ErrorCode::kIllegalGeneration));

  // 50 records in partition 0, then a commit at 42 for the member's generation: the
  // coordinator's metrics show a lag of 8. The unknown topic is refused on its own.
  {
    // To each node in turn until the partition's leader takes it.
    int node = 0;
    ASSERT_OK(WaitForOk(
        [&]() -> absl::Status {
          node = (node + 1) % cluster_->size();
          absl::StatusOr<std::unique_ptr<KafkaConnection>> p = Connect(node);
          if (!p.ok()) return p.status();
          rec::BatchBuilder builder({});
          for (int i = 0; i < 50; ++i) builder.Add(i, 0, std::nullopt, std::string("v"));
          absl::StatusOr<std::string> batch = builder.Build();
          if (!batch.ok()) return batch.status();
          kp::ProduceRequest request{.acks = -1, .timeout_ms = 5000};
          request.topic_data.push_back(
              {.name = kTopic, .partition_data = {{.index = 0, .records = *batch}}});
          kp::ProduceResponse response;
          if (absl::Status s = (*p)->Call(request, 8, &response); !s.ok()) return s;
          const int16_t e = response.responses.at(0).partition_responses.at(0).error_code;
          if (e != 0) return absl::UnavailableError(absl::StrCat("Produce error ", e));
          return absl::OkStatus();
        },
        kWait, "Produce"));
  }
  kp::OffsetCommitRequest commit{
      .group_id = group, .generation_id_or_member_epoch = 1, .member_id = join.member_id};
  commit.topics.push_back(
      {.name = kTopic, .partitions = {{.partition_index = 0, .committed_offset = 42}}});
  commit.topics.push_back(
      {.name = "no-such-topic", .partitions = {{.partition_index = 0, .committed_offset = 1}}});
  kp::OffsetCommitResponse committed;
  ASSERT_OK(c->Call(commit, 8, &committed));
  ASSERT_EQ(committed.topics.size(), 2u);
  EXPECT_EQ(committed.topics[0].name, kTopic);
  EXPECT_EQ(committed.topics[0].partitions.at(0).error_code, 0);
  EXPECT_EQ(committed.topics[1].partitions.at(0).error_code,
            Code(kp::ErrorCode::kUnknownTopicOrPartition));
  EXPECT_EQ(Committed(*c, group), 42);
  const int coordinator_index = NodeIndex(coordinator);
  ASSERT_GE(coordinator_index, 0);
  std::string lag_line;
  EXPECT_OK(WaitFor(
      [&] {
        absl::StatusOr<HttpResponse> metrics =
            cluster_->node(coordinator_index).AdminGet("/metrics");
        if (!metrics.ok()) return false;
        for (absl::string_view line : absl::StrSplit(metrics->body, '\n')) {
          if (absl::StartsWith(line, "karst_consumer_group_lag{") &&
              absl::StrContains(line, "group=\"cycle\"") &&
              absl::StrContains(line, "topic=\"orders\"") &&
              absl::StrContains(line, "partition=\"0\"")) {
            lag_line = std::string(line);
            return absl::EndsWith(line, " 8");
          }
        }
        return false;
      },
      kWait, "karst_consumer_group_lag"))
      << lag_line;

  kp::DescribeGroupsRequest describe{.groups = {group}};
  kp::DescribeGroupsResponse described;
  ASSERT_OK(c->Call(describe, 4, &described));
  ASSERT_EQ(described.groups.size(), 1u);
  EXPECT_EQ(described.groups[0].group_state, "Stable");
  ASSERT_EQ(described.groups[0].members.size(), 1u);
  EXPECT_EQ(described.groups[0].members[0].client_id, "cycle-client");
  EXPECT_EQ(described.groups[0].members[0].client_host.rfind("/127.", 0), 0u);
  EXPECT_EQ(described.groups[0].members[0].member_assignment, "a1");

  kp::ListGroupsResponse listed;
  ASSERT_OK(c->Call(kp::ListGroupsRequest{}, 3, &listed));
  bool found = false;
  for (const auto& g : listed.groups) found = found || g.group_id == group;
  EXPECT_TRUE(found);

  // Deleting a group with members is refused; after the member leaves it goes.
  kp::DeleteGroupsRequest del{.groups_names = {group}};
  kp::DeleteGroupsResponse deleted;
  ASSERT_OK(c->Call(del, 1, &deleted));
  EXPECT_EQ(deleted.results.at(0).error_code, Code(kp::ErrorCode::kNonEmptyGroup));

  kp::LeaveGroupRequest leave{.group_id = group, .members = {{.member_id = join.member_id}}};
  kp::LeaveGroupResponse left;
  ASSERT_OK(c->Call(leave, 3, &left));
  EXPECT_EQ(left.error_code, 0);
  ASSERT_EQ(left.members.size(), 1u);
  EXPECT_EQ(left.members[0].error_code, 0);

  ASSERT_OK(c->Call(del, 1, &deleted));
  EXPECT_EQ(deleted.results.at(0).error_code, 0);
  EXPECT_EQ(Committed(*c, group), -1);
}

// Last: it kills a node.
TEST_F(KarstdGroups, ZZTheGroupMovesWithItsOffsetsPartitionWhenTheCoordinatorDies) {
  ASSERT_OK(CreateTopic());
  const std::string group = "failover";
  ASSERT_OK_AND_ASSIGN(Coordinator old, FindCoordinator(group, 0));
  const int old_index = NodeIndex(old);
  ASSERT_GE(old_index, 0);
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c,
                         KafkaConnection::Open(old.host, old.port));
    ASSERT_OK(Commit(*c, group, 17));
    ASSERT_OK(Commit(*c, group, 1234));
    EXPECT_EQ(Committed(*c, group), 1234);
  }
  ASSERT_OK(cluster_->node(old_index).Kill9());

  const int via = (old_index + 1) % cluster_->size();
  ASSERT_OK_AND_ASSIGN(Coordinator moved, FindCoordinator(group, via, old.node_id));
  EXPECT_NE(moved.node_id, old.node_id);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c,
                       KafkaConnection::Open(moved.host, moved.port));
  // The new coordinator answers COORDINATOR_LOAD_IN_PROGRESS until it has loaded the
  // partition, then the offset committed before the kill.
  std::optional<int64_t> offset;
  ASSERT_OK(WaitFor(
      [&] {
        offset = Committed(*c, group);
        return offset.has_value();
      },
      kWait, "OffsetFetch from the new coordinator"));
  EXPECT_EQ(offset, 1234);
}

// After the one above (one node down): the coordinator's last peer dies too. The controller
// quorum is lost with it, so the ISR cannot shrink and the commit's append waits for a
// replica that never fetches; at offsets.commit.timeout.ms it is answered
// COORDINATOR_NOT_AVAILABLE (retriable), as Kafka maps a failed offsets write.
TEST_F(KarstdGroups, ZZZACommitThatCannotReplicateTimesOutAsCoordinatorNotAvailable) {
  int live = -1;
  for (int i = 0; i < cluster_->size(); ++i) {
    if (cluster_->node(i).IsRunning()) live = i;
  }
  ASSERT_GE(live, 0);
  const std::string group = "stuck";
  ASSERT_OK_AND_ASSIGN(Coordinator coordinator, FindCoordinator(group, live));
  const int coordinator_index = NodeIndex(coordinator);
  ASSERT_GE(coordinator_index, 0);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c,
                       KafkaConnection::Open(coordinator.host, coordinator.port));
  ASSERT_OK(Commit(*c, group, 5));
  for (int i = 0; i < cluster_->size(); ++i) {
    if (i != coordinator_index && cluster_->node(i).IsRunning()) {
      ASSERT_OK(cluster_->node(i).Kill9());
    }
  }
  kp::OffsetCommitRequest request{.group_id = group, .generation_id_or_member_epoch = -1};
  request.topics.push_back(
      {.name = kTopic, .partitions = {{.partition_index = 0, .committed_offset = 6}}});
  kp::OffsetCommitResponse response;
  ASSERT_OK(c->Call(request, 7, &response));
  EXPECT_EQ(response.topics.at(0).partitions.at(0).error_code,
            Code(kp::ErrorCode::kCoordinatorNotAvailable));
}

}  // namespace
}  // namespace karst::testing

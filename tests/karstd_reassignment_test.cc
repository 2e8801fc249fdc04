// Partition reassignment (KIP-455) end to end on three real karstd nodes (combined
// broker,controller roles, three voters), spoken to over raw TCP with the generated codecs.
// A replication-factor-2 topic on brokers {a, b} gets records with acks=all, then is moved to
// {c, b}: the controller adds c, c's broker opens the log and follows the leader, the leader
// admits c to the ISR once it caught up, which completes the reassignment: a leaves the
// replicas, leadership moves to c (the first target replica), and a's broker deletes its copy.
// Every record is then read back from c. ListPartitionReassignments ends empty, a cancel of
// the finished reassignment answers NO_REASSIGNMENT_IN_PROGRESS, and bad targets answer
// INVALID_REPLICA_ASSIGNMENT or UNKNOWN_TOPIC_OR_PARTITION without changing anything.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/protocol/apis.h"
#include "kafka/protocol/codec.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/header.h"
#include "kafka/protocol/messages/all.h"
#include "kafka/protocol/wire.h"
#include "kafka/record/record.h"
#include "kafka/record/record_batch.h"
#include "tests/harness/cluster.h"
#include "tests/harness/kafka_connection.h"
#include "tests/harness/tcp.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

namespace kp = ::karst::kafka::protocol;
namespace rec = ::karst::kafka::record;

constexpr char kTopic[] = "moving";
constexpr int kBatches = 20;
constexpr int kRecordsPerBatch = 10;
constexpr int16_t kNoError = 0;
constexpr int16_t kUnknownTopic = static_cast<int16_t>(kp::ErrorCode::kUnknownTopicOrPartition);
constexpr int16_t kInvalidAssignment =
    static_cast<int16_t>(kp::ErrorCode::kInvalidReplicaAssignment);
constexpr int16_t kNoReassignment = static_cast<int16_t>(kp::ErrorCode::kNoReassignmentInProgress);
constexpr absl::Duration kTimeout = absl::Seconds(10);
constexpr absl::Duration kSettle = absl::Seconds(60);

struct PartitionView {
  int32_t leader = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
};

std::vector<int32_t> Sorted(std::vector<int32_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

class KarstdReassignment : public ::testing::Test {
 protected:
  void SetUp() override {
    ClusterOptions options;
    options.karstd_path = std::getenv("KARSTD");
    options.num_nodes = 3;
    options.logger_level = "info";
    options.properties = {{"default.replication.factor", "2"},
                          {"min.insync.replicas", "2"},
                          {"num.partitions", "1"},
                          {"broker.session.timeout.ms", "3000"},
                          {"broker.heartbeat.interval.ms", "500"},
                          {"replica.lag.time.max.ms", "3000"}};
    ASSERT_OK_AND_ASSIGN(cluster_, Cluster::Create(std::move(options)));
    ASSERT_OK(cluster_->StartAll());
  }

  void TearDown() override {
    if (HasFailure() && cluster_ != nullptr) cluster_->MarkFailed();
  }

  // Node index of broker `id` (node ids start at 1).
  Node& NodeOf(int32_t id) { return cluster_->node(id - 1); }

  absl::StatusOr<std::unique_ptr<KafkaConnection>> Connect(int32_t id) {
    return KafkaConnection::Open(NodeOf(id));
  }

  // The partition as broker `id`'s Metadata (v12) shows it.
  absl::StatusOr<PartitionView> Describe(KafkaConnection& c) {
    kp::MetadataRequest request;
    request.topics = std::vector<kp::MetadataRequest::MetadataRequestTopic>(1);
    request.topics->at(0).name = kTopic;
    request.allow_auto_topic_creation = false;
    kp::MetadataResponse response;
    if (absl::Status s = c.Call(request, 12, &response); !s.ok()) return s;
    if (response.topics.size() != 1 || response.topics[0].error_code != kNoError ||
        response.topics[0].partitions.size() != 1) {
      return absl::UnavailableError("the topic is not known yet");
    }
    const auto& p = response.topics[0].partitions[0];
    return PartitionView{p.leader_id, p.replica_nodes, p.isr_nodes};
  }

  absl::StatusOr<kp::ListPartitionReassignmentsResponse> List(KafkaConnection& c) {
    kp::ListPartitionReassignmentsRequest request;
    request.topics = std::nullopt;  // All.
    kp::ListPartitionReassignmentsResponse response;
    if (absl::Status s = c.Call(request, 0, &response); !s.ok()) return s;
    return response;
  }

  // AlterPartitionReassignments v0 for partition 0 of `topic`; the partition's error.
  absl::StatusOr<int16_t> Reassign(KafkaConnection& c, std::optional<std::vector<int32_t>> target,
                                   const std::string& topic = kTopic) {
    kp::AlterPartitionReassignmentsRequest request;
    request.timeout_ms = 10000;
    auto& t = request.topics.emplace_back();
    t.name = topic;
    t.partitions.push_back({.partition_index = 0, .replicas = std::move(target)});
    kp::AlterPartitionReassignmentsResponse response;
    if (absl::Status s = c.Call(request, 0, &response); !s.ok()) return s;
    if (response.error_code != kNoError) {
      return absl::InternalError(absl::StrCat("top-level error ", response.error_code));
    }
    if (response.responses.size() != 1 || response.responses[0].name != topic ||
        response.responses[0].partitions.size() != 1 ||
        response.responses[0].partitions[0].partition_index != 0) {
      return absl::DataLossError("not one result for partition 0");
    }
    return response.responses[0].partitions[0].error_code;
  }

  // Every record value of partition 0 up to the high watermark, fetched from broker `id`.
  absl::StatusOr<std::vector<std::string>> ReadAll(int32_t id) {
    absl::StatusOr<std::unique_ptr<KafkaConnection>> c = Connect(id);
    if (!c.ok()) return c.status();
    std::vector<std::string> values;
    int64_t offset = 0;
    while (true) {
      kp::FetchRequest fetch;
      fetch.max_wait_ms = 0;
      fetch.min_bytes = 1;
      fetch.max_bytes = 1 << 20;
      auto& topic = fetch.topics.emplace_back();
      topic.topic = kTopic;
      topic.partitions.push_back(
          {.partition = 0, .fetch_offset = offset, .partition_max_bytes = 1 << 20});
      kp::FetchResponse response;
      if (absl::Status s = (*c)->Call(fetch, 4, &response); !s.ok()) return s;
      if (response.responses.size() != 1 || response.responses[0].partitions.size() != 1) {
        return absl::DataLossError("not one partition in the fetch response");
      }
      const auto& p = response.responses[0].partitions[0];
      if (p.error_code != kNoError) {
        return absl::UnavailableError(absl::StrCat("fetch from ", id, ": error ", p.error_code));
      }
      absl::string_view records = p.records.value_or("");
      const int64_t before = offset;
      while (true) {
        absl::StatusOr<std::optional<absl::string_view>> batch = rec::NextBatch(records, 1 << 20);
        if (!batch.ok()) return batch.status();
        if (!batch->has_value()) break;
        absl::StatusOr<rec::BatchHeader> header = rec::ValidateBatch(**batch);
        if (!header.ok()) return header.status();
        absl::StatusOr<std::vector<rec::Record>> decoded = rec::DecodeRecords(**batch);
        if (!decoded.ok()) return decoded.status();
        for (const rec::Record& r : *decoded) {
          const int64_t at = header->base_offset + r.offset_delta;
          if (at < offset) continue;
          values.push_back(r.value.value_or(""));
          offset = at + 1;
        }
      }
      if (offset >= p.high_watermark || offset == before) return values;
    }
  }

  std::unique_ptr<Cluster> cluster_;
};

TEST_F(KarstdReassignment, MovesAPartitionAndItsRecordsToANewReplicaSet) {
  // All three brokers registered and unfenced, so the target's broker can follow at once.
  std::unique_ptr<KafkaConnection> admin;
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        absl::StatusOr<std::unique_ptr<KafkaConnection>> c = Connect(1);
        if (!c.ok()) return c.status();
        kp::DescribeClusterRequest request;
        kp::DescribeClusterResponse response;
        if (absl::Status s = (*c)->Call(request, 0, &response); !s.ok()) return s;
        if (response.brokers.size() != 3) {
          return absl::UnavailableError(absl::StrCat(response.brokers.size(), " live brokers"));
        }
        admin = *std::move(c);
        return absl::OkStatus();
      },
      kSettle, "three live brokers"));

  kp::ApiVersionsResponse versions;
  ASSERT_OK(admin->Call(kp::ApiVersionsRequest{}, 3, &versions));
  std::map<int16_t, std::pair<int16_t, int16_t>> ranges;
  for (const auto& api : versions.api_keys)
    ranges[api.api_key] = {api.min_version, api.max_version};
  EXPECT_EQ(ranges[45], std::make_pair(int16_t{0}, int16_t{0}));  // AlterPartitionReassignments.
  EXPECT_EQ(ranges[46], std::make_pair(int16_t{0}, int16_t{0}));  // ListPartitionReassignments.

  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        kp::CreateTopicsRequest request;
        request.timeout_ms = 5000;
        request.topics.push_back({.name = kTopic, .num_partitions = 1, .replication_factor = 2});
        kp::CreateTopicsResponse response;
        if (absl::Status s = admin->Call(request, 4, &response); !s.ok()) return s;
        const int16_t error = response.topics.at(0).error_code;
        if (error != kNoError &&
            error != static_cast<int16_t>(kp::ErrorCode::kTopicAlreadyExists)) {
          return absl::UnavailableError(absl::StrCat("CreateTopics: error ", error));
        }
        return absl::OkStatus();
      },
      kSettle, "the topic"));

  // Both replicas in sync and the leader known.
  PartitionView before;
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        absl::StatusOr<PartitionView> view = Describe(*admin);
        if (!view.ok()) return view.status();
        if (view->replicas.size() != 2 || Sorted(view->isr) != Sorted(view->replicas) ||
            view->leader < 0) {
          return absl::UnavailableError("the partition is not fully in sync yet");
        }
        before = *view;
        return absl::OkStatus();
      },
      kSettle, "the partition in sync"));
  const int32_t leader = before.leader;
  const int32_t kept = before.replicas[0] == leader ? before.replicas[1] : before.replicas[0];
  int32_t added = -1;
  for (int32_t id = 1; id <= 3; ++id) {
    if (id != leader && id != kept) added = id;
  }
  ASSERT_NE(added, -1);
  const std::filesystem::path removed_dir = NodeOf(leader).dir() / "data" / "moving-0";
  const std::filesystem::path added_dir = NodeOf(added).dir() / "data" / "moving-0";
  // Brokers apply the image in their own time: the replica's log appears shortly.
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        if (!std::filesystem::exists(removed_dir)) {
          return absl::UnavailableError(absl::StrCat(removed_dir.string(), " does not exist"));
        }
        return absl::OkStatus();
      },
      kSettle, "the leader's log"));
  ASSERT_FALSE(std::filesystem::exists(added_dir)) << added_dir;

  // Records with acks=all through the current leader (min.insync.replicas=2: both have them).
  std::vector<std::string> written;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c, Connect(leader));
    for (int b = 0; b < kBatches; ++b) {
      rec::BatchBuilder builder({});
      for (int i = 0; i < kRecordsPerBatch; ++i) {
        written.push_back(absl::StrCat("record-", b * kRecordsPerBatch + i));
        builder.Add(i, 1'700'000'000'000 + i, "k", written.back());
      }
      ASSERT_OK_AND_ASSIGN(std::string batch, builder.Build());
      kp::ProduceRequest produce;
      produce.acks = -1;
      produce.timeout_ms = 10000;
      auto& topic = produce.topic_data.emplace_back();
      topic.name = kTopic;
      topic.partition_data.push_back({.index = 0, .records = batch});
      // The leader's own image may trail the one Metadata came from: retry the errors that
      // append nothing (any other would risk duplicates) until it leads with both in sync.
      int16_t error = kNoError;
      ASSERT_OK(WaitForOk(
          [&]() -> absl::Status {
            kp::ProduceResponse produced;
            if (absl::Status s = c->Call(produce, 7, &produced); !s.ok()) return s;
            error = produced.responses.at(0).partition_responses.at(0).error_code;
            if (error == static_cast<int16_t>(kp::ErrorCode::kNotLeaderOrFollower) ||
                error == static_cast<int16_t>(kp::ErrorCode::kNotEnoughReplicas)) {
              return absl::UnavailableError(absl::StrCat("error ", error));
            }
            return absl::OkStatus();
          },
          kSettle, "an acks=all produce"));
      ASSERT_EQ(error, kNoError);
    }
  }

  // Bad targets change nothing.
  ASSERT_OK_AND_ASSIGN(int16_t unknown_broker, Reassign(*admin, std::vector<int32_t>{kept, 99}));
  EXPECT_EQ(unknown_broker, kInvalidAssignment);
  ASSERT_OK_AND_ASSIGN(int16_t duplicate, Reassign(*admin, std::vector<int32_t>{kept, kept}));
  EXPECT_EQ(duplicate, kInvalidAssignment);
  ASSERT_OK_AND_ASSIGN(int16_t empty, Reassign(*admin, std::vector<int32_t>{}));
  EXPECT_EQ(empty, kInvalidAssignment);
  ASSERT_OK_AND_ASSIGN(int16_t unknown_topic,
                       Reassign(*admin, std::vector<int32_t>{kept}, "no-such-topic"));
  EXPECT_EQ(unknown_topic, kUnknownTopic);
  ASSERT_OK_AND_ASSIGN(int16_t nothing_to_cancel, Reassign(*admin, std::nullopt));
  EXPECT_EQ(nothing_to_cancel, kNoReassignment);

  // Move {leader, kept} to {added, kept}: `added` leads once the move completes.
  ASSERT_OK_AND_ASSIGN(int16_t started, Reassign(*admin, std::vector<int32_t>{added, kept}));
  ASSERT_EQ(started, kNoError);
  // While in progress the listing names the move (it may already be over: not required).
  ASSERT_OK_AND_ASSIGN(kp::ListPartitionReassignmentsResponse listed, List(*admin));
  EXPECT_EQ(listed.error_code, kNoError);
  for (const auto& topic : listed.topics) {
    ASSERT_EQ(topic.name, kTopic);
    ASSERT_EQ(topic.partitions.size(), 1u);
    EXPECT_EQ(topic.partitions[0].adding_replicas, std::vector<int32_t>{added});
    EXPECT_EQ(topic.partitions[0].removing_replicas, std::vector<int32_t>{leader});
    EXPECT_EQ(topic.partitions[0].replicas, (std::vector<int32_t>{added, kept, leader}));
  }

  PartitionView after;
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        absl::StatusOr<PartitionView> view = Describe(*admin);
        if (!view.ok()) return view.status();
        if (view->replicas != std::vector<int32_t>{added, kept}) {
          return absl::UnavailableError(
              absl::StrCat("replicas [", absl::StrJoin(view->replicas, ","), "]"));
        }
        if (Sorted(view->isr) != Sorted({added, kept})) {
          return absl::UnavailableError(absl::StrCat("isr [", absl::StrJoin(view->isr, ","), "]"));
        }
        after = *view;
        return absl::OkStatus();
      },
      kSettle, "the reassignment to complete"));
  EXPECT_EQ(after.leader, added);

  // The removed broker deletes its copy; the added one holds the log.
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        if (std::filesystem::exists(removed_dir)) {
          return absl::UnavailableError(absl::StrCat(removed_dir.string(), " still exists"));
        }
        return absl::OkStatus();
      },
      kSettle, "the removed replica's log to be deleted"));
  EXPECT_TRUE(std::filesystem::exists(added_dir));

  // Every record is readable from the new leader, the broker that did not have it before.
  std::vector<std::string> read;
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        absl::StatusOr<std::vector<std::string>> values = ReadAll(added);
        if (!values.ok()) return values.status();
        if (values->size() < written.size()) {
          return absl::UnavailableError(absl::StrCat(values->size(), " records readable"));
        }
        read = *std::move(values);
        return absl::OkStatus();
      },
      kSettle, "every record readable from the new leader"));
  EXPECT_EQ(read, written);

  // Nothing is left in progress; cancelling the finished move is an error.
  ASSERT_OK(WaitForOk(
      [&]() -> absl::Status {
        absl::StatusOr<kp::ListPartitionReassignmentsResponse> listed = List(*admin);
        if (!listed.ok()) return listed.status();
        if (!listed->topics.empty()) return absl::UnavailableError("a reassignment is listed");
        return absl::OkStatus();
      },
      kSettle, "no reassignment listed"));
  for (int32_t id : {added, kept}) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c, Connect(id));
    kp::ListPartitionReassignmentsRequest filtered;
    filtered.topics =
        std::vector<kp::ListPartitionReassignmentsRequest::ListPartitionReassignmentsTopics>{
            {.name = kTopic, .partition_indexes = {0}}};
    kp::ListPartitionReassignmentsResponse response;
    ASSERT_OK(c->Call(filtered, 0, &response));
    EXPECT_EQ(response.error_code, kNoError);
    EXPECT_TRUE(response.topics.empty());
  }
  ASSERT_OK_AND_ASSIGN(int16_t cancelled, Reassign(*admin, std::nullopt));
  EXPECT_EQ(cancelled, kNoReassignment);
}

}  // namespace
}  // namespace karst::testing

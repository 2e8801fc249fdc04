// A test driver for GroupCoordinator: owns the coordinator and a fake time, keeps every
// record it emits (the __consumer_offsets log) and every delayed response by RequestId, and
// offers short-hands for joining, syncing and committing. Test-only; single-threaded.
#ifndef KARST_BROKER_GROUP_TESTING_COORDINATOR_HARNESS_H_
#define KARST_BROKER_GROUP_TESTING_COORDINATOR_HARNESS_H_

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "broker/group/group_coordinator.h"
#include "gtest/gtest.h"
#include "kafka/protocol/consumer_protocol.h"

namespace karst::broker::group::testing {

inline int16_t Code(kp::ErrorCode e) { return static_cast<int16_t>(e); }

// A consumer protocol subscription to `topics`, as a JoinGroup protocol's metadata.
inline std::string Subscription(std::vector<std::string> topics) {
  return kafka::protocol::EncodeSubscription({.topics = std::move(topics)}, 1);
}

struct JoinArgs {
  std::string member_id;
  std::optional<std::string> instance_id;
  std::vector<JoinProtocol> protocols = {{"range", Subscription({"t"})}};
  std::string protocol_type = "consumer";
  int32_t session_timeout_ms = 10000;
  int32_t rebalance_timeout_ms = 30000;
  int16_t version = 5;
  std::string client_id = "client";
};

class Harness {
 public:
  static GroupCoordinator::Options DefaultOptions() {
    GroupCoordinator::Options o;
    o.offsets_topic_num_partitions = 1;
    return o;
  }

  explicit Harness(GroupCoordinator::Options options = DefaultOptions())
      : options_(WithUuids(std::move(options))), coordinator_(options_) {
    for (int32_t p = 0; p < options_.offsets_topic_num_partitions; ++p) {
      EXPECT_TRUE(coordinator_.Load(PartitionIndex(p), {}, now).ok());
    }
  }

  GroupCoordinator& c() { return coordinator_; }
  const GroupCoordinator::Options& options() const { return options_; }

  // Records what the coordinator asked the driver to do.
  void Take(Effects fx) {
    for (auto& r : fx.records) log.push_back(std::move(r));
    for (auto& [id, r] : fx.join_responses) {
      EXPECT_FALSE(joins.contains(id.value())) << "join " << id.value() << " answered twice";
      joins[id.value()] = std::move(r);
    }
    for (auto& [id, r] : fx.sync_responses) {
      EXPECT_FALSE(syncs.contains(id.value())) << "sync " << id.value() << " answered twice";
      syncs[id.value()] = std::move(r);
    }
    for (auto& r : fx.rebalances) rebalances.push_back(std::move(r));
  }

  // Moves time forward by `d`, ticking at every deadline on the way, as a driver's timer does.
  void Advance(absl::Duration d) {
    const absl::Time target = now + d;
    for (absl::Time next = coordinator_.NextDeadline(); next <= target;
         next = coordinator_.NextDeadline()) {
      now = std::max(now, next);
      Take(coordinator_.Tick(now));
    }
    now = target;
    Take(coordinator_.Tick(now));
  }

  RequestMeta Meta(int16_t version, std::string client_id = "client") {
    return {.request_id = RequestId(++next_request_),
            .api_version = version,
            .client_id = std::move(client_id),
            .client_host = "/127.0.0.1"};
  }

  // Sends a JoinGroup; returns its id (the response, if any yet, is in joins).
  uint64_t Join(const std::string& group, const JoinArgs& a) {
    kp::JoinGroupRequest r;
    r.group_id = group;
    r.member_id = a.member_id;
    r.group_instance_id = a.instance_id;
    r.protocol_type = a.protocol_type;
    r.session_timeout_ms = a.session_timeout_ms;
    r.rebalance_timeout_ms = a.rebalance_timeout_ms;
    for (const JoinProtocol& p : a.protocols) {
      auto& out = r.protocols.emplace_back();
      out.name = p.name;
      out.metadata = p.metadata;
    }
    RequestMeta meta = Meta(a.version, a.client_id);
    Take(coordinator_.JoinGroup(meta, r, now));
    return meta.request_id.value();
  }

  // A dynamic member's two-step join (KIP-394); returns the second request's id.
  uint64_t JoinNew(const std::string& group, JoinArgs a = {}) {
    const uint64_t first = Join(group, a);
    EXPECT_TRUE(joins.contains(first));
    EXPECT_EQ(joins[first].error_code, Code(kp::ErrorCode::kMemberIdRequired));
    a.member_id = joins[first].member_id;
    return Join(group, a);
  }

  uint64_t Sync(const std::string& group, const std::string& member_id, int32_t generation,
                std::vector<std::pair<std::string, std::string>> assignments = {},
                std::optional<std::string> instance_id = std::nullopt) {
    kp::SyncGroupRequest r;
    r.group_id = group;
    r.member_id = member_id;
    r.generation_id = generation;
    r.group_instance_id = std::move(instance_id);
    for (auto& [member, assignment] : assignments) {
      auto& a = r.assignments.emplace_back();
      a.member_id = member;
      a.assignment = assignment;
    }
    RequestMeta meta = Meta(5);
    Take(coordinator_.SyncGroup(meta, r, now));
    return meta.request_id.value();
  }

  int16_t Heartbeat(const std::string& group, const std::string& member_id, int32_t generation,
                    std::optional<std::string> instance_id = std::nullopt) {
    kp::HeartbeatRequest r;
    r.group_id = group;
    r.member_id = member_id;
    r.generation_id = generation;
    r.group_instance_id = std::move(instance_id);
    return coordinator_.Heartbeat(Meta(4), r, now).error_code;
  }

  kp::OffsetCommitResponse Commit(const std::string& group, const std::string& member_id,
                                  int32_t generation, const std::string& topic, int32_t partition,
                                  int64_t offset, std::optional<std::string> instance_id = {}) {
    kp::OffsetCommitRequest r;
    r.group_id = group;
    r.member_id = member_id;
    r.generation_id_or_member_epoch = generation;
    r.group_instance_id = std::move(instance_id);
    auto& t = r.topics.emplace_back();
    t.name = topic;
    auto& p = t.partitions.emplace_back();
    p.partition_index = partition;
    p.committed_offset = offset;
    p.committed_leader_epoch = 3;
    p.committed_metadata = "m";
    Answer<kp::OffsetCommitResponse> a = coordinator_.OffsetCommit(Meta(8), r, now);
    Take(std::move(a.effects));
    return a.response;
  }

  static int16_t CommitError(const kp::OffsetCommitResponse& r) {
    return r.topics.at(0).partitions.at(0).error_code;
  }

  // Joins `n` dynamic members (within the initial delay) and syncs them into a Stable group;
  // returns their ids, leader first.
  std::vector<std::string> StableGroup(const std::string& group, int n, JoinArgs args = {}) {
    std::vector<uint64_t> requests;
    for (int i = 0; i < n; ++i) {
      args.client_id = absl::StrCat("c", i);
      requests.push_back(JoinNew(group, args));
    }
    for (int i = 0; i < 20 && !joins.contains(requests.back()); ++i) Advance(absl::Seconds(1));
    std::vector<std::string> ids;
    for (uint64_t r : requests) {
      EXPECT_TRUE(joins.contains(r)) << "join " << r << " not answered";
      EXPECT_EQ(joins[r].error_code, 0);
      ids.push_back(joins[r].member_id);
    }
    const int32_t generation = joins[requests.back()].generation_id;
    const std::string leader = joins[requests.back()].leader;
    EXPECT_EQ(leader, ids.front());
    std::vector<std::pair<std::string, std::string>> assignment;
    for (const std::string& id : ids) assignment.emplace_back(id, "assignment-" + id);
    for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
      const uint64_t sync =
          Sync(group, *it, generation, *it == leader ? assignment : decltype(assignment){});
      last_sync = sync;
    }
    EXPECT_TRUE(coordinator_.FindGroup(group)->Is(GroupState::kStable));
    return ids;
  }

  // Sends a JoinGroup with the member's current id and metadata (a rejoin).
  uint64_t Rejoin(const std::string& group, const std::string& member_id, JoinArgs args = {}) {
    args.member_id = member_id;
    return Join(group, args);
  }

  int32_t Generation(const std::string& group) {
    return coordinator_.FindGroup(group)->generation_id;
  }

  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  std::vector<OffsetsRecord> log;
  std::map<uint64_t, kp::JoinGroupResponse> joins;
  std::vector<CompletedRebalance> rebalances;  // In the order they completed.
  std::map<uint64_t, kp::SyncGroupResponse> syncs;
  uint64_t last_sync = 0;

 private:
  GroupCoordinator::Options WithUuids(GroupCoordinator::Options o) {
    o.new_uuid = [this] { return absl::StrCat("uuid", ++next_uuid_); };
    return o;
  }

  int next_uuid_ = 0;
  uint64_t next_request_ = 0;
  GroupCoordinator::Options options_;
  GroupCoordinator coordinator_;
};

}  // namespace karst::broker::group::testing

#endif  // KARST_BROKER_GROUP_TESTING_COORDINATOR_HARNESS_H_

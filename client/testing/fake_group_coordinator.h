// FakeGroupCoordinator: one consumer group's coordinator for client tests, served by the
// FakeBrokers it is attached to (FakeBroker::SetGroupCoordinator). It answers
// FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit and OffsetFetch
// for a group whose only real member is the consumer under test: other members are scripted
// (they appear in the leader's JoinGroup member list, or one of them is the leader and the
// test scripts our assignment). Tests inject errors and read the decoded requests.
// Thread-safe.
//
// Semantics, as Kafka's classic group coordinator where it matters to a client:
// - brokers other than the coordinator node answer group requests with NOT_COORDINATOR;
// - JoinGroup v4+ from a dynamic member without a member id gets MEMBER_ID_REQUIRED and a
//   new id (KIP-394); every successful JoinGroup starts a new generation; the protocol is
//   the first of the member's protocols that SetProtocols allows (all by default);
// - SyncGroup, Heartbeat and OffsetCommit with a generation (>= 0) check the generation and
//   member id: ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID; OffsetCommit with generation -1 (a
//   manually assigned consumer) is always accepted.
#ifndef KARST_CLIENT_TESTING_FAKE_GROUP_COORDINATOR_H_
#define KARST_CLIENT_TESTING_FAKE_GROUP_COORDINATOR_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kafka/protocol/codec.h"
#include "kafka/protocol/consumer_protocol.h"
#include "kafka/protocol/messages/find_coordinator.h"
#include "kafka/protocol/messages/heartbeat.h"
#include "kafka/protocol/messages/join_group.h"
#include "kafka/protocol/messages/leave_group.h"
#include "kafka/protocol/messages/offset_commit.h"
#include "kafka/protocol/messages/offset_fetch.h"
#include "kafka/protocol/messages/sync_group.h"

namespace karst::client::testing {

class FakeGroupCoordinator {
 public:
  using TopicPartition = ::karst::kafka::protocol::TopicPartition;

  // FindCoordinator names node `node_id` at 127.0.0.1:`port`.
  void SetCoordinator(int32_t node_id, int port);
  // A scripted member listed to the leader in JoinGroup (its subscription is encoded for
  // every protocol).
  void AddOtherMember(const std::string& member_id,
                      const ::karst::kafka::protocol::Subscription& subscription);
  // Another member leads: our member's JoinGroup lists no members and SyncGroup answers
  // `assignment`. nullopt: our member leads again.
  void SetFollower(std::optional<::karst::kafka::protocol::Assignment> assignment);
  // The protocols the group accepts (as if other members offered only these); empty: any.
  void SetProtocols(std::set<std::string> names);
  // The next `count` responses to `api_key` (any group API above) carry `error_code`
  // (OffsetCommit and OffsetFetch: on every partition, and OffsetFetch's top level too).
  void InjectError(int16_t api_key, int16_t error_code, int count = 1);

  void SetCommitted(const TopicPartition& tp, int64_t offset);
  std::optional<int64_t> Committed(const TopicPartition& tp) const;
  int32_t generation_id() const;
  std::string member_id() const;  // Of the last successful JoinGroup.

  // The requests received, decoded, in arrival order.
  std::vector<::karst::kafka::protocol::FindCoordinatorRequest> FindCoordinatorRequests() const;
  std::vector<::karst::kafka::protocol::JoinGroupRequest> JoinGroupRequests() const;
  std::vector<::karst::kafka::protocol::SyncGroupRequest> SyncGroupRequests() const;
  std::vector<::karst::kafka::protocol::HeartbeatRequest> HeartbeatRequests() const;
  std::vector<::karst::kafka::protocol::LeaveGroupRequest> LeaveGroupRequests() const;
  std::vector<::karst::kafka::protocol::OffsetCommitRequest> OffsetCommitRequests() const;
  // The assignments the leader sent in the last SyncGroup, decoded, by member id.
  std::map<std::string, ::karst::kafka::protocol::Assignment> LeaderAssignments() const;

  // The response frame to a group API request served by broker `node_id`; nullopt for other
  // APIs or a body that does not decode.
  std::optional<std::string> Handle(int32_t node_id,
                                    const ::karst::kafka::protocol::Request& request);

 private:
  struct Other {
    std::string member_id;
    ::karst::kafka::protocol::Subscription subscription;
  };

  // The injected error for `api_key`, consumed; 0 when none.
  int16_t TakeError(int16_t api_key);
  int16_t CheckMember(int32_t generation_id, const std::string& member_id) const;
  ::karst::kafka::protocol::JoinGroupResponse Join(
      const ::karst::kafka::protocol::JoinGroupRequest& r, int16_t version);
  ::karst::kafka::protocol::SyncGroupResponse Sync(
      const ::karst::kafka::protocol::SyncGroupRequest& r);
  ::karst::kafka::protocol::OffsetCommitResponse Commit(
      const ::karst::kafka::protocol::OffsetCommitRequest& r);
  ::karst::kafka::protocol::OffsetFetchResponse Fetch(
      const ::karst::kafka::protocol::OffsetFetchRequest& r);

  mutable std::mutex mu_;  // Guards everything below.
  int32_t coordinator_node_ = -1;
  int coordinator_port_ = 0;
  std::vector<Other> others_;
  std::optional<::karst::kafka::protocol::Assignment> follower_assignment_;
  std::set<std::string> protocols_;
  std::map<int16_t, std::pair<int16_t, int>> errors_;  // api key -> (code, remaining)
  std::map<TopicPartition, int64_t> committed_;
  int32_t generation_id_ = 0;
  std::string member_id_;
  int next_member_ = 1;
  std::map<std::string, ::karst::kafka::protocol::Assignment> leader_assignments_;
  std::vector<::karst::kafka::protocol::FindCoordinatorRequest> find_coordinator_;
  std::vector<::karst::kafka::protocol::JoinGroupRequest> join_group_;
  std::vector<::karst::kafka::protocol::SyncGroupRequest> sync_group_;
  std::vector<::karst::kafka::protocol::HeartbeatRequest> heartbeat_;
  std::vector<::karst::kafka::protocol::LeaveGroupRequest> leave_group_;
  std::vector<::karst::kafka::protocol::OffsetCommitRequest> offset_commit_;
};

}  // namespace karst::client::testing

#endif  // KARST_CLIENT_TESTING_FAKE_GROUP_COORDINATOR_H_

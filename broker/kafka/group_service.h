// GroupService: drives the pure group coordinator (broker/group) for the __consumer_offsets
// partitions this broker leads, as Kafka's GroupCoordinator + GroupMetadataManager do around
// their state:
//   - leadership: on each metadata image, partitions newly led here are loaded from their log
//     (a loader thread replays every record up to the log end; meanwhile their groups answer
//     COORDINATOR_LOAD_IN_PROGRESS) and partitions led elsewhere are unloaded;
//   - writes: the records a call returns are appended to their partition as the leader, in the
//     order the calls were made, and its responses go out once the records are replicated
//     (acks=all, at most offsets.commit.timeout.ms). A local append failure unloads the
//     partition (the in-memory state would no longer match the log) and answers
//     NOT_COORDINATOR; a replication failure or timeout maps as Kafka maps it
//     (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, REQUEST_TIMED_OUT);
//   - time: a timer thread calls Tick at the core's next deadline (sessions, rebalance and
//     join delays, offset expiry).
// Responses may come from any thread; each reply is called exactly once.
//
// Thread-safety: every method may be called from any thread; one mutex serializes the core.
#ifndef KARST_BROKER_KAFKA_GROUP_SERVICE_H_
#define KARST_BROKER_KAFKA_GROUP_SERVICE_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "broker/group/group_coordinator.h"
#include "broker/kafka/group_metrics.h"
#include "broker/replication/partition_table.h"
#include "common/clock.h"
#include "controller/metadata/metadata_image.h"
#include "kafka/protocol/messages/all.h"

namespace karst::broker::kafka {

namespace kp = ::karst::kafka::protocol;

inline constexpr char kOffsetsTopic[] = "__consumer_offsets";

struct GroupServiceOptions {
  NodeId self;
  group::GroupCoordinator::Options coordinator;      // new_uuid may be left empty (random UUIDs).
  absl::Duration commit_timeout = absl::Seconds(5);  // offsets.commit.timeout.ms
  Clock* clock = nullptr;
  replication::PartitionTable* partitions = nullptr;
  // min.insync.replicas for __consumer_offsets appends (topic config, else broker default).
  std::function<int32_t()> min_insync_replicas;
  int32_t max_message_bytes = 1048588;
  GroupMetrics* metrics = nullptr;  // May be null; refreshed every metrics_interval.
  absl::Duration metrics_interval = absl::Seconds(5);
};

class GroupService {
 public:
  template <typename Response>
  using Reply = std::function<void(const Response&)>;

  explicit GroupService(GroupServiceOptions options);
  ~GroupService() { Stop(); }

  void Start();
  // Stops the threads; calls still waiting are answered NOT_COORDINATOR.
  void Stop();

  // Loads the offsets partitions `image` makes this broker lead and unloads the others. Call
  // after the PartitionTable has applied the same image.
  void OnImage(const controller::MetadataImage& image);

  void JoinGroup(const group::RequestMeta& meta, const kp::JoinGroupRequest& request,
                 Reply<kp::JoinGroupResponse> reply);
  void SyncGroup(const group::RequestMeta& meta, const kp::SyncGroupRequest& request,
                 Reply<kp::SyncGroupResponse> reply);
  kp::HeartbeatResponse Heartbeat(const group::RequestMeta& meta,
                                  const kp::HeartbeatRequest& request);
  void LeaveGroup(const group::RequestMeta& meta, const kp::LeaveGroupRequest& request,
                  Reply<kp::LeaveGroupResponse> reply);
  void OffsetCommit(const group::RequestMeta& meta, const kp::OffsetCommitRequest& request,
                    Reply<kp::OffsetCommitResponse> reply);
  kp::OffsetFetchResponse OffsetFetch(const group::RequestMeta& meta,
                                      const kp::OffsetFetchRequest& request);
  void OffsetDelete(const kp::OffsetDeleteRequest& request, Reply<kp::OffsetDeleteResponse> reply);
  kp::DescribeGroupsResponse DescribeGroups(const kp::DescribeGroupsRequest& request);
  kp::ListGroupsResponse ListGroups(const kp::ListGroupsRequest& request);
  void DeleteGroups(const kp::DeleteGroupsRequest& request, Reply<kp::DeleteGroupsResponse> reply);

  // For metrics: every group's committed offsets and state, of the partitions loaded here.
  std::vector<group::GroupSnapshot> Snapshot() const;
  // Offsets partitions loaded (active) here.
  std::vector<PartitionIndex> ActivePartitions() const;

 private:
  struct LoadTask {
    PartitionIndex partition;
    uint64_t generation = 0;
  };
  struct Led {
    LeaderEpoch epoch;
    uint64_t generation = 0;  // Bumped on every (re)load; a stale loader stops.
  };
  // Responses to deliver once a write is replicated, with how to turn them into errors.
  struct Delivery;

  // Appends fx.records (under mu_) and returns what to deliver; `own` is the call's own
  // response setter, given the error to put in it when the write failed (kNone: as is).
  std::shared_ptr<Delivery> WriteLocked(group::Effects fx, std::function<void(kp::ErrorCode)> own)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits for the delivery's appends to replicate, then answers (outside mu_).
  void Deliver(std::shared_ptr<Delivery> delivery);
  group::RequestId NextRequestId() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LoaderLoop();
  void Load(const LoadTask& task);
  void TimerLoop();
  void PublishMetrics();

  GroupServiceOptions options_;
  Clock& clock_;
  replication::PartitionTable& partitions_;

  mutable absl::Mutex mu_;
  group::GroupCoordinator core_ ABSL_GUARDED_BY(mu_);
  std::map<group::RequestId, Reply<kp::JoinGroupResponse>> joins_ ABSL_GUARDED_BY(mu_);
  std::map<group::RequestId, Reply<kp::SyncGroupResponse>> syncs_ ABSL_GUARDED_BY(mu_);
  uint64_t next_request_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<PartitionIndex, Led> led_ ABSL_GUARDED_BY(mu_);
  uint64_t next_generation_ ABSL_GUARDED_BY(mu_) = 1;
  std::deque<LoadTask> load_queue_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Bumped whenever the core's next deadline may have moved; the timer thread waits on it.
  uint64_t changes_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread loader_;
  std::thread timer_;
};

}  // namespace karst::broker::kafka

#endif  // KARST_BROKER_KAFKA_GROUP_SERVICE_H_

// QuorumController: the controller on top of a Raft group (raft::Node). It is the group's
// state machine: every controller, active or standby, replays committed record batches into
// its MetadataImage, published by swapping a shared pointer. On the active controller (the
// Raft leader) a request runs a Generate step against the current image, proposes the
// resulting records as one Raft entry, and answers once that entry is committed and applied.
// Write requests run one at a time, so each Generate sees everything committed before it.
// Snapshots are the image written out as records. Besides the image, every controller keeps
// a bounded window of the newest committed entries it applied, which brokers follow through
// FetchMetadata (a broker too far behind gets the image as a snapshot instead).
//
// Thread-safety: the request methods may be called from any thread; Apply/TakeSnapshot/
// Restore run on the Raft node's thread; image(), FetchMetadata and Shutdown from any thread.
#ifndef KARST_CONTROLLER_QUORUM_CONTROLLER_H_
#define KARST_CONTROLLER_QUORUM_CONTROLLER_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/random.h"
#include "controller/cluster_control.h"
#include "controller/config_control.h"
#include "controller/metadata/metadata_delta.h"
#include "controller/producer_id_control.h"
#include "controller/replication_control.h"
#include "proto/metadata.pb.h"
#include "raft/node/node.h"

namespace karst::controller {

struct QuorumControllerOptions {
  ReplicationOptions replication;
  absl::Duration session_timeout = absl::Seconds(9);
  absl::Duration commit_timeout = absl::Seconds(10);
  uint64_t seed = 1;  // For topic ids.
  // How many of the newest applied entries FetchMetadata serves from memory.
  size_t metadata_window = 10000;
  size_t max_fetch_entries = 1000;                    // Per FetchMetadata answer.
  absl::Duration max_fetch_wait = absl::Seconds(30);  // Caps a long poll's wait.
  // Called after each write request with how long it queued behind earlier writes and how
  // long it then took (generate, commit); may be null. Runs on the requesting thread.
  std::function<void(absl::Duration queued, absl::Duration processed)> on_write;
};

// One committed Raft entry of metadata records, at log index `offset`.
struct MetadataLogEntry {
  int64_t offset = -1;
  std::shared_ptr<const proto::MetadataRecordBatch> batch;
};

struct FetchMetadataResult {
  std::vector<MetadataLogEntry> entries;  // In order, all after the offset asked for.
  // Set instead of entries when the offset asked for is not covered: the whole image, which
  // replaces the caller's.
  std::shared_ptr<const MetadataImage> snapshot;
};

class QuorumController final : public raft::StateMachine {
 public:
  explicit QuorumController(QuorumControllerOptions options);

  // The Raft node this controller proposes through. REQUIRES: called once, before requests.
  void Attach(raft::Node* node) { node_ = node; }

  // raft::StateMachine.
  void Apply(LogIndex index, absl::string_view data) override;
  std::string TakeSnapshot() override;
  void Restore(const raft::SnapshotMetadata& metadata, absl::string_view data) override;

  std::shared_ptr<const MetadataImage> image() const;
  bool IsActive() const { return node_ != nullptr && node_->IsLeader(); }
  // The active controller's node id as this controller knows it (kNoNode if unknown).
  NodeId ActiveControllerId() const { return node_ != nullptr ? node_->leader() : raft::kNoNode; }

  // Requests. kUnavailable (naming the active controller's node id when known) on a standby;
  // kDeadlineExceeded if the records did not commit in time; kAborted if leadership was lost
  // before they did. Kafka errors come back in the response.
  absl::StatusOr<CreateTopicResponse> CreateTopic(const CreateTopicRequest& request);
  absl::StatusOr<ApiError> DeleteTopic(const std::string& name);
  absl::StatusOr<ApiError> CreatePartitions(const std::string& name, int32_t count);
  absl::StatusOr<ApiError> AlterPartition(const AlterPartitionRequest& request);
  absl::StatusOr<ApiError> AlterTopicConfigs(const std::string& topic,
                                             const std::vector<AlterConfigOp>& ops);
  // `broker`: a broker id, or "" for the cluster-wide default.
  absl::StatusOr<ApiError> AlterBrokerConfigs(const std::string& broker,
                                              const std::vector<AlterConfigOp>& ops);
  // Preferred-leader election for `partitions` (empty: all), one result per partition.
  absl::StatusOr<std::vector<ReplicationControl::ElectionResult>> ElectLeaders(
      const std::vector<std::pair<std::string, int32_t>>& partitions);
  // Partition reassignment (KIP-455), one result per request entry.
  absl::StatusOr<std::vector<ReassignmentResult>> AlterPartitionReassignments(
      const std::vector<ReassignmentRequest>& requests);
  // A block of producer ids for a registered broker (KIP-730).
  absl::StatusOr<ProducerIdBlock> AllocateProducerIds(NodeId broker, int64_t broker_epoch);
  // The Raft quorum as the active controller sees it (voters' match indexes and contact
  // times). Not a write: answers at once, from the node's latest status.
  absl::StatusOr<raft::QuorumStatus> DescribeQuorum() const;
  // The broker's epoch in the response is the offset its registration committed at.
  absl::StatusOr<RegisterBrokerResponse> RegisterBroker(const RegisterBrokerRequest& request);
  absl::StatusOr<BrokerHeartbeatResponse> BrokerHeartbeat(const BrokerHeartbeatRequest& request);
  // Fences brokers whose sessions expired (call periodically on the active controller).
  absl::Status ExpireSessions();

  // The committed entries after `offset` (the last one the caller folded; -1: none), at most
  // max_fetch_entries. If `offset` is the image's offset, waits up to `max_wait` (capped at
  // max_fetch_wait) for the next entry and returns empty on timeout or Shutdown(). A snapshot
  // when `offset` is -1, older than the window, or newer than this controller's image.
  // Served the same on standbys (which may lag).
  FetchMetadataResult FetchMetadata(int64_t offset, absl::Duration max_wait);
  // Wakes every waiting FetchMetadata and makes later ones return at once. Call before
  // stopping the gRPC server so it need not wait out long polls.
  void Shutdown();

 private:
  // Runs `generate` on the current image (one write at a time) and commits its records.
  // `committed`, if set, sees the response and the entry's index once it committed.
  template <typename Response>
  absl::StatusOr<Response> Write(
      const std::function<ControllerResult<Response>(const MetadataImage&)>& generate,
      const std::function<void(Response&, LogIndex)>& committed = nullptr);
  absl::Status CheckActive() const;

  QuorumControllerOptions options_;
  ReplicationControl replication_;
  ClusterControl cluster_;  // Guarded by write_mu_ (its sessions are controller-local).
  raft::Node* node_ = nullptr;
  bool was_active_ = false;  // Guarded by write_mu_: sessions restart on becoming active.
  SeededRandom random_;      // Guarded by write_mu_.
  std::mutex write_mu_;      // One write at a time.
  mutable std::mutex image_mu_;
  std::condition_variable image_cv_;            // Signalled on a new image or Shutdown().
  std::shared_ptr<const MetadataImage> image_;  // Guarded by image_mu_.
  // The newest applied entries (guarded by image_mu_): every entry after window_base_ up to
  // the image's offset is in window_.
  std::deque<MetadataLogEntry> window_;
  int64_t window_base_ = -1;
  bool shutdown_ = false;  // Guarded by image_mu_.
};

}  // namespace karst::controller

#endif  // KARST_CONTROLLER_QUORUM_CONTROLLER_H_

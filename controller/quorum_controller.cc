#include "controller/quorum_controller.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/clock.h"

namespace karst::controller {
namespace {

namespace proto = ::karst::metadata::proto;

}  // namespace

QuorumController::QuorumController(QuorumControllerOptions options)
    : options_(options),
      replication_(options.replication),
      cluster_(options.session_timeout, replication_),
      random_(options.seed),
      image_(std::make_shared<const MetadataImage>()) {}

std::shared_ptr<const MetadataImage> QuorumController::image() const {
  std::lock_guard<std::mutex> lock(image_mu_);
  return image_;
}

void QuorumController::Apply(LogIndex index, absl::string_view data) {
  auto parsed = std::make_shared<proto::MetadataRecordBatch>();
  proto::MetadataRecordBatch& batch = *parsed;
  if (!batch.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    // A committed entry that is not a record batch means a corrupt log: stop here rather than
    // fold something unknown (STYLE: fail-stop on a broken invariant of the Raft log).
    std::fprintf(stderr, "controller: committed entry %ld is not a metadata record batch\n",
                 static_cast<long>(index.value()));
    std::abort();
  }
  MetadataDelta delta(image());
  for (const proto::MetadataRecord& record : batch.records()) {
    if (absl::Status s = delta.Replay(record, index.value()); !s.ok()) {
      std::fprintf(stderr, "controller: cannot replay committed record: %s\n",
                   std::string(s.message()).c_str());
      std::abort();
    }
  }
  std::shared_ptr<const MetadataImage> next = delta.Apply();
  {
    std::lock_guard<std::mutex> lock(image_mu_);
    image_ = std::move(next);
    window_.push_back({index.value(), std::move(parsed)});
    while (window_.size() > std::max<size_t>(options_.metadata_window, 1)) {
      window_base_ = window_.front().offset;
      window_.pop_front();
    }
  }
  image_cv_.notify_all();
}

std::string QuorumController::TakeSnapshot() {
  proto::MetadataRecordBatch batch;
  for (proto::MetadataRecord& r : image()->ToRecords()) *batch.add_records() = std::move(r);
  return batch.SerializeAsString();
}

void QuorumController::Restore(const raft::SnapshotMetadata& metadata, absl::string_view data) {
  proto::MetadataRecordBatch batch;
  if (!batch.ParseFromArray(data.data(), static_cast<int>(data.size()))) std::abort();
  MetadataDelta delta(nullptr);
  for (const proto::MetadataRecord& record : batch.records()) {
    if (!delta.Replay(record, metadata.index.value()).ok()) std::abort();
  }
  std::shared_ptr<const MetadataImage> next = delta.Apply();
  {
    std::lock_guard<std::mutex> lock(image_mu_);
    image_ = std::move(next);
    // Entries before the snapshot are gone: fetchers behind it get the snapshot.
    window_.clear();
    window_base_ = metadata.index.value();
  }
  image_cv_.notify_all();
}

FetchMetadataResult QuorumController::FetchMetadata(int64_t offset, absl::Duration max_wait) {
  FetchMetadataResult result;
  std::unique_lock<std::mutex> lock(image_mu_);
  if (offset == image_->offset) {
    // A long poll: the caller is current (KIP-500 brokers fetch the metadata log the same way).
    const absl::Duration wait = std::clamp(max_wait, absl::ZeroDuration(), options_.max_fetch_wait);
    image_cv_.wait_for(lock, absl::ToChronoMilliseconds(wait),
                       [&] { return shutdown_ || image_->offset != offset; });
    if (image_->offset == offset) return result;
  }
  if (offset < 0 || offset < window_base_ || offset > image_->offset) {
    result.snapshot = image_;
    return result;
  }
  // The window is sorted by offset; skip what the caller has.
  auto it = std::upper_bound(window_.begin(), window_.end(), offset,
                             [](int64_t o, const MetadataLogEntry& e) { return o < e.offset; });
  for (; it != window_.end() && result.entries.size() < options_.max_fetch_entries; ++it) {
    result.entries.push_back(*it);
  }
  return result;
}

void QuorumController::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(image_mu_);
    shutdown_ = true;
  }
  image_cv_.notify_all();
}

absl::Status QuorumController::CheckActive() const {
  if (node_ == nullptr) return absl::FailedPreconditionError("controller not attached");
  if (!node_->IsLeader()) {
    const NodeId leader = node_->leader();
    return absl::UnavailableError(
        leader == raft::kNoNode
            ? std::string("not the active controller; no active controller is known")
            : absl::StrCat("not the active controller; the active controller is node ",
                           leader.value()));
  }
  return absl::OkStatus();
}

absl::StatusOr<raft::QuorumStatus> QuorumController::DescribeQuorum() const {
  if (absl::Status active = CheckActive(); !active.ok()) return active;
  raft::QuorumStatus status = node_->DescribeQuorum();
  // The status is from the node thread's last round; leadership may have moved since.
  if (status.leader != status.self) {
    return absl::UnavailableError(
        absl::StrCat("node ", status.self.value(), " is no longer the active controller"));
  }
  return status;
}

template <typename Response>
absl::StatusOr<Response> QuorumController::Write(
    const std::function<ControllerResult<Response>(const MetadataImage&)>& generate,
    const std::function<void(Response&, LogIndex)>& committed) {
  const absl::Duration enqueued = SystemClock::Get().Monotonic();
  std::lock_guard<std::mutex> lock(write_mu_);
  const absl::Duration started = SystemClock::Get().Monotonic();
  // Kafka's EventQueueTimeMs and EventQueueProcessingTimeMs: waiting for the writes ahead,
  // then generating and committing this one.
  struct Observe {
    const QuorumControllerOptions& options;
    absl::Duration enqueued, started;
    ~Observe() {
      if (options.on_write) {
        options.on_write(started - enqueued, SystemClock::Get().Monotonic() - started);
      }
    }
  } observe{options_, enqueued, started};
  if (absl::Status s = CheckActive(); !s.ok()) {
    was_active_ = false;
    return s;
  }
  if (!was_active_) {
    // A newly active controller gives every broker a full session.
    cluster_.ResetSessions(*image(), SystemClock::Get().Monotonic());
    was_active_ = true;
  }
  // Everything proposed before is applied (one write at a time), so the image is current.
  ControllerResult<Response> result = generate(*image());
  if (result.records.empty()) return result.response;  // An error, or nothing to change.
  proto::MetadataRecordBatch batch;
  for (auto& r : result.records) *batch.add_records() = std::move(r);
  auto future = node_->Propose(batch.SerializeAsString());
  if (future.wait_for(absl::ToChronoMilliseconds(options_.commit_timeout)) !=
      std::future_status::ready) {
    return absl::DeadlineExceededError("metadata records did not commit in time");
  }
  absl::StatusOr<LogIndex> index = future.get();
  if (!index.ok()) return index.status();
  if (committed) committed(result.response, *index);
  return result.response;
}

absl::StatusOr<CreateTopicResponse> QuorumController::CreateTopic(
    const CreateTopicRequest& request) {
  return Write<CreateTopicResponse>([&](const MetadataImage& image) {
    std::string id(16, '\0');
    for (char& c : id) c = static_cast<char>(random_.Next());
    return replication_.GenerateCreateTopic(image, request, id);
  });
}

absl::StatusOr<ApiError> QuorumController::DeleteTopic(const std::string& name) {
  return Write<ApiError>(
      [&](const MetadataImage& image) { return replication_.GenerateDeleteTopic(image, name); });
}

absl::StatusOr<ApiError> QuorumController::CreatePartitions(const std::string& name,
                                                            int32_t count) {
  return Write<ApiError>([&](const MetadataImage& image) {
    return replication_.GenerateCreatePartitions(image, name, count);
  });
}

absl::StatusOr<ApiError> QuorumController::AlterPartition(const AlterPartitionRequest& request) {
  return Write<ApiError>([&](const MetadataImage& image) {
    return replication_.GenerateAlterPartition(image, request);
  });
}

absl::StatusOr<std::vector<ReplicationControl::ElectionResult>> QuorumController::ElectLeaders(
    const std::vector<std::pair<std::string, int32_t>>& partitions) {
  return Write<std::vector<ReplicationControl::ElectionResult>>([&](const MetadataImage& image) {
    return replication_.GeneratePreferredLeaderElection(image, partitions);
  });
}

absl::StatusOr<std::vector<ReassignmentResult>> QuorumController::AlterPartitionReassignments(
    const std::vector<ReassignmentRequest>& requests) {
  return Write<std::vector<ReassignmentResult>>([&](const MetadataImage& image) {
    return replication_.GenerateAlterPartitionReassignments(image, requests);
  });
}

absl::StatusOr<ProducerIdBlock> QuorumController::AllocateProducerIds(NodeId broker,
                                                                      int64_t broker_epoch) {
  return Write<ProducerIdBlock>([&](const MetadataImage& image) {
    return GenerateAllocateProducerIds(image, broker, broker_epoch);
  });
}

absl::StatusOr<ApiError> QuorumController::AlterTopicConfigs(
    const std::string& topic, const std::vector<AlterConfigOp>& ops) {
  return Write<ApiError>([&](const MetadataImage& image) {
    return GenerateIncrementalAlterTopicConfigs(image, topic, ops);
  });
}

absl::StatusOr<ApiError> QuorumController::AlterBrokerConfigs(
    const std::string& broker, const std::vector<AlterConfigOp>& ops) {
  return Write<ApiError>([&](const MetadataImage& image) {
    return GenerateIncrementalAlterBrokerConfigs(image, broker, ops);
  });
}

absl::StatusOr<RegisterBrokerResponse> QuorumController::RegisterBroker(
    const RegisterBrokerRequest& request) {
  return Write<RegisterBrokerResponse>(
      [&](const MetadataImage& image) {
        return cluster_.GenerateRegister(image, request, /*next_offset=*/-1,
                                         SystemClock::Get().Monotonic());
      },
      [](RegisterBrokerResponse& response, LogIndex index) {
        response.broker_epoch = index.value();
      });
}

absl::StatusOr<BrokerHeartbeatResponse> QuorumController::BrokerHeartbeat(
    const BrokerHeartbeatRequest& request) {
  return Write<BrokerHeartbeatResponse>([&](const MetadataImage& image) {
    return cluster_.GenerateHeartbeat(image, request, SystemClock::Get().Monotonic());
  });
}

absl::Status QuorumController::ExpireSessions() {
  absl::StatusOr<ApiError> r = Write<ApiError>([&](const MetadataImage& image) {
    ControllerResult<ApiError> result;
    result.records = cluster_.GenerateSessionExpiries(image, SystemClock::Get().Monotonic());
    return result;
  });
  return r.ok() ? absl::OkStatus() : r.status();
}

}  // namespace karst::controller

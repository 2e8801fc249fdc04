#include "controller/quorum_controller.h"

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
  proto::MetadataRecordBatch batch;
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
  std::lock_guard<std::mutex> lock(image_mu_);
  image_ = std::move(next);
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
  std::lock_guard<std::mutex> lock(image_mu_);
  image_ = std::move(next);
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

template <typename Response>
absl::StatusOr<Response> QuorumController::Write(
    const std::function<ControllerResult<Response>(const MetadataImage&)>& generate,
    const std::function<void(Response&, LogIndex)>& committed) {
  std::lock_guard<std::mutex> lock(write_mu_);
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

absl::StatusOr<ApiError> QuorumController::AlterTopicConfigs(
    const std::string& topic, const std::vector<AlterConfigOp>& ops) {
  return Write<ApiError>([&](const MetadataImage& image) {
    return GenerateIncrementalAlterTopicConfigs(image, topic, ops);
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

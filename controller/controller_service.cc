#include "controller/controller_service.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/cluster_id_header.h"

namespace karst::controller {
namespace {

namespace pb = ::karst::controller_rpc;

constexpr int32_t kRequestTimedOut = 7;
constexpr int32_t kNotController = 41;
constexpr int32_t kInconsistentClusterId = 104;

// Fills `error` and `info` from a controller call's status or Kafka error.
template <typename Response>
void Fill(const QuorumController& controller, const absl::Status& status, const ApiError& api,
          Response* response) {
  response->mutable_controller()->set_active_controller_id(controller.ActiveControllerId().value());
  pb::ApiError* error = response->mutable_error();
  if (!status.ok()) {
    error->set_code(absl::IsDeadlineExceeded(status) ? kRequestTimedOut : kNotController);
    error->set_message(std::string(status.message()));
    return;
  }
  error->set_code(static_cast<int32_t>(api.code));
  error->set_message(api.message);
}

// The request's ops, or nullopt with INVALID_REQUEST in `response` for an unknown operation.
std::optional<std::vector<AlterConfigOp>> ToAlterConfigOps(
    const google::protobuf::RepeatedPtrField<pb::AlterConfigOp>& request_ops,
    pb::ErrorResponse* response) {
  std::vector<AlterConfigOp> ops;
  for (const pb::AlterConfigOp& op : request_ops) {
    if (op.op() < 0 || op.op() > 3) {
      response->mutable_error()->set_code(static_cast<int32_t>(ErrorCode::kInvalidRequest));
      response->mutable_error()->set_message("unknown config operation");
      return std::nullopt;
    }
    ops.push_back({op.name(), static_cast<AlterOp>(op.op()), op.value()});
  }
  return ops;
}

// Kafka's ReplicaState from Raft's view: -1 for anything unknown.
void FillReplica(const raft::ReplicaStatus& r, pb::QuorumReplica* out) {
  out->set_replica_id(r.id.value());
  out->set_log_end_offset(r.match.has_value() ? r.match->value() : -1);
  out->set_last_fetch_timestamp_ms(r.last_fetch.has_value() ? absl::ToUnixMillis(*r.last_fetch)
                                                            : -1);
  out->set_last_caught_up_timestamp_ms(
      r.last_caught_up.has_value() ? absl::ToUnixMillis(*r.last_caught_up) : -1);
}

}  // namespace

template <typename Response>
bool ControllerService::RefuseOtherCluster(const grpc::ServerContext* context, const char* method,
                                           Response* response) {
  if (options_.cluster_id.empty()) return false;
  const auto& metadata = context->client_metadata();
  const auto it = metadata.find(kClusterIdHeader);
  if (it == metadata.end()) return false;
  const std::string theirs(it->second.data(), it->second.size());
  if (theirs == options_.cluster_id) return false;
  const std::string message =
      absl::StrCat(method, " from ", context->peer(), " refused: it is for cluster.id '", theirs,
                   "' but this controller is in cluster.id '", options_.cluster_id, "'");
  // Kafka's INCONSISTENT_CLUSTER_ID, as its controllers answer a broker of another cluster.
  Fill(controller_, absl::OkStatus(),
       ApiError{static_cast<ErrorCode>(kInconsistentClusterId), message}, response);
  if (options_.log) {
    bool first;
    {
      std::lock_guard<std::mutex> lock(mu_);
      first = refused_clusters_.insert(theirs).second;
    }
    if (first) options_.log(absl::StrCat(message, " (later refusals for it are not logged)"));
  }
  return true;
}

grpc::Status ControllerService::RegisterBroker(grpc::ServerContext* context,
                                               const pb::RegisterBrokerRequest* request,
                                               pb::RegisterBrokerResponse* response) {
  if (RefuseOtherCluster(context, "RegisterBroker", response)) return grpc::Status::OK;
  RegisterBrokerRequest r{
      NodeId(request->broker_id()), request->incarnation_id(), {}, request->rack()};
  for (const pb::Endpoint& e : request->endpoints()) {
    r.endpoints.push_back({e.name(), e.host(), e.port(), e.security_protocol()});
  }
  absl::StatusOr<RegisterBrokerResponse> result = controller_.RegisterBroker(r);
  Fill(controller_, result.status(), result.ok() ? result->error : ApiError{}, response);
  if (result.ok()) response->set_broker_epoch(result->broker_epoch);
  return grpc::Status::OK;
}

grpc::Status ControllerService::BrokerHeartbeat(grpc::ServerContext* context,
                                                const pb::BrokerHeartbeatRequest* request,
                                                pb::BrokerHeartbeatResponse* response) {
  if (RefuseOtherCluster(context, "BrokerHeartbeat", response)) return grpc::Status::OK;
  absl::StatusOr<BrokerHeartbeatResponse> result = controller_.BrokerHeartbeat(
      {NodeId(request->broker_id()), request->broker_epoch(), request->metadata_offset(),
       request->want_fence(), request->want_shutdown()});
  Fill(controller_, result.status(), result.ok() ? result->error : ApiError{}, response);
  if (result.ok()) {
    response->set_is_fenced(result->is_fenced);
    response->set_should_shutdown(result->should_shutdown);
  }
  return grpc::Status::OK;
}

grpc::Status ControllerService::CreateTopic(grpc::ServerContext* context,
                                            const pb::CreateTopicRequest* request,
                                            pb::CreateTopicResponse* response) {
  if (RefuseOtherCluster(context, "CreateTopic", response)) return grpc::Status::OK;
  CreateTopicRequest r{request->name(),
                       request->partitions(),
                       static_cast<int16_t>(request->replication_factor()),
                       {}};
  for (const pb::ConfigEntry& c : request->configs()) r.configs.emplace_back(c.name(), c.value());
  absl::StatusOr<CreateTopicResponse> result = controller_.CreateTopic(r);
  Fill(controller_, result.status(), result.ok() ? result->error : ApiError{}, response);
  if (result.ok() && result->error.ok()) {
    response->set_topic_id(result->topic_id);
    response->set_partitions(result->partitions);
    response->set_replication_factor(result->replication_factor);
  }
  return grpc::Status::OK;
}

grpc::Status ControllerService::DeleteTopic(grpc::ServerContext* context,
                                            const pb::DeleteTopicRequest* request,
                                            pb::ErrorResponse* response) {
  if (RefuseOtherCluster(context, "DeleteTopic", response)) return grpc::Status::OK;
  absl::StatusOr<ApiError> result = controller_.DeleteTopic(request->name());
  Fill(controller_, result.status(), result.ok() ? *result : ApiError{}, response);
  return grpc::Status::OK;
}

grpc::Status ControllerService::CreatePartitions(grpc::ServerContext* context,
                                                 const pb::CreatePartitionsRequest* request,
                                                 pb::ErrorResponse* response) {
  if (RefuseOtherCluster(context, "CreatePartitions", response)) return grpc::Status::OK;
  absl::StatusOr<ApiError> result = controller_.CreatePartitions(request->name(), request->count());
  Fill(controller_, result.status(), result.ok() ? *result : ApiError{}, response);
  return grpc::Status::OK;
}

grpc::Status ControllerService::AllocateProducerIds(grpc::ServerContext* context,
                                                    const pb::AllocateProducerIdsRequest* request,
                                                    pb::AllocateProducerIdsResponse* response) {
  if (RefuseOtherCluster(context, "AllocateProducerIds", response)) return grpc::Status::OK;
  absl::StatusOr<ProducerIdBlock> result =
      controller_.AllocateProducerIds(NodeId(request->broker_id()), request->broker_epoch());
  Fill(controller_, result.status(), result.ok() ? result->error : ApiError{}, response);
  if (result.ok() && result->error.ok()) {
    response->set_producer_id_start(result->first);
    response->set_producer_id_len(result->size);
  }
  return grpc::Status::OK;
}

grpc::Status ControllerService::ElectLeaders(grpc::ServerContext* context,
                                             const pb::ElectLeadersRequest* request,
                                             pb::ElectLeadersResponse* response) {
  if (RefuseOtherCluster(context, "ElectLeaders", response)) return grpc::Status::OK;
  std::vector<std::pair<std::string, int32_t>> partitions;
  for (const auto& topic : request->topics()) {
    for (int32_t p : topic.partitions()) partitions.emplace_back(topic.topic(), p);
  }
  absl::StatusOr<std::vector<ReplicationControl::ElectionResult>> result =
      controller_.ElectLeaders(partitions);
  Fill(controller_, result.status(), ApiError{}, response);
  if (result.ok()) {
    for (const ReplicationControl::ElectionResult& r : *result) {
      pb::ElectLeadersResponse::Result* out = response->add_results();
      out->set_topic(r.topic);
      out->set_partition(r.partition);
      out->mutable_error()->set_code(static_cast<int32_t>(r.error.code));
      out->mutable_error()->set_message(r.error.message);
    }
  }
  return grpc::Status::OK;
}

grpc::Status ControllerService::AlterPartitionReassignments(
    grpc::ServerContext* context, const pb::AlterPartitionReassignmentsRequest* request,
    pb::AlterPartitionReassignmentsResponse* response) {
  if (RefuseOtherCluster(context, "AlterPartitionReassignments", response)) return grpc::Status::OK;
  std::vector<ReassignmentRequest> requests;
  for (const auto& p : request->partitions()) {
    ReassignmentRequest& r = requests.emplace_back();
    r.topic = p.topic();
    r.partition = p.partition();
    if (p.has_replicas()) {
      r.replicas.emplace(p.replicas().values().begin(), p.replicas().values().end());
    }
  }
  absl::StatusOr<std::vector<ReassignmentResult>> result =
      controller_.AlterPartitionReassignments(requests);
  Fill(controller_, result.status(), ApiError{}, response);
  if (result.ok()) {
    for (const ReassignmentResult& r : *result) {
      pb::AlterPartitionReassignmentsResponse::Result* out = response->add_results();
      out->set_topic(r.topic);
      out->set_partition(r.partition);
      out->mutable_error()->set_code(static_cast<int32_t>(r.error.code));
      out->mutable_error()->set_message(r.error.message);
    }
  }
  return grpc::Status::OK;
}

grpc::Status ControllerService::DescribeQuorum(grpc::ServerContext* context,
                                               const pb::DescribeQuorumRequest* /*request*/,
                                               pb::DescribeQuorumResponse* response) {
  if (RefuseOtherCluster(context, "DescribeQuorum", response)) return grpc::Status::OK;
  absl::StatusOr<raft::QuorumStatus> status = controller_.DescribeQuorum();
  Fill(controller_, status.status(), ApiError{}, response);
  if (!status.ok()) return grpc::Status::OK;
  response->set_leader_id(status->leader.value());
  response->set_leader_epoch(static_cast<int32_t>(status->term.value()));
  response->set_high_watermark(status->commit.value());
  for (const raft::ReplicaStatus& r : status->voters) FillReplica(r, response->add_voters());
  for (const raft::ReplicaStatus& r : status->learners) FillReplica(r, response->add_observers());
  return grpc::Status::OK;
}

grpc::Status ControllerService::AlterPartition(grpc::ServerContext* context,
                                               const pb::AlterPartitionRequest* request,
                                               pb::ErrorResponse* response) {
  if (RefuseOtherCluster(context, "AlterPartition", response)) return grpc::Status::OK;
  AlterPartitionRequest r{
      NodeId(request->broker_id()), request->topic_id(),
      request->partition(),         LeaderEpoch(request->leader_epoch()),
      request->partition_epoch(),   {request->new_isr().begin(), request->new_isr().end()}};
  absl::StatusOr<ApiError> result = controller_.AlterPartition(r);
  Fill(controller_, result.status(), result.ok() ? *result : ApiError{}, response);
  return grpc::Status::OK;
}

grpc::Status ControllerService::AlterTopicConfigs(grpc::ServerContext* context,
                                                  const pb::AlterTopicConfigsRequest* request,
                                                  pb::ErrorResponse* response) {
  if (RefuseOtherCluster(context, "AlterTopicConfigs", response)) return grpc::Status::OK;
  std::optional<std::vector<AlterConfigOp>> ops = ToAlterConfigOps(request->ops(), response);
  if (!ops.has_value()) return grpc::Status::OK;
  absl::StatusOr<ApiError> result = controller_.AlterTopicConfigs(request->topic(), *ops);
  Fill(controller_, result.status(), result.ok() ? *result : ApiError{}, response);
  return grpc::Status::OK;
}

grpc::Status ControllerService::AlterBrokerConfigs(grpc::ServerContext* context,
                                                   const pb::AlterBrokerConfigsRequest* request,
                                                   pb::ErrorResponse* response) {
  if (RefuseOtherCluster(context, "AlterBrokerConfigs", response)) return grpc::Status::OK;
  std::optional<std::vector<AlterConfigOp>> ops = ToAlterConfigOps(request->ops(), response);
  if (!ops.has_value()) return grpc::Status::OK;
  absl::StatusOr<ApiError> result = controller_.AlterBrokerConfigs(request->broker(), *ops);
  Fill(controller_, result.status(), result.ok() ? *result : ApiError{}, response);
  return grpc::Status::OK;
}

grpc::Status ControllerService::FetchMetadata(grpc::ServerContext* context,
                                              const pb::FetchMetadataRequest* request,
                                              pb::FetchMetadataResponse* response) {
  if (RefuseOtherCluster(context, "FetchMetadata", response)) return grpc::Status::OK;
  FetchMetadataResult result = controller_.FetchMetadata(
      request->offset(), absl::Milliseconds(std::max(request->max_wait_ms(), 0)));
  Fill(controller_, absl::OkStatus(), ApiError{}, response);
  if (result.snapshot != nullptr) {
    response->set_snapshot(true);
    response->set_snapshot_offset(result.snapshot->offset);
    for (metadata::proto::MetadataRecord& r : result.snapshot->ToRecords()) {
      *response->mutable_snapshot_records()->add_records() = std::move(r);
    }
    return grpc::Status::OK;
  }
  for (const MetadataLogEntry& e : result.entries) {
    pb::MetadataEntry* entry = response->add_entries();
    entry->set_offset(e.offset);
    *entry->mutable_batch() = *e.batch;
  }
  return grpc::Status::OK;
}

}  // namespace karst::controller

#include "controller/controller_service.h"

#include <algorithm>

namespace karst::controller {
namespace {

namespace pb = ::karst::controller_rpc;

constexpr int32_t kRequestTimedOut = 7;
constexpr int32_t kNotController = 41;

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

}  // namespace

grpc::Status ControllerService::RegisterBroker(grpc::ServerContext*,
                                               const pb::RegisterBrokerRequest* request,
                                               pb::RegisterBrokerResponse* response) {
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

grpc::Status ControllerService::BrokerHeartbeat(grpc::ServerContext*,
                                                const pb::BrokerHeartbeatRequest* request,
                                                pb::BrokerHeartbeatResponse* response) {
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

grpc::Status ControllerService::CreateTopic(grpc::ServerContext*,
                                            const pb::CreateTopicRequest* request,
                                            pb::CreateTopicResponse* response) {
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

grpc::Status ControllerService::DeleteTopic(grpc::ServerContext*,
                                            const pb::DeleteTopicRequest* request,
                                            pb::ErrorResponse* response) {
  absl::StatusOr<ApiError> result = controller_.DeleteTopic(request->name());
  Fill(controller_, result.status(), result.ok() ? *result : ApiError{}, response);
  return grpc::Status::OK;
}

grpc::Status ControllerService::CreatePartitions(grpc::ServerContext*,
                                                 const pb::CreatePartitionsRequest* request,
                                                 pb::ErrorResponse* response) {
  absl::StatusOr<ApiError> result = controller_.CreatePartitions(request->name(), request->count());
  Fill(controller_, result.status(), result.ok() ? *result : ApiError{}, response);
  return grpc::Status::OK;
}

grpc::Status ControllerService::ElectLeaders(grpc::ServerContext*,
                                             const pb::ElectLeadersRequest* request,
                                             pb::ElectLeadersResponse* response) {
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

grpc::Status ControllerService::AlterPartition(grpc::ServerContext*,
                                               const pb::AlterPartitionRequest* request,
                                               pb::ErrorResponse* response) {
  AlterPartitionRequest r{
      NodeId(request->broker_id()), request->topic_id(),
      request->partition(),         LeaderEpoch(request->leader_epoch()),
      request->partition_epoch(),   {request->new_isr().begin(), request->new_isr().end()}};
  absl::StatusOr<ApiError> result = controller_.AlterPartition(r);
  Fill(controller_, result.status(), result.ok() ? *result : ApiError{}, response);
  return grpc::Status::OK;
}

grpc::Status ControllerService::AlterTopicConfigs(grpc::ServerContext*,
                                                  const pb::AlterTopicConfigsRequest* request,
                                                  pb::ErrorResponse* response) {
  std::vector<AlterConfigOp> ops;
  for (const pb::AlterConfigOp& op : request->ops()) {
    if (op.op() < 0 || op.op() > 3) {
      response->mutable_error()->set_code(static_cast<int32_t>(ErrorCode::kInvalidRequest));
      response->mutable_error()->set_message("unknown config operation");
      return grpc::Status::OK;
    }
    ops.push_back({op.name(), static_cast<AlterOp>(op.op()), op.value()});
  }
  absl::StatusOr<ApiError> result = controller_.AlterTopicConfigs(request->topic(), ops);
  Fill(controller_, result.status(), result.ok() ? *result : ApiError{}, response);
  return grpc::Status::OK;
}

grpc::Status ControllerService::FetchMetadata(grpc::ServerContext*,
                                              const pb::FetchMetadataRequest* request,
                                              pb::FetchMetadataResponse* response) {
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

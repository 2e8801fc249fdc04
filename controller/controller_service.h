// ControllerService: the gRPC face of a QuorumController (proto/controller.proto). Every
// response carries the active controller's id as this controller knows it; a standby
// answers with NOT_CONTROLLER (41), except to FetchMetadata, which every controller serves. Commit
// timeouts and lost leadership come back as REQUEST_TIMED_OUT (7) and NOT_CONTROLLER, so callers
// retry against the active controller. A call whose karst-cluster-id metadata (common/
// cluster_id_header.h) names another cluster is refused with INCONSISTENT_CLUSTER_ID (104) before
// the controller sees it; a call without that metadata is served (grpc_cli, tests). Thread-safe
// (gRPC handler threads; QuorumController serialises writes).
#ifndef KARST_CONTROLLER_CONTROLLER_SERVICE_H_
#define KARST_CONTROLLER_CONTROLLER_SERVICE_H_

#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "controller/quorum_controller.h"
#include "proto/controller.grpc.pb.h"

namespace karst::controller {

namespace proto_service = ::karst::controller_rpc;

struct ControllerServiceOptions {
  // This controller's cluster id; calls from other clusters are refused. Empty: no check.
  std::string cluster_id;
  // Logs the first refused call from each other cluster; may be empty.
  std::function<void(const std::string&)> log;
};

class ControllerService final : public proto_service::Controller::Service {
 public:
  // `controller` must outlive the service.
  explicit ControllerService(QuorumController& controller, ControllerServiceOptions options = {})
      : controller_(controller), options_(std::move(options)) {}

  grpc::Status RegisterBroker(grpc::ServerContext*, const proto_service::RegisterBrokerRequest*,
                              proto_service::RegisterBrokerResponse*) override;
  grpc::Status BrokerHeartbeat(grpc::ServerContext*, const proto_service::BrokerHeartbeatRequest*,
                               proto_service::BrokerHeartbeatResponse*) override;
  grpc::Status CreateTopic(grpc::ServerContext*, const proto_service::CreateTopicRequest*,
                           proto_service::CreateTopicResponse*) override;
  grpc::Status DeleteTopic(grpc::ServerContext*, const proto_service::DeleteTopicRequest*,
                           proto_service::ErrorResponse*) override;
  grpc::Status CreatePartitions(grpc::ServerContext*, const proto_service::CreatePartitionsRequest*,
                                proto_service::ErrorResponse*) override;
  grpc::Status AlterPartition(grpc::ServerContext*, const proto_service::AlterPartitionRequest*,
                              proto_service::ErrorResponse*) override;
  grpc::Status AlterTopicConfigs(grpc::ServerContext*,
                                 const proto_service::AlterTopicConfigsRequest*,
                                 proto_service::ErrorResponse*) override;
  grpc::Status AlterBrokerConfigs(grpc::ServerContext*,
                                  const proto_service::AlterBrokerConfigsRequest*,
                                  proto_service::ErrorResponse*) override;
  // Served by standbys too (from their own, possibly lagging, image).
  grpc::Status FetchMetadata(grpc::ServerContext*, const proto_service::FetchMetadataRequest*,
                             proto_service::FetchMetadataResponse*) override;
  grpc::Status ElectLeaders(grpc::ServerContext*, const proto_service::ElectLeadersRequest*,
                            proto_service::ElectLeadersResponse*) override;
  grpc::Status AllocateProducerIds(grpc::ServerContext*,
                                   const proto_service::AllocateProducerIdsRequest*,
                                   proto_service::AllocateProducerIdsResponse*) override;
  grpc::Status AlterPartitionReassignments(
      grpc::ServerContext*, const proto_service::AlterPartitionReassignmentsRequest*,
      proto_service::AlterPartitionReassignmentsResponse*) override;
  // The active controller's view of the Raft quorum; standbys answer NOT_CONTROLLER.
  grpc::Status DescribeQuorum(grpc::ServerContext*, const proto_service::DescribeQuorumRequest*,
                              proto_service::DescribeQuorumResponse*) override;

 private:
  // Fills `response` with INCONSISTENT_CLUSTER_ID and returns true if the call comes from
  // another cluster.
  template <typename Response>
  bool RefuseOtherCluster(const grpc::ServerContext* context, const char* method,
                          Response* response);

  QuorumController& controller_;
  const ControllerServiceOptions options_;
  std::mutex mu_;
  std::set<std::string> refused_clusters_;  // Guarded by mu_: the ones logged.
};

}  // namespace karst::controller

#endif  // KARST_CONTROLLER_CONTROLLER_SERVICE_H_

// ControllerRole: what `process.roles=controller` runs inside karstd: the metadata log in
// RocksDB under metadata.log.dir, a Raft node over the gRPC transport on the controller
// listener with controller.quorum.voters as the group, the QuorumController as its state
// machine, and the Controller gRPC service on the same listener; and a thread that, while this
// controller is active, fences brokers silent for broker.session.timeout.ms, elects
// preferred leaders every leader.imbalance.check.interval.seconds when a broker is imbalanced
// (auto.leader.rebalance.enable), and refreshes the controller gauges (every quarter of the
// session timeout, at most 1 s apart).
// The Raft group's metrics (group="__cluster_metadata") and the karst_controller_* gauges go
// to the registry given. Start/Stop from main().
#ifndef KARST_BROKER_MAIN_CONTROLLER_ROLE_H_
#define KARST_BROKER_MAIN_CONTROLLER_ROLE_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "common/config/server_config.h"
#include "controller/controller_metrics.h"
#include "controller/controller_service.h"
#include "controller/quorum_controller.h"
#include "prometheus/registry.h"
#include "raft/node/node.h"
#include "raft/node/raft_metrics.h"
#include "raft/node/rocksdb_log_store.h"
#include "raft/transport/grpc_transport.h"

namespace karst {

class ControllerRole {
 public:
  ControllerRole(const config::ServerConfig& config, prometheus::Registry& registry)
      : config_(config),
        raft_metrics_(registry, "__cluster_metadata"),
        controller_metrics_(registry) {}
  ~ControllerRole() { Stop(); }

  // kInvalidArgument for a missing controller listener; the store's or transport's errors.
  absl::Status Start();
  void Stop();

  // The active controller's node id as this controller knows it; -1 if unknown.
  int32_t ActiveControllerId() const {
    return controller_ != nullptr ? controller_->ActiveControllerId().value() : -1;
  }

 private:
  void PeriodicLoop();
  // auto.leader.rebalance.enable: preferred-leader election where a broker is imbalanced.
  void RebalanceLeaders();

  const config::ServerConfig& config_;
  raft::RaftMetrics raft_metrics_;
  controller::ControllerMetrics controller_metrics_;
  std::unique_ptr<raft::RocksDbLogStore> store_;
  std::unique_ptr<controller::QuorumController> controller_;
  std::unique_ptr<controller::ControllerService> service_;
  std::unique_ptr<raft::GrpcTransport> transport_;
  std::unique_ptr<raft::Node> node_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // Guarded by stop_mu_.
  std::thread expiry_thread_;
};

}  // namespace karst

#endif  // KARST_BROKER_MAIN_CONTROLLER_ROLE_H_

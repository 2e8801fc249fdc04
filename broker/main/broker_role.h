// BrokerRole: what `process.roles=broker` runs inside karstd: the controller client and the
// broker lifecycle (registration, heartbeats, the metadata log folded into images), the
// partition table (logs under the first of log.dirs, replication, ISR changes) and the Kafka
// listeners with one handler per API. Stop() first asks the controller to move this broker's
// leaderships away (controlled shutdown), bounded so karstd still stops within its deadline.
#ifndef KARST_BROKER_MAIN_BROKER_ROLE_H_
#define KARST_BROKER_MAIN_BROKER_ROLE_H_

#include <atomic>
#include <memory>
#include <mutex>

#include "absl/status/status.h"
#include "broker/kafka/broker_metrics.h"
#include "broker/kafka/dispatcher.h"
#include "broker/kafka/group_service.h"
#include "broker/kafka/handlers/broker_context.h"
#include "broker/kafka/server.h"
#include "broker/metadata/broker_lifecycle.h"
#include "broker/metadata/controller_client.h"
#include "broker/replication/partition_table.h"
#include "broker/replication/replication_metrics.h"
#include "common/clock.h"
#include "common/config/server_config.h"
#include "prometheus/registry.h"
#include "storage/file_system.h"

namespace karst {

class BrokerRole {
 public:
  // The broker's metrics (karst_kafka_*, karst_topic_*, karst_broker_*, karst_partition_*) go
  // to `registry`, which must outlive the role.
  BrokerRole(const config::ServerConfig& config, prometheus::Registry& registry);
  ~BrokerRole() { Stop(); }

  // kInvalidArgument for no Kafka listener or no log dir; the listener's bind errors.
  absl::Status Start();
  // Controlled shutdown (at most `controlled_shutdown_budget`), then stops everything.
  void Stop();

  // Registered, unfenced and caught up with the metadata log.
  bool Ready() const;
  uint16_t port(const std::string& listener_name) const;

 private:
  std::shared_ptr<const controller::MetadataImage> image() const;

  const config::ServerConfig& config_;
  SystemClock clock_;
  storage::PosixFileSystem fs_;
  broker::kafka::BrokerMetrics broker_metrics_;
  broker::kafka::GroupMetrics group_metrics_;
  broker::replication::ReplicationMetrics replication_metrics_;
  std::unique_ptr<broker::ControllerClient> controller_;
  std::unique_ptr<broker::BrokerLifecycle> lifecycle_;
  std::unique_ptr<broker::replication::PartitionTable> partitions_;
  std::unique_ptr<broker::kafka::GroupService> groups_;
  broker::kafka::BrokerContext context_;
  std::unique_ptr<broker::kafka::KafkaDispatcher> dispatcher_;
  std::unique_ptr<broker::kafka::Server> server_;
  std::atomic<bool> started_{false};
  std::once_flag stopped_;
};

}  // namespace karst

#endif  // KARST_BROKER_MAIN_BROKER_ROLE_H_

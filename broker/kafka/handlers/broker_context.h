// BrokerContext: what the Kafka API handlers reach: this broker's id and settings, the
// current metadata image, the hosted partitions and the controller (for forwarded admin
// requests). Plain pointers owned by the broker role, which outlives every request.
// Thread-safe as its parts are: the image is immutable, PartitionTable and ControllerClient
// are thread-safe.
#ifndef KARST_BROKER_KAFKA_HANDLERS_BROKER_CONTEXT_H_
#define KARST_BROKER_KAFKA_HANDLERS_BROKER_CONTEXT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "broker/kafka/broker_metrics.h"
#include "broker/kafka/group_service.h"
#include "broker/metadata/controller_client.h"
#include "broker/replication/partition_table.h"
#include "common/clock.h"
#include "controller/metadata/metadata_image.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/wire.h"

namespace karst::broker::kafka {

using ::karst::kafka::protocol::ErrorCode;

// One static broker config as DescribeConfigs shows it.
struct StaticConfig {
  std::string value;
  bool is_default = true;  // Kafka's default, not set in the config (DEFAULT_CONFIG).
  int8_t type = 0;         // Kafka's ConfigType: 1 BOOLEAN, 2 STRING, 3 INT, 5 LONG, 7 LIST.
};

// The broker-wide defaults handlers apply (Kafka's names).
struct BrokerSettings {
  std::string cluster_id = "karst";
  int32_t num_partitions = 1;
  int16_t default_replication_factor = 1;
  int32_t min_insync_replicas = 1;
  bool auto_create_topics_enable = true;
  int32_t message_max_bytes = 1048588;
  absl::Duration admin_timeout = absl::Seconds(30);  // Forwarded admin requests.
  // The static configs DescribeConfigs shows for this broker, by Kafka's key.
  std::map<std::string, StaticConfig> static_configs;
  // Topic config defaults derived from this broker's settings (retention.ms from
  // log.retention.ms, ...), as Kafka derives them; keys not here use Kafka's fixed defaults.
  std::map<std::string, std::string> topic_config_defaults;
  // This broker's advertised endpoints by listener name (host, port), for answering Metadata
  // before its own registration is in the image.
  std::map<std::string, std::pair<std::string, int32_t>> advertised;
  // The first of controller.listener.names: the listener DescribeQuorum v2 names for voters.
  std::string controller_listener_name = "CONTROLLER";
  // The internal topics FindCoordinator creates on first use (Kafka's names).
  int32_t offsets_topic_num_partitions = 50;
  int16_t offsets_topic_replication_factor = 3;
  int32_t offsets_topic_segment_bytes = 104857600;
  int32_t transaction_state_log_num_partitions = 50;
  int16_t transaction_state_log_replication_factor = 3;
  int32_t transaction_state_log_min_isr = 2;
};

struct BrokerContext {
  NodeId self;
  BrokerSettings settings;
  std::function<std::shared_ptr<const controller::MetadataImage>()> image;
  // Registered and caught up with the metadata log: until then Metadata creates no topics.
  std::function<bool()> caught_up;
  replication::PartitionTable* partitions = nullptr;
  ControllerClient* controller = nullptr;
  Clock* clock = nullptr;
  BrokerMetrics* metrics = nullptr;  // May be null (tests).
  GroupService* groups = nullptr;    // The group coordinator.
};

// Who sent a request, as handlers need it.
struct RequestInfo {
  int16_t version = 0;
  std::string listener_name;
  std::string client_id;
  std::string client_host;  // As Kafka shows it: "/127.0.0.1".
};

// The value of a topic config, or nullopt when the topic uses the broker default.
std::optional<std::string> TopicConfig(const controller::MetadataImage& image,
                                       const std::string& topic, const std::string& key);
int32_t TopicInt(const controller::MetadataImage& image, const std::string& topic,
                 const std::string& key, int32_t broker_default);

// One place maps a failed controller call to a Kafka error code.
ErrorCode ControllerCallError(const absl::Status& status);

::karst::kafka::protocol::Uuid ToUuid(const std::string& id);
std::string FromUuid(const ::karst::kafka::protocol::Uuid& id);

}  // namespace karst::broker::kafka

#endif  // KARST_BROKER_KAFKA_HANDLERS_BROKER_CONTEXT_H_

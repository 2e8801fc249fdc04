// ConfigControl: dynamic topic and broker configs (KRaft's ConfigurationControlManager):
// validation as a Kafka ApiError and IncrementalAlterConfigs as Generate steps producing
// ConfigRecords. The key tables, DescribeTopicConfigs and the effective broker values live in
// controller/metadata/topic_configs.h and broker_configs.h (brokers share them). Pure
// functions of a MetadataImage.
#ifndef KARST_CONTROLLER_CONFIG_CONTROL_H_
#define KARST_CONTROLLER_CONFIG_CONTROL_H_

#include <optional>
#include <string>
#include <vector>

#include "controller/controller_result.h"
#include "controller/metadata/broker_configs.h"
#include "controller/metadata/topic_configs.h"
#include "controller/replication_control.h"

namespace karst::controller {

// Kafka's AlterConfigOp types.
enum class AlterOp : int8_t { kSet = 0, kDelete = 1, kAppend = 2, kSubtract = 3 };

struct AlterConfigOp {
  std::string name;
  AlterOp op = AlterOp::kSet;
  std::string value;
};

// ok, or INVALID_CONFIG naming the key and what is allowed (Kafka's wording).
ApiError ValidateTopicConfig(const std::string& name, const std::string& value);

// Applies `ops` to a topic's dynamic configs, all or nothing.
ControllerResult<ApiError> GenerateIncrementalAlterTopicConfigs(
    const MetadataImage& image, const std::string& topic, const std::vector<AlterConfigOp>& ops);

// Applies `ops` to a broker resource's dynamic configs (KIP-226), all or nothing: `broker` is a
// broker id (that broker's own values) or "" (the cluster-wide default). INVALID_REQUEST for a
// name that is not "" or an id, or a key that may not change dynamically; INVALID_CONFIG for
// a bad value or append/subtract (no dynamic broker key is a list).
ControllerResult<ApiError> GenerateIncrementalAlterBrokerConfigs(
    const MetadataImage& image, const std::string& broker, const std::vector<AlterConfigOp>& ops);

}  // namespace karst::controller

#endif  // KARST_CONTROLLER_CONFIG_CONTROL_H_

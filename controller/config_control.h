// ConfigControl: dynamic topic configs (KRaft's ConfigurationControlManager): validation as a
// Kafka ApiError and IncrementalAlterConfigs as a Generate step producing ConfigRecords. The
// key table and DescribeTopicConfigs live in controller/metadata/topic_configs.h (brokers
// share them). Pure functions of a MetadataImage.
#ifndef KARST_CONTROLLER_CONFIG_CONTROL_H_
#define KARST_CONTROLLER_CONFIG_CONTROL_H_

#include <optional>
#include <string>
#include <vector>

#include "controller/controller_result.h"
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

}  // namespace karst::controller

#endif  // KARST_CONTROLLER_CONFIG_CONTROL_H_

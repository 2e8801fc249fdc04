// ConfigControl: dynamic topic configs (KRaft's ConfigurationControlManager): the keys Kafka
// defines for topics, with Kafka's types, ranges and defaults; IncrementalAlterConfigs as a
// Generate step producing ConfigRecords; and the effective configs for DescribeConfigs.
// Pure functions of a MetadataImage.
#ifndef KARST_CONTROLLER_CONFIG_CONTROL_H_
#define KARST_CONTROLLER_CONFIG_CONTROL_H_

#include <optional>
#include <string>
#include <vector>

#include "controller/controller_result.h"
#include "controller/replication_control.h"

namespace karst::controller {

// Kafka's AlterConfigOp types.
enum class AlterOp : int8_t { kSet = 0, kDelete = 1, kAppend = 2, kSubtract = 3 };

struct AlterConfigOp {
  std::string name;
  AlterOp op = AlterOp::kSet;
  std::string value;
};

struct ConfigEntry {
  std::string name;
  std::string value;
  bool is_default = true;
  bool operator==(const ConfigEntry&) const = default;
};

// ok, or INVALID_CONFIG naming the key and what is allowed (Kafka's wording).
ApiError ValidateTopicConfig(const std::string& name, const std::string& value);

// Applies `ops` to a topic's dynamic configs, all or nothing.
ControllerResult<ApiError> GenerateIncrementalAlterTopicConfigs(
    const MetadataImage& image, const std::string& topic, const std::vector<AlterConfigOp>& ops);

// Every topic config with its effective value (dynamic, else Kafka's default). nullopt if
// the topic does not exist.
std::optional<std::vector<ConfigEntry>> DescribeTopicConfigs(const MetadataImage& image,
                                                             const std::string& topic);

}  // namespace karst::controller

#endif  // KARST_CONTROLLER_CONFIG_CONTROL_H_

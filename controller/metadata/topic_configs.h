// TopicConfigs: the topic-level configs Kafka defines (TopicConfig / LogConfig), with Kafka's
// types, ranges and defaults, their validation with Kafka's wording, and the effective configs
// of a topic for DescribeConfigs. Shared by the controller (which validates and alters them)
// and brokers (which describe them and validate validate_only requests). Pure functions;
// thread-safe.
#ifndef KARST_CONTROLLER_METADATA_TOPIC_CONFIGS_H_
#define KARST_CONTROLLER_METADATA_TOPIC_CONFIGS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "controller/metadata/metadata_image.h"

namespace karst::controller {

enum class TopicConfigKind { kInt, kLong, kBool, kString, kList };

struct TopicConfigDef {
  TopicConfigKind kind;
  const char* default_value;  // Kafka's fixed default.
  int64_t min = INT64_MIN;
  std::vector<std::string> allowed;  // kString and each kList item; empty: any.
};

// Every topic config key, sorted by name.
const std::map<std::string, TopicConfigDef>& TopicConfigDefs();

// The definition of `name`, or null if Kafka defines no such topic config.
const TopicConfigDef* FindTopicConfigDef(const std::string& name);

// ok, or kInvalidArgument with Kafka's INVALID_CONFIG message naming the key and what is
// allowed ("Invalid value soon for configuration retention.ms: Not a number of type LONG",
// "Unknown topic config name: x").
absl::Status CheckTopicConfig(const std::string& name, const std::string& value);

struct ConfigEntry {
  std::string name;
  std::string value;
  bool is_default = true;
  bool operator==(const ConfigEntry&) const = default;
};

// Every topic config with its effective value: the topic's dynamic value, else the value in
// `defaults` (a broker's own log.* settings, as Kafka derives topic defaults from them), else
// Kafka's fixed default. nullopt if the topic does not exist.
std::optional<std::vector<ConfigEntry>> DescribeTopicConfigs(
    const MetadataImage& image, const std::string& topic,
    const std::map<std::string, std::string>& defaults = {});

}  // namespace karst::controller

#endif  // KARST_CONTROLLER_METADATA_TOPIC_CONFIGS_H_

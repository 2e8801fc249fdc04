// BrokerConfigs: dynamic broker configs (Kafka's KIP-226, the subset Karst honours): which keys
// may change at run time, their validation (common/config's ConfigDef, so types and ranges
// match server.properties), and the effective value a broker or the controller reads from a
// MetadataImage: per-broker value > cluster-wide default > static config. Shared by the
// controller (which validates and stores them) and brokers. Pure functions; thread-safe.
#ifndef KARST_CONTROLLER_METADATA_BROKER_CONFIGS_H_
#define KARST_CONTROLLER_METADATA_BROKER_CONFIGS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/config/config_def.h"
#include "common/strong_id.h"
#include "controller/metadata/metadata_image.h"

namespace karst::controller {

// The broker id whose lookups see only the cluster-wide default (the controller's view).
inline constexpr NodeId kClusterDefault{-1};

// The keys IncrementalAlterConfigs may set on a broker resource, sorted.
const std::vector<std::string>& DynamicBrokerConfigNames();

// The static definition of a dynamic key, or null if `name` may not change dynamically.
const config::ConfigDef* FindDynamicBrokerConfigDef(const std::string& name);

// ok for "" (the cluster-wide default) or a broker id in base 10; else kInvalidArgument with
// Kafka's message (INVALID_REQUEST). Any id is accepted, registered or not, as Kafka does.
absl::Status CheckBrokerResourceName(const std::string& name);

// ok if every name may change dynamically; else kInvalidArgument "Cannot update these configs
// dynamically: [a, b]" (Kafka's wording; INVALID_REQUEST).
absl::Status CheckDynamicBrokerConfigNames(const std::vector<std::string>& names);

// The value as stored (canonical: "true"/"false", decimal integers), or kInvalidArgument
// "Invalid value x for configuration k: expected an integer in [1, 2147483647]"
// (INVALID_CONFIG). REQUIRES: `name` is a dynamic key.
absl::StatusOr<std::string> CheckBrokerConfig(const std::string& name, const std::string& value);

// Where a dynamic value comes from (Kafka's DescribeConfigs ConfigSource codes).
enum class BrokerConfigSource : int8_t { kDynamicBroker = 2, kDynamicDefault = 3 };

struct DynamicBrokerValue {
  std::string value;
  BrokerConfigSource source = BrokerConfigSource::kDynamicDefault;
};

// The dynamic value of `key` for `broker`: its own, else the cluster-wide default; nullopt if
// neither is set. kClusterDefault sees the cluster-wide default only.
std::optional<DynamicBrokerValue> FindDynamicBrokerConfig(const MetadataImage& image, NodeId broker,
                                                          const std::string& key);

// The effective value: dynamic (as above), else `static_value`. The typed forms fall back to
// `static_value` on a value that does not parse (never stored: the controller validates).
std::string EffectiveBrokerConfig(const MetadataImage& image, NodeId broker, const std::string& key,
                                  const std::string& static_value);
int64_t EffectiveBrokerInt(const MetadataImage& image, NodeId broker, const std::string& key,
                           int64_t static_value);
bool EffectiveBrokerBool(const MetadataImage& image, NodeId broker, const std::string& key,
                         bool static_value);

// The topic configs whose default is a dynamic broker config (Kafka's LogConfig synonyms):
// topic key -> broker key, e.g. retention.ms -> log.retention.ms.
const std::map<std::string, std::string>& TopicConfigBrokerSynonyms();

}  // namespace karst::controller

#endif  // KARST_CONTROLLER_METADATA_BROKER_CONFIGS_H_

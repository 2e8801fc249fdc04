#include "controller/metadata/broker_configs.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/config/server_config.h"

namespace karst::controller {
namespace {

const std::map<std::string, std::string>* FindConfigs(const MetadataImage& image,
                                                      const std::string& resource) {
  auto it = image.configs.find({static_cast<int32_t>(ResourceType::kBroker), resource});
  return it == image.configs.end() ? nullptr : &it->second;
}

}  // namespace

// The keys of Kafka's DynamicBrokerConfig (DynamicLogConfig's reconfigurable log.* keys and
// the broker defaults) that Karst reads at run time. num.partitions and
// default.replication.factor are static in Kafka; Karst lets them change too.
const std::vector<std::string>& DynamicBrokerConfigNames() {
  static const auto* names = new std::vector<std::string>{
      "auto.create.topics.enable",
      "default.replication.factor",
      "log.retention.bytes",
      "log.retention.ms",
      "log.segment.bytes",
      "message.max.bytes",
      "min.insync.replicas",
      "num.partitions",
      "unclean.leader.election.enable",
  };
  return *names;
}

const config::ConfigDef* FindDynamicBrokerConfigDef(const std::string& name) {
  const std::vector<std::string>& names = DynamicBrokerConfigNames();
  if (std::find(names.begin(), names.end(), name) == names.end()) return nullptr;
  for (const config::ConfigDef& def : config::ServerConfig::Defs()) {
    if (def.name == name) return &def;
  }
  return nullptr;
}

absl::Status CheckBrokerResourceName(const std::string& name) {
  int32_t id;
  if (name.empty() || (absl::SimpleAtoi(name, &id) && id >= 0)) return absl::OkStatus();
  // Kafka's ControllerConfigurationValidator. Karst's node ids are never negative.
  return absl::InvalidArgumentError("Unable to parse broker name as a base 10 number.");
}

absl::Status CheckDynamicBrokerConfigNames(const std::vector<std::string>& names) {
  std::vector<std::string> refused;
  for (const std::string& name : names) {
    if (FindDynamicBrokerConfigDef(name) == nullptr &&
        std::find(refused.begin(), refused.end(), name) == refused.end()) {
      refused.push_back(name);
    }
  }
  if (refused.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("Cannot update these configs dynamically: [",
                                                 absl::StrJoin(refused, ", "), "]"));
}

absl::StatusOr<std::string> CheckBrokerConfig(const std::string& name, const std::string& value) {
  const config::ConfigDef* def = FindDynamicBrokerConfigDef(name);
  if (def == nullptr) return CheckDynamicBrokerConfigNames({name});
  absl::StatusOr<config::Value> parsed = config::ParseValue(*def, value, config::Origin::Default());
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("Invalid value ", value, " for configuration ",
                                                   name, ": ", config::DescribeAllowed(*def)));
  }
  if (const int64_t* i = std::get_if<int64_t>(&*parsed)) return absl::StrCat(*i);
  if (const bool* b = std::get_if<bool>(&*parsed)) return std::string(*b ? "true" : "false");
  return std::string(value);
}

std::optional<DynamicBrokerValue> FindDynamicBrokerConfig(const MetadataImage& image, NodeId broker,
                                                          const std::string& key) {
  if (broker != kClusterDefault) {
    if (const auto* own = FindConfigs(image, absl::StrCat(broker.value()))) {
      if (auto it = own->find(key); it != own->end()) {
        return DynamicBrokerValue{it->second, BrokerConfigSource::kDynamicBroker};
      }
    }
  }
  if (const auto* defaults = FindConfigs(image, "")) {
    if (auto it = defaults->find(key); it != defaults->end()) {
      return DynamicBrokerValue{it->second, BrokerConfigSource::kDynamicDefault};
    }
  }
  return std::nullopt;
}

std::string EffectiveBrokerConfig(const MetadataImage& image, NodeId broker, const std::string& key,
                                  const std::string& static_value) {
  std::optional<DynamicBrokerValue> dynamic = FindDynamicBrokerConfig(image, broker, key);
  return dynamic.has_value() ? dynamic->value : static_value;
}

int64_t EffectiveBrokerInt(const MetadataImage& image, NodeId broker, const std::string& key,
                           int64_t static_value) {
  std::optional<DynamicBrokerValue> dynamic = FindDynamicBrokerConfig(image, broker, key);
  int64_t parsed;
  if (dynamic.has_value() && absl::SimpleAtoi(dynamic->value, &parsed)) return parsed;
  return static_value;
}

bool EffectiveBrokerBool(const MetadataImage& image, NodeId broker, const std::string& key,
                         bool static_value) {
  std::optional<DynamicBrokerValue> dynamic = FindDynamicBrokerConfig(image, broker, key);
  if (!dynamic.has_value()) return static_value;
  const std::string lower = absl::AsciiStrToLower(dynamic->value);
  if (lower == "true") return true;
  if (lower == "false") return false;
  return static_value;
}

const std::map<std::string, std::string>& TopicConfigBrokerSynonyms() {
  static const auto* synonyms = new std::map<std::string, std::string>{
      {"max.message.bytes", "message.max.bytes"},
      {"min.insync.replicas", "min.insync.replicas"},
      {"retention.bytes", "log.retention.bytes"},
      {"retention.ms", "log.retention.ms"},
      {"segment.bytes", "log.segment.bytes"},
      {"unclean.leader.election.enable", "unclean.leader.election.enable"},
  };
  return *synonyms;
}

}  // namespace karst::controller

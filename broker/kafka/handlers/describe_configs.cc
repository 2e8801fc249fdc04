// DescribeConfigs (key 32): a topic's configs with their effective values (the topic's
// dynamic value, else the default this broker derives from its own settings, else Kafka's),
// this broker's configs (dynamic over static, KIP-226) and the cluster-wide dynamic defaults.
// Answered from the broker's metadata image; synonyms and documentation are left empty, which Kafka
// allows when they are not asked for.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "broker/kafka/handlers/handlers.h"
#include "controller/metadata/broker_configs.h"
#include "controller/metadata/topic_configs.h"

namespace karst::broker::kafka {
namespace {

using Result = kp::DescribeConfigsResponse::DescribeConfigsResult;
using Entry = kp::DescribeConfigsResponse::DescribeConfigsResourceResult;

// Kafka's DescribeConfigsResponse.ConfigSource.
constexpr int8_t kTopicConfig = 1;
constexpr int8_t kDynamicDefaultBrokerConfig = 3;
constexpr int8_t kStaticBrokerConfig = 4;
constexpr int8_t kDefaultConfig = 5;
// Kafka's DescribeConfigsResponse.ConfigType.
constexpr int8_t kBooleanType = 1;
constexpr int8_t kStringType = 2;
constexpr int8_t kIntType = 3;
constexpr int8_t kLongType = 5;
constexpr int8_t kListType = 7;

int8_t TypeOf(controller::TopicConfigKind kind) {
  switch (kind) {
    case controller::TopicConfigKind::kInt:
      return kIntType;
    case controller::TopicConfigKind::kLong:
      return kLongType;
    case controller::TopicConfigKind::kBool:
      return kBooleanType;
    case controller::TopicConfigKind::kString:
      return kStringType;
    case controller::TopicConfigKind::kList:
      return kListType;
  }
  return 0;
}

// Null or empty configuration_keys asks for every key.
bool Wanted(const std::optional<std::vector<std::string>>& keys, const std::string& name) {
  return !keys.has_value() || keys->empty() ||
         std::find(keys->begin(), keys->end(), name) != keys->end();
}

void DescribeTopic(BrokerContext& ctx, const controller::MetadataImage& image,
                   const kp::DescribeConfigsRequest::DescribeConfigsResource& resource,
                   Result& result) {
  // A topic's defaults follow this broker's dynamic configs (KIP-226) over its static ones.
  std::map<std::string, std::string> defaults = ctx.settings.topic_config_defaults;
  for (const auto& [topic_key, broker_key] : controller::TopicConfigBrokerSynonyms()) {
    if (auto dynamic = controller::FindDynamicBrokerConfig(image, ctx.self, broker_key)) {
      defaults[topic_key] = dynamic->value;
    }
  }
  std::optional<std::vector<controller::ConfigEntry>> entries =
      controller::DescribeTopicConfigs(image, resource.resource_name, defaults);
  if (!entries.has_value()) {
    result.error_code = static_cast<int16_t>(ErrorCode::kUnknownTopicOrPartition);
    result.error_message = absl::StrCat("The topic '", resource.resource_name, "' does not exist.");
    return;
  }
  for (const controller::ConfigEntry& e : *entries) {
    if (!Wanted(resource.configuration_keys, e.name)) continue;
    Entry& out = result.configs.emplace_back();
    out.name = e.name;
    out.value = e.value;
    out.read_only = false;
    out.is_default = e.is_default;
    out.config_source = e.is_default ? kDefaultConfig : kTopicConfig;
    out.is_sensitive = false;
    if (const controller::TopicConfigDef* def = controller::FindTopicConfigDef(e.name)) {
      out.config_type = TypeOf(def->kind);
    }
    out.documentation = std::nullopt;
  }
}

// "" is the cluster-wide default: only its dynamic values, as Kafka shows it.
void DescribeClusterDefault(BrokerContext& ctx, const controller::MetadataImage& image,
                            const kp::DescribeConfigsRequest::DescribeConfigsResource& resource,
                            Result& result) {
  auto it = image.configs.find({static_cast<int32_t>(controller::ResourceType::kBroker), ""});
  if (it == image.configs.end()) return;
  for (const auto& [name, value] : it->second) {
    if (!Wanted(resource.configuration_keys, name)) continue;
    Entry& out = result.configs.emplace_back();
    out.name = name;
    out.value = value;
    out.read_only = false;
    out.is_default = false;
    out.config_source = kDynamicDefaultBrokerConfig;
    out.is_sensitive = false;
    if (auto s = ctx.settings.static_configs.find(name); s != ctx.settings.static_configs.end()) {
      out.config_type = s->second.type;
    }
    out.documentation = std::nullopt;
  }
}

// This broker's configs: its dynamic value (its own, else the cluster-wide default), else its
// static one. The dynamic keys are not read-only.
void DescribeBroker(BrokerContext& ctx, const controller::MetadataImage& image,
                    const kp::DescribeConfigsRequest::DescribeConfigsResource& resource,
                    Result& result) {
  // A broker answers for itself only (Kafka's ConfigHelper).
  int32_t id;
  if (!absl::SimpleAtoi(resource.resource_name, &id) || id != ctx.self.value()) {
    result.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
    result.error_message = absl::StrCat("Unexpected broker id, expected ", ctx.self.value(),
                                        " or empty string, but received ", resource.resource_name);
    return;
  }
  for (const auto& [name, config] : ctx.settings.static_configs) {
    if (!Wanted(resource.configuration_keys, name)) continue;
    Entry& out = result.configs.emplace_back();
    out.name = name;
    out.value = config.value;
    out.read_only = controller::FindDynamicBrokerConfigDef(name) == nullptr;
    out.is_default = config.is_default;
    out.config_source = config.is_default ? kDefaultConfig : kStaticBrokerConfig;
    if (auto dynamic = controller::FindDynamicBrokerConfig(image, ctx.self, name)) {
      out.value = dynamic->value;
      out.is_default = false;
      out.config_source = static_cast<int8_t>(dynamic->source);
    }
    out.is_sensitive = false;
    out.config_type = config.type;
    out.documentation = std::nullopt;
  }
}

}  // namespace

void HandleDescribeConfigs(BrokerContext& ctx, const RequestInfo& /*info*/,
                           const kp::DescribeConfigsRequest& request,
                           const Reply<kp::DescribeConfigsResponse>& reply) {
  std::shared_ptr<const controller::MetadataImage> image = ctx.image();
  kp::DescribeConfigsResponse response;
  for (const auto& resource : request.resources) {
    Result& result = response.results.emplace_back();
    result.resource_type = resource.resource_type;
    result.resource_name = resource.resource_name;
    result.error_message = std::nullopt;
    switch (static_cast<controller::ResourceType>(resource.resource_type)) {
      case controller::ResourceType::kTopic:
        DescribeTopic(ctx, *image, resource, result);
        break;
      case controller::ResourceType::kBroker:
        if (resource.resource_name.empty()) {
          DescribeClusterDefault(ctx, *image, resource, result);
        } else {
          DescribeBroker(ctx, *image, resource, result);
        }
        break;
      default:
        // TODO(#6): BROKER_LOGGER (8) and the other resource types.
        result.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
        result.error_message =
            absl::StrCat("Unsupported resource type: ", static_cast<int>(resource.resource_type));
    }
  }
  reply(response);
}

}  // namespace karst::broker::kafka

// AlterConfigs (key 33) and IncrementalAlterConfigs (key 44): topic configs are forwarded to
// the active controller's AlterTopicConfigs (all or nothing per topic, CLIENTS.md rule 6),
// which validates them and answers with Kafka's error codes and messages. AlterConfigs
// replaces a topic's whole dynamic config set, so it becomes SET ops for the keys given and
// DELETE ops for the topic's other dynamic keys (read from this broker's image).
// validate_only requests are checked here with the shared topic config table and not sent.
// Broker resources (KIP-226: a broker id, or "" for the cluster-wide default) go the same way
// to AlterBrokerConfigs, checked locally with controller/metadata/broker_configs.h.
#include <set>

#include "absl/strings/str_cat.h"
#include "broker/kafka/handlers/handlers.h"
#include "controller/metadata/broker_configs.h"
#include "controller/metadata/topic_configs.h"

namespace karst::broker::kafka {
namespace {

// Kafka's AlterConfigOp.OpType.
constexpr int32_t kSet = 0;
constexpr int32_t kDelete = 1;
constexpr int32_t kAppend = 2;
constexpr int32_t kSubtract = 3;

struct Outcome {
  ErrorCode error = ErrorCode::kNone;
  std::optional<std::string> message;
};

Outcome Fail(ErrorCode error, std::string message) { return {error, std::move(message)}; }

// The checks the controller would make, for validate_only (the topic must exist; each value
// must fit its key; append/subtract only on lists).
Outcome ValidateLocally(const controller::MetadataImage& image,
                        const controller_rpc::AlterTopicConfigsRequest& request) {
  if (image.FindTopic(request.topic()) == nullptr) {
    return Fail(ErrorCode::kUnknownTopicOrPartition,
                "This server does not host this topic-partition.");
  }
  for (const controller_rpc::AlterConfigOp& op : request.ops()) {
    const controller::TopicConfigDef* def = controller::FindTopicConfigDef(op.name());
    if (def == nullptr) {
      return Fail(ErrorCode::kInvalidConfig,
                  absl::StrCat("Unknown topic config name: ", op.name()));
    }
    if ((op.op() == kAppend || op.op() == kSubtract) &&
        def->kind != controller::TopicConfigKind::kList) {
      return Fail(
          ErrorCode::kInvalidConfig,
          absl::StrCat("Config value append/subtract is not allowed for config ", op.name()));
    }
    if (op.op() == kSet || op.op() == kAppend) {
      if (absl::Status s = controller::CheckTopicConfig(op.name(), op.value()); !s.ok()) {
        return Fail(ErrorCode::kInvalidConfig, std::string(s.message()));
      }
    }
  }
  return {};
}

Outcome AlterTopic(BrokerContext& ctx, const controller::MetadataImage& image,
                   const controller_rpc::AlterTopicConfigsRequest& request, bool validate_only) {
  if (validate_only) return ValidateLocally(image, request);
  absl::StatusOr<controller_rpc::ErrorResponse> result =
      ctx.controller->AlterTopicConfigs(request, ctx.settings.admin_timeout);
  if (!result.ok()) {
    return Fail(ControllerCallError(result.status()), std::string(result.status().message()));
  }
  Outcome outcome{static_cast<ErrorCode>(result->error().code()), std::nullopt};
  if (!result->error().message().empty()) outcome.message = result->error().message();
  return outcome;
}

// The checks the controller would make on a broker resource, for validate_only.
Outcome ValidateBrokerLocally(const controller_rpc::AlterBrokerConfigsRequest& request) {
  if (absl::Status s = controller::CheckBrokerResourceName(request.broker()); !s.ok()) {
    return Fail(ErrorCode::kInvalidRequest, std::string(s.message()));
  }
  std::vector<std::string> names;
  for (const controller_rpc::AlterConfigOp& op : request.ops()) names.push_back(op.name());
  if (absl::Status s = controller::CheckDynamicBrokerConfigNames(names); !s.ok()) {
    return Fail(ErrorCode::kInvalidRequest, std::string(s.message()));
  }
  for (const controller_rpc::AlterConfigOp& op : request.ops()) {
    if (op.op() == kAppend || op.op() == kSubtract) {
      return Fail(
          ErrorCode::kInvalidConfig,
          absl::StrCat("Config value append/subtract is not allowed for config ", op.name()));
    }
    if (op.op() == kSet) {
      if (auto checked = controller::CheckBrokerConfig(op.name(), op.value()); !checked.ok()) {
        return Fail(ErrorCode::kInvalidConfig, std::string(checked.status().message()));
      }
    }
  }
  return {};
}

Outcome AlterBroker(BrokerContext& ctx, const controller_rpc::AlterBrokerConfigsRequest& request,
                    bool validate_only) {
  if (validate_only) return ValidateBrokerLocally(request);
  absl::StatusOr<controller_rpc::ErrorResponse> result =
      ctx.controller->AlterBrokerConfigs(request, ctx.settings.admin_timeout);
  if (!result.ok()) {
    return Fail(ControllerCallError(result.status()), std::string(result.status().message()));
  }
  Outcome outcome{static_cast<ErrorCode>(result->error().code()), std::nullopt};
  if (!result->error().message().empty()) outcome.message = result->error().message();
  return outcome;
}

bool IsBroker(int8_t resource_type) {
  return resource_type == static_cast<int8_t>(controller::ResourceType::kBroker);
}

// Refuses what is neither a topic nor a broker.
std::optional<Outcome> RefuseUnsupported(int8_t resource_type) {
  if (resource_type == static_cast<int8_t>(controller::ResourceType::kTopic) ||
      IsBroker(resource_type)) {
    return std::nullopt;
  }
  return Fail(ErrorCode::kInvalidRequest,
              absl::StrCat("Unsupported resource type: ", static_cast<int>(resource_type)));
}

template <typename Result>
void Fill(const Outcome& outcome, Result& result) {
  result.error_code = static_cast<int16_t>(outcome.error);
  result.error_message = outcome.message;
}

// A request naming a key twice is refused whole (Kafka's "duplicate config keys").
template <typename Configs>
bool HasDuplicateKeys(const Configs& configs) {
  std::set<std::string> seen;
  for (const auto& c : configs) {
    if (!seen.insert(c.name).second) return true;
  }
  return false;
}

// AlterConfigs replaces a resource's whole dynamic set: SET ops for the keys given and
// DELETE ops for its other dynamic keys (read from this broker's image). Fills `ops`.
template <typename Ops>
std::optional<Outcome> ReplaceOps(const controller::MetadataImage& image,
                                  const kp::AlterConfigsRequest::AlterConfigsResource& resource,
                                  Ops* ops) {
  std::set<std::string> given;
  for (const auto& config : resource.configs) {
    if (!config.value.has_value()) {
      return Fail(ErrorCode::kInvalidRequest,
                  absl::StrCat(IsBroker(resource.resource_type)
                                   ? "Null value not supported for broker configs: "
                                   : "Null value not supported for topic configs: ",
                               config.name));
    }
    controller_rpc::AlterConfigOp* op = ops->Add();
    op->set_name(config.name);
    op->set_op(kSet);
    op->set_value(*config.value);
    given.insert(config.name);
  }
  if (auto it = image.configs.find({resource.resource_type, resource.resource_name});
      it != image.configs.end()) {
    for (const auto& [name, value] : it->second) {
      if (given.count(name) > 0) continue;
      controller_rpc::AlterConfigOp* op = ops->Add();
      op->set_name(name);
      op->set_op(kDelete);
    }
  }
  return std::nullopt;
}

Outcome ReplaceConfigs(BrokerContext& ctx, const controller::MetadataImage& image,
                       const kp::AlterConfigsRequest::AlterConfigsResource& resource,
                       bool validate_only) {
  if (IsBroker(resource.resource_type)) {
    controller_rpc::AlterBrokerConfigsRequest alter;
    alter.set_broker(resource.resource_name);
    if (auto refused = ReplaceOps(image, resource, alter.mutable_ops())) return *refused;
    return AlterBroker(ctx, alter, validate_only);
  }
  controller_rpc::AlterTopicConfigsRequest alter;
  alter.set_topic(resource.resource_name);
  if (auto refused = ReplaceOps(image, resource, alter.mutable_ops())) return *refused;
  return AlterTopic(ctx, image, alter, validate_only);
}

// IncrementalAlterConfigs' ops, as the controller takes them. Fills `ops`.
template <typename Ops>
std::optional<Outcome> IncrementalOps(
    const kp::IncrementalAlterConfigsRequest::AlterConfigsResource& resource, Ops* ops) {
  for (const auto& config : resource.configs) {
    if (config.config_operation < kSet || config.config_operation > kSubtract) {
      return Fail(ErrorCode::kInvalidRequest,
                  absl::StrCat("Unknown alter config operation type ",
                               static_cast<int>(config.config_operation)));
    }
    if (config.config_operation != kDelete && !config.value.has_value()) {
      return Fail(ErrorCode::kInvalidRequest,
                  absl::StrCat("Null value not supported for : ", config.name));
    }
    controller_rpc::AlterConfigOp* op = ops->Add();
    op->set_name(config.name);
    op->set_op(config.config_operation);
    op->set_value(config.value.value_or(""));
  }
  return std::nullopt;
}

Outcome IncrementalAlterConfigs(
    BrokerContext& ctx, const controller::MetadataImage& image,
    const kp::IncrementalAlterConfigsRequest::AlterConfigsResource& resource, bool validate_only) {
  if (IsBroker(resource.resource_type)) {
    controller_rpc::AlterBrokerConfigsRequest alter;
    alter.set_broker(resource.resource_name);
    if (auto refused = IncrementalOps(resource, alter.mutable_ops())) return *refused;
    return AlterBroker(ctx, alter, validate_only);
  }
  controller_rpc::AlterTopicConfigsRequest alter;
  alter.set_topic(resource.resource_name);
  if (auto refused = IncrementalOps(resource, alter.mutable_ops())) return *refused;
  return AlterTopic(ctx, image, alter, validate_only);
}

// The per-resource checks both alter APIs share, then `alter` for each resource.
template <typename Response, typename Request, typename Alter>
Response AlterEach(const Request& request, const Alter& alter) {
  Response response;
  for (const auto& resource : request.resources) {
    auto& result = response.responses.emplace_back();
    result.resource_type = resource.resource_type;
    result.resource_name = resource.resource_name;
    if (std::optional<Outcome> refused = RefuseUnsupported(resource.resource_type)) {
      Fill(*refused, result);
    } else if (HasDuplicateKeys(resource.configs)) {
      Fill(Fail(ErrorCode::kInvalidRequest, "Error due to duplicate config keys"), result);
    } else {
      Fill(alter(resource), result);
    }
  }
  return response;
}

}  // namespace

void HandleAlterConfigs(BrokerContext& ctx, const RequestInfo& /*info*/,
                        const kp::AlterConfigsRequest& request,
                        const Reply<kp::AlterConfigsResponse>& reply) {
  std::shared_ptr<const controller::MetadataImage> image = ctx.image();
  reply(AlterEach<kp::AlterConfigsResponse>(request, [&](const auto& resource) {
    return ReplaceConfigs(ctx, *image, resource, request.validate_only);
  }));
}

void HandleIncrementalAlterConfigs(BrokerContext& ctx, const RequestInfo& /*info*/,
                                   const kp::IncrementalAlterConfigsRequest& request,
                                   const Reply<kp::IncrementalAlterConfigsResponse>& reply) {
  std::shared_ptr<const controller::MetadataImage> image = ctx.image();
  reply(AlterEach<kp::IncrementalAlterConfigsResponse>(request, [&](const auto& resource) {
    return IncrementalAlterConfigs(ctx, *image, resource, request.validate_only);
  }));
}

}  // namespace karst::broker::kafka

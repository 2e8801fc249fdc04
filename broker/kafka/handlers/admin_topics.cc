// CreateTopics (19), DeleteTopics (20), CreatePartitions (37): accepted by every broker and
// forwarded to the active controller (CLIENTS.md rule 6), which validates them and answers
// with Kafka's error codes and messages.
#include "broker/kafka/handlers/handlers.h"

namespace karst::broker::kafka {
namespace {

// The Kafka error of a forwarded call: the controller's, or the transport failure's.
template <typename Response>
std::pair<ErrorCode, std::optional<std::string>> Outcome(const absl::StatusOr<Response>& result) {
  if (!result.ok()) {
    return {ControllerCallError(result.status()), std::string(result.status().message())};
  }
  const auto& error = result->error();
  std::optional<std::string> message;
  if (!error.message().empty()) message = error.message();
  return {static_cast<ErrorCode>(error.code()), message};
}

}  // namespace

void HandleCreateTopics(BrokerContext& ctx, const RequestInfo& /*info*/,
                        const kp::CreateTopicsRequest& request,
                        const Reply<kp::CreateTopicsResponse>& reply) {
  kp::CreateTopicsResponse response;
  for (const auto& topic : request.topics) {
    auto& t = response.topics.emplace_back();
    t.name = topic.name;
    t.error_message = std::nullopt;
    if (!topic.assignments.empty() || request.validate_only) {
      // TODO(#7): manual replica assignments and validate_only need controller support.
      t.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
      t.error_message = !topic.assignments.empty() ? "manual replica assignment is not supported"
                                                   : "validate_only is not supported";
      continue;
    }
    controller_rpc::CreateTopicRequest create;
    create.set_name(topic.name);
    create.set_partitions(topic.num_partitions);
    create.set_replication_factor(topic.replication_factor);
    for (const auto& config : topic.configs) {
      auto* entry = create.add_configs();
      entry->set_name(config.name);
      entry->set_value(config.value.value_or(""));
    }
    const absl::Duration timeout = std::min(ctx.settings.admin_timeout,
                                            absl::Milliseconds(std::max(request.timeout_ms, 1000)));
    absl::StatusOr<controller_rpc::CreateTopicResponse> created =
        ctx.controller->CreateTopic(create, timeout);
    auto [error, message] = Outcome(created);
    t.error_code = static_cast<int16_t>(error);
    t.error_message = message;
    if (error == ErrorCode::kNone) {
      t.topic_id = ToUuid(created->topic_id());
      t.num_partitions = created->partitions();
      t.replication_factor = static_cast<int16_t>(created->replication_factor());
    }
  }
  reply(response);
}

void HandleDeleteTopics(BrokerContext& ctx, const RequestInfo& info,
                        const kp::DeleteTopicsRequest& request,
                        const Reply<kp::DeleteTopicsResponse>& reply) {
  std::shared_ptr<const controller::MetadataImage> image = ctx.image();
  std::vector<std::pair<std::optional<std::string>, std::string>> targets;  // (name, id)
  if (info.version >= 6) {
    for (const auto& topic : request.topics) {
      std::optional<std::string> name = topic.name;
      if (!name.has_value()) {
        auto it = image->topics.find(FromUuid(topic.topic_id));
        if (it != image->topics.end()) name = it->second.name;
      }
      targets.emplace_back(name, FromUuid(topic.topic_id));
    }
  } else {
    for (const std::string& name : request.topic_names) targets.emplace_back(name, "");
  }
  kp::DeleteTopicsResponse response;
  for (const auto& [name, id] : targets) {
    auto& r = response.responses.emplace_back();
    r.name = name;
    r.topic_id = ToUuid(id);
    if (!name.has_value()) {
      r.error_code = static_cast<int16_t>(ErrorCode::kUnknownTopicId);
      continue;
    }
    if (const controller::TopicImage* topic = image->FindTopic(*name))
      r.topic_id = ToUuid(topic->id);
    controller_rpc::DeleteTopicRequest remove;
    remove.set_name(*name);
    auto [error, message] =
        Outcome(ctx.controller->DeleteTopic(remove, ctx.settings.admin_timeout));
    r.error_code = static_cast<int16_t>(error);
    r.error_message = message;
  }
  reply(response);
}

void HandleCreatePartitions(BrokerContext& ctx, const RequestInfo& /*info*/,
                            const kp::CreatePartitionsRequest& request,
                            const Reply<kp::CreatePartitionsResponse>& reply) {
  kp::CreatePartitionsResponse response;
  for (const auto& topic : request.topics) {
    auto& r = response.results.emplace_back();
    r.name = topic.name;
    if ((topic.assignments.has_value() && !topic.assignments->empty()) || request.validate_only) {
      r.error_code = static_cast<int16_t>(ErrorCode::kInvalidRequest);
      r.error_message = "manual assignments and validate_only are not supported";
      continue;
    }
    controller_rpc::CreatePartitionsRequest create;
    create.set_name(topic.name);
    create.set_count(topic.count);
    auto [error, message] =
        Outcome(ctx.controller->CreatePartitions(create, ctx.settings.admin_timeout));
    r.error_code = static_cast<int16_t>(error);
    r.error_message = message;
  }
  reply(response);
}

}  // namespace karst::broker::kafka

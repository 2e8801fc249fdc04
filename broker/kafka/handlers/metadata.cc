// Metadata (key 3): brokers, controller id and every partition of the asked topics, leaderless
// ones too (CLIENTS.md rule 5); unknown topics are created when auto.create.topics.enable and
// the request allow it (Kafka answers LEADER_NOT_AVAILABLE while they are being created).
#include <algorithm>
#include <set>

#include "broker/kafka/handlers/handlers.h"
#include "controller/metadata/broker_configs.h"
#include "spdlog/spdlog.h"

namespace karst::broker::kafka {
namespace {

using Topic = kp::MetadataResponse::MetadataResponseTopic;

Topic Describe(const controller::MetadataImage& image, const controller::TopicImage& topic) {
  Topic out;
  out.name = topic.name;
  out.topic_id = ToUuid(topic.id);
  out.is_internal = topic.name.rfind("__", 0) == 0;
  for (const auto& [index, state] : topic.partitions) {
    kp::MetadataResponse::MetadataResponsePartition p;
    p.partition_index = index;
    p.leader_id = state.leader.value();
    p.leader_epoch = state.leader_epoch.value();
    p.replica_nodes = state.replicas;
    p.isr_nodes = state.isr;
    for (int32_t replica : state.replicas) {
      auto broker = image.brokers.find(NodeId(replica));
      if (broker == image.brokers.end() || broker->second.fenced) {
        p.offline_replicas.push_back(replica);
      }
    }
    if (state.leader.value() < 0)
      p.error_code = static_cast<int16_t>(ErrorCode::kLeaderNotAvailable);
    out.partitions.push_back(std::move(p));
  }
  return out;
}

Topic CreateMissing(BrokerContext& ctx, const std::string& name, bool allowed) {
  Topic out;
  out.name = name;
  if (!allowed) {
    out.error_code = static_cast<int16_t>(ErrorCode::kUnknownTopicOrPartition);
    return out;
  }
  controller_rpc::CreateTopicRequest create;
  create.set_name(name);
  create.set_partitions(-1);
  create.set_replication_factor(-1);
  absl::StatusOr<controller_rpc::CreateTopicResponse> created =
      ctx.controller->CreateTopic(create, ctx.settings.admin_timeout);
  // As Kafka's AutoTopicCreationManager: the client hears LEADER_NOT_AVAILABLE (retriable)
  // while the topic is being created or cannot be yet (too few live brokers for the default
  // replication factor, no active controller); only a name that can never be a topic's is
  // an error of its own.
  out.error_code = static_cast<int16_t>(ErrorCode::kLeaderNotAvailable);
  if (!created.ok()) {
    spdlog::warn("auto-creating topic {}: {}", name, created.status().ToString());
    return out;
  }
  const int32_t code = created->error().code();
  if (code == 0) {
    spdlog::info("auto-created topic {}", name);
  } else if (code == static_cast<int32_t>(ErrorCode::kInvalidTopicException)) {
    out.error_code = static_cast<int16_t>(code);
  } else if (code != static_cast<int32_t>(ErrorCode::kTopicAlreadyExists)) {
    spdlog::warn("auto-creating topic {}: error {}: {}", name, code, created->error().message());
  }
  return out;
}

}  // namespace

void HandleMetadata(BrokerContext& ctx, const RequestInfo& info, const kp::MetadataRequest& request,
                    const Reply<kp::MetadataResponse>& reply) {
  std::shared_ptr<const controller::MetadataImage> image = ctx.image();
  kp::MetadataResponse response;
  response.cluster_id = ctx.settings.cluster_id;
  for (const auto& [id, broker] : image->brokers) {
    if (broker.fenced) continue;
    for (const controller::Endpoint& endpoint : broker.endpoints) {
      if (endpoint.name != info.listener_name) continue;
      kp::MetadataResponse::MetadataResponseBroker b;
      b.node_id = id.value();
      b.host = endpoint.host;
      b.port = endpoint.port;
      if (!broker.rack.empty()) b.rack = broker.rack;
      response.brokers.push_back(std::move(b));
      // Admin requests go to controller_id; every broker forwards them (CLIENTS.md rule 6),
      // so name this one when it is live, else the lowest live broker.
      if (response.controller_id < 0 || id == ctx.self) response.controller_id = id.value();
    }
  }
  // A broker still catching up with the metadata log lists itself, so clients keep asking
  // it (librdkafka gives up on a bootstrap broker whose Metadata names no brokers), and
  // answers LEADER_NOT_AVAILABLE (retriable) for topics it has not seen yet.
  const bool caught_up = !ctx.caught_up || ctx.caught_up();
  if (!caught_up) {
    auto self = ctx.settings.advertised.find(info.listener_name);
    const bool listed = std::any_of(response.brokers.begin(), response.brokers.end(),
                                    [&](const auto& b) { return b.node_id == ctx.self.value(); });
    if (self != ctx.settings.advertised.end() && !listed) {
      kp::MetadataResponse::MetadataResponseBroker b;
      b.node_id = ctx.self.value();
      b.host = self->second.first;
      b.port = self->second.second;
      response.brokers.push_back(std::move(b));
    }
    if (response.controller_id < 0) response.controller_id = ctx.self.value();
  }
  // v0: an empty list means all topics; v1+: null means all topics.
  const bool all = !request.topics.has_value() || (info.version == 0 && request.topics->empty());
  if (all) {
    for (const auto& [id, topic] : image->topics)
      response.topics.push_back(Describe(*image, topic));
  } else {
    std::set<std::string> seen;
    for (const auto& asked : *request.topics) {
      std::string name = asked.name.value_or("");
      if (name.empty()) {
        auto by_id = image->topics.find(FromUuid(asked.topic_id));
        if (by_id != image->topics.end()) name = by_id->second.name;
      }
      if (!seen.insert(name).second) continue;
      if (const controller::TopicImage* topic = image->FindTopic(name)) {
        response.topics.push_back(Describe(*image, *topic));
      } else if (name.empty()) {
        Topic unknown;
        unknown.name = std::nullopt;
        unknown.topic_id = asked.topic_id;
        unknown.error_code = static_cast<int16_t>(ErrorCode::kUnknownTopicId);
        response.topics.push_back(std::move(unknown));
      } else if (!caught_up) {
        // It cannot tell a missing topic from one it has not seen yet.
        Topic pending;
        pending.name = name;
        pending.error_code = static_cast<int16_t>(ErrorCode::kLeaderNotAvailable);
        response.topics.push_back(std::move(pending));
      } else {
        // auto.create.topics.enable: this broker's dynamic value (KIP-226), else its static one.
        const bool allowed =
            (info.version < 4 || request.allow_auto_topic_creation) &&
            controller::EffectiveBrokerBool(*image, ctx.self, "auto.create.topics.enable",
                                            ctx.settings.auto_create_topics_enable);
        response.topics.push_back(CreateMissing(ctx, name, allowed));
      }
    }
  }
  reply(response);
}

}  // namespace karst::broker::kafka

// FindCoordinator (key 10): the coordinator of a group (key type 0) or a transactional id
// (key type 1) is the leader of its partition of __consumer_offsets or __transaction_state,
// chosen by Java's hash of the key. The topic is created on first use (compacted; replication
// factor offsets.topic.replication.factor capped by the live brokers), meanwhile and while the
// partition has no leader the answer is COORDINATOR_NOT_AVAILABLE. v4+ batches keys.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "broker/group/group_partitioner.h"
#include "broker/kafka/handlers/handlers.h"
#include "spdlog/spdlog.h"

namespace karst::broker::kafka {
namespace {

using Coordinator = kp::FindCoordinatorResponse::Coordinator;

constexpr int8_t kGroupKey = 0;
constexpr int8_t kTransactionKey = 1;

struct InternalTopic {
  std::string name;
  int32_t partitions = 50;
  int16_t replication_factor = 3;
  std::vector<std::pair<std::string, std::string>> configs;
};

InternalTopic TopicFor(const BrokerSettings& s, int8_t key_type) {
  if (key_type == kTransactionKey) {
    return {.name = "__transaction_state",
            .partitions = s.transaction_state_log_num_partitions,
            .replication_factor = s.transaction_state_log_replication_factor,
            .configs = {{"cleanup.policy", "compact"},
                        {"compression.type", "uncompressed"},
                        {"segment.bytes", "104857600"}}};
  }
  return {.name = "__consumer_offsets",
          .partitions = s.offsets_topic_num_partitions,
          .replication_factor = s.offsets_topic_replication_factor,
          .configs = {{"cleanup.policy", "compact"},
                      {"compression.type", "producer"},
                      {"segment.bytes", absl::StrCat(s.offsets_topic_segment_bytes)}}};
}

// Asks the controller to create `topic`; any outcome leaves the caller answering
// COORDINATOR_NOT_AVAILABLE (the client retries).
void CreateInternalTopic(BrokerContext& ctx, const controller::MetadataImage& image,
                         const InternalTopic& topic, int8_t key_type) {
  int32_t live = 0;
  for (const auto& [id, broker] : image.brokers) live += broker.fenced ? 0 : 1;
  const int16_t rf =
      static_cast<int16_t>(std::max<int32_t>(1, std::min<int32_t>(topic.replication_factor, live)));
  controller_rpc::CreateTopicRequest create;
  create.set_name(topic.name);
  create.set_partitions(topic.partitions);
  create.set_replication_factor(rf);
  for (const auto& [k, v] : topic.configs) {
    controller_rpc::ConfigEntry* e = create.add_configs();
    e->set_name(k);
    e->set_value(v);
  }
  if (key_type == kTransactionKey) {
    controller_rpc::ConfigEntry* e = create.add_configs();
    e->set_name("min.insync.replicas");
    e->set_value(absl::StrCat(std::min<int32_t>(ctx.settings.transaction_state_log_min_isr, rf)));
  }
  absl::StatusOr<controller_rpc::CreateTopicResponse> created =
      ctx.controller->CreateTopic(create, ctx.settings.admin_timeout);
  if (!created.ok()) {
    spdlog::warn("creating {}: {}", topic.name, created.status().ToString());
  } else if (created->error().code() == 0) {
    spdlog::info("created {} ({} partitions, replication factor {})", topic.name, topic.partitions,
                 rf);
  } else if (created->error().code() != static_cast<int32_t>(ErrorCode::kTopicAlreadyExists)) {
    spdlog::warn("creating {}: error {}: {}", topic.name, created->error().code(),
                 created->error().message());
  }
}

Coordinator Find(BrokerContext& ctx, const RequestInfo& info,
                 const controller::MetadataImage& image, const std::string& key, int8_t key_type) {
  Coordinator out{.key = key, .node_id = -1, .host = "", .port = -1};
  auto fail = [&out](ErrorCode e, std::string message = "") {
    out.error_code = static_cast<int16_t>(e);
    out.error_message = message.empty() ? std::nullopt : std::optional<std::string>(message);
    return out;
  };
  if (key_type != kGroupKey && key_type != kTransactionKey) {
    return fail(ErrorCode::kInvalidRequest, absl::StrCat("unknown key type ", key_type));
  }
  if (key.empty()) {
    return fail(key_type == kGroupKey ? ErrorCode::kInvalidGroupId : ErrorCode::kInvalidRequest,
                "the key is empty");
  }
  const InternalTopic internal = TopicFor(ctx.settings, key_type);
  const controller::TopicImage* topic = image.FindTopic(internal.name);
  if (topic == nullptr) {
    CreateInternalTopic(ctx, image, internal, key_type);
    return fail(ErrorCode::kCoordinatorNotAvailable);
  }
  const int32_t partitions = static_cast<int32_t>(topic->partitions.size());
  const int32_t index = group::PartitionForGroup(key, partitions).value();
  auto state = topic->partitions.find(index);
  if (state == topic->partitions.end() || state->second.leader.value() < 0) {
    return fail(ErrorCode::kCoordinatorNotAvailable);
  }
  auto broker = image.brokers.find(state->second.leader);
  if (broker == image.brokers.end() || broker->second.fenced) {
    return fail(ErrorCode::kCoordinatorNotAvailable);
  }
  for (const controller::Endpoint& e : broker->second.endpoints) {
    if (e.name != info.listener_name) continue;
    out.node_id = broker->second.id.value();
    out.host = e.host;
    out.port = e.port;
    out.error_message = std::nullopt;
    return out;
  }
  return fail(ErrorCode::kCoordinatorNotAvailable,
              absl::StrCat("the coordinator has no listener ", info.listener_name));
}

}  // namespace

void HandleFindCoordinator(BrokerContext& ctx, const RequestInfo& info,
                           const kp::FindCoordinatorRequest& request,
                           const Reply<kp::FindCoordinatorResponse>& reply) {
  std::shared_ptr<const controller::MetadataImage> image = ctx.image();
  kp::FindCoordinatorResponse response;
  if (info.version >= 4) {
    for (const std::string& key : request.coordinator_keys) {
      response.coordinators.push_back(Find(ctx, info, *image, key, request.key_type));
    }
  } else {
    Coordinator c = Find(ctx, info, *image, request.key, request.key_type);
    response.error_code = c.error_code;
    response.error_message = c.error_message;
    response.node_id = c.node_id;
    response.host = c.host;
    response.port = c.port;
  }
  reply(response);
}

}  // namespace karst::broker::kafka

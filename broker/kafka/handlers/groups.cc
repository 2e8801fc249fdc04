// The group APIs (JoinGroup 11, SyncGroup 14, Heartbeat 12, LeaveGroup 13, OffsetCommit 8,
// OffsetFetch 9, DescribeGroups 15, ListGroups 16, DeleteGroups 42, OffsetDelete 47): each
// goes to the GroupService, which answers for the groups of the __consumer_offsets partitions
// this broker leads (NOT_COORDINATOR for the others). OffsetCommit's unknown topics and
// partitions are checked here against the metadata image, as Kafka's KafkaApis does.
#include <utility>

#include "broker/kafka/handlers/handlers.h"

namespace karst::broker::kafka {
namespace {

group::RequestMeta Meta(const RequestInfo& info) {
  return {
      .api_version = info.version, .client_id = info.client_id, .client_host = info.client_host};
}

bool PartitionExists(const controller::MetadataImage& image, const std::string& topic,
                     int32_t partition) {
  const controller::TopicImage* t = image.FindTopic(topic);
  return t != nullptr && t->partitions.contains(partition);
}

}  // namespace

void HandleJoinGroup(BrokerContext& ctx, const RequestInfo& info, kp::JoinGroupRequest request,
                     Reply<kp::JoinGroupResponse> reply) {
  ctx.groups->JoinGroup(Meta(info), request, std::move(reply));
}

void HandleSyncGroup(BrokerContext& ctx, const RequestInfo& info, kp::SyncGroupRequest request,
                     Reply<kp::SyncGroupResponse> reply) {
  ctx.groups->SyncGroup(Meta(info), request, std::move(reply));
}

void HandleHeartbeat(BrokerContext& ctx, const RequestInfo& info,
                     const kp::HeartbeatRequest& request,
                     const Reply<kp::HeartbeatResponse>& reply) {
  reply(ctx.groups->Heartbeat(Meta(info), request));
}

void HandleLeaveGroup(BrokerContext& ctx, const RequestInfo& info, kp::LeaveGroupRequest request,
                      Reply<kp::LeaveGroupResponse> reply) {
  ctx.groups->LeaveGroup(Meta(info), request, std::move(reply));
}

void HandleOffsetCommit(BrokerContext& ctx, const RequestInfo& info,
                        kp::OffsetCommitRequest request, Reply<kp::OffsetCommitResponse> reply) {
  std::shared_ptr<const controller::MetadataImage> image = ctx.image();
  // Partitions of unknown topics are answered here; the rest go to the coordinator, and the
  // two answers are merged in the request's order.
  kp::OffsetCommitResponse unknown;
  kp::OffsetCommitRequest known = request;
  known.topics.clear();
  for (const auto& topic : request.topics) {
    kp::OffsetCommitRequest::OffsetCommitRequestTopic kept{.name = topic.name};
    kp::OffsetCommitResponse::OffsetCommitResponseTopic missing{.name = topic.name};
    for (const auto& p : topic.partitions) {
      if (PartitionExists(*image, topic.name, p.partition_index)) {
        kept.partitions.push_back(p);
      } else {
        missing.partitions.push_back(
            {.partition_index = p.partition_index,
             .error_code = static_cast<int16_t>(ErrorCode::kUnknownTopicOrPartition)});
      }
    }
    if (!kept.partitions.empty()) known.topics.push_back(std::move(kept));
    if (!missing.partitions.empty()) unknown.topics.push_back(std::move(missing));
  }
  if (unknown.topics.empty()) {
    ctx.groups->OffsetCommit(Meta(info), request, std::move(reply));
    return;
  }
  if (known.topics.empty()) {
    reply(unknown);
    return;
  }
  ctx.groups->OffsetCommit(
      Meta(info), known,
      [request = std::move(request), unknown = std::move(unknown),
       reply = std::move(reply)](const kp::OffsetCommitResponse& answered) {
        kp::OffsetCommitResponse merged;
        merged.throttle_time_ms = answered.throttle_time_ms;
        auto error_of = [](const kp::OffsetCommitResponse& r, const std::string& topic,
                           int32_t partition) -> std::optional<int16_t> {
          for (const auto& t : r.topics) {
            if (t.name != topic) continue;
            for (const auto& p : t.partitions) {
              if (p.partition_index == partition) return p.error_code;
            }
          }
          return std::nullopt;
        };
        for (const auto& topic : request.topics) {
          auto& t = merged.topics.emplace_back();
          t.name = topic.name;
          for (const auto& p : topic.partitions) {
            std::optional<int16_t> e = error_of(unknown, topic.name, p.partition_index);
            if (!e.has_value()) e = error_of(answered, topic.name, p.partition_index);
            t.partitions.push_back(
                {.partition_index = p.partition_index,
                 .error_code = e.value_or(static_cast<int16_t>(ErrorCode::kUnknownServerError))});
          }
        }
        reply(merged);
      });
}

void HandleOffsetFetch(BrokerContext& ctx, const RequestInfo& info,
                       const kp::OffsetFetchRequest& request,
                       const Reply<kp::OffsetFetchResponse>& reply) {
  reply(ctx.groups->OffsetFetch(Meta(info), request));
}

void HandleDescribeGroups(BrokerContext& ctx, const RequestInfo&,
                          const kp::DescribeGroupsRequest& request,
                          const Reply<kp::DescribeGroupsResponse>& reply) {
  reply(ctx.groups->DescribeGroups(request));
}

void HandleListGroups(BrokerContext& ctx, const RequestInfo&, const kp::ListGroupsRequest& request,
                      const Reply<kp::ListGroupsResponse>& reply) {
  reply(ctx.groups->ListGroups(request));
}

void HandleDeleteGroups(BrokerContext& ctx, const RequestInfo&, kp::DeleteGroupsRequest request,
                        Reply<kp::DeleteGroupsResponse> reply) {
  ctx.groups->DeleteGroups(request, std::move(reply));
}

void HandleOffsetDelete(BrokerContext& ctx, const RequestInfo&, kp::OffsetDeleteRequest request,
                        Reply<kp::OffsetDeleteResponse> reply) {
  ctx.groups->OffsetDelete(request, std::move(reply));
}

}  // namespace karst::broker::kafka

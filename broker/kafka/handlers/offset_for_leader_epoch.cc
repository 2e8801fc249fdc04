// OffsetForLeaderEpoch (key 23, KIP-101/KIP-279): where the largest epoch at or below the
// asked one ends in the leader's log; followers truncate to it before fetching.
#include "broker/kafka/handlers/handlers.h"

namespace karst::broker::kafka {

void HandleOffsetForLeaderEpoch(BrokerContext& ctx, const RequestInfo& /*info*/,
                                const kp::OffsetForLeaderEpochRequest& request,
                                const Reply<kp::OffsetForLeaderEpochResponse>& reply) {
  kp::OffsetForLeaderEpochResponse response;
  for (const auto& topic : request.topics) {
    auto& t = response.topics.emplace_back();
    t.topic = topic.topic;
    for (const auto& partition : topic.partitions) {
      auto& p = t.partitions.emplace_back();
      p.partition = partition.partition;
      std::shared_ptr<replication::Partition> replica =
          ctx.partitions->Get({topic.topic, partition.partition});
      if (replica == nullptr) {
        p.error_code = static_cast<int16_t>(ctx.image()->FindTopic(topic.topic) == nullptr
                                                ? ErrorCode::kUnknownTopicOrPartition
                                                : ErrorCode::kNotLeaderOrFollower);
        continue;
      }
      replication::Partition::EpochEndOffset end = replica->EndOffsetForEpoch(
          LeaderEpoch(partition.leader_epoch), LeaderEpoch(partition.current_leader_epoch));
      p.error_code = static_cast<int16_t>(end.error);
      p.leader_epoch = end.leader_epoch.value();
      p.end_offset = end.end_offset.value();
    }
  }
  reply(response);
}

}  // namespace karst::broker::kafka

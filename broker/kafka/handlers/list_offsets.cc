// ListOffsets (key 2): earliest (-2), latest (-1: the high watermark, which is also the last
// stable offset while there are no transactions), max timestamp (-3) and by timestamp.
#include "broker/kafka/handlers/handlers.h"

namespace karst::broker::kafka {

void HandleListOffsets(BrokerContext& ctx, const RequestInfo& /*info*/,
                       const kp::ListOffsetsRequest& request,
                       const Reply<kp::ListOffsetsResponse>& reply) {
  std::shared_ptr<const controller::MetadataImage> image = ctx.image();
  kp::ListOffsetsResponse response;
  for (const auto& topic : request.topics) {
    kp::ListOffsetsResponse::ListOffsetsTopicResponse& t = response.topics.emplace_back();
    t.name = topic.name;
    const controller::TopicImage* known = image->FindTopic(topic.name);
    for (const auto& partition : topic.partitions) {
      kp::ListOffsetsResponse::ListOffsetsPartitionResponse& p = t.partitions.emplace_back();
      p.partition_index = partition.partition_index;
      std::shared_ptr<replication::Partition> replica =
          ctx.partitions->Get({topic.name, partition.partition_index});
      if (known == nullptr || !known->partitions.contains(partition.partition_index)) {
        p.error_code = static_cast<int16_t>(ErrorCode::kUnknownTopicOrPartition);
        continue;
      }
      if (replica == nullptr) {
        p.error_code = static_cast<int16_t>(ErrorCode::kNotLeaderOrFollower);
        continue;
      }
      replication::Partition::ListedOffset listed =
          replica->ListOffset(partition.timestamp, LeaderEpoch(partition.current_leader_epoch));
      p.error_code = static_cast<int16_t>(listed.error);
      p.offset = listed.offset.value();
      p.timestamp = listed.timestamp;
      p.leader_epoch = listed.leader_epoch.value();
    }
  }
  reply(response);
}

}  // namespace karst::broker::kafka

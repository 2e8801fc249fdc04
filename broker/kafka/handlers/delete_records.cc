// DeleteRecords (key 21): served by each partition's leader, which moves its log start offset
// (at most to the high watermark; -1 means the high watermark). Followers follow the leader's
// log start on their next fetch.
// TODO(#7): Kafka answers once every replica's log start passed the offset (the low watermark
// over all replicas); this answers with the leader's.
#include "broker/kafka/handlers/handlers.h"

namespace karst::broker::kafka {

void HandleDeleteRecords(BrokerContext& ctx, const RequestInfo& /*info*/,
                         const kp::DeleteRecordsRequest& request,
                         const Reply<kp::DeleteRecordsResponse>& reply) {
  std::shared_ptr<const controller::MetadataImage> image = ctx.image();
  kp::DeleteRecordsResponse response;
  for (const auto& topic : request.topics) {
    auto& t = response.topics.emplace_back();
    t.name = topic.name;
    const controller::TopicImage* known = image->FindTopic(topic.name);
    for (const auto& partition : topic.partitions) {
      auto& p = t.partitions.emplace_back();
      p.partition_index = partition.partition_index;
      p.low_watermark = -1;
      std::shared_ptr<replication::Partition> replica =
          ctx.partitions->Get({topic.name, partition.partition_index});
      if (known == nullptr || !known->partitions.contains(partition.partition_index)) {
        p.error_code = static_cast<int16_t>(ErrorCode::kUnknownTopicOrPartition);
      } else if (replica == nullptr) {
        p.error_code = static_cast<int16_t>(ErrorCode::kNotLeaderOrFollower);
      } else {
        auto [error, low_watermark] = replica->DeleteRecordsAsLeader(Offset(partition.offset));
        p.error_code = static_cast<int16_t>(error);
        p.low_watermark = low_watermark.value();
      }
    }
  }
  reply(response);
}

}  // namespace karst::broker::kafka

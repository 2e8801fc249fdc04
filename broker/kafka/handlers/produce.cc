// Produce (key 0): appends each partition's batches on the leader; acks=0 and 1 answer after
// the local append, acks=-1 once the high watermark passes the records (or at the request's
// timeout), with min.insync.replicas checked before appending (NOT_ENOUGH_REPLICAS) and after
// (NOT_ENOUGH_REPLICAS_AFTER_APPEND), as Kafka does. Clients may not write internal topics.
#include <memory>
#include <mutex>

#include "broker/kafka/handlers/handlers.h"
#include "controller/metadata/broker_configs.h"

namespace karst::broker::kafka {
namespace {

using PartitionResponse = kp::ProduceResponse::PartitionProduceResponse;

struct Waiting {
  size_t topic = 0;
  size_t partition = 0;
  std::shared_ptr<replication::Partition> replica;
  Offset last_offset;
  LeaderEpoch epoch;
  int32_t min_isr = 1;
};

// A produce waiting for replication; the purgatory serialises its callbacks.
struct PendingProduce {
  kp::ProduceResponse response;
  std::vector<Waiting> waiting;
  Reply<kp::ProduceResponse> reply;
};

void SetCurrentLeader(const controller::MetadataImage& image, const std::string& topic,
                      int32_t partition, PartitionResponse* out) {
  const controller::TopicImage* t = image.FindTopic(topic);
  if (t == nullptr) return;
  auto p = t->partitions.find(partition);
  if (p == t->partitions.end()) return;
  out->current_leader.leader_id = p->second.leader.value();
  out->current_leader.leader_epoch = p->second.leader_epoch.value();
}

}  // namespace

void HandleProduce(BrokerContext& ctx, const RequestInfo& info, kp::ProduceRequest request,
                   Reply<kp::ProduceResponse> reply) {
  std::shared_ptr<const controller::MetadataImage> image = ctx.image();
  auto pending = std::make_shared<PendingProduce>();
  pending->reply = std::move(reply);
  const bool valid_acks = request.acks == 0 || request.acks == 1 || request.acks == -1;
  std::vector<replication::TopicPartition> keys;
  for (const auto& topic : request.topic_data) {
    kp::ProduceResponse::TopicProduceResponse& t = pending->response.responses.emplace_back();
    t.name = topic.name;
    const controller::TopicImage* known = image->FindTopic(topic.name);
    // The topic's value, else this broker's dynamic one (KIP-226), else its static one.
    const int32_t min_isr =
        TopicInt(*image, topic.name, "min.insync.replicas",
                 static_cast<int32_t>(controller::EffectiveBrokerInt(
                     *image, ctx.self, "min.insync.replicas", ctx.settings.min_insync_replicas)));
    const int32_t max_bytes =
        TopicInt(*image, topic.name, "max.message.bytes",
                 static_cast<int32_t>(controller::EffectiveBrokerInt(
                     *image, ctx.self, "message.max.bytes", ctx.settings.message_max_bytes)));
    for (const auto& data : topic.partition_data) {
      PartitionResponse& p = t.partition_responses.emplace_back();
      p.index = data.index;
      p.base_offset = -1;
      const replication::TopicPartition tp{topic.name, data.index};
      std::shared_ptr<replication::Partition> replica = ctx.partitions->Get(tp);
      ErrorCode error = ErrorCode::kNone;
      if (!valid_acks) {
        error = ErrorCode::kInvalidRequiredAcks;
      } else if (known == nullptr || !known->partitions.contains(data.index)) {
        error = ErrorCode::kUnknownTopicOrPartition;
      } else if (topic.name == kOffsetsTopic || topic.name == "__transaction_state") {
        // Kafka: "Cannot append to internal topic"; only the coordinators write there.
        error = ErrorCode::kInvalidTopicException;
        p.error_message = "Cannot append to internal topic " + topic.name;
      } else if (replica == nullptr) {
        error = ErrorCode::kNotLeaderOrFollower;
      } else {
        replication::AppendOutcome out =
            replica->AppendAsLeader(data.records.value_or(""), request.acks, min_isr, max_bytes);
        error = out.error;
        if (!out.message.empty() && error != ErrorCode::kNone) p.error_message = out.message;
        p.log_start_offset = out.log_start_offset.value();
        if (out.last_offset.value() >= 0) {
          p.base_offset = out.base_offset.value();
          if (ctx.metrics != nullptr) {
            ctx.metrics->RecordProduce(topic.name,
                                       static_cast<int64_t>(data.records.value_or("").size()),
                                       out.last_offset.value() - out.base_offset.value() + 1);
          }
          // Followers waiting in a fetch long poll see the new records.
          ctx.partitions->purgatory().Notify(tp);
          if (request.acks == -1 && error == ErrorCode::kNone) {
            pending->waiting.push_back({.topic = pending->response.responses.size() - 1,
                                        .partition = t.partition_responses.size() - 1,
                                        .replica = replica,
                                        .last_offset = out.last_offset,
                                        .epoch = out.leader_epoch,
                                        .min_isr = min_isr});
            keys.push_back(tp);
          }
        }
      }
      p.error_code = static_cast<int16_t>(error);
      if (error == ErrorCode::kNotLeaderOrFollower && info.version >= 10) {
        SetCurrentLeader(*image, topic.name, data.index, &p);
      }
    }
  }
  if (pending->waiting.empty()) {
    pending->reply(pending->response);
    return;
  }
  auto partition_of = [](PendingProduce& p, const Waiting& w) -> PartitionResponse& {
    return p.response.responses[w.topic].partition_responses[w.partition];
  };
  ctx.partitions->purgatory().Add(
      keys, absl::Milliseconds(std::max(0, request.timeout_ms)),
      {.try_complete =
           [pending, partition_of] {
             for (auto it = pending->waiting.begin(); it != pending->waiting.end();) {
               std::optional<ErrorCode> done =
                   it->replica->CheckReplicated(it->last_offset, it->epoch, it->min_isr);
               if (!done.has_value()) {
                 ++it;
                 continue;
               }
               partition_of(*pending, *it).error_code = static_cast<int16_t>(*done);
               it = pending->waiting.erase(it);
             }
             if (!pending->waiting.empty()) return false;
             pending->reply(pending->response);
             return true;
           },
       .expire =
           [pending, partition_of] {
             for (const Waiting& w : pending->waiting) {
               partition_of(*pending, w).error_code =
                   static_cast<int16_t>(ErrorCode::kRequestTimedOut);
             }
             pending->reply(pending->response);
           }});
}

}  // namespace karst::broker::kafka

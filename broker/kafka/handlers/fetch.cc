// Fetch (key 1): reads each partition from the leader, consumers up to the high watermark and
// followers (replica id >= 0) up to the log end, recording the follower's progress; request
// and partition byte limits with at least one batch for the first partition that has data
// (KIP-74); a long poll waits (in the purgatory) until data arrives or max_wait_ms passes.
// Session id 0 is answered with full responses (CLIENTS.md rule 4).
#include <memory>

#include "broker/kafka/handlers/handlers.h"

namespace karst::broker::kafka {
namespace {

struct Wanted {
  replication::TopicPartition tp;
  std::string topic_id;
  const kp::FetchRequest::FetchPartition* request = nullptr;
  ErrorCode error = ErrorCode::kNone;  // Set when the topic or partition is unknown here.
  std::shared_ptr<replication::Partition> replica;
};

struct PendingFetch {
  kp::FetchRequest request;
  RequestInfo info;
  std::vector<Wanted> wanted;
  Reply<kp::FetchResponse> reply;
  NodeId replica{-1};
  replication::FetchIsolation isolation = replication::FetchIsolation::kHighWatermark;
};

// Reads every wanted partition into `response`; `buffers` keep the records alive. Returns
// the bytes read and whether any partition answered an error.
int64_t ReadAll(BrokerContext& ctx, PendingFetch& fetch, kp::FetchResponse* response,
                std::vector<std::unique_ptr<char[]>>* buffers, bool* any_error) {
  int64_t budget = std::max(0, fetch.request.max_bytes);
  int64_t total = 0;
  const bool by_id = fetch.info.version >= 13;
  for (Wanted& w : fetch.wanted) {
    if (response->responses.empty() ||
        (by_id ? FromUuid(response->responses.back().topic_id) != w.topic_id
               : response->responses.back().topic != w.tp.topic)) {
      kp::FetchResponse::FetchableTopicResponse& t = response->responses.emplace_back();
      t.topic = w.tp.topic;
      t.topic_id = ToUuid(w.topic_id);
    }
    kp::FetchResponse::PartitionData& p = response->responses.back().partitions.emplace_back();
    p.partition_index = w.tp.partition;
    p.high_watermark = -1;
    p.records = absl::string_view();
    if (w.error != ErrorCode::kNone) {
      p.error_code = static_cast<int16_t>(w.error);
      *any_error = true;
      continue;
    }
    const int64_t limit = std::min<int64_t>(std::max(0, w.request->partition_max_bytes), budget);
    bool moved = false;
    replication::ReadOutcome out = w.replica->Read(
        Offset(w.request->fetch_offset), static_cast<size_t>(std::max<int64_t>(limit, 0)),
        fetch.isolation, LeaderEpoch(w.request->current_leader_epoch), fetch.replica, &moved);
    if (moved) ctx.partitions->purgatory().Notify(w.tp);
    p.error_code = static_cast<int16_t>(out.error);
    p.high_watermark = out.high_watermark.value();
    p.last_stable_offset = out.high_watermark.value();
    p.log_start_offset = out.log_start_offset.value();
    if (out.error != ErrorCode::kNone) {
      *any_error = true;
      continue;
    }
    int64_t size = static_cast<int64_t>(out.records.size());
    // Log::Read returns at least one batch; only the first partition with data may exceed
    // the request's remaining budget (KIP-74).
    if (size > budget && total > 0) size = 0;
    if (size > 0) {
      if (ctx.metrics != nullptr) {
        ctx.metrics->RecordFetch(w.tp.topic, size, fetch.replica.value() >= 0);
      }
      p.records = out.records;
      buffers->push_back(std::move(out.buffer));
      total += size;
      budget = std::max<int64_t>(0, budget - size);
    }
  }
  return total;
}

void Respond(BrokerContext& ctx, PendingFetch& fetch) {
  kp::FetchResponse response;
  std::vector<std::unique_ptr<char[]>> buffers;
  bool any_error = false;
  ReadAll(ctx, fetch, &response, &buffers, &any_error);
  fetch.reply(response);
}

}  // namespace

void HandleFetch(BrokerContext& ctx, const RequestInfo& info, kp::FetchRequest request,
                 Reply<kp::FetchResponse> reply) {
  std::shared_ptr<const controller::MetadataImage> image = ctx.image();
  auto fetch = std::make_shared<PendingFetch>();
  fetch->request = std::move(request);
  fetch->info = info;
  fetch->reply = std::move(reply);
  const int32_t replica =
      info.version >= 15 ? fetch->request.replica_state.replica_id : fetch->request.replica_id;
  if (replica >= 0) {
    fetch->replica = NodeId(replica);
    fetch->isolation = replication::FetchIsolation::kLogEnd;
  }
  std::vector<replication::TopicPartition> keys;
  for (const auto& topic : fetch->request.topics) {
    const controller::TopicImage* known = nullptr;
    if (info.version >= 13) {
      auto it = image->topics.find(FromUuid(topic.topic_id));
      if (it != image->topics.end()) known = &it->second;
    } else {
      known = image->FindTopic(topic.topic);
    }
    for (const auto& partition : topic.partitions) {
      Wanted& w = fetch->wanted.emplace_back();
      w.tp = {known != nullptr ? known->name : topic.topic, partition.partition};
      w.topic_id = known != nullptr ? known->id : FromUuid(topic.topic_id);
      w.request = &partition;
      if (known == nullptr) {
        w.error =
            info.version >= 13 ? ErrorCode::kUnknownTopicId : ErrorCode::kUnknownTopicOrPartition;
      } else if (!known->partitions.contains(partition.partition)) {
        w.error = ErrorCode::kUnknownTopicOrPartition;
      } else if ((w.replica = ctx.partitions->Get(w.tp)) == nullptr) {
        w.error = ErrorCode::kNotLeaderOrFollower;
      } else {
        keys.push_back(w.tp);
      }
    }
  }
  kp::FetchResponse response;
  std::vector<std::unique_ptr<char[]>> buffers;
  bool any_error = false;
  const int64_t bytes = ReadAll(ctx, *fetch, &response, &buffers, &any_error);
  if (fetch->request.max_wait_ms <= 0 || bytes >= std::max(1, fetch->request.min_bytes) ||
      any_error || keys.empty()) {
    fetch->reply(response);
    return;
  }
  // Long poll: answer when enough is readable (offsets stand in for bytes: every client's
  // fetch.min.bytes is 1) or at max_wait_ms.
  BrokerContext* context = &ctx;
  ctx.partitions->purgatory().Add(
      keys, absl::Milliseconds(fetch->request.max_wait_ms),
      {.try_complete =
           [context, fetch] {
             int64_t available = 0;
             for (const Wanted& w : fetch->wanted) {
               if (w.replica == nullptr) continue;
               if (w.replica->role() != replication::Role::kLeader) {
                 available = INT64_MAX;  // Leadership moved: tell the client now.
                 break;
               }
               available +=
                   w.replica->BytesAvailable(Offset(w.request->fetch_offset), fetch->isolation);
             }
             if (available == 0) return false;
             Respond(*context, *fetch);
             return true;
           },
       .expire = [context, fetch] { Respond(*context, *fetch); }});
}

}  // namespace karst::broker::kafka

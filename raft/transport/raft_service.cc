#include "raft/transport/raft_service.h"

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "raft/transport/convert.h"

namespace karst::raft {
namespace {

grpc::Status Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

}  // namespace

RaftService::RaftService(Options options, std::function<bool(NodeId)> is_peer,
                         std::function<void(Message)> on_message, TransportCounters& counters)
    : options_(std::move(options)),
      is_peer_(std::move(is_peer)),
      on_message_(std::move(on_message)),
      counters_(counters) {}

grpc::Status RaftService::Send(grpc::ServerContext*, const proto::MessageBatch* batch,
                               proto::SendResponse*) {
  grpc::Status checked = CheckSender(batch->cluster_id(), batch->from(), batch->to());
  if (!checked.ok()) return Refuse(checked);
  // Convert everything before delivering anything, so a refused batch has no effect.
  std::vector<Message> messages;
  messages.reserve(batch->messages_size());
  for (const proto::Message& message : batch->messages()) {
    if (message.from() != batch->from() || message.to() != batch->to()) {
      return Refuse(Invalid(absl::StrCat("batch from node ", batch->from(), " to node ",
                                         batch->to(), ": holds a message from node ",
                                         message.from(), " to node ", message.to())));
    }
    absl::StatusOr<Message> converted = FromProto(message);
    if (!converted.ok()) return Refuse(Invalid(std::string(converted.status().message())));
    if (converted->type == MessageType::kSnapshot) {
      return Refuse(Invalid(absl::StrCat("batch from node ", batch->from(),
                                         ": snapshot messages go through InstallSnapshot")));
    }
    messages.push_back(*std::move(converted));
  }
  for (Message& message : messages) Deliver(std::move(message));
  return grpc::Status::OK;
}

grpc::Status RaftService::InstallSnapshot(grpc::ServerContext* context,
                                          grpc::ServerReader<proto::SnapshotChunk>* reader,
                                          proto::SendResponse*) {
  proto::SnapshotChunk chunk;
  if (!reader->Read(&chunk)) return Refuse(Invalid("snapshot stream ended before its header"));
  if (!chunk.has_header()) return Refuse(Invalid("snapshot stream: first chunk is not a header"));
  const proto::SnapshotHeader& header = chunk.header();
  const proto::Message& head = header.message();
  grpc::Status checked = CheckSender(header.cluster_id(), head.from(), head.to());
  if (!checked.ok()) return Refuse(checked);
  absl::StatusOr<Message> message = FromProto(head);
  if (!message.ok()) return Refuse(Invalid(std::string(message.status().message())));
  std::string from = absl::StrCat("snapshot from node ", head.from());
  if (message->type != MessageType::kSnapshot) {
    return Refuse(Invalid(
        absl::StrCat(from, ": header holds a ", MessageTypeName(message->type), " message")));
  }
  const uint64_t total = header.data_bytes();
  if (total > options_.max_snapshot_bytes) {
    return Refuse(Invalid(absl::StrCat(from, ": ", total, " bytes exceed the limit of ",
                                       options_.max_snapshot_bytes)));
  }
  std::string data;
  data.reserve(total);  // Bounded by max_snapshot_bytes just above.
  while (reader->Read(&chunk)) {
    if (!chunk.has_data()) return Refuse(Invalid(absl::StrCat(from, ": a second header")));
    if (data.size() + chunk.data().size() > total) {
      return Refuse(Invalid(absl::StrCat(from, ": more than the announced ", total, " bytes")));
    }
    data.append(chunk.data());
  }
  // Read() also ends when the sender cancels or the deadline passes: deliver nothing then.
  if (context->IsCancelled()) {
    return Refuse(grpc::Status(grpc::StatusCode::CANCELLED, from + ": cancelled"));
  }
  if (data.size() != total) {
    return Refuse(
        Invalid(absl::StrCat(from, ": stream ended after ", data.size(), " of ", total, " bytes")));
  }
  message->snapshot.data = std::move(data);
  Deliver(*std::move(message));
  return grpc::Status::OK;
}

grpc::Status RaftService::CheckSender(const std::string& cluster_id, int32_t from,
                                      int32_t to) const {
  if (cluster_id != options_.cluster_id) {
    return grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        absl::StrCat("node ", options_.self.value(), " is in cluster \"", options_.cluster_id,
                     "\", not \"", cluster_id, "\" (message from node ", from, ")"));
  }
  if (to != options_.self.value()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("this is node ", options_.self.value(), ", not node ", to,
                                     " (message from node ", from, ")"));
  }
  if (!is_peer_(NodeId(from))) {
    return grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        absl::StrCat("node ", options_.self.value(), ": node ", from, " is not a known peer"));
  }
  return grpc::Status::OK;
}

grpc::Status RaftService::Refuse(grpc::Status status) {
  counters_.Add(&TransportCounts::rpcs_refused);
  return status;
}

void RaftService::Deliver(Message message) {
  counters_.Add(&TransportCounts::messages_received);
  on_message_(std::move(message));
}

}  // namespace karst::raft

#include "raft/transport/convert.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace karst::raft {

proto::ConfState ToProto(const ConfState& conf_state) {
  proto::ConfState out;
  for (NodeId voter : conf_state.voters) out.add_voters(voter.value());
  for (NodeId learner : conf_state.learners) out.add_learners(learner.value());
  return out;
}

ConfState FromProto(const proto::ConfState& conf_state) {
  ConfState out;
  for (int32_t voter : conf_state.voters()) out.voters.insert(NodeId(voter));
  for (int32_t learner : conf_state.learners()) out.learners.insert(NodeId(learner));
  return out;
}

proto::SnapshotMetadata ToProto(const SnapshotMetadata& metadata) {
  proto::SnapshotMetadata out;
  out.set_index(metadata.index.value());
  out.set_term(metadata.term.value());
  *out.mutable_conf_state() = ToProto(metadata.conf_state);
  return out;
}

SnapshotMetadata FromProto(const proto::SnapshotMetadata& metadata) {
  SnapshotMetadata out;
  out.index = LogIndex(metadata.index());
  out.term = Term(metadata.term());
  out.conf_state = FromProto(metadata.conf_state());
  return out;
}

proto::Entry ToProto(Entry entry) {
  proto::Entry out;
  out.set_term(entry.term.value());
  out.set_index(entry.index.value());
  out.set_type(entry.type == EntryType::kConfChange ? proto::Entry::CONF_CHANGE
                                                    : proto::Entry::NORMAL);
  out.set_data(std::move(entry.data));
  return out;
}

absl::StatusOr<Entry> FromProto(const proto::Entry& entry) {
  Entry out;
  out.term = Term(entry.term());
  out.index = LogIndex(entry.index());
  switch (entry.type()) {
    case proto::Entry::NORMAL:
      out.type = EntryType::kNormal;
      break;
    case proto::Entry::CONF_CHANGE:
      out.type = EntryType::kConfChange;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("entry ", entry.index(), ": unknown entry type ", entry.type()));
  }
  out.data = entry.data();
  return out;
}

proto::MessageType ToProto(MessageType type) {
  switch (type) {
    case MessageType::kPreVote:
      return proto::PRE_VOTE;
    case MessageType::kPreVoteResponse:
      return proto::PRE_VOTE_RESPONSE;
    case MessageType::kVote:
      return proto::VOTE;
    case MessageType::kVoteResponse:
      return proto::VOTE_RESPONSE;
    case MessageType::kAppend:
      return proto::APPEND;
    case MessageType::kAppendResponse:
      return proto::APPEND_RESPONSE;
    case MessageType::kSnapshot:
      return proto::SNAPSHOT;
    case MessageType::kTimeoutNow:
      return proto::TIMEOUT_NOW;
    case MessageType::kHeartbeat:
      return proto::HEARTBEAT;
    case MessageType::kHeartbeatResponse:
      return proto::HEARTBEAT_RESPONSE;
  }
  return proto::MESSAGE_TYPE_UNSPECIFIED;
}

absl::StatusOr<MessageType> FromProto(proto::MessageType type) {
  switch (type) {
    case proto::PRE_VOTE:
      return MessageType::kPreVote;
    case proto::PRE_VOTE_RESPONSE:
      return MessageType::kPreVoteResponse;
    case proto::VOTE:
      return MessageType::kVote;
    case proto::VOTE_RESPONSE:
      return MessageType::kVoteResponse;
    case proto::APPEND:
      return MessageType::kAppend;
    case proto::APPEND_RESPONSE:
      return MessageType::kAppendResponse;
    case proto::SNAPSHOT:
      return MessageType::kSnapshot;
    case proto::TIMEOUT_NOW:
      return MessageType::kTimeoutNow;
    case proto::HEARTBEAT:
      return MessageType::kHeartbeat;
    case proto::HEARTBEAT_RESPONSE:
      return MessageType::kHeartbeatResponse;
    default:
      return absl::InvalidArgumentError(absl::StrCat("unknown message type ", type));
  }
}

proto::Message ToProto(Message message) {
  proto::Message out;
  out.set_type(ToProto(message.type));
  out.set_from(message.from.value());
  out.set_to(message.to.value());
  out.set_term(message.term.value());
  out.set_index(message.index.value());
  out.set_log_term(message.log_term.value());
  out.mutable_entries()->Reserve(static_cast<int>(message.entries.size()));
  for (Entry& entry : message.entries) *out.add_entries() = ToProto(std::move(entry));
  out.set_commit(message.commit.value());
  out.set_reject(message.reject);
  out.set_reject_hint(message.reject_hint.value());
  // Only snapshot messages normally carry metadata; leaving it unset keeps the rest small.
  if (message.type == MessageType::kSnapshot || message.snapshot.metadata != SnapshotMetadata{}) {
    *out.mutable_snapshot() = ToProto(message.snapshot.metadata);
  }
  out.set_context(std::move(message.context));
  return out;
}

absl::StatusOr<Message> FromProto(const proto::Message& message) {
  Message out;
  out.from = NodeId(message.from());
  out.to = NodeId(message.to());
  absl::StatusOr<MessageType> type = FromProto(message.type());
  if (!type.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("message from node ", message.from(),
                                                   " to node ", message.to(), ": ",
                                                   type.status().message()));
  }
  out.type = *type;
  out.term = Term(message.term());
  out.index = LogIndex(message.index());
  out.log_term = Term(message.log_term());
  out.entries.reserve(message.entries_size());
  for (const proto::Entry& entry : message.entries()) {
    absl::StatusOr<Entry> converted = FromProto(entry);
    if (!converted.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("message from node ", message.from(),
                                                     " to node ", message.to(), ": ",
                                                     converted.status().message()));
    }
    out.entries.push_back(*std::move(converted));
  }
  out.commit = LogIndex(message.commit());
  out.reject = message.reject();
  out.reject_hint = LogIndex(message.reject_hint());
  out.snapshot.metadata = FromProto(message.snapshot());
  out.context = message.context();
  return out;
}

}  // namespace karst::raft

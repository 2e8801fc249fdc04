// Conversions between the Raft core's values (raft/core/types.h) and their protobuf form
// (proto/raft.proto), for GrpcTransport. Pure functions of their arguments; thread-safe.
// A message's snapshot data never goes into a proto::Message: it travels separately, in
// InstallSnapshot's data chunks.
#ifndef KARST_RAFT_TRANSPORT_CONVERT_H_
#define KARST_RAFT_TRANSPORT_CONVERT_H_

#include "absl/status/statusor.h"
#include "proto/raft.pb.h"
#include "raft/core/types.h"

namespace karst::raft {

proto::ConfState ToProto(const ConfState& conf_state);
ConfState FromProto(const proto::ConfState& conf_state);

proto::SnapshotMetadata ToProto(const SnapshotMetadata& metadata);
SnapshotMetadata FromProto(const proto::SnapshotMetadata& metadata);

// By value: the data moves into the proto when the caller passes an rvalue.
proto::Entry ToProto(Entry entry);
// kInvalidArgument for an entry type this build does not know, naming the entry's index.
absl::StatusOr<Entry> FromProto(const proto::Entry& entry);

proto::MessageType ToProto(MessageType type);
// kInvalidArgument for MESSAGE_TYPE_UNSPECIFIED or a value this build does not know.
absl::StatusOr<MessageType> FromProto(proto::MessageType type);

// Everything but `message.snapshot.data`, which is dropped. By value, as for entries.
proto::Message ToProto(Message message);
// kInvalidArgument for an unknown message or entry type, naming the sender and receiver. The
// result's snapshot data is empty.
absl::StatusOr<Message> FromProto(const proto::Message& message);

}  // namespace karst::raft

#endif  // KARST_RAFT_TRANSPORT_CONVERT_H_

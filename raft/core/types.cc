#include "raft/core/types.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace karst::raft {

std::string EncodeConfChange(const ConfChange& change) {
  return absl::StrCat(static_cast<int>(change.type), ":", change.node.value());
}

std::optional<ConfChange> DecodeConfChange(const std::string& data) {
  const size_t colon = data.find(':');
  int type = 0;
  int32_t node = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(data.substr(0, colon), &type) ||
      !absl::SimpleAtoi(data.substr(colon + 1), &node) || type < 0 || type > 2) {
    return std::nullopt;
  }
  return ConfChange{static_cast<ConfChange::Type>(type), NodeId(node)};
}

const char* MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kPreVote:
      return "PreVote";
    case MessageType::kPreVoteResponse:
      return "PreVoteResponse";
    case MessageType::kVote:
      return "Vote";
    case MessageType::kVoteResponse:
      return "VoteResponse";
    case MessageType::kAppend:
      return "Append";
    case MessageType::kAppendResponse:
      return "AppendResponse";
    case MessageType::kSnapshot:
      return "Snapshot";
    case MessageType::kTimeoutNow:
      return "TimeoutNow";
    case MessageType::kHeartbeat:
      return "Heartbeat";
    case MessageType::kHeartbeatResponse:
      return "HeartbeatResponse";
  }
  return "Unknown";
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "unknown";
}

}  // namespace karst::raft

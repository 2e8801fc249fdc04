// The values the Raft core consumes and produces: log entries, messages between peers,
// hard state, cluster configuration, snapshots and the Ready batch. Plain values.
#ifndef KARST_RAFT_CORE_TYPES_H_
#define KARST_RAFT_CORE_TYPES_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/strong_id.h"

namespace karst::raft {

inline constexpr NodeId kNoNode{-1};

enum class EntryType : int8_t {
  kNormal = 0,
  kConfChange = 1,  // data is an encoded ConfChange.
};

struct Entry {
  Term term{0};
  LogIndex index{0};
  EntryType type = EntryType::kNormal;
  std::string data;
  bool operator==(const Entry&) const = default;
};

// One membership change: a server at a time (Raft thesis §4.1).
struct ConfChange {
  enum class Type : int8_t { kAddVoter = 0, kAddLearner = 1, kRemove = 2 };
  Type type = Type::kAddVoter;
  NodeId node = kNoNode;
  bool operator==(const ConfChange&) const = default;
};
std::string EncodeConfChange(const ConfChange& change);
std::optional<ConfChange> DecodeConfChange(const std::string& data);

// The cluster's members. Learners receive the log but neither vote nor count for commit.
struct ConfState {
  std::set<NodeId> voters;
  std::set<NodeId> learners;
  bool operator==(const ConfState&) const = default;
};

// What must be durable before any message that depends on it is sent (Raft Fig. 2).
struct HardState {
  Term term{0};
  NodeId vote = kNoNode;
  LogIndex commit{0};
  bool operator==(const HardState&) const = default;
};

struct SnapshotMetadata {
  LogIndex index{0};  // The last index the snapshot covers.
  Term term{0};
  ConfState conf_state;
  bool operator==(const SnapshotMetadata&) const = default;
};

struct Snapshot {
  SnapshotMetadata metadata;
  std::string data;
  bool empty() const { return metadata.index == LogIndex(0); }
  bool operator==(const Snapshot&) const = default;
};

enum class MessageType : int8_t {
  kPreVote,  // Thesis §9.6: would you vote for me? No term change on either side.
  kPreVoteResponse,
  kVote,  // §5.2 RequestVote.
  kVoteResponse,
  kAppend,  // §5.3 AppendEntries (also the heartbeat when entries is empty).
  kAppendResponse,
  kSnapshot,    // §7 InstallSnapshot (answered by kAppendResponse).
  kTimeoutNow,  // Thesis §3.10: leadership transfer, start an election now.
  kHeartbeat,   // Carries commit and a read context; answered by kHeartbeatResponse.
  kHeartbeatResponse,
};

const char* MessageTypeName(MessageType type);

struct Message {
  MessageType type = MessageType::kAppend;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term{0};
  // kAppend: the entry before `entries`. kVote/kPreVote: the candidate's last entry.
  // kAppendResponse: the last index the follower now matches (or the rejected index).
  LogIndex index{0};
  Term log_term{0};
  std::vector<Entry> entries;
  LogIndex commit{0};
  bool reject = false;
  LogIndex reject_hint{0};  // A rejected append: the follower's last index.
  Snapshot snapshot;        // kSnapshot.
  std::string context;      // kHeartbeat(Response): a ReadIndex request's context.
  bool operator==(const Message&) const = default;
};

// A linearizable read may be served once the state machine has applied `index`.
struct ReadState {
  LogIndex index{0};
  std::string context;
  bool operator==(const ReadState&) const = default;
};

enum class Role : int8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* RoleName(Role role);

// Everything the driver must do, in this order: persist `hard_state`, `snapshot` and
// `entries` (syncing when `must_sync`), then send `messages`, then apply `snapshot` and
// `committed` to the state machine, then call Core::Advance().
struct Ready {
  std::optional<HardState> hard_state;  // Set when it changed.
  std::vector<Entry> entries;           // New entries to append (may replace a suffix).
  std::optional<Snapshot> snapshot;     // A snapshot to install.
  std::vector<Entry> committed;         // Entries to apply, in order.
  std::vector<Message> messages;
  std::vector<ReadState> read_states;
  bool must_sync = false;
  // Soft state, for the driver's notifications (not persisted).
  NodeId leader = kNoNode;
  Role role = Role::kFollower;
};

}  // namespace karst::raft

#endif  // KARST_RAFT_CORE_TYPES_H_

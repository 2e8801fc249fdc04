// StateMachine: what a Raft group replicates. The node driver calls it on its own thread, in
// log order: each committed normal entry is applied exactly once per process lifetime (after
// a restart, from the latest snapshot on).
#ifndef KARST_RAFT_NODE_STATE_MACHINE_H_
#define KARST_RAFT_NODE_STATE_MACHINE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "raft/core/types.h"

namespace karst::raft {

class StateMachine {
 public:
  virtual ~StateMachine() = default;
  virtual void Apply(LogIndex index, absl::string_view data) = 0;
  // The state as of the last applied index, for a snapshot.
  virtual std::string TakeSnapshot() = 0;
  // Replaces the whole state with a snapshot's.
  virtual void Restore(const SnapshotMetadata& metadata, absl::string_view data) = 0;
};

// Carries messages to peers. Send must not block for long (queue and return); losing a
// message is allowed (Raft retries).
class Transport {
 public:
  virtual ~Transport() = default;
  virtual void Send(Message message) = 0;
};

}  // namespace karst::raft

#endif  // KARST_RAFT_NODE_STATE_MACHINE_H_

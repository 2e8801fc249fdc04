// LogStore: the durable Raft log the driver writes and the core reads (through LogReader):
// entries by index, the hard state (term, vote, commit) and the latest snapshot. Only the
// driver thread writes it. Implementations: RocksDbLogStore (production) and
// testing::MemLog (tests and simulation).
#ifndef KARST_RAFT_NODE_LOG_STORE_H_
#define KARST_RAFT_NODE_LOG_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "raft/core/log_reader.h"
#include "raft/core/types.h"

namespace karst::raft {

class LogStore : public LogReader {
 public:
  // Persists a Ready's durable parts as one atomic batch: a snapshot (replacing the whole log),
  // then entries (replacing any existing suffix from entries[0].index), then the hard state.
  // With `sync` the batch is durable when this returns (Ready::must_sync). Errors are fatal to
  // the node (the caller fail-stops): kInternal naming what failed.
  virtual absl::Status Save(const std::optional<HardState>& hard_state,
                            const std::optional<Snapshot>& snapshot,
                            const std::vector<Entry>& entries, bool sync) = 0;

  // Records a snapshot of the state machine at `index` (<= the applied index) with `conf` and
  // `data`, and drops the entries it covers. Durable on return.
  virtual absl::Status Compact(LogIndex index, const ConfState& conf, std::string data) = 0;
};

}  // namespace karst::raft

#endif  // KARST_RAFT_NODE_LOG_STORE_H_

// LogReader: the core's read-only view of the durable Raft log. Only raft/node (and test
// fakes) write it; the core reads entries, terms and the latest snapshot through it.
// Indexes: entries (FirstIndex()..LastIndex()) follow the snapshot at FirstIndex() - 1.
#ifndef KARST_RAFT_CORE_LOG_READER_H_
#define KARST_RAFT_CORE_LOG_READER_H_

#include <vector>

#include "absl/status/statusor.h"
#include "raft/core/types.h"

namespace karst::raft {

class LogReader {
 public:
  virtual ~LogReader() = default;

  virtual HardState InitialHardState() const = 0;
  // The configuration as of the latest snapshot; entries after it may change it.
  virtual ConfState InitialConfState() const = 0;
  // The first index still held as an entry (snapshot index + 1).
  virtual LogIndex FirstIndex() const = 0;
  // The last durable index (the snapshot's index when no entries follow it).
  virtual LogIndex LastIndex() const = 0;
  // The term of `index`, for FirstIndex() - 1 <= index <= LastIndex(); kOutOfRange (compacted)
  // or kNotFound (past the end) otherwise.
  virtual absl::StatusOr<Term> TermAt(LogIndex index) const = 0;
  // Entries [lo, hi), at most `max_bytes` of data but at least one. REQUIRES:
  // FirstIndex() <= lo < hi <= LastIndex() + 1.
  virtual std::vector<Entry> Entries(LogIndex lo, LogIndex hi, size_t max_bytes) const = 0;
  virtual Snapshot LatestSnapshot() const = 0;
};

}  // namespace karst::raft

#endif  // KARST_RAFT_CORE_LOG_READER_H_

// RaftLog: the core's view of its log: the durable part through LogReader, plus entries and a
// snapshot not yet persisted (unstable), plus the commit and apply positions. Enforces the
// Log Matching rules of Raft §5.3 on append. Single-threaded, owned by Core.
//
//   storage: [snapshot]..FirstIndex()..LastIndex()     (durable)
//   unstable:            offset_ .. offset_+n-1       (may overwrite a durable suffix)
//   applied_ <= committed_ <= LastIndex()
#ifndef KARST_RAFT_CORE_RAFT_LOG_H_
#define KARST_RAFT_CORE_RAFT_LOG_H_

#include <optional>
#include <vector>

#include "raft/core/log_reader.h"
#include "raft/core/types.h"

namespace karst::raft {

class RaftLog {
 public:
  explicit RaftLog(const LogReader& storage);

  LogIndex FirstIndex() const;
  LogIndex LastIndex() const;
  Term LastTerm() const;
  // nullopt for a compacted index or one past the end.
  std::optional<Term> TermAt(LogIndex index) const;
  bool MatchTerm(LogIndex index, Term term) const;
  // §5.4.1: is a log ending at (last_index, last_term) at least as up-to-date as ours?
  bool IsUpToDate(LogIndex last_index, Term last_term) const;

  // A follower's append (§5.3): if our entry at `index` has `term`, keep what matches, cut at
  // the first conflicting entry, append the rest and commit up to `commit`. Returns the new
  // last index of the appended run, or nullopt when (index, term) does not match.
  std::optional<LogIndex> MaybeAppend(LogIndex index, Term term, LogIndex commit,
                                      const std::vector<Entry>& entries);
  // Appends after the last entry (or replaces the suffix from entries[0].index).
  void Append(const std::vector<Entry>& entries);

  // Entries [lo, hi), at most max_bytes (at least one); empty if lo >= hi or compacted.
  std::vector<Entry> Slice(LogIndex lo, LogIndex hi, size_t max_bytes) const;

  LogIndex committed() const { return committed_; }
  LogIndex applied() const { return applied_; }
  void CommitTo(LogIndex index);
  // §5.4.2: a leader commits `index` only if it is from its own `term`.
  bool MaybeCommit(LogIndex index, Term term);

  const std::vector<Entry>& unstable_entries() const { return unstable_; }
  const std::optional<Snapshot>& unstable_snapshot() const { return unstable_snapshot_; }
  std::vector<Entry> NextCommitted() const;  // (applied, committed].
  bool HasNextCommitted() const;

  // The driver persisted everything up to `index` (with `term`) and any unstable snapshot;
  // and applied everything up to `applied`.
  void StableTo(LogIndex index, Term term);
  void StableSnapshot();
  void AppliedTo(LogIndex index);

  // Installs a snapshot from the leader: the log becomes [snapshot] with nothing after it.
  void Restore(const Snapshot& snapshot);

 private:
  std::optional<Term> UnstableTermAt(LogIndex index) const;

  const LogReader& storage_;
  std::vector<Entry> unstable_;  // Indexes offset_, offset_+1, ...
  LogIndex offset_;              // Index of unstable_[0] (or where it would be).
  std::optional<Snapshot> unstable_snapshot_;
  LogIndex committed_;
  LogIndex applied_;
};

}  // namespace karst::raft

#endif  // KARST_RAFT_CORE_RAFT_LOG_H_

#include "raft/core/raft_log.h"

#include <algorithm>

#include "absl/base/internal/raw_logging.h"

namespace karst::raft {

RaftLog::RaftLog(const LogReader& storage)
    : storage_(storage),
      offset_(storage.LastIndex().Next()),
      committed_(storage.FirstIndex().Plus(-1)),
      applied_(storage.FirstIndex().Plus(-1)) {
  const HardState hs = storage.InitialHardState();
  if (hs.commit > committed_) committed_ = std::min(hs.commit, storage.LastIndex());
}

LogIndex RaftLog::FirstIndex() const {
  if (unstable_snapshot_.has_value()) return unstable_snapshot_->metadata.index.Next();
  return storage_.FirstIndex();
}

LogIndex RaftLog::LastIndex() const {
  if (!unstable_.empty()) return unstable_.back().index;
  if (unstable_snapshot_.has_value()) return unstable_snapshot_->metadata.index;
  return storage_.LastIndex();
}

std::optional<Term> RaftLog::UnstableTermAt(LogIndex index) const {
  if (!unstable_.empty() && index >= offset_ && index <= unstable_.back().index) {
    return unstable_[static_cast<size_t>(index.value() - offset_.value())].term;
  }
  if (unstable_snapshot_.has_value() && index == unstable_snapshot_->metadata.index) {
    return unstable_snapshot_->metadata.term;
  }
  return std::nullopt;
}

std::optional<Term> RaftLog::TermAt(LogIndex index) const {
  if (std::optional<Term> t = UnstableTermAt(index)) return t;
  if (index > LastIndex() || index < FirstIndex().Plus(-1)) return std::nullopt;
  // Durable entries from offset_ on were replaced by unstable ones (handled above).
  if (unstable_snapshot_.has_value()) return std::nullopt;
  if (index >= offset_) return std::nullopt;
  absl::StatusOr<Term> t = storage_.TermAt(index);
  if (absl::IsOutOfRange(t.status()) || absl::IsNotFound(t.status())) return std::nullopt;
  if (!t.ok()) {
    // Any other failure means the log store cannot be read: fail-stop (STYLE.md §4) rather
    // than treat a lost entry as one that never existed.
    ABSL_RAW_LOG(FATAL, "raft: cannot read the term of index %ld: %s",
                 static_cast<long>(index.value()), std::string(t.status().message()).c_str());
  }
  return *t;
}

Term RaftLog::LastTerm() const { return TermAt(LastIndex()).value_or(Term(0)); }

bool RaftLog::MatchTerm(LogIndex index, Term term) const {
  std::optional<Term> t = TermAt(index);
  return t.has_value() && *t == term;
}

bool RaftLog::IsUpToDate(LogIndex last_index, Term last_term) const {
  return last_term > LastTerm() || (last_term == LastTerm() && last_index >= LastIndex());
}

std::optional<LogIndex> RaftLog::MaybeAppend(LogIndex index, Term term, LogIndex commit,
                                             const std::vector<Entry>& entries) {
  if (!MatchTerm(index, term)) return std::nullopt;
  const LogIndex last_new = index.Plus(static_cast<int64_t>(entries.size()));
  // Find the first entry that is new or conflicts (§5.3 step 3).
  size_t first_new = entries.size();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!MatchTerm(entries[i].index, entries[i].term)) {
      first_new = i;
      break;
    }
  }
  if (first_new < entries.size()) {
    ABSL_RAW_CHECK(entries[first_new].index > committed_,
                   "raft: an append conflicts with a committed entry");
    Append(std::vector<Entry>(entries.begin() + static_cast<ptrdiff_t>(first_new), entries.end()));
  }
  CommitTo(std::min(commit, last_new));
  return last_new;
}

void RaftLog::Append(const std::vector<Entry>& entries) {
  if (entries.empty()) return;
  const LogIndex first = entries.front().index;
  ABSL_RAW_CHECK(first > committed_, "raft: append below the commit index");
  ABSL_RAW_CHECK(first <= LastIndex().Next(), "raft: append leaves a gap");
  if (unstable_.empty() || first > unstable_.back().index) {
    if (unstable_.empty()) offset_ = first;
  } else if (first <= offset_) {
    // Replaces the whole unstable region (and possibly a durable suffix).
    unstable_.clear();
    offset_ = first;
  } else {
    unstable_.resize(static_cast<size_t>(first.value() - offset_.value()));
  }
  if (unstable_.empty()) offset_ = first;
  unstable_.insert(unstable_.end(), entries.begin(), entries.end());
}

std::vector<Entry> RaftLog::Slice(LogIndex lo, LogIndex hi, size_t max_bytes) const {
  std::vector<Entry> out;
  if (lo >= hi || lo < FirstIndex()) return out;
  hi = std::min(hi, LastIndex().Next());
  size_t bytes = 0;
  // Durable part first.
  if (lo < offset_ && !unstable_snapshot_.has_value()) {
    const LogIndex stop = std::min(hi, offset_);
    if (lo < stop && lo <= storage_.LastIndex()) {
      out = storage_.Entries(lo, std::min(stop, storage_.LastIndex().Next()), max_bytes);
      for (const Entry& e : out) bytes += e.data.size();
      if (out.empty() || out.back().index.Next() < stop) return out;  // Hit max_bytes.
    }
    lo = stop;
  }
  for (LogIndex i = std::max(lo, offset_); i < hi; i = i.Next()) {
    const Entry& e = unstable_[static_cast<size_t>(i.value() - offset_.value())];
    if (!out.empty() && bytes + e.data.size() > max_bytes) break;
    bytes += e.data.size();
    out.push_back(e);
  }
  return out;
}

void RaftLog::CommitTo(LogIndex index) {
  if (index <= committed_) return;
  ABSL_RAW_CHECK(index <= LastIndex(), "raft: commit past the last index");
  committed_ = index;
}

bool RaftLog::MaybeCommit(LogIndex index, Term term) {
  if (index > committed_ && MatchTerm(index, term)) {
    CommitTo(index);
    return true;
  }
  return false;
}

std::vector<Entry> RaftLog::NextCommitted() const {
  const LogIndex lo = std::max(applied_.Next(), FirstIndex());
  return Slice(lo, committed_.Next(), SIZE_MAX);
}

bool RaftLog::HasNextCommitted() const {
  return committed_ > std::max(applied_, FirstIndex().Plus(-1));
}

void RaftLog::StableTo(LogIndex index, Term term) {
  if (unstable_.empty() || index < offset_ || index > unstable_.back().index) return;
  if (unstable_[static_cast<size_t>(index.value() - offset_.value())].term != term) return;
  unstable_.erase(unstable_.begin(),
                  unstable_.begin() + static_cast<ptrdiff_t>(index.value() - offset_.value() + 1));
  offset_ = index.Next();
}

void RaftLog::StableSnapshot() { unstable_snapshot_.reset(); }

void RaftLog::AppliedTo(LogIndex index) {
  if (index <= applied_) return;
  ABSL_RAW_CHECK(index <= committed_, "raft: applied past the commit index");
  applied_ = index;
}

void RaftLog::Restore(const Snapshot& snapshot) {
  unstable_.clear();
  offset_ = snapshot.metadata.index.Next();
  unstable_snapshot_ = snapshot;
  committed_ = snapshot.metadata.index;
  applied_ = std::max(applied_, snapshot.metadata.index);
}

}  // namespace karst::raft

// RocksDbLogStore: the production LogStore, a Raft log, hard state and latest snapshot kept in
// one RocksDB database. The Raft driver thread owns it; it is not thread-safe (one writer, and
// the core reads it on the same thread).
//
// Durability: every Save() and Compact() is one rocksdb::WriteBatch, so it lands whole or not
// at all. A Save() with `sync` (and every Compact()) fsyncs the write-ahead log before
// returning, which also makes every earlier write durable. A Save() without `sync` reaches the
// operating system on return, so it survives a crash of this process, but it may be lost if the
// machine loses power first; either way the store reopens consistently (a prefix of the batches).
//
// On-disk layout (one prefix byte per kind; fixed-width big-endian integers; each value opens
// with a version byte):
//   0x01 index(8)  -> entry:         version(1) term(8) type(1) data(rest)
//   0x02           -> hard state:    version(1) term(8) vote(4) commit(8)
//   0x03           -> snapshot meta: version(1) index(8) term(8) n(4) voter(4)*n m(4) learner(4)*m
//   0x04           -> snapshot data: version(1) data(rest)
// Entry keys sort in index order. A value that does not decode is kDataLoss naming its key.
#ifndef KARST_RAFT_NODE_ROCKSDB_LOG_STORE_H_
#define KARST_RAFT_NODE_ROCKSDB_LOG_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "raft/core/types.h"
#include "raft/node/log_store.h"

namespace rocksdb {
class DB;
}  // namespace rocksdb

namespace karst::raft {

class RocksDbLogStore final : public LogStore {
 public:
  struct Options {
    // The configuration a new, empty store starts with (the bootstrap voters). It is persisted
    // when the store is created; an existing store keeps its own and ignores this.
    ConfState initial_conf_state;
    // Create the database when `path` holds none; otherwise Open() fails with kNotFound.
    bool create_if_missing = true;
  };

  // Opens (or creates) the store at directory `path`, reads and checks the hard state, the
  // snapshot metadata and data, and the first and last entries. Errors: kNotFound (no store
  // and !create_if_missing), kDataLoss (a malformed value, named by key, or a gap between the
  // snapshot and the first entry), kInternal (RocksDB failed; its message and `path`).
  static absl::StatusOr<std::unique_ptr<RocksDbLogStore>> Open(const std::string& path,
                                                               const Options& options);

  RocksDbLogStore(const RocksDbLogStore&) = delete;
  RocksDbLogStore& operator=(const RocksDbLogStore&) = delete;
  // Closes the database. Unsynced writes are already in the write-ahead log and are replayed
  // by the next Open().
  ~RocksDbLogStore() override;

  // LogReader. The hard state, snapshot metadata, first/last index and last term are cached;
  // TermAt() of an older index, Entries() and LatestSnapshot() read RocksDB. TermAt() also
  // returns kInternal (read failed) or kDataLoss (missing or malformed entry). Entries() and
  // LatestSnapshot() have no error channel, so they fail-stop (ABSL_RAW_LOG(FATAL) naming the
  // path and key) on a read error or corruption, as STYLE.md §4 asks for the Raft log.
  HardState InitialHardState() const override { return hard_state_; }
  ConfState InitialConfState() const override { return snapshot_meta_.conf_state; }
  LogIndex FirstIndex() const override { return snapshot_meta_.index.Next(); }
  LogIndex LastIndex() const override { return last_index_; }
  absl::StatusOr<Term> TermAt(LogIndex index) const override;
  std::vector<Entry> Entries(LogIndex lo, LogIndex hi, size_t max_bytes) const override;
  Snapshot LatestSnapshot() const override;

  // LogStore. Save(): a snapshot replaces the whole log (and raises the stored commit to its
  // index); entries must start in FirstIndex()..LastIndex() + 1 (after the snapshot, if any)
  // and be contiguous, else kInvalidArgument and nothing is written. Compact(): a no-op for
  // index <= the snapshot's; kInvalidArgument past LastIndex(). RocksDB errors are kInternal.
  absl::Status Save(const std::optional<HardState>& hard_state,
                    const std::optional<Snapshot>& snapshot, const std::vector<Entry>& entries,
                    bool sync) override;
  absl::Status Compact(LogIndex index, const ConfState& conf, std::string data) override;

  const std::string& path() const { return path_; }

  // The keys of the layout above, for tools and tests that inspect the database directly.
  static std::string EntryKey(LogIndex index);
  static std::string HardStateKey();
  static std::string SnapshotMetaKey();
  static std::string SnapshotDataKey();

 private:
  RocksDbLogStore(std::string path, std::unique_ptr<rocksdb::DB> db);

  // Reads the hard state and snapshot (creating them in a new store), then the log's bounds,
  // into the caches; called once by Open().
  absl::Status Load(const Options& options);
  // Sets last_index_/last_term_ from the last entry, checking the first follows the snapshot.
  absl::Status LoadLogBounds();
  // Reads and decodes one entry; kDataLoss if it is missing or malformed.
  absl::StatusOr<Entry> ReadEntry(LogIndex index) const;

  const std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  HardState hard_state_;
  SnapshotMetadata snapshot_meta_;
  LogIndex last_index_{0};
  Term last_term_{0};  // TermAt(last_index_): the core asks for it on every vote and append.
};

}  // namespace karst::raft

#endif  // KARST_RAFT_NODE_ROCKSDB_LOG_STORE_H_

#include "raft/node/rocksdb_log_store.h"

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/internal/raw_logging.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/iterator.h"
#include "rocksdb/options.h"
#include "rocksdb/slice.h"
#include "rocksdb/write_batch.h"

namespace karst::raft {
namespace {

constexpr char kEntryPrefix = '\x01';
constexpr char kHardStatePrefix = '\x02';
constexpr char kSnapshotMetaPrefix = '\x03';
constexpr char kSnapshotDataPrefix = '\x04';
// Every entry key lies in [kEntriesBegin, kEntriesEnd).
constexpr absl::string_view kEntriesBegin("\x01", 1);
constexpr absl::string_view kEntriesEnd("\x02", 1);
constexpr uint8_t kVersion = 1;

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
absl::string_view ToView(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

void PutBigEndian(std::string* out, uint64_t value, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

// A bounds-checked cursor over a stored value: every read first checks what remains.
class ValueReader {
 public:
  explicit ValueReader(absl::string_view in) : in_(in) {}

  bool ReadBigEndian(int bytes, uint64_t* value) {
    if (in_.size() < static_cast<size_t>(bytes)) return false;
    *value = 0;
    for (int i = 0; i < bytes; ++i) *value = (*value << 8) | static_cast<uint8_t>(in_[i]);
    in_.remove_prefix(static_cast<size_t>(bytes));
    return true;
  }
  // Reads the version byte; false unless it is one this code writes.
  bool ReadVersion() {
    uint64_t version = 0;
    return ReadBigEndian(1, &version) && version == kVersion;
  }
  absl::string_view rest() const { return in_; }
  bool done() const { return in_.empty(); }

 private:
  absl::string_view in_;
};

// "0x02 (hard state)", "0x01000000000000002a (entry 42)": what a corruption message names.
std::string KeyName(absl::string_view key) {
  std::string kind = "unknown key";
  if (key.size() == 9 && key[0] == kEntryPrefix) {
    uint64_t index = 0;
    ValueReader(key.substr(1)).ReadBigEndian(8, &index);
    kind = absl::StrCat("entry ", index);
  } else if (key.size() == 1 && key[0] == kHardStatePrefix) {
    kind = "hard state";
  } else if (key.size() == 1 && key[0] == kSnapshotMetaPrefix) {
    kind = "snapshot metadata";
  } else if (key.size() == 1 && key[0] == kSnapshotDataPrefix) {
    kind = "snapshot data";
  }
  return absl::StrCat("0x", absl::BytesToHexString(key), " (", kind, ")");
}

absl::Status DataLoss(absl::string_view path, absl::string_view key, absl::string_view what) {
  return absl::DataLossError(absl::StrCat("raft log ", path, ": key ", KeyName(key), ": ", what));
}

// RocksDB reports corruption it detects itself (checksums) as Corruption: that is kDataLoss.
// Everything else (I/O errors, a held lock, a full disk) is kInternal.
absl::Status FromRocksDb(const rocksdb::Status& s, absl::string_view path, absl::string_view op) {
  if (s.ok()) return absl::OkStatus();
  std::string message = absl::StrCat("raft log ", path, ": ", op, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(std::move(message));
  return absl::InternalError(std::move(message));
}

std::string EncodeEntry(const Entry& e) {
  std::string out;
  out.reserve(10 + e.data.size());
  PutBigEndian(&out, kVersion, 1);
  PutBigEndian(&out, static_cast<uint64_t>(e.term.value()), 8);
  PutBigEndian(&out, static_cast<uint8_t>(e.type), 1);
  out.append(e.data);
  return out;
}

absl::StatusOr<Entry> DecodeEntry(absl::string_view path, absl::string_view key,
                                  absl::string_view value) {
  ValueReader r(value);
  uint64_t index = 0, term = 0, type = 0;
  if (key.size() != 9 || !ValueReader(key.substr(1)).ReadBigEndian(8, &index)) {
    return DataLoss(path, key, "malformed entry key");
  }
  if (!r.ReadVersion()) return DataLoss(path, key, "unknown version or empty value");
  if (!r.ReadBigEndian(8, &term) || !r.ReadBigEndian(1, &type)) {
    return DataLoss(path, key, absl::StrCat("entry value of ", value.size(), " bytes is short"));
  }
  if (type != static_cast<uint8_t>(EntryType::kNormal) &&
      type != static_cast<uint8_t>(EntryType::kConfChange)) {
    return DataLoss(path, key, absl::StrCat("unknown entry type ", type));
  }
  if (static_cast<int64_t>(term) < 0 || static_cast<int64_t>(index) <= 0) {
    return DataLoss(path, key, "negative term or index");
  }
  return Entry{Term(static_cast<int64_t>(term)), LogIndex(static_cast<int64_t>(index)),
               static_cast<EntryType>(type), std::string(r.rest())};
}

std::string EncodeHardState(const HardState& hs) {
  std::string out;
  PutBigEndian(&out, kVersion, 1);
  PutBigEndian(&out, static_cast<uint64_t>(hs.term.value()), 8);
  PutBigEndian(&out, static_cast<uint32_t>(hs.vote.value()), 4);
  PutBigEndian(&out, static_cast<uint64_t>(hs.commit.value()), 8);
  return out;
}

absl::StatusOr<HardState> DecodeHardState(absl::string_view path, absl::string_view value) {
  const std::string key = RocksDbLogStore::HardStateKey();
  ValueReader r(value);
  uint64_t term = 0, vote = 0, commit = 0;
  if (!r.ReadVersion()) return DataLoss(path, key, "unknown version or empty value");
  if (!r.ReadBigEndian(8, &term) || !r.ReadBigEndian(4, &vote) || !r.ReadBigEndian(8, &commit) ||
      !r.done()) {
    return DataLoss(path, key,
                    absl::StrCat("hard state value has ", value.size(), " bytes, not 21"));
  }
  if (static_cast<int64_t>(term) < 0 || static_cast<int64_t>(commit) < 0) {
    return DataLoss(path, key, "negative term or commit");
  }
  return HardState{Term(static_cast<int64_t>(term)), NodeId(static_cast<int32_t>(vote)),
                   LogIndex(static_cast<int64_t>(commit))};
}

void PutNodes(std::string* out, const std::set<NodeId>& nodes) {
  PutBigEndian(out, nodes.size(), 4);
  for (NodeId n : nodes) PutBigEndian(out, static_cast<uint32_t>(n.value()), 4);
}

bool ReadNodes(ValueReader& r, std::set<NodeId>* nodes) {
  uint64_t count = 0;
  if (!r.ReadBigEndian(4, &count) || count > r.rest().size() / 4) return false;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t node = 0;
    r.ReadBigEndian(4, &node);
    if (!nodes->insert(NodeId(static_cast<int32_t>(node))).second) return false;
  }
  return true;
}

std::string EncodeSnapshotMeta(const SnapshotMetadata& meta) {
  std::string out;
  PutBigEndian(&out, kVersion, 1);
  PutBigEndian(&out, static_cast<uint64_t>(meta.index.value()), 8);
  PutBigEndian(&out, static_cast<uint64_t>(meta.term.value()), 8);
  PutNodes(&out, meta.conf_state.voters);
  PutNodes(&out, meta.conf_state.learners);
  return out;
}

absl::StatusOr<SnapshotMetadata> DecodeSnapshotMeta(absl::string_view path,
                                                    absl::string_view value) {
  const std::string key = RocksDbLogStore::SnapshotMetaKey();
  ValueReader r(value);
  uint64_t index = 0, term = 0;
  SnapshotMetadata meta;
  if (!r.ReadVersion()) return DataLoss(path, key, "unknown version or empty value");
  if (!r.ReadBigEndian(8, &index) || !r.ReadBigEndian(8, &term) ||
      !ReadNodes(r, &meta.conf_state.voters) || !ReadNodes(r, &meta.conf_state.learners) ||
      !r.done()) {
    return DataLoss(
        path, key,
        absl::StrCat("snapshot metadata value of ", value.size(), " bytes is malformed"));
  }
  if (static_cast<int64_t>(index) < 0 || static_cast<int64_t>(term) < 0) {
    return DataLoss(path, key, "negative index or term");
  }
  meta.index = LogIndex(static_cast<int64_t>(index));
  meta.term = Term(static_cast<int64_t>(term));
  return meta;
}

std::string EncodeSnapshotData(absl::string_view data) {
  std::string out;
  out.reserve(1 + data.size());
  PutBigEndian(&out, kVersion, 1);
  out.append(data.data(), data.size());
  return out;
}

absl::StatusOr<std::string> DecodeSnapshotData(absl::string_view path, absl::string_view value) {
  ValueReader r(value);
  if (!r.ReadVersion()) {
    return DataLoss(path, RocksDbLogStore::SnapshotDataKey(), "unknown version or empty value");
  }
  return std::string(r.rest());
}

// Collects the first failure of a WriteBatch's operations (they fail only when a key or value
// is too large for the batch format).
class BatchWriter {
 public:
  void Put(absl::string_view key, absl::string_view value) {
    if (status_.ok()) status_ = batch_.Put(ToSlice(key), ToSlice(value));
  }
  void DeleteRange(absl::string_view begin, absl::string_view end) {
    if (status_.ok()) status_ = batch_.DeleteRange(ToSlice(begin), ToSlice(end));
  }
  rocksdb::WriteBatch* batch() { return &batch_; }
  const rocksdb::Status& status() const { return status_; }

 private:
  rocksdb::WriteBatch batch_;
  rocksdb::Status status_;
};

absl::Status Write(rocksdb::DB& db, BatchWriter& writer, bool sync, absl::string_view path,
                   absl::string_view op) {
  RETURN_IF_ERROR(FromRocksDb(writer.status(), path, absl::StrCat(op, ": building the batch")));
  if (writer.batch()->Count() == 0) {
    // Nothing new, but a sync still promises that earlier unsynced writes are durable.
    return sync ? FromRocksDb(db.SyncWAL(), path, absl::StrCat(op, ": syncing the wal"))
                : absl::OkStatus();
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  return FromRocksDb(db.Write(write_options, writer.batch()), path, op);
}

}  // namespace

std::string RocksDbLogStore::EntryKey(LogIndex index) {
  std::string key(1, kEntryPrefix);
  PutBigEndian(&key, static_cast<uint64_t>(index.value()), 8);
  return key;
}
std::string RocksDbLogStore::HardStateKey() { return std::string(1, kHardStatePrefix); }
std::string RocksDbLogStore::SnapshotMetaKey() { return std::string(1, kSnapshotMetaPrefix); }
std::string RocksDbLogStore::SnapshotDataKey() { return std::string(1, kSnapshotDataPrefix); }

RocksDbLogStore::RocksDbLogStore(std::string path, std::unique_ptr<rocksdb::DB> db)
    : path_(std::move(path)), db_(std::move(db)) {}

RocksDbLogStore::~RocksDbLogStore() = default;

absl::StatusOr<std::unique_ptr<RocksDbLogStore>> RocksDbLogStore::Open(const std::string& path,
                                                                       const Options& options) {
  if (!options.create_if_missing &&
      rocksdb::Env::Default()->FileExists(path + "/CURRENT").IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("raft log ", path, ": no database"));
  }
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  // After a crash, replay the write-ahead log up to the first torn or corrupt record: the store
  // then holds a prefix of the acknowledged batches, and every synced one.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.keep_log_file_num = 4;  // RocksDB's own info LOG files, not the WAL.
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(FromRocksDb(rocksdb::DB::Open(db_options, path, &raw), path, "open"));
  std::unique_ptr<RocksDbLogStore> store(
      new RocksDbLogStore(path, std::unique_ptr<rocksdb::DB>(raw)));
  RETURN_IF_ERROR(store->Load(options));
  return store;
}

absl::Status RocksDbLogStore::Load(const Options& options) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), HardStateKey(), &value);
  if (s.ok()) {
    ASSIGN_OR_RETURN(hard_state_, DecodeHardState(path_, value));
  } else if (!s.IsNotFound()) {
    return FromRocksDb(s, path_, "reading the hard state");
  }

  s = db_->Get(rocksdb::ReadOptions(), SnapshotMetaKey(), &value);
  if (s.IsNotFound()) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    it->SeekToFirst();
    RETURN_IF_ERROR(FromRocksDb(it->status(), path_, "scanning a new store"));
    if (it->Valid()) {
      return DataLoss(path_, SnapshotMetaKey(), "missing, but the store holds other keys");
    }
    // A new store: persist its initial configuration so that a restart does not depend on it.
    snapshot_meta_.conf_state = options.initial_conf_state;
    BatchWriter writer;
    writer.Put(SnapshotMetaKey(), EncodeSnapshotMeta(snapshot_meta_));
    writer.Put(SnapshotDataKey(), EncodeSnapshotData(""));
    return Write(*db_, writer, /*sync=*/true, path_, "creating the store");
  }
  RETURN_IF_ERROR(FromRocksDb(s, path_, "reading the snapshot metadata"));
  ASSIGN_OR_RETURN(snapshot_meta_, DecodeSnapshotMeta(path_, value));

  s = db_->Get(rocksdb::ReadOptions(), SnapshotDataKey(), &value);
  if (s.IsNotFound()) return DataLoss(path_, SnapshotDataKey(), "missing");
  RETURN_IF_ERROR(FromRocksDb(s, path_, "reading the snapshot data"));
  RETURN_IF_ERROR(DecodeSnapshotData(path_, value).status());
  return LoadLogBounds();
}

absl::Status RocksDbLogStore::LoadLogBounds() {
  last_index_ = snapshot_meta_.index;
  last_term_ = snapshot_meta_.term;
  rocksdb::ReadOptions read_options;
  const rocksdb::Slice upper = ToSlice(kEntriesEnd);
  read_options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options));
  it->Seek(ToSlice(kEntriesBegin));
  RETURN_IF_ERROR(FromRocksDb(it->status(), path_, "reading the first entry"));
  if (!it->Valid()) return absl::OkStatus();
  ASSIGN_OR_RETURN(const Entry first, DecodeEntry(path_, ToView(it->key()), ToView(it->value())));
  if (first.index != FirstIndex()) {
    return DataLoss(path_, ToView(it->key()),
                    absl::StrCat("first entry does not follow the snapshot at index ",
                                 snapshot_meta_.index.value()));
  }
  it->SeekToLast();
  RETURN_IF_ERROR(FromRocksDb(it->status(), path_, "reading the last entry"));
  if (!it->Valid()) return DataLoss(path_, EntryKey(first.index), "last entry vanished");
  ASSIGN_OR_RETURN(const Entry last, DecodeEntry(path_, ToView(it->key()), ToView(it->value())));
  last_index_ = last.index;
  last_term_ = last.term;
  return absl::OkStatus();
}

absl::StatusOr<Entry> RocksDbLogStore::ReadEntry(LogIndex index) const {
  const std::string key = EntryKey(index);
  rocksdb::PinnableSlice value;
  const rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), ToSlice(key), &value);
  if (s.IsNotFound()) return DataLoss(path_, key, "missing from the log");
  RETURN_IF_ERROR(FromRocksDb(s, path_, absl::StrCat("reading entry ", index.value())));
  return DecodeEntry(path_, key, ToView(value));
}

absl::StatusOr<Term> RocksDbLogStore::TermAt(LogIndex index) const {
  if (index == snapshot_meta_.index) return snapshot_meta_.term;
  if (index < snapshot_meta_.index) {
    return absl::OutOfRangeError(absl::StrCat("raft log ", path_, ": index ", index.value(),
                                              " is compacted (snapshot at ",
                                              snapshot_meta_.index.value(), ")"));
  }
  if (index > last_index_) {
    return absl::NotFoundError(absl::StrCat("raft log ", path_, ": index ", index.value(),
                                            " is past the last index ", last_index_.value()));
  }
  if (index == last_index_) return last_term_;
  ASSIGN_OR_RETURN(const Entry entry, ReadEntry(index));
  return entry.term;
}

std::vector<Entry> RocksDbLogStore::Entries(LogIndex lo, LogIndex hi, size_t max_bytes) const {
  std::vector<Entry> out;
  if (hi > last_index_.Next()) hi = last_index_.Next();
  if (lo >= hi) return out;
  if (lo < FirstIndex()) {
    ABSL_RAW_LOG(FATAL, "raft log %s: read of compacted entry %lld (first index %lld)",
                 path_.c_str(), static_cast<long long>(lo.value()),
                 static_cast<long long>(FirstIndex().value()));
  }
  const std::string lower = EntryKey(lo);
  const std::string upper = EntryKey(hi);
  const rocksdb::Slice upper_slice = ToSlice(upper);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options));
  size_t bytes = 0;
  LogIndex want = lo;
  for (it->Seek(ToSlice(lower)); it->Valid(); it->Next()) {
    absl::StatusOr<Entry> entry = DecodeEntry(path_, ToView(it->key()), ToView(it->value()));
    if (!entry.ok() || entry->index != want) break;  // Reported below as data loss.
    if (!out.empty() && bytes + entry->data.size() > max_bytes) return out;
    bytes += entry->data.size();
    out.push_back(*std::move(entry));
    want = want.Next();
  }
  if (want != hi) {
    const absl::Status s = it->status().ok()
                               ? DataLoss(path_, EntryKey(want), "missing or malformed")
                               : FromRocksDb(it->status(), path_, "reading entries");
    ABSL_RAW_LOG(FATAL, "%s", s.ToString().c_str());
  }
  return out;
}

Snapshot RocksDbLogStore::LatestSnapshot() const {
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), SnapshotDataKey(), &value);
  absl::StatusOr<std::string> data =
      s.ok() ? DecodeSnapshotData(path_, value)
             : (s.IsNotFound() ? DataLoss(path_, SnapshotDataKey(), "missing")
                               : FromRocksDb(s, path_, "reading the snapshot data"));
  if (!data.ok()) ABSL_RAW_LOG(FATAL, "%s", data.status().ToString().c_str());
  return Snapshot{snapshot_meta_, *std::move(data)};
}

absl::Status RocksDbLogStore::Save(const std::optional<HardState>& hard_state,
                                   const std::optional<Snapshot>& snapshot,
                                   const std::vector<Entry>& entries, bool sync) {
  SnapshotMetadata meta = snapshot_meta_;
  LogIndex last_index = last_index_;
  Term last_term = last_term_;
  HardState hs = hard_state_;
  BatchWriter writer;
  if (snapshot.has_value()) {
    meta = snapshot->metadata;
    last_index = meta.index;
    last_term = meta.term;
    writer.DeleteRange(kEntriesBegin, kEntriesEnd);
    writer.Put(SnapshotMetaKey(), EncodeSnapshotMeta(meta));
    writer.Put(SnapshotDataKey(), EncodeSnapshotData(snapshot->data));
    if (hs.commit < meta.index) hs.commit = meta.index;
  }
  if (!entries.empty()) {
    const LogIndex first = entries.front().index;
    if (first <= meta.index || first > last_index.Next()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "raft log ", path_, ": entries from index ", first.value(), " do not fit a log holding ",
          meta.index.Next().value(), "..", last_index.value()));
    }
    for (size_t i = 1; i < entries.size(); ++i) {
      if (entries[i].index != entries[i - 1].index.Next()) {
        return absl::InvalidArgumentError(absl::StrCat("raft log ", path_, ": entry index ",
                                                       entries[i].index.value(), " follows ",
                                                       entries[i - 1].index.value()));
      }
    }
    // Raft §5.3: a conflicting suffix is replaced by the leader's entries.
    if (first <= last_index) writer.DeleteRange(EntryKey(first), EntryKey(last_index.Next()));
    for (const Entry& e : entries) writer.Put(EntryKey(e.index), EncodeEntry(e));
    last_index = entries.back().index;
    last_term = entries.back().term;
  }
  if (hard_state.has_value()) hs = *hard_state;
  if (hs != hard_state_) writer.Put(HardStateKey(), EncodeHardState(hs));
  RETURN_IF_ERROR(Write(*db_, writer, sync, path_, "save"));
  snapshot_meta_ = std::move(meta);
  last_index_ = last_index;
  last_term_ = last_term;
  hard_state_ = hs;
  return absl::OkStatus();
}

absl::Status RocksDbLogStore::Compact(LogIndex index, const ConfState& conf, std::string data) {
  if (index <= snapshot_meta_.index) return absl::OkStatus();
  if (index > last_index_) {
    return absl::InvalidArgumentError(absl::StrCat("raft log ", path_, ": compaction at index ",
                                                   index.value(), " is past the last index ",
                                                   last_index_.value()));
  }
  ASSIGN_OR_RETURN(const Term term, TermAt(index));
  SnapshotMetadata meta{index, term, conf};
  BatchWriter writer;
  writer.DeleteRange(kEntriesBegin, EntryKey(index.Next()));
  writer.Put(SnapshotMetaKey(), EncodeSnapshotMeta(meta));
  writer.Put(SnapshotDataKey(), EncodeSnapshotData(data));
  RETURN_IF_ERROR(Write(*db_, writer, /*sync=*/true, path_, "compact"));
  snapshot_meta_ = std::move(meta);
  return absl::OkStatus();
}

}  // namespace karst::raft

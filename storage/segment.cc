#include "storage/segment.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "kafka/record/byte_io.h"
#include "kafka/record/record_batch.h"

namespace karst::storage {
namespace {

namespace rec = ::karst::kafka::record;

constexpr size_t kIndexEntrySize = 8;
constexpr size_t kTimeEntrySize = 12;
// Recovery treats a batch claiming more than this as corrupt rather than reading it.
constexpr size_t kMaxBatchBytes = 256 * 1024 * 1024;

struct HeaderAt {
  rec::BatchHeader header;
  uint64_t position;
};

}  // namespace

std::string SegmentName(int64_t base_offset) { return absl::StrFormat("%020d", base_offset); }

Segment::Segment(FileSystem& fs, const std::string& dir, int64_t base_offset, int32_t interval,
                 absl::Duration created)
    : fs_(fs),
      dir_(dir),
      base_offset_(base_offset),
      index_interval_bytes_(interval),
      created_(created),
      next_offset_(base_offset) {}

std::string Segment::LogPath() const { return JoinPath(dir_, SegmentName(base_offset_) + ".log"); }
std::string Segment::IndexPath() const {
  return JoinPath(dir_, SegmentName(base_offset_) + ".index");
}
std::string Segment::TimeIndexPath() const {
  return JoinPath(dir_, SegmentName(base_offset_) + ".timeindex");
}

absl::StatusOr<std::unique_ptr<Segment>> Segment::Create(FileSystem& fs, const std::string& dir,
                                                         int64_t base_offset, int32_t interval,
                                                         absl::Duration created) {
  auto segment = std::unique_ptr<Segment>(new Segment(fs, dir, base_offset, interval, created));
  // Index files left by a segment deleted at this base offset before a crash must not be
  // appended to: start them empty.
  for (const std::string& path : {segment->IndexPath(), segment->TimeIndexPath()}) {
    if (absl::Status s = fs.WriteFileAtomically(path, ""); !s.ok()) return s;
  }
  if (absl::Status s = segment->EnsureAppendable(); !s.ok()) return s;
  segment->indexes_loaded_ = true;
  return segment;
}

absl::StatusOr<std::unique_ptr<Segment>> Segment::Open(FileSystem& fs, const std::string& dir,
                                                       int64_t base_offset, int32_t interval,
                                                       absl::Duration created) {
  auto segment = std::unique_ptr<Segment>(new Segment(fs, dir, base_offset, interval, created));
  absl::StatusOr<uint64_t> size = fs.FileSize(segment->LogPath());
  if (!size.ok()) return size.status();
  segment->size_ = *size;
  return segment;
}

absl::Status Segment::EnsureReadable() {
  if (reader_ != nullptr) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<ReadableFile>> reader = fs_.OpenReadable(LogPath());
  if (!reader.ok()) return reader.status();
  reader_ = *std::move(reader);
  return absl::OkStatus();
}

absl::Status Segment::EnsureAppendable() {
  if (log_writer_ != nullptr) return absl::OkStatus();
  absl::StatusOr<std::unique_ptr<AppendableFile>> log = fs_.OpenAppendable(LogPath());
  if (!log.ok()) return log.status();
  absl::StatusOr<std::unique_ptr<AppendableFile>> index = fs_.OpenAppendable(IndexPath());
  if (!index.ok()) return index.status();
  absl::StatusOr<std::unique_ptr<AppendableFile>> time = fs_.OpenAppendable(TimeIndexPath());
  if (!time.ok()) return time.status();
  log_writer_ = *std::move(log);
  index_writer_ = *std::move(index);
  time_writer_ = *std::move(time);
  size_ = log_writer_->Size();
  return absl::OkStatus();
}

void Segment::Release() {
  // Unwritten index entries go too: the index is sparse and recovery rebuilds it.
  pending_index_.clear();
  pending_time_.clear();
  reader_.reset();
  log_writer_.reset();
  index_writer_.reset();
  time_writer_.reset();
  index_.clear();
  index_.shrink_to_fit();
  time_index_.clear();
  time_index_.shrink_to_fit();
  indexes_loaded_ = false;
}

// Loads both indexes; a damaged one (torn entry, out of order, past the log) is rebuilt
// from the log itself.
absl::Status Segment::EnsureIndexes() {
  if (indexes_loaded_) return absl::OkStatus();
  absl::StatusOr<std::string> index = fs_.ReadFile(IndexPath());
  absl::StatusOr<std::string> time = fs_.ReadFile(TimeIndexPath());
  bool sane = index.ok() && time.ok() && index->size() % kIndexEntrySize == 0 &&
              time->size() % kTimeEntrySize == 0;
  index_.clear();
  time_index_.clear();
  for (size_t i = 0; sane && i < index->size(); i += kIndexEntrySize) {
    const IndexEntry e{static_cast<int32_t>(rec::LoadBigEndian32(index->data() + i)),
                       static_cast<int32_t>(rec::LoadBigEndian32(index->data() + i + 4))};
    sane = e.relative_offset >= 0 && e.position >= 0 && static_cast<uint64_t>(e.position) < size_ &&
           (index_.empty() || (e.relative_offset > index_.back().relative_offset &&
                               e.position > index_.back().position));
    index_.push_back(e);
  }
  for (size_t i = 0; sane && i < time->size(); i += kTimeEntrySize) {
    const TimeEntry e{static_cast<int64_t>(rec::LoadBigEndian64(time->data() + i)),
                      static_cast<int32_t>(rec::LoadBigEndian32(time->data() + i + 8))};
    sane = e.relative_offset >= 0 &&
           (time_index_.empty() || (e.timestamp >= time_index_.back().timestamp &&
                                    e.relative_offset >= time_index_.back().relative_offset));
    time_index_.push_back(e);
  }
  if (!sane) {
    absl::StatusOr<SegmentScan> scan = Recover(/*truncate_invalid_tail=*/false);
    return scan.ok() ? absl::OkStatus() : scan.status();
  }
  if (!time_index_.empty()) max_timestamp_ = std::max(max_timestamp_, time_index_.back().timestamp);
  indexes_loaded_ = true;
  return absl::OkStatus();
}

void Segment::AddTimeEntry(int64_t timestamp, int64_t offset, std::string* time_out) {
  if (timestamp < 0 || (!time_index_.empty() && timestamp <= time_index_.back().timestamp)) return;
  const TimeEntry t{timestamp, static_cast<int32_t>(offset - base_offset_)};
  time_index_.push_back(t);
  if (time_out != nullptr) {
    rec::ByteWriter tw(time_out);
    tw.WriteInt64(t.timestamp);
    tw.WriteInt32(t.relative_offset);
  }
}

void Segment::NoteBatch(int64_t first_offset, int64_t max_timestamp, uint64_t position,
                        uint64_t size, std::string* index_out, std::string* time_out) {
  if (bytes_since_index_ >= static_cast<uint64_t>(index_interval_bytes_) && position > 0) {
    const IndexEntry e{static_cast<int32_t>(first_offset - base_offset_),
                       static_cast<int32_t>(position)};
    index_.push_back(e);
    rec::ByteWriter w(index_out);
    w.WriteInt32(e.relative_offset);
    w.WriteInt32(e.position);
    bytes_since_index_ = 0;
    // The largest timestamp of everything before this batch, at the previous batch.
    AddTimeEntry(max_timestamp_, first_offset - 1, time_out);
  }
  bytes_since_index_ += size;
  max_timestamp_ = std::max(max_timestamp_, max_timestamp);
}

absl::Status Segment::Append(int64_t first_offset, int64_t last_offset, int64_t max_timestamp,
                             absl::string_view header, absl::string_view body) {
  // Indexes first: rebuilding a damaged one releases the writers EnsureAppendable opens.
  if (absl::Status s = EnsureIndexes(); !s.ok()) return s;
  if (absl::Status s = EnsureAppendable(); !s.ok()) return s;
  const size_t batch_size = header.size() + body.size();
  // Index entries are buffered and written at the next Sync or Seal: they are rebuilt from
  // the log by recovery anyway, and an append should cost one write, not three.
  NoteBatch(first_offset, max_timestamp, size_, batch_size, &pending_index_, &pending_time_);
  if (absl::Status s = log_writer_->AppendParts(header, body); !s.ok()) {
    // The file may hold part of the batch now: reopen so the size is read afresh, and let
    // the next recovery cut the torn tail.
    Release();
    return s;
  }
  size_ += batch_size;
  next_offset_ = last_offset + 1;
  return absl::OkStatus();
}

absl::Status Segment::WritePendingIndexes() {
  if (pending_index_.empty() && pending_time_.empty()) return absl::OkStatus();
  if (absl::Status s = EnsureAppendable(); !s.ok()) return s;
  if (absl::Status s = index_writer_->Append(pending_index_); !s.ok()) return s;
  if (absl::Status s = time_writer_->Append(pending_time_); !s.ok()) return s;
  pending_index_.clear();
  pending_time_.clear();
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Segment::LargestTimestamp() {
  if (absl::Status s = EnsureIndexes(); !s.ok()) return s;
  return max_timestamp_;
}

absl::Status Segment::Seal() {
  if (absl::Status s = EnsureIndexes(); !s.ok()) return s;
  if (next_offset_ == base_offset_) return absl::OkStatus();
  AddTimeEntry(max_timestamp_, next_offset_ - 1, &pending_time_);
  return WritePendingIndexes();
}

absl::Status Segment::Sync() {
  // Bytes appended before a reopen are in the page cache but maybe not on disk: a segment
  // with no open writer still has to sync, through a fresh handle.
  if (absl::Status s = EnsureAppendable(); !s.ok()) return s;
  if (absl::Status s = WritePendingIndexes(); !s.ok()) return s;
  if (absl::Status s = log_writer_->Sync(); !s.ok()) return s;
  if (absl::Status s = index_writer_->Sync(); !s.ok()) return s;
  return time_writer_->Sync();
}

namespace {

// Reads and parses the batch header at `position` (kDataLoss if short or malformed).
absl::StatusOr<rec::BatchHeader> ReadHeader(const ReadableFile& file, uint64_t position) {
  char scratch[rec::kBatchHeaderSize];
  absl::StatusOr<absl::string_view> bytes = file.Read(position, sizeof(scratch), scratch);
  if (!bytes.ok()) return bytes.status();
  return rec::ParseBatchHeader(*bytes);
}

}  // namespace

absl::StatusOr<std::optional<uint64_t>> Segment::FindPosition(int64_t offset) {
  if (offset >= next_offset_) return std::optional<uint64_t>();
  if (absl::Status s = EnsureIndexes(); !s.ok()) return s;
  if (absl::Status s = EnsureReadable(); !s.ok()) return s;
  // The last index entry at or below the offset; its batch starts at or before it.
  uint64_t position = 0;
  auto it =
      std::upper_bound(index_.begin(), index_.end(), offset - base_offset_,
                       [](int64_t rel, const IndexEntry& e) { return rel < e.relative_offset; });
  if (it != index_.begin()) position = static_cast<uint64_t>(std::prev(it)->position);
  while (position < size_) {
    absl::StatusOr<rec::BatchHeader> h = ReadHeader(*reader_, position);
    if (!h.ok()) {
      return absl::DataLossError(absl::StrCat("segment ", base_offset_, ": at byte ", position,
                                              ": ", h.status().message()));
    }
    if (h->last_offset() >= offset) return std::optional<uint64_t>(position);
    position += h->size();
  }
  return std::optional<uint64_t>();
}

absl::StatusOr<SegmentRead> Segment::ReadBatches(uint64_t position, size_t max_bytes) {
  if (absl::Status s = EnsureReadable(); !s.ok()) return s;
  absl::StatusOr<rec::BatchHeader> first = ReadHeader(*reader_, position);
  if (!first.ok()) return first.status();
  if (first->size() > kMaxBatchBytes) {
    return absl::DataLossError(absl::StrCat("segment ", base_offset_, ": batch at byte ", position,
                                            " claims ", first->size(), " bytes"));
  }
  const size_t want = std::min<uint64_t>(std::max(max_bytes, first->size()), size_ - position);
  SegmentRead out;
  out.buffer.reset(new char[want]);
  absl::StatusOr<absl::string_view> bytes = reader_->Read(position, want, out.buffer.get());
  if (!bytes.ok()) return bytes.status();
  // Keep whole batches only.
  size_t kept = 0;
  out.next_offset = first->base_offset;
  absl::string_view rest = *bytes;
  while (true) {
    absl::StatusOr<std::optional<absl::string_view>> batch = rec::NextBatch(rest, kMaxBatchBytes);
    if (!batch.ok()) return batch.status();
    if (!batch->has_value()) break;
    absl::StatusOr<rec::BatchHeader> h = rec::ParseBatchHeader(**batch);
    if (!h.ok()) return h.status();
    kept += (*batch)->size();
    out.next_offset = h->last_offset() + 1;
  }
  if (kept == 0) {
    // The first batch does not fit in what the segment holds: damaged, not merely short.
    return absl::DataLossError(absl::StrCat("segment ", base_offset_, ": batch at byte ", position,
                                            " runs past the segment's end"));
  }
  out.batches = bytes->substr(0, kept);
  return out;
}

absl::StatusOr<std::optional<int64_t>> Segment::FindOffsetForTimestamp(int64_t timestamp,
                                                                       int64_t min_offset) {
  if (absl::Status s = EnsureIndexes(); !s.ok()) return s;
  if (absl::Status s = EnsureReadable(); !s.ok()) return s;
  if (max_timestamp_ < timestamp) return std::optional<int64_t>();
  // Every batch up to an entry's offset has timestamps <= its timestamp: skip past the last
  // entry below the target.
  uint64_t position = 0;
  auto it = std::lower_bound(time_index_.begin(), time_index_.end(), timestamp,
                             [](const TimeEntry& e, int64_t ts) { return e.timestamp < ts; });
  if (it != time_index_.begin()) {
    absl::StatusOr<std::optional<uint64_t>> p =
        FindPosition(base_offset_ + std::prev(it)->relative_offset);
    if (!p.ok()) return p.status();
    if (p->has_value()) position = **p;
  }
  while (position < size_) {
    absl::StatusOr<rec::BatchHeader> h = ReadHeader(*reader_, position);
    if (!h.ok()) return h.status();
    if (h->max_timestamp >= timestamp && h->last_offset() >= min_offset) {
      return std::optional<int64_t>(h->base_offset);
    }
    position += h->size();
  }
  return std::optional<int64_t>();
}

absl::Status Segment::TruncateTo(int64_t offset) {
  absl::StatusOr<std::optional<uint64_t>> position = FindPosition(offset);
  if (!position.ok()) return position.status();
  if (!position->has_value()) return absl::OkStatus();
  Release();
  if (absl::Status s = fs_.Truncate(LogPath(), **position); !s.ok()) return s;
  size_ = **position;
  absl::StatusOr<SegmentScan> scan = Recover(/*truncate_invalid_tail=*/false);
  return scan.ok() ? absl::OkStatus() : scan.status();
}

absl::Status Segment::Delete() {
  Release();
  // Indexes first: a crash in between leaves a .log that recovery rebuilds them for, never
  // indexes without their log.
  for (const std::string& path : {IndexPath(), TimeIndexPath(), LogPath()}) {
    absl::Status s = fs_.Delete(path);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  return absl::OkStatus();
}

absl::Status Segment::RewriteIndexes() {
  std::string index, time;
  rec::ByteWriter iw(&index), tw(&time);
  for (const IndexEntry& e : index_) {
    iw.WriteInt32(e.relative_offset);
    iw.WriteInt32(e.position);
  }
  for (const TimeEntry& e : time_index_) {
    tw.WriteInt64(e.timestamp);
    tw.WriteInt32(e.relative_offset);
  }
  pending_index_.clear();
  pending_time_.clear();
  index_writer_.reset();
  time_writer_.reset();
  log_writer_.reset();
  if (absl::Status s = fs_.WriteFileAtomically(IndexPath(), index); !s.ok()) return s;
  return fs_.WriteFileAtomically(TimeIndexPath(), time);
}

absl::StatusOr<SegmentScan> Segment::Recover(bool truncate_invalid_tail) {
  reader_.reset();
  if (absl::Status s = EnsureReadable(); !s.ok()) return s;
  absl::StatusOr<uint64_t> file_size = reader_->Size();
  if (!file_size.ok()) return file_size.status();
  size_ = *file_size;
  SegmentScan scan;
  index_.clear();
  time_index_.clear();
  bytes_since_index_ = 0;
  max_timestamp_ = -1;
  next_offset_ = base_offset_;
  std::string index_unused, time_unused;
  uint64_t position = 0;
  std::string buffer;
  while (position < size_) {
    absl::StatusOr<rec::BatchHeader> h = ReadHeader(*reader_, position);
    absl::Status problem = h.status();
    if (h.ok() && (h->size() > kMaxBatchBytes || h->size() > size_ - position)) {
      problem =
          absl::DataLossError(absl::StrCat("batch of ", h->size(), " bytes runs past the end"));
    } else if (h.ok() && h->base_offset < next_offset_) {
      problem = absl::DataLossError(absl::StrCat(
          "offset ", h->base_offset, " goes backwards (expected >= ", next_offset_, ")"));
    }
    if (problem.ok()) {
      buffer.resize(h->size());
      absl::StatusOr<absl::string_view> bytes = reader_->Read(position, h->size(), buffer.data());
      problem = bytes.ok() ? rec::ValidateBatch(*bytes).status() : bytes.status();
    }
    if (!problem.ok()) {
      if (absl::IsInternal(problem)) return problem;  // An I/O error, not corruption.
      scan.corrupt_at = static_cast<int64_t>(position);
      scan.corruption = std::string(problem.message());
      break;
    }
    NoteBatch(h->base_offset, h->max_timestamp, position, h->size(), &index_unused, &time_unused);
    next_offset_ = h->last_offset() + 1;
    scan.record_count += h->record_count;
    position += h->size();
  }
  AddTimeEntry(max_timestamp_, next_offset_ - 1, nullptr);
  scan.valid_bytes = position;
  scan.next_offset = next_offset_ > base_offset_ ? next_offset_ : -1;
  scan.max_timestamp = max_timestamp_;
  if (position < size_ && truncate_invalid_tail) {
    reader_.reset();
    if (absl::Status s = fs_.Truncate(LogPath(), position); !s.ok()) return s;
  }
  // Without truncation the bytes past the valid prefix stay on disk for inspection, but the
  // segment never serves them.
  size_ = position;
  if (absl::Status s = RewriteIndexes(); !s.ok()) return s;
  indexes_loaded_ = true;
  return scan;
}

absl::Status Segment::LoadTail() {
  if (absl::Status s = EnsureIndexes(); !s.ok()) return s;
  if (absl::Status s = EnsureReadable(); !s.ok()) return s;
  uint64_t position = index_.empty() ? 0 : static_cast<uint64_t>(index_.back().position);
  next_offset_ = index_.empty() ? base_offset_ : base_offset_ + index_.back().relative_offset;
  bytes_since_index_ = 0;
  while (position < size_) {
    absl::StatusOr<rec::BatchHeader> h = ReadHeader(*reader_, position);
    if (!h.ok() || h->size() > size_ - position) {
      // The clean-shutdown marker lied or the file was damaged since: scan it all.
      absl::StatusOr<SegmentScan> scan = Recover(/*truncate_invalid_tail=*/true);
      return scan.ok() ? absl::OkStatus() : scan.status();
    }
    max_timestamp_ = std::max(max_timestamp_, h->max_timestamp);
    next_offset_ = h->last_offset() + 1;
    bytes_since_index_ += h->size();
    position += h->size();
  }
  return absl::OkStatus();
}

}  // namespace karst::storage

#include "kafka/record/record.h"

#include "absl/strings/str_cat.h"
#include "kafka/record/byte_io.h"
#include "kafka/record/crc32c.h"

namespace karst::kafka::record {
namespace {

// The smallest encoded record: length, attributes, timestampDelta, offsetDelta, keyLength,
// valueLength, headerCount, one byte each.
constexpr size_t kMinRecordSize = 7;

absl::Status Bad(size_t index, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("record ", index, ": ", why));
}

absl::StatusOr<std::optional<std::string>> ReadNullableBytes(ByteReader& r, size_t index,
                                                             absl::string_view what) {
  absl::StatusOr<int32_t> length = r.ReadVarint();
  if (!length.ok()) return Bad(index, absl::StrCat(what, " length: ", length.status().message()));
  if (*length < -1) return Bad(index, absl::StrCat(what, " length ", *length));
  if (*length == -1) return std::optional<std::string>();
  absl::StatusOr<absl::string_view> bytes = r.ReadBytes(static_cast<size_t>(*length));
  if (!bytes.ok()) return Bad(index, absl::StrCat(what, ": ", bytes.status().message()));
  return std::optional<std::string>(std::string(*bytes));
}

absl::StatusOr<Record> ReadRecordBody(ByteReader& r, size_t index) {
  Record rec;
  absl::StatusOr<int8_t> attributes = r.ReadInt8();
  absl::StatusOr<int64_t> ts = attributes.ok() ? r.ReadVarlong() : attributes.status();
  absl::StatusOr<int32_t> od = ts.ok() ? r.ReadVarint() : ts.status();
  if (!od.ok()) return Bad(index, od.status().message());
  rec.attributes = *attributes;
  rec.timestamp_delta = *ts;
  rec.offset_delta = *od;
  absl::StatusOr<std::optional<std::string>> key = ReadNullableBytes(r, index, "key");
  if (!key.ok()) return key.status();
  rec.key = *std::move(key);
  absl::StatusOr<std::optional<std::string>> value = ReadNullableBytes(r, index, "value");
  if (!value.ok()) return value.status();
  rec.value = *std::move(value);
  absl::StatusOr<int32_t> count = r.ReadVarint();
  if (!count.ok() || *count < 0) return Bad(index, "bad header count");
  for (int32_t i = 0; i < *count; ++i) {
    absl::StatusOr<std::optional<std::string>> hkey = ReadNullableBytes(r, index, "header key");
    if (!hkey.ok()) return hkey.status();
    if (!hkey->has_value()) return Bad(index, "null header key");
    absl::StatusOr<std::optional<std::string>> hval = ReadNullableBytes(r, index, "header value");
    if (!hval.ok()) return hval.status();
    rec.headers.push_back({**std::move(hkey), *std::move(hval)});
  }
  return rec;
}

absl::StatusOr<Record> ReadRecord(ByteReader& r, size_t index) {
  absl::StatusOr<int32_t> length = r.ReadVarint();
  if (!length.ok()) return Bad(index, length.status().message());
  if (*length < 0) return Bad(index, absl::StrCat("negative length ", *length));
  absl::StatusOr<absl::string_view> body = r.ReadBytes(static_cast<size_t>(*length));
  if (!body.ok()) return Bad(index, body.status().message());
  ByteReader br(*body);
  absl::StatusOr<Record> rec = ReadRecordBody(br, index);
  if (rec.ok() && br.remaining() != 0) {
    return Bad(index, absl::StrCat(br.remaining(), " bytes past the record's fields"));
  }
  return rec;
}

void WriteNullable(ByteWriter& w, const std::optional<std::string>& bytes) {
  if (!bytes.has_value()) {
    w.WriteVarint(-1);
    return;
  }
  w.WriteVarint(static_cast<int32_t>(bytes->size()));
  w.WriteBytes(*bytes);
}

void WriteRecord(ByteWriter& out, const Record& rec) {
  std::string body;
  ByteWriter w(&body);
  w.WriteInt8(rec.attributes);
  w.WriteVarlong(rec.timestamp_delta);
  w.WriteVarint(rec.offset_delta);
  WriteNullable(w, rec.key);
  WriteNullable(w, rec.value);
  w.WriteVarint(static_cast<int32_t>(rec.headers.size()));
  for (const RecordHeader& h : rec.headers) {
    WriteNullable(w, h.key);
    WriteNullable(w, h.value);
  }
  out.WriteVarint(static_cast<int32_t>(body.size()));
  out.WriteBytes(body);
}

}  // namespace

absl::StatusOr<std::vector<Record>> DecodeRecords(absl::string_view batch,
                                                  const DecodeLimits& limits) {
  absl::StatusOr<BatchHeader> h = ValidateBatch(batch);
  if (!h.ok()) return h.status();
  absl::string_view payload = batch.substr(kBatchHeaderSize);
  std::string inflated;
  if (h->compression() != Compression::kNone) {
    absl::StatusOr<std::string> out =
        Decompress(h->compression(), payload, limits.max_uncompressed_bytes);
    if (!out.ok()) {
      return absl::Status(
          out.status().code(),
          absl::StrCat("record batch at offset ", h->base_offset, ": ", out.status().message()));
    }
    inflated = *std::move(out);
    payload = inflated;
  }
  if (static_cast<size_t>(h->record_count) > payload.size() / kMinRecordSize) {
    return absl::DataLossError(absl::StrCat("record count ", h->record_count, " cannot fit in ",
                                            payload.size(), " bytes"));
  }
  std::vector<Record> records;
  records.reserve(static_cast<size_t>(h->record_count));
  ByteReader r(payload);
  for (size_t i = 0; i < static_cast<size_t>(h->record_count); ++i) {
    absl::StatusOr<Record> rec = ReadRecord(r, i);
    if (!rec.ok()) return rec.status();
    if (rec->offset_delta < 0 || rec->offset_delta > h->last_offset_delta) {
      return Bad(i, absl::StrCat("offsetDelta ", rec->offset_delta, " outside [0, ",
                                 h->last_offset_delta, "]"));
    }
    records.push_back(*std::move(rec));
  }
  if (r.remaining() != 0) {
    return absl::DataLossError(absl::StrCat(r.remaining(), " bytes after the last record"));
  }
  return records;
}

void BatchBuilder::Add(int64_t offset, int64_t timestamp, std::optional<std::string> key,
                       std::optional<std::string> value, std::vector<RecordHeader> headers) {
  if (records_.empty()) {
    first_offset_ = offset;
    first_timestamp_ = timestamp;
  }
  max_timestamp_ = std::max(max_timestamp_, timestamp);
  records_.push_back({0, timestamp - first_timestamp_, static_cast<int32_t>(offset - first_offset_),
                      std::move(key), std::move(value), std::move(headers)});
}

absl::StatusOr<std::string> BatchBuilder::Build() const {
  if (records_.empty()) return absl::InvalidArgumentError("a batch needs at least one record");
  int16_t attributes = static_cast<int16_t>(options_.compression);
  if (options_.timestamp_type == TimestampType::kLogAppendTime) attributes |= 0x8;
  if (options_.transactional) attributes |= 0x10;
  if (options_.control) attributes |= 0x20;
  BatchHeader h;
  h.base_offset = options_.base_offset;
  h.partition_leader_epoch = options_.partition_leader_epoch;
  h.attributes = attributes;
  h.last_offset_delta = records_.back().offset_delta;
  h.base_timestamp = first_timestamp_;
  h.max_timestamp = max_timestamp_;
  h.producer_id = options_.producer_id;
  h.producer_epoch = options_.producer_epoch;
  h.base_sequence = options_.base_sequence;
  return EncodeBatch(h, records_);
}

absl::StatusOr<std::string> EncodeBatch(const BatchHeader& header,
                                        const std::vector<Record>& records) {
  if (records.empty()) return absl::InvalidArgumentError("a batch needs at least one record");
  std::string payload;
  ByteWriter pw(&payload);
  for (const Record& rec : records) WriteRecord(pw, rec);
  absl::StatusOr<std::string> compressed = Compress(header.compression(), payload);
  if (!compressed.ok()) return compressed.status();

  std::string out;
  out.reserve(kBatchHeaderSize + compressed->size());
  ByteWriter w(&out);
  w.WriteInt64(header.base_offset);
  w.WriteInt32(static_cast<int32_t>(kBatchHeaderSize - kLogOverhead + compressed->size()));
  w.WriteInt32(header.partition_leader_epoch);
  w.WriteInt8(kMagic);
  w.WriteUint32(0);  // The CRC, filled in below.
  w.WriteInt16(header.attributes);
  w.WriteInt32(header.last_offset_delta);
  w.WriteInt64(header.base_timestamp);
  w.WriteInt64(header.max_timestamp);
  w.WriteInt64(header.producer_id);
  w.WriteInt16(header.producer_epoch);
  w.WriteInt32(header.base_sequence);
  w.WriteInt32(static_cast<int32_t>(records.size()));
  w.WriteBytes(*compressed);
  StoreBigEndian32(out.data() + kCrcOffset, ComputeBatchCrc(out));
  return out;
}

std::string EncodeControlKey(ControlType type) {
  std::string out;
  ByteWriter w(&out);
  w.WriteInt16(0);  // Version.
  w.WriteInt16(static_cast<int16_t>(type));
  return out;
}

std::string EncodeControlValue(int32_t coordinator_epoch) {
  std::string out;
  ByteWriter w(&out);
  w.WriteInt16(0);  // Version.
  w.WriteInt32(coordinator_epoch);
  return out;
}

absl::StatusOr<ControlRecord> DecodeControlRecord(const Record& record) {
  if (!record.key.has_value() || record.key->size() < 4) {
    return absl::DataLossError("control record: key must hold version and type");
  }
  ByteReader key(*record.key);
  const int16_t version = *key.ReadInt16();
  const int16_t type = *key.ReadInt16();
  if (version != 0 || (type != 0 && type != 1)) {
    return absl::DataLossError(
        absl::StrCat("control record: unknown version ", version, " or type ", type));
  }
  ControlRecord out{static_cast<ControlType>(type), 0};
  if (record.value.has_value() && record.value->size() >= 6) {
    ByteReader value(*record.value);
    (void)*value.ReadInt16();
    out.coordinator_epoch = *value.ReadInt32();
  }
  return out;
}

}  // namespace karst::kafka::record

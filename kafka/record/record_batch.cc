#include "kafka/record/record_batch.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "kafka/record/byte_io.h"
#include "kafka/record/crc32c.h"

namespace karst::kafka::record {
namespace {

absl::Status Malformed(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("malformed record batch: ", why));
}

}  // namespace

absl::StatusOr<BatchHeader> ParseBatchHeader(absl::string_view data) {
  if (data.size() < kBatchHeaderSize) {
    return Malformed(absl::StrCat("header needs ", kBatchHeaderSize, " bytes, have ", data.size()));
  }
  ByteReader r(data.substr(0, kBatchHeaderSize));
  BatchHeader h;
  // The header is in bounds, so these reads cannot fail.
  h.base_offset = *r.ReadInt64();
  h.batch_length = *r.ReadInt32();
  h.partition_leader_epoch = *r.ReadInt32();
  h.magic = *r.ReadInt8();
  h.crc = *r.ReadUint32();
  h.attributes = *r.ReadInt16();
  h.last_offset_delta = *r.ReadInt32();
  h.base_timestamp = *r.ReadInt64();
  h.max_timestamp = *r.ReadInt64();
  h.producer_id = *r.ReadInt64();
  h.producer_epoch = *r.ReadInt16();
  h.base_sequence = *r.ReadInt32();
  h.record_count = *r.ReadInt32();
  if (h.magic != kMagic) {
    return Malformed(absl::StrCat("magic ", h.magic, " at offset ", h.base_offset,
                                  " (only magic 2 is supported)"));
  }
  if (h.batch_length < static_cast<int32_t>(kBatchHeaderSize - kLogOverhead)) {
    return Malformed(absl::StrCat("batchLength ", h.batch_length, " is below the header size"));
  }
  if ((h.attributes & 0x7) > 4) {
    return Malformed(absl::StrCat("unknown compression codec id ", h.attributes & 0x7));
  }
  if (h.record_count < 0 || h.last_offset_delta < 0) {
    return Malformed(absl::StrCat("negative record count ", h.record_count, " or lastOffsetDelta ",
                                  h.last_offset_delta));
  }
  return h;
}

uint32_t ComputeBatchCrc(absl::string_view batch) {
  return Crc32c(batch.substr(kAttributesOffset));
}

absl::StatusOr<BatchHeader> ValidateBatch(absl::string_view batch) {
  absl::StatusOr<BatchHeader> h = ParseBatchHeader(batch);
  if (!h.ok()) return h.status();
  if (h->size() != batch.size()) {
    return Malformed(absl::StrCat("batchLength ", h->batch_length, " says ", h->size(),
                                  " bytes, have ", batch.size()));
  }
  const uint32_t computed = ComputeBatchCrc(batch);
  if (computed != h->crc) {
    return absl::DataLossError(
        absl::StrFormat("record batch at offset %d: crc mismatch: stored 0x%08x, computed 0x%08x",
                        h->base_offset, h->crc, computed));
  }
  return h;
}

absl::StatusOr<std::optional<absl::string_view>> NextBatch(absl::string_view& data,
                                                           size_t max_batch_bytes) {
  if (data.size() < kLogOverhead) return std::optional<absl::string_view>();
  const int32_t length = static_cast<int32_t>(LoadBigEndian32(data.data() + 8));
  if (length < static_cast<int32_t>(kBatchHeaderSize - kLogOverhead)) {
    return Malformed(absl::StrCat("batchLength ", length, " is below the header size"));
  }
  const size_t size = static_cast<size_t>(length) + kLogOverhead;
  if (size > max_batch_bytes) {
    return Malformed(
        absl::StrCat("batch of ", size, " bytes exceeds the limit of ", max_batch_bytes));
  }
  if (size > data.size()) return std::optional<absl::string_view>();
  absl::string_view batch = data.substr(0, size);
  data.remove_prefix(size);
  return std::optional<absl::string_view>(batch);
}

void SetBaseOffset(char* batch, int64_t base_offset) {
  StoreBigEndian64(batch, static_cast<uint64_t>(base_offset));
}

void SetPartitionLeaderEpoch(char* batch, int32_t epoch) {
  StoreBigEndian32(batch + 12, static_cast<uint32_t>(epoch));
}

}  // namespace karst::kafka::record

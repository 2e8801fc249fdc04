#include "kafka/record/byte_io.h"

#include "absl/strings/str_cat.h"

namespace karst::kafka::record {

uint16_t LoadBigEndian16(const char* at) {
  const auto* p = reinterpret_cast<const uint8_t*>(at);
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

uint32_t LoadBigEndian32(const char* at) {
  const auto* p = reinterpret_cast<const uint8_t*>(at);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

uint64_t LoadBigEndian64(const char* at) {
  return (uint64_t{LoadBigEndian32(at)} << 32) | LoadBigEndian32(at + 4);
}

void StoreBigEndian32(char* at, uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) at[i] = static_cast<char>(v & 0xff);
}

void StoreBigEndian64(char* at, uint64_t v) {
  StoreBigEndian32(at, static_cast<uint32_t>(v >> 32));
  StoreBigEndian32(at + 4, static_cast<uint32_t>(v));
}

absl::StatusOr<absl::string_view> ByteReader::Take(size_t n) {
  if (n > remaining()) {
    return absl::DataLossError(
        absl::StrCat("truncated: need ", n, " bytes at offset ", pos_, ", have ", remaining()));
  }
  absl::string_view out = data_.substr(pos_, n);
  pos_ += n;
  return out;
}

absl::StatusOr<int8_t> ByteReader::ReadInt8() {
  absl::StatusOr<absl::string_view> b = Take(1);
  if (!b.ok()) return b.status();
  return static_cast<int8_t>((*b)[0]);
}

absl::StatusOr<int16_t> ByteReader::ReadInt16() {
  absl::StatusOr<absl::string_view> b = Take(2);
  if (!b.ok()) return b.status();
  return static_cast<int16_t>(LoadBigEndian16(b->data()));
}

absl::StatusOr<int32_t> ByteReader::ReadInt32() {
  absl::StatusOr<absl::string_view> b = Take(4);
  if (!b.ok()) return b.status();
  return static_cast<int32_t>(LoadBigEndian32(b->data()));
}

absl::StatusOr<uint32_t> ByteReader::ReadUint32() {
  absl::StatusOr<absl::string_view> b = Take(4);
  if (!b.ok()) return b.status();
  return LoadBigEndian32(b->data());
}

absl::StatusOr<int64_t> ByteReader::ReadInt64() {
  absl::StatusOr<absl::string_view> b = Take(8);
  if (!b.ok()) return b.status();
  return static_cast<int64_t>(LoadBigEndian64(b->data()));
}

absl::StatusOr<uint64_t> ByteReader::ReadRawVarint(int max_bytes) {
  uint64_t result = 0;
  for (int i = 0; i < max_bytes; ++i) {
    if (pos_ >= data_.size()) {
      return absl::DataLossError(absl::StrCat("truncated varint at offset ", pos_));
    }
    const uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
    result |= uint64_t{byte & 0x7fu} << (7 * i);
    if ((byte & 0x80) == 0) return result;
  }
  return absl::DataLossError(absl::StrCat("varint longer than ", max_bytes, " bytes"));
}

absl::StatusOr<int32_t> ByteReader::ReadVarint() {
  absl::StatusOr<uint64_t> raw = ReadRawVarint(5);
  if (!raw.ok()) return raw.status();
  const auto v = static_cast<uint32_t>(*raw);
  return static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1));
}

absl::StatusOr<int64_t> ByteReader::ReadVarlong() {
  absl::StatusOr<uint64_t> raw = ReadRawVarint(10);
  if (!raw.ok()) return raw.status();
  return static_cast<int64_t>((*raw >> 1) ^ (~(*raw & 1) + 1));
}

absl::StatusOr<uint32_t> ByteReader::ReadUnsignedVarint() {
  absl::StatusOr<uint64_t> raw = ReadRawVarint(5);
  if (!raw.ok()) return raw.status();
  return static_cast<uint32_t>(*raw);
}

absl::StatusOr<absl::string_view> ByteReader::ReadBytes(size_t n) { return Take(n); }

void ByteWriter::WriteInt8(int8_t v) { out_->push_back(static_cast<char>(v)); }

void ByteWriter::WriteInt16(int16_t v) {
  const auto u = static_cast<uint16_t>(v);
  out_->push_back(static_cast<char>(u >> 8));
  out_->push_back(static_cast<char>(u & 0xff));
}

void ByteWriter::WriteInt32(int32_t v) { WriteUint32(static_cast<uint32_t>(v)); }

void ByteWriter::WriteUint32(uint32_t v) {
  char b[4];
  StoreBigEndian32(b, v);
  out_->append(b, 4);
}

void ByteWriter::WriteInt64(int64_t v) {
  char b[8];
  StoreBigEndian64(b, static_cast<uint64_t>(v));
  out_->append(b, 8);
}

void ByteWriter::WriteRawVarint(uint64_t v) {
  while (v >= 0x80) {
    out_->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<char>(v));
}

void ByteWriter::WriteVarint(int32_t v) {
  WriteRawVarint((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31));
}

void ByteWriter::WriteVarlong(int64_t v) {
  WriteRawVarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

void ByteWriter::WriteUnsignedVarint(uint32_t v) { WriteRawVarint(v); }

void ByteWriter::WriteBytes(absl::string_view bytes) { out_->append(bytes.data(), bytes.size()); }

int VarlongSize(int64_t v) {
  uint64_t u = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  int n = 1;
  while (u >= 0x80) {
    u >>= 7;
    ++n;
  }
  return n;
}

}  // namespace karst::kafka::record

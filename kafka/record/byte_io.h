// ByteReader and ByteWriter: big-endian integers and Kafka's zigzag varints over byte buffers.
// The reader never reads past its buffer: every read checks the bytes that remain and fails
// with kDataLoss ("truncated") instead. Both are plain values for one thread.
#ifndef KARST_KAFKA_RECORD_BYTE_IO_H_
#define KARST_KAFKA_RECORD_BYTE_IO_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace karst::kafka::record {

class ByteReader {
 public:
  explicit ByteReader(absl::string_view data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }

  absl::StatusOr<int8_t> ReadInt8();
  absl::StatusOr<int16_t> ReadInt16();
  absl::StatusOr<int32_t> ReadInt32();
  absl::StatusOr<int64_t> ReadInt64();
  absl::StatusOr<uint32_t> ReadUint32();
  // Zigzag varints (protobuf's sint32/sint64), as record fields use. Over-long encodings
  // (more than 5 or 10 bytes) are kDataLoss.
  absl::StatusOr<int32_t> ReadVarint();
  absl::StatusOr<int64_t> ReadVarlong();
  // Unsigned varint (the flexible protocol's lengths).
  absl::StatusOr<uint32_t> ReadUnsignedVarint();
  // A view of the next `n` bytes. kDataLoss if fewer remain.
  absl::StatusOr<absl::string_view> ReadBytes(size_t n);

 private:
  absl::StatusOr<absl::string_view> Take(size_t n);
  absl::StatusOr<uint64_t> ReadRawVarint(int max_bytes);

  absl::string_view data_;
  size_t pos_ = 0;
};

class ByteWriter {
 public:
  explicit ByteWriter(std::string* out) : out_(out) {}

  void WriteInt8(int8_t v);
  void WriteInt16(int16_t v);
  void WriteInt32(int32_t v);
  void WriteInt64(int64_t v);
  void WriteUint32(uint32_t v);
  void WriteVarint(int32_t v);
  void WriteVarlong(int64_t v);
  void WriteUnsignedVarint(uint32_t v);
  void WriteBytes(absl::string_view bytes);

 private:
  void WriteRawVarint(uint64_t v);
  std::string* out_;
};

// The size WriteVarint/WriteVarlong would write.
int VarlongSize(int64_t v);

// Big-endian stores and loads at a fixed position (for patching headers in place).
void StoreBigEndian32(char* at, uint32_t v);
void StoreBigEndian64(char* at, uint64_t v);
uint32_t LoadBigEndian32(const char* at);
uint64_t LoadBigEndian64(const char* at);
uint16_t LoadBigEndian16(const char* at);

}  // namespace karst::kafka::record

#endif  // KARST_KAFKA_RECORD_BYTE_IO_H_

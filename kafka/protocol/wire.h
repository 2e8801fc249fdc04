// The Kafka protocol's primitive encodings, for the generated message codecs: big-endian
// integers, unsigned varints, UUIDs, and strings, bytes, records and arrays in classic
// (int16/int32 length) and compact (unsigned varint length + 1) forms, with nullable variants.
//
// Reader never trusts a length: every string, bytes, records and array size is checked
// against the bytes that remain before anything is allocated, and errors are
// kInvalidArgument values ("string length 1000 exceeds the 12 bytes left"). Records stay
// views into the decoded buffer, which must outlive them. Plain values for one thread.
#ifndef KARST_KAFKA_PROTOCOL_WIRE_H_
#define KARST_KAFKA_PROTOCOL_WIRE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace karst::kafka::protocol {

using Uuid = std::array<uint8_t, 16>;

// A tagged field this build does not know (or a known tag in a version that lacks it); kept
// so re-encoding reproduces it.
struct TaggedField {
  uint32_t tag = 0;
  std::string data;
  bool operator==(const TaggedField&) const = default;
};

class Reader {
 public:
  explicit Reader(absl::string_view data) : data_(data) {}
  // The reader keeps a view: a temporary string would leave it dangling.
  explicit Reader(std::string&&) = delete;

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }

  absl::Status Int8(int8_t* v);
  absl::Status Int16(int16_t* v);
  absl::Status Uint16(uint16_t* v);
  absl::Status Int32(int32_t* v);
  absl::Status Int64(int64_t* v);
  absl::Status Float64(double* v);
  absl::Status Bool(bool* v);
  absl::Status Uuid(protocol::Uuid* v);
  absl::Status UnsignedVarint(uint32_t* v);

  absl::Status String(std::string* v, bool compact);
  absl::Status NullableString(std::optional<std::string>* v, bool compact);
  absl::Status Bytes(std::string* v, bool compact);
  absl::Status NullableBytes(std::optional<std::string>* v, bool compact);
  // Records stay views into the buffer (no copy of produce payloads).
  absl::Status Records(absl::string_view* v, bool compact);
  absl::Status NullableRecords(std::optional<absl::string_view>* v, bool compact);
  // An array's element count; -1 for a null array. The count may not exceed the bytes left.
  absl::Status ArrayLength(int32_t* n, bool compact);
  // The next `n` bytes, as a view.
  absl::Status Raw(size_t n, absl::string_view* v);

 private:
  absl::Status Need(size_t n, absl::string_view what) const;
  // A length for strings and bytes: -1 (null) or the byte count, checked against remaining.
  absl::Status Length(bool compact, bool wide, absl::string_view what, int64_t* n);
  // A length-prefixed field as a view (nullopt for null), and the same refusing null.
  absl::Status LengthPrefixed(bool compact, bool wide, absl::string_view what,
                              std::optional<absl::string_view>* v);
  absl::Status NonNull(bool compact, bool wide, absl::string_view what, absl::string_view* v);

  absl::string_view data_;
  size_t pos_ = 0;
};

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}

  void Int8(int8_t v);
  void Int16(int16_t v);
  void Uint16(uint16_t v);
  void Int32(int32_t v);
  void Int64(int64_t v);
  void Float64(double v);
  void Bool(bool v) { Int8(v ? 1 : 0); }
  void Uuid(const protocol::Uuid& v);
  void UnsignedVarint(uint32_t v);

  void String(absl::string_view v, bool compact);
  void NullableString(const std::optional<std::string>& v, bool compact);
  void Bytes(absl::string_view v, bool compact);
  void NullableBytes(const std::optional<std::string>& v, bool compact);
  void Records(absl::string_view v, bool compact) { Bytes(v, compact); }
  void NullableRecords(const std::optional<absl::string_view>& v, bool compact);
  void ArrayLength(size_t n, bool compact);
  void NullArray(bool compact);
  void Raw(absl::string_view bytes) { out_->append(bytes.data(), bytes.size()); }

  // Writes a tagged-field section: the count, then each field (sorted by tag).
  void TaggedFields(std::vector<TaggedField> fields);

 private:
  std::string* out_;
};

}  // namespace karst::kafka::protocol

#endif  // KARST_KAFKA_PROTOCOL_WIRE_H_

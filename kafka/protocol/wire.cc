#include "kafka/protocol/wire.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "kafka/record/byte_io.h"

namespace karst::kafka::protocol {
namespace {

using record::LoadBigEndian16;
using record::LoadBigEndian32;
using record::LoadBigEndian64;
using record::StoreBigEndian32;
using record::StoreBigEndian64;

}  // namespace

absl::Status Reader::Need(size_t n, absl::string_view what) const {
  if (n <= remaining()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(what, " needs ", n, " bytes, ", remaining(), " left at byte ", pos_));
}

absl::Status Reader::Int8(int8_t* v) {
  if (absl::Status s = Need(1, "int8"); !s.ok()) return s;
  *v = static_cast<int8_t>(data_[pos_++]);
  return absl::OkStatus();
}

absl::Status Reader::Int16(int16_t* v) {
  if (absl::Status s = Need(2, "int16"); !s.ok()) return s;
  *v = static_cast<int16_t>(LoadBigEndian16(data_.data() + pos_));
  pos_ += 2;
  return absl::OkStatus();
}

absl::Status Reader::Uint16(uint16_t* v) {
  if (absl::Status s = Need(2, "uint16"); !s.ok()) return s;
  *v = LoadBigEndian16(data_.data() + pos_);
  pos_ += 2;
  return absl::OkStatus();
}

absl::Status Reader::Int32(int32_t* v) {
  if (absl::Status s = Need(4, "int32"); !s.ok()) return s;
  *v = static_cast<int32_t>(LoadBigEndian32(data_.data() + pos_));
  pos_ += 4;
  return absl::OkStatus();
}

absl::Status Reader::Int64(int64_t* v) {
  if (absl::Status s = Need(8, "int64"); !s.ok()) return s;
  *v = static_cast<int64_t>(LoadBigEndian64(data_.data() + pos_));
  pos_ += 8;
  return absl::OkStatus();
}

absl::Status Reader::Float64(double* v) {
  int64_t bits;
  if (absl::Status s = Int64(&bits); !s.ok()) return s;
  std::memcpy(v, &bits, sizeof(*v));
  return absl::OkStatus();
}

absl::Status Reader::Bool(bool* v) {
  int8_t b;
  if (absl::Status s = Int8(&b); !s.ok()) return s;
  *v = b != 0;
  return absl::OkStatus();
}

absl::Status Reader::Uuid(protocol::Uuid* v) {
  if (absl::Status s = Need(16, "uuid"); !s.ok()) return s;
  std::memcpy(v->data(), data_.data() + pos_, 16);
  pos_ += 16;
  return absl::OkStatus();
}

absl::Status Reader::UnsignedVarint(uint32_t* v) {
  uint32_t result = 0;
  for (int i = 0; i < 5; ++i) {
    if (pos_ >= data_.size()) {
      return absl::InvalidArgumentError(absl::StrCat("truncated varint at byte ", pos_));
    }
    const uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
    if (i == 4 && (byte & 0xf0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("varint overflows 32 bits at byte ", pos_));
    }
    result |= uint32_t{byte & 0x7fu} << (7 * i);
    if ((byte & 0x80) == 0) {
      *v = result;
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("varint longer than 5 bytes at byte ", pos_));
}

absl::Status Reader::Length(bool compact, bool wide, absl::string_view what, int64_t* n) {
  if (compact) {
    uint32_t raw;
    if (absl::Status s = UnsignedVarint(&raw); !s.ok()) return s;
    *n = static_cast<int64_t>(raw) - 1;
  } else if (wide) {
    int32_t raw;
    if (absl::Status s = Int32(&raw); !s.ok()) return s;
    *n = raw;
  } else {
    int16_t raw;
    if (absl::Status s = Int16(&raw); !s.ok()) return s;
    *n = raw;
  }
  if (*n < -1) return absl::InvalidArgumentError(absl::StrCat(what, " length ", *n));
  if (*n > static_cast<int64_t>(remaining())) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " length ", *n, " exceeds the ", remaining(), " bytes left"));
  }
  return absl::OkStatus();
}

absl::Status Reader::Raw(size_t n, absl::string_view* v) {
  if (absl::Status s = Need(n, "field"); !s.ok()) return s;
  *v = data_.substr(pos_, n);
  pos_ += n;
  return absl::OkStatus();
}

absl::Status Reader::LengthPrefixed(bool compact, bool wide, absl::string_view what,
                                    std::optional<absl::string_view>* v) {
  int64_t n;
  if (absl::Status s = Length(compact, wide, what, &n); !s.ok()) return s;
  if (n < 0) {
    v->reset();
    return absl::OkStatus();
  }
  *v = data_.substr(pos_, static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return absl::OkStatus();
}

absl::Status Reader::NonNull(bool compact, bool wide, absl::string_view what,
                             absl::string_view* v) {
  std::optional<absl::string_view> view;
  if (absl::Status s = LengthPrefixed(compact, wide, what, &view); !s.ok()) return s;
  if (!view.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("null where ", what, " is required"));
  }
  *v = *view;
  return absl::OkStatus();
}

absl::Status Reader::NullableString(std::optional<std::string>* v, bool compact) {
  std::optional<absl::string_view> view;
  if (absl::Status s = LengthPrefixed(compact, /*wide=*/false, "string", &view); !s.ok()) {
    return s;
  }
  if (view.has_value()) {
    v->emplace(*view);
  } else {
    v->reset();
  }
  return absl::OkStatus();
}

absl::Status Reader::String(std::string* v, bool compact) {
  absl::string_view view;
  if (absl::Status s = NonNull(compact, /*wide=*/false, "string", &view); !s.ok()) return s;
  v->assign(view.data(), view.size());
  return absl::OkStatus();
}

absl::Status Reader::NullableBytes(std::optional<std::string>* v, bool compact) {
  std::optional<absl::string_view> view;
  if (absl::Status s = LengthPrefixed(compact, /*wide=*/true, "bytes", &view); !s.ok()) return s;
  if (view.has_value()) {
    v->emplace(*view);
  } else {
    v->reset();
  }
  return absl::OkStatus();
}

absl::Status Reader::Bytes(std::string* v, bool compact) {
  absl::string_view view;
  if (absl::Status s = NonNull(compact, /*wide=*/true, "bytes", &view); !s.ok()) return s;
  v->assign(view.data(), view.size());
  return absl::OkStatus();
}

absl::Status Reader::NullableRecords(std::optional<absl::string_view>* v, bool compact) {
  return LengthPrefixed(compact, /*wide=*/true, "records", v);
}

absl::Status Reader::Records(absl::string_view* v, bool compact) {
  return NonNull(compact, /*wide=*/true, "records", v);
}

absl::Status Reader::ArrayLength(int32_t* n, bool compact) {
  int64_t length;
  if (absl::Status s = Length(compact, /*wide=*/true, "array", &length); !s.ok()) return s;
  *n = static_cast<int32_t>(length);
  return absl::OkStatus();
}

void Writer::Int8(int8_t v) { out_->push_back(static_cast<char>(v)); }

void Writer::Int16(int16_t v) { Uint16(static_cast<uint16_t>(v)); }

void Writer::Uint16(uint16_t v) {
  out_->push_back(static_cast<char>(v >> 8));
  out_->push_back(static_cast<char>(v & 0xff));
}

void Writer::Int32(int32_t v) {
  char b[4];
  StoreBigEndian32(b, static_cast<uint32_t>(v));
  out_->append(b, 4);
}

void Writer::Int64(int64_t v) {
  char b[8];
  StoreBigEndian64(b, static_cast<uint64_t>(v));
  out_->append(b, 8);
}

void Writer::Float64(double v) {
  int64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  Int64(bits);
}

void Writer::Uuid(const protocol::Uuid& v) {
  out_->append(reinterpret_cast<const char*>(v.data()), v.size());
}

void Writer::UnsignedVarint(uint32_t v) {
  while (v >= 0x80) {
    out_->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<char>(v));
}

void Writer::String(absl::string_view v, bool compact) {
  if (compact) {
    UnsignedVarint(static_cast<uint32_t>(v.size() + 1));
  } else {
    Int16(static_cast<int16_t>(v.size()));
  }
  Raw(v);
}

void Writer::NullableString(const std::optional<std::string>& v, bool compact) {
  if (v.has_value()) return String(*v, compact);
  if (compact) {
    UnsignedVarint(0);
  } else {
    Int16(-1);
  }
}

void Writer::Bytes(absl::string_view v, bool compact) {
  if (compact) {
    UnsignedVarint(static_cast<uint32_t>(v.size() + 1));
  } else {
    Int32(static_cast<int32_t>(v.size()));
  }
  Raw(v);
}

void Writer::NullableBytes(const std::optional<std::string>& v, bool compact) {
  if (v.has_value()) return Bytes(*v, compact);
  NullArray(compact);
}

void Writer::NullableRecords(const std::optional<absl::string_view>& v, bool compact) {
  if (v.has_value()) return Bytes(*v, compact);
  NullArray(compact);
}

void Writer::ArrayLength(size_t n, bool compact) {
  if (compact) {
    UnsignedVarint(static_cast<uint32_t>(n + 1));
  } else {
    Int32(static_cast<int32_t>(n));
  }
}

void Writer::NullArray(bool compact) {
  if (compact) {
    UnsignedVarint(0);
  } else {
    Int32(-1);
  }
}

void Writer::TaggedFields(std::vector<TaggedField> fields) {
  std::stable_sort(fields.begin(), fields.end(),
                   [](const TaggedField& a, const TaggedField& b) { return a.tag < b.tag; });
  UnsignedVarint(static_cast<uint32_t>(fields.size()));
  for (const TaggedField& f : fields) {
    UnsignedVarint(f.tag);
    UnsignedVarint(static_cast<uint32_t>(f.data.size()));
    Raw(f.data);
  }
}

}  // namespace karst::kafka::protocol

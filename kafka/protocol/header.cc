#include "kafka/protocol/header.h"

#include "absl/strings/str_cat.h"
#include "kafka/record/byte_io.h"

namespace karst::kafka::protocol {
namespace {

// The tagged-field section of a header; unknown tags are kept.
absl::Status DecodeTags(Reader& r, std::vector<TaggedField>* fields) {
  uint32_t count;
  if (absl::Status s = r.UnsignedVarint(&count); !s.ok()) return s;
  int64_t last_tag = -1;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t tag, size;
    absl::string_view data;
    if (absl::Status s = r.UnsignedVarint(&tag); !s.ok()) return s;
    // KIP-482: tags ascend strictly.
    if (static_cast<int64_t>(tag) <= last_tag) {
      return absl::InvalidArgumentError(
          absl::StrCat("tagged field ", tag, " repeats or is out of order"));
    }
    last_tag = tag;
    if (absl::Status s = r.UnsignedVarint(&size); !s.ok()) return s;
    if (absl::Status s = r.Raw(size, &data); !s.ok()) return s;
    fields->push_back({tag, std::string(data)});
  }
  return absl::OkStatus();
}

absl::Status HeaderError(absl::string_view which, const absl::Status& s) {
  return absl::InvalidArgumentError(absl::StrCat(which, " header: ", s.message()));
}

}  // namespace

absl::Status DecodeRequestHeader(Reader& r, int header_version, RequestHeader* header) {
  absl::Status s = r.Int16(&header->api_key);
  if (s.ok()) s = r.Int16(&header->api_version);
  if (s.ok()) s = r.Int32(&header->correlation_id);
  if (s.ok() && header_version >= 1) s = r.NullableString(&header->client_id, /*compact=*/false);
  if (s.ok() && header_version >= 2) s = DecodeTags(r, &header->unknown_tagged_fields);
  return s.ok() ? s : HeaderError("request", s);
}

void EncodeRequestHeader(Writer& w, int header_version, const RequestHeader& header) {
  w.Int16(header.api_key);
  w.Int16(header.api_version);
  w.Int32(header.correlation_id);
  if (header_version >= 1) w.NullableString(header.client_id, /*compact=*/false);
  if (header_version >= 2) w.TaggedFields(header.unknown_tagged_fields);
}

absl::Status DecodeResponseHeader(Reader& r, int header_version, ResponseHeader* header) {
  absl::Status s = r.Int32(&header->correlation_id);
  if (s.ok() && header_version >= 1) s = DecodeTags(r, &header->unknown_tagged_fields);
  return s.ok() ? s : HeaderError("response", s);
}

void EncodeResponseHeader(Writer& w, int header_version, const ResponseHeader& header) {
  w.Int32(header.correlation_id);
  if (header_version >= 1) w.TaggedFields(header.unknown_tagged_fields);
}

absl::StatusOr<std::pair<int16_t, int16_t>> PeekApiKeyAndVersion(absl::string_view request) {
  if (request.size() < 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("request of ", request.size(), " bytes has no api key and version"));
  }
  return std::make_pair(static_cast<int16_t>(record::LoadBigEndian16(request.data())),
                        static_cast<int16_t>(record::LoadBigEndian16(request.data() + 2)));
}

absl::StatusOr<std::optional<int32_t>> FrameSize(absl::string_view buffer,
                                                 int32_t max_frame_bytes) {
  if (buffer.size() < 4) return std::optional<int32_t>();
  const auto size = static_cast<int32_t>(record::LoadBigEndian32(buffer.data()));
  if (size < 0 || size > max_frame_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame of ", size, " bytes is outside [0, ", max_frame_bytes, "]"));
  }
  return std::optional<int32_t>(size);
}

std::string Frame(absl::string_view payload) {
  std::string out;
  out.reserve(4 + payload.size());
  Writer w(&out);
  w.Int32(static_cast<int32_t>(payload.size()));
  w.Raw(payload);
  return out;
}

}  // namespace karst::kafka::protocol

// Kafka request and response headers, and the frames around them.
//
//   request header v0: api_key int16, api_version int16, correlation_id int32
//                  v1: + client_id nullable string (always the classic, int16-length form)
//                  v2: + tagged fields
//   response header v0: correlation_id int32;  v1: + tagged fields
//
// Which version a message uses comes from the API table (apis.h): flexible request versions
// use header v2, flexible responses v1, and ApiVersions responses always v0 (KIP-511).
// Frames are a 4-byte big-endian size then that many bytes; sizes above the configured
// maximum (socket.request.max.bytes, 100 MiB by default) are refused before any allocation.
#ifndef KARST_KAFKA_PROTOCOL_HEADER_H_
#define KARST_KAFKA_PROTOCOL_HEADER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kafka/protocol/wire.h"

namespace karst::kafka::protocol {

struct RequestHeader {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;
  std::vector<TaggedField> unknown_tagged_fields;
  bool operator==(const RequestHeader&) const = default;
};

struct ResponseHeader {
  int32_t correlation_id = 0;
  std::vector<TaggedField> unknown_tagged_fields;
  bool operator==(const ResponseHeader&) const = default;
};

// Decodes a request header of `header_version` (0, 1 or 2).
absl::Status DecodeRequestHeader(Reader& r, int header_version, RequestHeader* header);
void EncodeRequestHeader(Writer& w, int header_version, const RequestHeader& header);
absl::Status DecodeResponseHeader(Reader& r, int header_version, ResponseHeader* header);
void EncodeResponseHeader(Writer& w, int header_version, const ResponseHeader& header);

// Reads api_key and api_version from the first four bytes of a request, which every header
// version shares. kInvalidArgument if fewer than four bytes.
absl::StatusOr<std::pair<int16_t, int16_t>> PeekApiKeyAndVersion(absl::string_view request);

// The size of the frame at the front of `buffer`: nullopt while fewer than four bytes have
// arrived; kInvalidArgument for a negative size or one above `max_frame_bytes`.
absl::StatusOr<std::optional<int32_t>> FrameSize(absl::string_view buffer, int32_t max_frame_bytes);

// `payload` with its 4-byte size prefix.
std::string Frame(absl::string_view payload);

}  // namespace karst::kafka::protocol

#endif  // KARST_KAFKA_PROTOCOL_HEADER_H_

// Whole requests and responses: header plus body, with the header version chosen from the
// API table, and the ApiVersions answer for a version the broker does not serve (KIP-511).
// Pure functions over buffers; the request's body stays a view into the frame.
#ifndef KARST_KAFKA_PROTOCOL_CODEC_H_
#define KARST_KAFKA_PROTOCOL_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kafka/protocol/apis.h"
#include "kafka/protocol/header.h"
#include "kafka/protocol/wire.h"

namespace karst::kafka::protocol {

struct Request {
  const ApiInfo* api = nullptr;  // nullptr when the key is not in the table.
  RequestHeader header;
  absl::string_view body;  // The bytes after the header, a view into the frame.
};

// Splits a request frame (without its size prefix) into header and body. An unknown API key
// decodes with header v1 and `api == nullptr`, so the caller can still answer or close.
// kInvalidArgument for a malformed header.
absl::StatusOr<Request> DecodeRequest(absl::string_view frame);

// Decodes `request`'s body as `Message`; trailing bytes are an error.
template <typename Message>
absl::Status DecodeBody(const Request& request, Message* message) {
  Reader r(request.body);
  if (absl::Status s = message->Decode(r, request.header.api_version); !s.ok()) return s;
  if (r.remaining() != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        request.api != nullptr ? request.api->name : "request", " v", request.header.api_version,
        ": ", r.remaining(), " bytes after the last field"));
  }
  return absl::OkStatus();
}

// A response frame (with its size prefix) for `api` at `version`.
template <typename Message>
std::string EncodeResponse(const ApiInfo& api, int16_t version, int32_t correlation_id,
                           const Message& body) {
  std::string payload;
  Writer w(&payload);
  EncodeResponseHeader(w, ResponseHeaderVersion(api, version), {correlation_id, {}});
  body.Encode(w, version);
  return Frame(payload);
}

// KIP-511: the answer to an ApiVersions request whose version is above the broker's maximum:
// error 35 (UNSUPPORTED_VERSION) and the ApiVersions range, in the v0 body format with
// response header v0, so that the client can retry at a version both sides speak.
std::string EncodeApiVersionsUnsupported(int32_t correlation_id);

}  // namespace karst::kafka::protocol

#endif  // KARST_KAFKA_PROTOCOL_CODEC_H_

#include "kafka/protocol/codec.h"

#include "absl/strings/str_cat.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/api_versions.h"

namespace karst::kafka::protocol {

absl::StatusOr<Request> DecodeRequest(absl::string_view frame) {
  absl::StatusOr<std::pair<int16_t, int16_t>> key = PeekApiKeyAndVersion(frame);
  if (!key.ok()) return key.status();
  Request request;
  request.api = FindApi(key->first);
  // Unknown APIs and versions still carry a v1 header (every client sends at least v1).
  int header_version = 1;
  if (request.api != nullptr && key->second >= request.api->min_version &&
      key->second <= request.api->max_version) {
    header_version = RequestHeaderVersion(*request.api, key->second);
  }
  Reader r(frame);
  if (absl::Status s = DecodeRequestHeader(r, header_version, &request.header); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(request.api != nullptr ? request.api->name : "unknown api", " (key ",
                     key->first, ") v", key->second, ": ", s.message()));
  }
  request.body = frame.substr(r.position());
  return request;
}

std::string EncodeApiVersionsUnsupported(int32_t correlation_id) {
  ApiVersionsResponse response;
  response.error_code = static_cast<int16_t>(ErrorCode::kUnsupportedVersion);
  response.api_keys.push_back({ApiVersionsRequest::kApiKey,
                               ApiVersionsRequest::kMinVersion,
                               ApiVersionsRequest::kMaxVersion,
                               {}});
  const ApiInfo* api = FindApi(ApiVersionsRequest::kApiKey);
  return EncodeResponse(*api, /*version=*/0, correlation_id, response);
}

}  // namespace karst::kafka::protocol

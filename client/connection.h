// Connection: a blocking Kafka protocol connection from a client to one broker. Open()
// connects within the connect timeout and negotiates versions with ApiVersions (KIP-511);
// Call() sends one request and waits for its response, each bounded by the request timeout.
// Any transport error closes the connection; later calls fail with kUnavailable.
// Pipelining: Begin() sends a request and returns at once; Finish() reads the oldest
// outstanding response (a broker answers a connection's requests in order). Call() is Begin
// then Finish and requires no outstanding Begin.
//
// Thread-safety: none; one thread drives a connection.
#ifndef KARST_CLIENT_CONNECTION_H_
#define KARST_CLIENT_CONNECTION_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "kafka/protocol/apis.h"
#include "kafka/protocol/header.h"
#include "kafka/protocol/wire.h"

namespace karst::client {

struct ConnectionOptions {
  std::string client_id = "karst";
  absl::Duration connect_timeout = absl::Seconds(10);
  // Bounds each Call: sending the request and reading its whole response.
  absl::Duration request_timeout = absl::Seconds(30);
  // Responses larger than this are refused before any allocation.
  int32_t max_response_bytes = 100 << 20;
};

class Connection {
 public:
  // Connects to host:port (a name or an IPv4/IPv6 address) and sends ApiVersions. `clock`
  // must outlive the connection. Errors: kUnavailable naming host:port when refused or
  // unreachable; kDeadlineExceeded past connect_timeout or request_timeout.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& host, int port,
                                                          ConnectionOptions options, Clock& clock);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends `request` without waiting for a response, for requests the broker never answers
  // (Produce with acks=0). Errors as Call.
  template <typename Request>
  absl::Status Send(const Request& request, int16_t version) {
    namespace kp = ::karst::kafka::protocol;
    std::string body;
    kp::Writer w(&body);
    request.Encode(w, version);
    return SendRequest(*kp::FindApi(Request::kApiKey), version, body);
  }

  // "host:port".
  const std::string& address() const { return address_; }

  // The version to use for `api_key`: min(our_max, the broker's max). kFailedPrecondition if
  // the broker does not serve the API or no version in [our_min, our_max] is shared.
  absl::StatusOr<int16_t> Version(int16_t api_key, int16_t our_min, int16_t our_max) const;
  // As above, with our range taken from Request's generated kMinVersion..kMaxVersion.
  template <typename Request>
  absl::StatusOr<int16_t> Version(int16_t our_max = Request::kMaxVersion) const {
    return Version(Request::kApiKey, Request::kMinVersion, our_max);
  }

  // Sends `request` at `version` with a new correlation id and decodes the response (checking
  // the correlation id) into `response`. Errors: kUnavailable for transport failures,
  // kDeadlineExceeded past request_timeout, kDataLoss for a response that does not decode.
  // Responses holding record views (Fetch) need `response_buffer`: it receives the bytes the
  // views point into and must outlive `response`.
  template <typename Request, typename Response>
  absl::Status Call(const Request& request, int16_t version, Response* response,
                    std::string* response_buffer = nullptr) {
    namespace kp = ::karst::kafka::protocol;
    const kp::ApiInfo* api = kp::FindApi(Request::kApiKey);
    std::string body;
    kp::Writer w(&body);
    request.Encode(w, version);
    absl::StatusOr<std::string> frame =
        RoundTrip(*api, version, body, kp::ResponseHeaderVersion(*api, version));
    if (!frame.ok()) return frame.status();
    return DecodeInto(*api, version, *std::move(frame), response, response_buffer);
  }

  // Sends `request` at `version` and returns its correlation id without waiting; the response
  // must be read with Finish(), in the order of the Begin calls. Errors as Call.
  template <typename Request>
  absl::StatusOr<int32_t> Begin(const Request& request, int16_t version) {
    namespace kp = ::karst::kafka::protocol;
    const kp::ApiInfo* api = kp::FindApi(Request::kApiKey);
    std::string body;
    kp::Writer w(&body);
    request.Encode(w, version);
    absl::StatusOr<int32_t> id =
        SendFrame(*api, version, body, clock_.Monotonic() + options_.request_timeout);
    if (id.ok()) outstanding_.push_back({*id, api, version});
    return id;
  }

  // Reads the response to the oldest outstanding Begin into `response`, waiting at most
  // request.timeout.ms. Errors as Call (kFailedPrecondition when nothing is outstanding); any
  // error closes the connection, and the remaining outstanding requests are then forgotten.
  template <typename Response>
  absl::Status Finish(Response* response, std::string* response_buffer = nullptr) {
    namespace kp = ::karst::kafka::protocol;
    if (outstanding_.empty()) return absl::FailedPreconditionError("no outstanding request");
    const Outstanding o = outstanding_.front();
    outstanding_.pop_front();
    absl::StatusOr<std::string> frame = ReadResponse(*o.api, o.version, o.correlation_id,
                                                     kp::ResponseHeaderVersion(*o.api, o.version),
                                                     clock_.Monotonic() + options_.request_timeout);
    if (!frame.ok()) return frame.status();
    return DecodeInto(*o.api, o.version, *std::move(frame), response, response_buffer);
  }

  // Requests sent with Begin whose responses Finish has not read.
  size_t in_flight() const { return outstanding_.size(); }
  // The socket, for poll(); -1 once closed.
  int fd() const { return fd_; }

 private:
  struct Outstanding {
    int32_t correlation_id;
    const ::karst::kafka::protocol::ApiInfo* api;
    int16_t version;
  };

  template <typename Response>
  absl::Status DecodeInto(const ::karst::kafka::protocol::ApiInfo& api, int16_t version,
                          std::string frame, Response* response, std::string* response_buffer) {
    namespace kp = ::karst::kafka::protocol;
    std::string local;
    std::string& bytes = response_buffer != nullptr ? *response_buffer : local;
    bytes = std::move(frame);
    kp::Reader r(bytes);
    if (absl::Status s = response->Decode(r, version); !s.ok()) {
      Close();
      return absl::DataLossError(
          absl::StrCat(address_, ": ", api.name, " v", version, " response: ", s.message()));
    }
    return absl::OkStatus();
  }

  Connection(std::string address, ConnectionOptions options, Clock& clock)
      : address_(std::move(address)), options_(std::move(options)), clock_(clock) {}

  absl::Status Connect(const std::string& host, int port);
  absl::Status NegotiateVersions();
  // Sends one request frame and returns the response body after a header of
  // `response_header_version` whose correlation id matched.
  absl::StatusOr<std::string> RoundTrip(const ::karst::kafka::protocol::ApiInfo& api,
                                        int16_t version, const std::string& body,
                                        int response_header_version);
  // Reads one response frame and checks its correlation id; returns the body.
  absl::StatusOr<std::string> ReadResponse(const ::karst::kafka::protocol::ApiInfo& api,
                                           int16_t version, int32_t correlation_id,
                                           int response_header_version, absl::Duration deadline);
  // Sends one request frame; returns its correlation id.
  absl::StatusOr<int32_t> SendFrame(const ::karst::kafka::protocol::ApiInfo& api, int16_t version,
                                    const std::string& body, absl::Duration deadline);
  absl::Status SendRequest(const ::karst::kafka::protocol::ApiInfo& api, int16_t version,
                           const std::string& body);
  absl::Status SendAll(absl::string_view data, absl::Duration deadline);
  absl::Status ReadExactly(size_t n, absl::Duration deadline, std::string* out);
  absl::Status Wait(short events, absl::Duration deadline);
  void Close();

  const std::string address_;
  const ConnectionOptions options_;
  Clock& clock_;
  int fd_ = -1;
  int32_t next_correlation_id_ = 1;
  // The broker's [min, max] per API key, from ApiVersions.
  std::map<int16_t, std::pair<int16_t, int16_t>> broker_versions_;
  std::deque<Outstanding> outstanding_;  // Begun, not yet finished, oldest first.
};

}  // namespace karst::client

#endif  // KARST_CLIENT_CONNECTION_H_

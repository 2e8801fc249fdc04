// One-shot probes of a karstd node, for `karst cluster`: its admin HTTP server (/healthz,
// /metrics) and its Kafka listener (a Metadata request over a plain TCP socket). Each call
// blocks for at most its timeout, measured on the given Clock. Thread-safe (no shared state).
#ifndef KARST_CLIENT_CLI_NODE_PROBE_H_
#define KARST_CLIENT_CLI_NODE_PROBE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace karst::cli {

struct HttpResponse {
  int status_code = 0;
  std::string body;
};

// `GET <path> HTTP/1.0` to address:port, read until the server closes. Any status code is a
// response. Errors: kUnavailable if refused, reset or malformed; kDeadlineExceeded on timeout.
absl::StatusOr<HttpResponse> HttpGet(const std::string& address, int port, const std::string& path,
                                     absl::Duration timeout, Clock& clock);

// OK iff GET /healthz answers 200. Errors: HttpGet's; kUnavailable naming another status.
absl::Status CheckHealthz(const std::string& address, int admin_port, absl::Duration timeout,
                          Clock& clock);

// OK iff GET /readyz answers 200: a broker registered, unfenced and caught up with the
// metadata log, a controller that knows the active one. Errors: HttpGet's; kUnavailable
// naming what the node says is missing.
absl::Status CheckReadyz(const std::string& address, int admin_port, absl::Duration timeout,
                         Clock& clock);

// The broker ids listed by a Metadata v1 request (no topics) sent to address:port.
// Errors: as HttpGet, plus kUnavailable for an undecodable response.
absl::StatusOr<std::vector<int32_t>> FetchBrokerIds(const std::string& address, int port,
                                                    absl::Duration timeout, Clock& clock);

// The value of the first sample of `metric` (with any labels) in Prometheus text format.
// Errors: kNotFound if there is none.
absl::StatusOr<double> FindMetric(absl::string_view text, absl::string_view metric);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_NODE_PROBE_H_

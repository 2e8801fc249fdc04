// A tiny blocking HTTP/1.0 GET client for karstd's admin server (/healthz, /metrics), so tests
// need no curl. Thread-safe (no shared state).
#ifndef KARST_TESTS_HARNESS_HTTP_GET_H_
#define KARST_TESTS_HARNESS_HTTP_GET_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace karst::testing {

struct HttpResponse {
  int status_code = 0;  // e.g. 200
  std::string body;     // everything after the header block
};

// Sends `GET <path> HTTP/1.0` to `address`:`port` and reads the response until the server
// closes the connection, all within `timeout`. Any status code is a successful response.
// Errors: kInvalidArgument for a bad address; kUnavailable if the connection is refused or
// reset, or the response is malformed; kDeadlineExceeded if the whole exchange does not finish
// in time (e.g. the server is paused with SIGSTOP).
absl::StatusOr<HttpResponse> HttpGet(const std::string& address, int port, const std::string& path,
                                     absl::Duration timeout);

}  // namespace karst::testing

#endif  // KARST_TESTS_HARNESS_HTTP_GET_H_

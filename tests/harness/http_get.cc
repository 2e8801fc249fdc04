#include "tests/harness/http_get.h"

#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "tests/harness/scoped_fd.h"
#include "tests/harness/tcp.h"

namespace karst::testing {
namespace {

absl::Status SendAll(int fd, const std::string& data, absl::Time deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    RETURN_IF_ERROR(PollUntil(fd, POLLOUT, deadline));
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
    sent += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadToEof(int fd, absl::Time deadline) {
  std::string data;
  char buffer[8192];
  for (;;) {
    RETURN_IF_ERROR(PollUntil(fd, POLLIN, deadline));
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return absl::UnavailableError(absl::StrCat("recv: ", strerror(errno)));
    if (n == 0) return data;
    data.append(buffer, static_cast<size_t>(n));
  }
}

absl::StatusOr<HttpResponse> Parse(const std::string& raw) {
  const size_t header_end = raw.find("\r\n\r\n");
  // "HTTP/1.1 200 OK": the code is the second word of the status line.
  std::vector<std::string> words =
      absl::StrSplit(raw.substr(0, raw.find("\r\n")), absl::MaxSplits(' ', 2));
  HttpResponse response;
  if (header_end == std::string::npos || words.size() < 2 || !absl::StartsWith(words[0], "HTTP/") ||
      !absl::SimpleAtoi(words[1], &response.status_code)) {
    return absl::UnavailableError(absl::StrCat("malformed http response (", raw.size(), " bytes)"));
  }
  response.body = raw.substr(header_end + 4);
  return response;
}

}  // namespace

absl::StatusOr<HttpResponse> HttpGet(const std::string& address, int port, const std::string& path,
                                     absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  ASSIGN_OR_RETURN(const ScopedFd fd, ConnectTcp("", address, port, timeout));
  const std::string request = absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: ", address, ":", port,
                                           "\r\nConnection: close\r\n\r\n");
  const std::string context = absl::StrCat("GET http://", address, ":", port, path);
  RETURN_IF_ERROR(Annotate(SendAll(fd.get(), request, deadline), context));
  absl::StatusOr<std::string> raw = ReadToEof(fd.get(), deadline);
  RETURN_IF_ERROR(Annotate(raw.status(), context));
  absl::StatusOr<HttpResponse> response = Parse(*raw);
  RETURN_IF_ERROR(Annotate(response.status(), context));
  return response;
}

}  // namespace karst::testing

#include "tests/harness/tcp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace karst::testing {
namespace {

absl::StatusOr<sockaddr_in> ParseAddress(const std::string& address, int port) {
  sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (port < 0 || port > 65535 || inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("address ", address, ":", port, ": not an IPv4 address and port"));
  }
  return addr;
}

absl::StatusOr<ScopedFd> NewSocket() {
  ScopedFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  return fd;
}

absl::Status Bind(int fd, const std::string& address, int port) {
  ASSIGN_OR_RETURN(const sockaddr_in addr, ParseAddress(address, port));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::UnavailableError(absl::StrCat("bind ", address, ":", port, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

// Completes a non-blocking connect that returned EINPROGRESS.
absl::Status FinishConnect(int fd, const std::string& target, absl::Duration timeout) {
  RETURN_IF_ERROR(Annotate(PollUntil(fd, POLLOUT, absl::Now() + timeout), "connect " + target));
  int error = 0;
  socklen_t len = sizeof(error);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
  if (error != 0) {
    return absl::UnavailableError(absl::StrCat("connect ", target, ": ", strerror(error)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status PollUntil(int fd, short events, absl::Time deadline) {
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return absl::DeadlineExceededError("timed out");
    pollfd pfd{fd, events, 0};
    const int ms = static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(left)));
    const int n = poll(&pfd, 1, ms);
    if (n > 0) return absl::OkStatus();
    if (n < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", strerror(errno)));
    }
  }
}

absl::StatusOr<ScopedFd> ListenTcp(const std::string& address, int port) {
  ASSIGN_OR_RETURN(ScopedFd fd, NewSocket());
  RETURN_IF_ERROR(Bind(fd.get(), address, port));
  if (listen(fd.get(), 64) != 0) {
    return absl::UnavailableError(
        absl::StrCat("listen ", address, ":", port, ": ", strerror(errno)));
  }
  return fd;
}

absl::StatusOr<int> LocalPort(int fd) {
  sockaddr_in addr;
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return absl::InternalError(absl::StrCat("getsockname: ", strerror(errno)));
  }
  return static_cast<int>(ntohs(addr.sin_port));
}

absl::StatusOr<ScopedFd> ConnectTcp(const std::string& source_address, const std::string& address,
                                    int port, absl::Duration timeout) {
  ASSIGN_OR_RETURN(const sockaddr_in target, ParseAddress(address, port));
  ASSIGN_OR_RETURN(ScopedFd fd, NewSocket());
  if (!source_address.empty()) RETURN_IF_ERROR(Bind(fd.get(), source_address, 0));
  const std::string name = absl::StrCat(address, ":", port);
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&target), sizeof(target)) != 0) {
    if (errno != EINPROGRESS) {
      return absl::UnavailableError(absl::StrCat("connect ", name, ": ", strerror(errno)));
    }
    RETURN_IF_ERROR(FinishConnect(fd.get(), name, timeout));
  }
  return fd;
}

}  // namespace karst::testing

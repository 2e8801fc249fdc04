// Minimal blocking-with-deadline IPv4 TCP helpers for tests: listen on a loopback address,
// connect from a chosen source address. Thread-safe (no shared state).
#ifndef KARST_TESTS_HARNESS_TCP_H_
#define KARST_TESTS_HARNESS_TCP_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/harness/scoped_fd.h"

namespace karst::testing {

// Opens a listening socket on `address`:`port` (port 0 picks a free port) with SO_REUSEADDR.
// Errors: kInvalidArgument for an address that is not dotted-quad IPv4; kUnavailable if the
// socket cannot be bound (e.g. address in use).
absl::StatusOr<ScopedFd> ListenTcp(const std::string& address, int port);

// Returns the local port a socket is bound to. Errors: kInternal if getsockname fails.
absl::StatusOr<int> LocalPort(int fd);

// Connects to `address`:`port` within `timeout`, binding the socket to `source_address`
// first unless it is empty. The returned socket is non-blocking.
// Errors: kInvalidArgument for a bad address; kUnavailable if the connect is refused or fails;
// kDeadlineExceeded if it does not complete in time (e.g. packets are dropped).
absl::StatusOr<ScopedFd> ConnectTcp(const std::string& source_address, const std::string& address,
                                    int port, absl::Duration timeout);

// Waits until `fd` is ready for `events` (POLLIN/POLLOUT) or `deadline` passes.
// Errors: kDeadlineExceeded on timeout; kInternal if poll fails.
absl::Status PollUntil(int fd, short events, absl::Time deadline);

}  // namespace karst::testing

#endif  // KARST_TESTS_HARNESS_TCP_H_

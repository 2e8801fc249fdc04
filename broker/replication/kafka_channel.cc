#include "broker/replication/kafka_channel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace karst::broker::replication {
namespace {

// Polls in short slices so Shutdown() is noticed promptly without a wake-up pipe.
constexpr absl::Duration kPollSlice = absl::Milliseconds(100);

}  // namespace

KafkaChannel::KafkaChannel(std::string host, uint16_t port, std::string client_id, Clock& clock,
                           std::string local_address)
    : host_(std::move(host)),
      port_(port),
      client_id_(std::move(client_id)),
      clock_(clock),
      local_address_(std::move(local_address)) {}

KafkaChannel::~KafkaChannel() { Close(); }

void KafkaChannel::Shutdown() { shutdown_ = true; }

void KafkaChannel::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

absl::Status KafkaChannel::WaitFor(short events, absl::Duration deadline) {
  while (true) {
    if (shutdown_) return absl::CancelledError("kafka channel shut down");
    const absl::Duration left = deadline - clock_.Monotonic();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat("no answer from ", host_, ":", port_));
    }
    pollfd p{.fd = fd_, .events = events, .revents = 0};
    const int ms = static_cast<int>(absl::ToInt64Milliseconds(std::min(left, kPollSlice))) + 1;
    const int n = ::poll(&p, 1, ms);
    if (n < 0 && errno != EINTR) return absl::UnavailableError(strerror(errno));
    if (n > 0) return absl::OkStatus();
  }
}

absl::Status KafkaChannel::Connect(absl::Duration deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(port_);
  if (int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return absl::UnavailableError(absl::StrCat("resolve ", host_, ": ", gai_strerror(rc)));
  }
  fd_ = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ >= 0 && !local_address_.empty() && found->ai_family == AF_INET) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (::inet_pton(AF_INET, local_address_.c_str(), &local.sin_addr) != 1 ||
        ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
      const int error = errno;
      ::freeaddrinfo(found);
      Close();
      return absl::UnavailableError(absl::StrCat("bind ", local_address_, " to reach ", host_, ":",
                                                 port_, ": ", strerror(error)));
    }
  }
  int rc = fd_ < 0 ? -1 : ::connect(fd_, found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  if (rc != 0 && errno != EINPROGRESS) {
    Close();
    return absl::UnavailableError(
        absl::StrCat("connect ", host_, ":", port_, ": ", strerror(errno)));
  }
  if (absl::Status s = WaitFor(POLLOUT, deadline); !s.ok()) {
    Close();
    return s;
  }
  int error = 0;
  socklen_t len = sizeof(error);
  ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len);
  if (error != 0) {
    Close();
    return absl::UnavailableError(
        absl::StrCat("connect ", host_, ":", port_, ": ", strerror(error)));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return absl::OkStatus();
}

absl::StatusOr<std::string> KafkaChannel::RoundTrip(const std::string& frame,
                                                    int32_t correlation_id, int header_version,
                                                    absl::Duration timeout) {
  const absl::Duration deadline = clock_.Monotonic() + timeout;
  if (fd_ < 0) {
    if (absl::Status s = Connect(deadline); !s.ok()) return s;
  }
  auto fail = [this](absl::Status status) {
    Close();
    return status;
  };
  for (size_t sent = 0; sent < frame.size();) {
    if (absl::Status s = WaitFor(POLLOUT, deadline); !s.ok()) return fail(s);
    ssize_t n = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return fail(absl::UnavailableError(absl::StrCat("send: ", strerror(errno))));
    sent += static_cast<size_t>(n);
  }
  std::string in;
  size_t want = 4;
  bool have_size = false;
  char buffer[64 * 1024];
  while (in.size() < want) {
    if (absl::Status s = WaitFor(POLLIN, deadline); !s.ok()) return fail(s);
    ssize_t n = ::recv(fd_, buffer, std::min(sizeof(buffer), want - in.size()), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n == 0) return fail(absl::UnavailableError("connection closed by the peer"));
    if (n < 0) return fail(absl::UnavailableError(absl::StrCat("recv: ", strerror(errno))));
    in.append(buffer, static_cast<size_t>(n));
    if (!have_size && in.size() == 4) {
      absl::StatusOr<std::optional<int32_t>> size =
          ::karst::kafka::protocol::FrameSize(in, /*max_frame_bytes=*/1 << 30);
      if (!size.ok()) return fail(size.status());
      want = 4 + static_cast<size_t>(**size);
      have_size = true;
    }
  }
  std::string body = in.substr(4);
  ::karst::kafka::protocol::Reader r(body);
  ::karst::kafka::protocol::ResponseHeader header;
  if (absl::Status s = ::karst::kafka::protocol::DecodeResponseHeader(r, header_version, &header);
      !s.ok()) {
    return fail(s);
  }
  if (header.correlation_id != correlation_id) {
    return fail(absl::InvalidArgumentError(absl::StrCat("correlation id ", header.correlation_id,
                                                        " does not match ", correlation_id)));
  }
  return body.substr(r.position());
}

}  // namespace karst::broker::replication

#include "tests/harness/kafka_connection.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>

#include "tests/harness/tcp.h"

namespace karst::testing {
namespace {

namespace kp = ::karst::kafka::protocol;

// Above socket.request.max.bytes' default: no sane response is larger.
constexpr uint32_t kMaxResponseBytes = 100 * 1024 * 1024;

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaConnection>> KafkaConnection::Open(const std::string& address,
                                                                       int port,
                                                                       std::string client_id,
                                                                       absl::Duration timeout) {
  absl::StatusOr<ScopedFd> fd = ConnectTcp("", address, port, timeout);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<KafkaConnection>(
      new KafkaConnection(*std::move(fd), std::move(client_id), timeout));
}

absl::StatusOr<std::unique_ptr<KafkaConnection>> KafkaConnection::Open(const Node& node,
                                                                       std::string client_id,
                                                                       absl::Duration timeout) {
  return Open(node.address(), 9092, std::move(client_id), timeout);
}

absl::Status KafkaConnection::SendBytes(absl::string_view bytes) {
  const absl::Time deadline = absl::Now() + timeout_;
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (absl::Status s = PollUntil(fd_.get(), POLLOUT, deadline); !s.ok()) return s;
    } else if (n < 0 && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

std::string KafkaConnection::RequestFrame(int16_t key, int16_t version, absl::string_view body) {
  std::string payload;
  kp::Writer w(&payload);
  const kp::ApiInfo* api = kp::FindApi(key);
  kp::EncodeRequestHeader(w, api != nullptr ? kp::RequestHeaderVersion(*api, version) : 1,
                          {.api_key = key,
                           .api_version = version,
                           .correlation_id = ++correlation_id_,
                           .client_id = client_id_});
  w.Raw(body);
  return kp::Frame(payload);
}

absl::StatusOr<std::string> KafkaConnection::ReadFrame() {
  const absl::Time deadline = absl::Now() + timeout_;
  std::string size;
  if (absl::Status s = ReadExactly(4, deadline, &size); !s.ok()) return s;
  const uint32_t n = (static_cast<uint32_t>(static_cast<uint8_t>(size[0])) << 24) |
                     (static_cast<uint32_t>(static_cast<uint8_t>(size[1])) << 16) |
                     (static_cast<uint32_t>(static_cast<uint8_t>(size[2])) << 8) |
                     static_cast<uint32_t>(static_cast<uint8_t>(size[3]));
  if (n > kMaxResponseBytes) return absl::DataLossError(absl::StrCat("response size ", n));
  std::string frame;
  if (absl::Status s = ReadExactly(n, deadline, &frame); !s.ok()) return s;
  return frame;
}

absl::Status KafkaConnection::WaitClosed() {
  const absl::Time deadline = absl::Now() + timeout_;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd_.get(), buffer, sizeof(buffer), 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return absl::OkStatus();
    if (n > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("the broker answered ", n, " bytes instead of closing"));
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (absl::Status s = PollUntil(fd_.get(), POLLIN, deadline); !s.ok()) return s;
    } else if (errno != EINTR) {
      return absl::InternalError(absl::StrCat("recv: ", std::strerror(errno)));
    }
  }
}

absl::Status KafkaConnection::ReadExactly(size_t n, absl::Time deadline, std::string* out) {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::recv(fd_.get(), out->data() + done, n - done, 0);
    if (got > 0) {
      done += static_cast<size_t>(got);
    } else if (got == 0 || errno == ECONNRESET) {
      return absl::UnavailableError("the broker closed the connection");
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (absl::Status s = PollUntil(fd_.get(), POLLIN, deadline); !s.ok()) return s;
    } else if (errno != EINTR) {
      return absl::InternalError(absl::StrCat("recv: ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

}  // namespace karst::testing

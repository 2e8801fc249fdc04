#include "client/connection.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "client/kafka_error.h"
#include "common/status_macros.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/api_versions.h"

namespace karst::client {
namespace {

namespace kp = ::karst::kafka::protocol;

// ApiVersions v3 is the first that sends the client's software name (KIP-511).
constexpr int16_t kApiVersionsVersion = 3;

int32_t BigEndian32(absl::string_view b) {
  return static_cast<int32_t>((static_cast<uint32_t>(static_cast<uint8_t>(b[0])) << 24) |
                              (static_cast<uint32_t>(static_cast<uint8_t>(b[1])) << 16) |
                              (static_cast<uint32_t>(static_cast<uint8_t>(b[2])) << 8) |
                              static_cast<uint32_t>(static_cast<uint8_t>(b[3])));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& host, int port,
                                                             ConnectionOptions options,
                                                             Clock& clock) {
  std::unique_ptr<Connection> connection(
      new Connection(absl::StrCat(host, ":", port), std::move(options), clock));
  RETURN_IF_ERROR(connection->Connect(host, port));
  RETURN_IF_ERROR(connection->NegotiateVersions());
  return connection;
}

Connection::~Connection() { Close(); }

void Connection::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  outstanding_.clear();
}

absl::Status Connection::Connect(const std::string& host, int port) {
  const absl::Duration deadline = clock_.Monotonic() + options_.connect_timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  const std::string service = absl::StrCat(port);
  if (const int e = getaddrinfo(host.c_str(), service.c_str(), &hints, &addresses); e != 0) {
    return absl::UnavailableError(absl::StrCat(address_, ": cannot resolve: ", gai_strerror(e)));
  }
  absl::Status status = absl::UnavailableError(absl::StrCat(address_, ": no address"));
  for (addrinfo* a = addresses; a != nullptr; a = a->ai_next) {
    fd_ = ::socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      status = absl::InternalError(absl::StrCat(address_, ": socket: ", std::strerror(errno)));
      continue;
    }
    if (::connect(fd_, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      status = absl::UnavailableError(absl::StrCat(address_, ": connect: ", std::strerror(errno)));
      Close();
      continue;
    }
    status = Wait(POLLOUT, deadline);
    if (status.ok()) {
      int error = 0;
      socklen_t length = sizeof(error);
      ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
      if (error == 0) break;
      status = absl::UnavailableError(absl::StrCat(address_, ": connect: ", std::strerror(error)));
    }
    Close();
    if (absl::IsDeadlineExceeded(status)) break;
  }
  freeaddrinfo(addresses);
  if (absl::IsDeadlineExceeded(status)) {
    return absl::DeadlineExceededError(absl::StrCat(
        address_, ": connect timed out after ", absl::FormatDuration(options_.connect_timeout)));
  }
  return status;
}

absl::Status Connection::NegotiateVersions() {
  const kp::ApiInfo& api = *kp::FindApi(kp::ApiVersionsRequest::kApiKey);
  int16_t version = kApiVersionsVersion;
  for (int attempt = 0; attempt < 2; ++attempt) {
    kp::ApiVersionsRequest request;
    request.client_software_name = "karst";
    request.client_software_version = "1";
    std::string body;
    kp::Writer w(&body);
    request.Encode(w, version);
    // ApiVersions responses always use response header v0 (KIP-511).
    ASSIGN_OR_RETURN(const std::string frame, RoundTrip(api, version, body, 0));
    // KIP-511: a broker that does not serve our version answers UNSUPPORTED_VERSION in the v0
    // body format, listing its ApiVersions range.
    const bool unsupported =
        frame.size() >= 2 && static_cast<int16_t>((static_cast<uint8_t>(frame[0]) << 8) |
                                                  static_cast<uint8_t>(frame[1])) ==
                                 static_cast<int16_t>(kp::ErrorCode::kUnsupportedVersion);
    kp::ApiVersionsResponse response;
    kp::Reader r(frame);
    if (absl::Status s = response.Decode(r, unsupported ? 0 : version); !s.ok()) {
      Close();
      return absl::DataLossError(absl::StrCat(address_, ": ApiVersions response: ", s.message()));
    }
    if (unsupported) {
      auto it = std::find_if(response.api_keys.begin(), response.api_keys.end(), [](const auto& k) {
        return k.api_key == kp::ApiVersionsRequest::kApiKey;
      });
      if (it == response.api_keys.end() || it->max_version >= version) break;
      version = it->max_version;
      continue;
    }
    RETURN_IF_ERROR(
        Annotate(KafkaErrorStatus(response.error_code), absl::StrCat(address_, ": ApiVersions")));
    for (const auto& k : response.api_keys) {
      broker_versions_[k.api_key] = {k.min_version, k.max_version};
    }
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat(address_, ": no ApiVersions version shared with the broker"));
}

absl::StatusOr<int16_t> Connection::Version(int16_t api_key, int16_t our_min,
                                            int16_t our_max) const {
  const kp::ApiInfo* api = kp::FindApi(api_key);
  const std::string name = api != nullptr ? api->name : absl::StrCat("API ", api_key);
  auto it = broker_versions_.find(api_key);
  if (it == broker_versions_.end()) {
    return absl::FailedPreconditionError(absl::StrCat(address_, " does not serve ", name));
  }
  const auto [broker_min, broker_max] = it->second;
  const int16_t version = std::min(our_max, broker_max);
  if (version < std::max(our_min, broker_min)) {
    return absl::FailedPreconditionError(absl::StrCat(address_, " serves ", name, " v", broker_min,
                                                      "-", broker_max, ", we speak v", our_min, "-",
                                                      our_max));
  }
  return version;
}

absl::StatusOr<std::string> Connection::RoundTrip(const kp::ApiInfo& api, int16_t version,
                                                  const std::string& body,
                                                  int response_header_version) {
  const absl::Duration deadline = clock_.Monotonic() + options_.request_timeout;
  if (!outstanding_.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(address_, ": ", api.name, " while ",
                                                      outstanding_.size(),
                                                      " pipelined requests are outstanding"));
  }
  ASSIGN_OR_RETURN(const int32_t correlation_id, SendFrame(api, version, body, deadline));
  return ReadResponse(api, version, correlation_id, response_header_version, deadline);
}

absl::StatusOr<std::string> Connection::ReadResponse(const kp::ApiInfo& api, int16_t version,
                                                     int32_t correlation_id,
                                                     int response_header_version,
                                                     absl::Duration deadline) {
  const std::string context = absl::StrCat(address_, ": ", api.name, " v", version);
  if (fd_ < 0) return absl::UnavailableError(absl::StrCat(context, ": connection closed"));
  absl::Status status;
  std::string size;
  if (status.ok()) status = ReadExactly(4, deadline, &size);
  int32_t n = 0;
  if (status.ok()) {
    n = BigEndian32(size);
    if (n < 0 || n > options_.max_response_bytes) {
      status = absl::DataLossError(absl::StrCat("response size ", n));
    }
  }
  std::string frame;
  if (status.ok()) status = ReadExactly(static_cast<size_t>(n), deadline, &frame);
  kp::ResponseHeader header;
  kp::Reader r(frame);
  if (status.ok()) status = kp::DecodeResponseHeader(r, response_header_version, &header);
  if (status.ok() && header.correlation_id != correlation_id) {
    status = absl::DataLossError(
        absl::StrCat("correlation id ", header.correlation_id, ", want ", correlation_id));
  }
  if (!status.ok()) {
    Close();
    return Annotate(status, context);
  }
  return frame.substr(frame.size() - r.remaining());
}

absl::StatusOr<int32_t> Connection::SendFrame(const kp::ApiInfo& api, int16_t version,
                                              const std::string& body, absl::Duration deadline) {
  if (fd_ < 0) return absl::UnavailableError(absl::StrCat(address_, ": connection closed"));
  const int32_t correlation_id = next_correlation_id_++;
  std::string payload;
  kp::Writer w(&payload);
  kp::EncodeRequestHeader(w, kp::RequestHeaderVersion(api, version),
                          {.api_key = api.key,
                           .api_version = version,
                           .correlation_id = correlation_id,
                           .client_id = options_.client_id});
  w.Raw(body);
  if (absl::Status status = SendAll(kp::Frame(payload), deadline); !status.ok()) {
    Close();
    return Annotate(status, absl::StrCat(address_, ": ", api.name, " v", version));
  }
  return correlation_id;
}

absl::Status Connection::SendRequest(const kp::ApiInfo& api, int16_t version,
                                     const std::string& body) {
  return SendFrame(api, version, body, clock_.Monotonic() + options_.request_timeout).status();
}

absl::Status Connection::SendAll(absl::string_view data, absl::Duration deadline) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      RETURN_IF_ERROR(Wait(POLLOUT, deadline));
    } else if (n < 0 && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

absl::Status Connection::ReadExactly(size_t n, absl::Duration deadline, std::string* out) {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    const ssize_t got = ::recv(fd_, out->data() + done, n - done, 0);
    if (got > 0) {
      done += static_cast<size_t>(got);
    } else if (got == 0 || errno == ECONNRESET) {
      return absl::UnavailableError("the broker closed the connection");
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      RETURN_IF_ERROR(Wait(POLLIN, deadline));
    } else if (errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

absl::Status Connection::Wait(short events, absl::Duration deadline) {
  for (;;) {
    const absl::Duration left = deadline - clock_.Monotonic();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("timed out");
    }
    pollfd p{fd_, events, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready > 0) return absl::OkStatus();
    if (ready < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
    }
  }
}

}  // namespace karst::client
